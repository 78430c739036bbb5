//! The mempool against a real ledger: every admission error with a real signed transaction,
//! the bounds, deduplication, batch admission from peers, reaping, removal after a commit and
//! gossip batches.

use ebl_contracts::testkit::{Cast, TestLedger, CHAIN_ID};
use ebl_ledger::limits::TX_BYTES_MAX;
use ebl_ledger::{Action, BlId, Hash, Keypair, PartyId, Transaction, TxBody, TxError, TxId, VerifiedTx};
use ebl_node::mempool::{AdmitError, Mempool, MempoolConfig, NonceView};

/// The committed nonces of a [`TestLedger`] (which itself answers 0 for an unknown party).
struct LedgerView<'a>(&'a TestLedger);

impl NonceView for LedgerView<'_> {
    fn next_nonce(&self, party: &PartyId) -> Option<u64> {
        self.0.party(party).map(|_| self.0.nonce(party))
    }
}

/// A transaction by `signer` with `nonce`; `variant` changes the body (and so the id). The
/// action is refused at execution (unknown BL), which still makes it includable.
fn tx(signer: &Keypair, nonce: u64, variant: u8) -> Transaction {
    TestLedger::tx_with_nonce(&[signer], Action::BlankEndorse { bl: BlId(Hash::digest(&[variant])) }, nonce)
}

fn pool() -> Mempool {
    Mempool::new(MempoolConfig::default(), CHAIN_ID.into())
}

fn pool_with(config: MempoolConfig) -> Mempool {
    Mempool::new(config, CHAIN_ID.into())
}

fn spoiled(mut t: Transaction) -> Transaction {
    t.signatures[0].0[5] ^= 0x40;
    t
}

fn ids(txs: &[VerifiedTx]) -> Vec<TxId> {
    txs.iter().map(VerifiedTx::id).collect()
}

fn submitters_and_nonces(txs: &[VerifiedTx]) -> Vec<(PartyId, u64)> {
    txs.iter().map(|t| (t.submitter(), t.body().nonce)).collect()
}

#[track_caller]
fn assert_code(result: Result<TxId, AdmitError>, code: &str) -> AdmitError {
    match result {
        Err(e) => {
            assert_eq!(e.code(), code, "{e}");
            e
        }
        Ok(id) => panic!("admitted {id:?}, expected {code}"),
    }
}

#[test]
fn admits_a_signed_transaction_once_and_keeps_it_verified() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool();
    let t = tx(&cast.shipper, 0, 0);
    let id = pool.admit(t.clone(), &view).expect("admitted");
    assert_eq!(id, t.id());
    assert!(pool.contains(&id));
    assert_eq!(pool.get(&id).map(|v| v.transaction()), Some(&t));
    assert_eq!((pool.len(), pool.bytes(), pool.is_empty()), (1, t.encode().len(), false));

    let e = assert_code(pool.admit(t.clone(), &view), "DUPLICATE_TX");
    assert_eq!(e, AdmitError::Duplicate(id));
    assert_code(pool.admit_bytes(&t.encode(), &view), "DUPLICATE_TX");
    // The same body with a different signature is the same transaction.
    assert_code(pool.admit(spoiled(t.clone()), &view), "DUPLICATE_TX");
    assert_eq!(pool.len(), 1);
}

#[test]
fn admits_canonical_bytes() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let mut pool = pool();
    let t = tx(&cast.shipper, 0, 0);
    assert_eq!(pool.admit_bytes(&t.encode(), &LedgerView(&ledger)), Ok(t.id()));
}

#[test]
fn oversized_transaction_is_refused_before_decoding() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool();
    let huge = vec![0u8; TX_BYTES_MAX + 1];
    let e = assert_code(pool.admit_bytes(&huge, &view), "TX_TOO_LARGE");
    assert_eq!(e, AdmitError::TooLarge { bytes: TX_BYTES_MAX + 1, max: TX_BYTES_MAX });

    let t = tx(&cast.shipper, 0, 0);
    let size = t.encode().len();
    let mut small = pool_with(MempoolConfig { tx_bytes_max: size - 1, ..MempoolConfig::default() });
    let e = assert_code(small.admit(t.clone(), &view), "TX_TOO_LARGE");
    assert_eq!(e, AdmitError::TooLarge { bytes: size, max: size - 1 });
    assert_code(small.admit_bytes(&t.encode(), &view), "TX_TOO_LARGE");
    assert_code(small.admit_batch(vec![t.clone()], &view).remove(0), "TX_TOO_LARGE");
    assert!(small.is_empty());

    // A configured limit above the ledger's is capped by it.
    let mut lax = pool_with(MempoolConfig { tx_bytes_max: usize::MAX, ..MempoolConfig::default() });
    assert_code(lax.admit_bytes(&huge, &view), "TX_TOO_LARGE");
}

