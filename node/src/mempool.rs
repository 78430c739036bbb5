//! The mempool: signed transactions admitted and waiting for a block (DESIGN §8, issue #3).
//!
//! * **Admission** checks, cheapest first so that a bad transaction costs no cryptography:
//!   size, decode, chain id, duplicate, registered submitter, nonce window, nonce already taken
//!   by another pending transaction, per-party quota, room in the pool — and only then the
//!   signatures (`verify_strict` for a client's transaction, one batch verification for a
//!   peer's batch). The pool keeps the [`VerifiedTx`], so a signature checked here is never
//!   checked again on this node: a block validator takes it back with [`Mempool::get`].
//! * **Bounded**: at most `txs_max` transactions and `bytes_max` encoded bytes in all, at most
//!   `party_txs_max` per submitter; every index below holds one entry per pending transaction
//!   at most, so the whole structure is bounded by the config.
//! * **Deduplicated** by transaction id, and by (submitter, nonce): two pending transactions
//!   can never spend the same nonce, so at most one of them could ever execute. Inside one batch
//!   too, before any signature is checked: 10,000 copies of one forged transaction cost one
//!   signature check, not 10,000.
//! * **Bounded signature work**: a batch's signatures are checked in chunks of
//!   [`VERIFY_CHUNK_TXS`]; once a chunk holds a bad signature the rest of the batch is not
//!   checked ([`AdmitError::Abandoned`]), so a batch of forgeries costs at most about one
//!   chunk's single checks more than a batch of honest transactions.
//! * **Gaps do not crowd out work**: a transaction whose nonce leaves a gap cannot execute until
//!   the gap fills. Such transactions expire after [`MempoolConfig::gap_ttl`], and a full pool
//!   makes room for an executable transaction by evicting them ([`Mempool::evict_gapped`]), so
//!   parties who park nonce-gap transactions cannot lock others out.
//! * **Suspended signers** are refused at the door (the contracts would refuse them anyway).
//! * **Gossip** goes out in batches ([`Mempool::take_gossip_batch`]), never one message per
//!   transaction, and only for transactions a client gave us: what a peer sent is not echoed.
//! * **Reaping** for a block takes, per submitter, the run of consecutive nonces that starts
//!   at its next nonce, so every reaped transaction is includable (ADR 0003): none can be
//!   `ApplyError::Rejected` by `execute_block`.
//!
//! Ordered maps wherever the pool is walked: the proposer's choice of block contents must not
//! depend on hash order. The one hash map, `by_id`, is only looked up by id, never walked (a
//! lookup there costs a hash, not a walk down a tree of 30,000 ids).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use ebl_ledger::limits::{CHAIN_ID_BYTES_MAX, TX_BYTES_MAX, TX_SIGNERS_MAX};
use ebl_ledger::tx::{verify_identified, IdentifiedTx};
use ebl_ledger::{DecodeError, PartyId, Transaction, TxError, TxId, VerifiedTx};
use thiserror::Error;

/// Result of an admission.
pub type Result<T, E = AdmitError> = std::result::Result<T, E>;

/// The mempool's bounds. Units are last in every name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MempoolConfig {
    /// Pending transactions in all.
    pub txs_max: usize,
    /// Total canonical (encoded) bytes of the pending transactions.
    pub bytes_max: usize,
    /// Pending transactions of one submitter, so one party cannot crowd out the others.
    pub party_txs_max: usize,
    /// A submitter's nonces accepted: `[next, next + nonce_window)`. Bounds how far ahead of
    /// the committed state a party may queue work.
    pub nonce_window: u64,
    /// Largest transaction, in encoded bytes; never above [`TX_BYTES_MAX`], which blocks enforce.
    pub tx_bytes_max: usize,
    /// How long a transaction that cannot execute yet (its nonce leaves a gap) may wait for the
    /// gap to fill before [`Mempool::expire_gapped`] drops it.
    pub gap_ttl: std::time::Duration,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            txs_max: 100_000,
            bytes_max: 256 * 1024 * 1024,
            party_txs_max: 1_000,
            nonce_window: 1_000,
            tx_bytes_max: TX_BYTES_MAX,
            gap_ttl: std::time::Duration::from_secs(60),
        }
    }
}

/// Transactions whose signatures are checked in one batch verification; a failed chunk is
/// checked again one transaction at a time, and ends the batch's checking.
pub const VERIFY_CHUNK_TXS: usize = 1_024;

/// Gapped transactions one admission may evict to make room for an executable one.
pub const EVICTIONS_PER_ADMISSION_MAX: usize = 64;

/// Parties looked at, most pending first, for gapped transactions to evict.
pub const EVICTION_PARTIES_MAX: usize = 16;

/// What the mempool needs to know of the committed state: the submitter's next nonce
/// (`None`: not a registered party).
pub trait NonceView {
    fn next_nonce(&self, party: &PartyId) -> Option<u64>;

    /// Whether a registered party is suspended (it may sign nothing). Asked of submitters and
    /// co-signers at admission only.
    fn is_suspended(&self, _party: &PartyId) -> bool {
        false
    }
}

impl<T: NonceView + ?Sized> NonceView for &T {
    fn next_nonce(&self, party: &PartyId) -> Option<u64> {
        (**self).next_nonce(party)
    }
    fn is_suspended(&self, party: &PartyId) -> bool {
        (**self).is_suspended(party)
    }
}

