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
//! * **Mempool gossip**: `TxBatch` parts from other validators are admitted on the verify pool
//!   ([`crate::verifier`]), never on this thread, in chunked batch verifications (ADR 0006). A
//!   batch larger than any honest one, or with a bad signature (an honest validator gossips only
//!   what it verified), gets its publisher's batches refused for [`PEER_DROP`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use ebl_ledger::{Hash, Keypair, PartyId, StateKey, StateRead, StateTree, TxId, VerifiedTx};
use malachitebft_app_channel::app::consensus::VoteExtensionError;
use malachitebft_app_channel::app::engine::host::{Next, SyncedValueOutcome};
use malachitebft_app_channel::app::streaming::{StreamContent, StreamMessage};
use malachitebft_app_channel::app::types::core::{
    CommitCertificate, Context, LinearTimeouts, Round, Validity,
};
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
use crate::verifier::VerifyPool;

#[cfg(feature = "test-utils")]
mod byzantine;
pub mod membership;

pub use membership::Membership;

/// Heights ahead of the next one whose blocks are kept until their parent commits.
pub const LOOKAHEAD_HEIGHTS: u64 = 4;
/// Distinct blocks taken per `(height, round)`: an honest proposer streams one (and may restream
/// it); a second is equivocation, logged and counted, and passed to consensus, which records
/// it; any more are dropped unexecuted.
pub const VALUES_PER_ROUND_MAX: usize = 2;
/// Rounds past the current one (of the next height; past round 0 for a later height) that a
/// proposal stream is taken for. Without it a Byzantine validator can stream two valid blocks
/// for every round it will ever propose, however far ahead, and each is executed here (attack
/// (b) of issue 29 streams for 40 rounds ahead); an honest proposer's stream is for the round
/// it is in, which another honest validator is at most a round or two behind.
pub const ROUNDS_AHEAD_MAX: u32 = 2;
/// Blocks kept for one future height until its parent commits ...
pub const EARLY_BLOCKS_PER_HEIGHT_MAX: usize = 4;
/// ... and their encoded bytes, for all future heights together.
pub const EARLY_BYTES_MAX: usize = 64 * 1024 * 1024;
/// Executed blocks of the next height held for a decision (each with its state changes); past
/// it the oldest received one is dropped (if decided after all, it is synced).
pub const PREPARED_BLOCKS_MAX: usize = 16;
/// Sync requests being served or waiting, at most; more are answered with nothing.
pub const SYNC_REQUESTS_MAX: usize = 8;
/// Most decided blocks served in one sync response.
pub const SYNC_BLOCKS_MAX: u64 = 16;
/// Most bytes of blocks served in one sync response.
pub const SYNC_BYTES_MAX: usize = 48 * 1024 * 1024;
/// Transactions gossiped in one batch at most.
pub const GOSSIP_BATCH_TXS_MAX: usize = 2_000;
/// A peer's transaction batch is refused whole beyond this many transactions (what an honest
/// validator sends at most) ...
pub const PEER_BATCH_TXS_MAX: usize = GOSSIP_BATCH_TXS_MAX;
/// ... or this many signatures.
pub const PEER_BATCH_SIGNATURES_MAX: usize = 2 * GOSSIP_BATCH_TXS_MAX;
/// How long a peer that sent an oversized batch or a bad signature has its batches refused.
pub const PEER_DROP: Duration = Duration::from_secs(600);
/// Peers remembered as dropped at once (only connected validators publish batches).
pub const DROPPED_PEERS_MAX: usize = 1_024;
/// How often the mempool's transactions that wait on a gap are looked at for expiry.
pub const GAP_EXPIRY_INTERVAL: Duration = Duration::from_secs(5);

/// Why a complete proposal stream is dropped before its block is looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StreamRefusal {
    #[error("height {height} is not the next one ({next}) nor within {LOOKAHEAD_HEIGHTS} after it")]
    Height { height: u64, next: u64 },
    #[error("round {round} of height {height} is more than {ROUNDS_AHEAD_MAX} past round {current}")]
    RoundAhead { height: u64, round: u32, current: u32 },
}