#[test]
fn malformed_bytes_are_refused() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool();
    let bytes = tx(&cast.shipper, 0, 0).encode();
    let mut trailing = bytes.clone();
    trailing.push(0);
    let cases: [&[u8]; 5] = [&[], &[1, 2, 3], &bytes[..bytes.len() - 1], &trailing, &[0xff; 200]];
    for bad in cases {
        assert!(matches!(
            assert_code(pool.admit_bytes(bad, &view), "MALFORMED_TX"),
            AdmitError::Malformed(_)
        ));
    }
    assert!(pool.is_empty());
}

#[test]
fn every_bit_flip_is_refused_and_nothing_is_admitted() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool();
    let bytes = tx(&cast.shipper, 0, 0).encode();
    for i in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[i / 8] ^= 1 << (i % 8);
        assert!(pool.admit_bytes(&flipped, &view).is_err(), "bit {i} flipped and still admitted");
    }
    assert!(pool.is_empty());
}

#[test]
fn transaction_for_another_chain_is_refused() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let mut pool = pool();
    let t = TxBody {
        chain_id: "ebl-other-1".into(),
        nonce: 0,
        signers: vec![cast.shipper.party()],
        action: Action::BlankEndorse { bl: BlId(Hash::ZERO) },
    }
    .sign(&[&cast.shipper]);
    let e = assert_code(pool.admit(t, &LedgerView(&ledger)), "WRONG_CHAIN");
    assert_eq!(e, AdmitError::WrongChain { expected: CHAIN_ID.into(), found: "ebl-other-1".into() });
}

#[test]
fn bad_signature_and_bad_envelope_are_refused() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool();
    let e = assert_code(pool.admit(spoiled(tx(&cast.shipper, 0, 0)), &view), "BAD_SIGNATURE");
    assert_eq!(e, AdmitError::Invalid(TxError::BadSignature(cast.shipper.party())));

    let body = |signers: Vec<PartyId>| TxBody {
        chain_id: CHAIN_ID.into(),
        nonce: 0,
        signers,
        action: Action::BlankEndorse { bl: BlId(Hash::ZERO) },
    };
    assert_code(pool.admit(body(vec![]).sign(&[]), &view), "NO_SIGNER");
    let s = cast.shipper.party();
    assert_code(
        pool.admit(body(vec![s, s]).sign(&[&cast.shipper, &cast.shipper]), &view),
        "DUPLICATE_SIGNER",
    );
    let c = cast.consignee.party();
    assert_code(pool.admit(body(vec![s, c]).sign(&[&cast.shipper]), &view), "SIGNATURE_COUNT");
    assert_code(pool.admit(body(vec![s]).sign(&[&cast.carrier]), &view), "BAD_SIGNATURE");
    // A co-signer's bad signature is as bad as the submitter's.
    assert_code(pool.admit(body(vec![s, c]).sign(&[&cast.shipper, &cast.bank]), &view), "BAD_SIGNATURE");
    assert!(pool.is_empty());
    // The good transaction is not blocked by its spoiled copy having been refused.
    assert!(pool.admit(tx(&cast.shipper, 0, 0), &view).is_ok());
}

#[test]
fn unregistered_submitter_is_refused() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let mut pool = pool();
    let e = assert_code(pool.admit(tx(&cast.stranger, 0, 0), &LedgerView(&ledger)), "UNKNOWN_SIGNER");
    assert_eq!(e, AdmitError::UnknownSigner(cast.stranger.party()));
}

#[test]
fn replayed_nonce_is_refused() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let t = tx(&cast.shipper, 0, 0);
    ledger.exec_block(vec![t.clone()]).expect("includable");
    let mut pool = pool();
    let e = assert_code(pool.admit(t, &LedgerView(&ledger)), "NONCE_TOO_LOW");
    assert_eq!(e, AdmitError::NonceTooLow { expected: 1, found: 0 });
}

