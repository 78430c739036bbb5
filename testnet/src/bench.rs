//! The network benchmark (`ebl-testnet bench`): committed title transfers per second and
//! submit→commit latency on a fresh local network, measured the way DESIGN §9 states its targets,
//! then title-verification reads on one node, a new node syncing the chain, memory per node, and a
//! correctness check of everything that was submitted.
//!
//! **The load.** `lanes` pairs of traders; each lane holds `m` to-order BLs, all issued to its
//! first trader. The schedule interleaves the lanes; within a lane the first trader transfers its
//! `m` BLs to the second, then the second transfers them back, and so on, each signer's nonces
//! consecutive. `m` is chosen so that a BL moves again only `gap` seconds after its previous
//! transfer was scheduled: every transfer is valid when its turn comes if the network commits
//! within `gap`, or larger when `bls_min` asks for more BLs (`--bls 1000000` measures memory at the
//! ledger size DESIGN §9 names). The carriers issue the BLs in waves that fit the mempools, before
//! timing starts. Every transfer is **signed before timing starts**.
//!
//! **Submission** is open-loop: the transfer with sequence number `k` is due at `k / rate`
//! seconds whatever happened to the earlier ones, and its latency is counted from that instant (a
//! submitter that falls behind is charged, not excused). A lane always goes to the same
//! validator; the lanes are spread over all validators; each validator gets `POST
//! /v1/transactions/batch` (borsh) with whatever is due. In *saturating* mode (no rate) transfers
//! are sent whenever fewer than `outstanding` are submitted and not yet committed.
//!
//! **Commits** are observed by following node 0's blocks (`/v1/status`, then `/v1/blocks/{h}` for
//! each new height, polled every 5 ms): a transfer's commit time is when its block was first seen.
//! Throughput counts the successful transfers committed in the window (after the warm-up);
//! latency covers the transfers scheduled in the window.
//!
//! **Afterwards** every submitted transfer must be committed exactly once or reported refused (at
//! admission, with its code), and [`crate::check::check_network`] must find the same chain, valid
//! certificates, the replayed state root on every node, and every observed commit on every node.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use ebl_client::ebl_ledger::action::{ExternalCodes, RegisterParty};
use ebl_client::{issue_from_document, Client, IssueParties, TxBuilder};
use ebl_ledger::{Action, BlId, Hash, Keypair, Role, RoleSet, Transaction, TxId};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::check::check_network;
use crate::net::{copy, NetSpec, Testnet, START_TIMEOUT};
use crate::report::{
    cores, BlockFigures, CheckFigures, CpuFigures, NodeMemory, Outcomes, Percentiles, ReadFigures, RunReport,
    SecondPoint, SetupFigures, SyncFigures, VerifyFigures,
};
use crate::story::DOCUMENT;
use crate::{procfs, Ack};

/// Transactions one carrier issues (its nonce window and mempool quota are 1,000).
const ISSUES_PER_CARRIER: usize = 900;
/// Issues per batch request (each carries a ~4.5 kB DCSA document; the body limit is 4 MiB).
const ISSUES_PER_REQUEST: usize = 600;
/// Carriers issuing at once: 36,000 issues (~130 MiB of documents) in the pools at a time, well
/// within a node's mempool (100,000 transactions, 256 MiB), which every issue reaches by gossip.
const CARRIERS_PER_WAVE: usize = 40;
/// Registrations per wave: the registrar's nonce window and mempool quota are 1,000.
const REGISTRATIONS_PER_WAVE: usize = 900;
/// Transfers per batch request at most (~250 bytes each).
const TRANSFERS_PER_REQUEST: usize = 8_000;
/// How often the submitter wakes, and the follower polls.
const TICK: Duration = Duration::from_millis(10);
const POLL: Duration = Duration::from_millis(5);
const NOT_YET: u64 = u64::MAX;

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchSpec {
    pub validators: usize,
    /// Offered transfers per second; `None` saturates.
    pub rate: Option<f64>,
    /// Saturating mode: at most this many transfers submitted and not yet committed.
    pub outstanding: usize,
    /// Saturating mode: transfers are pre-signed for this rate over warm-up and window.
    pub presign_rate: f64,
    pub lanes: usize,
    /// A BL is transferred again only this long after its previous transfer was due.
    pub gap: Duration,
    /// Issue at least this many BLs before the window (more if `gap` needs more).
    pub bls_min: usize,
    pub warmup: Duration,
    pub window: Duration,
    /// After the window, how long to wait for the last submissions to commit.
    pub drain: Duration,
    /// Title-verification reads on node 0 for this long (zero: skipped).
    pub reads: Duration,
    pub read_concurrency: usize,
    /// Wipe the last validator after the run and time its resync.
    pub sync: bool,
    pub node_bin: PathBuf,
    /// A progress line on stderr every second.
    pub progress: bool,
}

impl BenchSpec {
    fn offered(&self) -> f64 {
        self.rate.unwrap_or(self.presign_rate)
    }

