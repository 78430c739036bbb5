//! The body of `POST /v1/transactions/batch` (borsh `Vec<Transaction>`) and how a long list
//! of transactions is cut into batches the node accepts.

use ebl_ledger::Transaction;

/// Most transactions the node takes in one batch.
pub const BATCH_TXS_MAX: usize = 10_000;
/// Largest batch body sent, in bytes: under the node's default `rpc.request_bytes_max` (4 MiB)
/// with room to spare.
pub const BATCH_BYTES_MAX: usize = 3 * 1024 * 1024;

/// The canonical (borsh) bytes of a batch: a little-endian u32 count, then each transaction.
pub fn encode_batch(txs: &[Transaction]) -> Vec<u8> {
    ebl_ledger::encoding::encode(txs)
}

/// Decodes a batch body (the node's view; for tests and tools).
pub fn decode_batch(bytes: &[u8]) -> Result<Vec<Transaction>, ebl_ledger::DecodeError> {
    ebl_ledger::encoding::decode(bytes, bytes.len())
}

/// Cuts `txs` into consecutive runs of at most `txs_max` transactions and `bytes_max` bytes of
/// body each (a transaction larger than `bytes_max` alone goes in a run of its own).
pub fn chunk_ranges(txs: &[Transaction], txs_max: usize, bytes_max: usize) -> Vec<std::ops::Range<usize>> {
    let txs_max = txs_max.max(1);
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut bytes = 4; // the count
    for (i, tx) in txs.iter().enumerate() {
        let size = borsh::object_length(tx).unwrap_or(usize::MAX / 2);
        let full = i - start >= txs_max || (i > start && bytes + size > bytes_max);
        if full {
            ranges.push(start..i);
            start = i;
            bytes = 4;
        }
        bytes += size;
    }
    if start < txs.len() {
        ranges.push(start..txs.len());
    }
    ranges
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebl_ledger::{Action, BlId, Hash, Keypair, TxBody};

    fn tx(key: &Keypair, nonce: u64) -> Transaction {
        TxBody {
            chain_id: "c".into(),
            nonce,
            signers: vec![key.party()],
            action: Action::RejectTransfer { bl: BlId(Hash::ZERO), reason: "x".repeat(nonce as usize % 50) },
        }
        .sign(&[key])
    }

    #[test]
    fn batch_body_is_borsh_vec_and_decodes_back() {
        let key = Keypair::from_seed([1; 32]);
        let txs: Vec<Transaction> = (0..3).map(|n| tx(&key, n)).collect();
        let body = encode_batch(&txs);
        assert_eq!(&body[..4], &3u32.to_le_bytes());
        assert_eq!(body, borsh::to_vec(&txs).expect("borsh"));
        assert_eq!(decode_batch(&body).expect("decode"), txs);
        assert_eq!(encode_batch(&[]), 0u32.to_le_bytes().to_vec());
    }

    #[test]
    fn chunks_respect_count_and_bytes_and_keep_order() {
        let key = Keypair::from_seed([1; 32]);
        let txs: Vec<Transaction> = (0..25).map(|n| tx(&key, n)).collect();
        let by_count = chunk_ranges(&txs, 10, usize::MAX);
        assert_eq!(by_count, vec![0..10, 10..20, 20..25]);
        let one = borsh::object_length(&txs[0]).expect("len");
        let by_bytes = chunk_ranges(&txs, 100, 4 + 3 * one + 60);
        assert!(by_bytes.len() > 1);
        let mut next = 0;
        for range in &by_bytes {
            assert_eq!(range.start, next);
            assert!(encode_batch(&txs[range.clone()]).len() <= 4 + 3 * one + 60 || range.len() == 1);
            next = range.end;
        }
        assert_eq!(next, txs.len());
        assert!(chunk_ranges(&[], 10, 100).is_empty());
    }
}
