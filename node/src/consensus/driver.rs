//! The driver: answers every message of Malachite's engine with the application core ([`App`]).
//!
//! It runs on a dedicated OS thread (`blocking_recv`), so block execution never blocks a tokio
//! worker, and it replies on every path: the engine waits for each answer.
//!
//! * **Propose** (`GetValue`): reuse the block already built for `(height, round)` if any (never
//!   equivocate), else wait briefly for transactions, reap the mempool, build and execute a block,
//!   and stream it as proposal parts. The wait for transactions does not hold the driver: other
//!   messages (sync requests above all) are answered meanwhile.
//! * **Validate** (`ReceivedProposalPart`): reassemble, check the builder's signature, re-execute;
//!   a block whose roots, parent, height, time or signatures are wrong is answered `Invalid`, so
//!   this validator prevotes nil. Blocks for a later height wait until their parent commits.
//! * **Commit** (`Decided`): one atomic storage batch with the block and its certificate; then the
//!   mempool drops what was committed and subscribers hear of it.
//! * **Sync**: serve stored blocks with certificates; validate and commit synced ones.
//! * **Mempool gossip**: `TxBatch` parts from other validators are admitted in one batch
//!   verification (ADR 0006).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ebl_ledger::{Hash, Keypair, PartyId, StateKey, StateRead, StateTree, TxId, VerifiedTx};
use malachitebft_app_channel::app::consensus::VoteExtensionError;
use malachitebft_app_channel::app::engine::host::{HeightParams, Next, SyncedValueOutcome};
use malachitebft_app_channel::app::streaming::{StreamContent, StreamMessage};
use malachitebft_app_channel::app::types::core::{CommitCertificate, LinearTimeouts, Round, Validity};
use malachitebft_app_channel::app::types::sync::RawDecidedValue;
use malachitebft_app_channel::app::types::{LocallyProposedValue, PeerId, ProposedValue};
use malachitebft_app_channel::{AppMsg, NetworkMsg};
use tokio::sync::{broadcast, mpsc};
use tracing::{debug, info, warn};

use super::codec::{ledger_certificate, BorshCodec};
use super::context::{
    BlockHash, BlockHeight, EblContext, PartInit, ProposalPart, ValidatorAddress, ValidatorSet,
};
use super::streaming::{self, Reassembler, ReceivedBlock};
use super::Tamper;
use crate::app::{App, BlockLimits, PreparedBlock};
use crate::mempool::{Mempool, NonceView};
use crate::storage::Storage;

/// Heights ahead of the next one whose blocks are kept until their parent commits.
pub const LOOKAHEAD_HEIGHTS: u64 = 4;
/// Blocks kept per future height, and values remembered per round (a Byzantine validator may
/// stream many; honest ones send one per round).
pub const VALUES_PER_ROUND_MAX: usize = 16;
/// Most decided blocks served in one sync response.
pub const SYNC_BLOCKS_MAX: u64 = 16;
/// Most bytes of blocks served in one sync response.
pub const SYNC_BYTES_MAX: usize = 48 * 1024 * 1024;
/// Transactions gossiped in one batch at most.
pub const GOSSIP_BATCH_TXS_MAX: usize = 2_000;

/// A committed block, as subscribers hear of it.
#[derive(Debug, Clone)]
pub struct CommitEvent {
    pub height: u64,
    pub round: u32,
    pub block_hash: Hash,
    pub state_root: Hash,
    /// Each transaction with whether it succeeded.
    pub txs: Vec<(TxId, bool)>,
    /// Committed from a block fetched by sync rather than decided live.
    pub synced: bool,
}

/// Counters a test or `/metrics` can read.
#[derive(Debug, Clone, Default)]
pub struct DriverStats {
    pub blocks_built: u64,
    pub blocks_validated: u64,
    pub proposals_refused: u64,
    pub synced_blocks: u64,
    pub decided: u64,
    pub tx_batches_received: u64,
    /// Transactions of others' blocks whose signatures the mempool had verified already.
    pub signatures_reused: u64,
    /// Transactions of others' blocks verified in a batch at validation.
    pub txs_batch_verified: u64,
    /// Transactions committed since the node started.
    pub txs_committed: u64,
}

