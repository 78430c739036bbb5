//! Signature verification: one signature checked alone against a block's worth checked as one
//! batch, under the ledger's ZIP-215 rule (`ebl_ledger::ed25519`, ADR 0015), beside the two
//! libraries it is measured against: ed25519-dalek 3 (`verify_strict` and `verify_batch`, the
//! ledger's rule before ADR 0015; same curve arithmetic, AVX-512 IFMA where the CPU has it) and
//! ed25519-consensus (ZIP-215 on curve25519-dalek-ng's portable arithmetic).
//!
//! Every bench reports throughput in signatures, so criterion's `elem/s` figures compare
//! directly. The `…/1000` batches are 1,000 TRANSFERs by 100 submitters (ten each, as a busy
//! block has repeat senders); `…/1000-distinct` have 1,000 different signers, where merging the
//! signatures of one key (which `ebl_ledger::ed25519::Batch` does) saves nothing.
//!
//! Run (the `.cargo/config.toml` rustflag selects the IFMA backend; do not set RUSTFLAGS):
//! `cargo bench -p ebl-ledger --bench signatures`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ebl_ledger::ed25519::{Batch, VerificationKey};
use ebl_ledger::records::BlId;
use ebl_ledger::tx::{signing_message, verify_batch, SIGNING_MESSAGE_BYTES};
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

/// `BATCH_TXS` distinct TRANSFER transactions by `signers` submitters, each holder passing one BL
/// on to the next holder, with consecutive nonces per submitter.
fn signed_transfers(signers: usize) -> Vec<Transaction> {
    let carrier = key("bench carrier").party();
    let holders: Vec<Keypair> = (0..signers).map(|i| key(&format!("bench holder {i}"))).collect();
    (0..BATCH_TXS)
        .map(|i| {
            let from = &holders[i % signers];
            let to = holders[(i + 1) % signers].party();
            let bl = BlId::new(&carrier, &format!("HHL7{i:07}"));
            TxBody {
                chain_id: CHAIN_ID.into(),
                nonce: (i / signers) as u64,
                signers: vec![from.party()],
                action: Action::Transfer { bl, to },
            }
            .sign(&[from])
        })
        .collect()
}

/// The raw material of a batch, as each library takes it.
struct Raw {
    messages: Vec<[u8; SIGNING_MESSAGE_BYTES]>,
    signatures: Vec<[u8; 64]>,
    keys: Vec<[u8; 32]>,
    zip215_keys: Vec<VerificationKey>,
    dalek_keys: Vec<ed25519_dalek::VerifyingKey>,
    dalek_signatures: Vec<ed25519_dalek::Signature>,
    consensus_keys: Vec<ed25519_consensus::VerificationKeyBytes>,
    consensus_signatures: Vec<ed25519_consensus::Signature>,
}

impl Raw {
    fn of(txs: &[Transaction]) -> Raw {
        let messages: Vec<_> = txs.iter().map(|tx| signing_message(&tx.id())).collect();
        let signatures: Vec<[u8; 64]> = txs.iter().map(|tx| tx.signatures[0].0).collect();
        let keys: Vec<[u8; 32]> = txs.iter().map(|tx| tx.body.signers[0].0).collect();
        Raw {
            zip215_keys: keys.iter().map(|k| VerificationKey::from_bytes(k).expect("a key")).collect(),
            dalek_keys: keys
                .iter()
                .map(|k| ed25519_dalek::VerifyingKey::from_bytes(k).expect("a key"))
                .collect(),
            dalek_signatures: signatures.iter().map(ed25519_dalek::Signature::from_bytes).collect(),
            consensus_keys: keys.iter().map(|k| ed25519_consensus::VerificationKeyBytes::from(*k)).collect(),
            consensus_signatures: signatures.iter().map(|s| ed25519_consensus::Signature::from(*s)).collect(),
            messages,
            signatures,
            keys,
        }
    }

    fn zip215_batch(&self) -> bool {
        let mut batch = Batch::with_capacity(self.signatures.len());
        for ((key, message), signature) in self.zip215_keys.iter().zip(&self.messages).zip(&self.signatures) {
            batch.queue(key, message, signature);
        }
        batch.verify()
    }

