//! What every attack shares: four `ebl-node` validators with the limits a real deployment gets,
//! a steady transfer load, a legitimate party that keeps transacting and reading, the figures
//! (blocks per 10 s, each node's memory), and the chain checker at the end.
//!
//! An attack is two functions: `prepare`, which queues what it needs on the ledger (parties,
//! BLs) into the set-up batch, and `attack`, which runs on its own thread and runtime — another
//! machine, as far as the nodes can tell: it speaks from its own loopback addresses
//! (127.0.0.2 and up), so the per-address limit sees it apart from the load and the
//! legitimate party (127.0.0.1). [`run`] does the rest:
//!
//! 1. starts the network (`NetSpec::production_limits`), commits the set-up batch (the
//!    legitimate party, its BL, the attack's own), starts the load;
//! 2. measures one 10 s window before the attack;
//! 3. launches the attack; once it says it is engaged, the legitimate party transfers its BL,
//!    reads it back with a signed read and sees the event on its stream — again and again until
//!    the attack's time is up; then the attack is stopped;
//! 4. prints the figures, stops the load and the nodes, runs the chain checker, and asserts:
//!    the network committed in every 10 s window of the attack, no node's peak memory reached
//!    [`RSS_BOUND_BYTES`], and every probe of the legitimate party succeeded.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{bail, ensure, Context, Result};
use ebl_client::ebl_api::sse::SseParser;
use ebl_client::ebl_ledger::action::{ExternalCodes, RegisterParty};
use ebl_client::signing::{authority_of, sign_request};
use ebl_client::{issue_from_document, Client, IssueParties, LedgerEvent, TxBuilder};
use ebl_ledger::{Action, BlId, Keypair, PartyId, Role, RoleSet, Transaction, TxId};
use ebl_testnet::net::copy;
use ebl_testnet::story::DOCUMENT;
use ebl_testnet::{find_node_binary, Ack, Load, NetSpec, Testnet};
use ebl_tests::check::check_network;

pub const ALL: [usize; 4] = [0, 1, 2, 3];
/// When set, the file each attack's figures are appended to as well (CI captures a passing test's
/// output; `EBL_ATTACKS_REPORT=/tmp/figures.txt bash .ci/run` keeps them for docs/benchmarks.md).
pub const REPORT_ENV: &str = "EBL_ATTACKS_REPORT";
/// Bound on what a healthy network does in a second or two.
pub const PATIENCE: Duration = Duration::from_secs(60);
/// The window blocks are counted in.
pub const WINDOW: Duration = Duration::from_secs(10);
/// No node's peak resident memory (`VmHWM`) may reach this during an attack: DESIGN §9 gives
/// a node 1 GiB at a million BLs; these networks hold a few hundred, so what an attack adds
/// must fit in the rest.
pub const RSS_BOUND_BYTES: u64 = 1536 * 1024 * 1024;
/// Workers of the steady load, each with one transfer in flight at a time (closed loop, so the
/// load slows down rather than piles up when the network does).
pub const LOAD_LANES: usize = 40;
/// How often each node's `/healthz` is asked for its height.
const MONITOR_INTERVAL: Duration = Duration::from_millis(250);
/// How often each node's memory is read from `/proc`.
const RSS_INTERVAL: Duration = Duration::from_secs(1);
/// Timeout of one `/healthz` poll.
const HEALTH_TIMEOUT: Duration = Duration::from_secs(1);
/// Samples kept per node and kind (an hour at the intervals above).
const SAMPLES_MAX: usize = 15_000;
/// How long the legitimate party's transaction may take to commit.
const PROBE_COMMIT_WAIT: Duration = Duration::from_secs(20);
/// Timeout of the legitimate party's reads and of opening its event stream.
const PROBE_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the legitimate party's event may take to arrive after its commit.
const PROBE_EVENT_WAIT: Duration = Duration::from_secs(15);
/// Probes per attack, at most.
const PROBES_MAX: usize = 12;
/// The legitimate party probes for at least this long once the attack has taken hold.
const PROBING_MIN: Duration = Duration::from_secs(10);
/// Pause between two probes.
const PROBE_PAUSE: Duration = Duration::from_secs(2);
/// Chunks read from one event stream while waiting for one event, at most.
const EVENT_CHUNKS_MAX: usize = 100_000;
/// How long the attack has to come to a stop once told to.
const ATTACK_STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Worker threads of the attacker's runtime.
const ATTACKER_THREADS: usize = 2;
/// Connection timeout of the attacker's HTTP clients.
const ATTACKER_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// How an attack is run.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// The validators the attack aims at (for the report).
    pub attacked: &'static [usize],
    /// The validator the legitimate party submits to, reads from and follows events on: one
    /// under attack.
    pub probe_node: usize,
    /// How long the attack lasts at least; it ends when the probe in hand at that time ends.
    pub duration: Duration,
}