/// Whether a stream for `(height, round)` is taken by a validator whose next height is `next`
/// and which is in round `current` of it.
pub fn stream_window(next: u64, current: u32, height: u64, round: u32) -> Result<(), StreamRefusal> {
    if height < next || height > next + LOOKAHEAD_HEIGHTS {
        return Err(StreamRefusal::Height { height, next });
    }
    let current = if height == next { current } else { 0 };
    if round > current.saturating_add(ROUNDS_AHEAD_MAX) {
        return Err(StreamRefusal::RoundAhead { height, round, current });
    }
    Ok(())
}

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
    /// Peers whose transaction batches were refused for a time (oversized, bad signatures).
    pub peers_dropped: u64,
    /// Proposal streams dropped unexecuted: not published by the round's proposer, a third
    /// value for one round, or beyond the early-block bounds.
    pub streams_refused: u64,
    /// Times a proposer streamed a second block for one round (equivocation).
    pub equivocations: u64,
    /// Misbehaviour evidence Malachite reported at finalisation (double votes or proposals).
    pub evidence_reported: u64,
    /// Sync requests answered with nothing because the sync server was full.
    pub sync_requests_refused: u64,
    /// Peer batches refused because their publisher is dropped, or dropped for a full pool.
    pub peer_batches_refused: u64,
    /// Mempool transactions dropped after waiting on a nonce gap for too long.
    pub txs_expired: u64,
}

/// What the driver shares with the node's handle.
#[derive(Debug)]
pub struct Shared {
    pub mempool: Mutex<Mempool>,
    pub events: broadcast::Sender<CommitEvent>,
    /// The newest blocks' events, for the event streams (filled before `events` announces them).
    pub recent_events: Mutex<crate::app::RecentEvents>,
    pub stats: Mutex<DriverStats>,
    /// Where signatures of clients' requests and peers' batches are checked.
    pub verifier: VerifyPool,
    /// Where stored blocks are read for peers that sync (one thread: serving the past must take
    /// neither the driver's time nor more than a core).
    pub sync_server: VerifyPool,
    /// Peers whose transaction batches are refused, until when.
    pub dropped_peers: Mutex<BTreeMap<PeerId, std::time::Instant>>,
}

impl Shared {
    pub fn mempool(&self) -> MutexGuard<'_, Mempool> {
        self.mempool.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn stats(&self) -> MutexGuard<'_, DriverStats> {
        self.stats.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `peer`'s transaction batches are refused now.
    pub fn is_dropped(&self, peer: &PeerId) -> bool {
        #[allow(clippy::disallowed_methods)] // the node's clock, outside the state machine
        let now = std::time::Instant::now();
        let mut dropped = self.dropped_peers.lock().unwrap_or_else(|p| p.into_inner());
        match dropped.get(peer) {
            Some(until) if *until > now => true,
            Some(_) => {
                dropped.remove(peer);
                false
            }
            None => false,
        }
    }