#[test]
fn nonce_beyond_the_window_is_refused_and_a_gap_is_admitted() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool_with(MempoolConfig { nonce_window: 10, ..MempoolConfig::default() });
    let e = assert_code(pool.admit(tx(&cast.shipper, 10, 0), &view), "NONCE_TOO_HIGH");
    assert_eq!(e, AdmitError::NonceTooHigh { expected: 0, found: 10, window: 10 });
    assert_code(pool.admit(tx(&cast.shipper, u64::MAX, 0), &view), "NONCE_TOO_HIGH");
    let id = pool.admit(tx(&cast.shipper, 9, 0), &view).expect("last nonce of the window");
    assert!(pool.contains(&id));
    assert!(pool.reap(100, usize::MAX, &view).is_empty(), "a gap before it: not yet includable");
}

#[test]
fn second_transaction_with_a_pending_nonce_is_refused() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool();
    pool.admit(tx(&cast.shipper, 0, 0), &view).expect("admitted");
    let e = assert_code(pool.admit(tx(&cast.shipper, 0, 1), &view), "NONCE_TAKEN");
    assert_eq!(e, AdmitError::NonceTaken { nonce: 0 });
    // Another submitter's nonce 0 is its own.
    assert!(pool.admit(tx(&cast.carrier, 0, 1), &view).is_ok());
}

#[test]
fn party_quota_bounds_one_submitter_but_not_the_others() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool_with(MempoolConfig { party_txs_max: 2, ..MempoolConfig::default() });
    pool.admit(tx(&cast.shipper, 0, 0), &view).expect("admitted");
    pool.admit(tx(&cast.shipper, 1, 0), &view).expect("admitted");
    let e = assert_code(pool.admit(tx(&cast.shipper, 2, 0), &view), "PARTY_QUOTA");
    assert_eq!(e, AdmitError::PartyQuota { party: cast.shipper.party(), max: 2 });
    assert!(pool.admit(tx(&cast.carrier, 0, 0), &view).is_ok());
    assert_eq!(pool.party_len(&cast.shipper.party()), 2);
}

#[test]
fn committed_nonces_free_the_quota_at_the_next_admission() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let mut pool = pool_with(MempoolConfig { party_txs_max: 2, ..MempoolConfig::default() });
    let (t0, t1) = (tx(&cast.shipper, 0, 0), tx(&cast.shipper, 1, 0));
    pool.admit(t0.clone(), &LedgerView(&ledger)).expect("admitted");
    pool.admit(t1.clone(), &LedgerView(&ledger)).expect("admitted");
    // Committed elsewhere, and this pool not yet told.
    ledger.exec_block(vec![t0, t1]).expect("includable");
    assert!(pool.admit(tx(&cast.shipper, 2, 0), &LedgerView(&ledger)).is_ok());
    assert_eq!(pool.len(), 1);
}

#[test]
fn full_pool_refuses_by_count_and_by_bytes() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool_with(MempoolConfig { txs_max: 2, ..MempoolConfig::default() });
    pool.admit(tx(&cast.shipper, 0, 0), &view).expect("admitted");
    pool.admit(tx(&cast.carrier, 0, 0), &view).expect("admitted");
    let e = assert_code(pool.admit(tx(&cast.bank, 0, 0), &view), "MEMPOOL_FULL");
    assert_eq!(e, AdmitError::Full { txs_max: 2 });
    assert_eq!(pool.len(), 2);

    let size = tx(&cast.shipper, 0, 0).encode().len();
    let mut pool = pool_with(MempoolConfig { bytes_max: 2 * size + size / 2, ..MempoolConfig::default() });
    pool.admit(tx(&cast.shipper, 0, 0), &view).expect("admitted");
    pool.admit(tx(&cast.carrier, 0, 0), &view).expect("admitted");
    assert_code(pool.admit(tx(&cast.bank, 0, 0), &view), "MEMPOOL_FULL");
    assert_eq!(pool.bytes(), 2 * size);
}

