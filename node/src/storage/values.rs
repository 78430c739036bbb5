//! The newest value of recently written or read state keys, kept in memory so that executing a
//! block reads its records without a RocksDB lookup each (DESIGN §8: state reads at the tip).
//!
//! An entry says "the newest version of this key is `version`, holding `value`" — what
//! [`CF_JMT_LATEST`](super::layout::CF_JMT_LATEST) says on disk — and is used only for reads at
//! a version at or after it. It can never be stale:
//!
//! * every commit puts the values it wrote here after its batch is on disk and before the tip
//!   moves, so a reader that can see the new tip sees them;
//! * a value read from disk on a miss is put here only if no commit finished in between (the
//!   `commits` counter): otherwise it may be older than what that commit wrote.
//!
//! Memory is bounded by two generations: new entries go to the young one; when it holds half
//! the budget it becomes the old one and the previous old one is dropped. A hit in the old
//! generation moves the entry back to the young one, so what blocks keep reading stays.

// The maps are looked up by key only, never iterated: no order can leak into anything (the
// reason the workspace keeps hash maps out of state code does not apply), and a lookup costs a
// hash, not a walk down a tree of 100,000 keys.
#![allow(clippy::disallowed_types)]

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use ebl_ledger::jmt::{KeyHash, OwnedValue, Version};

/// Bytes an entry costs beyond its value: key, version, the map's node share.
const ENTRY_OVERHEAD_BYTES: usize = 96;

#[derive(Debug, Clone)]
struct Entry {
    version: Version,
    value: Option<OwnedValue>,
}

impl Entry {
    fn bytes(&self) -> usize {
        ENTRY_OVERHEAD_BYTES + self.value.as_ref().map_or(0, Vec::len)
    }
}

#[derive(Debug, Default)]
struct Generations {
    young: HashMap<[u8; 32], Entry>,
    young_bytes: usize,
    old: HashMap<[u8; 32], Entry>,
    /// Commits whose values were put here: a disk read that began before one must not be kept.
    commits: u64,
}

/// A ticket from [`ValueCache::begin_read`]: which commit a disk read started after.
#[derive(Debug, Clone, Copy)]
pub(super) struct ReadTicket(u64);

#[derive(Debug)]
pub(super) struct ValueCache {
    generations: Mutex<Generations>,
    /// Bytes of one generation at most; 0 turns the cache off.
    generation_bytes: usize,
}

impl ValueCache {
    /// A cache of at most `bytes_max` bytes of entries (0: none).
    pub(super) fn new(bytes_max: usize) -> Self {
        ValueCache { generations: Mutex::new(Generations::default()), generation_bytes: bytes_max / 2 }
    }

    /// A poisoned lock only means a reader panicked while holding it; every change here
    /// leaves the maps consistent, so their contents are still right.
    fn lock(&self) -> MutexGuard<'_, Generations> {
        self.generations.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The value of `key` at `max_version` if this cache knows it: `Some(None)` for a key
    /// deleted by then, `None` for "ask the disk".
    pub(super) fn get(&self, key: KeyHash, max_version: Version) -> Option<Option<OwnedValue>> {
        if self.generation_bytes == 0 {
            return None;
        }
        let mut g = self.lock();
        if let Some(entry) = g.young.get(&key.0) {
            return (entry.version <= max_version).then(|| entry.value.clone());
        }
        let entry = g.old.remove(&key.0)?;
        let found = (entry.version <= max_version).then(|| entry.value.clone());
        g.put(key.0, entry, self.generation_bytes);
        found
    }

    /// Call before reading `key` from disk; hand the ticket to [`fill`](Self::fill).
    pub(super) fn begin_read(&self) -> ReadTicket {
        ReadTicket(self.lock().commits)
    }

    /// Keeps what the disk said is the newest version of `key`, unless a commit finished since
    /// `ticket` (it may have written a newer one) or a newer version is known already.
    pub(super) fn fill(&self, ticket: ReadTicket, key: KeyHash, version: Version, value: Option<OwnedValue>) {
        if self.generation_bytes == 0 {
            return;
        }
        let mut g = self.lock();
        if g.commits != ticket.0
            || g.young.get(&key.0).or(g.old.get(&key.0)).is_some_and(|e| e.version >= version)
        {
            return;
        }
        g.put(key.0, Entry { version, value }, self.generation_bytes);
    }

    /// Keeps the values a commit wrote (after its batch is on disk, before the tip moves), in
    /// `(version, key)` order so that a key's last write wins.
    pub(super) fn committed<'a>(
        &self,
        values: impl IntoIterator<Item = (&'a (Version, KeyHash), &'a Option<OwnedValue>)>,
    ) {
        let mut g = self.lock();
        g.commits += 1;
        if self.generation_bytes == 0 {
            return;
        }
        // An older entry of the same key in the old generation is shadowed by this one, which
        // `get` finds first, and goes when that generation does.
        for ((version, key), value) in values {
            g.put(key.0, Entry { version: *version, value: value.clone() }, self.generation_bytes);
        }
    }
}

