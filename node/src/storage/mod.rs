//! RocksDB storage (DESIGN §8): blocks, receipts, commit certificates, the JMT state (nodes
//! and each key's newest value; every version of every value in an archive), the query
//! indices and the committed tip, in one database with one column family per kind (see
//! [`layout`]).
//!
//! * **Atomicity.** A decided block and all its effects are written by [`Storage::commit_block`]
//!   in one `WriteBatch`, synced before it returns. A crash leaves either the whole block or
//!   none of it, so there is never a partial block to repair: recovery is reading the tip.
//! * **Start-up invariants** (STYLE §9): [`Storage::open`] checks that the tip, the block store
//!   and the state tree agree, and refuses to start otherwise (`StorageError::Invariant`).
//! * **One writer.** Commits are serialised by a lock around the tip, so the "extends the tip"
//!   check and the write cannot interleave. Reads never take the database lock.
//! * **Bounded memory.** One LRU block cache shared by every column family, a global memtable
//!   budget and a bounded cache of recently used state values ([`values`]: what executing a block
//!   reads, without a RocksDB lookup each), so the node's RSS does not grow with the ledger
//!   (DESIGN §9: ≤ 1 GiB at 1 M BLs).
//!
//! Every JMT node is kept, so the root of any committed height can be read. Values: a validator
//! keeps each key's newest (reads and proofs at the tip; a read a commit overtook is
//! `StoreError::Pruned`, and `StateTree::get` reads again at the new tip); an archive
//! (`StorageOptions::archive`, chosen at genesis) keeps every version and proves at any height
//! (ADR 0014).

mod invariants;
pub mod layout;
mod state;
mod values;

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};

use ebl_ledger::records::{HistoryEntry, StateKey};
use ebl_ledger::{encoding, BlId, Block, BlockHeader, Hash, PartyId, Receipt, StateUpdate, StoreError, TxId};
use rocksdb::{
    BlockBasedOptions, Cache, ColumnFamily, ColumnFamilyDescriptor, DBCompressionType, Direction,
    IteratorMode, Options, ReadOptions, SliceTransform, WriteBatch, WriteOptions, DB,
};
use thiserror::Error;

use layout::*;

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

#[derive(Debug, Error)]
pub enum StorageError {
    /// RocksDB itself failed (I/O, lock held by another process, ...).
    #[error("rocksdb: {0}")]
    Rocks(String),
    /// Stored bytes do not decode, or have the wrong size.
    #[error("storage is corrupt: {0}")]
    Corrupt(String),
    /// The stored data are individually readable but disagree with each other.
    #[error("storage invariant violated: {0}")]
    Invariant(String),
    /// A block was committed before the genesis state.
    #[error("no genesis state is committed")]
    NoGenesis,
    /// Genesis on a database that holds a chain already.
    #[error("the database holds a chain already (tip at height {height})")]
    GenesisExists { height: u64 },
    #[error("block height {found} does not follow the tip: expected {expected}")]
    WrongHeight { expected: u64, found: u64 },
    #[error("block {height} has parent {found}, the tip is {expected}")]
    WrongParent { height: u64, expected: Hash, found: Hash },
    #[error("block is for chain {found:?}, this database holds chain {expected:?}")]
    WrongChain { expected: String, found: String },
    /// The commit is internally inconsistent (receipts, roots, state versions, index entries);
    /// a bug in the caller, refused before anything is written.
    #[error("inconsistent commit: {0}")]
    InvalidCommit(String),
    /// The state tree failed while reading this database.
    #[error(transparent)]
    State(#[from] StoreError),
}

impl From<rocksdb::Error> for StorageError {
    fn from(e: rocksdb::Error) -> Self {
        StorageError::Rocks(e.into_string())
    }
}

/// The committed tip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tip {
    pub height: u64,
    pub block_hash: Hash,
    pub state_root: Hash,
    pub time_ms: u64,
}

impl From<TipRecord> for Tip {
    fn from(r: TipRecord) -> Self {
        Tip { height: r.height, block_hash: r.block_hash, state_root: r.state_root, time_ms: r.time_ms }
    }
}

impl From<&Tip> for TipRecord {
    fn from(t: &Tip) -> Self {
        TipRecord { height: t.height, block_hash: t.block_hash, state_root: t.state_root, time_ms: t.time_ms }
    }
}

/// An index entry derived from a committed transaction (the app derives them).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum IndexEntry {
    /// `party` is involved in BL `bl` (issuer, holder, endorsee, lienholder, ...).
    PartyBl { party: PartyId, bl: BlId },
    /// Transaction `index` of block `height` touched BL `bl`.
    BlTx { bl: BlId, height: u64, index: u32 },
    /// Transaction `index` of block `height` touched container `container` (`ContainerRef::id()`).
    ContainerTx { container: Hash, height: u64, index: u32 },
    /// `party` joined the registry.
    Party { party: PartyId },
}

