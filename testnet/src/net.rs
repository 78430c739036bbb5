//! A local network: validator homes made by `ebl-node init` and `ebl-node genesis`, one
//! `ebl-node run` process per validator with its own RocksDB directory and log file, links routed
//! through [`Relays`], and the controls a fault test needs (stop, SIGKILL, SIGSTOP/SIGCONT,
//! partition, wipe).

use std::fs::OpenOptions;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ebl_client::Client;
use ebl_ledger::{Keypair, PartyId};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize};

use ebl_node::ports::PortReservation;

use crate::relay::Relays;

/// The organisations of the default network, with their ledger roles.
pub const ORGANISATIONS: [(&str, &str); 4] =
    [("carrier", "CARRIER,REGISTRAR"), ("bank", "BANK"), ("customs", "CUSTOMS"), ("terminal", "TERMINAL")];

/// How long a node has to answer `/v1/status` after it is started.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a node has to exit after SIGTERM before it is killed.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// The name and roles of validator `i` of a network of any size: the four organisations, then
/// more of each (`carrier2`, `bank2`, …).
pub fn organisation(i: usize) -> (String, &'static str) {
    let (name, roles) = ORGANISATIONS[i % ORGANISATIONS.len()];
    let round = i / ORGANISATIONS.len();
    let name = if round == 0 { name.to_string() } else { format!("{name}{}", round + 1) };
    (name, roles)
}

/// How to lay a network out.
#[derive(Debug, Clone)]
pub struct NetSpec {
    pub validators: usize,
    pub chain_id: String,
    /// Validator `i` listens for peers on `base_port + i` and serves REST on `base_port + 100 + i`;
    /// `None` picks free ports (tests).
    pub base_port: Option<u16>,
    /// The `ebl-node` binary.
    pub node_bin: PathBuf,
    /// `RUST_LOG` of the node processes.
    pub log_filter: String,
    /// Keep the request rate limits a real deployment gets (`ebl-node init`'s defaults, per
    /// party and per client address). By default a local network switches them off, since
    /// every client of it — the load generator included — comes from 127.0.0.1; the attack
    /// suite (`tests/attacks`) keeps them, and sends its attackers from other loopback
    /// addresses.
    pub production_limits: bool,
}

impl NetSpec {
    pub fn new(validators: usize, node_bin: PathBuf) -> Self {
        NetSpec {
            validators,
            chain_id: "ebl-testnet-1".into(),
            base_port: None,
            node_bin,
            log_filter: "ebl_node=info".into(),
            production_limits: false,
        }
    }
}

/// What `testnet.json` records of a validator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeInfo {
    pub name: String,
    pub roles: String,
    /// The organisation's party (the validator's operator): its business key.
    pub party: PartyId,
    /// The node key (libp2p identity), a key of its own; the consensus key is a third.
    pub node_id: PartyId,
    pub home: PathBuf,
    pub p2p_port: u16,
    pub rpc_port: u16,
}

impl NodeInfo {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.rpc_port)
    }
    /// The organisation's party key (`ebl-node init` writes it beside the node's keys).
    pub fn key_file(&self) -> PathBuf {
        self.home.join("operator_key.json")
    }
    pub fn log_file(&self) -> PathBuf {
        self.home.join("node.log")
    }
    pub fn data_dir(&self) -> PathBuf {
        self.home.join("data")
    }
}

/// Where a node process stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NodeState {
    Running,
    Paused,
    Stopped,
    /// The process ended by itself.
    Exited,
}

struct Process {
    child: Child,
    paused: bool,
}

/// A running (or stopped) local network. Dropping it kills every node process it started.
pub struct Testnet {
    dir: PathBuf,
    spec: NetSpec,
    nodes: Vec<NodeInfo>,
    processes: Vec<Option<Process>>,
    relays: Relays,
    /// Ports picked for validator `i` (tests' networks), held until its process first starts.
    reservations: Vec<Vec<PortReservation>>,
}

impl std::fmt::Debug for Testnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Testnet").field("dir", &self.dir).field("nodes", &self.nodes).finish()
    }
}