    /// BLs per lane: enough that a BL's consecutive transfers are `gap` apart, and that the lanes
    /// hold at least `bls_min` together.
    fn bls_per_lane(&self) -> usize {
        let per_lane_rate = self.offered() / self.lanes as f64;
        let for_gap = (self.gap.as_secs_f64() * per_lane_rate).ceil() as usize;
        for_gap.max(self.bls_min.div_ceil(self.lanes)).max(2)
    }

    fn transfers(&self) -> usize {
        (self.offered() * (self.warmup + self.window).as_secs_f64()).ceil() as usize
    }
}

/// One lane: two traders and the BLs they pass back and forth.
struct Lane {
    keys: [Keypair; 2],
    bls: Vec<BlId>,
}

/// The pre-signed schedule: transfer `k` in `txs[k]`, to validator `node[k]`.
struct Schedule {
    txs: Vec<Transaction>,
    node: Vec<u8>,
    index: BTreeMap<TxId, u32>,
}

/// The `k`-th transfer of the interleaved schedule: lane, BL, signer, receiver and nonce.
fn step(k: usize, lanes: usize, m: usize) -> (usize, usize, usize, u64) {
    let lane = k % lanes;
    let j = k / lanes;
    let phase = j / m;
    let from = phase % 2;
    let nonce = ((phase / 2) * m + j % m) as u64;
    (lane, j % m, from, nonce)
}

/// Per-transfer fate, indexed by schedule position.
struct Tracker {
    due_us: Vec<u64>,
    /// 0: not sent; 1: admitted; 2: refused at admission (code in `admission_codes`).
    admitted: Vec<u8>,
    commit_us: Vec<u64>,
    height: Vec<u64>,
    success: Vec<bool>,
    seen: Vec<u8>,
    admission_codes: BTreeMap<String, u64>,
    refusal_codes: BTreeMap<String, u64>,
    /// Every block the follower saw: (height, seen at µs, transactions).
    blocks: Vec<(u64, u64, usize)>,
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    committed: AtomicU64,
    committed_ok: AtomicU64,
    stop: AtomicBool,
}

fn lock(t: &Mutex<Tracker>) -> std::sync::MutexGuard<'_, Tracker> {
    t.lock().unwrap_or_else(PoisonError::into_inner)
}

/// ed25519 batch verification speed on this machine: `batch` distinct signed transfers
/// verified with the ledger's own `verify_batch`, repeated for about `time`, on one thread.
pub fn measure_verify(batch: usize, time: Duration, validators: usize) -> Result<VerifyFigures> {
    let keys: Vec<Keypair> = (0..64u8).map(|i| Keypair::from_seed([i.wrapping_add(1); 32])).collect();
    let mut txs = Vec::with_capacity(batch);
    for i in 0..batch {
        let key = &keys[i % keys.len()];
        let action = Action::Transfer { bl: BlId(Hash::digest(&i.to_le_bytes())), to: keys[0].party() };
        txs.push(TxBuilder::new("bench", key.party(), action).nonce(i as u64).sign(&[key])?);
    }
    let start = Instant::now();
    let mut rounds = 0u64;
    while rounds == 0 || start.elapsed() < time {
        let verdicts = ebl_ledger::tx::verify_batch(txs.clone());
        ensure!(verdicts.iter().all(|v| v.is_ok()), "a freshly signed transaction does not verify");
        rounds += 1;
    }
    let per_signature_us = start.elapsed().as_secs_f64() * 1e6 / (rounds as f64 * batch as f64);
    let per_core_per_second = 1e6 / per_signature_us;
    let cores = cores();
    Ok(VerifyFigures {
        batch,
        per_signature_us,
        per_core_per_second,
        cores,
        validators,
        ceiling_tps: per_core_per_second * cores as f64 / validators as f64,
    })
}

/// Runs one benchmark on a fresh network created in `dir`.
pub async fn run(dir: &std::path::Path, spec: &BenchSpec, run_no: usize) -> Result<RunReport> {
    ensure!(spec.lanes >= 1 && spec.validators >= 1, "need at least one lane and one validator");
    let verify = measure_verify(2048, Duration::from_secs(2), spec.validators)?;
    say(spec, &format!(
        "ed25519 batch verification: {:.1} µs per signature; ceiling {:.0} tx/s for {} validators on {} cores",
        verify.per_signature_us, verify.ceiling_tps, spec.validators, verify.cores
    ));

    let mut net_spec = NetSpec::new(spec.validators, spec.node_bin.clone());
    net_spec.base_port = None;
    if let Ok(filter) = std::env::var("EBL_NODE_LOG") {
        net_spec.log_filter = filter;
    }
    let mut net = Testnet::create(dir, net_spec).await?;
    net.start_all()?;
    for i in 0..net.len() {
        net.wait_ready(i, START_TIMEOUT).await?;
    }
    let outcome = measure(&mut net, spec, run_no, verify).await;
    if outcome.is_err() {
        let _ = net.stop_all().await;
    }
    outcome
}

fn say(spec: &BenchSpec, line: &str) {
    if spec.progress {
        eprintln!("{line}");
    }
}