/// Everything one decided block writes, committed atomically.
#[derive(Debug)]
pub struct BlockCommit<'a> {
    pub block: &'a Block,
    pub receipts: &'a [Receipt],
    /// The commit certificate, encoded by the consensus layer (opaque here).
    pub certificate: &'a [u8],
    /// The JMT nodes and values of version `block.header.height` (from `StateTree::prepare`).
    pub state: &'a StateUpdate,
    pub index: &'a [IndexEntry],
    /// The caller derived the transaction ids (the receipts carry them), the tx root and the
    /// receipts root from this very block and these receipts, and found the header's — as
    /// `App` does when it builds or validates a block, microseconds before it commits it.
    /// Storage then takes the ids from the receipts instead of deriving all three again
    /// (hashing every transaction twice more: ~5 % of a validator's time at full load);
    /// `false` makes it derive and compare them.
    pub roots_checked: bool,
}

/// Most items one index query returns, whatever `limit` the caller asks for: a query is
/// served from one iterator and must stay small (page with the `_after` variants).
pub const QUERY_ITEMS_MAX: usize = 10_000;
/// Bound on the RocksDB table cache (open SST files).
pub const OPEN_FILES_MAX: i32 = 512;
/// WAL size after which RocksDB flushes the column families that pin old WAL files.
pub const WAL_BYTES_MAX: u64 = 128 * 1024 * 1024;
/// RocksDB info LOG files kept.
pub const LOG_FILES_MAX: usize = 4;
/// Memtable size of one column family before it is flushed.
const MEMTABLE_BYTES: usize = 16 * 1024 * 1024;
/// Memtable size of each JMT family (nodes, values, latest values), which take most of a block's
/// writes at random keys: a larger memtable flushes fewer, larger files, so the level below
/// (whose files span every key) is rewritten by fewer compactions for the same data. All
/// memtables together stay bounded by `StorageOptions::memtables_bytes_max`, which flushes the
/// largest first.
const JMT_MEMTABLE_BYTES: usize = 64 * 1024 * 1024;

/// Memory knobs. The defaults keep RocksDB well under 512 MiB whatever the ledger's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageOptions {
    /// The one LRU block cache shared by every column family (data, index and filter blocks).
    pub block_cache_bytes: usize,
    /// All memtables together; RocksDB flushes the largest when the total reaches this.
    pub memtables_bytes_max: usize,
    /// The newest values of recently used state keys, kept decoded beside RocksDB (0: none).
    pub value_cache_bytes: usize,
    /// A new database keeps every version of every state value (an archive: reads and proofs
    /// at any height); otherwise only each key's newest value, which is all a validator reads
    /// (reads and proofs at the tip) and about a sixth less to write per transfer. An existing
    /// database keeps what it was created with ([`layout::META_VALUE_HISTORY`]).
    pub archive: bool,
}

impl Default for StorageOptions {
    fn default() -> Self {
        StorageOptions {
            block_cache_bytes: 128 * 1024 * 1024,
            memtables_bytes_max: 128 * 1024 * 1024,
            value_cache_bytes: 64 * 1024 * 1024,
            archive: false,
        }
    }
}

/// The node's database. Cheap to clone: every clone shares one RocksDB handle.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<Inner>,
}

struct Inner {
    db: DB,
    /// The committed tip and chain id, cached so that `tip()` and the state tree's
    /// `latest_version()` need no I/O. Replaced whole, after the batch is on disk.
    head: RwLock<Head>,
    /// Held for a whole commit, so that "extends the tip" is checked against the tip the
    /// batch is written on. Readers never take it: they are not blocked by a commit's fsync.
    commit: Mutex<()>,
    /// Block times by height, at most [`BLOCK_TIMES_MAX`] (the lowest heights go first).
    block_times: Mutex<std::collections::BTreeMap<u64, u64>>,
    /// The newest values of recently used state keys (see [`values`]).
    values: values::ValueCache,
    /// The size of the last block's write batch: the next one reserves about as much, instead
    /// of growing (and copying) its buffer a dozen times on the way to megabytes.
    last_batch_bytes: std::sync::atomic::AtomicUsize,
    /// Every version of every value is kept ([`StorageOptions::archive`]); set once on opening.
    archive: std::sync::atomic::AtomicBool,
}

/// Block times [`Storage::block_time_ms`] keeps in memory: 1 MiB at most.
const BLOCK_TIMES_MAX: usize = 1 << 16;

#[derive(Debug, Clone, Default)]
struct Head {
    tip: Option<Tip>,
    chain_id: Option<String>,
}

impl std::fmt::Debug for Storage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Storage").field("path", &self.inner.db.path()).field("head", &*self.head()).finish()
    }
}

