//! A steady load of title transfers, and a record of every transaction a node acknowledged as
//! committed — what a fault test later looks for on every node.
//!
//! Each worker owns one to-order BL and two traders and passes the BL back and forth between
//! them (TRANSFER, signed by the possessor alone), one transaction at a time, submitting to the
//! nodes in turn. A node that is down, frozen or cut off only delays a worker: it moves to the
//! next node, and after a timeout it re-reads the possessor and nonces from a node that answers,
//! so a transaction lost with a killed node's mempool is simply replaced.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{bail, Result};
use ebl_client::ebl_ledger::action::{ExternalCodes, RegisterParty};
use ebl_client::{issue_from_document, Client, IssueParties, TxBuilder};
use ebl_ledger::{Action, BlId, Keypair, Role, RoleSet, Transaction, TxId};
use tokio::task::JoinHandle;

use crate::net::{copy, Testnet};
use crate::story::DOCUMENT;

/// How long a worker waits for one transfer before it looks elsewhere.
const COMMIT_WAIT: Duration = Duration::from_secs(4);
/// The timeout of each request to a node (a frozen node answers nothing).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// A transaction a node reported committed, with the height it gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ack {
    pub tx_id: TxId,
    pub height: u64,
}

/// What a load did.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Every transaction acknowledged as committed, with its height.
    pub acked: Vec<Ack>,
    /// Acknowledged transfers that succeeded.
    pub transfers: u64,
    /// Submissions that got no commit in time (the worker moved on).
    pub timeouts: u64,
    /// Committed but refused (e.g. a replacement that lost to a late original).
    pub refused: u64,
}

/// One worker's BL and parties.
#[derive(Debug)]
struct Lane {
    bl: BlId,
    keys: [Keypair; 2],
    /// Which key holds the BL.
    holder: usize,
    nonces: [u64; 2],
}

/// A running load; [`Load::stop`] ends it and returns the report.
#[derive(Debug)]
pub struct Load {
    stop: Arc<AtomicBool>,
    report: Arc<Mutex<LoadReport>>,
    workers: Vec<JoinHandle<()>>,
}

fn clients(net: &Testnet, key: &Keypair) -> Result<Vec<Client>> {
    (0..net.len()).map(|i| Ok(net.client(i, Some(copy(key)))?.with_timeout(REQUEST_TIMEOUT))).collect()
}

/// Registers `2 × lanes` traders and issues one BL to each lane, from the carrier (validator
/// 0, also the registrar), in one batch; waits until all of it is committed.
async fn prepare(net: &Testnet, lanes: usize, tag: &str) -> Result<(Vec<Lane>, Vec<Ack>)> {
    let carrier = net.key(0)?;
    let client = net.client(0, Some(copy(&carrier)))?;
    let mut nonce = client.nonce(&carrier.party()).await?.next;
    let mut txs: Vec<Transaction> = Vec::new();
    let mut sign = |action: Action| -> Result<Transaction> {
        let tx = TxBuilder::new(net.chain_id(), carrier.party(), action).nonce(nonce).sign(&[&carrier])?;
        nonce += 1;
        Ok(tx)
    };
    let mut out = Vec::new();
    for lane in 0..lanes {
        let keys = [ebl_client::keys::generate()?, ebl_client::keys::generate()?];
        for (k, key) in keys.iter().enumerate() {
            txs.push(sign(Action::RegisterParty(RegisterParty {
                party: key.party(),
                legal_name: format!("Load trader {tag}-{lane}-{k}"),
                roles: RoleSet::of(&[Role::Trader]),
                codes: ExternalCodes::default(),
            }))?);
        }
        let mut document: serde_json::Value = serde_json::from_str(DOCUMENT)?;
        let reference = format!("LOAD{tag}{lane:04}");
        document["transportDocumentReference"] = reference.clone().into();
        let a = keys[0].party();
        let issue = issue_from_document(
            &document.to_string(),
            &IssueParties { issue_to: a, shipper: a, consignee: None, endorsee: Some(a), agents: Vec::new() },
        )?;
        txs.push(sign(Action::Issue(issue))?);
        out.push(Lane { bl: BlId::new(&carrier.party(), &reference), keys, holder: 0, nonces: [0, 0] });
    }
    let ids: Vec<TxId> = txs.iter().map(|t| t.id()).collect();
    let after = client.status().await?.height;
    let response = client.submit_batch(&txs).await?;
    tracing::debug!(?response, "load set-up submitted");
    let found = client.wait_for_txs(&ids, after.saturating_sub(1), Duration::from_secs(60)).await?;
    let mut acks = Vec::new();
    for id in &ids {
        let Some((height, outcome)) = found.get(id) else {
            bail!("load set-up: {id} not committed within 60 s")
        };
        if !outcome.is_success() {
            bail!("load set-up: {id} refused with {outcome}");
        }
        acks.push(Ack { tx_id: *id, height: *height });
    }
    Ok((out, acks))
}