/// What the driver shares with the node's handle.
#[derive(Debug)]
pub struct Shared {
    pub mempool: Mutex<Mempool>,
    pub events: broadcast::Sender<CommitEvent>,
    pub stats: Mutex<DriverStats>,
}

impl Shared {
    pub fn mempool(&self) -> MutexGuard<'_, Mempool> {
        self.mempool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn stats(&self) -> MutexGuard<'_, DriverStats> {
        self.stats.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Admits a batch with the pool held only for the cheap checks and the insertion, not for
    /// the signatures: the API and the driver both need the pool meanwhile. `gossip`: a client's
    /// batch, passed on to the peers.
    pub fn admit_batch(
        &self,
        txs: Vec<ebl_ledger::Transaction>,
        view: &(impl NonceView + ?Sized),
        gossip: bool,
    ) -> Vec<Result<TxId, crate::mempool::AdmitError>> {
        let checked = self.mempool().precheck(txs, view);
        let verified = checked.verify();
        self.mempool().insert_verified(verified, gossip)
    }
}

/// The committed nonces, read from the node's state.
#[derive(Debug)]
pub struct StateNonces(pub StateTree<Storage>);

impl NonceView for StateNonces {
    fn next_nonce(&self, party: &PartyId) -> Option<u64> {
        let bytes = self.0.get(&StateKey::Nonce(*party)).ok()??;
        ebl_ledger::encoding::decode::<u64>(&bytes, 8).ok()
    }
}

/// The driver's part of the node configuration.
#[derive(Debug, Clone)]
pub struct DriverSettings {
    pub limits: BlockLimits,
    pub clock_drift_max_ms: u64,
    pub empty_block_wait: Duration,
    pub timeouts: LinearTimeouts,
}

/// Milliseconds since the Unix epoch on this node's clock: a proposer's block time, and the
/// bound on how far ahead a proposed block's time may be.
pub fn now_ms() -> u64 {
    #[allow(clippy::disallowed_methods)] // the node's clock, outside the state machine
    let now = SystemTime::now();
    now.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

pub struct Driver {
    ctx: EblContext,
    app: App,
    key: Keypair,
    validators: ValidatorSet,
    config: DriverSettings,
    /// The parameters of every height (the genesis set never changes yet).
    params: HeightParams<EblContext>,
    shared: Arc<Shared>,
    network: mpsc::Sender<NetworkMsg<EblContext>>,
    /// Blocks this node built, by `(height, round)`: proposed again if asked again.
    built: BTreeMap<(u64, u32), Hash>,
    /// Blocks executed and found valid for the next height, by hash.
    prepared: BTreeMap<Hash, PreparedBlock>,
    /// Fin parts of prepared blocks, to restream them verbatim.
    fins: BTreeMap<Hash, super::context::PartFin>,
    /// Complete blocks received for a later height, until their parent commits.
    early: BTreeMap<u64, Vec<ReceivedBlock>>,
    /// Values already handed to consensus for the next height, by round.
    answered: BTreeMap<(u64, u32), Vec<ProposedValue<EblContext>>>,
    /// Blocks that arrived by sync, so their commit is reported as synced.
    synced: std::collections::BTreeSet<Hash>,
    reassembler: Reassembler,
    stream_counter: u64,
    tamper: Option<Tamper>,
    /// A proposal waiting for transactions (an empty mempool), answered when some arrive or the
    /// empty-block wait is over.
    waiting: Option<WaitingProposal>,
}

/// A `GetValue` the driver answers later.
struct WaitingProposal {
    height: u64,
    round: Round,
    until: tokio::time::Instant,
    reply: malachitebft_app_channel::Reply<LocallyProposedValue<EblContext>>,
}

/// How often a waiting proposal looks at the mempool.
const WAIT_STEP: Duration = Duration::from_millis(5);

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver").field("party", &self.key.party()).field("tip", self.app.tip()).finish()
    }
}