/// Options of one column family: shared cache, LZ4, and a Bloom filter where reads are point
/// lookups (JMT nodes, tx ids) or seeks within one prefix (JMT values); the families read
/// by height or by index scans skip it to save memory.
fn cf_options(name: &str, cache: &Cache) -> Options {
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(cache);
    // Index and filter blocks live in (and are bounded by) the block cache instead of
    // growing with the number of SST files.
    table.set_cache_index_and_filter_blocks(true);
    table.set_pin_l0_filter_and_index_blocks_in_cache(true);
    if matches!(name, CF_JMT_NODES | CF_INDEX_TX | CF_JMT_VALUES | CF_JMT_LATEST) {
        table.set_bloom_filter(10.0, false);
    }
    let mut opts = Options::default();
    if name == CF_JMT_VALUES {
        // Every state read is a reverse seek within one key hash: a 32-byte prefix Bloom
        // filter lets it skip the SST files that never saw that key.
        opts.set_prefix_extractor(SliceTransform::create_fixed_prefix(JMT_VALUE_PREFIX_BYTES));
    }
    opts.set_block_based_table_factory(&table);
    // JMT nodes, tx locations and receipts are mostly hashes and heights, which LZ4 cannot
    // shrink; the newest values (BL records) and history entries shrink by less than a fifth
    // (measured on the benchmark's chain): compressing them costs every flush and compaction
    // CPU for little disk. Blocks (transactions, by about 2.5×) and the indexes keep LZ4.
    let compression = if matches!(
        name,
        CF_JMT_NODES | CF_INDEX_TX | CF_RECEIPTS | CF_JMT_VALUES | CF_JMT_LATEST | CF_WRITE_ONCE
    ) {
        DBCompressionType::None
    } else {
        DBCompressionType::Lz4
    };
    opts.set_compression_type(compression);
    opts.set_write_buffer_size(if matches!(name, CF_JMT_NODES | CF_JMT_VALUES | CF_JMT_LATEST) {
        JMT_MEMTABLE_BYTES
    } else {
        MEMTABLE_BYTES
    });
    opts.set_max_write_buffer_number(2);
    opts
}

/// The values of `state` worth keeping in memory: not those written once (a BL's history
/// entries), which no transaction reads.
fn values_to_cache(
    state: &StateUpdate,
) -> impl Iterator<
    Item = (&(ebl_ledger::jmt::Version, ebl_ledger::jmt::KeyHash), &Option<ebl_ledger::jmt::OwnedValue>),
> {
    state.node_batch.values().iter().filter(|((_, key), _)| !state.is_write_once(key))
}

fn corrupt(what: impl std::fmt::Display, e: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(format!("{what}: {e}"))
}

fn hash_of(bytes: &[u8], what: impl std::fmt::Display) -> Result<Hash> {
    let arr: [u8; 32] =
        bytes.try_into().map_err(|_| corrupt(what, format!("{} bytes, expected 32", bytes.len())))?;
    Ok(Hash(arr))
}

impl Storage {
    /// Opens or creates the database under `path`, then checks the invariants.
    pub fn open(path: &Path) -> Result<Self> {
        Self::open_with(path, &StorageOptions::default())
    }

    /// [`open`](Self::open) with explicit memory knobs.
    pub fn open_with(path: &Path, options: &StorageOptions) -> Result<Self> {
        let cache = Cache::new_lru_cache(options.block_cache_bytes);
        let mut db_opts = Options::default();
        db_opts.create_if_missing(true);
        db_opts.create_missing_column_families(true);
        db_opts.set_db_write_buffer_size(options.memtables_bytes_max);
        db_opts.set_max_total_wal_size(WAL_BYTES_MAX);
        db_opts.set_max_open_files(OPEN_FILES_MAX);
        db_opts.set_keep_log_file_num(LOG_FILES_MAX);
        let cfs =
            COLUMN_FAMILIES.iter().map(|name| ColumnFamilyDescriptor::new(*name, cf_options(name, &cache)));
        let db = DB::open_cf_descriptors(&db_opts, path, cfs)?;
        let storage = Storage {
            inner: Arc::new(Inner {
                db,
                head: RwLock::new(Head::default()),
                commit: Mutex::new(()),
                block_times: Mutex::new(std::collections::BTreeMap::new()),
                values: values::ValueCache::new(options.value_cache_bytes),
                last_batch_bytes: std::sync::atomic::AtomicUsize::new(0),
                archive: std::sync::atomic::AtomicBool::new(options.archive),
            }),
        };
        let head = storage.load_head(options.archive)?;
        *storage.head_mut() = head;
        invariants::check(&storage)?;
        if let Some(tip) = storage.tip()? {
            tracing::info!(
                height = tip.height,
                block = %tip.block_hash,
                state_root = %tip.state_root,
                archive = storage.is_archive(),
                "storage opened"
            );
        }
        Ok(storage)
    }

