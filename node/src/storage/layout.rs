//! The on-disk layout: column families, meta keys, key encodings and decode bounds.
//!
//! Kept in one place so that the layout is reviewed as a whole, and public so that operator
//! tools (and the tamper tests) can address the same bytes the node writes.
//!
//! * Heights and indices are big-endian, so a column family's key order is height order and an
//!   index is scanned by prefix.
//! * JMT values are keyed `key_hash ‖ version BE`: "the newest version ≤ max" is one reverse
//!   seek; the newest version of each key is also kept under the key hash alone
//!   ([`CF_JMT_LATEST`]), so a read at the tip is one point lookup.
//! * Values are borsh (`ebl_ledger::encoding`), decoded with the bound named here.

use ebl_ledger::jmt::storage::NodeKey;
use ebl_ledger::jmt::{KeyHash, OwnedValue, Version};
use ebl_ledger::limits::{BLOCK_TXS_MAX, BLOCK_TX_BYTES_MAX};
use ebl_ledger::{encoding, BlId, Hash, PartyId};

/// height BE → borsh(`Block`).
pub const CF_BLOCKS: &str = "blocks";
/// height BE → block hash (32 bytes), so a hash lookup does not decode a block.
pub const CF_BLOCK_HASHES: &str = "block_hashes";
/// height BE → borsh(`Vec<Receipt>`), in block order.
pub const CF_RECEIPTS: &str = "receipts";
/// height BE → the commit certificate, as the consensus layer encoded it.
pub const CF_CERTIFICATES: &str = "certificates";
/// version BE ‖ borsh(nibble path) → borsh(`Node`) ([`jmt_node_key`]). A block's new nodes all
/// have its height as version, so each flush holds keys above every stored one: RocksDB moves
/// the file down without rewriting what is there (schema 4; borsh(`NodeKey`), version
/// little-endian, scattered every block over the whole key range and made each compaction
/// rewrite the family).
pub const CF_JMT_NODES: &str = "jmt_nodes";
/// key_hash ‖ version BE → borsh(`Option<Vec<u8>>`) (`None`: deleted at that version). In an
/// archive database ([`META_VALUE_HISTORY`]) every version of every value, except the values
/// written once (`StateUpdate::write_once`, a BL's history entries): those are in
/// [`CF_WRITE_ONCE`], and a read before their version finds nothing here, which is the answer.
/// Databases that hold those copies too (written before 2026-12-06) read the same. Empty in a
/// database that keeps only the newest values.
pub const CF_JMT_VALUES: &str = "jmt_values";
/// key_hash → version BE ‖ borsh(`Option<Vec<u8>>`): the newest entry of [`CF_JMT_VALUES`] for
/// each key, written in the same batch, so a read at the tip is one point lookup instead of a
/// reverse seek (schema 2). A value written once has no entry here (schema 7), so this family
/// holds one entry per key of the live state, not one per action ever taken.
pub const CF_JMT_LATEST: &str = "jmt_latest";
/// version BE ‖ key_hash → borsh(`Option<Vec<u8>>`) ([`write_once_key`]): the values written
/// once (`StateUpdate::write_once`, a BL's history entries), by the version that wrote them.
/// Each block's entries sort after every stored one, so RocksDB moves its files down the levels
/// without rewriting them, where keyed by hash (in [`CF_JMT_LATEST`], schema 4) they were the
/// largest part of every compaction of that family. Found through [`CF_INDEX_BL_TX`]: each
/// entry of a BL's history was written at the height of a transaction on that BL
/// (`Storage::history`).
pub const CF_WRITE_ONCE: &str = "write_once";
/// party ‖ bl → empty.
pub const CF_INDEX_PARTY_BL: &str = "index_party_bl";
/// bl ‖ height BE ‖ index BE → empty.
pub const CF_INDEX_BL_TX: &str = "index_bl_tx";
/// container id ‖ height BE ‖ index BE → empty.
pub const CF_INDEX_CONTAINER_TX: &str = "index_container_tx";
/// party → empty: the party registry's members (genesis parties and every REGISTER_PARTY).
pub const CF_INDEX_PARTIES: &str = "index_parties";
/// tx id → height BE ‖ index BE.
pub const CF_INDEX_TX: &str = "index_tx";
/// The `META_*` keys below.
pub const CF_META: &str = "meta";