async fn measure(
    net: &mut Testnet,
    spec: &BenchSpec,
    run_no: usize,
    verify: VerifyFigures,
) -> Result<RunReport> {
    let setup_start = Instant::now();
    let m = spec.bls_per_lane();
    let (lanes, setup_acks, carriers) = set_up(net, spec.lanes, m, run_no).await?;
    let setup = SetupFigures {
        carriers,
        traders: 2 * spec.lanes,
        bls: spec.lanes * m,
        seconds: setup_start.elapsed().as_secs_f64(),
        ..SetupFigures::default()
    };
    say(spec, &format!("set-up: {} BLs for {} lanes in {:.1} s", setup.bls, spec.lanes, setup.seconds));

    let presign_start = Instant::now();
    let n = spec.transfers();
    let schedule = presign(net.chain_id(), &lanes, m, n, net.len())?;
    let setup =
        SetupFigures { presigned: n, presign_seconds: presign_start.elapsed().as_secs_f64(), ..setup };
    say(spec, &format!("{n} transfers pre-signed in {:.1} s", setup.presign_seconds));

    let schedule = Arc::new(schedule);
    let tracker = Arc::new(Mutex::new(Tracker {
        due_us: vec![NOT_YET; n],
        admitted: vec![0; n],
        commit_us: vec![NOT_YET; n],
        height: vec![0; n],
        success: vec![false; n],
        seen: vec![0; n],
        admission_codes: BTreeMap::new(),
        refusal_codes: BTreeMap::new(),
        blocks: Vec::new(),
    }));
    let counters = Arc::new(Counters::default());
    let t0 = Instant::now();

    let follower =
        tokio::spawn(follow(net.client(0, None)?, schedule.clone(), tracker.clone(), counters.clone(), t0));
    let mut queues = Vec::new();
    let mut submitters = Vec::new();
    for i in 0..net.len() {
        let (sender, receiver) = mpsc::unbounded_channel::<Vec<u32>>();
        queues.push(sender);
        let client = net.client(i, None)?.with_timeout(Duration::from_secs(60));
        submitters.push(tokio::spawn(submit(client, receiver, schedule.clone(), tracker.clone())));
    }
    let progress =
        spec.progress.then(|| tokio::spawn(show_progress(counters.clone(), t0, spec.warmup + spec.window)));

    // The schedule.
    let end = spec.warmup + spec.window;
    let mut sent = 0usize;
    let mut cpu_from: Option<CpuSample> = None;
    loop {
        let elapsed = t0.elapsed();
        if cpu_from.is_none() && elapsed >= spec.warmup {
            cpu_from = CpuSample::take(net, elapsed);
        }
        let due = match spec.rate {
            Some(rate) => ((elapsed.as_secs_f64() * rate) as usize).min(n),
            None => (counters.committed.load(Ordering::Relaxed) as usize + spec.outstanding).min(n),
        };
        if due > sent {
            let mut per_node: Vec<Vec<u32>> = vec![Vec::new(); net.len()];
            {
                let mut t = lock(&tracker);
                for k in sent..due {
                    t.due_us[k] = match spec.rate {
                        Some(rate) => (k as f64 / rate * 1e6) as u64,
                        None => elapsed.as_micros() as u64,
                    };
                    per_node[usize::from(schedule.node[k])].push(k as u32);
                }
            }
            for (queue, batch) in queues.iter().zip(per_node) {
                if !batch.is_empty() {
                    let _ = queue.send(batch);
                }
            }
            counters.sent.store(due as u64, Ordering::Relaxed);
            sent = due;
        }
        if sent >= n || elapsed >= end {
            break;
        }
        tokio::time::sleep(TICK).await;
    }
    let cpu = cpu_from.zip(CpuSample::take(net, t0.elapsed()));
    drop(queues);
    for s in submitters {
        let _ = s.await;
    }
    // Drain: every admitted transfer committed, or the drain time is up.
    let drain_until = Instant::now() + spec.drain;
    loop {
        let waiting = {
            let t = lock(&tracker);
            (0..sent).filter(|&k| t.admitted[k] == 1 && t.seen[k] == 0).count()
        };
        if waiting == 0 || Instant::now() >= drain_until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if let Some(p) = progress {
        p.abort();
        eprintln!();
    }

    let memory = memory(net);
    let reads = if spec.reads.is_zero() {
        None
    } else {
        let bls: Vec<BlId> = lanes.iter().flat_map(|l| l.bls.iter().copied()).take(2_000).collect();
        let figures = read_load(net, &bls, spec.reads, spec.read_concurrency).await?;
        say(
            spec,
            &format!("reads: {:.0} title verifications per second on {}", figures.per_second, figures.node),
        );
        Some(figures)
    };
    let sync = if spec.sync && net.len() > 1 {
        let figures = sync_one(net, &tracker).await?;
        say(spec, &format!("sync: {:.0} tx/s replayed by a new {}", figures.txs_per_second, figures.node));
        Some(figures)
    } else {
        None
    };
    counters.stop.store(true, Ordering::SeqCst);
    let _ = follower.await;

    net.stop_all().await?;
    let t = lock(&tracker);
    let mut acks = setup_acks;
    acks.extend(
        (0..n).filter(|&k| t.seen[k] > 0).map(|k| Ack { tx_id: schedule.txs[k].id(), height: t.height[k] }),
    );
    let check = match check_network(net, &acks) {
        Ok(summary) => CheckFigures {
            passed: true,
            tips: summary.tips,
            replayed_blocks: summary.replayed,
            acked_found_on_every_node: summary.acked,
            error: None,
        },
        Err(e) => CheckFigures { passed: false, error: Some(format!("{e:#}")), ..CheckFigures::default() },
    };
    let node_cpu = cpu.and_then(|(from, to)| node_cpu(&t, sent, &from, &to));
    Ok(figures(spec, run_no, &t, sent, setup, verify, memory, node_cpu, reads, sync, check))
}

#[allow(clippy::too_many_arguments)]
fn figures(
    spec: &BenchSpec,
    run_no: usize,
    t: &Tracker,
    sent: usize,
    setup: SetupFigures,
    verify: VerifyFigures,
    memory: Vec<NodeMemory>,
    node_cpu: Option<CpuFigures>,
    reads: Option<ReadFigures>,
    sync: Option<SyncFigures>,
    check: CheckFigures,
) -> RunReport {
    let from = spec.warmup.as_micros() as u64;
    let to = (spec.warmup + spec.window).as_micros() as u64;
    let in_window = |us: u64| us >= from && us < to;
    let mut outcomes = Outcomes {
        submitted: sent as u64,
        refused_at_admission: t.admission_codes.clone(),
        committed_refused: t.refusal_codes.clone(),
        ..Outcomes::default()
    };
    let mut latencies = Vec::new();
    let mut window_uncommitted = 0;
    let mut window_ok = 0u64;
    for k in 0..sent {
        outcomes.admitted += u64::from(t.admitted[k] == 1);
        outcomes.committed_success += u64::from(t.seen[k] > 0 && t.success[k]);
        outcomes.duplicated += u64::from(t.seen[k] > 1);
        outcomes.lost += u64::from(t.admitted[k] == 1 && t.seen[k] == 0);
        if t.seen[k] > 0 && t.success[k] && in_window(t.commit_us[k]) {
            window_ok += 1;
        }
        if in_window(t.due_us[k]) {
            if t.seen[k] > 0 {
                latencies.push(t.commit_us[k].saturating_sub(t.due_us[k]));
            } else {
                window_uncommitted += 1;
            }
        }
    }
    let committed_tps = window_ok as f64 / spec.window.as_secs_f64();
    // Saturating, the network must have work to the end of the window, or it measured the
    // supply of pre-signed transfers rather than itself.
    let last_commit_us = (0..sent).filter(|&k| t.seen[k] > 0).map(|k| t.commit_us[k]).max();
    let supply_ran_out_s = match (spec.rate, last_commit_us) {
        (None, Some(last)) if sent == t.seen.len() && last < to => Some(last as f64 / 1e6),
        _ => None,
    };
    let window_blocks: Vec<&(u64, u64, usize)> = t.blocks.iter().filter(|b| in_window(b.1)).collect();
    let blocks = BlockFigures {
        blocks: window_blocks.len() as u64,
        mean_txs: if window_blocks.is_empty() {
            0.0
        } else {
            window_blocks.iter().map(|b| b.2 as f64).sum::<f64>() / window_blocks.len() as f64
        },
        max_txs: window_blocks.iter().map(|b| b.2 as u64).max().unwrap_or(0),
        mean_interval_ms: match (window_blocks.first(), window_blocks.last()) {
            (Some(a), Some(b)) if window_blocks.len() > 1 => {
                (b.1 - a.1) as f64 / 1000.0 / (window_blocks.len() - 1) as f64
            }
            _ => 0.0,
        },
    };
    let fraction_of_ceiling = if verify.ceiling_tps > 0.0 { committed_tps / verify.ceiling_tps } else { 0.0 };
    RunReport {
        run: run_no,
        mode: if spec.rate.is_some() { "open-loop" } else { "saturating" }.into(),
        offered_tps: spec.rate,
        outstanding_max: spec.rate.is_none().then_some(spec.outstanding),
        validators: spec.validators,
        lanes: spec.lanes,
        warmup_s: spec.warmup.as_secs_f64(),
        window_s: spec.window.as_secs_f64(),
        setup,
        outcomes,
        committed_tps,
        latency: Percentiles::of(&mut latencies),
        window_uncommitted,
        supply_ran_out_s,
        blocks,
        reads,
        sync,
        memory,
        node_cpu,
        verify,
        fraction_of_ceiling,
        check,
        series: series(t, sent),
    }
}

/// Per second since the start: transfers due, successful commits seen, their latency.
fn series(t: &Tracker, sent: usize) -> Vec<SecondPoint> {
    let last = (0..sent).filter(|&k| t.seen[k] > 0).map(|k| t.commit_us[k]).max().unwrap_or(0);
    let seconds = (last / 1_000_000 + 1) as usize;
    let mut points: Vec<SecondPoint> =
        (0..seconds).map(|s| SecondPoint { t_s: s as u64, ..SecondPoint::default() }).collect();
    let mut latencies: Vec<Vec<u64>> = vec![Vec::new(); seconds];
    for k in 0..sent {
        if let Some(p) = points.get_mut((t.due_us[k] / 1_000_000) as usize) {
            p.submitted += 1;
        }
        if t.seen[k] > 0 && t.success[k] {
            let s = (t.commit_us[k] / 1_000_000) as usize;
            if let (Some(p), Some(l)) = (points.get_mut(s), latencies.get_mut(s)) {
                p.committed += 1;
                l.push(t.commit_us[k].saturating_sub(t.due_us[k]));
            }
        }
    }
    for (p, l) in points.iter_mut().zip(latencies.iter_mut()) {
        let q = Percentiles::of(l);
        p.p50_ms = q.p50_ms;
        p.p99_ms = q.p99_ms;
    }
    points
}

/// Registers the carriers and traders (one batch from the registrar, validator 0), then has
/// every carrier issue its share of the BLs, each lane's to its first trader. Returns the lanes,
/// the acknowledged set-up transactions and the number of carriers.
async fn set_up(
    net: &Testnet,
    lanes: usize,
    m: usize,
    run_no: usize,
) -> Result<(Vec<Lane>, Vec<Ack>, usize)> {
    let registrar = net.key(0)?;
    let client = net.client(0, Some(copy(&registrar)))?;
    let total_bls = lanes * m;
    let carriers: Vec<Keypair> = (0..total_bls.div_ceil(ISSUES_PER_CARRIER))
        .map(|_| ebl_client::keys::generate())
        .collect::<Result<_, _>>()?;
    let mut lane_keys = Vec::new();
    for _ in 0..lanes {
        lane_keys.push([ebl_client::keys::generate()?, ebl_client::keys::generate()?]);
    }
    let mut nonce = client.nonce(&registrar.party()).await?.next;
    let mut registrations = Vec::new();
    let mut register = |party, name: String, role| -> Result<()> {
        let action = Action::RegisterParty(RegisterParty {
            party,
            legal_name: name,
            roles: RoleSet::of(&[role]),
            codes: ExternalCodes::default(),
        });
        registrations.push(
            TxBuilder::new(net.chain_id(), registrar.party(), action).nonce(nonce).sign(&[&registrar])?,
        );
        nonce += 1;
        Ok(())
    };
    for (c, key) in carriers.iter().enumerate() {
        register(key.party(), format!("Bench carrier {run_no}-{c}"), Role::Carrier)?;
    }
    for (l, keys) in lane_keys.iter().enumerate() {
        for (k, key) in keys.iter().enumerate() {
            register(key.party(), format!("Bench trader {run_no}-{l}-{k}"), Role::Trader)?;
        }
    }
    let mut acks = Vec::new();
    for wave in registrations.chunks(REGISTRATIONS_PER_WAVE) {
        acks.extend(
            submit_and_wait(net, &[(0, wave.to_vec())]).await.context("registering the bench parties")?,
        );
    }

    // Issue: BL g belongs to lane g / m and is issued by carrier g / ISSUES_PER_CARRIER; the
    // carriers issue in waves, each signed just before it is submitted.
    let template: serde_json::Value = serde_json::from_str(DOCUMENT)?;
    let mut bls: Vec<Vec<BlId>> = vec![Vec::with_capacity(m); lanes];
    for (w, wave) in carriers.chunks(CARRIERS_PER_WAVE).enumerate() {
        let mut per_carrier: Vec<(usize, Vec<Transaction>)> = Vec::new();
        for (k, carrier) in wave.iter().enumerate() {
            let c = w * CARRIERS_PER_WAVE + k;
            let mut txs = Vec::new();
            for (i, g) in (c * ISSUES_PER_CARRIER..((c + 1) * ISSUES_PER_CARRIER).min(total_bls)).enumerate()
            {
                let lane = g / m;
                let reference = format!("BENCH{run_no}X{g:07}");
                let mut document = template.clone();
                document["transportDocumentReference"] = reference.clone().into();
                let holder = lane_keys[lane][0].party();
                let issue = issue_from_document(
                    &document.to_string(),
                    &IssueParties {
                        issue_to: holder,
                        shipper: holder,
                        consignee: None,
                        endorsee: Some(holder),
                        agents: Vec::new(),
                    },
                )?;
                txs.push(
                    TxBuilder::new(net.chain_id(), carrier.party(), Action::Issue(issue))
                        .nonce(i as u64)
                        .sign(&[carrier])?,
                );
                bls[lane].push(BlId::new(&carrier.party(), &reference));
            }
            per_carrier.push((c % net.len(), txs));
        }
        acks.extend(submit_and_wait(net, &per_carrier).await.context("issuing the bench BLs")?);
    }
    let lanes = lane_keys.into_iter().zip(bls).map(|(keys, bls)| Lane { keys, bls }).collect();
    Ok((lanes, acks, carriers.len()))
}

/// Submits each `(node, transactions)` in requests of at most [`ISSUES_PER_REQUEST`], then
/// follows node 0's blocks until all are committed with `SUCCESS`.
async fn submit_and_wait(net: &Testnet, batches: &[(usize, Vec<Transaction>)]) -> Result<Vec<Ack>> {
    let follower = net.client(0, None)?;
    let after = follower.status().await?.height;
    let mut ids = Vec::new();
    let mut requests = Vec::new();
    for (node, txs) in batches {
        let client = net.client(*node, None)?.with_timeout(Duration::from_secs(60));
        ids.extend(txs.iter().map(Transaction::id));
        let chunks: Vec<Vec<Transaction>> =
            txs.chunks(ISSUES_PER_REQUEST).map(<[Transaction]>::to_vec).collect();
        requests.push(async move {
            for chunk in chunks {
                let response = client.submit_batch(&chunk).await?;
                if let Some(refused) = response.results.iter().find(|r| r.status.is_none()) {
                    bail!(
                        "set-up transaction {} refused: {:?} {:?}",
                        refused.tx_id,
                        refused.code,
                        refused.message
                    );
                }
            }
            Ok(())
        });
    }
    for result in futures::future::join_all(requests).await {
        result?;
    }
    let found = follower.wait_for_txs(&ids, after.saturating_sub(1), Duration::from_secs(600)).await?;
    let mut acks = Vec::with_capacity(ids.len());
    for id in &ids {
        let Some((height, outcome)) = found.get(id) else { bail!("set-up transaction {id} not committed") };
        ensure!(outcome.is_success(), "set-up transaction {id} refused: {outcome}");
        acks.push(Ack { tx_id: *id, height: *height });
    }
    // The next step may submit to any node, and a node admits a transaction only against its own
    // committed state (a carrier registered at height h is unknown to a node still at h - 1).
    let top = acks.iter().map(|a| a.height).max().unwrap_or(0);
    let all: Vec<usize> = (0..net.len()).collect();
    net.wait_for_height(&all, top, Duration::from_secs(60)).await?;
    Ok(acks)
}

/// Signs the `n` transfers of the schedule, on every core.
fn presign(chain_id: &str, lanes: &[Lane], m: usize, n: usize, nodes: usize) -> Result<Schedule> {
    let threads = cores().max(1);
    let chunk = n.div_ceil(threads).max(1);
    let parts: Vec<Result<Vec<Transaction>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || -> Result<Vec<Transaction>> {
                    let mut out = Vec::with_capacity(chunk);
                    for k in (t * chunk)..((t + 1) * chunk).min(n) {
                        let (lane, slot, from, nonce) = step(k, lanes.len(), m);
                        let lane = &lanes[lane];
                        let key = &lane.keys[from];
                        let action = Action::Transfer { bl: lane.bls[slot], to: lane.keys[1 - from].party() };
                        out.push(TxBuilder::new(chain_id, key.party(), action).nonce(nonce).sign(&[key])?);
                    }
                    Ok(out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a signing thread panicked"))))
            .collect()
    });
    let mut txs = Vec::with_capacity(n);
    for part in parts {
        txs.extend(part?);
    }
    let index = txs.iter().enumerate().map(|(k, tx)| (tx.id(), k as u32)).collect();
    let node = (0..n).map(|k| ((k % lanes.len()) % nodes) as u8).collect();
    Ok(Schedule { txs, node, index })
}

/// One validator's submitter: sends whatever is queued as one batch, in order.
async fn submit(
    client: Client,
    mut queue: mpsc::UnboundedReceiver<Vec<u32>>,
    schedule: Arc<Schedule>,
    tracker: Arc<Mutex<Tracker>>,
) {
    while let Some(mut ks) = queue.recv().await {
        while ks.len() < TRANSFERS_PER_REQUEST {
            match queue.try_recv() {
                Ok(more) => ks.extend(more),
                Err(_) => break,
            }
        }
        let txs: Vec<Transaction> = ks.iter().map(|&k| schedule.txs[k as usize].clone()).collect();
        let response = client.submit_batch(&txs).await;
        let mut t = lock(&tracker);
        match response {
            Ok(response) => {
                for (&k, result) in ks.iter().zip(&response.results) {
                    if result.status.is_some() {
                        t.admitted[k as usize] = 1;
                    } else {
                        t.admitted[k as usize] = 2;
                        *t.admission_codes.entry(result.code.clone().unwrap_or_default()).or_default() += 1;
                    }
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, txs = ks.len(), "a batch submission failed");
                for &k in &ks {
                    t.admitted[k as usize] = 2;
                }
                *t.admission_codes.entry("SUBMISSION_FAILED".into()).or_default() += ks.len() as u64;
            }
        }
    }
}

/// Follows node 0's committed blocks from height 1 and records each scheduled transfer's commit.
async fn follow(
    client: Client,
    schedule: Arc<Schedule>,
    tracker: Arc<Mutex<Tracker>>,
    counters: Arc<Counters>,
    t0: Instant,
) {
    let mut next = 1u64;
    while !counters.stop.load(Ordering::SeqCst) {
        let tip = match client.status().await {
            Ok(status) => status.height,
            Err(e) => {
                tracing::warn!(error = %e, "follower: status");
                tokio::time::sleep(POLL).await;
                continue;
            }
        };
        while next <= tip {
            let block = match client.block(next).await {
                Ok(block) => block,
                Err(e) => {
                    tracing::warn!(height = next, error = %e, "follower: block");
                    break;
                }
            };
            let seen_at = t0.elapsed().as_micros() as u64;
            let mut t = lock(&tracker);
            t.blocks.push((block.height, seen_at, block.tx_ids.len()));
            for (id, outcome) in block.tx_ids.iter().zip(&block.outcomes) {
                let Some(&k) = schedule.index.get(id) else { continue };
                let k = k as usize;
                t.seen[k] = t.seen[k].saturating_add(1);
                if t.seen[k] > 1 {
                    continue;
                }
                t.commit_us[k] = seen_at;
                t.height[k] = block.height;
                t.success[k] = outcome.is_success();
                counters.committed.fetch_add(1, Ordering::Relaxed);
                if t.success[k] {
                    counters.committed_ok.fetch_add(1, Ordering::Relaxed);
                } else {
                    *t.refusal_codes.entry(outcome.to_string()).or_default() += 1;
                }
            }
            next += 1;
        }
        tokio::time::sleep(POLL).await;
    }
}

async fn show_progress(counters: Arc<Counters>, t0: Instant, end: Duration) {
    let mut last = 0;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let ok = counters.committed_ok.load(Ordering::Relaxed);
        let elapsed = t0.elapsed();
        let width = 30usize;
        let done = ((elapsed.as_secs_f64() / end.as_secs_f64()).min(1.0) * width as f64) as usize;
        eprint!(
            "\r[{}{}] {:>4.0} s  sent {:>9}  committed {:>9}  last second {:>6} tx/s ",
            "#".repeat(done),
            " ".repeat(width - done),
            elapsed.as_secs_f64(),
            counters.sent.load(Ordering::Relaxed),
            ok,
            ok - last
        );
        let _ = std::io::stderr().flush();
        last = ok;
    }
}

