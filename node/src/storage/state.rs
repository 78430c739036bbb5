//! The JMT lives in the node's database: [`Storage`] is a [`StateStore`], so
//! `StateTree::new(storage.clone())` reads the committed state at any version.

use ebl_ledger::jmt::storage::{Node, NodeBatch, NodeKey};
use ebl_ledger::jmt::{KeyHash, OwnedValue, Version};
use ebl_ledger::{encoding, Hash, StateStore, StateTree, StoreError};
use rocksdb::{ReadOptions, WriteBatch};

use super::layout::*;
use super::{corrupt, Result, Storage, StorageError};

/// How long [`Storage::wait_for_tip`] waits: this many yields of the thread, then this many
/// sleeps of a millisecond.
const TIP_WAIT_YIELDS: usize = 64;
const TIP_WAIT_SLEEPS: usize = 1_000;

impl From<StorageError> for StoreError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Corrupt(m) => StoreError::Corrupt(m),
            StorageError::State(e) => e,
            other => StoreError::Backend(other.to_string()),
        }
    }
}

impl Storage {
    /// Pinned read: the node is decoded straight from RocksDB's block, without a copy.
    fn read_node(&self, key: &NodeKey) -> Result<Option<Node>> {
        self.inner
            .db
            .get_pinned_cf(self.cf(CF_JMT_NODES)?, jmt_node_key(key))?
            .map(|b| {
                encoding::decode(&b, JMT_NODE_BYTES_MAX).map_err(|e| corrupt(format!("JMT node {key:?}"), e))
            })
            .transpose()
    }

    /// The newest value of `key_hash` at a version ≤ `max_version`. At the tip (and for every
    /// key not written since `max_version`) one point lookup in [`CF_JMT_LATEST`] answers; a
    /// key written after `max_version` is read from its versioned history in an archive, and is
    /// [`StoreError::Pruned`] in a database that keeps only the newest values. A value written
    /// once has no latest entry and is not found by its key hash alone:
    /// [`Storage::history`] reads a BL's history entries through its transactions.
    pub(super) fn read_value(&self, max_version: Version, key_hash: KeyHash) -> Result<Option<OwnedValue>> {
        if let Some(value) = self.inner.values.get(key_hash, max_version) {
            return Ok(value);
        }
        let what = || format!("JMT value {}", hex::encode(key_hash.0));
        let ticket = self.inner.values.begin_read();
        let Some(latest) = self.inner.db.get_pinned_cf(self.cf(CF_JMT_LATEST)?, key_hash.0)? else {
            // Never written: every write of a value writes its latest entry in the same batch.
            // No value at any version, as version 0 without one says.
            self.inner.values.fill(ticket, key_hash, 0, None);
            return Ok(None);
        };
        let (version, bytes) =
            split_jmt_latest_value(&latest).ok_or_else(|| corrupt(what(), "latest entry without version"))?;
        if version > max_version {
            if self.is_archive() {
                return self.read_value_history(max_version, key_hash);
            }
            // The caller reads again at the new tip; a commit still on its way there (its batch
            // visible, the tip not yet moved) is waited for, or that read would meet it again.
            self.wait_for_tip(version);
            return Err(StorageError::State(StoreError::Pruned { version: max_version, latest: version }));
        }
        let value = encoding::decode::<Option<OwnedValue>>(bytes, STATE_VALUE_BYTES_MAX)
            .map_err(|e| corrupt(what(), e))?;
        self.inner.values.fill(ticket, key_hash, version, value.clone());
        Ok(value)
    }