#[test]
fn full_pool_has_room_again_after_a_commit() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let mut pool = pool_with(MempoolConfig { txs_max: 1, ..MempoolConfig::default() });
    let t = tx(&cast.shipper, 0, 0);
    pool.admit(t.clone(), &LedgerView(&ledger)).expect("admitted");
    assert_code(pool.admit(tx(&cast.carrier, 0, 0), &LedgerView(&ledger)), "MEMPOOL_FULL");
    ledger.exec_block(vec![t.clone()]).expect("includable");
    pool.remove_committed(&[t.id()], &LedgerView(&ledger));
    assert!(pool.is_empty() && pool.bytes() == 0);
    assert!(pool.admit(tx(&cast.carrier, 0, 0), &LedgerView(&ledger)).is_ok());
}

#[test]
fn peer_batch_isolates_the_bad_signature_and_accepts_the_rest() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool();
    let good = [tx(&cast.shipper, 0, 0), tx(&cast.shipper, 2, 0), tx(&cast.carrier, 0, 0)];
    let batch = vec![
        good[0].clone(),
        spoiled(tx(&cast.shipper, 1, 0)),
        good[1].clone(),
        tx(&cast.stranger, 0, 0),
        good[2].clone(),
        good[0].clone(),
        tx(&cast.carrier, 0, 9),
    ];
    let results = pool.admit_batch(batch, &view);
    assert_eq!(results.len(), 7);
    assert_eq!(results[0], Ok(good[0].id()));
    assert_eq!(results[1], Err(AdmitError::Invalid(TxError::BadSignature(cast.shipper.party()))));
    assert_eq!(results[2], Ok(good[1].id()));
    assert_eq!(results[3], Err(AdmitError::UnknownSigner(cast.stranger.party())));
    assert_eq!(results[4], Ok(good[2].id()));
    assert_eq!(results[5], Err(AdmitError::Duplicate(good[0].id())));
    assert_eq!(results[6], Err(AdmitError::NonceTaken { nonce: 0 }));
    assert_eq!(pool.len(), 3);
    // The spoiled nonce 1 left a gap: only what runs from the next nonces is reaped.
    let reaped = pool.reap(100, usize::MAX, &view);
    assert_eq!(ids(&reaped), vec![good[0].id(), good[2].id()]);
    // A peer's transactions are not gossiped again.
    assert!(pool.take_gossip_batch(100).is_empty());
}

#[test]
fn peer_batch_is_bounded_like_single_admissions() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool_with(MempoolConfig { txs_max: 3, party_txs_max: 2, ..MempoolConfig::default() });
    let batch: Vec<Transaction> =
        (0..3).map(|n| tx(&cast.shipper, n, 0)).chain((0..3).map(|n| tx(&cast.carrier, n, 0))).collect();
    let codes: Vec<&str> = pool
        .admit_batch(batch, &view)
        .iter()
        .map(|r| r.as_ref().map_or_else(|e| e.code(), |_| "OK"))
        .collect();
    // The carrier's third is over its quota within the batch (checked before signatures), its
    // second finds the pool full.
    assert_eq!(codes, ["OK", "OK", "PARTY_QUOTA", "OK", "MEMPOOL_FULL", "PARTY_QUOTA"]);
    assert_eq!(pool.len(), 3);
    assert!(pool.admit_batch(Vec::new(), &view).is_empty());
}

#[test]
fn reap_takes_consecutive_runs_and_waits_for_a_gap_to_fill() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool();
    for n in [3, 1, 0] {
        pool.admit(tx(&cast.shipper, n, 0), &view).expect("admitted");
    }
    let s = cast.shipper.party();
    assert_eq!(submitters_and_nonces(&pool.reap(100, usize::MAX, &view)), [(s, 0), (s, 1)]);
    pool.admit(tx(&cast.shipper, 2, 0), &view).expect("admitted");
    let reaped = pool.reap(100, usize::MAX, &view);
    assert_eq!(submitters_and_nonces(&reaped), [(s, 0), (s, 1), (s, 2), (s, 3)]);
    assert_eq!(pool.len(), 4, "reaping removes nothing");
}