/// A fixed table of next nonces; a party absent from it is unregistered.
impl NonceView for BTreeMap<PartyId, u64> {
    fn next_nonce(&self, party: &PartyId) -> Option<u64> {
        self.get(party).copied()
    }
}

/// Why a transaction was not admitted. Each has a stable code for the API ([`AdmitError::code`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AdmitError {
    #[error("transaction of {bytes} bytes exceeds the limit of {max} bytes")]
    TooLarge { bytes: usize, max: usize },
    #[error("malformed transaction: {0}")]
    Malformed(String),
    #[error("transaction is for chain {found:?}, this is chain {expected:?}")]
    WrongChain { expected: String, found: String },
    #[error("invalid transaction: {0}")]
    Invalid(TxError),
    #[error("submitter {0} is not a registered party")]
    UnknownSigner(PartyId),
    // The messages name the nonce sent, never the submitter's next one: the nonce checks run
    // before the signatures, so the caller may not be the submitter (the party reads its own
    // next nonce with a signed request).
    #[error("nonce {found} is already used by the submitter")]
    NonceTooLow { expected: u64, found: u64 },
    #[error("nonce {found} is too far ahead of the submitter's next nonce (the window is {window})")]
    NonceTooHigh { expected: u64, found: u64, window: u64 },
    #[error("transaction {0} is already pending")]
    Duplicate(TxId),
    #[error("another pending transaction of the submitter has nonce {nonce}")]
    NonceTaken { nonce: u64 },
    #[error("party {party} already has {max} pending transactions")]
    PartyQuota { party: PartyId, max: usize },
    #[error("mempool is full (at most {txs_max} transactions, and a byte budget)")]
    Full { txs_max: usize },
    #[error("signer {0} is suspended")]
    SuspendedSigner(PartyId),
    #[error("not checked: an earlier transaction of this batch had a bad signature")]
    Abandoned,
    #[error("submitter {0} is over its rate of transactions; slow down")]
    RateLimited(PartyId),
}

impl AdmitError {
    /// Stable machine-readable code, as served by the API.
    pub fn code(&self) -> &'static str {
        match self {
            AdmitError::TooLarge { .. } => "TX_TOO_LARGE",
            AdmitError::Malformed(_) => "MALFORMED_TX",
            AdmitError::WrongChain { .. } => "WRONG_CHAIN",
            AdmitError::Invalid(e) => e.code(),
            AdmitError::UnknownSigner(_) => "UNKNOWN_SIGNER",
            AdmitError::NonceTooLow { .. } => "NONCE_TOO_LOW",
            AdmitError::NonceTooHigh { .. } => "NONCE_TOO_HIGH",
            AdmitError::Duplicate(_) => "DUPLICATE_TX",
            AdmitError::NonceTaken { .. } => "NONCE_TAKEN",
            AdmitError::PartyQuota { .. } => "PARTY_QUOTA",
            AdmitError::Full { .. } => "MEMPOOL_FULL",
            AdmitError::SuspendedSigner(_) => "SUSPENDED_SIGNER",
            AdmitError::Abandoned => "BATCH_ABANDONED",
            AdmitError::RateLimited(_) => "RATE_LIMITED",
        }
    }
}

/// One pending transaction.
#[derive(Debug)]
struct Entry {
    /// Shared, so that a validator can look at it without copying it ([`Mempool::by_submitter_nonce`]).
    tx: Arc<VerifiedTx>,
    /// Canonical encoded size, counted against `bytes_max`.
    bytes: usize,
    /// Admission order on this node: orders gossip (FIFO) and submitters in [`Mempool::reap`].
    seq: u64,
    /// When it was admitted, for the expiry of transactions that wait on a gap.
    admitted: Instant,
}

/// A transaction that passed the cheap checks and waits for its signatures to be checked.
#[derive(Debug)]
struct Candidate {
    id: TxId,
    submitter: PartyId,
    nonce: u64,
    bytes: usize,
    /// It extends its submitter's run (its nonce is the next committed one, or the one before
    /// it is pending): it may make room by evicting transactions that wait on a gap.
    extends_run: bool,
    /// Its nonce was its submitter's next committed nonce when it was checked.
    at_next: bool,
}

/// A batch that passed the cheap checks; its signatures are checked next, without the pool.
#[derive(Debug)]
pub struct Prechecked {
    results: Vec<Result<TxId>>,
    candidates: Vec<(usize, Candidate)>,
    to_verify: Vec<IdentifiedTx>,
}

impl Prechecked {
    /// Signatures the survivors carry: the work [`Prechecked::verify`] will do.
    pub fn signatures(&self) -> usize {
        self.to_verify.iter().map(|t| t.transaction().signatures.len()).sum()
    }

    /// Checks the survivors' signatures, [`VERIFY_CHUNK_TXS`] transactions per batch
    /// verification. After a chunk with a bad signature nothing more is checked: the rest are
    /// [`AdmitError::Abandoned`].
    pub fn verify(self) -> VerifiedBatch {
        let Prechecked { results, candidates, to_verify } = self;
        let mut verdicts: Vec<std::result::Result<VerifiedTx, AdmitError>> =
            Vec::with_capacity(to_verify.len());
        let mut bad_signatures = 0usize;
        let mut rest = to_verify.into_iter();
        loop {
            let chunk: Vec<IdentifiedTx> = rest.by_ref().take(VERIFY_CHUNK_TXS).collect();
            if chunk.is_empty() {
                break;
            }
            if bad_signatures > 0 {
                verdicts.extend(chunk.iter().map(|_| Err(AdmitError::Abandoned)));
                continue;
            }
            for verdict in verify_identified(chunk) {
                if matches!(verdict, Err(TxError::BadSignature(_))) {
                    bad_signatures += 1;
                }
                verdicts.push(verdict.map_err(AdmitError::Invalid));
            }
        }
        let items = candidates
            .into_iter()
            .zip(verdicts)
            .map(|((index, candidate), verdict)| (index, candidate, verdict))
            .collect();
        VerifiedBatch { results, items, bad_signatures }
    }
}