    /// The cached head. A poisoned lock only means another thread panicked while holding it;
    /// `Head` is replaced whole, never half-updated, so its value is still the committed one.
    fn head(&self) -> RwLockReadGuard<'_, Head> {
        self.inner.head.read().unwrap_or_else(|e| e.into_inner())
    }

    fn head_mut(&self) -> RwLockWriteGuard<'_, Head> {
        self.inner.head.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Serialises writers (see [`Inner::commit`]); poisoning carries no state, as above.
    fn commit_lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.inner.commit.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn cf(&self, name: &'static str) -> Result<&ColumnFamily> {
        self.inner
            .db
            .cf_handle(name)
            .ok_or_else(|| StorageError::Rocks(format!("column family {name} is missing")))
    }

    fn get(&self, cf: &'static str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.inner.db.get_cf(self.cf(cf)?, key)?)
    }

    /// Whether this database keeps every version of every value ([`StorageOptions::archive`]).
    pub fn is_archive(&self) -> bool {
        self.inner.archive.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Reads the head, after checking (and if need be upgrading) the layout and setting the
    /// value history kept: the database's own, else `archive_if_new` for a database with no chain.
    fn load_head(&self, archive_if_new: bool) -> Result<Head> {
        let schema = self.get(CF_META, META_SCHEMA_VERSION)?;
        if let Some(v) = &schema {
            let found = u32::from_be_bytes(
                v.as_slice()
                    .try_into()
                    .map_err(|_| corrupt("schema version", format!("{} bytes", v.len())))?,
            );
            if found != SCHEMA_VERSION {
                return Err(StorageError::Invariant(format!(
                    "database layout version {found}: this node reads only layout {SCHEMA_VERSION}. \
                     Layouts before {SCHEMA_VERSION} were written by development versions before \
                     0.1.0 and are no longer read; start this node on an empty data directory and \
                     let it sync the chain from its peers"
                )));
            }
        }
        let archive = match self.get(CF_META, META_VALUE_HISTORY)?.as_deref() {
            Some([0]) => false,
            Some([1]) => true,
            Some(other) => return Err(corrupt("value history", format!("{other:?}, expected [0] or [1]"))),
            None if schema.is_some() => {
                return Err(corrupt("value history", "a database without its record"));
            }
            None => archive_if_new,
        };
        if archive != archive_if_new && schema.is_some() {
            tracing::warn!(
                archive,
                "the database keeps the value history it was created with; storage.archive is ignored"
            );
        }
        self.inner.archive.store(archive, std::sync::atomic::Ordering::Relaxed);
        let tip = match self.get(CF_META, META_TIP)? {
            Some(bytes) => {
                let record: TipRecord = encoding::decode(&bytes, TIP_BYTES).map_err(|e| corrupt("tip", e))?;
                Some(Tip::from(record))
            }
            None => None,
        };
        let chain_id = match self.get(CF_META, META_CHAIN_ID)? {
            Some(bytes) if bytes.len() <= CHAIN_ID_BYTES_MAX => {
                Some(String::from_utf8(bytes).map_err(|e| corrupt("chain id", e))?)
            }
            Some(bytes) => return Err(corrupt("chain id", format!("{} bytes", bytes.len()))),
            None => None,
        };
        Ok(Head { tip, chain_id })
    }

    /// Writes the genesis state as JMT version 0 and records the chain id and the genesis
    /// state root. Refused if anything is committed already, or if `state` is not version 0
    /// or does not hash to `state_root`.
    pub fn commit_genesis(
        &self,
        chain_id: &str,
        genesis_time_ms: u64,
        state: &StateUpdate,
        state_root: Hash,
        parties: &[PartyId],
    ) -> Result<()> {
        let _writer = self.commit_lock();
        if let Some(tip) = self.tip()? {
            return Err(StorageError::GenesisExists { height: tip.height });
        }
        if chain_id.is_empty() || chain_id.len() > CHAIN_ID_BYTES_MAX {
            return Err(StorageError::InvalidCommit(format!(
                "chain id must be 1 to {CHAIN_ID_BYTES_MAX} bytes, found {}",
                chain_id.len()
            )));
        }
        self.check_state_batch(0, &state.node_batch, &state_root)?;
        let tip = Tip { height: 0, block_hash: Hash::ZERO, state_root, time_ms: genesis_time_ms };
        let mut batch = WriteBatch::default();
        self.put_state(&mut batch, &state.node_batch, &state.write_once)?;
        for party in parties {
            batch.put_cf(self.cf(CF_INDEX_PARTIES)?, party.as_bytes(), []);
        }
        let meta = self.cf(CF_META)?;
        batch.put_cf(meta, META_SCHEMA_VERSION, SCHEMA_VERSION.to_be_bytes());
        batch.put_cf(meta, META_VALUE_HISTORY, [u8::from(self.is_archive())]);
        batch.put_cf(meta, META_CHAIN_ID, chain_id.as_bytes());
        batch.put_cf(meta, META_GENESIS_STATE_ROOT, state_root.as_bytes());
        batch.put_cf(meta, META_GENESIS_TIME_MS, genesis_time_ms.to_be_bytes());
        batch.put_cf(meta, META_TIP, encoding::encode(&TipRecord::from(&tip)));
        self.write_synced(batch)?;
        self.inner.values.committed(values_to_cache(state));
        tracing::info!(chain_id, state_root = %state_root, "genesis committed");
        *self.head_mut() = Head { tip: Some(tip), chain_id: Some(chain_id.to_owned()) };
        Ok(())
    }

    /// The chain id recorded at genesis.
    pub fn chain_id(&self) -> Result<Option<String>> {
        Ok(self.head().chain_id.clone())
    }

    /// The genesis state root, as recorded by [`commit_genesis`](Self::commit_genesis).
    pub fn genesis_state_root(&self) -> Result<Option<Hash>> {
        self.get(CF_META, META_GENESIS_STATE_ROOT)?.map(|b| hash_of(&b, "genesis state root")).transpose()
    }

    /// The genesis time, as recorded by [`commit_genesis`](Self::commit_genesis).
    pub fn genesis_time_ms(&self) -> Result<Option<u64>> {
        self.get(CF_META, META_GENESIS_TIME_MS)?
            .map(|b| {
                let arr: [u8; 8] = b
                    .as_slice()
                    .try_into()
                    .map_err(|_| corrupt("genesis time", format!("{} bytes", b.len())))?;
                Ok(u64::from_be_bytes(arr))
            })
            .transpose()
    }

    /// `None` before genesis; height 0 with `block_hash = Hash::ZERO` after genesis only.
    pub fn tip(&self) -> Result<Option<Tip>> {
        Ok(self.head().tip.clone())
    }

    /// One `WriteBatch`, synced: block, receipts, certificate, JMT nodes and values, index
    /// entries, tx locations, and the new tip. Refused, with nothing written, unless the block
    /// extends the tip (height + 1, parent hash, chain id) and the commit is consistent with
    /// its header (tx root, receipts root, state root of `state`).
    pub fn commit_block(&self, commit: &BlockCommit<'_>) -> Result<()> {
        let _writer = self.commit_lock();
        let head = self.head().clone();
        let Some(tip) = head.tip else {
            return Err(StorageError::NoGenesis);
        };
        let header = &commit.block.header;
        let height = header.height;
        let expected = tip.height.checked_add(1).ok_or_else(|| {
            StorageError::InvalidCommit(format!("tip height {} cannot be followed", tip.height))
        })?;
        if height != expected {
            return Err(StorageError::WrongHeight { expected, found: height });
        }
        if header.parent_hash != tip.block_hash {
            return Err(StorageError::WrongParent {
                height,
                expected: tip.block_hash,
                found: header.parent_hash,
            });
        }
        let chain_id = head.chain_id.unwrap_or_default();
        if header.chain_id != chain_id {
            return Err(StorageError::WrongChain { expected: chain_id, found: header.chain_id.clone() });
        }
        let tx_ids = self.check_block_commit(commit)?;

        let block_hash = commit.block.hash();
        let new_tip = Tip { height, block_hash, state_root: header.state_root, time_ms: header.time_ms };
        let hkey = height_key(height);
        let block_bytes = encoding::encode(commit.block);
        if block_bytes.len() > BLOCK_BYTES_MAX {
            // Stored, it could never be read back under the decode bound.
            return Err(StorageError::InvalidCommit(format!(
                "block of {} bytes, at most {BLOCK_BYTES_MAX}",
                block_bytes.len()
            )));
        }
        let reserve = self.inner.last_batch_bytes.load(std::sync::atomic::Ordering::Relaxed);
        let mut batch = WriteBatch::with_capacity_bytes(reserve + reserve / 8);
        batch.put_cf(self.cf(CF_BLOCKS)?, hkey, block_bytes);
        batch.put_cf(self.cf(CF_BLOCK_HASHES)?, hkey, block_hash.as_bytes());
        batch.put_cf(self.cf(CF_RECEIPTS)?, hkey, encoding::encode(commit.receipts));
        batch.put_cf(self.cf(CF_CERTIFICATES)?, hkey, commit.certificate);
        self.put_state(&mut batch, &commit.state.node_batch, &commit.state.write_once)?;
        let tx_cf = self.cf(CF_INDEX_TX)?;
        for (index, id) in (0u32..).zip(&tx_ids) {
            batch.put_cf(tx_cf, id.0.as_bytes(), location_bytes(height, index));
        }
        let (party_cf, bl_cf, container_cf) =
            (self.cf(CF_INDEX_PARTY_BL)?, self.cf(CF_INDEX_BL_TX)?, self.cf(CF_INDEX_CONTAINER_TX)?);
        for entry in commit.index {
            match entry {
                IndexEntry::PartyBl { party, bl } => batch.put_cf(party_cf, party_bl_key(party, bl), []),
                IndexEntry::BlTx { bl, height, index } => {
                    batch.put_cf(bl_cf, located_key(&bl.0, *height, *index), [])
                }
                IndexEntry::ContainerTx { container, height, index } => {
                    batch.put_cf(container_cf, located_key(container, *height, *index), [])
                }
                IndexEntry::Party { party } => batch.put_cf(self.cf(CF_INDEX_PARTIES)?, party.as_bytes(), []),
            }
        }
        batch.put_cf(self.cf(CF_META)?, META_TIP, encoding::encode(&TipRecord::from(&new_tip)));
        self.inner.last_batch_bytes.store(batch.size_in_bytes(), std::sync::atomic::Ordering::Relaxed);
        self.write_synced(batch)?;
        // Before the tip moves: a reader that sees the new tip finds the new values.
        self.inner.values.committed(values_to_cache(commit.state));
        tracing::debug!(height, block = %block_hash, txs = tx_ids.len(), "block committed");
        self.head_mut().tip = Some(new_tip);
        self.remember_block_time(height, header.time_ms);
        Ok(())
    }

    /// Everything about a commit that can be checked before writing it. Returns the tx ids.
    fn check_block_commit(&self, commit: &BlockCommit<'_>) -> Result<Vec<TxId>> {
        let header = &commit.block.header;
        let height = header.height;
        let txs = &commit.block.txs;
        let invalid = |m: String| Err(StorageError::InvalidCommit(m));
        if txs.len() > ebl_ledger::limits::BLOCK_TXS_MAX {
            return invalid(format!(
                "{} transactions, at most {}",
                txs.len(),
                ebl_ledger::limits::BLOCK_TXS_MAX
            ));
        }
        if commit.receipts.len() != txs.len() {
            return invalid(format!("{} receipts for {} transactions", commit.receipts.len(), txs.len()));
        }
        if commit.certificate.len() > CERTIFICATE_BYTES_MAX {
            return invalid(format!(
                "certificate of {} bytes, at most {CERTIFICATE_BYTES_MAX}",
                commit.certificate.len()
            ));
        }
        let tx_ids: Vec<TxId> = if commit.roots_checked {
            commit.receipts.iter().map(|r| r.tx_id).collect()
        } else {
            let tx_ids: Vec<TxId> = txs.iter().map(|tx| tx.id()).collect();
            for (i, (id, receipt)) in tx_ids.iter().zip(commit.receipts).enumerate() {
                if receipt.tx_id != *id {
                    return invalid(format!("receipt {i} is for {}, transaction {i} is {id}", receipt.tx_id));
                }
            }
            let tx_root = ebl_ledger::block::tx_root(txs);
            if tx_root != header.tx_root {
                return invalid(format!("tx root is {tx_root}, the header says {}", header.tx_root));
            }
            let receipts_root = ebl_ledger::block::receipts_root(commit.receipts);
            if receipts_root != header.receipts_root {
                return invalid(format!(
                    "receipts root is {receipts_root}, the header says {}",
                    header.receipts_root
                ));
            }
            tx_ids
        };
        let tx_count = txs.len() as u64;
        for entry in commit.index {
            let located = match entry {
                IndexEntry::PartyBl { .. } | IndexEntry::Party { .. } => None,
                IndexEntry::BlTx { height, index, .. } | IndexEntry::ContainerTx { height, index, .. } => {
                    Some((*height, *index))
                }
            };
            if let Some((h, index)) = located {
                if h != height || u64::from(index) >= tx_count {
                    return invalid(format!(
                        "index entry {entry:?} does not name a transaction of block {height} ({tx_count} txs)"
                    ));
                }
            }
        }
        self.check_state_batch(height, &commit.state.node_batch, &header.state_root)?;
        Ok(tx_ids)
    }

    fn write_synced(&self, batch: WriteBatch) -> Result<()> {
        let mut opts = WriteOptions::default();
        opts.set_sync(true);
        self.inner.db.write_opt(batch, &opts)?;
        Ok(())
    }

    fn height_get(&self, cf: &'static str, height: u64) -> Result<Option<Vec<u8>>> {
        self.get(cf, &height_key(height))
    }

    /// Records, synced, the block this validator proposes at `(height, round)`, before the
    /// proposal leaves the node.
    pub fn put_proposal(&self, height: u64, round: u32, block: &Block) -> Result<()> {
        let mut opts = WriteOptions::default();
        opts.set_sync(true);
        let mut batch = WriteBatch::default();
        batch.put_cf(self.cf(CF_PROPOSALS)?, proposal_key(height, round), encoding::encode(block));
        Ok(self.inner.db.write_opt(batch, &opts)?)
    }

    /// The block this validator proposed at `(height, round)`, if any.
    pub fn proposal(&self, height: u64, round: u32) -> Result<Option<Block>> {
        self.get(CF_PROPOSALS, &proposal_key(height, round))?
            .map(|bytes| encoding::decode(&bytes, BLOCK_BYTES_MAX).map_err(|e| corrupt("proposal", e)))
            .transpose()
    }

    /// Forgets this validator's proposals below `height` (their heights are committed).
    pub fn prune_proposals(&self, height: u64) -> Result<()> {
        let cf = self.cf(CF_PROPOSALS)?;
        Ok(self.inner.db.delete_range_cf(cf, proposal_key(0, 0), proposal_key(height, 0))?)
    }

    pub fn block(&self, height: u64) -> Result<Option<Block>> {
        self.height_get(CF_BLOCKS, height)?
            .map(|b| encoding::decode(&b, BLOCK_BYTES_MAX).map_err(|e| corrupt(format!("block {height}"), e)))
            .transpose()
    }

    /// The time of the block at `height` (`None` at height 0 and above the tip). Kept in memory
    /// once read or committed: a BL's verification names the time of the block that last
    /// changed it, and decoding that block (up to 5,000 transactions) per request made public
    /// verification 25 times slower.
    pub fn block_time_ms(&self, height: u64) -> Result<Option<u64>> {
        if let Some(time) = self.block_times().get(&height) {
            return Ok(Some(*time));
        }
        let Some(header) = self.block_header(height)? else {
            return Ok(None);
        };
        self.remember_block_time(height, header.time_ms);
        Ok(Some(header.time_ms))
    }

    /// The header of the block at `height`, decoded alone: it leads the block's encoding, so
    /// the transactions after it (up to 5,000) are neither decoded nor copied.
    pub fn block_header(&self, height: u64) -> Result<Option<BlockHeader>> {
        let Some(bytes) = self.inner.db.get_pinned_cf(self.cf(CF_BLOCKS)?, height_key(height))? else {
            return Ok(None);
        };
        <BlockHeader as borsh::BorshDeserialize>::deserialize(&mut &bytes[..])
            .map(Some)
            .map_err(|e| corrupt(format!("header of block {height}"), e))
    }

    fn block_times(&self) -> MutexGuard<'_, std::collections::BTreeMap<u64, u64>> {
        // A poisoned lock only means a reader panicked; every entry in it is a committed time.
        self.inner.block_times.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn remember_block_time(&self, height: u64, time_ms: u64) {
        let mut times = self.block_times();
        times.insert(height, time_ms);
        while times.len() > BLOCK_TIMES_MAX {
            times.pop_first();
        }
    }

    /// The hash of the block at `height` (`None` at height 0: genesis is not a block).
    pub fn block_hash(&self, height: u64) -> Result<Option<Hash>> {
        self.height_get(CF_BLOCK_HASHES, height)?
            .map(|b| hash_of(&b, format!("hash of block {height}")))
            .transpose()
    }

    pub fn receipts(&self, height: u64) -> Result<Option<Vec<Receipt>>> {
        self.height_get(CF_RECEIPTS, height)?
            .map(|b| {
                encoding::decode(&b, RECEIPTS_BYTES_MAX)
                    .map_err(|e| corrupt(format!("receipts of block {height}"), e))
            })
            .transpose()
    }

    pub fn certificate(&self, height: u64) -> Result<Option<Vec<u8>>> {
        self.height_get(CF_CERTIFICATES, height)
    }

    /// Where a committed transaction is: (height, index in block).
    pub fn tx_location(&self, tx: &TxId) -> Result<Option<(u64, u32)>> {
        match self.get(CF_INDEX_TX, tx.0.as_bytes())? {
            Some(b) => {
                location_of(&b).map(Some).ok_or_else(|| corrupt(format!("location of {tx}"), "not 12 bytes"))
            }
            None => Ok(None),
        }
    }

    /// The BLs `party` is involved in, in BL id order, at most `limit` (and [`QUERY_ITEMS_MAX`]).
    pub fn bls_of_party(&self, party: &PartyId, limit: usize) -> Result<Vec<BlId>> {
        self.bls_of_party_after(party, None, limit)
    }

    /// Whether `party` is on BL `bl`'s chain: it signed, or was named by, a transaction that
    /// wrote the BL's history (one point read, whatever the history's length).
    pub fn party_on_bl(&self, party: &PartyId, bl: &BlId) -> Result<bool> {
        Ok(self.inner.db.get_pinned_cf(self.cf(CF_INDEX_PARTY_BL)?, party_bl_key(party, bl))?.is_some())
    }

    /// [`bls_of_party`](Self::bls_of_party) starting after `after` (a page cursor).
    pub fn bls_of_party_after(
        &self,
        party: &PartyId,
        after: Option<&BlId>,
        limit: usize,
    ) -> Result<Vec<BlId>> {
        let start = after.map(|bl| party_bl_key(party, bl).to_vec());
        self.scan(CF_INDEX_PARTY_BL, party.as_bytes(), start, limit, |rest| {
            let arr: [u8; 32] = rest.try_into().ok()?;
            Some(BlId(Hash(arr)))
        })
    }

    /// The registered parties, in id order, starting after `after`, at most `limit` (and
    /// [`QUERY_ITEMS_MAX`]).
    pub fn parties(&self, after: Option<&PartyId>, limit: usize) -> Result<Vec<PartyId>> {
        let start = after.map(|p| p.as_bytes().to_vec());
        self.scan(CF_INDEX_PARTIES, &[], start, limit, |rest| Some(PartyId(rest.try_into().ok()?)))
    }

    /// The transactions that touched `bl`, oldest first, at most `limit` (and [`QUERY_ITEMS_MAX`]).
    pub fn txs_of_bl(&self, bl: &BlId, limit: usize) -> Result<Vec<(u64, u32)>> {
        self.txs_of_bl_after(bl, None, limit)
    }

    /// [`txs_of_bl`](Self::txs_of_bl) starting after location `after` (a page cursor).
    pub fn txs_of_bl_after(
        &self,
        bl: &BlId,
        after: Option<(u64, u32)>,
        limit: usize,
    ) -> Result<Vec<(u64, u32)>> {
        self.scan_located(CF_INDEX_BL_TX, &bl.0, after, limit)
    }

    /// The first `len` entries of `bl`'s history, oldest first (`len` is its record's
    /// `history_len`). Each entry is stored by the height that wrote it ([`CF_WRITE_ONCE`]), and
    /// the transaction that wrote it touched `bl` ([`CF_INDEX_BL_TX`]): the entries are looked
    /// for at those heights, in order, each from the height of the one before. An entry not
    /// found there is corruption.
    pub fn history(&self, bl: &BlId, len: u32) -> Result<Vec<HistoryEntry>> {
        self.history_range(bl, 0..len)
    }

    /// Entries `seqs` of `bl`'s history (within its record's `history_len`), as
    /// [`history`](Self::history) reads them: only those are decoded, but finding the first
    /// walks the BL's heights from its issue (one point read per entry before it, no value read).
    pub fn history_range(&self, bl: &BlId, seqs: std::ops::Range<u32>) -> Result<Vec<HistoryEntry>> {
        // The BL's heights, read a page at a time as the walk needs them: the ISSUE alone reads
        // one page, whatever the BL's length.
        let mut heights: Vec<u64> = Vec::new();
        let mut after = None;
        let mut exhausted = false;
        let mut more_heights = |heights: &mut Vec<u64>| -> Result<bool> {
            if exhausted {
                return Ok(false);
            }
            let page = self.txs_of_bl_after(bl, after, QUERY_ITEMS_MAX)?;
            let before = heights.len();
            for (height, _) in &page {
                if heights.last() != Some(height) {
                    heights.push(*height);
                }
            }
            match page.last() {
                Some(last) if page.len() == QUERY_ITEMS_MAX => after = Some(*last),
                _ => exhausted = true,
            }
            Ok(heights.len() > before || !exhausted)
        };
        let mut entries = Vec::with_capacity(seqs.len());
        let mut next = 0;
        for seq in 0..seqs.end {
            let key_hash = ebl_ledger::state::key_hash(&StateKey::BlHistory(*bl, seq));
            let what = || format!("history entry {seq} of BL {bl}");
            let mut found = None;
            let mut i = next;
            loop {
                if i >= heights.len() && !more_heights(&mut heights)? {
                    break;
                }
                let Some(height) = heights.get(i) else { continue };
                if let Some(value) = self.written_once_at(*height, key_hash)? {
                    found = Some(value);
                    next = i;
                    break;
                }
                i += 1;
            }
            if seq < seqs.start {
                continue;
            }
            let bytes = found.flatten().ok_or_else(|| corrupt(what(), "not stored at its BL's heights"))?;
            entries.push(encoding::decode(&bytes, STATE_VALUE_BYTES_MAX).map_err(|e| corrupt(what(), e))?);
        }
        Ok(entries)
    }

    /// The transactions that touched container `container` (`ContainerRef::id()`), oldest
    /// first, at most `limit` (and [`QUERY_ITEMS_MAX`]).
    pub fn txs_of_container(&self, container: &Hash, limit: usize) -> Result<Vec<(u64, u32)>> {
        self.txs_of_container_after(container, None, limit)
    }

    /// [`txs_of_container`](Self::txs_of_container) starting after location `after`.
    pub fn txs_of_container_after(
        &self,
        container: &Hash,
        after: Option<(u64, u32)>,
        limit: usize,
    ) -> Result<Vec<(u64, u32)>> {
        self.scan_located(CF_INDEX_CONTAINER_TX, container, after, limit)
    }

    fn scan_located(
        &self,
        cf: &'static str,
        prefix: &Hash,
        after: Option<(u64, u32)>,
        limit: usize,
    ) -> Result<Vec<(u64, u32)>> {
        let start = after.map(|(h, i)| located_key(prefix, h, i).to_vec());
        self.scan(cf, prefix.as_bytes(), start, limit, location_of)
    }

    /// Keys of `cf` under `prefix`, in order, strictly after `after` if given (else from the
    /// prefix's start), each read by `parse` from the bytes after the prefix.
    fn scan<T>(
        &self,
        cf: &'static str,
        prefix: &[u8],
        after: Option<Vec<u8>>,
        limit: usize,
        parse: impl Fn(&[u8]) -> Option<T>,
    ) -> Result<Vec<T>> {
        let limit = limit.min(QUERY_ITEMS_MAX);
        let mut out = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let mut read = ReadOptions::default();
        if let Some(end) = prefix_end(prefix) {
            read.set_iterate_upper_bound(end);
        }
        let start = after.clone().unwrap_or_else(|| prefix.to_vec());
        let iter =
            self.inner.db.iterator_cf_opt(self.cf(cf)?, read, IteratorMode::From(&start, Direction::Forward));
        for item in iter {
            let (key, _) = item?;
            if !key.starts_with(prefix) {
                break;
            }
            if after.as_deref() == Some(&key[..]) {
                continue;
            }
            let value = parse(&key[prefix.len()..])
                .ok_or_else(|| corrupt(format!("{cf} key"), format!("{} bytes", key.len())))?;
            out.push(value);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// The highest height in the blocks column family.
    fn highest_block(&self) -> Result<Option<u64>> {
        let mut iter = self.inner.db.iterator_cf(self.cf(CF_BLOCKS)?, IteratorMode::End);
        match iter.next() {
            Some(item) => {
                let (key, _) = item?;
                height_of_key(&key)
                    .map(Some)
                    .ok_or_else(|| corrupt("block key", format!("{} bytes", key.len())))
            }
            None => Ok(None),
        }
    }

    /// Whether `cf` holds any key.
    fn is_empty(&self, cf: &'static str) -> Result<bool> {
        match self.inner.db.iterator_cf(self.cf(cf)?, IteratorMode::Start).next() {
            Some(item) => item.map(|_| false).map_err(Into::into),
            None => Ok(true),
        }
    }

    /// Flushes the memtables to SST files. Not needed for durability (the WAL is synced on
    /// every commit); useful before a backup or a copy of the directory.
    pub fn flush(&self) -> Result<()> {
        for name in COLUMN_FAMILIES {
            self.inner.db.flush_cf(self.cf(name)?)?;
        }
        Ok(())
    }

    /// Flushes the memtables and waits until RocksDB has no flush or compaction left to do: the
    /// background work the writes so far have caused is then done (a benchmark counts it).
    pub fn settle(&self) -> Result<()> {
        let mut options = rocksdb::WaitForCompactOptions::default();
        options.set_flush(true);
        self.inner.db.wait_for_compact(&options)?;
        Ok(())
    }
}