#[test]
fn reap_interleaves_submitters_in_order_of_admission() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool();
    let (s, c, b) = (cast.shipper.party(), cast.carrier.party(), cast.bank.party());
    // The carrier's first transaction arrives first; the bank has only one.
    pool.admit(tx(&cast.carrier, 0, 0), &view).expect("admitted");
    for n in 0..3 {
        pool.admit(tx(&cast.shipper, n, 0), &view).expect("admitted");
    }
    for n in 1..3 {
        pool.admit(tx(&cast.carrier, n, 0), &view).expect("admitted");
    }
    pool.admit(tx(&cast.bank, 0, 0), &view).expect("admitted");
    let reaped = pool.reap(100, usize::MAX, &view);
    assert_eq!(submitters_and_nonces(&reaped), [(c, 0), (s, 0), (b, 0), (c, 1), (s, 1), (c, 2), (s, 2)]);
    // Same pool, same answer.
    assert_eq!(pool.reap(100, usize::MAX, &view), reaped);

    assert_eq!(submitters_and_nonces(&pool.reap(4, usize::MAX, &view)), [(c, 0), (s, 0), (b, 0), (c, 1)]);
    assert!(pool.reap(0, usize::MAX, &view).is_empty());
    let size = reaped[0].transaction().encode().len();
    assert_eq!(pool.reap(100, 2 * size + size / 2, &view).len(), 2);
    assert!(pool.reap(100, size - 1, &view).is_empty());
}

#[test]
fn a_transaction_too_big_for_the_rest_ends_only_its_submitters_run() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool();
    let big = TestLedger::tx_with_nonce(
        &[&cast.carrier],
        Action::RejectTransfer { bl: BlId(Hash::ZERO), reason: "x".repeat(1_000) },
        0,
    );
    pool.admit(big.clone(), &view).expect("admitted");
    pool.admit(tx(&cast.carrier, 1, 0), &view).expect("admitted");
    for n in 0..3 {
        pool.admit(tx(&cast.shipper, n, 0), &view).expect("admitted");
    }
    let small = tx(&cast.shipper, 0, 0).encode().len();
    assert!(big.encode().len() > 3 * small);
    let s = cast.shipper.party();
    let reaped = pool.reap(100, 3 * small, &view);
    assert_eq!(submitters_and_nonces(&reaped), [(s, 0), (s, 1), (s, 2)]);
}

#[test]
fn reaped_blocks_execute_and_commits_empty_the_pool() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let mut pool = pool();
    let keys = [&cast.shipper, &cast.carrier, &cast.bank, &cast.consignee];
    // Out of order, with gaps that later fill.
    for n in [4, 2, 0, 3, 1] {
        for key in keys {
            pool.admit(tx(key, n, 0), &LedgerView(&ledger)).expect("admitted");
        }
    }
    let mut blocks = 0;
    while !pool.is_empty() {
        let reaped = pool.reap(7, usize::MAX, &LedgerView(&ledger));
        assert!(!reaped.is_empty(), "everything pending is includable");
        let committed = ids(&reaped);
        let receipts = ledger
            .exec_block(reaped.into_iter().map(VerifiedTx::into_transaction).collect())
            .expect("a reaped block never holds a rejected transaction");
        assert_eq!(receipts.len(), committed.len());
        pool.remove_committed(&committed, &LedgerView(&ledger));
        blocks += 1;
    }
    assert_eq!(blocks, 3);
    for key in keys {
        assert_eq!(ledger.nonce(&key.party()), 5);
    }
}

#[test]
fn remove_committed_drops_what_another_proposer_overtook() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let mut pool = pool();
    let ours = [tx(&cast.shipper, 0, 0), tx(&cast.shipper, 1, 0), tx(&cast.shipper, 2, 0)];
    for t in &ours {
        pool.admit(t.clone(), &LedgerView(&ledger)).expect("admitted");
    }
    let kept = tx(&cast.carrier, 0, 0);
    pool.admit(kept.clone(), &LedgerView(&ledger)).expect("admitted");
    // Another proposer committed different transactions for the shipper's nonces 0 and 1.
    let theirs = vec![tx(&cast.shipper, 0, 7), tx(&cast.shipper, 1, 7)];
    let their_ids: Vec<TxId> = theirs.iter().map(Transaction::id).collect();
    ledger.exec_block(theirs).expect("includable");
    pool.remove_committed(&their_ids, &LedgerView(&ledger));
    assert!(!pool.contains(&ours[0].id()) && !pool.contains(&ours[1].id()));
    assert!(pool.contains(&ours[2].id()) && pool.contains(&kept.id()));
    assert_eq!(pool.len(), 2);
    assert_eq!(pool.bytes(), ours[2].encode().len() + kept.encode().len());
    // Unknown ids are ignored.
    pool.remove_committed(&[TxId(Hash::digest(b"never seen"))], &LedgerView(&ledger));
    assert_eq!(pool.len(), 2);
    let reaped = pool.reap(100, usize::MAX, &LedgerView(&ledger));
    assert_eq!(ids(&reaped), vec![ours[2].id(), kept.id()]);
}