/// A batch whose signatures are checked, ready for [`Mempool::insert_verified`].
#[derive(Debug)]
pub struct VerifiedBatch {
    results: Vec<Result<TxId>>,
    items: Vec<(usize, Candidate, std::result::Result<VerifiedTx, AdmitError>)>,
    bad_signatures: usize,
}

impl VerifiedBatch {
    /// Transactions whose signature did not check out. A peer's batch with any is not honest
    /// gossip: an honest validator passes on only what it verified.
    pub fn bad_signatures(&self) -> usize {
        self.bad_signatures
    }

    /// The submitters of the transactions whose signatures checked out, one per transaction:
    /// what a client's request is charged to, party by party, before insertion.
    pub fn verified_submitters(&self) -> Vec<PartyId> {
        self.items.iter().filter(|(_, _, v)| v.is_ok()).map(|(_, c, _)| c.submitter).collect()
    }

    /// Refuses every verified transaction of the submitters in `parties` instead of inserting
    /// it (e.g. they are over their rate), with the error `refusal` makes for the submitter.
    pub fn refuse_submitters(
        &mut self,
        parties: &BTreeSet<PartyId>,
        refusal: impl Fn(PartyId) -> AdmitError,
    ) {
        for (_, candidate, verdict) in &mut self.items {
            if verdict.is_ok() && parties.contains(&candidate.submitter) {
                *verdict = Err(refusal(candidate.submitter));
            }
        }
    }
}

/// A [`NonceView`] that reads each party once per batch (the committed state does not change
/// under one admission).
struct MemoView<'a, V: ?Sized> {
    inner: &'a V,
    seen: std::cell::RefCell<BTreeMap<PartyId, Option<u64>>>,
    suspended: std::cell::RefCell<BTreeMap<PartyId, bool>>,
}

impl<'a, V: NonceView + ?Sized> MemoView<'a, V> {
    fn new(inner: &'a V) -> Self {
        MemoView {
            inner,
            seen: std::cell::RefCell::new(BTreeMap::new()),
            suspended: std::cell::RefCell::new(BTreeMap::new()),
        }
    }
}

impl<V: NonceView + ?Sized> NonceView for MemoView<'_, V> {
    fn next_nonce(&self, party: &PartyId) -> Option<u64> {
        if let Some(known) = self.seen.borrow().get(party) {
            return *known;
        }
        let next = self.inner.next_nonce(party);
        self.seen.borrow_mut().insert(*party, next);
        next
    }

    fn is_suspended(&self, party: &PartyId) -> bool {
        if let Some(known) = self.suspended.borrow().get(party) {
            return *known;
        }
        let suspended = self.inner.is_suspended(party);
        self.suspended.borrow_mut().insert(*party, suspended);
        suspended
    }
}

/// Pending transactions, indexed by id and by (submitter, nonce). See the module docs.
#[derive(Debug)]
pub struct Mempool {
    config: MempoolConfig,
    chain_id: String,
    /// Looked up by id only, never iterated (outside the tests' invariant check).
    #[allow(clippy::disallowed_types)]
    by_id: std::collections::HashMap<TxId, Entry>,
    /// (submitter, nonce) → id: the per-party queues in nonce order.
    by_nonce: BTreeMap<(PartyId, u64), TxId>,
    /// Pending transactions per submitter (no zero entries), for the quota and for reaping.
    party_txs: BTreeMap<PartyId, usize>,
    /// Admission seq → id of the client transactions not yet gossiped.
    gossip: BTreeMap<u64, TxId>,
    /// Submitters with a pending transaction at their next committed nonce, as of the last
    /// admission or commit: a proposer waits for one of these, not for any pending transaction
    /// (one that waits on a gap cannot go in a block).
    ready: BTreeSet<PartyId>,
    bytes: usize,
    next_seq: u64,
}

impl Mempool {
    pub fn new(config: MempoolConfig, chain_id: String) -> Self {
        Mempool {
            config,
            chain_id,
            by_id: Default::default(),
            by_nonce: BTreeMap::new(),
            party_txs: BTreeMap::new(),
            gossip: BTreeMap::new(),
            ready: BTreeSet::new(),
            bytes: 0,
            next_seq: 0,
        }
    }

