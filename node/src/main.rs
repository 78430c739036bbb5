//! `ebl-node`: the eBL Ledger validator.
//!
//! * `ebl-node init --home DIR --moniker NAME` creates a key and a configuration.
//! * `ebl-node inspect --home DIR` opens the database, checks its invariants and prints the tip.
//!
//! `ebl-node run` arrives with consensus (Malachite) and networking.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use ebl_node::app::App;
use ebl_node::config::NodeConfig;
use ebl_node::genesis::GenesisFile;
use ebl_node::keys;
use ebl_node::storage::Storage;

#[derive(Parser)]
#[command(name = "ebl-node", version, about = "eBL Ledger validator node")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a node home: a new validator key (node_key.json) and a configuration (config.toml).
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
    },
    /// Open the node's database, check its invariants and print the committed tip.
    Inspect {
        #[arg(long, env = "EBL_HOME")]
        home: PathBuf,
    },
}

fn main() -> Result<()> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    match Cli::parse().command {
        Command::Init { home, moniker, p2p_listen, rpc_listen, genesis } => {
            init(&home, &moniker, &p2p_listen, &rpc_listen, genesis.as_deref())
        }
        Command::Inspect { home } => inspect(&home),
    }
}

fn init(
    home: &Path,
    moniker: &str,
    p2p_listen: &str,
    rpc_listen: &str,
    genesis: Option<&Path>,
) -> Result<()> {
    let config_path = home.join("config.toml");
    if config_path.exists() {
        bail!("{} exists already: this home is initialised", config_path.display());
    }
    std::fs::create_dir_all(home).with_context(|| format!("creating {}", home.display()))?;
    let config = NodeConfig::new(moniker, p2p_listen, rpc_listen);
    let key = keys::generate()?;
    keys::save(&key, &home.join(&config.node.key_file))?;
    if let Some(genesis) = genesis {
        let file = GenesisFile::load(genesis)?;
        std::fs::write(home.join(&config.node.genesis_file), file.to_json())?;
    }
    std::fs::write(&config_path, config.to_toml())?;
    println!("initialised {} in {}", moniker, home.display());
    println!("validator key: {}", key.party());
    Ok(())
}

fn inspect(home: &Path) -> Result<()> {
    let config = NodeConfig::load(&home.join("config.toml"), std::env::vars())?;
    let genesis = GenesisFile::load(&config.node.genesis_file)?;
    let storage = Storage::open(&config.node.data_dir)
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