/// The CPU time every node process has used so far, when the benchmark had been running `at`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct CpuSample {
    at: Duration,
    cpu_seconds: f64,
}

impl CpuSample {
    /// `None` unless every node's `/proc/<pid>/stat` reads (Linux, every node running).
    fn take(net: &Testnet, at: Duration) -> Option<CpuSample> {
        let mut cpu_seconds = 0.0;
        for i in 0..net.len() {
            cpu_seconds += procfs::cpu_seconds(&net.process_id(i)?.to_string())?;
        }
        Some(CpuSample { at, cpu_seconds })
    }
}

/// The nodes' CPU per successful transfer committed between two samples.
fn node_cpu(t: &Tracker, sent: usize, from: &CpuSample, to: &CpuSample) -> Option<CpuFigures> {
    let (a, b) = (from.at.as_micros() as u64, to.at.as_micros() as u64);
    let transfers = (0..sent)
        .filter(|&k| t.seen[k] > 0 && t.success[k] && (a..b).contains(&t.commit_us[k]))
        .count() as u64;
    let seconds = to.at.saturating_sub(from.at).as_secs_f64();
    let cpu_seconds = to.cpu_seconds - from.cpu_seconds;
    (transfers > 0 && seconds > 0.0).then(|| CpuFigures {
        seconds,
        cpu_seconds,
        transfers,
        us_per_transfer: cpu_seconds * 1e6 / transfers as f64,
        cores: cpu_seconds / seconds,
    })
}

