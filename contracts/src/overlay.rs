//! Typed, copy-on-write access to the state during one transaction.
//!
//! Reads look in this transaction's writes, then in the writes of the block so far, then in
//! the committed state. A refused action drops its overlay, so it cannot leave half a change.

use std::collections::BTreeMap;

use borsh::{BorshDeserialize, BorshSerialize};
use ebl_ledger::encoding;
use ebl_ledger::records::{BlId, BlRecord, HoldList, PartyRecord, ReleaseRecord, StateKey};
use ebl_ledger::{ContainerRef, StateRead, StoreError};

use crate::Fail;

/// Writes keyed in state-key order; `None` deletes.
pub type WriteSet = BTreeMap<StateKey, Option<Vec<u8>>>;

/// Records are small; this bounds what a corrupt store could make us decode.
const RECORD_BYTES_MAX: usize = 1024 * 1024;

/// The committed state as one block sees it: each key is read from the store at most once per
/// block (most transactions read the same parties). The committed state does not change while a
/// block executes and the block's own writes are looked at before this, so the answers are the
/// store's; the cache is an ordered map and lives only as long as the block.
pub struct BlockReads<'a, R: ?Sized> {
    base: &'a R,
    seen: std::cell::RefCell<BTreeMap<StateKey, Option<Vec<u8>>>>,
}

impl<R: ?Sized> std::fmt::Debug for BlockReads<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockReads").field("keys_read", &self.seen.borrow().len()).finish()
    }
}

impl<'a, R: StateRead + ?Sized> BlockReads<'a, R> {
    pub fn new(base: &'a R) -> Self {
        BlockReads { base, seen: std::cell::RefCell::new(BTreeMap::new()) }
    }
}

impl<R: StateRead + ?Sized> StateRead for BlockReads<'_, R> {
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(value) = self.seen.borrow().get(key) {
            return Ok(value.clone());
        }
        let value = self.base.get(key)?;
        self.seen.borrow_mut().insert(key.clone(), value.clone());
        Ok(value)
    }
}

pub struct Overlay<'a, R: ?Sized> {
    base: &'a R,
    block: &'a WriteSet,
    tx: WriteSet,
}

impl<R: ?Sized> std::fmt::Debug for Overlay<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Overlay")
            .field("block_writes", &self.block.len())
            .field("tx_writes", &self.tx.len())
            .finish()
    }
}

impl<'a, R: StateRead + ?Sized> Overlay<'a, R> {
    pub fn new(base: &'a R, block: &'a WriteSet) -> Self {
        Overlay { base, block, tx: WriteSet::new() }
    }

    pub fn into_writes(self) -> WriteSet {
        self.tx
    }

    fn raw(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StoreError> {
        if let Some(v) = self.tx.get(key) {
            return Ok(v.clone());
        }
        if let Some(v) = self.block.get(key) {
            return Ok(v.clone());
        }
        self.base.get(key)
    }

    pub fn get<T: BorshDeserialize>(&self, key: &StateKey) -> Result<Option<T>, StoreError> {
        match self.raw(key)? {
            None => Ok(None),
            Some(bytes) => encoding::decode(&bytes, RECORD_BYTES_MAX)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("{key:?}: {e}"))),
        }
    }

    pub fn put<T: BorshSerialize>(&mut self, key: StateKey, value: &T) {
        self.tx.insert(key, Some(encoding::encode(value)));
    }

    pub fn delete(&mut self, key: StateKey) {
        self.tx.insert(key, None);
    }

    /// Whether a party signs or ever signed with `key` (its id, or a key it rotated to).
    pub fn party_key_in_use(&self, key: &ebl_ledger::PartyId) -> Result<bool, StoreError> {
        Ok(self.party(key)?.is_some() || self.raw(&StateKey::KeyOf(*key))?.is_some())
    }

    pub fn party(&self, party: &ebl_ledger::PartyId) -> Result<Option<PartyRecord>, StoreError> {
        self.get(&StateKey::Party(*party))
    }

    pub fn nonce(&self, party: &ebl_ledger::PartyId) -> Result<Option<u64>, StoreError> {
        self.get(&StateKey::Nonce(*party))
    }

    /// The observer list (empty when none was ever allowed).
    pub fn observers(&self) -> Result<ebl_ledger::governance::Observers, StoreError> {
        Ok(self.get(&StateKey::Observers)?.unwrap_or_default())
    }

    pub fn bl(&self, bl: &BlId) -> Result<BlRecord, Fail> {
        self.get(&StateKey::Bl(*bl))?.ok_or(Fail::Refused(ebl_ledger::ErrorCode::UnknownBl))
    }

    pub fn bl_holds(&self, bl: &BlId) -> Result<HoldList, StoreError> {
        Ok(self.get(&StateKey::BlHolds(*bl))?.unwrap_or_default())
    }

    pub fn release(&self, container: &ContainerRef) -> Result<Option<ReleaseRecord>, StoreError> {
        self.get(&StateKey::Release(container.id()))
    }

    pub fn put_release(&mut self, record: &ReleaseRecord) {
        self.put(StateKey::Release(record.container.id()), record);
    }
}

impl<R: StateRead + ?Sized> StateRead for Overlay<'_, R> {
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StoreError> {
        self.raw(key)
    }
}

/// Merges `writes` over `into`, later writes winning.
pub fn merge(into: &mut WriteSet, writes: WriteSet) {
    into.extend(writes);
}

#[cfg(test)]
mod block_reads_tests {
    use std::cell::Cell;

    use super::*;

    /// A store of one key that counts how often it is asked.
    struct Counting {
        asked: Cell<u32>,
    }

    impl StateRead for Counting {
        fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StoreError> {
            self.asked.set(self.asked.get() + 1);
            Ok(matches!(key, StateKey::Nonce(_)).then(|| vec![7]))
        }
    }

    #[test]
    fn each_key_is_read_once_per_block_and_answers_are_the_stores() {
        let store = Counting { asked: Cell::new(0) };
        let reads = BlockReads::new(&store);
        let present = StateKey::Nonce(ebl_ledger::PartyId([1; 32]));
        let absent = StateKey::Party(ebl_ledger::PartyId([1; 32]));
        for _ in 0..3 {
            assert_eq!(reads.get(&present).ok().flatten(), Some(vec![7]));
            assert_eq!(reads.get(&absent).ok().flatten(), None);
        }
        assert_eq!(store.asked.get(), 2, "one read per key, absent keys included");
    }
}
