//! The application core of a validator: builds a block from candidate transactions, validates a
//! block another validator proposed, and commits a decided block — all without a socket, so that
//! consensus (Malachite, `consensus/`) is a thin driver around it and everything here is tested
//! alone.
//!
//! * **Propose**: execute candidates in order with `apply_tx`, leaving out those that cannot be
//!   included (wrong nonce, unknown submitter), up to the block limits; the header commits to the
//!   transactions, the post-state root and the receipts.
//! * **Validate**: batch-verify every signature of the block (the same batch on every validator, so
//!   every honest node reaches the same verdict — ADR 0002), re-execute, and refuse the block unless
//!   height, parent, chain, time, tx root, state root and receipts root all match.
//! * **Commit**: one atomic storage batch with the block, receipts, certificate, state and indices.

use std::sync::{Arc, Mutex};

use ebl_contracts::{apply_tx, execute_block, ApplyError, BlockCtx, BlockReads, Overlay, WriteSet};
use ebl_ledger::action::{Action, EventKind, Touched};
use ebl_ledger::limits::{BLOCK_TXS_MAX, BLOCK_TX_BYTES_MAX};
use ebl_ledger::records::{party_of_key, StateKey};
use ebl_ledger::{
    block, Block, BlockHeader, Hash, PartyId, Receipt, StateRead, StateTree, StateUpdate, StoreError, TxBody,
    TxError, VerifiedTx,
};
use thiserror::Error;

use crate::genesis::GenesisFile;
use crate::storage::{BlockCommit, IndexEntry, Storage, StorageError, Tip};