/// A validator that misbehaves: when the attack starts, validator `validator` is stopped and
/// started again from the test-only `ebl-byzantine` binary (this crate's) with `--tamper mode`
/// — the same home, key and genesis — so the window before the attack is an honest network's.
#[derive(Debug, Clone, Copy)]
pub struct Byzantine {
    pub validator: usize,
    /// A mode of `ebl-byzantine` (`flood-alternatives`, `flood-batches`, `equivocate`,
    /// `torsion-signature`).
    pub mode: &'static str,
}

/// The Byzantine validator's binary, built with this test.
const BYZANTINE_BIN: &str = env!("CARGO_BIN_EXE_ebl-byzantine");

/// What the attacker knows of the network: addresses and public facts.
#[derive(Debug, Clone)]
pub struct Target {
    pub chain_id: String,
    /// REST base URL of each validator.
    pub urls: Vec<String>,
    /// REST port of each validator.
    pub ports: Vec<u16>,
    /// The carrier (validator 0, also the registrar): a public party.
    pub carrier: PartyId,
    /// The carrier's next nonce when the attack starts (before issue 29 any anonymous client
    /// read it from an error message: "the submitter's next nonce is 33").
    pub carrier_nonce: u64,
}

/// The attack's side of the harness: the target, the stop signal, and the signal that the
/// attack has taken hold.
#[derive(Debug, Clone)]
pub struct AttackCtx {
    pub target: Target,
    /// The Byzantine validator's key, when one turned Byzantine (it is the attacker's own).
    pub byzantine_key: Option<Arc<Keypair>>,
    stop: Arc<AtomicBool>,
    engaged: Arc<AtomicBool>,
}

impl AttackCtx {
    /// True once the harness has told the attack to stop.
    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }

    /// Waits until the harness tells the attack to stop (it always does, after the plan's
    /// duration and the probe in hand).
    pub async fn until_stopped(&self) {
        while !self.stopped() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Says the attack has taken hold: the legitimate party's probes start.
    pub fn engaged(&self) {
        self.engaged.store(true, Ordering::SeqCst);
    }
}

/// The set-up batch: the registrar (validator 0's key) signs every party and BL an attack or
/// the harness needs; [`run`] commits it before the load starts.
#[derive(Debug)]
pub struct Setup {
    chain_id: String,
    carrier: Keypair,
    nonce: u64,
    txs: Vec<Transaction>,
    issued: usize,
}

impl Setup {
    fn sign(&mut self, action: Action) -> Result<()> {
        let tx = TxBuilder::new(&self.chain_id, self.carrier.party(), action)
            .nonce(self.nonce)
            .sign(&[&self.carrier])?;
        self.nonce += 1;
        self.txs.push(tx);
        Ok(())
    }

    /// Registers `n` new traders named `label k`.
    pub fn parties(&mut self, n: usize, label: &str) -> Result<Vec<Keypair>> {
        let mut keys = Vec::with_capacity(n);
        for k in 0..n {
            let key = ebl_client::keys::generate()?;
            self.sign(Action::RegisterParty(RegisterParty {
                party: key.party(),
                legal_name: format!("{label} {k}"),
                roles: RoleSet::of(&[Role::Trader]),
                codes: ExternalCodes::default(),
            }))?;
            keys.push(key);
        }
        Ok(keys)
    }

    /// Issues a to-order BL to `holder` (possessor and endorsee).
    pub fn issue_to(&mut self, holder: &PartyId) -> Result<BlId> {
        let reference = format!("ATK{:05}", self.issued);
        self.issued += 1;
        let mut document: serde_json::Value = serde_json::from_str(DOCUMENT)?;
        document["transportDocumentReference"] = reference.clone().into();
        let issue = issue_from_document(
            &document.to_string(),
            &IssueParties {
                issue_to: *holder,
                shipper: *holder,
                consignee: None,
                endorsee: Some(*holder),
                agents: Vec::new(),
            },
        )?;
        self.sign(Action::Issue(issue))?;
        Ok(BlId::new(&self.carrier.party(), &reference))
    }

    /// Submits the batch through validator 0 and waits until every transaction is committed
    /// and succeeded.
    async fn commit(self, net: &Testnet) -> Result<Vec<Ack>> {
        let client = net.client(0, None)?;
        let ids: Vec<TxId> = self.txs.iter().map(|t| t.id()).collect();
        let after = client.status().await?.height;
        let response = client.submit_batch(&self.txs).await?;
        ensure!(
            response.accepted == self.txs.len(),
            "set-up batch: {} of {} admitted",
            response.accepted,
            ids.len()
        );
        let found = client.wait_for_txs(&ids, after.saturating_sub(1), PATIENCE).await?;
        let mut acks = Vec::with_capacity(ids.len());
        for id in &ids {
            let Some((height, outcome)) = found.get(id) else {
                bail!("set-up: {id} not committed in {PATIENCE:?}")
            };
            ensure!(outcome.is_success(), "set-up: {id} refused with {outcome}");
            acks.push(Ack { tx_id: *id, height: *height });
        }
        Ok(acks)
    }
}

