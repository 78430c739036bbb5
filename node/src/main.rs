//! `ebl-node`: the eBL Ledger validator.
//!
//! * `ebl-node init --home DIR --moniker NAME` creates a key and a configuration.
//! * `ebl-node inspect --home DIR` opens the database, checks its invariants and prints the tip.
//!
//! * `ebl-node run --home DIR` runs the validator until Ctrl-C (or SIGTERM); it exits non-zero if
//!   the consensus engine stops by itself, so that a supervisor restarts it.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use ebl_ledger::action::{ExternalCodes, RegisterParty};
use ebl_ledger::{Role, RoleSet};
use ebl_node::app::App;
use ebl_node::config::NodeConfig;
use ebl_node::genesis::{GenesisFile, ValidatorInfo};
use ebl_node::keys;
use ebl_node::storage::Storage;

/// mimalloc for Rust's allocations instead of the C library's: a validator allocates and frees
/// every transaction, receipt, tree node and encoded key of each block on several threads at
/// once, and glibc's `malloc`/`free` took 14 % of a loaded machine (ADR 0011: +22 % committed
/// transfers per second, −25 % peak memory).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "ebl-node", version, about = "eBL Ledger validator node")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a node home: three new keys — the node key (node_key.json, its libp2p identity),
    /// the consensus key (consensus_key.json, signs votes; not with --observer) and the operator
    /// key (operator_key.json, the organisation's party: signs governance transactions; keep it
    /// off the node once the network runs) — and a configuration (config.toml).
    Init {
        /// The node's home directory.
        #[arg(long, env = "EBL_HOME")]
        home: PathBuf,
        /// A human name for the node.
        #[arg(long)]
        moniker: String,
        #[arg(long, default_value = "/ip4/127.0.0.1/tcp/27000")]
        p2p_listen: String,
        #[arg(long, default_value = "127.0.0.1:8080")]
        rpc_listen: String,
        /// A genesis file to copy into the home.
        #[arg(long)]
        genesis: Option<PathBuf>,
        /// An observer: no consensus key; it follows, verifies and serves the chain, never votes.
        #[arg(long)]
        observer: bool,
    },
    /// Run the node: open the database, join the network, take part in consensus.
    Run {
        #[arg(long, env = "EBL_HOME")]
        home: PathBuf,
    },
    /// Write the genesis of a new network into each validator's home: every `--validator` home
    /// (made by `init`) becomes a validator of power 1, and its operator a registered party with
    /// the roles given.
    Genesis {
        /// The network's chain id; transactions signed for another chain are refused.
        #[arg(long)]
        chain_id: String,
        /// `HOME:ROLE[,ROLE…]`, e.g. `./carrier:CARRIER,REGISTRAR` (roles: CARRIER, BANK, CUSTOMS,
        /// TERMINAL, TRADER, HAULIER, REGISTRAR).
        #[arg(long = "validator", required = true)]
        validators: Vec<String>,
        /// How many distinct registrars must sign each registrar action (M of N; 1 for a demo).
        #[arg(long, default_value_t = 1)]
        registrar_quorum: u32,
    },
    /// Open the node's database, check its invariants and print the committed tip.
    Inspect {
        #[arg(long, env = "EBL_HOME")]
        home: PathBuf,
    },
}

/// Where `init` writes the operator's key, beside the configuration.
const OPERATOR_KEY_FILE: &str = "operator_key.json";

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Init { home, moniker, p2p_listen, rpc_listen, genesis, observer } => {
            init(&home, &moniker, &p2p_listen, &rpc_listen, genesis.as_deref(), observer)
        }
        Command::Inspect { home } => inspect(&home),
        Command::Run { home } => run(&home),
        Command::Genesis { chain_id, validators, registrar_quorum } => {
            genesis(&chain_id, &validators, registrar_quorum)
        }
    }
}