#[test]
fn gossip_goes_out_in_batches_oldest_first() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let mut pool = pool();
    let txs: Vec<Transaction> = (0..5).map(|n| tx(&cast.shipper, n, 0)).collect();
    for t in &txs {
        pool.admit_bytes(&t.encode(), &LedgerView(&ledger)).expect("admitted");
    }
    let from_peer = tx(&cast.carrier, 0, 0);
    assert!(pool.admit_batch(vec![from_peer], &LedgerView(&ledger))[0].is_ok());
    assert_eq!(pool.take_gossip_batch(2), txs[..2]);
    // Committed before it was gossiped: peers get it in the block instead.
    ledger.exec_block(txs[..3].to_vec()).expect("includable");
    pool.remove_committed(&[txs[2].id()], &LedgerView(&ledger));
    assert_eq!(pool.take_gossip_batch(100), txs[3..]);
    assert!(pool.take_gossip_batch(100).is_empty());
    pool.admit(tx(&cast.bank, 0, 0), &LedgerView(&ledger)).expect("admitted");
    assert!(pool.take_gossip_batch(0).is_empty());
    assert_eq!(pool.take_gossip_batch(10).len(), 1);
}

#[test]
fn a_view_can_be_a_table_of_nonces() {
    let cast = Cast::new();
    let mut view = std::collections::BTreeMap::new();
    view.insert(cast.shipper.party(), 5);
    let mut pool = pool();
    assert_code(pool.admit(tx(&cast.shipper, 4, 0), &view), "NONCE_TOO_LOW");
    assert!(pool.admit(tx(&cast.shipper, 5, 0), &view).is_ok());
    assert_code(pool.admit(tx(&cast.carrier, 0, 0), &view), "UNKNOWN_SIGNER");
    let dyn_view: &dyn NonceView = &view;
    assert_eq!(pool.reap(10, usize::MAX, dyn_view).len(), 1);
}

#[test]
fn copies_of_one_forged_transaction_in_a_batch_cost_one_signature_check() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool();
    let forged = spoiled(tx(&cast.carrier, 0, 0));
    // Also the same (submitter, nonce) with another body: refused before any signature check.
    let same_nonce = spoiled(tx(&cast.carrier, 0, 1));
    let mut batch = vec![forged.clone(); 2_000];
    batch.push(same_nonce);
    let checked = pool.precheck(batch, &view);
    assert_eq!(checked.signatures(), 1, "one signature left to check of 2,001 transactions");
    let verified = checked.verify();
    assert_eq!(verified.bad_signatures(), 1);
    let results = pool.insert_verified(verified, false, &view);
    assert_eq!(results[0], Err(AdmitError::Invalid(TxError::BadSignature(cast.carrier.party()))));
    assert!(results[1..2_000].iter().all(|r| *r == Err(AdmitError::Duplicate(forged.id()))));
    assert_eq!(results[2_000], Err(AdmitError::NonceTaken { nonce: 0 }));
    assert!(pool.is_empty());
}

#[test]
fn a_batch_is_not_checked_past_the_chunk_with_a_bad_signature() {
    use ebl_node::mempool::VERIFY_CHUNK_TXS;
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let n = VERIFY_CHUNK_TXS as u64 + 200;
    let config = MempoolConfig { party_txs_max: 10_000, nonce_window: 10_000, ..MempoolConfig::default() };
    let mut pool = pool_with(config);
    // A forgery at the head of the first chunk: that chunk is checked one by one (its honest
    // transactions are admitted), the second chunk is not checked at all.
    let batch: Vec<Transaction> = (0..n)
        .map(|k| if k == 1 { spoiled(tx(&cast.shipper, k, 0)) } else { tx(&cast.shipper, k, 0) })
        .collect();
    let results = pool.admit_batch(batch, &view);
    let chunk = VERIFY_CHUNK_TXS;
    assert_eq!(results[1], Err(AdmitError::Invalid(TxError::BadSignature(cast.shipper.party()))));
    assert!(results[..chunk].iter().enumerate().all(|(k, r)| k == 1 || r.is_ok()));
    assert!(results[chunk..].iter().all(|r| *r == Err(AdmitError::Abandoned)), "the rest is abandoned");
    assert_eq!(AdmitError::Abandoned.code(), "BATCH_ABANDONED");
    assert_eq!(pool.len(), chunk - 1);
}

