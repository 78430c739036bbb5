//! The authenticated state: a Jellyfish Merkle Tree (JMT) over SHA-256 whose root goes into
//! every block header, with inclusion and exclusion proofs a light client checks against
//! that root.
//!
//! Storage is behind [`StateStore`]: the tree's nodes and every version of every value. The
//! in-memory [`MemStore`] serves tests and benches; the node implements the trait on RocksDB.
//! Computing an update ([`StateTree::prepare`]) is separate from writing it
//! ([`StateStore::write`]) so that a node can put the update and the block in one atomic batch.

use std::collections::BTreeMap;

use borsh::{BorshDeserialize, BorshSerialize};
use jmt::storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader};
use jmt::{KeyHash, OwnedValue, RootHash, Version};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::error::{ProofError, StoreError};
use crate::hash::Hash;
use crate::records::StateKey;

/// The root of the empty tree (the `jmt` crate's placeholder hash, which it keeps private).
pub const EMPTY_ROOT: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

/// The JMT key of a state key: SHA-256 of its canonical bytes.
pub fn key_hash(key: &StateKey) -> KeyHash {
    KeyHash::with::<Sha256>(key.to_bytes())
}

/// Where the tree's nodes and values live.
pub trait StateStore {
    fn node(&self, key: &NodeKey) -> Result<Option<Node>, StoreError>;
    /// The newest value of `key` at a version ≤ `max_version` (`None` if absent or deleted;
    /// [`StoreError::Pruned`] from a store that no longer keeps it).
    fn value(&self, max_version: Version, key: KeyHash) -> Result<Option<OwnedValue>, StoreError>;
    /// The last version written, if any.
    fn latest_version(&self) -> Option<Version>;
    /// Writes the nodes and values of one version.
    fn write(&mut self, version: Version, batch: &NodeBatch) -> Result<(), StoreError>;
}

/// Reads the current state. The state machine sees the ledger only through this trait.
pub trait StateRead {
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StoreError>;
}

/// Everything in memory, in ordered maps.
#[derive(Debug, Default, Clone)]
pub struct MemStore {
    nodes: BTreeMap<NodeKey, Node>,
    values: BTreeMap<(KeyHash, Version), Option<OwnedValue>>,
    latest: Option<Version>,
}

impl StateStore for MemStore {
    fn node(&self, key: &NodeKey) -> Result<Option<Node>, StoreError> {
        Ok(self.nodes.get(key).cloned())
    }

    fn value(&self, max_version: Version, key: KeyHash) -> Result<Option<OwnedValue>, StoreError> {
        Ok(self.values.range((key, 0)..=(key, max_version)).next_back().and_then(|(_, v)| v.clone()))
    }

    fn latest_version(&self) -> Option<Version> {
        self.latest
    }

    fn write(&mut self, version: Version, batch: &NodeBatch) -> Result<(), StoreError> {
        if let Some(latest) = self.latest {
            if version <= latest {
                return Err(StoreError::StaleVersion { version, latest });
            }
        }
        self.nodes.extend(batch.nodes().iter().map(|(k, n)| (k.clone(), n.clone())));
        self.values.extend(batch.values().iter().map(|((v, k), val)| ((*k, *v), val.clone())));
        self.latest = Some(version);
        Ok(())
    }
}

/// Adapts a [`StateStore`] to the reader trait the `jmt` crate wants.
struct Reader<'a, S>(&'a S);

impl<S: StateStore> TreeReader for Reader<'_, S> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        Ok(self.0.node(node_key)?)
    }
    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self.0.value(max_version, key_hash)?)
    }
    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("tree restoration is not supported by this store")
    }
}

/// One version's update, as [`StateTree::prepare`] computes it: the tree's new nodes and every
/// value written, in the tree or beside it, plus which of those values are written once.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StateUpdate {
    pub node_batch: NodeBatch,
    /// The key hashes, in order, of the values kept beside the tree ([`StateKey::in_tree`]).
    /// Such a key is written once and never again, so no older version of it exists: a store
    /// may keep its one entry where it keeps the newest value of each key and skip the
    /// versioned copy that serves reads of the past.
    pub write_once: Vec<KeyHash>,
}

