//! A local network of validators in one process, for the multi-node tests (STYLE 6: a test reads
//! as a sentence — start, submit, stop a node, wait, expect the same state everywhere).
//!
//! Real libp2p on 127.0.0.1 (ports picked by the OS), real RocksDB in temporary directories,
//! short round timeouts. Every wait is bounded and panics with what it saw when it runs out.

use std::time::Duration;

use ebl_contracts::testkit::Cast;
use ebl_ledger::{Hash, Keypair, Receipt, Transaction, TxId};
use tempfile::TempDir;

use crate::config::NodeConfig;
use crate::genesis::{GenesisFile, ValidatorInfo};
use crate::node::{Node, NodeOptions, Tamper};
use crate::ports::PortReservation;

/// How long any wait of a test may take before it fails.
pub const WAIT: Duration = Duration::from_secs(90);

/// A port on 127.0.0.1 held until the node that listens on it starts.
pub fn reserve_port() -> PortReservation {
    PortReservation::new().expect("a free port on loopback")
}

/// The operators of the validators of test networks, in order: the carrier, the bank, customs,
/// the terminal, then a registrar (a fifth validator when one is asked for). Each validator's
/// consensus and node keys are keys of their own ([`consensus_key`], [`node_key`]).
pub fn validator_keys(cast: &Cast) -> Vec<&Keypair> {
    vec![&cast.carrier, &cast.bank, &cast.customs, &cast.terminal, &cast.registrar]
}

/// The consensus key of test validator `i`.
pub fn consensus_key(i: usize) -> Keypair {
    Keypair::for_test(&format!("validator-{i}/consensus"))
}

/// The node key of test node `i`.
pub fn node_key(i: usize) -> Keypair {
    Keypair::for_test(&format!("validator-{i}/node"))
}

/// A configuration with round timeouts short enough for tests on loopback.
pub fn test_config(moniker: &str, p2p_port: u16, dir: &std::path::Path) -> NodeConfig {
    let mut config = NodeConfig::new(moniker, &format!("/ip4/127.0.0.1/tcp/{p2p_port}"), "127.0.0.1:0");
    config.node.data_dir = dir.join("data");
    config.node.key_file = dir.join("node_key.json");
    config.node.consensus_key_file = Some(dir.join("consensus_key.json"));
    config.node.genesis_file = dir.join("genesis.json");
    config.consensus.timeout_propose_ms = 1_500;
    config.consensus.timeout_prevote_ms = 500;
    config.consensus.timeout_precommit_ms = 500;
    config.consensus.timeout_delta_ms = 250;
    config.consensus.timeout_max_ms = 5_000;
    config.consensus.empty_block_wait_ms = 200;
    config.consensus.sync_status_interval_ms = 500;
    config.consensus.gossip_interval_ms = 20;
    config
}

/// One validator slot of a [`TestNet`]: its directory persists across stop and restart.
#[derive(Debug)]
pub struct Slot {
    pub name: String,
    pub dir: TempDir,
    pub port: u16,
    /// Holds `port` until the node first starts.
    pub reservation: PortReservation,
    /// The seed of its node key (libp2p identity).
    pub node_seed: [u8; 32],
    /// The seed of its consensus key (`None`: an observer).
    pub consensus_seed: Option<[u8; 32]>,
    pub node: Option<Node>,
    pub tamper: Option<Tamper>,
}

/// A network of `n` genesis validators (power 1 each) in this process.
#[derive(Debug)]
pub struct TestNet {
    pub cast: Cast,
    pub genesis: GenesisFile,
    pub slots: Vec<Slot>,
    /// REST servers started by [`TestNet::serve_api`], stopped by [`TestNet::shutdown`].
    pub servers: Vec<tokio::task::JoinHandle<()>>,
}

/// REST options for tests: the production bounds, no rate limits, signatures for any authority
/// (in-process routers have no address; [`TestNet::serve_api`] binds its server to its own).
pub fn test_api_options() -> crate::api::ApiOptions {
    crate::api::ApiOptions {
        request_bytes_max: 4 * 1024 * 1024,
        timeout: std::time::Duration::from_secs(60),
        signature_window_s: 300,
        authorities: crate::api::OwnAuthorities::Any,
        party_requests_per_s: 0,
        address_requests_per_s: 0,
    }
}