/// Why a proposed block is refused.
#[derive(Debug, Error)]
pub enum BlockError {
    #[error("block is for chain {found:?}, this is {expected:?}")]
    WrongChain { expected: String, found: String },
    #[error("block height {found}, expected {expected}")]
    WrongHeight { expected: u64, found: u64 },
    #[error("block parent {found}, expected {expected}")]
    WrongParent { expected: Hash, found: Hash },
    #[error("block time {found} ms is not after its parent's {parent} ms")]
    TimeNotAfterParent { parent: u64, found: u64 },
    #[error("block time {found} ms is more than {drift_max} ms ahead of this node's clock {now} ms")]
    TimeInFuture { now: u64, found: u64, drift_max: u64 },
    #[error("block carries {found} transactions; at most {max}")]
    TooManyTxs { max: usize, found: usize },
    #[error("block transactions take {found} bytes; at most {max}")]
    TooLarge { max: usize, found: usize },
    #[error("transaction {index}: {error}")]
    InvalidTx { index: usize, error: TxError },
    #[error("transaction cannot be included: {0}")]
    Rejected(ApplyError),
    #[error("{field} mismatch: header {header}, computed {computed}")]
    Mismatch { field: &'static str, header: Hash, computed: Hash },
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// A failure of this node (storage, state), not of the block.
#[derive(Debug, Error)]
pub enum NodeError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    State(#[from] StoreError),
    #[error("the database holds chain {found:?}, the genesis file is for {expected:?}")]
    ChainMismatch { expected: String, found: String },
    #[error("the database has no genesis")]
    NoGenesis,
    #[error("the genesis is invalid: {0}")]
    Genesis(String),
}

/// A block executed and ready to commit once decided. Made only by [`App`], which derived its
/// header's roots from its transactions and receipts (building) or compared them (validating);
/// its parts are read-only, so that stays true — except through [`block_mut`](Self::block_mut),
/// after which the commit derives and checks them all again.
#[derive(Debug, Clone)]
pub struct PreparedBlock {
    block: Block,
    receipts: Vec<Receipt>,
    state: StateUpdate,
    index: Vec<IndexEntry>,
    /// What each transaction touched, in block order (execution's by-product, handed to the
    /// event streams at commit).
    touched: Vec<Touched>,
    left_out: Vec<(ebl_ledger::TxId, TxError)>,
    /// The header's tx root and receipts root are those of `block` and `receipts`.
    roots_checked: bool,
}

impl PreparedBlock {
    pub fn block(&self) -> &Block {
        &self.block
    }

    /// One receipt per transaction, in block order.
    pub fn receipts(&self) -> &[Receipt] {
        &self.receipts
    }

    /// Candidates the proposer left out, with why (empty when validating).
    pub fn left_out(&self) -> &[(ebl_ledger::TxId, TxError)] {
        &self.left_out
    }

    pub fn into_block(self) -> Block {
        self.block
    }

    /// The block, to change (a test's Byzantine proposer does): its commit will no longer take
    /// the header's roots as checked.
    pub fn block_mut(&mut self) -> &mut Block {
        self.roots_checked = false;
        self.touched.clear();
        &mut self.block
    }

    /// The block's events, for the event streams: what each transaction touched, with its
    /// outcome. Built from what execution derived already (taken: a committed block's), derived
    /// again only for a block changed after execution.
    /// `state` resolves the signers' keys to their parties when the events are derived again.
    pub fn take_events<R: StateRead + ?Sized>(&mut self, state: &R) -> BlockEvents {
        let height = self.block.header.height;
        if self.touched.len() == self.block.txs.len() {
            let touched = std::mem::take(&mut self.touched);
            BlockEvents::new(height, &self.block.txs, &self.receipts, touched.into_iter())
        } else {
            let touched = self.block.txs.iter().map(|t| touched_or_by_keys(state, &t.body));
            BlockEvents::new(height, &self.block.txs, &self.receipts, touched)
        }
    }
}

/// One transaction of a committed block as the event streams see it.
#[derive(Debug, Clone)]
pub struct TxEvent {
    pub index: u32,
    pub tx_id: ebl_ledger::TxId,
    /// How many of `touched.parties` (its first ones) signed the transaction.
    pub signers: usize,
    pub action: ebl_api::ActionName,
    /// The action's event kind (`TRANSFERRED`, …), for a successful transaction.
    pub kind: EventKind,
    /// `None` for success, else the refusal code.
    pub refused: Option<ebl_ledger::ErrorCode>,
    pub touched: Touched,
}

impl TxEvent {
    pub fn success(&self) -> bool {
        self.refused.is_none()
    }

    pub fn signed_by(&self, party: &PartyId) -> bool {
        self.touched.parties.iter().take(self.signers).any(|p| p == party)
    }

    /// The first signer (the submitter).
    pub fn actor(&self) -> Option<PartyId> {
        self.touched.parties.first().filter(|_| self.signers > 0).copied()
    }
}

/// The events of one committed block, shared by every stream that reads it.
#[derive(Debug, Clone, Default)]
pub struct BlockEvents {
    pub height: u64,
    pub txs: Vec<TxEvent>,
}

impl BlockEvents {
    /// From a block's transactions and receipts (in block order) and what each touched.
    pub fn new(
        height: u64,
        txs: &[ebl_ledger::Transaction],
        receipts: &[Receipt],
        touched: impl Iterator<Item = Touched>,
    ) -> BlockEvents {
        let txs = (0u32..)
            .zip(txs.iter().zip(receipts))
            .zip(touched)
            .map(|((index, (tx, receipt)), touched)| TxEvent {
                index,
                tx_id: receipt.tx_id,
                signers: tx.body.signers.len(),
                action: ebl_api::ActionName::of(&tx.body.action),
                kind: tx.body.action.event_kind(),
                refused: receipt.error(),
                touched,
            })
            .collect();
        BlockEvents { height, txs }
    }
}

/// Blocks whose events the node keeps in memory for its event streams ...
pub const RECENT_EVENT_BLOCKS_MAX: usize = 64;
/// ... and their transactions in all (the newest block is kept whatever its size). A stream
/// further behind reads the blocks it missed from storage.
pub const RECENT_EVENT_TXS_MAX: usize = 40_000;

/// The events of the newest committed blocks, handed over by the commit: the event streams
/// filter these rather than each read and decode every block again.
#[derive(Debug, Default)]
pub struct RecentEvents {
    blocks: std::collections::VecDeque<Arc<BlockEvents>>,
    txs: usize,
}

impl RecentEvents {
    /// Keeps `events` (the newest block), forgetting the oldest beyond the bounds.
    pub fn push(&mut self, events: Arc<BlockEvents>) {
        self.txs += events.txs.len();
        self.blocks.push_back(events);
        while self.blocks.len() > 1
            && (self.blocks.len() > RECENT_EVENT_BLOCKS_MAX || self.txs > RECENT_EVENT_TXS_MAX)
        {
            if let Some(old) = self.blocks.pop_front() {
                self.txs -= old.txs.len();
            }
        }
    }

    /// The events of block `height`, if still kept.
    pub fn get(&self, height: u64) -> Option<Arc<BlockEvents>> {
        let first = self.blocks.front()?.height;
        let at = usize::try_from(height.checked_sub(first)?).ok()?;
        self.blocks.get(at).filter(|b| b.height == height).cloned()
    }
}

/// Limits on a block the proposer builds.
#[derive(Debug, Clone, Copy)]
pub struct BlockLimits {
    pub txs_max: usize,
    pub bytes_max: usize,
}

#[derive(Debug)]
pub struct App {
    storage: Storage,
    chain_id: String,
    tip: Tip,
}

impl App {
    /// Opens the application over `storage`, writing the genesis state if the database is new and
    /// checking that an existing database belongs to this genesis.
    pub fn open(storage: Storage, genesis: &GenesisFile) -> Result<Self, NodeError> {
        match storage.chain_id()? {
            Some(found) if found != genesis.chain_id => {
                return Err(NodeError::ChainMismatch { expected: genesis.chain_id.clone(), found });
            }
            Some(_) => {}
            None => {
                let writes =
                    genesis.ledger_genesis().writes().map_err(|e| NodeError::Genesis(e.to_string()))?;
                let (root, batch) = StateTree::new(storage.clone()).prepare(0, &writes)?;
                storage.commit_genesis(
                    &genesis.chain_id,
                    genesis.genesis_time_ms,
                    &batch,
                    root,
                    &genesis.parties.iter().map(|p| p.party).collect::<Vec<_>>(),
                )?;
            }
        }
        let tip = storage.tip()?.ok_or(NodeError::NoGenesis)?;
        Ok(App { storage, chain_id: genesis.chain_id.clone(), tip })
    }

    pub fn tip(&self) -> &Tip {
        &self.tip
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// The committed state.
    pub fn state(&self) -> StateTree<Storage> {
        StateTree::new(self.storage.clone())
    }

    fn next_ctx(&self, time_ms: u64) -> BlockCtx {
        BlockCtx { chain_id: self.chain_id.clone(), height: self.tip.height + 1, time_ms }
    }

    /// Builds the next block as `proposer` at `time_ms` (raised to one past the parent's time if
    /// the clock is behind) from `candidates`, in order.
    pub fn build_block(
        &self,
        time_ms: u64,
        proposer: PartyId,
        candidates: Vec<VerifiedTx>,
        limits: BlockLimits,
    ) -> Result<PreparedBlock, NodeError> {
        // The chain's block limits bound whatever this node is configured to build.
        let limits = BlockLimits {
            txs_max: limits.txs_max.min(BLOCK_TXS_MAX),
            bytes_max: limits.bytes_max.min(BLOCK_TX_BYTES_MAX),
        };
        let ctx = self.next_ctx(time_ms.max(self.tip.time_ms + 1));
        let state = self.state();
        // Each committed key read once for the whole block (as `execute_block` does).
        let reads = BlockReads::new(&state);
        let mut writes = WriteSet::new();
        let mut receipts = Vec::new();
        let mut txs = Vec::new();
        let mut encoded = Vec::new();
        let mut left_out = Vec::new();
        let mut bytes = 0;
        for tx in candidates {
            if txs.len() >= limits.txs_max {
                break;
            }
            let encoding = tx.transaction().encode();
            if bytes + encoding.len() > limits.bytes_max {
                continue;
            }
            match apply_tx(&reads, &mut writes, &ctx, &tx) {
                Ok(receipt) => {
                    bytes += encoding.len();
                    receipts.push(receipt);
                    txs.push(tx);
                    encoded.push(encoding);
                }
                Err(ApplyError::Rejected { tx_id, error }) => left_out.push((tx_id, error)),
                Err(ApplyError::Store(e)) => return Err(e.into()),
            }
        }
        let (index, touched) = index_entries(&ctx, &txs, &receipts, &Overlay::new(&reads, &writes))?;
        let (state_root, update) = state.prepare_owned(ctx.height, writes)?;
        let txs: Vec<_> = txs.into_iter().map(VerifiedTx::into_transaction).collect();
        let header = BlockHeader {
            chain_id: ctx.chain_id.clone(),
            height: ctx.height,
            parent_hash: self.tip.block_hash,
            time_ms: ctx.time_ms,
            proposer,
            tx_root: block::tx_root_of_encoded(&encoded),
            state_root,
            receipts_root: block::receipts_root(&receipts),
        };
        let block = Block { header, txs };
        Ok(PreparedBlock { block, receipts, state: update, index, touched, left_out, roots_checked: true })
    }

    /// Verifies the signatures of a block's transactions `txs` in batches, except those of a
    /// transaction `known` holds at its position, verified already (this node's mempool checked
    /// it at admission); a known entry that is not the very transaction of the block at that
    /// position is ignored. The transactions are moved, not copied. Also returns how many were
    /// known.
    ///
    /// Which transactions this node knows differs from validator to validator, and so do the
    /// batches; that is safe because every check here — a signature alone, in any batch, or at
    /// admission — is the one ZIP-215 predicate of `ebl_ledger::ed25519` (ADR 0015), on which
    /// single and batch verification agree by construction: a signature's verdict is a function
    /// of the key, the message and the signature alone. A proposal's validity therefore depends
    /// on its contents alone, and every honest validator judges it alike.
    pub fn verify_block_txs(
        txs: Vec<ebl_ledger::Transaction>,
        known: Vec<Option<Arc<VerifiedTx>>>,
    ) -> Result<(Vec<VerifiedTx>, usize), BlockError> {
        let mut known = known.into_iter();
        let mut verified: Vec<Option<VerifiedTx>> = Vec::with_capacity(txs.len());
        let (mut indices, mut unverified) = (Vec::new(), Vec::new());
        for (index, tx) in txs.into_iter().enumerate() {
            let checked = match known.next().flatten() {
                Some(known) => VerifiedTx::same_as(&known, tx),
                None => Err(tx),
            };
            match checked {
                Ok(v) => verified.push(Some(v)),
                Err(tx) => {
                    verified.push(None);
                    indices.push(index);
                    unverified.push(tx);
                }
            }
        }
        let reused = verified.len() - unverified.len();
        for (index, result) in indices.into_iter().zip(verify_in_parallel(unverified)) {
            verified[index] = Some(result.map_err(|error| BlockError::InvalidTx { index, error })?);
        }
        Ok((verified.into_iter().flatten().collect(), reused))
    }

    /// Checks a proposed block against this node's tip and clock (`now_ms`), re-executes it and
    /// compares every root. The block's transactions are executed and kept without a copy.
    pub fn validate_block(
        &self,
        block: Block,
        now_ms: u64,
        drift_max_ms: u64,
    ) -> Result<PreparedBlock, BlockError> {
        self.validate_block_with(block, now_ms, drift_max_ms, Vec::new()).map(|(prepared, _)| prepared)
    }

    /// [`App::validate_block`] that takes the transactions `known` holds at their positions as
    /// verified ([`App::verify_block_txs`]); also returns how many it took.
    pub fn validate_block_with(
        &self,
        block: Block,
        now_ms: u64,
        drift_max_ms: u64,
        known: Vec<Option<Arc<VerifiedTx>>>,
    ) -> Result<(PreparedBlock, usize), BlockError> {
        let h = &block.header;
        if h.chain_id != self.chain_id {
            return Err(BlockError::WrongChain {
                expected: self.chain_id.clone(),
                found: h.chain_id.clone(),
            });
        }
        if h.height != self.tip.height + 1 {
            return Err(BlockError::WrongHeight { expected: self.tip.height + 1, found: h.height });
        }
        if h.parent_hash != self.tip.block_hash {
            return Err(BlockError::WrongParent { expected: self.tip.block_hash, found: h.parent_hash });
        }
        if h.time_ms <= self.tip.time_ms {
            return Err(BlockError::TimeNotAfterParent { parent: self.tip.time_ms, found: h.time_ms });
        }
        if h.time_ms > now_ms.saturating_add(drift_max_ms) {
            return Err(BlockError::TimeInFuture { now: now_ms, found: h.time_ms, drift_max: drift_max_ms });
        }
        if block.txs.len() > BLOCK_TXS_MAX {
            return Err(BlockError::TooManyTxs { max: BLOCK_TXS_MAX, found: block.txs.len() });
        }
        let encoded: Vec<Vec<u8>> = block.txs.iter().map(ebl_ledger::Transaction::encode).collect();
        check("tx_root", h.tx_root, block::tx_root_of_encoded(&encoded))?;
        let bytes: usize = encoded.iter().map(Vec::len).sum();
        if bytes > BLOCK_TX_BYTES_MAX {
            return Err(BlockError::TooLarge { max: BLOCK_TX_BYTES_MAX, found: bytes });
        }
        drop(encoded);
        let Block { header, txs } = block;
        let (verified, reused) = Self::verify_block_txs(txs, known)?;
        let h = &header;
        let ctx = BlockCtx { chain_id: h.chain_id.clone(), height: h.height, time_ms: h.time_ms };
        let state = self.state();
        let mut executed = execute_block(&state, &ctx, &verified).map_err(|e| match e {
            ApplyError::Store(e) => BlockError::Node(e.into()),
            rejected => BlockError::Rejected(rejected),
        })?;
        check("receipts_root", h.receipts_root, block::receipts_root(&executed.receipts))?;
        let writes = std::mem::take(&mut executed.writes);
        let (index, touched) =
            index_entries(&ctx, &verified, &executed.receipts, &Overlay::new(&state, &writes))
                .map_err(NodeError::from)?;
        let (state_root, update) = state.prepare_owned(h.height, writes).map_err(NodeError::from)?;
        check("state_root", h.state_root, state_root)?;
        let txs = verified.into_iter().map(VerifiedTx::into_transaction).collect();
        let prepared = PreparedBlock {
            block: Block { header, txs },
            receipts: executed.receipts,
            state: update,
            index,
            touched,
            left_out: Vec::new(),
            roots_checked: true,
        };
        Ok((prepared, reused))
    }

    /// Commits a decided block with its certificate, atomically.
    pub fn commit(&mut self, prepared: &PreparedBlock, certificate: &[u8]) -> Result<(), NodeError> {
        self.storage.commit_block(&BlockCommit {
            block: &prepared.block,
            receipts: &prepared.receipts,
            certificate,
            state: &prepared.state,
            index: &prepared.index,
            // True unless the block changed (`block_mut`) after `build_block` derived its header
            // from these or `validate_block_with` compared it with them.
            roots_checked: prepared.roots_checked,
        })?;
        self.tip = Tip {
            height: prepared.block.header.height,
            block_hash: prepared.block.hash(),
            state_root: prepared.block.header.state_root,
            time_ms: prepared.block.header.time_ms,
        };
        Ok(())
    }
}

/// Below this many transactions a block's signatures are verified on the calling thread alone.
const PARALLEL_VERIFY_MIN: usize = 512;

/// `verify_batch` over `txs`, split in as many consecutive batches as the machine has cores (at
/// most 4), each on its own thread: a syncing node, or one validating a block of transactions it
/// never saw, has idle cores while one thread verifies. Results in order, one per transaction;
/// each batch falls back to single verification on failure, as `verify_batch` does. The split
/// depends on this machine's core count, and changes no verdict: batch and single checks are
/// the same ZIP-215 predicate (ADR 0015).
fn verify_in_parallel(txs: Vec<ebl_ledger::Transaction>) -> Vec<Result<VerifiedTx, TxError>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    if threads < 2 || txs.len() < PARALLEL_VERIFY_MIN {
        return ebl_ledger::tx::verify_batch(txs);
    }
    let per_thread = txs.len().div_ceil(threads);
    let mut chunks = Vec::with_capacity(threads);
    let mut rest = txs;
    while rest.len() > per_thread {
        let tail = rest.split_off(per_thread);
        chunks.push(rest);
        rest = tail;
    }
    chunks.push(rest);
    // Each chunk waits in a slot its thread takes it from; a chunk whose thread could not start
    // is still in its slot and is verified here.
    let slots: Vec<Mutex<Option<Vec<ebl_ledger::Transaction>>>> =
        chunks.into_iter().map(|chunk| Mutex::new(Some(chunk))).collect();
    let take = |slot: &Mutex<Option<Vec<ebl_ledger::Transaction>>>| {
        slot.lock().map(|mut chunk| chunk.take()).ok().flatten().unwrap_or_default()
    };
    std::thread::scope(|scope| {
        let spawned: Vec<_> = slots
            .iter()
            .skip(1)
            .map(|slot| {
                std::thread::Builder::new().spawn_scoped(scope, || ebl_ledger::tx::verify_batch(take(slot)))
            })
            .collect();
        let mut results =
            slots.first().map(|slot| ebl_ledger::tx::verify_batch(take(slot))).unwrap_or_default();
        for (slot, thread) in slots.iter().skip(1).zip(spawned) {
            match thread.map(|handle| handle.join()) {
                Ok(Ok(part)) => results.extend(part),
                // verify_batch does not panic; if it ever did, carry the panic to the caller.
                Ok(Err(panic)) => std::panic::resume_unwind(panic),
                Err(_) => results.extend(ebl_ledger::tx::verify_batch(take(slot))),
            }
        }
        results
    })
}

fn check(field: &'static str, header: Hash, computed: Hash) -> Result<(), BlockError> {
    if header == computed {
        Ok(())
    } else {
        Err(BlockError::Mismatch { field, header, computed })
    }
}

/// The index entries of a block — which parties, BLs and containers each successful
/// transaction touched — and what every transaction touched, in block order (for the event
/// streams). Derived from the actions, so every node derives the same.
///
/// What `body` touched, its signers named as the parties their keys sign for (ADR 0019): a
/// party's id stands for itself, a key a party rotated to for that party (`KeyOf`, never
/// removed: the answer is the same whenever it is asked). A signer that is a party's id costs
/// one read of the record execution has just read.
pub(crate) fn touched_by_parties<R: StateRead + ?Sized>(
    state: &R,
    body: &TxBody,
) -> Result<Touched, StoreError> {
    let mut parties = Vec::with_capacity(body.signers.len());
    for key in &body.signers {
        let party =
            if state.get(&StateKey::Party(*key))?.is_some() { *key } else { party_of_key(state, key)? };
        parties.push(party);
    }
    Ok(body.action.touched(&parties))
}

/// [`touched_by_parties`], or by the signing keys when the state cannot be read (the event
/// streams then name a rotated party by its key; nothing is stored from it).
pub(crate) fn touched_or_by_keys<R: StateRead + ?Sized>(state: &R, body: &TxBody) -> Touched {
    touched_by_parties(state, body).unwrap_or_else(|_| body.action.touched(&body.signers))
}

/// A party is indexed with a BL (`PartyBl`, the BL's chain, which authorises reading it) only
/// by a transaction that writes the BL's history: its signers and the parties it names. The
/// parties of a container's release (terminal, right holders, trucker) are indexed with the
/// container, not the BL: they read the release, not the title.
fn index_entries<R: StateRead + ?Sized>(
    ctx: &BlockCtx,
    txs: &[VerifiedTx],
    receipts: &[Receipt],
    state: &R,
) -> Result<(Vec<IndexEntry>, Vec<Touched>), StoreError> {
    // Collected, then sorted and deduplicated once: for a block of thousands of transfers that
    // is a fraction of what inserting each entry into an ordered set costs.
    let mut entries = Vec::with_capacity(txs.len() * 4);
    let mut all = Vec::with_capacity(txs.len());
    for (index, (tx, receipt)) in txs.iter().zip(receipts).enumerate() {
        let t = touched_by_parties(state, tx.body())?;
        if !receipt.is_success() {
            all.push(t);
            continue;
        }
        let index = index as u32;
        let height = ctx.height;
        if let Some(party) = t.registered {
            entries.push(IndexEntry::Party { party });
        }
        // A transfer's submitter is the BL's possessor (the contract refuses it otherwise), and
        // every possessor was indexed with the BL when it became one — as the carrier or
        // `issue_to` of the issue, the `to` of a transfer, the requester of a surrender, or a
        // possessor before — so its entry exists already: not written again for each transfer.
        // Not a classification of actions: for any other action (a new one included) `None` is
        // always right, for the entries are idempotent; this only spares the hot path a write.
        let known = if let Action::Transfer { .. } = tx.body().action { t.parties.first() } else { None };
        let chain = tx.body().action.info().writes_history();
        for bl in &t.bls {
            entries.push(IndexEntry::BlTx { bl: *bl, height, index });
            if chain {
                for party in t.parties.iter().filter(|p| Some(*p) != known) {
                    entries.push(IndexEntry::PartyBl { party: *party, bl: *bl });
                }
            }
        }
        for c in &t.containers {
            entries.push(IndexEntry::ContainerTx { container: c.id(), height, index });
        }
        all.push(t);
    }
    entries.sort_unstable();
    entries.dedup();
    Ok((entries, all))
}
