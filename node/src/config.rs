//! The node's configuration: a TOML file, then environment overrides.
//!
//! Any key can be overridden by an environment variable `EBL_<SECTION>__<KEY>` (double underscore
//! between section and key), e.g. `EBL_MEMPOOL__TXS_MAX=50000` or `EBL_NODE__DATA_DIR=/var/lib/ebl`.
//! Unknown keys — in the file or in the environment — are refused, so a typo cannot go unnoticed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::mempool::MempoolConfig;
use crate::storage::StorageOptions;

/// Prefix of environment overrides.
pub const ENV_PREFIX: &str = "EBL_";
const CONFIG_BYTES_MAX: u64 = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeSection {
    /// A human name for logs.
    pub moniker: String,
    /// RocksDB and consensus data. Relative paths are relative to the configuration file.
    pub data_dir: PathBuf,
    /// The node key: its libp2p identity (peer id). Never signs a vote or a transaction.
    pub key_file: PathBuf,
    /// The consensus key of a validator: signs its votes and proposals. A node without one is
    /// an observer: it follows, verifies and serves the chain but never votes (ADR 0019).
    #[serde(default)]
    pub consensus_key_file: Option<PathBuf>,
    pub genesis_file: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct P2pSection {
    /// libp2p listen multiaddr, e.g. `/ip4/127.0.0.1/tcp/27000`.
    pub listen_addr: String,
    /// Where to dial some validators instead of at their genesis address, each as
    /// `<multiaddr>/p2p/<peer id>` (e.g. behind a proxy; the testnet routes every link through a
    /// relay it can cut). Validators not named here are dialled at their genesis address; only
    /// genesis validators are ever accepted as peers (DESIGN §8 membership).
    #[serde(default)]
    pub persistent_peers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RpcSection {
    /// REST listen address, e.g. `127.0.0.1:8080`.
    pub listen_addr: String,
    /// This node's names: the `host[:port]` clients send requests to (their `Host`, the scheme's
    /// default port left out), e.g. `["node1.bank.example", "node1.bank.example:8443"]`. A
    /// request signature covers it, and one made for any other name is refused
    /// (`401 WRONG_AUTHORITY`), so a signed read does not replay on another node. Empty (the
    /// default): the names `listen_addr` says — `ip:port`, plus `localhost:port` on loopback —
    /// or, on an unspecified address (`0.0.0.0`, `[::]`), any name, with a warning at start.
    #[serde(default)]
    pub authorities: Vec<String>,
    pub request_bytes_max: usize,
    pub timeout_ms: u64,
    /// How far a request signature's `created` may be from this node's clock, in seconds.
    #[serde(default = "default_signature_window_s")]
    pub signature_window_s: u64,
    /// Signed requests per second per party (bursts of twice that); 0 = no limit.
    #[serde(default = "default_party_requests_per_s")]
    pub party_requests_per_s: u32,
    /// Requests per second per client address; 0 = no limit.
    #[serde(default = "default_address_requests_per_s")]
    pub address_requests_per_s: u32,
    /// Open REST connections in all.
    #[serde(default = "default_connections_max")]
    pub connections_max: usize,
    /// Open REST connections from one client address.
    #[serde(default = "default_address_connections_max")]
    pub address_connections_max: usize,
    /// How long a connection may take to send a request's headers, or stay idle between
    /// requests, before it is closed.
    #[serde(default = "default_header_read_timeout_ms")]
    pub header_read_timeout_ms: u64,
}

fn default_connections_max() -> usize {
    crate::api::server::ServeLimits::default().connections_max
}

fn default_address_connections_max() -> usize {
    crate::api::server::ServeLimits::default().address_connections_max
}

fn default_header_read_timeout_ms() -> u64 {
    crate::api::server::ServeLimits::default().header_read_timeout.as_millis() as u64
}

fn default_signature_window_s() -> u64 {
    300
}

fn default_party_requests_per_s() -> u32 {
    100
}

fn default_address_requests_per_s() -> u32 {
    2_000
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MempoolSection {
    pub txs_max: usize,
    pub bytes_max: usize,
    pub party_txs_max: usize,
    pub nonce_window: u64,
    /// Most transactions gossiped in one message.
    pub gossip_batch_txs_max: usize,
    /// How long a transaction behind a nonce gap may wait for the gap to fill.
    #[serde(default = "default_gap_ttl_ms")]
    pub gap_ttl_ms: u64,
}

fn default_gap_ttl_ms() -> u64 {
    MempoolConfig::default().gap_ttl.as_millis() as u64
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsensusSection {
    pub block_txs_max: usize,
    pub block_bytes_max: usize,
    pub timeout_propose_ms: u64,
    pub timeout_prevote_ms: u64,
    pub timeout_precommit_ms: u64,
    /// How far ahead of this node's clock a proposed block's time may be.
    pub clock_drift_max_ms: u64,
    /// Added to each round timeout per round, so a slow network eventually agrees.
    #[serde(default = "default_timeout_delta_ms")]
    pub timeout_delta_ms: u64,
    /// Cap on any round timeout.
    #[serde(default = "default_timeout_max_ms")]
    pub timeout_max_ms: u64,
    /// How long a proposer with an empty mempool waits for transactions before it proposes an
    /// empty block, so an idle network does not spin through heights.
    #[serde(default = "default_empty_block_wait_ms")]
    pub empty_block_wait_ms: u64,
    /// How often a node tells its peers its height, so that one behind starts to sync.
    #[serde(default = "default_sync_status_interval_ms")]
    pub sync_status_interval_ms: u64,
    /// How often the mempool's new transactions are gossiped, in one batch; four times less
    /// often while the pool holds a full block or more (see `consensus::gossip_loop`).
    #[serde(default = "default_gossip_interval_ms")]
    pub gossip_interval_ms: u64,
}

fn default_timeout_delta_ms() -> u64 {
    500
}

fn default_timeout_max_ms() -> u64 {
    60_000
}

fn default_empty_block_wait_ms() -> u64 {
    1_000
}

fn default_sync_status_interval_ms() -> u64 {
    2_000
}

fn default_gossip_interval_ms() -> u64 {
    50
}

/// RocksDB's and the state values' memory. Together with the mempool's bound these set most of
/// the node's resident memory; the defaults keep a node under 1 GiB at 1 M BLs (DESIGN §9). A
/// larger cache costs memory one for one; on the benchmark machine a 384 MiB block cache did not
/// make a 1 M BL network faster (`docs/benchmarks.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSection {
    /// The LRU block cache all column families share (data, index and filter blocks), MiB.
    pub block_cache_mib: usize,
    /// All memtables together, MiB; RocksDB flushes the largest when they reach it.
    pub memtables_mib: usize,
    /// The newest values of recently used state keys, decoded, MiB (0: none).
    pub value_cache_mib: usize,
    /// A new database keeps every version of every state value (an archive node: reads and
    /// proofs at any height) instead of only the newest. Chosen at genesis for the database's
    /// life. Absent from a configuration written before it existed: false.
    #[serde(default)]
    pub archive: bool,
}

impl Default for StorageSection {
    fn default() -> Self {
        let options = StorageOptions::default();
        StorageSection {
            block_cache_mib: options.block_cache_bytes >> 20,
            memtables_mib: options.memtables_bytes_max >> 20,
            value_cache_mib: options.value_cache_bytes >> 20,
            archive: options.archive,
        }
    }
}

/// Largest cache or memtable budget a configuration may ask for, MiB: a typo of a few digits
/// should not make the node reserve more memory than any machine has.
const STORAGE_MIB_MAX: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    pub node: NodeSection,
    pub p2p: P2pSection,
    pub rpc: RpcSection,
    pub mempool: MempoolSection,
    pub consensus: ConsensusSection,
    /// Absent from a configuration written before it existed: the defaults.
    #[serde(default)]
    pub storage: StorageSection,
}

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read configuration {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("configuration file {0} is larger than 1 MiB")]
    TooLarge(String),
    #[error("configuration is not valid TOML: {0}")]
    Toml(String),
    #[error("environment override {var}: {reason}")]
    Env { var: String, reason: String },
    #[error("configuration is invalid: {0}")]
    Invalid(String),
}

impl NodeConfig {
    /// A configuration for a node named `moniker` with sensible limits.
    pub fn new(moniker: &str, p2p_listen: &str, rpc_listen: &str) -> Self {
        let defaults = MempoolConfig::default();
        NodeConfig {
            node: NodeSection {
                moniker: moniker.into(),
                data_dir: "data".into(),
                key_file: "node_key.json".into(),
                consensus_key_file: Some("consensus_key.json".into()),
                genesis_file: "genesis.json".into(),
            },
            p2p: P2pSection { listen_addr: p2p_listen.into(), persistent_peers: Vec::new() },
            rpc: RpcSection {
                listen_addr: rpc_listen.into(),
                authorities: Vec::new(),
                request_bytes_max: 4 * 1024 * 1024,
                timeout_ms: 10_000,
                signature_window_s: default_signature_window_s(),
                party_requests_per_s: default_party_requests_per_s(),
                address_requests_per_s: default_address_requests_per_s(),
                connections_max: default_connections_max(),
                address_connections_max: default_address_connections_max(),
                header_read_timeout_ms: default_header_read_timeout_ms(),
            },
            mempool: MempoolSection {
                txs_max: defaults.txs_max,
                bytes_max: defaults.bytes_max,
                party_txs_max: defaults.party_txs_max,
                nonce_window: defaults.nonce_window,
                gossip_batch_txs_max: 1_000,
                gap_ttl_ms: default_gap_ttl_ms(),
            },
            consensus: ConsensusSection {
                block_txs_max: 5_000,
                block_bytes_max: 8 * 1024 * 1024,
                timeout_propose_ms: 3_000,
                timeout_prevote_ms: 1_000,
                timeout_precommit_ms: 1_000,
                clock_drift_max_ms: 2_000,
                timeout_delta_ms: default_timeout_delta_ms(),
                timeout_max_ms: default_timeout_max_ms(),
                empty_block_wait_ms: default_empty_block_wait_ms(),
                sync_status_interval_ms: default_sync_status_interval_ms(),
                gossip_interval_ms: default_gossip_interval_ms(),
            },
            storage: StorageSection::default(),
        }
    }

    /// Loads `path`, applies the `EBL_*` variables of `env`, resolves relative paths against the
    /// file's directory and checks the limits.
    pub fn load(path: &Path, env: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let read_err = |error| ConfigError::Read { path: path.display().to_string(), error };
        if std::fs::metadata(path).map_err(read_err)?.len() > CONFIG_BYTES_MAX {
            return Err(ConfigError::TooLarge(path.display().to_string()));
        }
        let text = std::fs::read_to_string(path).map_err(read_err)?;
        let mut config = Self::parse(&text, env)?;
        let base = path.parent().unwrap_or(Path::new("."));
        let consensus = config.node.consensus_key_file.iter_mut();
        for p in [&mut config.node.data_dir, &mut config.node.key_file, &mut config.node.genesis_file]
            .into_iter()
            .chain(consensus)
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(config)
    }

    /// Parses TOML text and applies overrides (no path resolution).
    pub fn parse(text: &str, env: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let mut value: toml::Value = toml::from_str(text).map_err(|e| ConfigError::Toml(e.to_string()))?;
        // Overrides apply in name order, so the outcome does not depend on the environment's order.
        let mut overrides: Vec<(String, String)> =
            env.into_iter().filter(|(k, _)| k.starts_with(ENV_PREFIX) && k.contains("__")).collect();
        overrides.sort();
        for (var, raw) in overrides {
            apply_override(&mut value, &var, &raw)?;
        }
        let config: NodeConfig =
            value.try_into().map_err(|e: toml::de::Error| ConfigError::Toml(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }

    fn check(&self) -> Result<(), ConfigError> {
        let positive = [
            ("mempool.txs_max", self.mempool.txs_max as u64),
            ("mempool.bytes_max", self.mempool.bytes_max as u64),
            ("mempool.party_txs_max", self.mempool.party_txs_max as u64),
            ("mempool.nonce_window", self.mempool.nonce_window),
            ("mempool.gossip_batch_txs_max", self.mempool.gossip_batch_txs_max as u64),
            ("consensus.block_txs_max", self.consensus.block_txs_max as u64),
            ("consensus.block_bytes_max", self.consensus.block_bytes_max as u64),
            ("consensus.timeout_propose_ms", self.consensus.timeout_propose_ms),
            ("consensus.timeout_prevote_ms", self.consensus.timeout_prevote_ms),
            ("consensus.timeout_precommit_ms", self.consensus.timeout_precommit_ms),
            ("consensus.timeout_max_ms", self.consensus.timeout_max_ms),
            ("consensus.sync_status_interval_ms", self.consensus.sync_status_interval_ms),
            ("consensus.gossip_interval_ms", self.consensus.gossip_interval_ms),
            ("rpc.request_bytes_max", self.rpc.request_bytes_max as u64),
            ("rpc.signature_window_s", self.rpc.signature_window_s),
            ("storage.block_cache_mib", self.storage.block_cache_mib as u64),
            ("storage.memtables_mib", self.storage.memtables_mib as u64),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError::Invalid(format!("{name} must be positive")));
        }
        crate::api::OwnAuthorities::from_config(&self.rpc.authorities, &self.rpc.listen_addr)
            .map_err(ConfigError::Invalid)?;
        if !self.p2p.listen_addr.contains("/tcp/") {
            return Err(ConfigError::Invalid("p2p.listen_addr must be a TCP multiaddr".into()));
        }
        let storage = [
            ("storage.block_cache_mib", self.storage.block_cache_mib),
            ("storage.memtables_mib", self.storage.memtables_mib),
            ("storage.value_cache_mib", self.storage.value_cache_mib),
        ];
        if let Some((name, _)) = storage.iter().find(|(_, v)| *v > STORAGE_MIB_MAX) {
            return Err(ConfigError::Invalid(format!("{name} may not exceed {STORAGE_MIB_MAX} MiB")));
        }
        if self.consensus.block_txs_max > ebl_ledger::limits::BLOCK_TXS_MAX {
            return Err(ConfigError::Invalid(format!(
                "consensus.block_txs_max may not exceed {}",
                ebl_ledger::limits::BLOCK_TXS_MAX
            )));
        }
        Ok(())
    }

    pub fn storage_options(&self) -> StorageOptions {
        StorageOptions {
            block_cache_bytes: self.storage.block_cache_mib << 20,
            memtables_bytes_max: self.storage.memtables_mib << 20,
            value_cache_bytes: self.storage.value_cache_mib << 20,
            archive: self.storage.archive,
        }
    }

    pub fn mempool_config(&self) -> MempoolConfig {
        MempoolConfig {
            txs_max: self.mempool.txs_max,
            bytes_max: self.mempool.bytes_max,
            party_txs_max: self.mempool.party_txs_max,
            nonce_window: self.mempool.nonce_window,
            tx_bytes_max: ebl_ledger::limits::TX_BYTES_MAX,
            gap_ttl: std::time::Duration::from_millis(self.mempool.gap_ttl_ms),
        }
    }
}

/// `EBL_MEMPOOL__TXS_MAX=5` sets `mempool.txs_max = 5`. The value is read as TOML (integer, bool,
/// array) when it parses as one, else as a string.
fn apply_override(root: &mut toml::Value, var: &str, raw: &str) -> Result<(), ConfigError> {
    let env_err = |reason: &str| ConfigError::Env { var: var.into(), reason: reason.into() };
    let path: Vec<String> = var[ENV_PREFIX.len()..].split("__").map(str::to_lowercase).collect();
    let (last, sections) = path.split_last().ok_or_else(|| env_err("empty name"))?;
    let mut table = root.as_table_mut().ok_or_else(|| env_err("configuration is not a table"))?;
    for section in sections {
        table = table
            .get_mut(section)
            .and_then(toml::Value::as_table_mut)
            .ok_or_else(|| env_err(&format!("no section [{section}]")))?;
    }
    if !table.contains_key(last) {
        return Err(env_err(&format!("no key {last:?}")));
    }
    let parsed = toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()));
    table.insert(last.clone(), parsed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_written_configuration_reads_back() {
        let config = NodeConfig::new("carrier", "/ip4/127.0.0.1/tcp/27000", "127.0.0.1:8080");
        assert_eq!(NodeConfig::parse(&config.to_toml(), env(&[])).expect("valid"), config);
    }

    #[test]
    fn environment_overrides_keys_and_refuses_unknown_ones() {
        let text = NodeConfig::new("carrier", "/ip4/127.0.0.1/tcp/27000", "127.0.0.1:8080").to_toml();
        let config = NodeConfig::parse(
            &text,
            env(&[
                ("EBL_MEMPOOL__TXS_MAX", "42"),
                ("EBL_NODE__MONIKER", "bank"),
                ("EBL_P2P__PERSISTENT_PEERS", r#"["/ip4/127.0.0.1/tcp/27001"]"#),
                ("PATH", "/usr/bin"),
            ]),
        )
        .expect("valid");
        assert_eq!(config.mempool.txs_max, 42);
        assert_eq!(config.node.moniker, "bank");
        assert_eq!(config.p2p.persistent_peers, vec!["/ip4/127.0.0.1/tcp/27001".to_string()]);
        assert!(matches!(
            NodeConfig::parse(&text, env(&[("EBL_MEMPOOL__TXS_MAKS", "1")])),
            Err(ConfigError::Env { .. })
        ));
        assert!(matches!(
            NodeConfig::parse(&text, env(&[("EBL_NOPE__X", "1")])),
            Err(ConfigError::Env { .. })
        ));
        assert!(matches!(
            NodeConfig::parse(&text, env(&[("EBL_MEMPOOL__TXS_MAX", "many")])),
            Err(ConfigError::Toml(_))
        ));
        assert!(matches!(
            NodeConfig::parse(&text, env(&[("EBL_MEMPOOL__TXS_MAX", "0")])),
            Err(ConfigError::Invalid(_))
        ));
    }

    #[test]
    fn storage_memory_is_configured_in_mib_and_defaults_when_absent() {
        let config = NodeConfig::new("carrier", "/ip4/127.0.0.1/tcp/27000", "127.0.0.1:8080");
        assert_eq!(config.storage_options(), StorageOptions::default());
        let text = config.to_toml();

        // A file written before the section existed reads with the defaults.
        let start = text.find("[storage]").expect("the section is written");
        let without =
            format!("{}{}", &text[..start], &text[start..].split_once("\n\n").map_or("", |(_, rest)| rest));
        assert!(!without.contains("block_cache_mib"), "{without}");
        assert_eq!(NodeConfig::parse(&without, env(&[])).expect("valid").storage, StorageSection::default());

        let bigger = NodeConfig::parse(
            &text,
            env(&[("EBL_STORAGE__BLOCK_CACHE_MIB", "512"), ("EBL_STORAGE__VALUE_CACHE_MIB", "0")]),
        )
        .expect("valid");
        assert_eq!(bigger.storage_options().block_cache_bytes, 512 * 1024 * 1024);
        assert_eq!(bigger.storage_options().value_cache_bytes, 0);
        assert_eq!(
            bigger.storage_options().memtables_bytes_max,
            StorageOptions::default().memtables_bytes_max
        );

        // A validator keeps only the newest values unless asked for an archive; a [storage]
        // section written before the key existed reads as no archive.
        assert!(!config.storage_options().archive);
        let archive = NodeConfig::parse(&text, env(&[("EBL_STORAGE__ARCHIVE", "true")])).expect("valid");
        assert!(archive.storage_options().archive);
        let older = text.replace("archive = false\n", "");
        assert_ne!(older, text, "the key is written");
        assert!(!NodeConfig::parse(&older, env(&[])).expect("valid").storage.archive);

        for (var, value) in [
            ("EBL_STORAGE__BLOCK_CACHE_MIB", "0"),
            ("EBL_STORAGE__MEMTABLES_MIB", "0"),
            ("EBL_STORAGE__VALUE_CACHE_MIB", "2000000"),
        ] {
            assert!(
                matches!(NodeConfig::parse(&text, env(&[(var, value)])), Err(ConfigError::Invalid(_))),
                "{var}={value}"
            );
        }
    }

    #[test]
    fn the_nodes_names_default_to_its_listen_address_and_bad_ones_are_refused() {
        use crate::api::OwnAuthorities;
        let names = |config: &NodeConfig| {
            OwnAuthorities::from_config(&config.rpc.authorities, &config.rpc.listen_addr).expect("valid")
        };
        let only = |list: &[&str]| OwnAuthorities::only(list).expect("valid names");
        let config = NodeConfig::new("bank", "/ip4/127.0.0.1/tcp/27000", "127.0.0.1:7101");
        let text = config.to_toml();
        assert!(text.contains("authorities = []"), "{text}");
        assert_eq!(names(&config), only(&["127.0.0.1:7101", "localhost:7101"]));
        // A file written before the key existed reads as empty.
        let older = text.replace("authorities = []\n", "");
        assert_ne!(older, text);
        assert!(NodeConfig::parse(&older, env(&[])).expect("valid").rpc.authorities.is_empty());

        let set = NodeConfig::parse(
            &text,
            env(&[("EBL_RPC__AUTHORITIES", r#"["Node1.Bank.Example", "node1.bank.example:8443"]"#)]),
        )
        .expect("valid");
        assert_eq!(names(&set), only(&["node1.bank.example", "node1.bank.example:8443"]));
        assert!(names(&set).contains("node1.bank.example:8443"));
        assert!(!names(&set).contains("127.0.0.1:7101"), "the names replace the listen address");

        for (listen, expected) in [
            ("10.1.2.3:7101", Some(vec!["10.1.2.3:7101"])),
            ("[::1]:7101", Some(vec!["[::1]:7101", "localhost:7101"])),
            ("127.0.0.1:80", Some(vec!["127.0.0.1", "127.0.0.1:80", "localhost", "localhost:80"])),
            ("Node1.Example:7101", Some(vec!["node1.example:7101"])),
            ("0.0.0.0:7101", None),
            ("[::]:7101", None),
        ] {
            let config = NodeConfig::new("bank", "/ip4/127.0.0.1/tcp/27000", listen);
            let expected = expected.map_or(OwnAuthorities::Any, |list| only(&list));
            assert_eq!(names(&config), expected, "{listen}");
        }
        assert!(!only(&["a:1"]).contains("b:1"));
        assert!(OwnAuthorities::Any.contains("anything:1"));

        let many =
            format!("[{}]", (0..65).map(|i| format!("\"n{i}.example\"")).collect::<Vec<_>>().join(","));
        for bad in [r#"["node one.example"]"#, r#"[""]"#, r#"["a\"b"]"#, many.as_str()] {
            assert!(
                matches!(
                    NodeConfig::parse(&text, env(&[("EBL_RPC__AUTHORITIES", bad)])),
                    Err(ConfigError::Invalid(_))
                ),
                "{bad}"
            );
        }
        let spaced = NodeConfig::new("bank", "/ip4/127.0.0.1/tcp/27000", "my host:7101").to_toml();
        assert!(matches!(NodeConfig::parse(&spaced, env(&[])), Err(ConfigError::Invalid(_))));
    }

    #[test]
    fn unknown_keys_and_bad_toml_are_refused() {
        let text = NodeConfig::new("c", "/ip4/127.0.0.1/tcp/1", "127.0.0.1:1").to_toml();
        assert!(matches!(
            NodeConfig::parse(&format!("{text}\n[extra]\nx = 1\n"), env(&[])),
            Err(ConfigError::Toml(_))
        ));
        assert!(matches!(NodeConfig::parse("node = ", env(&[])), Err(ConfigError::Toml(_))));
    }

    #[test]
    fn relative_paths_resolve_against_the_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("config.toml");
        std::fs::write(&path, NodeConfig::new("c", "/ip4/127.0.0.1/tcp/1", "127.0.0.1:1").to_toml())
            .expect("write");
        let config = NodeConfig::load(&path, env(&[])).expect("valid");
        assert_eq!(config.node.data_dir, dir.path().join("data"));
        assert_eq!(config.node.genesis_file, dir.path().join("genesis.json"));
    }
}