/// The legitimate party: two traders passing one BL back and forth.
#[derive(Debug)]
struct Legit {
    keys: [Keypair; 2],
    bl: BlId,
    holder: usize,
    nonces: [u64; 2],
}

/// How one probe of the legitimate party went.
#[derive(Debug, Clone)]
struct Probe {
    /// Submit → committed, ms.
    commit_ms: Option<u128>,
    /// The signed read of the BL, ms.
    read_ms: Option<u128>,
    /// Commit → the event on the receiver's stream, ms.
    event_ms: Option<u128>,
    error: Option<String>,
}

/// Node `url`'s `/metrics` counters and gauges, by name.
pub async fn metrics(url: &str) -> Result<BTreeMap<String, u64>> {
    let text = reqwest::Client::new()
        .get(format!("{url}/metrics"))
        .timeout(HEALTH_TIMEOUT * 10)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name, value) = l.split_once(' ')?;
            Some((name.to_string(), value.trim().parse().ok()?))
        })
        .collect())
}

/// The `/metrics` value `name` of every validator but `byzantine`, in validator order.
pub async fn honest_counter(target: &Target, byzantine: usize, name: &str) -> Result<Vec<u64>> {
    let mut values = Vec::new();
    for (i, url) in target.urls.iter().enumerate().filter(|(i, _)| *i != byzantine) {
        let m = metrics(url).await.with_context(|| format!("/metrics of validator {i}"))?;
        values.push(*m.get(name).with_context(|| format!("validator {i} has no {name}"))?);
    }
    Ok(values)
}

/// How long a Byzantine validator's evidence may take to show on every honest validator.
pub const EVIDENCE_WAIT: Duration = Duration::from_secs(40);
/// How often `/metrics` is read while waiting for evidence.
const EVIDENCE_POLL: Duration = Duration::from_millis(500);

/// What the honest validators' `/metrics` show of a Byzantine validator: each counter of
/// `rises` must rise on every honest validator (once all have, the attack counts as engaged),
/// each of `stays` must not move on any. Runs until the harness stops the attack; returns each
/// counter's rise per honest validator.
pub async fn evidence(
    ctx: &AttackCtx,
    byzantine: usize,
    rises: &[&'static str],
    stays: &[&'static str],
) -> Result<String> {
    let read = |names: Vec<&'static str>| async move {
        let mut out = Vec::new();
        for name in names {
            out.push(honest_counter(&ctx.target, byzantine, name).await?);
        }
        anyhow::Ok(out)
    };
    let names: Vec<&'static str> = rises.iter().chain(stays).copied().collect();
    let before = read(names.clone()).await?;
    let rose =
        |now: &Vec<Vec<u64>>| (0..rises.len()).all(|c| now[c].iter().zip(&before[c]).all(|(n, b)| n > b));
    let started = Instant::now();
    while !ctx.stopped() && started.elapsed() < EVIDENCE_WAIT {
        if rose(&read(names.clone()).await?) {
            break;
        }
        tokio::time::sleep(EVIDENCE_POLL).await;
    }
    ctx.engaged();
    ctx.until_stopped().await;
    let after = read(names.clone()).await?;
    let deltas: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let d: Vec<u64> = after[c].iter().zip(&before[c]).map(|(a, b)| a.saturating_sub(*b)).collect();
            format!("{name} +{d:?}")
        })
        .collect();
    ensure!(rose(&after), "no evidence on every honest validator: {}", deltas.join(", "));
    for c in rises.len()..names.len() {
        ensure!(after[c] == before[c], "{} moved on an honest validator: {}", names[c], deltas.join(", "));
    }
    Ok(format!("on the honest validators: {}", deltas.join(", ")))
}

/// Loopback address of attacker `k`: 127.0.0.2 and up (never 127.0.0.1, the load's and the
/// legitimate party's).
pub fn attacker_ip(k: usize) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2 + (k % 250) as u8))
}

/// An HTTP client that connects from [`attacker_ip`]`(k)`. No overall timeout: each request
/// sets its own (an event stream has none).
pub fn attacker_http(k: usize) -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .local_address(attacker_ip(k))
        .connect_timeout(ATTACKER_CONNECT_TIMEOUT)
        .build()?)
}

/// A TCP connection to `127.0.0.1:port` from [`attacker_ip`]`(k)`.
pub async fn connect_from(k: usize, port: u16) -> std::io::Result<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(attacker_ip(k), 0))?;
    let connect = socket.connect(SocketAddr::from(([127, 0, 0, 1], port)));
    tokio::time::timeout(ATTACKER_CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out"))?
}