impl TestNet {
    /// A network whose genesis names `validators` validators; none is running yet.
    pub fn new(validators: usize) -> Self {
        // `RUST_LOG=ebl_node=debug cargo test …` shows what the nodes do.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let cast = Cast::new();
        let g = cast.genesis();
        let keys = validator_keys(&cast);
        assert!(validators <= keys.len(), "at most {} validators", keys.len());
        let mut slots = Vec::new();
        let mut entries = Vec::new();
        for (i, key) in keys.iter().take(validators).enumerate() {
            let reservation = reserve_port();
            let port = reservation.port();
            let name = format!("validator-{i}");
            entries.push(ValidatorInfo {
                name: name.clone(),
                operator: key.party(),
                consensus_key: consensus_key(i).party(),
                node_key: node_key(i).party(),
                voting_power: 1,
                p2p_address: format!("/ip4/127.0.0.1/tcp/{port}"),
            });
            slots.push(Slot {
                name,
                dir: tempfile::tempdir().expect("temp dir"),
                port,
                reservation,
                node_seed: node_key(i).seed(),
                consensus_seed: Some(consensus_key(i).seed()),
                node: None,
                tamper: None,
            });
        }
        let genesis = GenesisFile {
            chain_id: g.chain_id,
            genesis_time_ms: g.genesis_time_ms,
            validators: entries,
            parties: g.parties,
            registrar_quorum: 1,
        };
        genesis.validate().expect("valid test genesis");
        TestNet { cast, genesis, slots, servers: Vec::new() }
    }

    /// Adds node `i = slots.len()`, not started: with `validator`, with a consensus key of its
    /// own that no set names yet (a validator to be, once a governance change adds it:
    /// [`TestNet::validator_info`]); without, an observer (no consensus key). Its peers are the
    /// genesis validators, as an operator's new node would have.
    pub fn add_node(&mut self, validator: bool) -> usize {
        let i = self.slots.len();
        let reservation = reserve_port();
        self.slots.push(Slot {
            name: format!("validator-{i}"),
            dir: tempfile::tempdir().expect("temp dir"),
            port: reservation.port(),
            reservation,
            node_seed: node_key(i).seed(),
            consensus_seed: validator.then(|| consensus_key(i).seed()),
            node: None,
            tamper: None,
        });
        i
    }

    /// What a governance change names to add node `i` as a validator run by `operator`.
    pub fn validator_info(&self, i: usize, operator: &Keypair) -> ValidatorInfo {
        ValidatorInfo {
            name: self.slots[i].name.clone(),
            operator: operator.party(),
            consensus_key: consensus_key(i).party(),
            node_key: node_key(i).party(),
            voting_power: 1,
            p2p_address: format!("/ip4/127.0.0.1/tcp/{}", self.slots[i].port),
        }
    }

    /// Makes validator `i` a Byzantine proposer from its next start.
    pub fn byzantine(mut self, i: usize, fault: Tamper) -> Self {
        self.slots[i].tamper = Some(fault);
        self
    }

    /// Starts validator `i` (again, on the same directory and port).
    pub async fn start(&mut self, i: usize) {
        let slot = &mut self.slots[i];
        assert!(slot.node.is_none(), "{} is running", slot.name);
        let config = test_config(&slot.name, slot.port, slot.dir.path());
        slot.reservation.release();
        let options = NodeOptions {
            config,
            genesis: self.genesis.clone(),
            node_key: Keypair::from_seed(slot.node_seed),
            consensus_key: slot.consensus_seed.map(Keypair::from_seed),
            tamper: slot.tamper,
        };
        slot.node = Some(Node::start(options).await.expect("node starts"));
    }

    pub async fn start_all(&mut self) {
        for i in 0..self.slots.len() {
            self.start(i).await;
        }
    }

    /// Writes validator `i`'s home (config.toml, genesis.json, node_key.json, consensus_key.json)
    /// for an `ebl-node
    /// run --home` process (its port is released for it); returns the home.
    pub fn write_home(&mut self, i: usize) -> std::path::PathBuf {
        let slot = &mut self.slots[i];
        slot.reservation.release();
        let home = slot.dir.path().to_path_buf();
        let config = test_config(&slot.name, slot.port, &home);
        std::fs::write(home.join("config.toml"), config.to_toml()).expect("write config");
        std::fs::write(home.join("genesis.json"), self.genesis.to_json()).expect("write genesis");
        let key_file = home.join("node_key.json");
        if !key_file.exists() {
            crate::keys::save(&Keypair::from_seed(slot.node_seed), &key_file).expect("write key");
        }
        let consensus_file = home.join("consensus_key.json");
        if let (Some(seed), false) = (slot.consensus_seed, consensus_file.exists()) {
            crate::keys::save(&Keypair::from_seed(seed), &consensus_file).expect("write key");
        }
        home
    }

    /// Stops validator `i`; its database stays.
    pub async fn stop(&mut self, i: usize) {
        if let Some(node) = self.slots[i].node.take() {
            node.stop().await;
        }
    }