    /// Returns once the tip has reached `height`, or after about a second: a commit that wrote
    /// its batch moves the tip right after (it fills the value cache first), so readers wait
    /// microseconds to a few milliseconds; a commit that failed in between never moves it.
    fn wait_for_tip(&self, height: Version) {
        let reached = || self.latest_version().is_some_and(|tip| tip >= height);
        for _ in 0..TIP_WAIT_YIELDS {
            if reached() {
                return;
            }
            std::thread::yield_now();
        }
        for _ in 0..TIP_WAIT_SLEEPS {
            if reached() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    /// The [`CF_WRITE_ONCE`] entry of `key_hash` at `version`, decoded; `None` if there is none.
    pub(super) fn written_once_at(
        &self,
        version: Version,
        key_hash: KeyHash,
    ) -> Result<Option<Option<OwnedValue>>> {
        let Some(bytes) =
            self.inner.db.get_pinned_cf(self.cf(CF_WRITE_ONCE)?, write_once_key(version, key_hash))?
        else {
            return Ok(None);
        };
        encoding::decode::<Option<OwnedValue>>(&bytes, STATE_VALUE_BYTES_MAX)
            .map(Some)
            .map_err(|e| corrupt(format!("value {} written once at {version}", hex::encode(key_hash.0)), e))
    }

    /// [`read_value`](Self::read_value) from the versioned history: one reverse seek to
    /// `key_hash ‖ max_version`, then a check that the key found is still `key_hash`'s.
    fn read_value_history(&self, max_version: Version, key_hash: KeyHash) -> Result<Option<OwnedValue>> {
        let mut read = ReadOptions::default();
        // Stay within this key hash (the column family's prefix), so the prefix filter applies.
        read.set_prefix_same_as_start(true);
        let mut iter = self.inner.db.raw_iterator_cf_opt(self.cf(CF_JMT_VALUES)?, read);
        iter.seek_for_prev(jmt_value_key(key_hash, max_version));
        let found = match (iter.key(), iter.value()) {
            (Some(key), Some(value)) if key.len() == 40 && key[..32] == key_hash.0 => Some(value.to_vec()),
            (Some(key), Some(_)) if key.len() != 40 => {
                return Err(corrupt("JMT value key", format!("{} bytes", key.len())));
            }
            _ => None,
        };
        iter.status()?;
        match found {
            Some(bytes) => encoding::decode::<Option<OwnedValue>>(&bytes, STATE_VALUE_BYTES_MAX)
                .map_err(|e| corrupt(format!("JMT value {}", hex::encode(key_hash.0)), e)),
            None => Ok(None),
        }
    }

    /// Adds the nodes and values of `state` to `batch`: each value's latest entry, and in an
    /// archive its versioned one too. A value of a key in `write_once`
    /// (sorted; see [`ebl_ledger::StateUpdate::write_once`]) goes to [`CF_WRITE_ONCE`] by its
    /// version alone, with neither a latest nor a versioned entry: that key has no other
    /// version, and its reader knows where to look ([`Storage::history`]). A latest entry per
    /// history entry (layouts 5 and 6) made [`CF_JMT_LATEST`] grow with every action: a quarter
    /// of what it flushed and, as the chain grew, over half of what its compactions rewrote.
    pub(super) fn put_state(
        &self,
        batch: &mut WriteBatch,
        state: &NodeBatch,
        write_once: &[KeyHash],
    ) -> Result<()> {
        let nodes = self.cf(CF_JMT_NODES)?;
        for (key, node) in state.nodes() {
            batch.put_cf(nodes, jmt_node_key(key), encoding::encode(node));
        }
        let (values, latest, once) =
            (self.cf(CF_JMT_VALUES)?, self.cf(CF_JMT_LATEST)?, self.cf(CF_WRITE_ONCE)?);
        let archive = self.is_archive();
        // In (version, key) order: a later version of a key overwrites its latest entry.
        for ((version, key_hash), value) in state.values() {
            // The latest entry is all of it, the versioned one the value alone.
            let entry = jmt_latest_value(*version, value);
            if write_once.binary_search(key_hash).is_ok() {
                batch.put_cf(once, write_once_key(*version, *key_hash), &entry[8..]);
            } else {
                batch.put_cf(latest, key_hash.0, &entry);
                if archive {
                    batch.put_cf(values, jmt_value_key(*key_hash, *version), &entry[8..]);
                }
            }
        }
        Ok(())
    }

    /// Checks that `state` holds only version `version` and that, on top of what is stored,
    /// its root is `expected_root`: the header and the tree can then never disagree on disk.
    pub(super) fn check_state_batch(
        &self,
        version: Version,
        state: &NodeBatch,
        expected_root: &Hash,
    ) -> Result<()> {
        if let Some(key) = state.nodes().keys().find(|k| k.version() != version) {
            return Err(StorageError::InvalidCommit(format!(
                "state batch of version {version} holds a node of version {}",
                key.version()
            )));
        }
        if let Some((v, _)) = state.values().keys().find(|(v, _)| *v != version) {
            return Err(StorageError::InvalidCommit(format!(
                "state batch of version {version} holds a value of version {v}"
            )));
        }
        let root = StateTree::new(Pending { base: self, batch: state, version }).root_at(version)?;
        if root != *expected_root {
            return Err(StorageError::InvalidCommit(format!(
                "state batch of version {version} has root {root}, expected {expected_root}"
            )));
        }
        Ok(())
    }
}

impl StateStore for Storage {
    fn node(&self, key: &NodeKey) -> Result<Option<Node>, StoreError> {
        Ok(self.read_node(key)?)
    }

    fn value(&self, max_version: Version, key: KeyHash) -> Result<Option<OwnedValue>, StoreError> {
        Ok(self.read_value(max_version, key)?)
    }

    /// The tip height (`Some(0)` after genesis). Cached: no I/O.
    fn latest_version(&self) -> Option<Version> {
        self.head().tip.as_ref().map(|t| t.height)
    }

    /// Writes the nodes and values of `version` alone (synced), without moving the tip: the
    /// node commits state through [`Storage::commit_block`], which writes it together with
    /// its block. Refused for a version at or below the tip, as in `MemStore`.
    fn write(&mut self, version: Version, batch: &NodeBatch) -> Result<(), StoreError> {
        let _writer = self.commit_lock();
        if let Some(latest) = self.latest_version() {
            if version <= latest {
                return Err(StoreError::StaleVersion { version, latest });
            }
        }
        let mut write = WriteBatch::default();
        // Told nothing of which values are written once: every value gets both entries.
        self.put_state(&mut write, batch, &[])?;
        self.write_synced(write)?;
        self.inner.values.committed(batch.values());
        Ok(())
    }
}

/// The stored tree plus one not yet written version, to compute that version's root before
/// anything reaches the disk.
struct Pending<'a> {
    base: &'a Storage,
    batch: &'a NodeBatch,
    version: Version,
}

impl StateStore for Pending<'_> {
    fn node(&self, key: &NodeKey) -> Result<Option<Node>, StoreError> {
        match self.batch.get_node(key) {
            Some(node) => Ok(Some(node.clone())),
            None => self.base.node(key),
        }
    }

    fn value(&self, max_version: Version, key: KeyHash) -> Result<Option<OwnedValue>, StoreError> {
        if max_version >= self.version {
            if let Some(value) = self.batch.values().get(&(self.version, key)) {
                return Ok(value.clone());
            }
        }
        self.base.value(max_version, key)
    }

    fn latest_version(&self) -> Option<Version> {
        Some(self.version)
    }

    fn write(&mut self, _: Version, _: &NodeBatch) -> Result<(), StoreError> {
        Err(StoreError::Backend("a pending version is read-only".into()))
    }
}