/// Each node's peak and current resident set.
fn memory(net: &Testnet) -> Vec<NodeMemory> {
    (0..net.len())
        .filter_map(|i| {
            let memory = procfs::memory(net.process_id(i)?)?;
            Some(NodeMemory {
                node: net.node(i).name.clone(),
                peak_mib: memory.peak_mib(),
                rss_mib: memory.rss_mib(),
            })
        })
        .collect()
}

/// `concurrency` readers verify titles (`GET /v1/verify/{bl}?checksum=`, the checksum the
/// ledger holds, read first by the registrar — node 0's party — since the public route never
/// tells it) on node 0 for `time`; every answer must find the BL and match.
async fn read_load(net: &Testnet, bls: &[BlId], time: Duration, concurrency: usize) -> Result<ReadFigures> {
    let registrar = net.client(0, Some(net.key(0)?))?;
    let mut targets = Vec::with_capacity(bls.len());
    for bl in bls {
        let record = registrar.bl(bl).await.with_context(|| format!("reading {bl}"))?;
        targets.push((*bl, record.document_checksum));
    }
    let targets = Arc::new(targets);
    let start = Instant::now();
    let deadline = start + time;
    let mut readers = Vec::new();
    for r in 0..concurrency {
        let client = net.client(0, None)?;
        let targets = targets.clone();
        readers.push(tokio::spawn(async move {
            let (mut ok, mut errors) = (0u64, 0u64);
            let mut i = r;
            while Instant::now() < deadline {
                let (bl, checksum) = &targets[i % targets.len()];
                match client.verify_public(bl, Some(checksum)).await {
                    Ok(v) if v.found && v.checksum_matches == Some(true) => ok += 1,
                    _ => errors += 1,
                }
                i += concurrency;
            }
            (ok, errors)
        }));
    }
    let (mut ok, mut errors) = (0, 0);
    for r in readers {
        let (o, e) = r.await?;
        ok += o;
        errors += e;
    }
    let seconds = start.elapsed().as_secs_f64();
    Ok(ReadFigures {
        node: net.node(0).name.clone(),
        concurrency,
        seconds,
        ok,
        errors,
        per_second: ok as f64 / seconds,
    })
}

