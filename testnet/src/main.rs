//! `ebl-testnet`: run a local eBL Ledger network and abuse it.
//!
//! * `ebl-testnet up [--validators N]` creates a fresh network (a carrier, a bank, customs and a
//!   terminal by default), starts its `ebl-node` processes, tells the demo story, prints every
//!   node's REST address and keeps the network running until Ctrl-C (or `ebl-testnet down`).
//! * `status`, `stop N`, `start N`, `kill N`, `pause N`, `resume N`, `partition A B`, `heal`,
//!   `down` act on the running network from another terminal (N: a name such as `bank`, or an
//!   index; A and B: comma-separated lists).
//! * `ebl-testnet bench` measures a fresh network: committed transfers per second and latency,
//!   title-verification reads, a new node's sync, memory; then checks every submitted transfer
//!   (see `ebl_testnet::bench`). Build it with `--release` for figures worth quoting.
//! * `ebl-testnet replay` replays a stopped node's chain (or one saved with `--save`) on a new
//!   database and reports the time and CPU one validator spends per transaction, without network
//!   or consensus (see `ebl_testnet::replay`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use ebl_testnet::bench::BenchSpec;
use ebl_testnet::control::{self, ControlFile, Request, CONTROL_FILE, REPORT_INTERVAL};
use ebl_testnet::net::{find_node_binary, NetSpec, Testnet, START_TIMEOUT};
use ebl_testnet::report::{BenchReport, Machine};
use ebl_testnet::story;