    /// Refuses `peer`'s transaction batches for [`PEER_DROP`].
    pub fn drop_peer(&self, peer: PeerId) {
        #[allow(clippy::disallowed_methods)] // the node's clock, outside the state machine
        let now = std::time::Instant::now();
        let mut dropped = self.dropped_peers.lock().unwrap_or_else(|p| p.into_inner());
        dropped.retain(|_, until| *until > now);
        if dropped.len() < DROPPED_PEERS_MAX || dropped.contains_key(&peer) {
            dropped.insert(peer, now + PEER_DROP);
        }
        drop(dropped);
        self.stats().peers_dropped += 1;
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
        self.mempool().insert_verified(verified, gossip, view)
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

    fn is_suspended(&self, party: &PartyId) -> bool {
        let Ok(Some(bytes)) = self.0.get(&StateKey::Party(*party)) else { return false };
        ebl_ledger::encoding::decode::<ebl_ledger::PartyRecord>(
            &bytes,
            crate::storage::layout::STATE_VALUE_BYTES_MAX,
        )
        .is_ok_and(|record| !record.is_active())
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
    /// The set of the height consensus runs ([`Driver::next_params`]).
    validators: ValidatorSet,
    /// The sets of the newest two epochs of the ledger, and the peers dialled for them.
    membership: Membership,
    config: DriverSettings,
    shared: Arc<Shared>,
    network: mpsc::Sender<NetworkMsg<EblContext>>,
    /// Blocks this node built, by `(height, round)`: proposed again if asked again.
    built: BTreeMap<(u64, u32), Hash>,
    /// Blocks executed and found valid for the next height, by hash.
    prepared: BTreeMap<Hash, PreparedBlock>,
    /// The received ones among them, oldest first ([`PREPARED_BLOCKS_MAX`]).
    prepared_order: std::collections::VecDeque<Hash>,
    /// The distinct blocks streamed for each `(height, round)` ([`VALUES_PER_ROUND_MAX`]).
    round_values: BTreeMap<(u64, u32), Vec<Hash>>,
    /// The encoded bytes of the blocks in `early`.
    early_bytes: usize,
    /// Each validator's network identity, to check that a proposal stream comes from the
    /// round's proposer.
    peers: BTreeMap<PartyId, PeerId>,
    /// Fin parts of prepared blocks, to restream them verbatim.
    fins: BTreeMap<Hash, super::context::PartFin>,
    /// Complete blocks received for a later height, until their parent commits.
    early: BTreeMap<u64, Vec<ReceivedBlock>>,
    /// Values already handed to consensus for the next height, by round.
    answered: BTreeMap<(u64, u32), Vec<ProposedValue<EblContext>>>,
    /// Blocks that arrived by sync, so their commit is reported as synced.
    synced: std::collections::BTreeSet<Hash>,
    reassembler: Reassembler,
    /// The round consensus is in, and its height ([`ROUNDS_AHEAD_MAX`]).
    round: (u64, u32),
    stream_counter: u64,
    tamper: Option<Tamper>,
    /// A proposal waiting for transactions (an empty mempool), answered when some arrive or the
    /// empty-block wait is over.
    waiting: Option<WaitingProposal>,
    /// When the mempool's gapped transactions were last looked at for expiry.
    gaps_checked: std::time::Instant,
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
        membership: Membership,
        config: DriverSettings,
        shared: Arc<Shared>,
        network: mpsc::Sender<NetworkMsg<EblContext>>,
        tamper: Option<Tamper>,
    ) -> Self {
        let peers = membership::proposer_peers(&validators);
        Driver {
            ctx,
            app,
            key,
            validators,
            membership,
            config,
            shared,
            network,
            built: BTreeMap::new(),
            prepared: BTreeMap::new(),
            prepared_order: Default::default(),
            round_values: BTreeMap::new(),
            early_bytes: 0,
            peers,
            fins: BTreeMap::new(),
            early: BTreeMap::new(),
            answered: BTreeMap::new(),
            synced: std::collections::BTreeSet::new(),
            reassembler: Reassembler::default(),
            round: (0, 0),
            stream_counter: 0,
            tamper,
            waiting: None,
            #[allow(clippy::disallowed_methods)] // the node's clock, outside the state machine
            gaps_checked: std::time::Instant::now(),
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
                        if tokio::time::Instant::now() >= waiting.until
                            || self.shared.mempool().has_executable()
                        {
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
                self.refresh_membership();
                let start = BlockHeight(self.next_height());
                info!(height = start.0, "consensus ready");
                let _ = reply.send((start, self.next_params()));
            }
            AppMsg::StartedRound { height, round, proposer, role, reply_value } => {
                debug!(height = height.0, %round, %proposer, ?role, "round started");
                self.round = (height.0, round.as_u32().unwrap_or(0));
                let values = self.values_for(height.0, round);
                let _ = reply_value.send(values);
                #[cfg(feature = "test-utils")]
                self.byzantine_round(height.0, round.as_u32().unwrap_or(0));
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
                if fresh && at_head && !wait.is_zero() && !self.shared.mempool().has_executable() {
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
                    self.shared.stats().evidence_reported += 1;
                }
                self.refresh_membership();
                let next = BlockHeight(self.next_height());
                let params = self.next_params();
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
                // Read on the sync server's thread, not this one; a full server answers nothing
                // (the peer asks again, or asks another peer).
                match self.shared.sync_server.reserve() {
                    Ok(slot) => {
                        let (storage, tip) = (self.app.storage().clone(), self.app.tip().height);
                        let (start, end) = (range.start().0, range.end().0);
                        self.shared.sync_server.spawn_in(slot, move || {
                            let _ = reply.send(decided_values(&storage, tip, start, end));
                        });
                    }
                    Err(_) => {
                        self.shared.stats().sync_requests_refused += 1;
                        let _ = reply.send(Vec::new());
                    }
                }
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
                self.early_bytes = self.early_bytes.saturating_sub(received.bytes);
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
        #[cfg(feature = "test-utils")]
        self.byzantine_proposed(height, r);
        hash
    }

    /// Reaps the mempool and builds the next block (the wait for transactions, if the mempool was
    /// empty, is over: see [`Driver::run`]); `None` if not even an empty block can be built
    /// (storage failing).
    fn build(&mut self, height: u64) -> Option<PreparedBlock> {
        self.build_at(height, now_ms())
    }

    /// [`Driver::build`] with the block time `time_ms`.
    fn build_at(&mut self, height: u64, time_ms: u64) -> Option<PreparedBlock> {
        let view = self.nonces();
        #[allow(unused_mut)] // a Byzantine proposer of the attack suite adds its own
        let mut candidates =
            self.shared.mempool().reap(self.config.limits.txs_max, self.config.limits.bytes_max, &view);
        #[cfg(feature = "test-utils")]
        self.byzantine_candidates(&mut candidates);
        let started = tokio::time::Instant::now();
        let reaped = candidates.len();
        let built = self.app.build_block(time_ms, self.key.party(), candidates, self.config.limits);
        debug!(height, reaped, build_ms = started.elapsed().as_millis() as u64, "block built");
        let built = built.or_else(|e| {
            warn!(height, error = %e, "building a block failed; proposing an empty one");
            self.app.build_block(time_ms, self.key.party(), Vec::new(), self.config.limits)
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

    /// A peer's transaction batch: refused whole from a dropped peer, and (dropping the peer)
    /// when larger than any honest batch; otherwise admitted on the verify pool, the peer
    /// dropped if any signature is bad. A full pool drops the batch: its transactions reach
    /// this node again in the block that carries them.
    fn peer_batch(&mut self, publisher: PeerId, txs: Vec<ebl_ledger::Transaction>) {
        self.shared.stats().tx_batches_received += 1;
        if self.shared.is_dropped(&publisher) {
            self.shared.stats().peer_batches_refused += 1;
            return;
        }
        let signatures: usize = txs.iter().map(|t| t.signatures.len()).sum();
        if txs.len() > PEER_BATCH_TXS_MAX || signatures > PEER_BATCH_SIGNATURES_MAX {
            warn!(%publisher, txs = txs.len(), signatures, "a peer sent an oversized transaction batch; its batches are refused for a while");
            self.shared.drop_peer(publisher);
            return;
        }
        let shared = self.shared.clone();
        let view = self.nonces();
        let job = move || {
            let count = txs.len();
            let checked = shared.mempool().precheck(txs, &view);
            let verified = checked.verify();
            let bad = verified.bad_signatures();
            let admitted =
                shared.mempool().insert_verified(verified, false, &view).iter().filter(|r| r.is_ok()).count();
            debug!(%publisher, txs = count, admitted, "transaction batch from a peer");
            if bad > 0 {
                warn!(%publisher, bad, "a peer sent transactions with bad signatures; its batches are refused for a while");
                shared.drop_peer(publisher);
            }
        };
        if self.shared.verifier.spawn(job).is_err() {
            self.shared.stats().peer_batches_refused += 1;
            debug!(%publisher, "verify pool full: a peer's transaction batch dropped");
        }
    }

    fn received_part(
        &mut self,
        publisher: PeerId,
        message: StreamMessage<ProposalPart>,
    ) -> Option<ProposedValue<EblContext>> {
        let message = match message.content {
            StreamContent::Data(ProposalPart::TxBatch(txs)) => {
                self.peer_batch(publisher, txs);
                return None;
            }
            content => StreamMessage { content, ..message },
        };
        let received = match self.reassembler.add(
            self.ctx.chain_id(),
            &self.membership.union().clone(),
            publisher,
            message,
        )? {
            Ok(received) => received,
            Err(e) => {
                warn!(%publisher, error = %e, "dropped a proposal stream");
                return None;
            }
        };
        let (height, round) = (received.init.height, received.init.round);
        let next = self.next_height();
        let current = if self.round.0 == next { self.round.1 } else { 0 };
        match stream_window(next, current, height, round) {
            Ok(()) => {}
            Err(refusal @ StreamRefusal::RoundAhead { .. }) => {
                debug!(%publisher, error = %refusal, "dropped a proposal stream");
                self.shared.stats().streams_refused += 1;
                return None;
            }
            // Late streams for committed heights are routine (restreams), not counted.
            Err(StreamRefusal::Height { .. }) => return None,
        }
        if !self.take_stream(publisher, &received) {
            return None;
        }
        if height == next {
            let value = self.validate(received)?;
            let answered = self.answered.entry((height, round)).or_default();
            if answered.len() < VALUES_PER_ROUND_MAX {
                answered.push(value.clone());
            }
            Some(value)
        } else {
            let early = self.early.entry(height).or_default();
            if early.len() < EARLY_BLOCKS_PER_HEIGHT_MAX
                && self.early_bytes + received.bytes <= EARLY_BYTES_MAX
            {
                self.early_bytes += received.bytes;
                early.push(received);
            } else {
                self.shared.stats().streams_refused += 1;
            }
            None
        }
    }

    /// Whether a complete proposal stream is taken (and its block executed): only one published
    /// by the proposer of its `(height, round)` and naming it — whoever built the block (a
    /// proposer may restream a block an earlier round's proposer built) — and at most
    /// [`VALUES_PER_ROUND_MAX`] distinct blocks per round. A second block for one round is
    /// equivocation: logged with the validator's name and counted.
    fn take_stream(&mut self, publisher: PeerId, received: &ReceivedBlock) -> bool {
        let (height, round) = (received.init.height, received.init.round);
        let proposer = self
            .ctx
            .select_proposer(self.membership.at(height), BlockHeight(height), Round::new(round))
            .public_key;
        if received.init.proposer != proposer || self.peers.get(&proposer) != Some(&publisher) {
            warn!(%publisher, height, round, claimed = %received.init.proposer.short(), proposer = %proposer.short(), "dropped a proposal stream not published by the round's proposer");
            self.shared.stats().streams_refused += 1;
            return false;
        }
        let hash = received.block.hash();
        let values = self.round_values.entry((height, round)).or_default();
        if values.contains(&hash) {
            return true;
        }
        if let Some(first) = values.first() {
            warn!(validator = %proposer, height, round, first = %first, second = %hash, "equivocation: a proposer streamed two blocks for one round");
            self.shared.stats().equivocations += 1;
        }
        if values.len() >= VALUES_PER_ROUND_MAX {
            self.shared.stats().streams_refused += 1;
            return false;
        }
        values.push(hash);
        true
    }

    /// Keeps an executed block for a decision, dropping the oldest received one beyond
    /// [`PREPARED_BLOCKS_MAX`] (never one this node built: it may have to stream it again).
    fn keep_prepared(&mut self, hash: Hash, prepared: PreparedBlock, received: bool) {
        if received {
            while self.prepared_order.len() >= PREPARED_BLOCKS_MAX {
                let Some(oldest) = self.prepared_order.pop_front() else { break };
                self.prepared.remove(&oldest);
                self.fins.remove(&oldest);
            }
            self.prepared_order.push_back(hash);
        }
        self.prepared.insert(hash, prepared);
    }

    /// Executes a received block for the next height; its verdict for consensus.
    fn validate(&mut self, received: ReceivedBlock) -> Option<ProposedValue<EblContext>> {
        let ReceivedBlock { init, block, fin, .. } = received;
        let hash = block.hash();
        let proposer = ValidatorAddress(init.proposer);
        self.membership.at(init.height).get(&init.proposer)?;
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
                    self.keep_prepared(hash, prepared, true);
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
        let Some(mut prepared) = self.prepared.remove(&hash) else {
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
        #[allow(clippy::disallowed_methods)] // the node's clock, outside the state machine
        let now = std::time::Instant::now();
        if now.saturating_duration_since(self.gaps_checked) >= GAP_EXPIRY_INTERVAL {
            self.gaps_checked = now;
            let expired = self.shared.mempool().expire_gapped(now, &view);
            if expired > 0 {
                debug!(expired, "transactions that waited on a nonce gap expired");
                self.shared.stats().txs_expired += expired as u64;
            }
        }
        {
            let mut stats = self.shared.stats();
            stats.decided += 1;
            stats.txs_committed += ids.len() as u64;
            if synced {
                stats.synced_blocks += 1;
            }
        }
        info!(height, round = cert.round, txs = ids.len(), commit_ms, %hash, synced, "committed");
        let events = Arc::new(prepared.take_events(&self.app.state()));
        self.shared.recent_events.lock().unwrap_or_else(|p| p.into_inner()).push(events);
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
        self.round_values.retain(|(h, _), _| *h > height);
        self.prepared_order.retain(|h| self.prepared.contains_key(h));
        self.early.retain(|h, _| *h > height);
        self.early_bytes = self.early.values().flatten().map(|b| b.bytes).sum();
        self.synced.clear();
        self.reassembler.prune_below(height + 1);
        if let Err(e) = self.app.storage().prune_proposals(height + 1) {
            warn!(height, error = %e, "cannot prune recorded proposals");
        }
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

/// Up to [`SYNC_BLOCKS_MAX`] stored blocks from `start` (and [`SYNC_BYTES_MAX`] bytes), each with
/// its certificate, for a peer that syncs; `tip` is the committed height.
fn decided_values(storage: &Storage, tip: u64, start: u64, end: u64) -> Vec<RawDecidedValue<EblContext>> {
    let start = start.max(1);
    let end = end.min(tip).min(start.saturating_add(SYNC_BLOCKS_MAX - 1));
    let mut values = Vec::new();
    let mut bytes = 0usize;
    for height in start..=end {
        let (Ok(Some(block)), Ok(Some(cert))) = (storage.block(height), storage.certificate(height)) else {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_taken_for_the_rounds_near_the_current_one_and_the_heights_just_ahead() {
        // Next height 10, in round 3.
        assert_eq!(stream_window(10, 3, 10, 0), Ok(()), "an earlier round (a late proposal)");
        assert_eq!(stream_window(10, 3, 10, 3 + ROUNDS_AHEAD_MAX), Ok(()));
        assert_eq!(
            stream_window(10, 3, 10, 4 + ROUNDS_AHEAD_MAX),
            Err(StreamRefusal::RoundAhead { height: 10, round: 4 + ROUNDS_AHEAD_MAX, current: 3 })
        );
        assert!(stream_window(10, 3, 10, u32::MAX).is_err());
        // A later height starts at round 0, whatever round this one is in.
        assert_eq!(stream_window(10, 3, 11, ROUNDS_AHEAD_MAX), Ok(()));
        assert!(matches!(stream_window(10, 3, 11, 3), Err(StreamRefusal::RoundAhead { current: 0, .. })));
        assert_eq!(stream_window(10, 0, 10 + LOOKAHEAD_HEIGHTS, 0), Ok(()));
        assert_eq!(
            stream_window(10, 0, 11 + LOOKAHEAD_HEIGHTS, 0),
            Err(StreamRefusal::Height { height: 11 + LOOKAHEAD_HEIGHTS, next: 10 })
        );
        assert_eq!(stream_window(10, 0, 9, 0), Err(StreamRefusal::Height { height: 9, next: 10 }));
    }
}
