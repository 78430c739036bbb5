//! `ebl-testnet`: run a local eBL Ledger network and abuse it.
//!
//! * `ebl-testnet up [--validators N]` creates a fresh network (a carrier, a bank, customs and a
//!   terminal by default), starts its `ebl-node` processes, tells the demo story, prints every
//!   node's REST address and keeps the network running until Ctrl-C (or `ebl-testnet down`).
//! * `status`, `stop N`, `start N`, `kill N`, `pause N`, `resume N`, `partition A B`, `heal`,
//!   `down` act on the running network from another terminal (N: a name such as `bank`, or an
//!   index; A and B: comma-separated lists).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use ebl_testnet::control::{self, ControlFile, Request, CONTROL_FILE, REPORT_INTERVAL};
use ebl_testnet::net::{find_node_binary, NetSpec, Testnet, START_TIMEOUT};
use ebl_testnet::story;

#[derive(Parser)]
#[command(name = "ebl-testnet", version, about = "A local eBL Ledger network: run it, watch it, break it")]
struct Cli {
    /// Where the network lives: node homes, RocksDB directories, logs, party keys.
    #[arg(long, global = true, default_value = ".testnet", env = "EBL_TESTNET_DIR")]
    dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a fresh network, start it, run the demo and keep it running until Ctrl-C.
    Up {
        #[arg(long, default_value_t = 4)]
        validators: usize,
        /// Validator i listens for peers on BASE+i and serves REST on BASE+100+i; 0 picks free ports.
        #[arg(long, default_value_t = 27400)]
        base_port: u16,
        /// Skip the demo story.
        #[arg(long)]
        no_demo: bool,
        /// Stop once the demo is told, instead of running until Ctrl-C.
        #[arg(long)]
        exit_after_demo: bool,
    },
    /// Each validator's process state, height and REST address; the cut links.
    Status,
    /// Stop a validator cleanly (SIGTERM).
    Stop { node: String },
    /// Start a stopped validator on its existing data.
    Start { node: String },
    /// Kill a validator with SIGKILL.
    Kill { node: String },
    /// Freeze a validator (SIGSTOP).
    Pause { node: String },
    /// Thaw a frozen validator (SIGCONT).
    Resume { node: String },
    /// Cut every link between side A and side B, e.g. `partition carrier,bank customs,terminal`.
    Partition { a: String, b: String },
    /// Restore every link.
    Heal,
    /// Stop every validator and the network.
    Down,
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    runtime.block_on(async move {
        let request = match cli.command {
            Command::Up { validators, base_port, no_demo, exit_after_demo } => {
                return up(&cli.dir, validators, base_port, !no_demo, exit_after_demo).await
            }
            Command::Status => Request::Status,
            Command::Stop { node } => Request::Stop { node },
            Command::Start { node } => Request::Start { node },
            Command::Kill { node } => Request::Kill { node },
            Command::Pause { node } => Request::Pause { node },
            Command::Resume { node } => Request::Resume { node },
            Command::Partition { a, b } => Request::Partition { a: vec![a], b: vec![b] },
            Command::Heal => Request::Heal,
            Command::Down => Request::Down,
        };
        let response = control::send(&cli.dir, &request).await?;
        print!("{}", response.text);
        if !response.text.ends_with('\n') {
            println!();
        }
        if !response.ok {
            std::process::exit(1);
        }
        Ok(())
    })
}