/// Stops the last validator, deletes its database and starts it again: the time until it holds
/// the chain up to the others' tip, and the transactions it replayed and verified meanwhile.
async fn sync_one(net: &mut Testnet, tracker: &Mutex<Tracker>) -> Result<SyncFigures> {
    let i = net.len() - 1;
    net.stop(i).await?;
    net.wipe_data(i)?;
    let target = net.height(0).await.context("node 0 does not answer")?;
    let start = Instant::now();
    net.start(i)?;
    let deadline = start + Duration::from_secs(900);
    loop {
        if net.height(i).await.is_some_and(|h| h >= target) {
            break;
        }
        ensure!(Instant::now() < deadline, "{} did not reach height {target} in 900 s", net.node(i).name);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seconds = start.elapsed().as_secs_f64();
    let txs = lock(tracker).blocks.iter().filter(|b| b.0 <= target).map(|b| b.2 as u64).sum();
    Ok(SyncFigures {
        node: net.node(i).name.clone(),
        height: target,
        txs,
        seconds,
        txs_per_second: txs as f64 / seconds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_cpu_counts_only_successful_commits_between_the_samples() {
        let t = Tracker {
            due_us: vec![0; 4],
            admitted: vec![1; 4],
            // Before the span, in it, in it but refused, after it.
            commit_us: vec![500_000, 2_000_000, 2_500_000, 9_000_000],
            height: vec![1; 4],
            success: vec![true, true, false, true],
            seen: vec![1; 4],
            admission_codes: BTreeMap::new(),
            refusal_codes: BTreeMap::new(),
            blocks: Vec::new(),
        };
        let from = CpuSample { at: Duration::from_secs(1), cpu_seconds: 10.0 };
        let to = CpuSample { at: Duration::from_secs(5), cpu_seconds: 18.0 };
        let cpu = node_cpu(&t, 4, &from, &to).expect("a transfer committed in the span");
        assert_eq!((cpu.transfers, cpu.seconds, cpu.cpu_seconds, cpu.cores), (1, 4.0, 8.0, 2.0));
        assert_eq!(cpu.us_per_transfer, 8e6);
        assert_eq!(node_cpu(&t, 1, &from, &to), None, "nothing committed in the span");
    }

    #[test]
    fn a_bl_moves_again_only_after_m_steps_of_its_lane_and_nonces_are_consecutive() {
        let (lanes, m) = (3, 4);
        let mut holder: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        let mut next_nonce: BTreeMap<(usize, usize), u64> = BTreeMap::new();
        for k in 0..(lanes * m * 6) {
            let (lane, slot, from, nonce) = step(k, lanes, m);
            // The signer holds the BL (every BL starts with key 0).
            assert_eq!(*holder.get(&(lane, slot)).unwrap_or(&0), from, "k={k}");
            holder.insert((lane, slot), 1 - from);
            // Each signer's nonces run 0, 1, 2, … with no gap.
            let n = next_nonce.entry((lane, from)).or_insert(0);
            assert_eq!(*n, nonce, "k={k}");
            *n += 1;
        }
        // The same BL comes back after lanes × m schedule positions.
        assert_eq!(step(5, lanes, m).1, step(5 + lanes * m, lanes, m).1);
        assert_eq!(step(5, lanes, m).0, step(5 + lanes * m, lanes, m).0);
    }

    #[test]
    fn the_lanes_hold_enough_bls_for_the_gap_and_at_least_the_number_asked_for() {
        let spec = BenchSpec {
            validators: 4,
            rate: None,
            outstanding: 10_000,
            presign_rate: 12_000.0,
            lanes: 200,
            gap: Duration::from_secs(3),
            bls_min: 0,
            warmup: Duration::from_secs(10),
            window: Duration::from_secs(60),
            drain: Duration::from_secs(30),
            reads: Duration::ZERO,
            read_concurrency: 1,
            sync: false,
            node_bin: PathBuf::from("ebl-node"),
            progress: false,
        };
        // 12,000 transfers/s over 200 lanes, 3 s apart: 180 BLs a lane, 36,000 in all.
        assert_eq!(spec.bls_per_lane(), 180);
        // A million asked for: 5,000 a lane, however short the gap.
        let million = BenchSpec { bls_min: 1_000_000, ..spec.clone() };
        assert_eq!(million.bls_per_lane() * million.lanes, 1_000_000);
        // Fewer than the gap needs: the gap wins.
        assert_eq!(BenchSpec { bls_min: 1_000, ..spec.clone() }.bls_per_lane(), 180);
        // One more than a multiple of the lanes rounds up, never down.
        assert_eq!(BenchSpec { bls_min: 1_000_001, ..spec }.bls_per_lane(), 5_001);
    }
}