/// A GET of `path` on `url`, signed (RFC 9421) by `key` for that node (its `Host`).
pub fn signed_get(
    http: &reqwest::Client,
    url: &str,
    chain_id: &str,
    key: &Keypair,
    path: &str,
) -> Result<reqwest::RequestBuilder> {
    let headers = sign_request(key, chain_id, "GET", &authority_of(url)?, path, None, None)?;
    let mut request = http.get(format!("{url}{path}"));
    for (name, value) in headers.pairs() {
        request = request.header(name, value);
    }
    Ok(request)
}

/// Counts outcomes by label (`200`, `429 RATE_LIMITED`, `timeout`, …) for the report.
#[derive(Debug, Clone, Default)]
pub struct Tally(Arc<Mutex<BTreeMap<String, u64>>>);

impl Tally {
    pub fn add(&self, label: impl Into<String>) {
        self.add_n(label, 1);
    }
    pub fn add_n(&self, label: impl Into<String>, n: u64) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner).entry(label.into()).or_default() += n;
    }
    pub fn count(&self, label: &str) -> u64 {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).get(label).copied().unwrap_or(0)
    }
    pub fn total(&self) -> u64 {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).values().sum()
    }
    pub fn summary(&self) -> String {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        map.iter().map(|(k, v)| format!("{k} ×{v}")).collect::<Vec<_>>().join(", ")
    }
}

/// The label of a response: its status, and the `{code}` of an error body.
pub async fn label(result: reqwest::Result<reqwest::Response>) -> String {
    match result {
        Err(e) if e.is_timeout() => "timeout".into(),
        Err(e) if e.is_connect() => "connect error".into(),
        Err(_) => "transport error".into(),
        Ok(response) => {
            let status = response.status().as_u16();
            let success = response.status().is_success();
            let body = response.bytes().await.unwrap_or_default();
            if success {
                return status.to_string();
            }
            match serde_json::from_slice::<serde_json::Value>(&body) {
                Ok(v) => format!("{status} {}", v["code"].as_str().unwrap_or("?")),
                Err(_) => format!("{status} (not JSON)"),
            }
        }
    }
}

/// A party's event stream, read chunk by chunk.
struct EventReader {
    response: reqwest::Response,
    parser: SseParser,
}

impl EventReader {
    async fn open(url: &str, chain_id: &str, key: &Keypair) -> Result<Self> {
        let http = reqwest::Client::builder().connect_timeout(PROBE_READ_TIMEOUT).build()?;
        let request = signed_get(&http, url, chain_id, key, "/v1/events")?;
        let response = tokio::time::timeout(PROBE_READ_TIMEOUT, request.send())
            .await
            .context("the event stream did not open in time")??;
        if !response.status().is_success() {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            bail!("the event stream was refused: {status} {text}");
        }
        Ok(EventReader { response, parser: SseParser::new() })
    }

    /// Reads until the event of `tx_id` arrives, or `wait` passes.
    async fn wait_for(&mut self, tx_id: TxId, wait: Duration) -> Result<()> {
        let deadline = tokio::time::Instant::now() + wait;
        for _ in 0..EVENT_CHUNKS_MAX {
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .with_context(|| format!("no event for {tx_id} within {wait:?}"))??;
            let Some(bytes) = chunk else { bail!("the event stream ended") };
            for message in self.parser.push(&bytes) {
                if serde_json::from_str::<LedgerEvent>(&message.data).is_ok_and(|e| e.tx_id == tx_id) {
                    return Ok(());
                }
            }
        }
        bail!("no event for {tx_id} in {EVENT_CHUNKS_MAX} chunks")
    }
}