    fn dalek_batch(&self) -> bool {
        let refs: Vec<&[u8]> = self.messages.iter().map(|m| m.as_slice()).collect();
        ed25519_dalek::verify_batch(&refs, &self.dalek_signatures, &self.dalek_keys).is_ok()
    }

    fn consensus_batch(&self) -> bool {
        let mut batch = ed25519_consensus::batch::Verifier::new();
        for ((key, message), signature) in
            self.consensus_keys.iter().zip(&self.messages).zip(&self.consensus_signatures)
        {
            batch.queue((*key, *signature, message));
        }
        batch.verify(rand::thread_rng()).is_ok()
    }
}

fn signatures(c: &mut Criterion) {
    let txs = signed_transfers(SIGNERS);
    assert!(
        verify_batch(txs.clone()).iter().all(Result::is_ok),
        "the bench transactions must be validly signed, or the batch falls back to one-by-one checks"
    );
    let raw = Raw::of(&txs);
    let distinct_txs = signed_transfers(BATCH_TXS);
    let distinct = Raw::of(&distinct_txs);
    for r in [&raw, &distinct] {
        assert!(
            r.zip215_batch() && r.dalek_batch() && r.consensus_batch(),
            "every library accepts the batch"
        );
    }
    let one = txs[0].clone();

    // One signature, as each library checks it beneath the ledger's shape checks and hashing.
    let (message, signature) = (raw.messages[0], raw.signatures[0]);
    let zip215_key = raw.zip215_keys[0];
    let (dalek_key, dalek_signature) = (raw.dalek_keys[0], raw.dalek_signatures[0]);
    let consensus_key = ed25519_consensus::VerificationKey::try_from(raw.keys[0]).expect("a key");
    let consensus_signature = raw.consensus_signatures[0];
    assert!(zip215_key.verify(&message, &signature));
    assert!(dalek_key.verify_strict(&message, &dalek_signature).is_ok());
    assert!(consensus_key.verify(&consensus_signature, &message).is_ok());

    let mut group = c.benchmark_group("signatures");

    group.throughput(Throughput::Elements(1));
    group.bench_function("zip215_verify/1", |b| {
        b.iter(|| black_box(&zip215_key).verify(black_box(&message), black_box(&signature)))
    });
    group.bench_function("ed25519_verify_strict/1", |b| {
        b.iter(|| black_box(&dalek_key).verify_strict(black_box(&message), black_box(&dalek_signature)))
    });
    group.bench_function("ed25519_consensus_verify/1", |b| {
        b.iter(|| black_box(&consensus_key).verify(black_box(&consensus_signature), black_box(&message)))
    });
    group.bench_function("transaction_verify/1", |b| {
        b.iter_batched(|| one.clone(), Transaction::verify, BatchSize::SmallInput)
    });

    group.throughput(Throughput::Elements(BATCH_TXS as u64));
    group.sample_size(30);
    group.bench_function(format!("verify_batch/{BATCH_TXS}"), |b| {
        b.iter_batched(|| txs.clone(), verify_batch, BatchSize::LargeInput)
    });
    group.bench_function(format!("zip215_batch/{BATCH_TXS}"), |b| b.iter(|| black_box(&raw).zip215_batch()));
    group.bench_function(format!("ed25519_dalek_verify_batch/{BATCH_TXS}"), |b| {
        b.iter(|| black_box(&raw).dalek_batch())
    });
    group.bench_function(format!("ed25519_consensus_batch/{BATCH_TXS}"), |b| {
        b.iter(|| black_box(&raw).consensus_batch())
    });
    group.bench_function(format!("verify_batch/{BATCH_TXS}-distinct"), |b| {
        b.iter_batched(|| distinct_txs.clone(), verify_batch, BatchSize::LargeInput)
    });
    group.bench_function(format!("zip215_batch/{BATCH_TXS}-distinct"), |b| {
        b.iter(|| black_box(&distinct).zip215_batch())
    });
    group.bench_function(format!("ed25519_dalek_verify_batch/{BATCH_TXS}-distinct"), |b| {
        b.iter(|| black_box(&distinct).dalek_batch())
    });
    group.bench_function(format!("ed25519_consensus_batch/{BATCH_TXS}-distinct"), |b| {
        b.iter(|| black_box(&distinct).consensus_batch())
    });

    group.finish();
}

criterion_group!(benches, signatures);
criterion_main!(benches);