#[test]
fn a_submitters_transactions_beyond_its_quota_in_one_batch_are_refused_before_their_signatures() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let mut pool = pool_with(MempoolConfig { party_txs_max: 3, ..MempoolConfig::default() });
    let batch: Vec<Transaction> = (0..10).map(|k| spoiled(tx(&cast.shipper, k, 0))).collect();
    let checked = pool.precheck(batch, &view);
    assert_eq!(checked.signatures(), 3, "only the quota's worth is checked");
}

/// A ledger view with some parties suspended.
struct Suspending<'a>(LedgerView<'a>, Vec<PartyId>);

impl NonceView for Suspending<'_> {
    fn next_nonce(&self, party: &PartyId) -> Option<u64> {
        self.0.next_nonce(party)
    }
    fn is_suspended(&self, party: &PartyId) -> bool {
        self.1.contains(party)
    }
}

#[test]
fn a_suspended_submitter_or_co_signer_is_refused_at_the_door() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = Suspending(LedgerView(&ledger), vec![cast.bank.party()]);
    let mut pool = pool();
    let e = assert_code(pool.admit(tx(&cast.bank, 0, 0), &view), "SUSPENDED_SIGNER");
    assert_eq!(e, AdmitError::SuspendedSigner(cast.bank.party()));
    let co_signed = TestLedger::tx_with_nonce(
        &[&cast.shipper, &cast.bank],
        Action::BlankEndorse { bl: BlId(Hash::digest(b"x")) },
        0,
    );
    assert_code(pool.admit(co_signed, &view), "SUSPENDED_SIGNER");
    assert!(pool.is_empty());
    assert!(pool.admit(tx(&cast.shipper, 0, 0), &view).is_ok(), "others are not affected");
}

#[test]
fn nonce_errors_do_not_tell_the_submitters_next_nonce() {
    let low = AdmitError::NonceTooLow { expected: 33, found: 2 };
    let high = AdmitError::NonceTooHigh { expected: 33, found: 5_000, window: 1_000 };
    for e in [low, high] {
        assert!(!e.to_string().contains("33"), "{e}");
    }
}

#[test]
fn gapped_transactions_make_room_for_executable_ones_and_expire() {
    let cast = Cast::new();
    let ledger = TestLedger::new(&cast);
    let view = LedgerView(&ledger);
    let ttl = std::time::Duration::from_secs(60);
    let mut pool = pool_with(MempoolConfig { txs_max: 4, gap_ttl: ttl, ..MempoolConfig::default() });
    // The shipper parks four transactions behind a gap (its next nonce is 0): the pool is full,
    // and none of them can go in a block.
    for nonce in 5..9 {
        pool.admit(tx(&cast.shipper, nonce, 0), &view).expect("room while not full");
    }
    assert!(!pool.has_executable(), "a proposer does not wait for gapped transactions");
    // Another gapped transaction finds the pool full...
    assert_code(pool.admit(tx(&cast.carrier, 3, 0), &view), "MEMPOOL_FULL");
    // ...an executable one evicts the newest gapped one.
    let carrier = pool.admit(tx(&cast.carrier, 0, 0), &view).expect("an executable transaction makes room");
    assert!(pool.has_executable());
    assert_eq!(pool.len(), 4);
    assert_eq!(pool.party_len(&cast.shipper.party()), 3);
    assert!(pool.by_submitter_nonce(&cast.shipper.party(), 8).is_none(), "the newest gapped one went");
    // And its successor too (it extends the carrier's run).
    pool.admit(tx(&cast.carrier, 1, 0), &view).expect("the run goes on");
    assert_eq!(pool.party_len(&cast.shipper.party()), 2);
    // A run fills the pool: nothing is evicted for a gapped transaction.
    #[allow(clippy::disallowed_methods)]
    let now = std::time::Instant::now();
    assert_eq!(pool.expire_gapped(now, &view), 0, "nothing is older than the ttl yet");
    assert_eq!(pool.expire_gapped(now + 2 * ttl, &view), 2, "the gapped ones expire");
    assert!(pool.contains(&carrier), "an executable transaction never expires");
    assert_eq!(pool.len(), 2);
}