fn init(
    home: &Path,
    moniker: &str,
    p2p_listen: &str,
    rpc_listen: &str,
    genesis: Option<&Path>,
    observer: bool,
) -> Result<()> {
    let config_path = home.join("config.toml");
    if config_path.exists() {
        bail!("{} exists already: this home is initialised", config_path.display());
    }
    std::fs::create_dir_all(home).with_context(|| format!("creating {}", home.display()))?;
    let mut config = NodeConfig::new(moniker, p2p_listen, rpc_listen);
    let node_key = keys::generate()?;
    keys::save(&node_key, &home.join(&config.node.key_file))?;
    let operator = keys::generate()?;
    keys::save(&operator, &home.join(OPERATOR_KEY_FILE))?;
    let consensus = if observer {
        config.node.consensus_key_file = None;
        None
    } else {
        let key = keys::generate()?;
        let path = config.node.consensus_key_file.clone().unwrap_or_else(|| "consensus_key.json".into());
        keys::save(&key, &home.join(path))?;
        Some(key)
    };
    if let Some(genesis) = genesis {
        let file = GenesisFile::load(genesis)?;
        std::fs::write(home.join(&config.node.genesis_file), file.to_json())?;
    }
    std::fs::write(&config_path, config.to_toml())?;
    println!("initialised {} in {}", moniker, home.display());
    println!("node key:      {}", node_key.party());
    match &consensus {
        Some(key) => println!("consensus key: {}", key.party()),
        None => println!("consensus key: none (an observer)"),
    }
    println!("operator key:  {} ({})", operator.party(), home.join(OPERATOR_KEY_FILE).display());
    Ok(())
}

fn inspect(home: &Path) -> Result<()> {
    let config = NodeConfig::load(&home.join("config.toml"), std::env::vars())?;
    let genesis = GenesisFile::load(&config.node.genesis_file)?;
    let storage = Storage::open_with(&config.node.data_dir, &config.storage_options())
        .with_context(|| format!("opening {}", config.node.data_dir.display()))?;
    let app = App::open(storage, &genesis)?;
    let tip = app.tip();
    println!("chain      {}", app.chain_id());
    println!("genesis    {}", genesis.hash());
    println!("height     {}", tip.height);
    println!("block      {}", tip.block_hash);
    println!("state root {}", tip.state_root);
    Ok(())
}

fn run(home: &Path) -> Result<()> {
    ebl_node::node::run_home(home, "ebl-node", None)
}

fn genesis(chain_id: &str, validators: &[String], registrar_quorum: u32) -> Result<()> {
    let mut homes = Vec::new();
    let mut entries = Vec::new();
    let mut parties = Vec::new();
    for spec in validators {
        let (home, roles) = spec
            .rsplit_once(':')
            .with_context(|| format!("--validator {spec:?}: expected HOME:ROLE[,ROLE…]"))?;
        let roles = roles
            .split(',')
            .map(|r| {
                serde_json::from_value::<Role>(serde_json::Value::String(r.trim().to_uppercase()))
                    .with_context(|| format!("unknown role {r:?}"))
            })
            .collect::<Result<Vec<Role>>>()?;
        let home = PathBuf::from(home);
        let config = NodeConfig::load(&home.join("config.toml"), std::env::vars()).with_context(|| {
            format!("reading the configuration in {} (run `ebl-node init` first)", home.display())
        })?;
        let node_key = keys::load(&config.node.key_file)?;
        let consensus_file = config
            .node
            .consensus_key_file
            .as_deref()
            .with_context(|| format!("{} is an observer (no consensus key)", home.display()))?;
        let consensus_key = keys::load(consensus_file)?;
        let operator = keys::load(&home.join(OPERATOR_KEY_FILE))?;
        entries.push(ValidatorInfo {
            name: config.node.moniker.clone(),
            operator: operator.party(),
            consensus_key: consensus_key.party(),
            node_key: node_key.party(),
            voting_power: 1,
            p2p_address: config.p2p.listen_addr.clone(),
        });
        parties.push(RegisterParty {
            party: operator.party(),
            legal_name: config.node.moniker.clone(),
            roles: RoleSet::of(&roles),
            codes: ExternalCodes::default(),
        });
        homes.push(config.node.genesis_file.clone());
    }
    let file = GenesisFile {
        chain_id: chain_id.into(),
        genesis_time_ms: ebl_node::consensus::driver::now_ms(),
        validators: entries,
        parties,
        registrar_quorum,
    };
    file.validate()?;
    for path in &homes {
        if path.exists() {
            bail!("{} exists already: refusing to replace a network's genesis", path.display());
        }
    }
    for path in &homes {
        std::fs::write(path, file.to_json()).with_context(|| format!("writing {}", path.display()))?;
    }
    println!("genesis of {chain_id} ({} validators) written; its hash is {}", homes.len(), file.hash());
    Ok(())
}