/// Blocks this validator proposed, by `height_key(h) ‖ round (u32 BE)`: after a crash it proposes
/// the same block again at the same height and round, never a second one (no equivocation).
/// Pruned when the height commits.
pub const CF_PROPOSALS: &str = "proposals";

/// Every column family the node opens (besides RocksDB's `default`, which stays empty).
pub const COLUMN_FAMILIES: [&str; 15] = [
    CF_BLOCKS,
    CF_BLOCK_HASHES,
    CF_RECEIPTS,
    CF_CERTIFICATES,
    CF_JMT_NODES,
    CF_JMT_VALUES,
    CF_INDEX_PARTY_BL,
    CF_INDEX_BL_TX,
    CF_INDEX_CONTAINER_TX,
    CF_INDEX_TX,
    CF_META,
    CF_PROPOSALS,
    CF_INDEX_PARTIES,
    CF_JMT_LATEST,
    CF_WRITE_ONCE,
];

/// The key of this validator's proposal at `(height, round)`.
pub fn proposal_key(height: u64, round: u32) -> [u8; 12] {
    let mut key = [0u8; 12];
    key[..8].copy_from_slice(&height.to_be_bytes());
    key[8..].copy_from_slice(&round.to_be_bytes());
    key
}

/// The committed tip: borsh(`TipRecord`).
pub const META_TIP: &[u8] = b"tip";
/// The chain id recorded at genesis (UTF-8).
pub const META_CHAIN_ID: &[u8] = b"chain_id";
/// The genesis state root (32 bytes).
pub const META_GENESIS_STATE_ROOT: &[u8] = b"genesis_state_root";
/// The genesis time, u64 BE milliseconds.
pub const META_GENESIS_TIME_MS: &[u8] = b"genesis_time_ms";
/// The layout version, u32 BE; a database of another layout is refused rather than misread.
pub const META_SCHEMA_VERSION: &[u8] = b"schema_version";
/// Whether [`CF_JMT_VALUES`] holds every version of every value (an archive: `[1]`) or the
/// database keeps only each key's newest value, in [`CF_JMT_LATEST`] (`[0]`). Chosen when the
/// database is created (genesis), kept for its life (schema 6; older layouts kept every version).
pub const META_VALUE_HISTORY: &[u8] = b"value_history";

/// The layout this code reads and writes: the only one. Earlier layouts (1 to 8, written by
/// development versions before 0.1.0; their history is in `docs/adr/0011` and `git log`) are
/// refused on opening with a message saying so, not read or upgraded: no database of them
/// exists outside a developer's machine. Version 7 keeps BL history entries beside the state
/// tree, in [`CF_WRITE_ONCE`] by the height that wrote them, with no [`CF_JMT_LATEST`] entry;
/// version 8 has the validator set and its governance in the state (ADR 0019); version 9's
/// party records name the key a party rotated to (`signing_key`), which a layout-8 record lacks.
pub const SCHEMA_VERSION: u32 = 9;

/// Slack for a block header, the transaction vector's length prefix and future header fields.
const BLOCK_HEADER_BYTES_MAX: usize = 64 * 1024;
/// Largest stored block: the chain's bound on a block's transaction bytes plus its header.
/// `commit_block` refuses a larger block, so every stored block decodes under this bound.
pub const BLOCK_BYTES_MAX: usize = BLOCK_TX_BYTES_MAX + BLOCK_HEADER_BYTES_MAX;
/// One receipt is a tx id plus an outcome (a few bytes); 64 leaves room for new outcomes.
const RECEIPT_BYTES_MAX: usize = 64;
/// Largest stored receipt list: one receipt per transaction of a full block.
pub const RECEIPTS_BYTES_MAX: usize = BLOCK_TXS_MAX * RECEIPT_BYTES_MAX + 4;
/// Largest commit certificate accepted. Opaque here; 2f+1 signatures of even hundreds of
/// validators are far below this.
pub const CERTIFICATE_BYTES_MAX: usize = 1024 * 1024;
/// Largest JMT node: an internal node has at most 16 children of a hash, a version and a
/// leaf count each (well under 1 KiB).
pub const JMT_NODE_BYTES_MAX: usize = 4 * 1024;
/// Largest state value. Every record the contracts write is bounded by `ebl_ledger::limits`
/// to a few KiB; this bound only stops a corrupt length prefix from allocating gigabytes.
pub const STATE_VALUE_BYTES_MAX: usize = 4 * 1024 * 1024;
/// Largest stored chain id (same bound the genesis applies).
pub const CHAIN_ID_BYTES_MAX: usize = ebl_ledger::limits::CHAIN_ID_BYTES_MAX;