    pub fn config(&self) -> &MempoolConfig {
        &self.config
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The largest transaction admitted: the configured limit, never above what blocks accept.
    fn tx_bytes_max(&self) -> usize {
        self.config.tx_bytes_max.min(TX_BYTES_MAX)
    }

    /// Admission of one transaction from a client, as its canonical bytes. The size is checked
    /// before decoding, so an oversized body is never parsed.
    pub fn admit_bytes(&mut self, bytes: &[u8], view: &(impl NonceView + ?Sized)) -> Result<TxId> {
        let max = self.tx_bytes_max();
        if bytes.len() > max {
            return Err(AdmitError::TooLarge { bytes: bytes.len(), max });
        }
        let tx = Transaction::decode(bytes).map_err(|e| match e {
            DecodeError::TooLarge { len, max } => AdmitError::TooLarge { bytes: len, max },
            DecodeError::Malformed(reason) => AdmitError::Malformed(reason),
        })?;
        // Decoding refuses trailing bytes and borsh has one encoding per value, so the input
        // length is the canonical size.
        self.admit_sized(tx, bytes.len(), view)
    }

    /// Admission of one transaction from a client, checked with `Transaction::verify`
    /// (`verify_strict`) after every cheap check passed. It will be gossiped.
    pub fn admit(&mut self, tx: Transaction, view: &(impl NonceView + ?Sized)) -> Result<TxId> {
        let bytes = tx.encode().len();
        self.admit_sized(tx, bytes, view)
    }

    fn admit_sized(
        &mut self,
        tx: Transaction,
        bytes: usize,
        view: &(impl NonceView + ?Sized),
    ) -> Result<TxId> {
        let tx = tx.identify();
        let candidate = self.check(&tx, bytes, view)?;
        let verified = tx.verify().map_err(AdmitError::Invalid)?;
        self.insert(candidate, verified, true, view)
    }

    /// Admission of a gossiped batch from a peer. The cheap checks run first, against the pool
    /// as it is; the survivors' signatures are then checked in one `verify_batch` call; the
    /// room checks run again on insertion, since the batch's own transactions take room.
    /// The results are in the order of `txs`. Nothing here is gossiped again.
    pub fn admit_batch(
        &mut self,
        txs: Vec<Transaction>,
        view: &(impl NonceView + ?Sized),
    ) -> Vec<Result<TxId>> {
        self.admit_many(txs, view, false)
    }

    /// The nonce `party`'s next transaction should carry on this node: after its pending
    /// run of consecutive nonces from `committed` (its next committed nonce).
    pub fn next_nonce(&self, party: &PartyId, committed: u64) -> u64 {
        let mut next = committed;
        for ((_, nonce), _) in self.by_nonce.range((*party, committed)..=(*party, u64::MAX)) {
            if *nonce != next {
                break;
            }
            next += 1;
        }
        next
    }

    fn admit_many(
        &mut self,
        txs: Vec<Transaction>,
        view: &(impl NonceView + ?Sized),
        gossip: bool,
    ) -> Vec<Result<TxId>> {
        let checked = self.precheck(txs, view);
        self.insert_verified(checked.verify(), gossip, view)
    }

    /// The first step of a batch admission split so that the signatures are checked without
    /// holding the pool (a node's API and its consensus driver share it): every cheap check,
    /// against the pool as it is. Then [`Prechecked::verify`] with the pool released, and
    /// [`Mempool::insert_verified`] with it held again.
    ///
    /// Within the batch, a repeated id is a [`AdmitError::Duplicate`], a repeated (submitter,
    /// nonce) [`AdmitError::NonceTaken`], and a submitter's transactions beyond its quota
    /// [`AdmitError::PartyQuota`] — all before any signature is checked.
    pub fn precheck(&mut self, txs: Vec<Transaction>, view: &(impl NonceView + ?Sized)) -> Prechecked {
        let view = MemoView::new(view);
        let mut results = Vec::with_capacity(txs.len());
        let mut candidates: Vec<(usize, Candidate)> = Vec::new();
        let mut to_verify = Vec::new();
        let mut ids = BTreeSet::new();
        let mut nonces = BTreeSet::new();
        let mut per_party: BTreeMap<PartyId, usize> = BTreeMap::new();
        for (index, tx) in txs.into_iter().enumerate() {
            let bytes = tx.encode().len();
            let tx = tx.identify();
            let checked = self.check(&tx, bytes, &view).and_then(|c| {
                if !ids.insert(c.id) {
                    return Err(AdmitError::Duplicate(c.id));
                }
                if !nonces.insert((c.submitter, c.nonce)) {
                    return Err(AdmitError::NonceTaken { nonce: c.nonce });
                }
                let in_batch = per_party.entry(c.submitter).or_insert(0);
                if self.party_len(&c.submitter) + *in_batch >= self.config.party_txs_max {
                    return Err(AdmitError::PartyQuota {
                        party: c.submitter,
                        max: self.config.party_txs_max,
                    });
                }
                *in_batch += 1;
                Ok(c)
            });
            match checked {
                Ok(candidate) => {
                    // Overwritten once the signatures are checked.
                    results.push(Ok(candidate.id));
                    candidates.push((index, candidate));
                    to_verify.push(tx);
                }
                Err(e) => results.push(Err(e)),
            }
        }
        Prechecked { results, candidates, to_verify }
    }

    /// The last step of a split batch admission: the verified transactions go in, the room
    /// checks running again (the pool may have changed while the signatures were checked).
    /// Results in the order of the batch.
    pub fn insert_verified(
        &mut self,
        verified: VerifiedBatch,
        gossip: bool,
        view: &(impl NonceView + ?Sized),
    ) -> Vec<Result<TxId>> {
        let VerifiedBatch { mut results, items, .. } = verified;
        for (index, candidate, verdict) in items {
            let result = match verdict {
                Ok(verified) => self.insert(candidate, verified, gossip, view),
                Err(e) => Err(e),
            };
            if let Some(slot) = results.get_mut(index) {
                *slot = result;
            }
        }
        results
    }

    /// Every check but the signatures, cheapest first. Also drops the submitter's pending
    /// transactions that the committed state has overtaken, so they do not count against its
    /// quota.
    fn check(
        &mut self,
        tx: &IdentifiedTx,
        bytes: usize,
        view: &(impl NonceView + ?Sized),
    ) -> Result<Candidate> {
        let max = self.tx_bytes_max();
        if bytes > max {
            return Err(AdmitError::TooLarge { bytes, max });
        }
        let body = &tx.transaction().body;
        if body.chain_id != self.chain_id {
            return Err(AdmitError::WrongChain {
                expected: self.chain_id.clone(),
                found: truncated(&body.chain_id, CHAIN_ID_BYTES_MAX),
            });
        }
        let id = tx.id();
        if self.by_id.contains_key(&id) {
            return Err(AdmitError::Duplicate(id));
        }
        let submitter = *body.submitter().ok_or(AdmitError::Invalid(TxError::NoSigner))?;
        let next = view.next_nonce(&submitter).ok_or(AdmitError::UnknownSigner(submitter))?;
        // Co-signers are looked at too (at most TX_SIGNERS_MAX, refused before this if more).
        if let Some(suspended) = body.signers.iter().take(TX_SIGNERS_MAX).find(|p| view.is_suspended(p)) {
            return Err(AdmitError::SuspendedSigner(*suspended));
        }
        if body.nonce < next {
            return Err(AdmitError::NonceTooLow { expected: next, found: body.nonce });
        }
        let window = self.config.nonce_window;
        if body.nonce - next >= window {
            return Err(AdmitError::NonceTooHigh { expected: next, found: body.nonce, window });
        }
        self.drop_below(submitter, next);
        let extends_run = body.nonce == next
            || body
                .nonce
                .checked_sub(1)
                .is_some_and(|before| self.by_nonce.contains_key(&(submitter, before)));
        let at_next = body.nonce == next;
        let candidate = Candidate { id, submitter, nonce: body.nonce, bytes, extends_run, at_next };
        match self.check_room(&candidate) {
            // A transaction that extends its submitter's run may evict gapped ones on insertion.
            Err(AdmitError::Full { .. }) if candidate.extends_run => Ok(candidate),
            Err(e) => Err(e),
            Ok(()) => Ok(candidate),
        }
    }

    /// Whether `c` fits the pool's count and byte bounds.
    fn fits(&self, c: &Candidate) -> bool {
        self.by_id.len() < self.config.txs_max && c.bytes <= self.config.bytes_max.saturating_sub(self.bytes)
    }

    /// The checks that depend on what else is pending.
    fn check_room(&self, c: &Candidate) -> Result<()> {
        if self.by_id.contains_key(&c.id) {
            return Err(AdmitError::Duplicate(c.id));
        }
        if self.by_nonce.contains_key(&(c.submitter, c.nonce)) {
            return Err(AdmitError::NonceTaken { nonce: c.nonce });
        }
        if self.party_txs.get(&c.submitter).copied().unwrap_or(0) >= self.config.party_txs_max {
            return Err(AdmitError::PartyQuota { party: c.submitter, max: self.config.party_txs_max });
        }
        if !self.fits(c) {
            return Err(AdmitError::Full { txs_max: self.config.txs_max });
        }
        Ok(())
    }

    fn insert(
        &mut self,
        c: Candidate,
        tx: VerifiedTx,
        gossip: bool,
        view: &(impl NonceView + ?Sized),
    ) -> Result<TxId> {
        match self.check_room(&c) {
            Err(AdmitError::Full { .. }) if c.extends_run && self.evict_gapped(&c, view) => {}
            Err(e) => return Err(e),
            Ok(()) => {}
        }
        // Wraps after 2^64 admissions only; order is then merely approximate, never unsafe.
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.by_nonce.insert((c.submitter, c.nonce), c.id);
        *self.party_txs.entry(c.submitter).or_insert(0) += 1;
        if gossip {
            self.gossip.insert(seq, c.id);
        }
        self.bytes += c.bytes;
        #[allow(clippy::disallowed_methods)] // the node's clock, for expiry only
        let admitted = Instant::now();
        if c.at_next {
            self.ready.insert(c.submitter);
        }
        self.by_id.insert(c.id, Entry { tx: Arc::new(tx), bytes: c.bytes, seq, admitted });
        Ok(c.id)
    }

    /// Makes room for `c` by evicting transactions that wait on a gap — newest first, from the
    /// parties with the most pending transactions — at most [`EVICTIONS_PER_ADMISSION_MAX`] of
    /// them from at most [`EVICTION_PARTIES_MAX`] parties. Whether `c` fits afterwards. Runs only
    /// when the pool is full.
    fn evict_gapped(&mut self, c: &Candidate, view: &(impl NonceView + ?Sized)) -> bool {
        let mut parties: Vec<(usize, PartyId)> = self.party_txs.iter().map(|(p, n)| (*n, *p)).collect();
        parties.sort_unstable_by(|a, b| b.cmp(a));
        let mut evicted = 0usize;
        // `c`'s own later transactions may be what `c` makes executable: never evicted for it.
        for (_, party) in parties.into_iter().filter(|(_, p)| *p != c.submitter).take(EVICTION_PARTIES_MAX) {
            let Some(next) = view.next_nonce(&party) else {
                self.drop_party(party);
                if self.fits(c) {
                    return true;
                }
                continue;
            };
            let end = self.next_nonce(&party, next);
            let gapped: Vec<TxId> = self
                .by_nonce
                .range((party, end)..=(party, u64::MAX))
                .rev()
                .map(|(_, id)| *id)
                .take(EVICTIONS_PER_ADMISSION_MAX - evicted)
                .collect();
            for id in gapped {
                self.remove(&id);
                evicted += 1;
                if self.fits(c) {
                    return true;
                }
            }
            if evicted >= EVICTIONS_PER_ADMISSION_MAX {
                break;
            }
        }
        self.fits(c)
    }

    /// Drops the transactions that have waited on a gap (a nonce beyond their submitter's run of
    /// consecutive pending nonces) for longer than [`MempoolConfig::gap_ttl`] at `now`. Returns
    /// how many. Walks the whole pool: call it every few seconds, not per block.
    pub fn expire_gapped(&mut self, now: Instant, view: &(impl NonceView + ?Sized)) -> usize {
        let ttl = self.config.gap_ttl;
        let parties: Vec<PartyId> = self.party_txs.keys().copied().collect();
        let mut expired = Vec::new();
        for party in parties {
            let Some(next) = view.next_nonce(&party) else { continue };
            let end = self.next_nonce(&party, next);
            for (_, id) in self.by_nonce.range((party, end)..=(party, u64::MAX)) {
                if self.by_id.get(id).is_some_and(|e| now.saturating_duration_since(e.admitted) > ttl) {
                    expired.push(*id);
                }
            }
        }
        for id in &expired {
            self.remove(id);
        }
        expired.len()
    }

    /// Whether some submitter's next transaction is pending, as of the last admission or
    /// commit: what a proposer waits for. Transactions that wait on a gap do not count.
    pub fn has_executable(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Up to `txs_max` transactions and `bytes_max` encoded bytes that execute in order on top
    /// of `view` without any being rejected: for each submitter the run of consecutive nonces
    /// from its next nonce (a gap ends the run), submitters taking one transaction each per
    /// round, in the order their first includable transaction was admitted. A transaction that
    /// does not fit the remaining bytes ends its submitter's run (what follows needs it) but
    /// not the others'. Nothing is removed.
    ///
    /// Cost: one `view` read per submitter with pending transactions, plus O(log n) per
    /// transaction reaped.
    pub fn reap(
        &self,
        txs_max: usize,
        bytes_max: usize,
        view: &(impl NonceView + ?Sized),
    ) -> Vec<VerifiedTx> {
        let mut heads: Vec<(u64, PartyId, u64)> = self
            .party_txs
            .keys()
            .filter_map(|party| {
                let next = view.next_nonce(party)?;
                let entry = self.entry_at(party, next)?;
                Some((entry.seq, *party, next))
            })
            .collect();
        heads.sort_unstable();
        let mut active: Vec<(PartyId, u64)> =
            heads.into_iter().map(|(_, party, next)| (party, next)).collect();
        let mut reaped = Vec::new();
        let mut bytes = 0usize;
        while !active.is_empty() && reaped.len() < txs_max {
            active.retain_mut(|(party, cursor)| {
                if reaped.len() >= txs_max {
                    return true;
                }
                let Some(entry) = self.entry_at(party, *cursor) else { return false };
                if entry.bytes > bytes_max.saturating_sub(bytes) {
                    return false;
                }
                bytes += entry.bytes;
                reaped.push(VerifiedTx::clone(&entry.tx));
                match cursor.checked_add(1) {
                    Some(next) => {
                        *cursor = next;
                        true
                    }
                    None => false,
                }
            });
        }
        reaped
    }

    fn entry_at(&self, party: &PartyId, nonce: u64) -> Option<&Entry> {
        self.by_nonce.get(&(*party, nonce)).and_then(|id| self.by_id.get(id))
    }

    /// After a block commits: drops the committed ids, and every pending transaction whose
    /// nonce is now below its submitter's next nonce in `view` (another transaction spent that
    /// nonce, so it can never execute), and those of a submitter `view` does not know.
    ///
    /// Cost: one `view` read per submitter with pending transactions, plus O(log n) per
    /// transaction dropped. Committed transactions proposed by others are not in this pool, so
    /// their submitters can only be found by asking `view` about every pending submitter.
    pub fn remove_committed(&mut self, committed: &[TxId], view: &(impl NonceView + ?Sized)) {
        for id in committed {
            self.remove(id);
        }
        let parties: Vec<PartyId> = self.party_txs.keys().copied().collect();
        self.ready.clear();
        for party in parties {
            match view.next_nonce(&party) {
                Some(next) => {
                    self.drop_below(party, next);
                    if self.by_nonce.contains_key(&(party, next)) {
                        self.ready.insert(party);
                    }
                }
                None => self.drop_party(party),
            }
        }
    }

    /// Drops `party`'s pending transactions with a nonce below `next`.
    fn drop_below(&mut self, party: PartyId, next: u64) {
        let stale: Vec<TxId> = self.by_nonce.range((party, 0)..(party, next)).map(|(_, id)| *id).collect();
        for id in stale {
            self.remove(&id);
        }
    }

    fn drop_party(&mut self, party: PartyId) {
        let all: Vec<TxId> = self.by_nonce.range((party, 0)..=(party, u64::MAX)).map(|(_, id)| *id).collect();
        for id in all {
            self.remove(&id);
        }
    }

    /// Removes one transaction from every index. Returns whether it was pending.
    pub fn remove(&mut self, id: &TxId) -> bool {
        let Some(entry) = self.by_id.remove(id) else { return false };
        let submitter = entry.tx.submitter();
        self.by_nonce.remove(&(submitter, entry.tx.body().nonce));
        if let Some(count) = self.party_txs.get_mut(&submitter) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.party_txs.remove(&submitter);
                self.ready.remove(&submitter);
            }
        }
        self.gossip.remove(&entry.seq);
        self.bytes = self.bytes.saturating_sub(entry.bytes);
        true
    }

