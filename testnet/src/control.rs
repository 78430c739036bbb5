//! How `ebl-testnet status|stop|start|pause|resume|partition|heal|down` reach the running
//! `ebl-testnet up`: it owns the node processes and the relays, and listens on a loopback port
//! written to `<dir>/control.json`; each command sends one JSON line and reads one back.

use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ebl_ledger::Role;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::net::{NodeState, Testnet, START_TIMEOUT};

/// Where the supervisor listens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlFile {
    pub port: u16,
    pub pid: u32,
}

pub const CONTROL_FILE: &str = "control.json";
/// Largest request line read.
const REQUEST_BYTES_MAX: u64 = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "cmd", rename_all = "lowercase")]
pub enum Request {
    Status,
    Stop { node: String },
    Start { node: String },
    Kill { node: String },
    Pause { node: String },
    Resume { node: String },
    Partition { a: Vec<String>, b: Vec<String> },
    Heal,
    Down,
    AddValidator { name: String, roles: Vec<Role> },
    RemoveValidator { name: String },
    AddObserver { name: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    pub ok: bool,
    pub text: String,
}

impl Response {
    fn ok(text: impl Into<String>) -> Self {
        Response { ok: true, text: text.into() }
    }
}

/// Sends `request` to the network running in `dir`.
pub async fn send(dir: &Path, request: &Request) -> Result<Response> {
    let path = dir.join(CONTROL_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!("no network is running in {} (start one with `ebl-testnet up`)", dir.display())
    })?;
    let control: ControlFile =
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    let mut stream = TcpStream::connect(("127.0.0.1", control.port)).await.with_context(|| {
        format!("the network in {} does not answer (its `ebl-testnet up` has stopped?)", dir.display())
    })?;
    let mut line = serde_json::to_vec(request)?;
    line.push(b'\n');
    stream.write_all(&line).await?;
    let mut reader = BufReader::new(stream);
    let mut answer = String::new();
    tokio::time::timeout(START_TIMEOUT * 2, reader.read_line(&mut answer))
        .await
        .context("the network did not answer in time")??;
    Ok(serde_json::from_str(answer.trim())?)
}

/// Reads one request from `stream`, carries it out on `net` and answers; returns whether the
/// request was `down`.
pub async fn serve_one(net: &mut Testnet, stream: TcpStream) -> Result<bool> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    (&mut reader).take(REQUEST_BYTES_MAX).read_line(&mut line).await?;
    let (response, down) = match serde_json::from_str::<Request>(line.trim()) {
        Ok(request) => {
            let down = request == Request::Down;
            let response = match handle(net, &request).await {
                Ok(r) => r,
                Err(e) => Response { ok: false, text: format!("{e:#}") },
            };
            (response, down)
        }
        Err(e) => (Response { ok: false, text: format!("not a request: {e}") }, false),
    };
    let mut out = serde_json::to_vec(&response)?;
    out.push(b'\n');
    reader.into_inner().write_all(&out).await?;
    Ok(down)
}

fn indices(net: &Testnet, names: &[String]) -> Result<Vec<usize>> {
    let mut out = Vec::new();
    for group in names {
        for name in group.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            out.push(net.index_of(name)?);
        }
    }
    if out.is_empty() {
        bail!("name at least one validator on each side");
    }
    Ok(out)
}

/// Carries out one request.
pub async fn handle(net: &mut Testnet, request: &Request) -> Result<Response> {
    Ok(match request {
        Request::Status => Response::ok(status_text(net).await),
        Request::Stop { node } => {
            let i = net.index_of(node)?;
            net.stop(i).await?;
            Response::ok(format!("{} stopped (SIGTERM)", net.node(i).name))
        }
        Request::Kill { node } => {
            let i = net.index_of(node)?;
            net.kill(i)?;
            Response::ok(format!("{} killed (SIGKILL)", net.node(i).name))
        }
        Request::Start { node } => {
            let i = net.index_of(node)?;
            net.start(i)?;
            net.wait_ready(i, START_TIMEOUT).await?;
            Response::ok(format!("{} started; it catches up from its peers", net.node(i).name))
        }
        Request::Pause { node } => {
            let i = net.index_of(node)?;
            net.pause(i)?;
            Response::ok(format!("{} paused (SIGSTOP)", net.node(i).name))
        }
        Request::Resume { node } => {
            let i = net.index_of(node)?;
            net.resume(i)?;
            Response::ok(format!("{} resumed (SIGCONT)", net.node(i).name))
        }
        Request::Partition { a, b } => {
            let (a, b) = (indices(net, a)?, indices(net, b)?);
            if a.iter().any(|x| b.contains(x)) {
                bail!("a validator cannot be on both sides of a partition");
            }
            net.partition(&a, &b);
            let names =
                |side: &[usize]| side.iter().map(|&i| net.node(i).name.clone()).collect::<Vec<_>>().join(",");
            Response::ok(format!("links between {} and {} cut", names(&a), names(&b)))
        }
        Request::Heal => {
            net.heal();
            Response::ok("every link restored")
        }
        Request::Down => {
            net.stop_all().await?;
            Response::ok("every validator stopped; the network is down")
        }
        Request::AddValidator { name, roles } => {
            let (i, epoch) = net.add_validator(name, roles).await?;
            Response::ok(format!(
                "{} joined: epoch {} (proposal {:?}, approved at height {}) runs from height {} with {} validators",
                net.node(i).name,
                epoch.epoch,
                epoch.proposal.unwrap_or_default(),
                epoch.approved_height,
                epoch.effective_height,
                epoch.validators.len()
            ))
        }
        Request::AddObserver { name } => {
            let i = net.add_observer(name).await?;
            Response::ok(format!(
                "{} follows the chain without voting (listed by the registrar); REST at {}",
                net.node(i).name,
                net.node(i).url()
            ))
        }
        Request::RemoveValidator { name } => {
            let epoch = net.remove_validator(name).await?;
            Response::ok(format!(
                "{name} left the set: epoch {} runs from height {} with {} validators (its node still runs; stop it when you like)",
                epoch.epoch,
                epoch.effective_height,
                epoch.validators.len()
            ))
        }
    })
}

/// One line per validator: state, process, height, REST address; then the cut links.
pub async fn status_text(net: &mut Testnet) -> String {
    let mut out = format!("{:<10} {:<8} {:>8} {:>7}  {}\n", "node", "state", "pid", "height", "REST");
    for i in 0..net.len() {
        let state = net.state(i);
        let height = match state {
            NodeState::Running => net.height(i).await.map(|h| h.to_string()).unwrap_or_else(|| "-".into()),
            _ => "-".into(),
        };
        let pid = net.process_id(i).map(|p| p.to_string()).unwrap_or_else(|| "-".into());
        let state =
            serde_json::to_value(state).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        let node = net.node(i);
        out.push_str(&format!("{:<10} {:<8} {:>8} {:>7}  {}\n", node.name, state, pid, height, node.url()));
    }
    let cuts = net.relays().cut_pairs();
    if cuts.is_empty() {
        out.push_str("links: all up\n");
    } else {
        let names: Vec<String> =
            cuts.iter().map(|&(a, b)| format!("{}×{}", net.node(a).name, net.node(b).name)).collect();
        out.push_str(&format!("links cut: {}\n", names.join(" ")));
    }
    out
}

/// How long `up` waits between two height reports.
pub const REPORT_INTERVAL: Duration = Duration::from_secs(10);