fn run_node_tool(bin: &Path, args: &[String]) -> Result<()> {
    let output =
        Command::new(bin).args(args).env_remove("EBL_HOME").output().with_context(|| {
            format!("running {} (build it with `cargo build -p ebl-node`)", bin.display())
        })?;
    if !output.status.success() {
        bail!("ebl-node {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(())
}

impl Testnet {
    /// Creates the network in `dir` (which must not hold one yet): keys, configurations and the
    /// common genesis, made by the `ebl-node` binary itself; then binds the relays and points
    /// every validator's peer addresses at them. No process is started.
    pub async fn create(dir: &Path, spec: NetSpec) -> Result<Self> {
        if spec.validators == 0 {
            bail!("a network needs at least one validator");
        }
        if dir.join("testnet.json").exists() {
            bail!("{} holds a network already (remove it, or use `ebl-testnet down --clean`)", dir.display());
        }
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = dir.canonicalize()?;
        let mut nodes = Vec::new();
        let mut specs = Vec::new();
        let parties = dir.join("parties");
        std::fs::create_dir_all(&parties)?;
        let mut reservations = Vec::new();
        for i in 0..spec.validators {
            let (name, roles) = organisation(i);
            let (p2p_port, rpc_port) = match spec.base_port {
                Some(base) => (base + i as u16, base + 100 + i as u16),
                None => {
                    let held = vec![PortReservation::new()?, PortReservation::new()?];
                    let ports = (held[0].port(), held[1].port());
                    reservations.push(held);
                    ports
                }
            };
            let home = dir.join(&name);
            run_node_tool(
                &spec.node_bin,
                &[
                    "init".into(),
                    "--home".into(),
                    home.display().to_string(),
                    "--moniker".into(),
                    name.clone(),
                    "--p2p-listen".into(),
                    format!("/ip4/127.0.0.1/tcp/{p2p_port}"),
                    "--rpc-listen".into(),
                    format!("127.0.0.1:{rpc_port}"),
                ],
            )?;
            let key = ebl_client::keys::load(&home.join("operator_key.json"))?;
            let node_id = ebl_client::keys::load(&home.join("node_key.json"))?.party();
            // A PEM copy of the organisation's party key, to sign in to the web portal as it.
            let pem = parties.join(format!("{name}.pem"));
            if !pem.exists() {
                ebl_client::keys::save_pem(&key, &pem)?;
            }
            let party = key.party();
            specs.push(format!("{}:{roles}", home.display()));
            nodes.push(NodeInfo { name, roles: roles.into(), party, node_id, home, p2p_port, rpc_port });
        }
        let mut args = vec!["genesis".to_string(), "--chain-id".into(), spec.chain_id.clone()];
        for s in specs {
            args.extend(["--validator".into(), s]);
        }
        run_node_tool(&spec.node_bin, &args)?;

        let targets: Vec<SocketAddr> =
            nodes.iter().map(|n| SocketAddr::from(([127, 0, 0, 1], n.p2p_port))).collect();
        let relays = Relays::start(&targets).await.context("binding the relays")?;
        for (i, node) in nodes.iter().enumerate() {
            let mut peers = Vec::new();
            for (j, other) in nodes.iter().enumerate().filter(|(j, _)| *j != i) {
                let peer = peer_id(&other.node_id)?;
                peers.push(format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer}", relays.port(i, j)));
            }
            route_through_relays(&node.home.join("config.toml"), &peers, spec.production_limits)?;
        }
        let processes = nodes.iter().map(|_| None).collect();
        let net = Testnet { dir, spec, nodes, processes, relays, reservations };
        std::fs::write(net.dir.join("testnet.json"), serde_json::to_string_pretty(&net.nodes)?)?;
        Ok(net)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub fn len(&self) -> usize {
        self.nodes.len()
    }
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }
    pub fn nodes(&self) -> &[NodeInfo] {
        &self.nodes
    }
    pub fn node(&self, i: usize) -> &NodeInfo {
        &self.nodes[i]
    }
    pub fn chain_id(&self) -> &str {
        &self.spec.chain_id
    }
    pub fn relays(&self) -> &Relays {
        &self.relays
    }
    /// The genesis file every node loaded.
    pub fn genesis_file(&self) -> PathBuf {
        self.nodes[0].home.join("genesis.json")
    }
    /// The party key of validator `i`'s organisation.
    pub fn key(&self, i: usize) -> Result<Keypair> {
        Ok(ebl_client::keys::load(&self.nodes[i].key_file())?)
    }
    /// A client of node `i`, signing with `key`.
    pub fn client(&self, i: usize, key: Option<Keypair>) -> Result<Client> {
        let client = Client::new(self.nodes[i].url(), self.spec.chain_id.clone())?;
        Ok(match key {
            Some(key) => client.with_key(key),
            None => client,
        })
    }

    /// Creates node `name` (`ebl-node init` with the network's genesis: three keys of its own) on
    /// free ports, not started; it dials the genesis validators directly (no relay). Returns its
    /// index. The governance that makes it a validator is `governance.rs`'s.
    pub(crate) fn create_node(&mut self, name: &str, roles: &str, observer: bool) -> Result<usize> {
        if self.nodes.iter().any(|n| n.name == name) {
            bail!("a node named {name:?} exists already");
        }
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            bail!("a node name is letters, digits and '-', not {name:?}");
        }
        let held = vec![PortReservation::new()?, PortReservation::new()?];
        let (p2p_port, rpc_port) = (held[0].port(), held[1].port());
        let home = self.dir.join(name);
        let mut args: Vec<String> = vec![
            "init".into(),
            "--home".into(),
            home.display().to_string(),
            "--moniker".into(),
            name.into(),
            "--p2p-listen".into(),
            format!("/ip4/127.0.0.1/tcp/{p2p_port}"),
            "--rpc-listen".into(),
            format!("127.0.0.1:{rpc_port}"),
            "--genesis".into(),
            self.genesis_file().display().to_string(),
        ];
        if observer {
            args.push("--observer".into());
        }
        run_node_tool(&self.spec.node_bin, &args)?;
        route_through_relays(&home.join("config.toml"), &[], self.spec.production_limits)?;
        let party = ebl_client::keys::load(&home.join("operator_key.json"))?.party();
        let node_id = ebl_client::keys::load(&home.join("node_key.json"))?.party();
        self.nodes.push(NodeInfo {
            name: name.into(),
            roles: roles.into(),
            party,
            node_id,
            home,
            p2p_port,
            rpc_port,
        });
        self.processes.push(None);
        // Reservations are by index (none for a network on fixed ports).
        self.reservations.resize_with(self.nodes.len() - 1, Vec::new);
        self.reservations.push(held);
        std::fs::write(self.dir.join("testnet.json"), serde_json::to_string_pretty(&self.nodes)?)?;
        Ok(self.nodes.len() - 1)
    }

    /// The index of a validator named by its name or its index.
    pub fn index_of(&self, name: &str) -> Result<usize> {
        if let Some(i) = self.nodes.iter().position(|n| n.name == name) {
            return Ok(i);
        }
        match name.parse::<usize>() {
            Ok(i) if i < self.nodes.len() => Ok(i),
            _ => {
                let names: Vec<&str> = self.nodes.iter().map(|n| n.name.as_str()).collect();
                bail!(
                    "no validator {name:?}; the validators are {} (or 0–{})",
                    names.join(", "),
                    names.len() - 1
                )
            }
        }
    }

    /// Starts validator `i`'s process (its log is appended to `<home>/node.log`).
    pub fn start(&mut self, i: usize) -> Result<()> {
        let bin = self.spec.node_bin.clone();
        self.start_program(i, &bin, &[])
    }

    /// Starts validator `i` from another program that takes `ebl-node`'s `run --home DIR`, with
    /// `extra` arguments after them (the attack suite's Byzantine validator).
    pub fn start_program(&mut self, i: usize, bin: &Path, extra: &[&str]) -> Result<()> {
        if matches!(self.state(i), NodeState::Running | NodeState::Paused) {
            bail!("{} is running already", self.nodes[i].name);
        }
        let node = &self.nodes[i];
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(node.log_file())
            .with_context(|| format!("opening {}", node.log_file().display()))?;
        if let Some(held) = self.reservations.get_mut(i) {
            held.iter_mut().for_each(PortReservation::release);
        }
        let child = Command::new(bin)
            .args(["run", "--home"])
            .arg(&node.home)
            .args(extra)
            .env("RUST_LOG", &self.spec.log_filter)
            .env_remove("EBL_HOME")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        self.processes[i] = Some(Process { child, paused: false });
        Ok(())
    }

    /// Starts every stopped validator.
    pub fn start_all(&mut self) -> Result<()> {
        for i in 0..self.nodes.len() {
            if !matches!(self.state(i), NodeState::Running | NodeState::Paused) {
                self.start(i)?;
            }
        }
        Ok(())
    }

    /// The process id of validator `i`, while it runs.
    pub fn process_id(&self, i: usize) -> Option<u32> {
        self.processes[i].as_ref().map(|p| p.child.id())
    }

    /// Where validator `i`'s process stands.
    pub fn state(&mut self, i: usize) -> NodeState {
        match self.processes[i].as_mut() {
            None => NodeState::Stopped,
            Some(p) => match p.child.try_wait() {
                Ok(Some(_)) => NodeState::Exited,
                Err(_) => NodeState::Exited,
                Ok(None) if p.paused => NodeState::Paused,
                Ok(None) => NodeState::Running,
            },
        }
    }

    /// Stops validator `i` cleanly (SIGTERM; SIGKILL if it has not exited in [`STOP_TIMEOUT`]).
    pub async fn stop(&mut self, i: usize) -> Result<()> {
        let Some(mut process) = self.processes[i].take() else { return Ok(()) };
        if process.child.try_wait()?.is_some() {
            return Ok(());
        }
        let pid = Pid::from_raw(process.child.id() as i32);
        if process.paused {
            let _ = kill(pid, Signal::SIGCONT);
        }
        let _ = kill(pid, Signal::SIGTERM);
        let deadline = tokio::time::Instant::now() + STOP_TIMEOUT;
        while process.child.try_wait()?.is_none() {
            if tokio::time::Instant::now() >= deadline {
                let _ = process.child.kill();
                let _ = process.child.wait();
                bail!("{} did not stop within {:?} of SIGTERM; killed", self.nodes[i].name, STOP_TIMEOUT);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }

    /// Stops every validator.
    pub async fn stop_all(&mut self) -> Result<()> {
        let mut result = Ok(());
        for i in 0..self.nodes.len() {
            if let Err(e) = self.stop(i).await {
                result = Err(e);
            }
        }
        result
    }

    /// Kills validator `i` with SIGKILL: no chance to flush or say goodbye.
    pub fn kill(&mut self, i: usize) -> Result<()> {
        if let Some(mut process) = self.processes[i].take() {
            process.child.kill().ok();
            process.child.wait().with_context(|| format!("reaping {}", self.nodes[i].name))?;
        }
        Ok(())
    }

    /// Freezes validator `i` (SIGSTOP): its sockets stay open but it answers nothing.
    pub fn pause(&mut self, i: usize) -> Result<()> {
        self.signal_paused(i, Signal::SIGSTOP, true)
    }

    /// Thaws validator `i` (SIGCONT).
    pub fn resume(&mut self, i: usize) -> Result<()> {
        self.signal_paused(i, Signal::SIGCONT, false)
    }

    fn signal_paused(&mut self, i: usize, signal: Signal, paused: bool) -> Result<()> {
        let name = &self.nodes[i].name;
        let process = self.processes[i].as_mut().with_context(|| format!("{name} is not running"))?;
        kill(Pid::from_raw(process.child.id() as i32), signal)
            .with_context(|| format!("{signal} to {name}"))?;
        process.paused = paused;
        Ok(())
    }

    /// Cuts every link between side `a` and side `b` (see [`Relays`]).
    pub fn partition(&self, a: &[usize], b: &[usize]) {
        self.relays.partition(a, b);
    }

    /// Restores every link.
    pub fn heal(&self) {
        self.relays.heal();
    }

    /// Deletes validator `i`'s database (it must be stopped): on its next start it has only the
    /// genesis and must sync the chain from its peers.
    pub fn wipe_data(&mut self, i: usize) -> Result<()> {
        if matches!(self.state(i), NodeState::Running | NodeState::Paused) {
            bail!("{} is running; stop it before deleting its data", self.nodes[i].name);
        }
        let data = self.nodes[i].data_dir();
        if data.exists() {
            std::fs::remove_dir_all(&data).with_context(|| format!("removing {}", data.display()))?;
        }
        Ok(())
    }

    /// Waits until validator `i` answers `/v1/status`; fails at once if its process exits.
    pub async fn wait_ready(&mut self, i: usize, timeout: Duration) -> Result<()> {
        let client = self.client(i, None)?;
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.state(i) == NodeState::Exited {
                bail!("{} exited; its log:\n{}", self.nodes[i].name, self.log_tail(i, 20));
            }
            if client.status().await.is_ok() {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                bail!(
                    "{} did not answer within {timeout:?}; its log:\n{}",
                    self.nodes[i].name,
                    self.log_tail(i, 20)
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The committed height of validator `i`, if it answers.
    pub async fn height(&self, i: usize) -> Option<u64> {
        let client = self.client(i, None).ok()?.with_timeout(Duration::from_millis(500));
        client.status().await.ok().map(|s| s.height)
    }

    /// Waits until every validator of `nodes` has committed `height`.
    pub async fn wait_for_height(&self, nodes: &[usize], height: u64, timeout: Duration) -> Result<()> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let mut behind = Vec::new();
            for &i in nodes {
                let h = self.height(i).await;
                if h.is_none_or(|h| h < height) {
                    behind.push(format!("{}={h:?}", self.nodes[i].name));
                }
            }
            if behind.is_empty() {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                bail!("height {height} not reached within {timeout:?}: {}", behind.join(", "));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The last `lines` lines of validator `i`'s log.
    pub fn log_tail(&self, i: usize, lines: usize) -> String {
        let text = std::fs::read_to_string(self.nodes[i].log_file()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Testnet {
    fn drop(&mut self) {
        for (i, process) in self.processes.iter_mut().enumerate() {
            if let Some(p) = process.as_mut() {
                if p.paused {
                    let _ = kill(Pid::from_raw(p.child.id() as i32), Signal::SIGCONT);
                }
                let _ = p.child.kill();
                let _ = p.child.wait();
                tracing::debug!(node = i, "killed on drop");
            }
        }
    }
}

/// A second handle on a key (`Keypair` is deliberately not `Clone`; the testnet hands one key to
/// several clients).
pub fn copy(key: &Keypair) -> Keypair {
    Keypair::from_seed(key.seed())
}

/// The libp2p peer id of a node key (what its peers dial it as).
pub fn peer_id(party: &PartyId) -> Result<libp2p_identity::PeerId> {
    let key = libp2p_identity::ed25519::PublicKey::try_from_bytes(&party.0)
        .map_err(|e| anyhow::anyhow!("{party} is not an ed25519 key: {e}"))?;
    Ok(libp2p_identity::PublicKey::from(key).to_peer_id())
}

/// Points a node's `p2p.persistent_peers` at the relays, and unless `production_limits` turns the
/// per-party and per-address request limits off: every client of a local network, the load
/// generator included, comes from 127.0.0.1.
fn route_through_relays(config: &Path, peers: &[String], production_limits: bool) -> Result<()> {
    let text = std::fs::read_to_string(config)?;
    let mut value: toml::Value = text.parse().with_context(|| format!("parsing {}", config.display()))?;
    let table = value.as_table_mut().context("config is not a table")?;
    let p2p = table.get_mut("p2p").and_then(|v| v.as_table_mut()).context("config has no [p2p]")?;
    p2p.insert(
        "persistent_peers".into(),
        toml::Value::Array(peers.iter().cloned().map(toml::Value::String).collect()),
    );
    if !production_limits {
        let rpc = table.get_mut("rpc").and_then(|v| v.as_table_mut()).context("config has no [rpc]")?;
        rpc.insert("address_requests_per_s".into(), toml::Value::Integer(0));
        rpc.insert("party_requests_per_s".into(), toml::Value::Integer(0));
    }
    std::fs::write(config, toml::to_string_pretty(&value)?)?;
    Ok(())
}

/// The `ebl-node` binary: `$EBL_NODE_BIN`, or beside this program (or one directory up, for a
/// test executable under `target/debug/deps`).
pub fn find_node_binary() -> Result<PathBuf> {
    find_binary("ebl-node", "EBL_NODE_BIN")
}

/// The workspace binary `name`: the path in the environment variable `env`, or beside this
/// program (or one directory up, for a test executable under `target/debug/deps`).
pub fn find_binary(name: &str, env: &str) -> Result<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    let mut dir = exe.parent();
    for _ in 0..2 {
        let Some(d) = dir else { break };
        let candidate = d.join(name);
        if candidate.is_file() {
            return Ok(candidate);
        }
        dir = d.parent();
    }
    bail!(
        "no {name} binary beside {} (build the workspace with `cargo build --workspace`, or set {env})",
        exe.display()
    )
}