impl StateUpdate {
    /// Whether the value of `key` in this update is written once (see [`Self::write_once`]).
    pub fn is_write_once(&self, key: &KeyHash) -> bool {
        self.write_once.binary_search(key).is_ok()
    }

    /// Adds `beside`, values of keys kept beside the tree, to the update.
    fn add_beside_tree(&mut self, beside: Vec<((Version, KeyHash), Option<OwnedValue>)>) {
        self.write_once.extend(beside.iter().map(|((_, key), _)| *key));
        self.write_once.sort_unstable();
        self.node_batch.extend(std::iter::empty(), beside);
    }
}

/// The values of `writes` kept beside the tree, as values of `version`.
fn beside_tree(
    version: Version,
    writes: &BTreeMap<StateKey, Option<Vec<u8>>>,
) -> Vec<((Version, KeyHash), Option<OwnedValue>)> {
    writes.iter().filter(|(k, _)| !k.in_tree()).map(|(k, v)| ((version, key_hash(k)), v.clone())).collect()
}

fn backend(e: anyhow::Error) -> StoreError {
    StoreError::Backend(format!("{e:#}"))
}

/// The authenticated state over a store.
#[derive(Debug)]
pub struct StateTree<S> {
    store: S,
}

impl<S: StateStore> StateTree<S> {
    pub fn new(store: S) -> Self {
        StateTree { store }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn into_store(self) -> S {
        self.store
    }

    pub fn version(&self) -> Option<Version> {
        self.store.latest_version()
    }

    /// The root at `version`. The root of a version that wrote nothing is that of the tree
    /// before it (the empty-tree placeholder before any write).
    pub fn root_at(&self, version: Version) -> Result<Hash, StoreError> {
        let reader = Reader(&self.store);
        let tree = jmt::JellyfishMerkleTree::<_, Sha256>::new(&reader);
        let root = tree.get_root_hash_option(version).map_err(backend)?;
        Ok(Hash(root.unwrap_or(RootHash(EMPTY_ROOT)).0))
    }

    /// The root of the latest version.
    pub fn root(&self) -> Result<Hash, StoreError> {
        match self.version() {
            Some(v) => self.root_at(v),
            None => Ok(Hash(EMPTY_ROOT)),
        }
    }

    /// Computes the root and the nodes to write after applying `writes` (value `None`
    /// deletes) as `version`, without writing anything. Keys kept beside the tree
    /// ([`StateKey::in_tree`]) go into the batch as values only: readable with
    /// [`StateRead::get`] like any other, but no leaf of the tree.
    ///
    /// A JMT's shape, and so its root, depends only on the keys and values it holds, not on
    /// the order or the batches they were written in. Writes that only insert or update go
    /// through the tree in one sorted pass: each internal node on the touched paths is read,
    /// rebuilt and hashed once per version. A version that deletes, writes nothing or does not
    /// follow the previous one goes key by key (each key rehashes its whole path), which also handles the collapse of
    /// emptied subtrees and carries the root forward.
    pub fn prepare(
        &self,
        version: Version,
        writes: &BTreeMap<StateKey, Option<Vec<u8>>>,
    ) -> Result<(Hash, StateUpdate), StoreError> {
        self.prepare_owned(version, writes.clone())
    }

    /// [`prepare`](Self::prepare) that takes the writes, so that their values move into the
    /// batch instead of being copied (a block's writes are of no use once prepared).
    pub fn prepare_owned(
        &self,
        version: Version,
        writes: BTreeMap<StateKey, Option<Vec<u8>>>,
    ) -> Result<(Hash, StateUpdate), StoreError> {
        if let Some(latest) = self.version() {
            if version <= latest {
                return Err(StoreError::StaleVersion { version, latest });
            }
        }
        // The one pass starts from the root of the version before, which every written version
        // has (an empty one copies its predecessor's); a tree that skips versions has none
        // there, and the key-by-key path starts from nothing.
        let follows = self.version() == version.checked_sub(1);
        let in_tree = || writes.iter().filter(|(k, _)| k.in_tree());
        let upserts_only = in_tree().next().is_some() && in_tree().all(|(_, v)| v.is_some());
        if !(follows && upserts_only) {
            return self.prepare_key_by_key(version, &writes);
        }
        let mut upserts: Vec<(KeyHash, OwnedValue)> = Vec::with_capacity(writes.len());
        let mut beside = Vec::new();
        for (key, value) in writes {
            match (key.in_tree(), value) {
                (true, Some(value)) => upserts.push((key_hash(&key), value)),
                (true, None) => {}
                (false, value) => beside.push(((version, key_hash(&key)), value)),
            }
        }
        let reader = Reader(&self.store);
        let tree = jmt::JellyfishMerkleTree::<_, Sha256>::new(&reader);
        let (roots, batch) = tree.batch_put_value_sets(vec![upserts], None, version).map_err(backend)?;
        let root = roots
            .first()
            .ok_or_else(|| StoreError::Backend("the tree returned no root for the version".into()))?;
        let mut update = StateUpdate { node_batch: batch.node_batch, write_once: Vec::new() };
        update.add_beside_tree(beside);
        Ok((Hash(root.0), update))
    }

    /// [`prepare`](Self::prepare) key by key, whatever the writes (no version check): the
    /// reference the one-pass path is tested against.
    pub fn prepare_key_by_key(
        &self,
        version: Version,
        writes: &BTreeMap<StateKey, Option<Vec<u8>>>,
    ) -> Result<(Hash, StateUpdate), StoreError> {
        let reader = Reader(&self.store);
        let tree = jmt::JellyfishMerkleTree::<_, Sha256>::new(&reader);
        let set: Vec<(KeyHash, Option<OwnedValue>)> =
            writes.iter().filter(|(k, _)| k.in_tree()).map(|(k, v)| (key_hash(k), v.clone())).collect();
        let (root, batch) = tree.put_value_set(set, version).map_err(backend)?;
        let mut update = StateUpdate { node_batch: batch.node_batch, write_once: Vec::new() };
        update.add_beside_tree(beside_tree(version, writes));
        Ok((Hash(root.0), update))
    }

    /// [`prepare`](Self::prepare) then write.
    pub fn commit(
        &mut self,
        version: Version,
        writes: &BTreeMap<StateKey, Option<Vec<u8>>>,
    ) -> Result<Hash, StoreError> {
        let (root, batch) = self.prepare(version, writes)?;
        self.store.write(version, &batch.node_batch)?;
        Ok(root)
    }

    /// The value of `key` at `version` with a proof of it (or of its absence). A key kept
    /// beside the tree has no proof of its own (its record proves it); asking is an error.
    pub fn prove(
        &self,
        key: &StateKey,
        version: Version,
    ) -> Result<(Option<Vec<u8>>, StateProof), StoreError> {
        if !key.in_tree() {
            return Err(StoreError::NotInTree);
        }
        let reader = Reader(&self.store);
        let tree = jmt::JellyfishMerkleTree::<_, Sha256>::new(&reader);
        let (value, proof) = tree.get_with_proof(key_hash(key), version).map_err(backend)?;
        Ok((value, StateProof(proof)))
    }
}

/// The value of `key` decoded as `T` (`None` when the key holds nothing); a value that does not
/// decode within `bytes_max` is the store's corruption, not the caller's input.
pub fn read_decoded<T: BorshDeserialize, R: StateRead + ?Sized>(
    state: &R,
    key: &StateKey,
    bytes_max: usize,
) -> Result<Option<T>, StoreError> {
    match state.get(key)? {
        None => Ok(None),
        Some(bytes) => crate::encoding::decode(&bytes, bytes_max)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(format!("{key:?}: {e}"))),
    }
}