impl Driver {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        ctx: EblContext,
        app: App,
        key: Keypair,
        validators: ValidatorSet,
        config: DriverSettings,
        shared: Arc<Shared>,
        network: mpsc::Sender<NetworkMsg<EblContext>>,
        tamper: Option<Tamper>,
    ) -> Self {
        let params = super::config::height_params(&validators, config.timeouts);
        Driver {
            params,
            ctx,
            app,
            key,
            validators,
            config,
            shared,
            network,
            built: BTreeMap::new(),
            prepared: BTreeMap::new(),
            fins: BTreeMap::new(),
            early: BTreeMap::new(),
            answered: BTreeMap::new(),
            synced: std::collections::BTreeSet::new(),
            reassembler: Reassembler::default(),
            stream_counter: 0,
            tamper,
            waiting: None,
        }
    }

    fn next_height(&self) -> u64 {
        self.app.tip().height + 1
    }

    fn nonces(&self) -> StateNonces {
        StateNonces(self.app.state())
    }

    /// Serves the engine until it closes the channel.
    pub fn run(mut self, mut consensus: mpsc::Receiver<AppMsg<EblContext>>) {
        loop {
            let msg = match &self.waiting {
                None => consensus.blocking_recv(),
                Some(waiting) => match consensus.try_recv() {
                    Ok(msg) => Some(msg),
                    Err(mpsc::error::TryRecvError::Disconnected) => None,
                    Err(mpsc::error::TryRecvError::Empty) => {
                        if tokio::time::Instant::now() >= waiting.until || !self.shared.mempool().is_empty() {
                            self.answer_waiting();
                        } else {
                            std::thread::sleep(WAIT_STEP);
                        }
                        continue;
                    }
                },
            };
            let Some(msg) = msg else { break };
            self.handle(msg);
        }
        info!(party = %self.key.party().short(), "consensus channel closed; driver stops");
    }

    fn handle(&mut self, msg: AppMsg<EblContext>) {
        match msg {
            AppMsg::ConsensusReady { reply } => {
                let start = BlockHeight(self.next_height());
                info!(height = start.0, "consensus ready");
                let _ = reply.send((start, self.params.clone()));
            }
            AppMsg::StartedRound { height, round, proposer, role, reply_value } => {
                debug!(height = height.0, %round, %proposer, ?role, "round started");
                let values = self.values_for(height.0, round);
                let _ = reply_value.send(values);
            }
            AppMsg::GetValue { height, round, timeout, reply } => {
                // A newer request replaces one still waiting (consensus moved on from it).
                self.waiting = None;
                let wait = self.config.empty_block_wait.min(timeout / 2);
                let r = round.as_u32().unwrap_or(0);
                let fresh = !self.built.contains_key(&(height.0, r))
                    && matches!(self.app.storage().proposal(height.0, r), Ok(None));
                // Only a node at the head of the chain waits: one whose tip is old is catching up
                // (by sync), and consensus would wait for this answer before it takes the synced
                // block — a round's precommit timeout per height this node proposes.
                let tip_age_ms = now_ms().saturating_sub(self.app.tip().time_ms);
                let at_head = tip_age_ms < self.config.empty_block_wait.as_millis() as u64;
                if fresh && at_head && !wait.is_zero() && self.shared.mempool().is_empty() {
                    let until = tokio::time::Instant::now() + wait;
                    self.waiting = Some(WaitingProposal { height: height.0, round, until, reply });
                } else {
                    let value = self.propose(height.0, round);
                    let _ = reply.send(LocallyProposedValue::new(height, round, BlockHash(value)));
                }
            }
            AppMsg::ExtendVote { reply, .. } => {
                let _ = reply.send(None);
            }
            AppMsg::VerifyVoteExtensions { extensions, reply, .. } => {
                let verdicts = extensions
                    .into_iter()
                    .map(|(a, _)| (a, Err(VoteExtensionError::InvalidVoteExtension)))
                    .collect();
                let _ = reply.send(verdicts);
            }
            AppMsg::RestreamProposal { height, round, valid_round, address, value_id } => {
                self.restream(height.0, round, valid_round, address, value_id.0);
            }
            AppMsg::GetHistoryMinHeight { reply } => {
                let _ = reply.send(BlockHeight(1));
            }
            AppMsg::ReceivedProposalPart { from, published_by, part, reply } => {
                let value = self.received_part(published_by.unwrap_or(from), part);
                let _ = reply.send(value);
            }
            AppMsg::Decided { certificate, reply, .. } => {
                self.decided(&certificate);
                let _ = reply.send(());
            }
            AppMsg::Finalized { certificate, evidence, reply, .. } => {
                if !evidence.is_empty() {
                    warn!(height = certificate.height.0, ?evidence, "misbehaviour observed");
                }
                let next = BlockHeight(self.next_height());
                let params = self.params.clone();
                let answer = if next.0 > certificate.height.0 {
                    Next::Start(next, params)
                } else {
                    warn!(
                        height = certificate.height.0,
                        "decided block not committed; restarting the height"
                    );
                    Next::Restart(next, params)
                };
                let _ = reply.send(answer);
            }
            AppMsg::GetDecidedValues { range, reply } => {
                let _ = reply.send(self.decided_values(range.start().0, range.end().0));
            }
            AppMsg::ProcessSyncedValue { height, round, proposer, value_bytes, reply } => {
                let _ = reply.send(self.synced_value(height.0, round, proposer, &value_bytes));
            }
        }
    }

    /// Builds and sends the proposal that waited for transactions, unless its height was
    /// committed meanwhile (then consensus no longer wants it).
    fn answer_waiting(&mut self) {
        let Some(w) = self.waiting.take() else { return };
        if w.height != self.next_height() {
            return;
        }
        let value = self.propose(w.height, w.round);
        let _ = w.reply.send(LocallyProposedValue::new(BlockHeight(w.height), w.round, BlockHash(value)));
    }

    /// Values for `(height, round)` that arrived before the round started: validated now.
    fn values_for(&mut self, height: u64, round: Round) -> Vec<ProposedValue<EblContext>> {
        if height != self.next_height() {
            return Vec::new();
        }
        let r = round.as_u32().unwrap_or(0);
        if let Some(blocks) = self.early.remove(&height) {
            for received in blocks {
                if let Some(value) = self.validate(received) {
                    self.answered
                        .entry((value.height.0, value.round.as_u32().unwrap_or(0)))
                        .or_default()
                        .push(value);
                }
            }
        }
        self.answered.get(&(height, r)).cloned().unwrap_or_default()
    }

    fn propose(&mut self, height: u64, round: Round) -> Hash {
        let r = round.as_u32().unwrap_or(0);
        if let Some(hash) = self.built.get(&(height, r)).copied() {
            self.stream(height, r, Round::Nil, self.key.party(), hash);
            return hash;
        }
        // A block recorded for (height, round) before a crash is proposed again, never a second one.
        let recorded = match self.app.storage().proposal(height, r) {
            Ok(recorded) => recorded,
            Err(e) => {
                warn!(height, error = %e, "cannot read the recorded proposals; proposing nothing");
                return Hash::ZERO;
            }
        };
        let prepared = match recorded {
            Some(block) => match self.app.validate_block(block, u64::MAX, 0) {
                Ok(prepared) => {
                    info!(height, round = r, "proposing the block recorded before a restart");
                    prepared
                }
                Err(e) => {
                    warn!(height, error = %e, "the recorded proposal no longer executes; proposing nothing");
                    return Hash::ZERO;
                }
            },
            None => match self.build(height) {
                Some(prepared) => prepared,
                None => return Hash::ZERO,
            },
        };
        if let Err(e) = self.app.storage().put_proposal(height, r, prepared.block()) {
            warn!(height, error = %e, "cannot record the proposal; proposing nothing");
            return Hash::ZERO;
        }
        let prepared = match self.tamper {
            Some(t) => super::tamper(t, &self.key, self.ctx.chain_id(), prepared),
            None => prepared,
        };
        let hash = prepared.block().hash();
        debug!(height, round = r, txs = prepared.block().txs.len(), %hash, "proposing");
        let fin = streaming::sign_fin(self.ctx.chain_id(), &self.key, prepared.block());
        self.fins.insert(hash, fin);
        self.prepared.insert(hash, prepared);
        self.built.insert((height, r), hash);
        self.stream(height, r, Round::Nil, self.key.party(), hash);
        hash
    }

    /// Reaps the mempool and builds the next block (the wait for transactions, if the mempool was
    /// empty, is over: see [`Driver::run`]); `None` if not even an empty block can be built
    /// (storage failing).
    fn build(&mut self, height: u64) -> Option<PreparedBlock> {
        let view = self.nonces();
        let candidates =
            self.shared.mempool().reap(self.config.limits.txs_max, self.config.limits.bytes_max, &view);
        let started = tokio::time::Instant::now();
        let reaped = candidates.len();
        let built = self.app.build_block(now_ms(), self.key.party(), candidates, self.config.limits);
        debug!(height, reaped, build_ms = started.elapsed().as_millis() as u64, "block built");
        let built = built.or_else(|e| {
            warn!(height, error = %e, "building a block failed; proposing an empty one");
            self.app.build_block(now_ms(), self.key.party(), Vec::new(), self.config.limits)
        });
        match built {
            Ok(prepared) => {
                self.shared.stats().blocks_built += 1;
                Some(prepared)
            }
            Err(e) => {
                warn!(height, error = %e, "cannot build even an empty block");
                None
            }
        }
    }

    /// Publishes the parts of a prepared block for `(height, round)`.
    fn stream(&mut self, height: u64, round: u32, pol_round: Round, proposer: PartyId, hash: Hash) {
        let (Some(prepared), Some(fin)) = (self.prepared.get(&hash), self.fins.get(&hash)) else { return };
        let bytes = ebl_ledger::encoding::encode(prepared.block());
        let init = PartInit {
            height,
            round,
            pol_round: pol_round.as_u32(),
            proposer,
            block_bytes: bytes.len() as u32,
        };
        self.stream_counter += 1;
        let id = streaming::stream_id(height, round, self.stream_counter);
        for message in streaming::stream_block(id, init, &bytes, fin.clone()) {
            if self.network.blocking_send(NetworkMsg::PublishProposalPart(message)).is_err() {
                return;
            }
        }
    }

    fn restream(
        &mut self,
        height: u64,
        round: Round,
        valid_round: Round,
        address: ValidatorAddress,
        hash: Hash,
    ) {
        if self.prepared.contains_key(&hash) {
            self.stream(height, round.as_u32().unwrap_or(0), valid_round, address.0, hash);
        }
    }

    fn received_part(
        &mut self,
        publisher: PeerId,
        message: StreamMessage<ProposalPart>,
    ) -> Option<ProposedValue<EblContext>> {
        let message = match message.content {
            StreamContent::Data(ProposalPart::TxBatch(txs)) => {
                let (count, view) = (txs.len(), self.nonces());
                let admitted =
                    self.shared.admit_batch(txs, &view, false).iter().filter(|r| r.is_ok()).count();
                debug!(%publisher, txs = count, admitted, "transaction batch from a peer");
                self.shared.stats().tx_batches_received += 1;
                return None;
            }
            content => StreamMessage { content, ..message },
        };
        let received =
            match self.reassembler.add(self.ctx.chain_id(), &self.validators, publisher, message)? {
                Ok(received) => received,
                Err(e) => {
                    warn!(%publisher, error = %e, "dropped a proposal stream");
                    return None;
                }
            };
        let height = received.init.height;
        let next = self.next_height();
        if height == next {
            let value = self.validate(received)?;
            let answered = self.answered.entry((height, value.round.as_u32().unwrap_or(0))).or_default();
            if answered.len() < VALUES_PER_ROUND_MAX {
                answered.push(value.clone());
            }
            Some(value)
        } else if height > next && height <= next + LOOKAHEAD_HEIGHTS {
            let early = self.early.entry(height).or_default();
            if early.len() < VALUES_PER_ROUND_MAX {
                early.push(received);
            }
            None
        } else {
            None
        }
    }

    /// Executes a received block for the next height; its verdict for consensus.
    fn validate(&mut self, received: ReceivedBlock) -> Option<ProposedValue<EblContext>> {
        let ReceivedBlock { init, block, fin } = received;
        let hash = block.hash();
        let proposer = ValidatorAddress(init.proposer);
        self.validators.get(&init.proposer)?;
        let validity = if self.prepared.contains_key(&hash) {
            Validity::Valid
        } else {
            let started = tokio::time::Instant::now();
            // Signatures this node's mempool verified at admission are not verified again (the
            // application takes an entry only if it is the block's very transaction).
            let known: Vec<Option<Arc<VerifiedTx>>> = {
                let pool = self.shared.mempool();
                let pending = |tx: &ebl_ledger::Transaction| {
                    pool.by_submitter_nonce(tx.body.submitter()?, tx.body.nonce)
                };
                block.txs.iter().map(pending).collect()
            };
            let txs = block.txs.len();
            let checked =
                self.app.validate_block_with(block, now_ms(), self.config.clock_drift_max_ms, known);
            debug!(
                height = init.height,
                txs,
                validate_ms = started.elapsed().as_millis() as u64,
                "block validated"
            );
            match checked {
                Ok((prepared, reused)) => {
                    let mut stats = self.shared.stats();
                    stats.blocks_validated += 1;
                    stats.signatures_reused += reused as u64;
                    stats.txs_batch_verified += (txs - reused) as u64;
                    drop(stats);
                    self.prepared.insert(hash, prepared);
                    self.fins.insert(hash, fin);
                    Validity::Valid
                }
                Err(e) => {
                    warn!(height = init.height, round = init.round, %hash, error = %e, "refused a proposed block");
                    self.shared.stats().proposals_refused += 1;
                    Validity::Invalid
                }
            }
        };
        Some(ProposedValue {
            height: BlockHeight(init.height),
            round: Round::new(init.round),
            valid_round: init.pol_round.map_or(Round::Nil, Round::new),
            proposer,
            value: BlockHash(hash),
            validity,
        })
    }

    /// Commits the decided block, if this node holds it.
    fn decided(&mut self, certificate: &CommitCertificate<EblContext>) {
        let height = certificate.height.0;
        let hash = certificate.value_id.0;
        if height != self.next_height() {
            debug!(height, "decision for a height already committed");
            return;
        }
        let Some(prepared) = self.prepared.remove(&hash) else {
            warn!(height, %hash, "decided block is not held here; it will be synced");
            return;
        };
        let cert = ledger_certificate(height, certificate.round, hash, &certificate.commit_signatures);
        let cert_bytes = ebl_ledger::encoding::encode(&cert);
        let started = tokio::time::Instant::now();
        let committed = self.app.commit(&prepared, &cert_bytes);
        let commit_ms = started.elapsed().as_millis() as u64;
        if let Err(e) = committed {
            warn!(height, error = %e, "commit failed");
            self.prepared.insert(hash, prepared);
            return;
        }
        let synced = self.synced.remove(&hash);
        // Every transaction of a block has its receipt, in block order.
        let ids: Vec<TxId> = prepared.receipts().iter().map(|r| r.tx_id).collect();
        let view = self.nonces();
        self.shared.mempool().remove_committed(&ids, &view);
        {
            let mut stats = self.shared.stats();
            stats.decided += 1;
            stats.txs_committed += ids.len() as u64;
            if synced {
                stats.synced_blocks += 1;
            }
        }
        info!(height, round = cert.round, txs = ids.len(), commit_ms, %hash, synced, "committed");
        let event = CommitEvent {
            height,
            round: cert.round,
            block_hash: hash,
            state_root: prepared.block().header.state_root,
            txs: ids.into_iter().zip(prepared.receipts().iter().map(|r| r.is_success())).collect(),
            synced,
        };
        let _ = self.shared.events.send(event);
        // What was kept for this height is of no further use.
        self.prepared.retain(|_, p| p.block().header.height > height);
        self.fins.retain(|h, _| self.prepared.contains_key(h));
        self.built.retain(|(h, _), _| *h > height);
        self.answered.retain(|(h, _), _| *h > height);
        self.early.retain(|h, _| *h > height);
        self.synced.clear();
        self.reassembler.prune_below(height + 1);
        if let Err(e) = self.app.storage().prune_proposals(height + 1) {
            warn!(height, error = %e, "cannot prune recorded proposals");
        }
    }

    fn decided_values(&self, start: u64, end: u64) -> Vec<RawDecidedValue<EblContext>> {
        let tip = self.app.tip().height;
        let start = start.max(1);
        let end = end.min(tip).min(start.saturating_add(SYNC_BLOCKS_MAX - 1));
        let storage = self.app.storage();
        let mut values = Vec::new();
        let mut bytes = 0usize;
        for height in start..=end {
            let (Ok(Some(block)), Ok(Some(cert))) = (storage.block(height), storage.certificate(height))
            else {
                break;
            };
            let Ok(cert) = ebl_ledger::encoding::decode::<ebl_ledger::Certificate>(
                &cert,
                crate::storage::layout::CERTIFICATE_BYTES_MAX,
            ) else {
                break;
            };
            let block_bytes = ebl_ledger::encoding::encode(&block);
            bytes += block_bytes.len();
            if bytes > SYNC_BYTES_MAX && !values.is_empty() {
                break;
            }
            let extended =
                BorshCodec::extended_certificate(cert.height, cert.round, cert.block_hash, &cert.signatures);
            values.push(RawDecidedValue::new(Bytes::from(block_bytes), extended));
        }
        values
    }

    /// A block fetched by sync: its certificate was verified by consensus already. It is
    /// re-executed (without the clock check: it was decided in the past) and kept for `Decided`.
    fn synced_value(
        &mut self,
        height: u64,
        round: Round,
        proposer: ValidatorAddress,
        bytes: &[u8],
    ) -> SyncedValueOutcome<EblContext> {
        let Ok(block) =
            ebl_ledger::encoding::decode::<ebl_ledger::Block>(bytes, crate::storage::layout::BLOCK_BYTES_MAX)
        else {
            return SyncedValueOutcome::PeerFault;
        };
        let hash = block.hash();
        if block.header.height != height || height != self.next_height() {
            return SyncedValueOutcome::PeerFault;
        }
        if !self.prepared.contains_key(&hash) {
            match self.app.validate_block(block, u64::MAX, 0) {
                Ok(prepared) => {
                    self.prepared.insert(hash, prepared);
                }
                Err(crate::app::BlockError::Node(e)) => {
                    warn!(height, error = %e, "cannot validate a synced block");
                    return SyncedValueOutcome::LocalTransientError;
                }
                Err(e) => {
                    warn!(height, error = %e, "a peer served an invalid block");
                    return SyncedValueOutcome::PeerFault;
                }
            }
        }
        self.synced.insert(hash);
        SyncedValueOutcome::Verdict(ProposedValue {
            height: BlockHeight(height),
            round,
            valid_round: Round::Nil,
            proposer,
            value: BlockHash(hash),
            validity: Validity::Valid,
        })
    }
}