/// One probe: the holder transfers the BL to the other key on `url` (committed, SUCCESS), the
/// receiver reads the record with a signed read (it is the possessor), and the receiver's
/// event stream, opened before, delivers the transfer. A stream that cannot be opened is a
/// failure too, but the transfer and the read are still tried.
async fn probe(url: &str, chain_id: &str, legit: &mut Legit, acks: &mut Vec<Ack>) -> Probe {
    let mut out = Probe { commit_ms: None, read_ms: None, event_ms: None, error: None };
    let from = legit.holder;
    let to = 1 - from;
    let events =
        EventReader::open(url, chain_id, &legit.keys[to]).await.context("the receiver's event stream");
    let result = async {
        let tx = TxBuilder::new(
            chain_id,
            legit.keys[from].party(),
            Action::Transfer { bl: legit.bl, to: legit.keys[to].party() },
        )
        .nonce(legit.nonces[from])
        .sign(&[&legit.keys[from]])?;
        let client = Client::new(url, chain_id)?.with_timeout(PROBE_READ_TIMEOUT);
        let start = Instant::now();
        let status =
            client.submit_and_wait(&tx, PROBE_COMMIT_WAIT).await.context("submitting the transfer")?;
        let (Some(height), Some(outcome)) = (status.height, status.outcome) else {
            bail!("the transfer was not committed within {PROBE_COMMIT_WAIT:?}")
        };
        acks.push(Ack { tx_id: tx.id(), height });
        ensure!(outcome.is_success(), "the transfer was refused: {outcome}");
        let committed = Instant::now();
        out.commit_ms = Some((committed - start).as_millis());
        legit.nonces[from] += 1;
        legit.holder = to;

        let reader =
            Client::new(url, chain_id)?.with_key(copy(&legit.keys[to])).with_timeout(PROBE_READ_TIMEOUT);
        let start = Instant::now();
        let record = reader.bl(&legit.bl).await.context("the signed read of the BL")?;
        out.read_ms = Some(start.elapsed().as_millis());
        ensure!(record.possessor == legit.keys[to].party(), "the read names another possessor");

        let mut events = events?;
        events.wait_for(tx.id(), PROBE_EVENT_WAIT).await.context("the receiver's event")?;
        out.event_ms = Some(committed.elapsed().as_millis());
        Ok(())
    }
    .await;
    if let Err(e) = result {
        out.error = Some(format!("{e:#}"));
    }
    out
}

/// After a failed probe: the holder and nonces as validator `node` (or any that answers) has
/// them, a moment later so a transfer still in flight has its chance to land first.
async fn resync(net: &Testnet, legit: &mut Legit, node: usize) {
    tokio::time::sleep(Duration::from_secs(1)).await;
    for i in std::iter::once(node).chain(ALL) {
        let Ok(client) = net.client(i, Some(copy(&legit.keys[0]))) else { continue };
        let client = client.with_timeout(PROBE_READ_TIMEOUT);
        let Ok(record) = client.bl(&legit.bl).await else { continue };
        let (Ok(a), Ok(b)) =
            (client.nonce(&legit.keys[0].party()).await, client.nonce(&legit.keys[1].party()).await)
        else {
            continue;
        };
        legit.holder = usize::from(record.possessor == legit.keys[1].party());
        legit.nonces = [a.committed, b.committed];
        return;
    }
}

/// A node's memory: (VmRSS, VmHWM) in bytes.
fn read_memory(pid: u32) -> Option<(u64, u64)> {
    ebl_testnet::procfs::memory(pid).map(|m| (m.rss, m.peak))
}

/// Per node: (when, height) of each answered `/healthz`.
type HeightSamples = Arc<Mutex<Vec<Vec<(Instant, u64)>>>>;
/// Per node: (when, VmRSS, VmHWM).
type MemorySamples = Arc<Mutex<Vec<Vec<(Instant, u64, u64)>>>>;