    pub async fn stop_all(&mut self) {
        for i in 0..self.slots.len() {
            self.stop(i).await;
        }
    }

    pub fn node(&self, i: usize) -> &Node {
        self.slots[i].node.as_ref().expect("node is running")
    }

    /// The running validators.
    pub fn running(&self) -> Vec<usize> {
        (0..self.slots.len()).filter(|i| self.slots[*i].node.is_some()).collect()
    }

    /// Waits until every node of `nodes` has committed `height`.
    pub async fn wait_until_height(&self, nodes: &[usize], height: u64) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let tips: Vec<u64> = nodes.iter().map(|i| self.node(*i).tip().height).collect();
            if tips.iter().all(|t| *t >= height) {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "height {height} not reached: tips {tips:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until every node of `nodes` holds a receipt for each of `txs`.
    pub async fn wait_for_receipts(&self, nodes: &[usize], txs: &[TxId]) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let missing: Vec<usize> = nodes
                .iter()
                .map(|i| txs.iter().filter(|t| self.node(*i).receipt(t).is_none()).count())
                .collect();
            if missing.iter().all(|m| *m == 0) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "receipts still missing per node: {missing:?} (tips {:?})",
                nodes.iter().map(|i| self.node(*i).tip().height).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The receipt of `tx` on node `i`.
    pub fn receipt(&self, i: usize, tx: &TxId) -> Option<Receipt> {
        self.node(i).receipt(tx).map(|(_, r)| r)
    }

    /// Submits `tx` to node `i`; panics if it is not admitted.
    pub fn submit(&self, i: usize, tx: Transaction) -> TxId {
        self.node(i).submit(tx).expect("transaction admitted")
    }

    /// Asserts that the running `nodes` hold the same block hash, state root and certificate
    /// block hash at every height up to the lowest tip among them, each certificate proving its
    /// block final for the validator set of its height (the epochs of the ledger); returns that
    /// height.
    pub fn expect_same_state(&self, nodes: &[usize]) -> u64 {
        let top = nodes.iter().map(|i| self.node(*i).tip().height).min().unwrap_or(0);
        let state = ebl_ledger::StateTree::new(self.node(nodes[0]).storage().clone());
        let epochs = ebl_ledger::governance::read_epochs(&state).expect("the validator epochs");
        for h in 1..=top {
            let validators = ebl_ledger::governance::epoch_of_height(&epochs, h)
                .unwrap_or_else(|| panic!("no epoch runs height {h}"))
                .powers();
            let first = self.node(nodes[0]).block(h).expect("block stored");
            for i in nodes {
                let block = self.node(*i).block(h).expect("block stored");
                assert_eq!(block.hash(), first.hash(), "block {h} differs on node {i}");
                assert_eq!(block.header.state_root, first.header.state_root, "root {h} on node {i}");
                let cert = self.node(*i).certificate(h).expect("certificate stored");
                cert.verify(&self.genesis.chain_id, &validators, &block.header)
                    .unwrap_or_else(|e| panic!("certificate of {h} on node {i}: {e}"));
            }
        }
        top
    }

    /// The block hash each node of `nodes` holds at `height`.
    pub fn hashes_at(&self, nodes: &[usize], height: u64) -> Vec<Option<Hash>> {
        nodes.iter().map(|i| self.node(*i).block(height).map(|b| b.hash())).collect()
    }

    /// Serves validator `i`'s REST API on a free loopback port; returns its base URL. Request
    /// signatures must be made for that address (`127.0.0.1:<port>` or `localhost:<port>`), as
    /// a production node's on a specific address.
    pub async fn serve_api(&mut self, i: usize) -> String {
        self.serve_api_with(i, None).await
    }

    /// [`TestNet::serve_api`], answering signed requests made for `authorities` (`None`: for its
    /// own address), e.g. [`crate::api::OwnAuthorities::Any`] behind a proxy that passes the
    /// client's `Host` through and whose name is not known before the node is served.
    pub async fn serve_api_with(
        &mut self,
        i: usize,
        authorities: Option<crate::api::OwnAuthorities>,
    ) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind REST port");
        let addr = listener.local_addr().expect("local addr");
        let options = crate::api::ApiOptions {
            authorities: authorities.unwrap_or_else(|| crate::api::OwnAuthorities::of_listen_addr(addr)),
            ..test_api_options()
        };
        let app = crate::api::router(self.node(i).view(), options)
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let url = format!("http://{addr}");
        self.servers.push(tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        }));
        url
    }

    /// Stops every node.
    pub async fn shutdown(mut self) {
        for server in self.servers.drain(..) {
            server.abort();
        }
        self.stop_all().await;
    }
}