async fn up(dir: &Path, validators: usize, base_port: u16, demo: bool, exit_after_demo: bool) -> Result<()> {
    if let Ok(response) = control::send(dir, &Request::Status).await {
        bail!(
            "a network is running in {} already:\n{}(stop it with `ebl-testnet down`)",
            dir.display(),
            response.text
        );
    }
    if dir.exists() {
        println!("removing the previous network in {}", dir.display());
        std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    let node_bin = find_node_binary()?;
    let mut spec = NetSpec::new(validators, node_bin);
    spec.base_port = (base_port != 0).then_some(base_port);
    if let Ok(filter) = std::env::var("EBL_NODE_LOG") {
        spec.log_filter = filter;
    }
    let mut net = Testnet::create(dir, spec).await?;
    println!("{} validators on 127.0.0.1, chain {}, in {}:", net.len(), net.chain_id(), net.dir().display());
    for node in net.nodes() {
        println!("  {:<9} {:<18} party {}  REST {}", node.name, node.roles, node.party.short(), node.url());
    }
    net.start_all()?;
    for i in 0..net.len() {
        net.wait_ready(i, START_TIMEOUT).await?;
    }
    let all: Vec<usize> = (0..net.len()).collect();
    net.wait_for_height(&all, 1, START_TIMEOUT).await?;
    println!("every validator is up and the chain is growing\n");

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let control = ControlFile { port: listener.local_addr()?.port(), pid: std::process::id() };
    std::fs::write(net.dir().join(CONTROL_FILE), serde_json::to_string(&control)?)?;

    let mut bl = None;
    if demo {
        println!("The demo: a bill of lading from issue to empty container return\n");
        let outcome = story::run(&net, &mut |line| println!("{line}")).await;
        match outcome {
            Ok(demo) => {
                println!("\nDemo done: {} steps, BL {}\n", demo.steps.len(), demo.bl);
                bl = Some(demo.bl);
            }
            Err(e) => {
                eprintln!("the demo failed: {e:#}");
                let _ = net.stop_all().await;
                let _ = std::fs::remove_file(net.dir().join(CONTROL_FILE));
                std::process::exit(1);
            }
        }
    }
    print_guide(&net, bl);
    if exit_after_demo {
        return shut_down(&mut net).await;
    }

    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut report = tokio::time::interval(REPORT_INTERVAL);
    report.tick().await;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = terminate.recv() => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                match control::serve_one(&mut net, stream).await {
                    Ok(true) => break,
                    Ok(false) => {}
                    Err(e) => eprintln!("control: {e:#}"),
                }
            }
            _ = report.tick() => {
                let mut line = String::from("heights:");
                for i in 0..net.len() {
                    let h = net.height(i).await.map(|h| h.to_string()).unwrap_or_else(|| "-".into());
                    line.push_str(&format!(" {}={h}", net.node(i).name));
                }
                println!("{line}");
            }
        }
    }
    shut_down(&mut net).await
}

async fn shut_down(net: &mut Testnet) -> Result<()> {
    println!("stopping the validators…");
    let result = net.stop_all().await;
    let _ = std::fs::remove_file(net.dir().join(CONTROL_FILE));
    println!("stopped; data and logs stay in {}", net.dir().display());
    result
}

fn print_guide(net: &Testnet, bl: Option<ebl_ledger::BlId>) {
    let me =
        std::env::current_exe().map(|p| p.display().to_string()).unwrap_or_else(|_| "ebl-testnet".into());
    let dir = net.dir().display();
    let ebl = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("ebl")))
        .filter(|p| p.is_file())
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "ebl".into());
    println!("The network keeps running. Each node:");
    for node in net.nodes() {
        println!(
            "  {:<9} {}  (curl {}/v1/status; log {})",
            node.name,
            node.url(),
            node.url(),
            node.log_file().display()
        );
    }
    println!(
        "Keys: validators' in {dir}/<name>/node_key.json; traders' and the haulier's in {dir}/parties/*.pem"
    );
    let customs = net.nodes().get(2).unwrap_or(&net.nodes()[0]);
    let what = bl.map(|bl| format!("verify {bl}")).unwrap_or_else(|| "status".into());
    println!(
        "Act as a party with the CLI, e.g. verify the title as customs (proof checked on your machine):"
    );
    println!(
        "  {ebl} --node {} --key {}/node_key.json --genesis {} {what}",
        customs.url(),
        customs.home.display(),
        net.genesis_file().display()
    );
    println!("Break it from another terminal:");
    for cmd in [
        "status",
        "kill bank",
        "start bank",
        "pause customs",
        "resume customs",
        "partition carrier,bank customs,terminal",
        "heal",
        "down",
    ] {
        println!("  {me} --dir {dir} {cmd}");
    }
    println!("Ctrl-C stops the network.");
}
