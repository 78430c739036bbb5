//! Signature verification: one transaction checked alone against a block's worth checked as
//! one ed25519 batch.
//!
//! Every bench reports throughput in signatures (one per transaction here), so criterion's
//! `elem/s` figures compare directly: the per-signature cost of `verify_batch` over 1,000
//! transactions against that of `Transaction::verify` and of the raw `verify_strict` under it.
//!
//! Run: `cargo bench -p ebl-ledger --bench signatures`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ebl_ledger::records::BlId;
use ebl_ledger::tx::{signing_message, verify_batch};
use ebl_ledger::{Action, Hash, Keypair, Transaction, TxBody};

const CHAIN_ID: &str = "ebl-bench-1";
/// Transactions in the batch: a busy block's worth.
const BATCH_TXS: usize = 1_000;
/// Distinct submitters among them; each signs `BATCH_TXS / SIGNERS` transactions.
const SIGNERS: usize = 100;

/// A deterministic key (benches do not get the `test-utils` feature, so no `Keypair::for_test`).
fn key(label: &str) -> Keypair {
    Keypair::from_seed(Hash::digest(label.as_bytes()).0)
}

/// `BATCH_TXS` distinct TRANSFER transactions, each holder passing one BL on to the next
/// holder, with consecutive nonces per submitter.
fn signed_transfers() -> Vec<Transaction> {
    let carrier = key("bench carrier").party();
    let holders: Vec<Keypair> = (0..SIGNERS).map(|i| key(&format!("bench holder {i}"))).collect();
    (0..BATCH_TXS)
        .map(|i| {
            let from = &holders[i % SIGNERS];
            let to = holders[(i + 1) % SIGNERS].party();
            let bl = BlId::new(&carrier, &format!("HHL7{i:07}"));
            TxBody {
                chain_id: CHAIN_ID.into(),
                nonce: (i / SIGNERS) as u64,
                signers: vec![from.party()],
                action: Action::Transfer { bl, to },
            }
            .sign(&[from])
        })
        .collect()
}

fn signatures(c: &mut Criterion) {
    let txs = signed_transfers();
    assert!(
        verify_batch(txs.clone()).iter().all(Result::is_ok),
        "the bench transactions must be validly signed, or the batch falls back to one-by-one checks"
    );
    let one = txs[0].clone();

    // What `Transaction::verify` does beneath its shape checks and tx-id hashing.
    let key = one.body.signers[0].verifying_key().expect("a valid key");
    let message = signing_message(&one.id());
    let signature = one.signatures[0].to_dalek();
    key.verify_strict(&message, &signature).expect("the signature is valid");

    let mut group = c.benchmark_group("signatures");

    group.throughput(Throughput::Elements(1));
    group.bench_function("ed25519_verify_strict/1", |b| {
        b.iter(|| black_box(&key).verify_strict(black_box(&message), black_box(&signature)))
    });
    group.bench_function("transaction_verify/1", |b| {
        b.iter_batched(|| one.clone(), Transaction::verify, BatchSize::SmallInput)
    });

    group.throughput(Throughput::Elements(BATCH_TXS as u64));
    group.bench_function(format!("transaction_verify_each/{BATCH_TXS}"), |b| {
        b.iter_batched(
            || txs.clone(),
            |txs| txs.into_iter().map(Transaction::verify).collect::<Vec<_>>(),
            BatchSize::LargeInput,
        )
    });
    group.bench_function(format!("verify_batch/{BATCH_TXS}"), |b| {
        b.iter_batched(|| txs.clone(), verify_batch, BatchSize::LargeInput)
    });

    group.finish();
}

criterion_group!(benches, signatures);
criterion_main!(benches);