/// The node's allocator (ADR 0011), so that `replay` measures block processing as a node does it
/// (and the load generator costs the shared machine less).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Add a validator by governance: its node is created and started (it syncs), its
    /// organisation registered, the change proposed by one operator and approved by the others;
    /// returns once the new set runs.
    AddValidator {
        name: String,
        /// The new organisation's roles on the ledger.
        #[arg(long = "role", value_parser = parse_role, default_value = "TERMINAL")]
        roles: Vec<ebl_ledger::Role>,
    },
    /// Remove a validator from the set by governance (its node keeps running: its votes no
    /// longer count).
    RemoveValidator { name: String },
    /// Add an observer: a node with no consensus key that the registrar lists, which syncs,
    /// verifies and serves the chain without voting.
    AddObserver { name: String },
    /// Benchmark fresh networks (one per run) and write report.json, report.md and latency.svg.
    Bench(BenchArgs),
    /// Replay a chain on a new database and report the time and CPU it took (validation and
    /// storage of one validator, without network or consensus).
    Replay {
        /// Read the chain of this stopped node's home: its genesis.json and data/ (e.g. a run
        /// kept by `bench --keep`).
        #[arg(long, conflicts_with = "chain", required_unless_present = "chain")]
        home: Option<PathBuf>,
        /// Read the chain saved by `--save` instead (it replays on builds of another storage
        /// layout).
        #[arg(long)]
        chain: Option<PathBuf>,
        /// Save the chain read to this file.
        #[arg(long)]
        save: Option<PathBuf>,
        /// Where the new database is written (must not exist, or be empty); without it, the
        /// chain is only saved.
        #[arg(long, required_unless_present = "save")]
        into: Option<PathBuf>,
        /// Replay only up to this height.
        #[arg(long)]
        blocks: Option<u64>,
        /// Start the clock at this height: the blocks below it are replayed first, untimed.
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
struct BenchArgs {
    #[arg(long, default_value_t = 4)]
    validators: usize,
    /// Offered transfers per second (open loop); without it the load saturates the network.
    #[arg(long)]
    rate: Option<f64>,
    /// Saturating: at most this many transfers submitted and not yet committed.
    #[arg(long, default_value_t = 20_000)]
    outstanding: usize,
    /// Saturating: pre-sign enough transfers for this rate over warm-up and window.
    #[arg(long, default_value_t = 12_000.0)]
    presign_rate: f64,
    /// Pairs of traders passing BLs between them.
    #[arg(long, default_value_t = 200)]
    lanes: usize,
    /// Seconds between two transfers of one BL (sets the BLs per lane).
    #[arg(long, default_value_t = 3.0)]
    gap_s: f64,
    /// Issue at least this many BLs before the window (e.g. 1000000 to measure memory at DESIGN
    /// §9's 1 M BLs); by default as many as --gap-s needs.
    #[arg(long, default_value_t = 0)]
    bls: usize,
    #[arg(long, default_value_t = 10.0)]
    warmup_s: f64,
    #[arg(long, default_value_t = 60.0)]
    window_s: f64,
    /// Wait this long after the window for the last transfers to commit.
    #[arg(long, default_value_t = 30.0)]
    drain_s: f64,
    /// Seconds of title-verification reads on one node (0 skips them).
    #[arg(long, default_value_t = 10.0)]
    reads_s: f64,
    #[arg(long, default_value_t = 64)]
    read_concurrency: usize,
    /// Skip the new-node sync measurement.
    #[arg(long)]
    no_sync: bool,
    /// Independent runs, each on a fresh network (min/median/max are taken over them).
    #[arg(long, default_value_t = 1)]
    runs: usize,
    /// Where the report goes (default: <dir>/report).
    #[arg(long)]
    out: Option<PathBuf>,
    /// A few seconds at a low rate: that the benchmark works, not how fast anything is.
    #[arg(long)]
    smoke: bool,
    /// Keep each run's network (homes, databases, logs) instead of deleting it.
    #[arg(long)]
    keep: bool,
    /// No progress output.
    #[arg(long)]
    quiet: bool,
    /// Run nothing: write report.md and latency.svg again from this report.json (into --out,
    /// default beside it).
    #[arg(long)]
    render: Option<PathBuf>,
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
            Command::AddValidator { name, roles } => Request::AddValidator { name, roles },
            Command::RemoveValidator { name } => Request::RemoveValidator { name },
            Command::AddObserver { name } => Request::AddObserver { name },
            Command::Bench(args) => return bench(&cli.dir, args).await,
            Command::Replay { home, chain, save, into, blocks, from, json } => {
                let source = ChainSource { home, saved: chain, save, blocks };
                return tokio::task::spawn_blocking(move || replay(source, into, from, json)).await?;
            }
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

/// Where `replay` reads its chain, and whether it saves it.
struct ChainSource {
    home: Option<PathBuf>,
    saved: Option<PathBuf>,
    save: Option<PathBuf>,
    blocks: Option<u64>,
}

fn replay(source: ChainSource, into: Option<PathBuf>, from: u64, json: bool) -> Result<()> {
    use ebl_testnet::replay::Chain;
    let chain = match (source.home, source.saved) {
        (Some(home), _) => Chain::read_node(&home, source.blocks)?,
        (None, Some(file)) => Chain::load(&file, source.blocks)?,
        (None, None) => anyhow::bail!("give --home or --chain"),
    };
    if let Some(file) = source.save {
        chain.save(&file)?;
        println!("saved {} blocks to {}", chain.blocks.len(), file.display());
    }
    let Some(into) = into else { return Ok(()) };
    let figures = ebl_testnet::replay::replay(chain, &into, from)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&figures)?);
    } else {
        println!("{figures}");
    }
    Ok(())
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
    println!("every validator is up and the chain is growing");
    println!(
        "web portal: {}/ (verify a BL; sign in with a key of {}/parties/*.pem to act as that party)\n",
        net.node(0).url(),
        dir.display()
    );

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

