//! Arbitrary bytes as a transaction: decoding never panics; whatever decodes is canonical
//! (re-encoding gives back exactly the input); verifying it never panics, alone or in a batch,
//! and the batch never refuses what strict verification accepts.

#![no_main]

use ebl_ledger::tx::verify_batch;
use ebl_ledger::Transaction;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(tx) = Transaction::decode(data) else { return };
    assert_eq!(tx.encode(), data, "one value, one encoding");
    let id = tx.id();
    let strict = tx.clone().verify();
    let batch = verify_batch(vec![tx]);
    assert_eq!(batch.len(), 1);
    if let Ok(verified) = &strict {
        assert_eq!(verified.id(), id);
        assert!(batch[0].is_ok(), "batch verification refused a strictly valid transaction");
    }
});