    pub fn contains(&self, id: &TxId) -> bool {
        self.by_id.contains_key(id)
    }

    /// The verified transaction, so that a block validator need not check its signatures again.
    pub fn get(&self, id: &TxId) -> Option<&VerifiedTx> {
        self.by_id.get(id).map(|e| &*e.tx)
    }

    /// The pending transaction of `submitter` with `nonce`, if any: a lookup that needs no
    /// transaction id (so no encoding and hashing of the transaction looked for). Shared rather
    /// than borrowed: it outlives the pool's lock at the cost of a reference count, not a copy.
    pub fn by_submitter_nonce(&self, submitter: &PartyId, nonce: u64) -> Option<Arc<VerifiedTx>> {
        let id = self.by_nonce.get(&(*submitter, nonce))?;
        self.by_id.get(id).map(|e| Arc::clone(&e.tx))
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }

    /// Total encoded bytes of the pending transactions.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Pending transactions of `party`.
    pub fn party_len(&self, party: &PartyId) -> usize {
        self.party_txs.get(party).copied().unwrap_or(0)
    }

    /// Transactions admitted from clients since the last call and still pending, oldest first,
    /// at most `txs_max`, for gossip to peers in one message. The rest wait for the next call.
    /// Transactions admitted from peers ([`Mempool::admit_batch`]) are never returned.
    pub fn take_gossip_batch(&mut self, txs_max: usize) -> Vec<Transaction> {
        let mut batch = Vec::new();
        while batch.len() < txs_max {
            let Some((_, id)) = self.gossip.pop_first() else { break };
            if let Some(entry) = self.by_id.get(&id) {
                batch.push(entry.tx.transaction().clone());
            }
        }
        batch
    }