async fn bench(dir: &Path, a: BenchArgs) -> Result<()> {
    if let Some(json) = &a.render {
        let text = std::fs::read_to_string(json).with_context(|| format!("reading {}", json.display()))?;
        let mut report: BenchReport = serde_json::from_str(&text)?;
        report.summarise();
        let out = a.out.clone().or_else(|| json.parent().map(Path::to_path_buf)).unwrap_or_default();
        write_report(&out, &report)?;
        println!("report: {}", out.display());
        return Ok(());
    }
    let secs = |value: f64, flag: &str| {
        Duration::try_from_secs_f64(value)
            .map_err(|_| anyhow::anyhow!("--{flag} must be a number of seconds ≥ 0, not {value}"))
    };
    let positive = |value: f64, flag: &str| {
        if value.is_finite() && value > 0.0 {
            Ok(value)
        } else {
            Err(anyhow::anyhow!("--{flag} must be a positive number, not {value}"))
        }
    };
    if a.window_s <= 0.0 || a.outstanding == 0 || a.lanes == 0 || a.validators == 0 {
        bail!("--window-s, --outstanding, --lanes and --validators must be above zero");
    }
    let mut spec = BenchSpec {
        validators: a.validators,
        rate: a.rate.map(|r| positive(r, "rate")).transpose()?,
        outstanding: a.outstanding,
        presign_rate: positive(a.presign_rate, "presign-rate")?,
        lanes: a.lanes,
        gap: secs(a.gap_s, "gap-s")?,
        bls_min: a.bls,
        warmup: secs(a.warmup_s, "warmup-s")?,
        window: secs(a.window_s, "window-s")?,
        drain: secs(a.drain_s, "drain-s")?,
        reads: secs(a.reads_s, "reads-s")?,
        read_concurrency: a.read_concurrency,
        sync: !a.no_sync,
        node_bin: find_node_binary()?,
        progress: !a.quiet,
    };
    if a.smoke {
        spec = BenchSpec {
            rate: Some(spec.rate.unwrap_or(200.0)),
            lanes: 8,
            gap: Duration::from_secs(2),
            warmup: Duration::from_secs(1),
            window: Duration::from_secs(3),
            drain: Duration::from_secs(20),
            reads: Duration::from_secs(1),
            read_concurrency: 4,
            ..spec
        };
    }
    let out = a.out.unwrap_or_else(|| dir.join("report"));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut report = BenchReport {
        command: std::env::args().collect::<Vec<_>>().join(" "),
        started: now_utc(),
        machine: Machine::probe(),
        ..BenchReport::default()
    };
    for run in 1..=a.runs.max(1) {
        let run_dir = dir.join(format!("bench-run-{run}"));
        if run_dir.exists() {
            std::fs::remove_dir_all(&run_dir).with_context(|| format!("removing {}", run_dir.display()))?;
        }
        if !a.quiet {
            eprintln!("== run {run} of {} in {}", a.runs.max(1), run_dir.display());
        }
        let result = ebl_testnet::bench::run(&run_dir, &spec, run).await;
        if !a.keep {
            let _ = std::fs::remove_dir_all(&run_dir);
        }
        let result = result.with_context(|| format!("benchmark run {run}"))?;
        report.runs.push(result);
        report.summarise();
        write_report(&out, &report)?;
    }
    let md = report.markdown("latency.svg");
    println!("{md}");
    println!("report: {}", out.display());
    if let Some(bad) = report.runs.iter().find(|r| !r.correct()) {
        bail!("run {} failed its correctness check: {:?}", bad.run, bad.check.error);
    }
    Ok(())
}

/// report.json, report.md and its plot latency.svg, into `out`.
fn write_report(out: &Path, report: &BenchReport) -> Result<()> {
    std::fs::write(out.join("report.json"), serde_json::to_string_pretty(report)?)?;
    std::fs::write(out.join("report.md"), report.markdown("latency.svg"))?;
    std::fs::write(out.join("latency.svg"), report.svg())?;
    Ok(())
}

/// The date and time, for the report's header.
fn now_utc() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
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
        "Keys: organisations' in {dir}/<name>/operator_key.json (PEM copies in {dir}/parties/<name>.pem); traders' and the haulier's in {dir}/parties/*.pem"
    );
    let customs = net.nodes().get(2).unwrap_or(&net.nodes()[0]);
    let what = bl.map(|bl| format!("verify {bl}")).unwrap_or_else(|| "status".into());
    println!(
        "Act as a party with the CLI, e.g. verify the title as customs (proof checked on your machine):"
    );
    println!(
        "  {ebl} --node {} --key {}/operator_key.json --genesis {} {what}",
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

/// A ledger role by its name (`TERMINAL`, `bank`, …).
fn parse_role(text: &str) -> Result<ebl_ledger::Role, String> {
    serde_json::from_value(serde_json::Value::String(text.trim().to_uppercase())).map_err(|_| {
        format!("unknown role {text:?} (CARRIER, BANK, CUSTOMS, TERMINAL, TRADER, HAULIER, REGISTRAR)")
    })
}