/// The committed tip as stored under [`META_TIP`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct TipRecord {
    pub height: u64,
    pub block_hash: Hash,
    pub state_root: Hash,
    pub time_ms: u64,
}

/// Exact size of an encoded [`TipRecord`].
pub const TIP_BYTES: usize = 8 + 32 + 32 + 8;

pub fn height_key(height: u64) -> [u8; 8] {
    height.to_be_bytes()
}

/// Reads a [`height_key`]; `None` if the key is not 8 bytes.
pub fn height_of_key(key: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(key.try_into().ok()?))
}

/// A [`CF_JMT_NODES`] key: the node's version big-endian, then its nibble path as borsh encodes
/// it (the number of nibbles, then the packed bytes), so keys sort by version first.
pub fn jmt_node_key(key: &NodeKey) -> Vec<u8> {
    let path = encoding::encode(key.nibble_path());
    let mut out = Vec::with_capacity(8 + path.len());
    out.extend_from_slice(&key.version().to_be_bytes());
    out.extend_from_slice(&path);
    out
}

/// The version a [`jmt_node_key`] starts with; `None` if the key is shorter than a version.
pub fn version_of_jmt_node_key(key: &[u8]) -> Option<Version> {
    key.first_chunk::<8>().map(|v| u64::from_be_bytes(*v))
}

/// The prefix of a [`jmt_value_key`]: the key hash.
pub const JMT_VALUE_PREFIX_BYTES: usize = 32;

/// A [`CF_JMT_LATEST`] value: the version, then the value as [`CF_JMT_VALUES`] stores it
/// (borsh, `None` for a deleted key), encoded once into one buffer: the versioned entry is
/// its tail from byte 8.
pub fn jmt_latest_value(version: Version, value: &Option<OwnedValue>) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 5 + value.as_ref().map_or(0, Vec::len));
    out.extend_from_slice(&version.to_be_bytes());
    match value {
        None => out.push(0),
        Some(bytes) => {
            // borsh: tag 1, the length as a little-endian u32, the bytes. A value's length is
            // bounded far below 4 GiB by the block limits.
            out.push(1);
            out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            out.extend_from_slice(bytes);
        }
    }
    out
}

/// A [`CF_WRITE_ONCE`] key: the version big-endian, then the key hash.
pub fn write_once_key(version: Version, key_hash: KeyHash) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..8].copy_from_slice(&version.to_be_bytes());
    out[8..].copy_from_slice(&key_hash.0);
    out
}

/// Splits a [`jmt_latest_value`] entry; `None` if it is
/// shorter than its version.
pub fn split_jmt_latest_value(bytes: &[u8]) -> Option<(Version, &[u8])> {
    let (version, value) = bytes.split_first_chunk::<8>()?;
    Some((u64::from_be_bytes(*version), value))
}

pub fn jmt_value_key(key_hash: KeyHash, version: Version) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..32].copy_from_slice(&key_hash.0);
    out[32..].copy_from_slice(&version.to_be_bytes());
    out
}

pub fn party_bl_key(party: &PartyId, bl: &BlId) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(party.as_bytes());
    out[32..].copy_from_slice(bl.0.as_bytes());
    out
}

/// `prefix(32) ‖ height BE ‖ index BE`: the key of the by-BL and by-container indices.
pub fn located_key(prefix: &Hash, height: u64, index: u32) -> [u8; 44] {
    let mut out = [0u8; 44];
    out[..32].copy_from_slice(prefix.as_bytes());
    out[32..40].copy_from_slice(&height.to_be_bytes());
    out[40..].copy_from_slice(&index.to_be_bytes());
    out
}

/// `height BE ‖ index BE`: where a transaction is.
pub fn location_bytes(height: u64, index: u32) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[..8].copy_from_slice(&height.to_be_bytes());
    out[8..].copy_from_slice(&index.to_be_bytes());
    out
}

