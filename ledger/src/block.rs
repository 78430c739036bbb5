//! Blocks: a header that commits to the transactions, the post-execution state and the
//! receipts, followed by the transactions.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::hash::{domain, Hash};
use crate::keys::PartyId;
use crate::merkle;
use crate::receipt::Receipt;
use crate::tx::Transaction;

#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockHeader {
    pub chain_id: String,
    pub height: u64,
    pub parent_hash: Hash,
    /// Block time in milliseconds since the Unix epoch: the only clock the state machine sees.
    pub time_ms: u64,
    pub proposer: PartyId,
    /// RFC 6962 root over the signed transactions (canonical bytes, signatures included), in
    /// block order: the block hash commits to the signatures too, so a certified block cannot be
    /// served with other signature bytes.
    pub tx_root: Hash,
    /// JMT root of the state after executing this block.
    pub state_root: Hash,
    /// RFC 6962 root over the receipt hashes, in block order.
    pub receipts_root: Hash,
}

impl BlockHeader {
    pub fn hash(&self) -> Hash {
        Hash::of(domain::BLOCK_HEADER, self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Block {
    pub header: BlockHeader,
    pub txs: Vec<Transaction>,
}

impl Block {
    pub fn hash(&self) -> Hash {
        self.header.hash()
    }
}

/// The tx root of these signed transactions.
pub fn tx_root(txs: &[Transaction]) -> Hash {
    let leaves: Vec<Vec<u8>> = txs.iter().map(Transaction::encode).collect();
    tx_root_of_encoded(&leaves)
}

/// [`tx_root`] of transactions already encoded (`Transaction::encode`), in block order.
pub fn tx_root_of_encoded(encoded: &[Vec<u8>]) -> Hash {
    merkle::root(encoded)
}

/// The receipts root of these receipts.
pub fn receipts_root(receipts: &[Receipt]) -> Hash {
    let leaves: Vec<[u8; 32]> = receipts.iter().map(|r| r.hash().0).collect();
    merkle::root(&leaves)
}