impl Load {
    /// Prepares `lanes` BLs (see [`prepare`]) and starts one worker per BL, submitting to the
    /// nodes in turn. `tag` keeps the BL references of two loads on one network apart.
    pub async fn start(net: &Testnet, lanes: usize, tag: &str) -> Result<Self> {
        let (lanes, setup) = prepare(net, lanes, tag).await?;
        let report = Arc::new(Mutex::new(LoadReport { acked: setup, ..LoadReport::default() }));
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::new();
        for (w, lane) in lanes.into_iter().enumerate() {
            let per_key = [clients(net, &lane.keys[0])?, clients(net, &lane.keys[1])?];
            let worker =
                Worker { lane, clients: per_key, next_node: w, stop: stop.clone(), report: report.clone() };
            workers.push(tokio::spawn(worker.run()));
        }
        Ok(Load { stop, report, workers })
    }

    /// Transfers acknowledged so far.
    pub fn transfers(&self) -> u64 {
        self.report.lock().unwrap_or_else(PoisonError::into_inner).transfers
    }

    /// Waits until `more` further transfers are acknowledged (or `timeout` passes).
    pub async fn wait_for_transfers(&self, more: u64, timeout: Duration) -> Result<()> {
        let target = self.transfers() + more;
        let deadline = tokio::time::Instant::now() + timeout;
        while self.transfers() < target {
            if tokio::time::Instant::now() >= deadline {
                bail!("only {} of {target} transfers acknowledged within {timeout:?}", self.transfers());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// Stops the workers (each finishes its transaction in hand) and returns the report.
    pub async fn stop(self) -> LoadReport {
        self.stop.store(true, Ordering::SeqCst);
        for w in self.workers {
            let _ = w.await;
        }
        let report = self.report.lock().unwrap_or_else(PoisonError::into_inner).clone();
        report
    }
}

struct Worker {
    lane: Lane,
    /// `clients[k][i]`: node `i`, signing as key `k`.
    clients: [Vec<Client>; 2],
    next_node: usize,
    stop: Arc<AtomicBool>,
    report: Arc<Mutex<LoadReport>>,
}

impl Worker {
    fn record(&self, f: impl FnOnce(&mut LoadReport)) {
        f(&mut self.report.lock().unwrap_or_else(PoisonError::into_inner));
    }

    fn client(&mut self, key: usize) -> &Client {
        let nodes = self.clients[key].len();
        self.next_node = (self.next_node + 1) % nodes;
        &self.clients[key][self.next_node]
    }

    async fn run(mut self) {
        while !self.stop.load(Ordering::SeqCst) {
            if let Err(e) = self.step().await {
                tracing::debug!(bl = %self.lane.bl, error = %e, "load step");
                self.record(|r| r.timeouts += 1);
                self.resync().await;
            }
        }
    }

    /// One transfer from the holder to the other key, acknowledged or not.
    async fn step(&mut self) -> Result<()> {
        let from = self.lane.holder;
        let to = 1 - from;
        let action = Action::Transfer { bl: self.lane.bl, to: self.lane.keys[to].party() };
        let key = &self.lane.keys[from];
        let tx = TxBuilder::new(self.clients[0][0].chain_id(), key.party(), action)
            .nonce(self.lane.nonces[from])
            .sign(&[key])?;
        let status = self.client(from).submit_and_wait(&tx, COMMIT_WAIT).await?;
        let (Some(height), Some(outcome)) = (status.height, status.outcome) else {
            bail!("{} not committed within {COMMIT_WAIT:?}", tx.id());
        };
        self.record(|r| r.acked.push(Ack { tx_id: tx.id(), height }));
        if outcome.is_success() {
            self.record(|r| r.transfers += 1);
            self.lane.nonces[from] += 1;
            self.lane.holder = to;
            Ok(())
        } else {
            self.record(|r| r.refused += 1);
            bail!("{} refused: {outcome}", tx.id())
        }
    }

    /// Re-reads the holder and both nonces from a node that answers (a moment later, so a
    /// transaction still in flight has its chance to commit first).
    async fn resync(&mut self) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        for _ in 0..self.clients[0].len() {
            let client = self.client(0).clone();
            let Ok(record) = client.bl(&self.lane.bl).await else { continue };
            let (Ok(a), Ok(b)) = (
                client.nonce(&self.lane.keys[0].party()).await,
                client.nonce(&self.lane.keys[1].party()).await,
            ) else {
                continue;
            };
            self.lane.holder = usize::from(record.possessor == self.lane.keys[1].party());
            self.lane.nonces = [a.committed, b.committed];
            return;
        }
    }
}