/// Reads [`location_bytes`]; `None` if not 12 bytes.
pub fn location_of(bytes: &[u8]) -> Option<(u64, u32)> {
    if bytes.len() != 12 {
        return None;
    }
    let height = u64::from_be_bytes(bytes[..8].try_into().ok()?);
    let index = u32::from_be_bytes(bytes[8..].try_into().ok()?);
    Some((height, index))
}

/// The smallest key greater than every key starting with `prefix` (`None` if the prefix is
/// all `0xff`): the upper bound of a prefix scan, so RocksDB stops at the prefix's end.
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_latest_entry_is_the_version_then_the_value_as_borsh_encodes_it() {
        for value in [None, Some(Vec::new()), Some(b"a BL record".to_vec()), Some(vec![9; 70_000])] {
            let entry = jmt_latest_value(42, &value);
            let (version, encoded) = split_jmt_latest_value(&entry).expect("has a version");
            assert_eq!(version, 42);
            assert_eq!(encoded, encoding::encode(&value).as_slice(), "{:?}", value.map(|v| v.len()));
            let decoded: Option<OwnedValue> = encoding::decode(encoded, 1 << 20).expect("decodes");
            assert_eq!(decoded, value);
        }
    }

    #[test]
    fn written_once_keys_sort_by_version_first() {
        let (old, new) = (write_once_key(255, KeyHash([0xff; 32])), write_once_key(256, KeyHash([0; 32])));
        assert!(old < new, "a later version's values sort after every earlier one");
        assert_eq!(&new[..8], &256u64.to_be_bytes());
        assert_eq!(&new[8..], &[0; 32]);
    }

    #[test]
    fn big_endian_keys_sort_in_height_order() {
        let h = Hash([7; 32]);
        assert!(height_key(255) < height_key(256));
        assert!(located_key(&h, 1, u32::MAX) < located_key(&h, 2, 0));
        assert!(jmt_value_key(KeyHash([1; 32]), 255) < jmt_value_key(KeyHash([1; 32]), 256));
        assert_eq!(location_of(&location_bytes(9, 3)), Some((9, 3)));
        assert_eq!(height_of_key(&height_key(42)), Some(42));
    }

    /// A node key with the given version and nibbles (jmt builds nibble paths only inside the
    /// crate; borsh is the public way in).
    fn node_key(version: Version, nibbles: &[u8]) -> NodeKey {
        let packed: Vec<u8> =
            nibbles.chunks(2).map(|pair| pair[0] << 4 | pair.get(1).copied().unwrap_or(0)).collect();
        let bytes = encoding::encode(&(version, nibbles.len() as u64, packed));
        encoding::decode(&bytes, 1024).expect("a node key")
    }

    #[test]
    fn jmt_node_keys_sort_by_version_first() {
        let (old, new) = (node_key(255, &[0xf, 0xf, 0xf]), node_key(256, &[]));
        assert!(jmt_node_key(&old) < jmt_node_key(&new), "a newer node sorts after every older one");
        assert_eq!(version_of_jmt_node_key(&jmt_node_key(&new)), Some(256));
        assert_eq!(version_of_jmt_node_key(&jmt_node_key(&old)), Some(255));
        assert_eq!(version_of_jmt_node_key(&[1, 2, 3]), None);
        // The path follows the version as borsh encodes it, so no two nodes share a key.
        let key = jmt_node_key(&old);
        assert_eq!(&key[..8], &255u64.to_be_bytes());
        assert_eq!(&key[8..], encoding::encode(old.nibble_path()).as_slice());
        let paths: [&[u8]; 5] = [&[], &[0], &[0, 0], &[1], &[0, 1]];
        let keys: std::collections::BTreeSet<Vec<u8>> =
            paths.iter().map(|p| jmt_node_key(&node_key(7, p))).collect();
        assert_eq!(keys.len(), paths.len());
    }

    #[test]
    fn prefix_end_bounds_exactly_the_prefix() {
        assert_eq!(prefix_end(&[1, 2]), Some(vec![1, 3]));
        assert_eq!(prefix_end(&[1, 0xff]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xff, 0xff]), None);
    }

    #[test]
    fn tip_record_has_a_fixed_size() {
        let tip = TipRecord { height: 1, block_hash: Hash::ZERO, state_root: Hash::ZERO, time_ms: 2 };
        assert_eq!(encoding::encode(&tip).len(), TIP_BYTES);
    }
}