    /// Checks that every index agrees with `by_id` and with the bounds.
    #[cfg(test)]
    fn assert_invariants(&self) {
        assert!(self.by_id.len() <= self.config.txs_max);
        assert!(self.bytes <= self.config.bytes_max);
        assert_eq!(self.by_nonce.len(), self.by_id.len());
        assert_eq!(self.bytes, self.by_id.values().map(|e| e.bytes).sum::<usize>());
        let mut counts = BTreeMap::new();
        for (id, entry) in &self.by_id {
            let key = (entry.tx.submitter(), entry.tx.body().nonce);
            assert_eq!(self.by_nonce.get(&key), Some(id));
            assert_eq!(entry.tx.id(), *id);
            assert_eq!(entry.bytes, entry.tx.transaction().encode().len());
            *counts.entry(key.0).or_insert(0usize) += 1;
        }
        assert_eq!(counts, self.party_txs);
        assert!(self.ready.iter().all(|p| self.party_txs.contains_key(p)));
        assert!(self.party_txs.values().all(|n| *n > 0 && *n <= self.config.party_txs_max));
        for (seq, id) in &self.gossip {
            assert_eq!(self.by_id.get(id).map(|e| e.seq), Some(*seq));
        }
    }
}

/// At most `max_bytes` of `s`, cut at a character boundary, so an error never carries a
/// sender's long string.
fn truncated(s: &str, max_bytes: usize) -> String {
    let mut end = s.len().min(max_bytes);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

#[cfg(test)]
mod tests {
    use ebl_contracts::testkit::{Cast, TestLedger, CHAIN_ID};
    use ebl_ledger::{Action, BlId, Hash, Keypair};
    use proptest::prelude::*;

    use super::*;

    /// The committed nonces of a [`TestLedger`] (which itself answers 0 for an unknown party).
    struct LedgerView<'a>(&'a TestLedger);

    impl NonceView for LedgerView<'_> {
        fn next_nonce(&self, party: &PartyId) -> Option<u64> {
            self.0.party(party).map(|_| self.0.nonce(party))
        }
    }

    fn tx(signer: &Keypair, nonce: u64, variant: u8) -> Transaction {
        // Refused at execution (unknown BL), so includable whatever the state: only the nonce moves.
        let action = Action::BlankEndorse { bl: BlId(Hash::digest(&[variant])) };
        TestLedger::tx_with_nonce(&[signer], action, nonce)
    }

    /// The length of each submitter's run of consecutive pending nonces from its next nonce.
    fn includable(pool: &Mempool, view: &impl NonceView) -> usize {
        pool.party_txs
            .keys()
            .map(|party| {
                let Some(next) = view.next_nonce(party) else { return 0 };
                (next..).take_while(|n| pool.by_nonce.contains_key(&(*party, *n))).count()
            })
            .sum()
    }

    /// One admission: the submitter (index into a list whose last is unregistered), its nonce,
    /// the body variant (3 spoils the signature), and whether it arrives in a peer's batch.
    type Op = (usize, u64, u8, bool);

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec((0..5usize, 0..8u64, 0..4u8, any::<bool>()), 0..30)
    }

    fn admit_all(pool: &mut Mempool, keys: &[&Keypair], ops: &[Op], ledger: &TestLedger) {
        let view = LedgerView(ledger);
        let mut batch = Vec::new();
        for &(who, nonce, variant, from_peer) in ops {
            let mut t = tx(keys[who], nonce, variant.min(2));
            if variant == 3 {
                t.signatures[0].0[0] ^= 1;
            }
            let spoiled = variant == 3;
            if from_peer {
                batch.push((t, spoiled));
                continue;
            }
            let (txs, spoilt): (Vec<_>, Vec<_>) = std::mem::take(&mut batch).into_iter().unzip();
            for (result, spoiled) in pool.admit_batch(txs, &view).into_iter().zip(spoilt) {
                assert!(!(spoiled && result.is_ok()), "a spoiled signature was admitted");
            }
            let result = pool.admit(t, &view);
            assert!(!(spoiled && result.is_ok()), "a spoiled signature was admitted");
            pool.assert_invariants();
        }
        let (txs, _): (Vec<_>, Vec<bool>) = batch.into_iter().unzip();
        pool.admit_batch(txs, &view);
        pool.assert_invariants();
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Random submitters, nonces, gaps, duplicates, conflicts, bad signatures, arrival out of
        /// order from clients and peers: whatever is reaped executes as a validator's block, and
        /// with no limit everything includable is reaped.
        #[test]
        fn reaped_transactions_always_execute(
            rounds in prop::collection::vec((ops(), 0..12usize, 0..2_000usize), 1..4),
            txs_max in 1..16usize,
            party_txs_max in 1..6usize,
            nonce_window in 1..8u64,
        ) {
            let cast = Cast::new();
            let keys = [&cast.shipper, &cast.carrier, &cast.bank, &cast.consignee, &cast.stranger];
            let mut ledger = TestLedger::new(&cast);
            let config = MempoolConfig { txs_max, party_txs_max, nonce_window, ..MempoolConfig::default() };
            let mut pool = Mempool::new(config, CHAIN_ID.into());
            for (ops, reap_txs_max, reap_bytes_max) in rounds {
                admit_all(&mut pool, &keys, &ops, &ledger);
                let view = LedgerView(&ledger);
                let all = pool.reap(usize::MAX, usize::MAX, &view);
                prop_assert_eq!(all.len(), includable(&pool, &view));
                let reaped = pool.reap(reap_txs_max, reap_bytes_max, &view);
                prop_assert!(reaped.len() <= reap_txs_max);
                let bytes: usize = reaped.iter().map(|t| t.transaction().encode().len()).sum();
                prop_assert!(bytes <= reap_bytes_max);
                let ids: Vec<TxId> = reaped.iter().map(|t| t.id()).collect();
                let ctx = ledger.ctx();
                prop_assert!(ebl_contracts::execute_block(&ledger.tree, &ctx, &reaped).is_ok());
                ledger
                    .exec_block(reaped.into_iter().map(VerifiedTx::into_transaction).collect())
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                pool.remove_committed(&ids, &LedgerView(&ledger));
                pool.assert_invariants();
                let view = LedgerView(&ledger);
                for (party, nonce) in pool.by_nonce.keys() {
                    prop_assert!(view.next_nonce(party).is_some_and(|next| *nonce >= next));
                }
            }
        }
    }

    #[test]
    fn every_error_has_its_code() {
        let party = Keypair::for_test("p").party();
        let id = TxId(Hash::digest(b"t"));
        let cases = [
            (AdmitError::TooLarge { bytes: 2, max: 1 }, "TX_TOO_LARGE"),
            (AdmitError::Malformed("x".into()), "MALFORMED_TX"),
            (AdmitError::WrongChain { expected: "a".into(), found: "b".into() }, "WRONG_CHAIN"),
            (AdmitError::Invalid(TxError::BadSignature(party)), "BAD_SIGNATURE"),
            (AdmitError::UnknownSigner(party), "UNKNOWN_SIGNER"),
            (AdmitError::NonceTooLow { expected: 1, found: 0 }, "NONCE_TOO_LOW"),
            (AdmitError::NonceTooHigh { expected: 0, found: 9, window: 1 }, "NONCE_TOO_HIGH"),
            (AdmitError::Duplicate(id), "DUPLICATE_TX"),
            (AdmitError::NonceTaken { nonce: 0 }, "NONCE_TAKEN"),
            (AdmitError::PartyQuota { party, max: 1 }, "PARTY_QUOTA"),
            (AdmitError::Full { txs_max: 1 }, "MEMPOOL_FULL"),
        ];
        for (error, code) in cases {
            assert_eq!(error.code(), code, "{error}");
        }
    }

    #[test]
    fn long_foreign_chain_id_is_cut_in_the_error() {
        assert_eq!(truncated("ééé", 3), "é");
        assert_eq!(truncated("abc", 64), "abc");
        let signer = Keypair::for_test("p");
        let mut view = BTreeMap::new();
        view.insert(signer.party(), 0);
        let body = ebl_ledger::TxBody {
            chain_id: "x".repeat(1000),
            nonce: 0,
            signers: vec![signer.party()],
            action: Action::BlankEndorse { bl: BlId(Hash::ZERO) },
        };
        let mut pool = Mempool::new(MempoolConfig::default(), CHAIN_ID.into());
        match pool.admit(body.sign(&[&signer]), &view) {
            Err(AdmitError::WrongChain { found, .. }) => assert_eq!(found.len(), CHAIN_ID_BYTES_MAX),
            other => panic!("expected WRONG_CHAIN, got {other:?}"),
        }
    }
}