/// Heights and memory of every node, sampled in the background.
struct Monitor {
    stop: Arc<AtomicBool>,
    heights: HeightSamples,
    memory: MemorySamples,
    /// The process of each node whose memory is read.
    pids: Arc<Mutex<Vec<Option<u32>>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Monitor {
    fn start(net: &Testnet) -> Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let heights = Arc::new(Mutex::new(vec![Vec::new(); net.len()]));
        let memory = Arc::new(Mutex::new(vec![Vec::new(); net.len()]));
        let mut tasks = Vec::new();
        for i in 0..net.len() {
            let client = net.client(i, None)?.with_timeout(HEALTH_TIMEOUT);
            let (stop, heights) = (stop.clone(), heights.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..SAMPLES_MAX {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(health) = client.health().await {
                        heights.lock().unwrap_or_else(PoisonError::into_inner)[i]
                            .push((Instant::now(), health.height));
                    }
                    tokio::time::sleep(MONITOR_INTERVAL).await;
                }
            }));
        }
        let pids: Arc<Mutex<Vec<Option<u32>>>> =
            Arc::new(Mutex::new((0..net.len()).map(|i| net.process_id(i)).collect()));
        let (stop2, memory2, pids2) = (stop.clone(), memory.clone(), pids.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..SAMPLES_MAX {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let now: Vec<Option<u32>> = pids2.lock().unwrap_or_else(PoisonError::into_inner).clone();
                for (i, pid) in now.iter().enumerate() {
                    if let Some((rss, hwm)) = pid.and_then(read_memory) {
                        memory2.lock().unwrap_or_else(PoisonError::into_inner)[i].push((
                            Instant::now(),
                            rss,
                            hwm,
                        ));
                    }
                }
                tokio::time::sleep(RSS_INTERVAL).await;
            }
        }));
        Ok(Monitor { stop, heights, memory, pids, tasks })
    }

    /// Node `i` runs as process `pid` from now on.
    fn watch_process(&self, i: usize, pid: Option<u32>) {
        self.pids.lock().unwrap_or_else(PoisonError::into_inner)[i] = pid;
    }

    async fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        for task in self.tasks {
            let _ = task.await;
        }
    }

    /// Node `i`'s last known height at `t`.
    fn height_at(&self, i: usize, t: Instant) -> Option<u64> {
        let heights = self.heights.lock().unwrap_or_else(PoisonError::into_inner);
        heights[i].iter().take_while(|(at, _)| *at <= t).last().map(|(_, h)| *h)
    }

    /// Blocks committed between `a` and `b`: by the network (the highest node), and by each node.
    fn blocks(&self, a: Instant, b: Instant) -> (u64, Vec<u64>) {
        let nodes = self.heights.lock().unwrap_or_else(PoisonError::into_inner).len();
        let per: Vec<u64> = (0..nodes)
            .map(|i| self.height_at(i, b).unwrap_or(0).saturating_sub(self.height_at(i, a).unwrap_or(0)))
            .collect();
        let top = |t| (0..nodes).filter_map(|i| self.height_at(i, t)).max().unwrap_or(0);
        (top(b).saturating_sub(top(a)), per)
    }

    /// Per node, the longest time between `a` and `b` without an answer to `/healthz`.
    fn silences(&self, a: Instant, b: Instant) -> Vec<Duration> {
        let heights = self.heights.lock().unwrap_or_else(PoisonError::into_inner);
        heights
            .iter()
            .map(|samples| {
                let mut last = a;
                let mut longest = Duration::ZERO;
                for (at, _) in samples.iter().filter(|(at, _)| *at >= a && *at <= b) {
                    longest = longest.max(*at - last);
                    last = *at;
                }
                longest.max(b.saturating_duration_since(last))
            })
            .collect()
    }

    /// Per node, the largest VmRSS sampled between `a` and `b`, and the last VmHWM (the peak of
    /// the process's whole life) sampled by `b`.
    fn memory(&self, a: Instant, b: Instant) -> Vec<(u64, u64)> {
        let memory = self.memory.lock().unwrap_or_else(PoisonError::into_inner);
        memory
            .iter()
            .map(|samples| {
                let rss = samples.iter().filter(|s| s.0 >= a && s.0 <= b).map(|s| s.1).max().unwrap_or(0);
                let hwm = samples.iter().filter(|s| s.0 <= b).map(|s| s.2).next_back().unwrap_or(0);
                (rss, hwm)
            })
            .collect()
    }
}

fn mib(bytes: u64) -> u64 {
    bytes >> 20
}

/// Starts a four-validator network with the production limits.
async fn network(dir: &Path, name: &str) -> Result<Testnet> {
    let mut spec = NetSpec::new(4, find_node_binary()?);
    spec.chain_id = format!("ebl-attack-{name}");
    spec.production_limits = true;
    let mut net = Testnet::create(dir, spec).await?;
    net.start_all()?;
    for i in ALL {
        net.wait_ready(i, PATIENCE).await?;
    }
    net.wait_for_height(&ALL, 1, PATIENCE).await?;
    Ok(net)
}

/// Runs one attack (see the module docs), one at a time; on failure the panic carries the
/// figures and the end of every node's log.
pub fn run<P, T, A, Fut>(name: &str, plan: Plan, prepare: P, attack: A)
where
    P: FnOnce(&mut Setup) -> Result<T>,
    T: Send + 'static,
    A: FnOnce(AttackCtx, T) -> Fut + Send + 'static,
    Fut: Future<Output = Result<String>>,
{
    run_with(name, plan, None, prepare, attack);
}

/// [`run`] with one validator turned Byzantine when the attack starts (the attack then mostly
/// watches the others' evidence of it).
pub fn run_with<P, T, A, Fut>(name: &str, plan: Plan, byzantine: Option<Byzantine>, prepare: P, attack: A)
where
    P: FnOnce(&mut Setup) -> Result<T>,
    T: Send + 'static,
    A: FnOnce(AttackCtx, T) -> Fut + Send + 'static,
    Fut: Future<Output = Result<String>>,
{
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let started = Instant::now();
    runtime.block_on(async {
        let mut net = network(dir.path(), name).await.expect("the network starts");
        if let Err(e) = scenario(&mut net, name, plan, byzantine, prepare, attack).await {
            let logs: Vec<String> = (0..net.len())
                .map(|i| format!("--- {} ---\n{}", net.node(i).name, net.log_tail(i, 15)))
                .collect();
            panic!("attack {name}: {e:#}\n{}", logs.join("\n"));
        }
    });
    println!("attack {name}: wall time {:.0} s", started.elapsed().as_secs_f64());
}