impl Generations {
    fn put(&mut self, key: [u8; 32], entry: Entry, generation_bytes: usize) {
        let added = entry.bytes();
        if let Some(replaced) = self.young.insert(key, entry) {
            self.young_bytes -= replaced.bytes();
        }
        self.young_bytes += added;
        if self.young_bytes > generation_bytes {
            self.old = std::mem::take(&mut self.young);
            self.young_bytes = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn key(n: u8) -> KeyHash {
        KeyHash([n; 32])
    }

    fn committed(cache: &ValueCache, version: Version, writes: &[(u8, Option<&[u8]>)]) {
        let values: BTreeMap<(Version, KeyHash), Option<OwnedValue>> =
            writes.iter().map(|(k, v)| ((version, key(*k)), v.map(<[u8]>::to_vec))).collect();
        cache.committed(&values);
    }

    #[test]
    fn a_committed_value_answers_reads_at_its_version_and_after_only() {
        let cache = ValueCache::new(1 << 20);
        committed(&cache, 5, &[(1, Some(b"five")), (2, None)]);
        assert_eq!(cache.get(key(1), 5), Some(Some(b"five".to_vec())));
        assert_eq!(cache.get(key(1), 9), Some(Some(b"five".to_vec())));
        assert_eq!(cache.get(key(1), 4), None, "an older version is the disk's to answer");
        assert_eq!(cache.get(key(2), 5), Some(None), "deleted at 5");
        assert_eq!(cache.get(key(3), 5), None, "never seen");
    }

    #[test]
    fn a_disk_read_that_a_commit_overtook_is_not_kept() {
        let cache = ValueCache::new(1 << 20);
        let ticket = cache.begin_read();
        // The reader saw version 3 on disk; meanwhile a commit wrote version 4.
        committed(&cache, 4, &[(1, Some(b"four"))]);
        cache.fill(ticket, key(1), 3, Some(b"three".to_vec()));
        assert_eq!(cache.get(key(1), 9), Some(Some(b"four".to_vec())));
        // The same after the committed entry was dropped: the overtaken read still is not kept.
        let small = ValueCache::new(2 * (ENTRY_OVERHEAD_BYTES + 8));
        let ticket = small.begin_read();
        committed(&small, 4, &[(1, Some(b"four"))]);
        for n in 2..=4 {
            committed(&small, u64::from(n) + 3, &[(n, Some(b"more"))]);
        }
        assert_eq!(small.get(key(1), 9), None, "pushed out");
        small.fill(ticket, key(1), 3, Some(b"three".to_vec()));
        assert_eq!(small.get(key(1), 9), None);
        // A read begun after the last commit is kept.
        let ticket = small.begin_read();
        small.fill(ticket, key(1), 4, Some(b"four".to_vec()));
        assert_eq!(small.get(key(1), 9), Some(Some(b"four".to_vec())));
        // So is a key the disk says was never written (version 0, no value).
        let ticket = small.begin_read();
        small.fill(ticket, key(9), 0, None);
        assert_eq!(small.get(key(9), 0), Some(None));
    }

    #[test]
    fn memory_stays_within_two_generations_and_what_is_read_stays() {
        let value = vec![7u8; 1000];
        let budget = 20 * (ENTRY_OVERHEAD_BYTES + value.len());
        let cache = ValueCache::new(budget);
        for n in 0..=200u8 {
            committed(&cache, u64::from(n) + 1, &[(n, Some(&value))]);
            // Key 0 is read after every commit, so it is never pushed out.
            assert!(cache.get(key(0), u64::MAX).is_some(), "after {n}");
            let g = cache.lock();
            let bytes: usize = g.young.values().chain(g.old.values()).map(Entry::bytes).sum();
            assert!(bytes <= budget + ENTRY_OVERHEAD_BYTES + value.len(), "{bytes} bytes after {n}");
        }
        assert_eq!(cache.get(key(5), u64::MAX), None, "an early key not read since is gone");
        assert_eq!(cache.get(key(200), u64::MAX), Some(Some(value)));
    }

    #[test]
    fn a_cache_of_zero_bytes_keeps_nothing() {
        let cache = ValueCache::new(0);
        committed(&cache, 1, &[(1, Some(b"one"))]);
        let ticket = cache.begin_read();
        cache.fill(ticket, key(2), 1, Some(b"two".to_vec()));
        assert_eq!(cache.get(key(1), 9), None);
        assert_eq!(cache.get(key(2), 9), None);
    }
}