/// Reads of the latest value again after a store answered [`StoreError::Pruned`] at most: each
/// such answer means a commit landed between reading the tip and reading the value.
const PRUNED_RETRIES: usize = 8;

impl<S: StateStore> StateRead for StateTree<S> {
    /// The value at the latest version. A store that keeps only the newest values answers
    /// `Pruned` when a commit overtook the read (another thread committing meanwhile); the read
    /// is then made again at the new tip, which the commit has already moved.
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, StoreError> {
        let hash = key_hash(key);
        let mut retries = 0;
        loop {
            let Some(version) = self.store.latest_version() else { return Ok(None) };
            match self.store.value(version, hash) {
                Err(StoreError::Pruned { .. }) if retries < PRUNED_RETRIES => retries += 1,
                other => return other,
            }
        }
    }
}

/// A JMT proof that a key holds a value, or holds none, under a state root.
#[derive(Debug, Clone, PartialEq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct StateProof(jmt::proof::SparseMerkleProof<Sha256>);

impl StateProof {
    /// Checks that under `root`, `key` holds `value` (`None`: holds nothing).
    pub fn verify(&self, root: &Hash, key: &StateKey, value: Option<&[u8]>) -> Result<(), ProofError> {
        self.0.verify(RootHash(root.0), key_hash(key), value).map_err(|e| ProofError::Mismatch(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keypair;
    use crate::records::BlId;

    fn key(i: u32) -> StateKey {
        let mut id = [0; 32];
        id[..4].copy_from_slice(&i.to_be_bytes());
        StateKey::Release(Hash(id))
    }

    fn key_number(key: &StateKey) -> u32 {
        let StateKey::Release(Hash(id)) = key else { unreachable!("test keys are releases") };
        u32::from_be_bytes([id[0], id[1], id[2], id[3]])
    }

    fn writes(pairs: &[(u32, Option<&str>)]) -> BTreeMap<StateKey, Option<Vec<u8>>> {
        pairs.iter().map(|(k, v)| (key(*k), v.map(|s| s.as_bytes().to_vec()))).collect()
    }

    /// A store that keeps only the newest values, whose commits overtake the first `overtaken`
    /// reads: each sees the tip before the last commit, and its value read answers `Pruned`.
    struct Overtaking {
        store: MemStore,
        overtaken: std::sync::atomic::AtomicUsize,
    }

    impl StateStore for Overtaking {
        fn node(&self, key: &NodeKey) -> Result<Option<Node>, StoreError> {
            self.store.node(key)
        }

        fn value(&self, max_version: Version, key: KeyHash) -> Result<Option<OwnedValue>, StoreError> {
            match self.store.latest_version() {
                Some(latest) if max_version < latest => {
                    Err(StoreError::Pruned { version: max_version, latest })
                }
                _ => self.store.value(max_version, key),
            }
        }

        fn latest_version(&self) -> Option<Version> {
            let latest = self.store.latest_version()?;
            let overtaken = self.overtaken.load(std::sync::atomic::Ordering::Relaxed);
            if overtaken == 0 {
                return Some(latest);
            }
            self.overtaken.store(overtaken - 1, std::sync::atomic::Ordering::Relaxed);
            Some(latest - 1)
        }

        fn write(&mut self, version: Version, batch: &NodeBatch) -> Result<(), StoreError> {
            self.store.write(version, batch)
        }
    }

    #[test]
    fn a_read_overtaken_by_a_commit_reads_again_at_the_new_tip() {
        let mut tree = StateTree::new(MemStore::default());
        tree.commit(0, &writes(&[(1, Some("a"))])).expect("commit 0");
        tree.commit(1, &writes(&[(1, Some("b"))])).expect("commit 1");
        let overtaking = |n| {
            StateTree::new(Overtaking {
                store: tree.store().clone(),
                overtaken: std::sync::atomic::AtomicUsize::new(n),
            })
        };
        assert_eq!(overtaking(0).get(&key(1)).expect("get"), Some(b"b".to_vec()));
        assert_eq!(overtaking(PRUNED_RETRIES).get(&key(1)).expect("get"), Some(b"b".to_vec()));
        // A read overtaken more often than that reports it, rather than spin.
        match overtaking(PRUNED_RETRIES + 1).get(&key(1)) {
            Err(StoreError::Pruned { version: 0, latest: 1 }) => {}
            other => panic!("expected Pruned, got {other:?}"),
        }
    }

    #[test]
    fn values_are_versioned_and_proven() {
        let mut tree = StateTree::new(MemStore::default());
        let r0 = tree.commit(0, &writes(&[(1, Some("a")), (2, Some("b"))])).expect("commit 0");
        let r1 = tree.commit(1, &writes(&[(1, Some("a2")), (2, None)])).expect("commit 1");
        assert_ne!(r0, r1);
        assert_eq!(tree.get(&key(1)).expect("get"), Some(b"a2".to_vec()));
        assert_eq!(tree.get(&key(2)).expect("get"), None);
        assert_eq!(tree.root_at(0).expect("root"), r0);

        let (v, proof) = tree.prove(&key(1), 1).expect("prove");
        assert_eq!(v.as_deref(), Some(&b"a2"[..]));
        assert!(proof.verify(&r1, &key(1), Some(b"a2")).is_ok());
        assert!(proof.verify(&r1, &key(1), Some(b"a")).is_err(), "a changed record must not verify");
        assert!(proof.verify(&r0, &key(1), Some(b"a2")).is_err(), "a stale root must not verify");

        let (absent, exclusion) = tree.prove(&key(2), 1).expect("prove absence");
        assert_eq!(absent, None);
        assert!(exclusion.verify(&r1, &key(2), None).is_ok());
        assert!(exclusion.verify(&r1, &key(2), Some(b"b")).is_err());
        let (old, old_proof) = tree.prove(&key(2), 0).expect("prove old");
        assert_eq!(old.as_deref(), Some(&b"b"[..]));
        assert!(old_proof.verify(&r0, &key(2), Some(b"b")).is_ok());
    }

    #[test]
    fn root_is_independent_of_write_history_shape() {
        // Same final contents reached in one version or in two: same root.
        let mut one = StateTree::new(MemStore::default());
        let r_one =
            one.commit(0, &writes(&[(1, Some("x")), (2, Some("y")), (3, Some("z"))])).expect("commit");
        let mut two = StateTree::new(MemStore::default());
        two.commit(0, &writes(&[(1, Some("x")), (3, Some("old"))])).expect("commit");
        let r_two = two.commit(1, &writes(&[(2, Some("y")), (3, Some("z"))])).expect("commit");
        assert_eq!(r_one, r_two);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// The one-pass update of a version without deletions builds the very tree the
        /// key-by-key update builds: same roots, same nodes and values written, and every key
        /// proven against the root, version after version (updates, new keys that split
        /// existing leaves, versions with deletions in between).
        #[test]
        fn batched_updates_build_the_key_by_key_tree(
            versions in proptest::collection::vec(
                proptest::collection::btree_map(0u32..400, proptest::option::weighted(0.995, 0u8..=255), 1..120),
                1..8,
            )
        ) {
            let mut batched = StateTree::new(MemStore::default());
            let mut reference = StateTree::new(MemStore::default());
            let mut contents: BTreeMap<u32, Vec<u8>> = BTreeMap::new();
            for (version, set) in versions.iter().enumerate() {
                let version = version as Version;
                let writes: BTreeMap<StateKey, Option<Vec<u8>>> =
                    set.iter().map(|(k, v)| (key(*k), v.map(|b| vec![b; 1 + *k as usize % 7]))).collect();
                let (root, update) = batched.prepare(version, &writes).expect("prepare");
                let (expected, expected_update) =
                    reference.prepare_key_by_key(version, &writes).expect("reference");
                proptest::prop_assert_eq!(root, expected);
                proptest::prop_assert_eq!(update.node_batch.nodes(), expected_update.node_batch.nodes());
                proptest::prop_assert_eq!(update.node_batch.values(), expected_update.node_batch.values());
                batched.store.write(version, &update.node_batch).expect("write");
                reference.store.write(version, &expected_update.node_batch).expect("write");
                for (k, v) in &writes {
                    match v {
                        Some(v) => contents.insert(key_number(k), v.clone()),
                        None => contents.remove(&key_number(k)),
                    };
                }
                for k in (0u32..400).step_by(37).chain(contents.keys().copied().take(20)) {
                    let (value, proof) = batched.prove(&key(k), version).expect("prove");
                    proptest::prop_assert_eq!(value.as_ref(), contents.get(&k));
                    proptest::prop_assert!(proof.verify(&root, &key(k), value.as_deref()).is_ok());
                }
            }
        }
    }

    #[test]
    fn history_entries_are_kept_beside_the_tree() {
        let bl = BlId(Hash([7; 32]));
        let entry = |seq| StateKey::BlHistory(bl, seq);
        let mut with = StateTree::new(MemStore::default());
        let mut without = StateTree::new(MemStore::default());
        let mut both = writes(&[(1, Some("record"))]);
        let only_tree = both.clone();
        both.insert(entry(0), Some(b"issued".to_vec()));
        // In the one pass (following version) and key by key (a version with a deletion).
        let r0 = with.commit(0, &both).expect("commit");
        assert_eq!(r0, without.commit(0, &only_tree).expect("commit"), "history is no leaf");
        let mut next = writes(&[(1, Some("record 2")), (2, None)]);
        next.insert(entry(1), Some(b"transferred".to_vec()));
        let r1 = with.commit(1, &next).expect("commit");
        next.remove(&entry(1));
        assert_eq!(r1, without.commit(1, &next).expect("commit"), "history is no leaf");
        assert_eq!(with.get(&entry(0)).expect("get"), Some(b"issued".to_vec()), "but it is readable");
        assert_eq!(with.get(&entry(1)).expect("get"), Some(b"transferred".to_vec()));
        assert_eq!(with.prove(&entry(0), 1).map(|_| ()), Err(StoreError::NotInTree));
        assert!(with.prove(&key(1), 1).is_ok());
    }

    #[test]
    fn an_update_names_its_values_written_once() {
        let bl = BlId(Hash([7; 32]));
        let mut tree = StateTree::new(MemStore::default());
        tree.commit(0, &writes(&[(1, Some("record"))])).expect("commit");
        let mut set = writes(&[(1, Some("record 2")), (3, Some("new"))]);
        set.insert(StateKey::BlHistory(bl, 1), Some(b"transferred".to_vec()));
        set.insert(StateKey::BlHistory(bl, 0), Some(b"issued".to_vec()));
        let mut expected = vec![key_hash(&StateKey::BlHistory(bl, 0)), key_hash(&StateKey::BlHistory(bl, 1))];
        expected.sort();
        // The one pass (upserts after version 0) and key by key (a deletion) name the same keys.
        let (_, one_pass) = tree.prepare(1, &set).expect("prepare");
        set.insert(key(2), None);
        let (_, by_key) = tree.prepare(1, &set).expect("prepare");
        for update in [one_pass, by_key] {
            assert_eq!(update.write_once, expected);
            assert!(update.is_write_once(&expected[0]) && update.is_write_once(&expected[1]));
            assert!(!update.is_write_once(&key_hash(&key(1))), "a record is rewritten");
            let values: Vec<KeyHash> = update.node_batch.values().keys().map(|(_, k)| *k).collect();
            assert!(expected.iter().all(|k| values.contains(k)), "and are values of the update");
        }
    }

    #[test]
    fn stale_versions_are_refused() {
        let mut tree = StateTree::new(MemStore::default());
        tree.commit(5, &writes(&[(1, Some("a"))])).expect("commit");
        assert_eq!(
            tree.commit(5, &writes(&[(1, Some("b"))])),
            Err(StoreError::StaleVersion { version: 5, latest: 5 })
        );
        assert_eq!(tree.get(&key(1)).expect("get"), Some(b"a".to_vec()));
    }

    #[test]
    fn an_empty_version_keeps_the_root() {
        let mut tree = StateTree::new(MemStore::default());
        let r0 = tree.commit(0, &writes(&[(1, Some("a"))])).expect("commit");
        let r1 = tree.commit(1, &BTreeMap::new()).expect("empty commit");
        assert_eq!(r0, r1);
        assert_eq!(tree.root_at(1).expect("root"), r0);
        let party = Keypair::for_test("p").party();
        let (_, proof) = tree.prove(&StateKey::Party(party), 1).expect("prove");
        assert!(proof.verify(&r1, &StateKey::Party(party), None).is_ok());
    }
}