async fn scenario<P, T, A, Fut>(
    net: &mut Testnet,
    name: &str,
    plan: Plan,
    byzantine: Option<Byzantine>,
    prepare: P,
    attack: A,
) -> Result<()>
where
    P: FnOnce(&mut Setup) -> Result<T>,
    T: Send + 'static,
    A: FnOnce(AttackCtx, T) -> Fut + Send + 'static,
    Fut: Future<Output = Result<String>>,
{
    // Set-up: the legitimate party and what the attack needs, in one committed batch.
    let carrier = net.key(0)?;
    let nonce = net.client(0, Some(copy(&carrier)))?.nonce(&carrier.party()).await?.next;
    let mut setup = Setup { chain_id: net.chain_id().into(), carrier, nonce, txs: Vec::new(), issued: 0 };
    let keys = setup.parties(2, "Legitimate trader")?;
    let bl = setup.issue_to(&keys[0].party())?;
    let mut legit = Legit { keys: [copy(&keys[0]), copy(&keys[1])], bl, holder: 0, nonces: [0, 0] };
    let material = prepare(&mut setup)?;
    let mut acks = setup.commit(net).await.context("the set-up batch")?;

    let load = Load::start(net, LOAD_LANES, "A").await.context("the load starts")?;
    load.wait_for_transfers(LOAD_LANES as u64, PATIENCE).await.context("the load runs")?;
    let monitor = Monitor::start(net)?;
    let before_start = Instant::now();
    let transfers_start = load.transfers();
    tokio::time::sleep(WINDOW).await;
    let before = monitor.blocks(before_start, Instant::now());
    let transfers_before = load.transfers() - transfers_start;

    // The attack, on its own thread and runtime.
    let carrier_nonce = net.client(0, Some(net.key(0)?))?.nonce(&net.key(0)?.party()).await?.next;
    let target = Target {
        chain_id: net.chain_id().into(),
        urls: net.nodes().iter().map(|n| n.url()).collect(),
        ports: net.nodes().iter().map(|n| n.rpc_port).collect(),
        carrier: net.node(0).party,
        carrier_nonce,
    };
    if let Some(b) = byzantine {
        net.stop(b.validator).await.context("stopping the validator that turns Byzantine")?;
        net.start_program(b.validator, Path::new(BYZANTINE_BIN), &["--tamper", b.mode])
            .context("starting the Byzantine validator")?;
        monitor.watch_process(b.validator, net.process_id(b.validator));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let engaged = Arc::new(AtomicBool::new(false));
    let byzantine_key = match byzantine {
        Some(b) => Some(Arc::new(net.key(b.validator)?)),
        None => None,
    };
    let ctx = AttackCtx { target, byzantine_key, stop: stop.clone(), engaged: engaged.clone() };
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<Result<String>>();
    let attack_start = Instant::now();
    std::thread::Builder::new().name(format!("attack-{name}")).spawn(move || {
        let result = match tokio::runtime::Builder::new_multi_thread()
            .worker_threads(ATTACKER_THREADS)
            .enable_all()
            .build()
        {
            Ok(rt) => {
                let result = rt.block_on(attack(ctx, material));
                rt.shutdown_timeout(Duration::from_secs(5));
                result
            }
            Err(e) => Err(e.into()),
        };
        let _ = done_tx.send(result);
    })?;

    // The legitimate party, once the attack has taken hold (or its time has passed), for the
    // rest of the attack's time and at least `PROBING_MIN`.
    while !engaged.load(Ordering::SeqCst) && attack_start.elapsed() < plan.duration {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let engaged_after = attack_start.elapsed();
    let was_engaged = engaged.load(Ordering::SeqCst);
    let deadline = (attack_start + plan.duration).max(Instant::now() + PROBING_MIN);
    let url = net.node(plan.probe_node).url();
    let mut probes = Vec::new();
    while probes.len() < PROBES_MAX && (probes.is_empty() || Instant::now() < deadline) {
        let outcome = probe(&url, net.chain_id(), &mut legit, &mut acks).await;
        let failed = outcome.error.is_some();
        probes.push(outcome);
        if failed {
            resync(net, &mut legit, plan.probe_node).await;
        }
        if Instant::now() < deadline {
            tokio::time::sleep(PROBE_PAUSE.min(deadline.saturating_duration_since(Instant::now()))).await;
        }
    }
    stop.store(true, Ordering::SeqCst);
    let attack_end = Instant::now();
    let transfers_during = load.transfers() - transfers_start - transfers_before;
    let attack_summary = match tokio::time::timeout(ATTACK_STOP_TIMEOUT, done_rx).await {
        Ok(Ok(Ok(summary))) => Ok(summary),
        Ok(Ok(Err(e))) => Err(e),
        Ok(Err(_)) => Err(anyhow::anyhow!("the attack thread ended without a result")),
        Err(_) => Err(anyhow::anyhow!("the attack did not stop within {ATTACK_STOP_TIMEOUT:?}")),
    };

    // The figures: full 10 s windows from the attack's start.
    let windows = ((attack_end - attack_start).as_secs_f64() / WINDOW.as_secs_f64()).floor().max(1.0) as u32;
    let during: Vec<(u64, Vec<u64>)> = (0..windows)
        .map(|w| monitor.blocks(attack_start + WINDOW * w, (attack_start + WINDOW * (w + 1)).min(attack_end)))
        .collect();
    let silences = monitor.silences(attack_start, attack_end);
    let memory = monitor.memory(attack_start, attack_end);
    monitor.stop().await;
    let ok = probes.iter().filter(|p| p.error.is_none()).count();
    let ms = |v: Vec<Option<u128>>| -> String {
        v.iter().map(|m| m.map_or("-".into(), |m| m.to_string())).collect::<Vec<_>>().join("/")
    };
    let figures = format!(
        "attack {name} on {:?} for {:.0} s (engaged {} after {:.1} s)\n  \
         blocks per 10 s: before {} (per node {:?}); during {:?} (per node {:?})\n  \
         load: {:.0} transfers/s before, {:.0} during\n  \
         longest /healthz silence per node during: {:?} ms\n  \
         memory per node during, MiB (max VmRSS, VmHWM): {:?}; bound {} MiB\n  \
         legitimate party on node {}: {ok}/{} probes succeeded; commit ms {}, signed read ms {}, event ms after commit {}{}\n  \
         attack: {}",
        plan.attacked.iter().map(|&i| net.node(i).name.clone()).collect::<Vec<_>>(),
        (attack_end - attack_start).as_secs_f64(),
        if was_engaged { "yes" } else { "NOT" },
        engaged_after.as_secs_f64(),
        before.0,
        before.1,
        during.iter().map(|d| d.0).collect::<Vec<_>>(),
        during.iter().map(|d| d.1.clone()).collect::<Vec<_>>(),
        transfers_before as f64 / WINDOW.as_secs_f64(),
        transfers_during as f64 / (attack_end - attack_start).as_secs_f64(),
        silences.iter().map(|s| s.as_millis()).collect::<Vec<_>>(),
        memory.iter().map(|(r, h)| (mib(*r), mib(*h))).collect::<Vec<_>>(),
        mib(RSS_BOUND_BYTES),
        net.node(plan.probe_node).name,
        probes.len(),
        ms(probes.iter().map(|p| p.commit_ms).collect()),
        ms(probes.iter().map(|p| p.read_ms).collect()),
        ms(probes.iter().map(|p| p.event_ms).collect()),
        probes
            .iter()
            .filter_map(|p| p.error.as_deref())
            .map(|e| format!("\n    probe failed: {e}"))
            .collect::<String>(),
        match &attack_summary {
            Ok(s) => s.clone(),
            Err(e) => format!("failed: {e:#}"),
        },
    );
    report_figures(&figures);

    // The end: the load stops, the nodes converge and stop, the chain checker runs.
    let report = load.stop().await;
    acks.extend(report.acked);
    let mut highest = 0;
    for i in ALL {
        highest = highest.max(net.height(i).await.unwrap_or(0));
    }
    net.wait_for_height(&ALL, highest, PATIENCE).await.context("converging after the attack")?;
    net.stop_all().await?;
    let summary = check_network(net, &acks).context("the chain checker")?;
    ensure!(summary.tips.iter().all(|&t| t >= highest), "a node lost blocks: {summary:?}, top {highest}");

    // The assertions: progress, memory, the legitimate party.
    attack_summary.context("the attack itself")?;
    ensure!(was_engaged, "the attack never took hold, so it showed nothing");
    ensure!(
        during.iter().all(|d| d.0 > 0),
        "a 10 s window of the attack without a committed block: {:?}",
        during.iter().map(|d| d.0).collect::<Vec<_>>()
    );
    ensure!(
        memory.iter().all(|(rss, hwm)| *rss < RSS_BOUND_BYTES && *hwm < RSS_BOUND_BYTES),
        "a node's memory reached {} MiB: {:?}",
        mib(RSS_BOUND_BYTES),
        memory.iter().map(|(r, h)| (mib(*r), mib(*h))).collect::<Vec<_>>()
    );
    ensure!(
        !probes.is_empty() && ok == probes.len(),
        "{} of {} probes of the legitimate party failed",
        probes.len() - ok,
        probes.len()
    );
    Ok(())
}

/// Prints an attack's figures, and appends them to the file [`REPORT_ENV`] names, if any.
fn report_figures(figures: &str) {
    println!("{figures}");
    let Some(path) = std::env::var_os(REPORT_ENV) else { return };
    let written = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, format!("{figures}\n").as_bytes()));
    if let Err(e) = written {
        println!("cannot append the figures to {}: {e}", path.to_string_lossy());
    }
}
