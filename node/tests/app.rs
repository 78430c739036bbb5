//! The application core over real RocksDB: a proposer builds blocks, a second validator with its
//! own database validates and commits them, and every kind of wrong block is refused.

use std::sync::Arc;

use ebl_contracts::testkit::{to_order, Cast, CHAIN_ID, GENESIS_TIME_MS};
use ebl_ledger::{Action, BlId, ErrorCode, Hash, Keypair, Transaction, TxBody, TxError, VerifiedTx};
use ebl_node::app::{App, BlockError, BlockLimits, NodeError};
use ebl_node::genesis::{GenesisFile, ValidatorInfo};
use ebl_node::storage::Storage;
use tempfile::TempDir;

const LIMITS: BlockLimits = BlockLimits { txs_max: 5_000, bytes_max: 8 * 1024 * 1024 };
const DRIFT_MS: u64 = 2_000;

fn genesis(cast: &Cast) -> GenesisFile {
    let g = cast.genesis();
    let validators = [&cast.carrier, &cast.bank, &cast.customs, &cast.terminal]
        .iter()
        .enumerate()
        .map(|(i, k)| ValidatorInfo {
            name: format!("validator-{i}"),
            operator: k.party(),
            consensus_key: Keypair::for_test(&format!("validator-{i}/consensus")).party(),
            node_key: Keypair::for_test(&format!("validator-{i}/node")).party(),
            voting_power: 1,
            p2p_address: format!("/ip4/127.0.0.1/tcp/{}", 27000 + i),
        })
        .collect();
    GenesisFile {
        chain_id: g.chain_id,
        genesis_time_ms: g.genesis_time_ms,
        validators,
        parties: g.parties,
        registrar_quorum: 1,
    }
}

/// A validator with its own database in a temporary directory.
struct Validator {
    app: App,
    dir: TempDir,
}

impl Validator {
    fn new(genesis: &GenesisFile) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let app = App::open(Storage::open(dir.path()).expect("open"), genesis).expect("genesis");
        Validator { app, dir }
    }

    fn reopen(self, genesis: &GenesisFile) -> Self {
        let Validator { app, dir } = self;
        drop(app);
        let app = App::open(Storage::open(dir.path()).expect("reopen"), genesis).expect("app");
        Validator { app, dir }
    }
}

fn signed(keys: &[&Keypair], nonce: u64, action: Action) -> Transaction {
    TxBody { chain_id: CHAIN_ID.into(), nonce, signers: keys.iter().map(|k| k.party()).collect(), action }
        .sign(keys)
}

fn verified(txs: Vec<Transaction>) -> Vec<VerifiedTx> {
    txs.into_iter().map(|t| t.verify().expect("valid signature")).collect()
}

fn time(height: u64) -> u64 {
    GENESIS_TIME_MS + height * 1_000
}

/// The proposer builds, the other validates; both commit.
fn decide(
    proposer: &mut Validator,
    other: &mut Validator,
    key: &Keypair,
    txs: Vec<Transaction>,
) -> Vec<ebl_ledger::Receipt> {
    let t = time(proposer.app.tip().height + 1);
    let prepared = proposer.app.build_block(t, key.party(), verified(txs), LIMITS).expect("build");
    let checked = other.app.validate_block(prepared.block().clone(), t, DRIFT_MS).expect("valid block");
    assert_eq!(checked.receipts(), prepared.receipts());
    proposer.app.commit(&prepared, b"certificate").expect("commit");
    other.app.commit(&checked, b"certificate").expect("commit");
    prepared.receipts().to_vec()
}

#[test]
fn two_validators_agree_on_every_block_and_survive_a_restart() {
    let cast = Cast::new();
    let genesis = genesis(&cast);
    let mut a = Validator::new(&genesis);
    let mut b = Validator::new(&genesis);
    assert_eq!(a.app.tip(), b.app.tip());

    let issue = signed(&[&cast.carrier], 0, to_order("HHL71800000", &cast.shipper, Some(&cast.shipper)));
    let receipts = decide(&mut a, &mut b, &cast.carrier, vec![issue.clone()]);
    assert!(receipts[0].is_success());
    let bl = BlId::new(&cast.carrier.party(), "HHL71800000");
    let transfer = signed(&[&cast.shipper], 0, Action::Transfer { bl, to: cast.bank.party() });
    decide(&mut b, &mut a, &cast.bank, vec![transfer.clone()]);
    assert_eq!(a.app.tip(), b.app.tip());
    assert_eq!(a.app.tip().height, 2);

    // Both databases hold the same blocks, receipts, certificates and indices.
    for h in 1..=2 {
        assert_eq!(a.app.storage().block(h).expect("read"), b.app.storage().block(h).expect("read"));
        assert_eq!(a.app.storage().certificate(h).expect("read").as_deref(), Some(&b"certificate"[..]));
    }
    assert_eq!(a.app.storage().tx_location(&transfer.id()).expect("read"), Some((2, 0)));
    assert_eq!(a.app.storage().txs_of_bl(&bl, 10).expect("read"), vec![(1, 0), (2, 0)]);
    // Every party that held the BL lists it, on both validators: the issuing carrier, the
    // shipper (issued to), the bank (transferred to), and after the bank passes it back the
    // shipper still (a transfer's submitter is not indexed again: it was when it became holder).
    let back = signed(&[&cast.bank], 0, Action::Transfer { bl, to: cast.shipper.party() });
    assert!(decide(&mut a, &mut b, &cast.carrier, vec![back])[0].is_success());
    for v in [&a, &b] {
        for party in [&cast.carrier, &cast.shipper, &cast.bank] {
            assert_eq!(v.app.storage().bls_of_party(&party.party(), 10).expect("read"), vec![bl]);
        }
        assert!(v.app.storage().bls_of_party(&cast.customs.party(), 10).expect("read").is_empty());
    }

    let tip = a.app.tip().clone();
    let a = a.reopen(&genesis);
    assert_eq!(a.app.tip(), &tip, "a restarted node resumes at its last committed block");
    assert_eq!(a.app.state().root().expect("root"), tip.state_root);
}

#[test]
fn a_database_of_another_chain_is_refused() {
    let cast = Cast::new();
    let genesis = genesis(&cast);
    let v = Validator::new(&genesis);
    let mut other = genesis.clone();
    other.chain_id = "another-chain".into();
    let dir = v.dir;
    drop(v.app);
    let err = App::open(Storage::open(dir.path()).expect("open"), &other).expect_err("other chain");
    assert!(matches!(err, NodeError::ChainMismatch { .. }));
}

#[test]
fn the_proposer_leaves_out_what_cannot_be_included() {
    let cast = Cast::new();
    let genesis = genesis(&cast);
    let v = Validator::new(&genesis);
    let good = signed(&[&cast.carrier], 0, to_order("HHL71800000", &cast.shipper, None));
    let replay = good.clone();
    let future = signed(&[&cast.carrier], 7, to_order("HHL71800001", &cast.shipper, None));
    let stranger = signed(&[&cast.stranger], 0, to_order("HHL71800002", &cast.shipper, None));
    let prepared = v
        .app
        .build_block(time(1), cast.carrier.party(), verified(vec![good, replay, future, stranger]), LIMITS)
        .expect("build");
    assert_eq!(prepared.block().txs.len(), 1);
    let reasons: Vec<&TxError> = prepared.left_out().iter().map(|(_, e)| e).collect();
    assert!(matches!(
        reasons[..],
        [TxError::BadNonce { .. }, TxError::BadNonce { .. }, TxError::UnknownSigner(_)]
    ));
}

#[test]
fn conflicting_transfers_in_one_block_commit_once() {
    let cast = Cast::new();
    let genesis = genesis(&cast);
    let mut a = Validator::new(&genesis);
    let mut b = Validator::new(&genesis);
    decide(
        &mut a,
        &mut b,
        &cast.carrier,
        vec![signed(&[&cast.carrier], 0, to_order("HHL71800000", &cast.shipper, None))],
    );
    let bl = BlId::new(&cast.carrier.party(), "HHL71800000");
    let to_bank = signed(&[&cast.shipper], 0, Action::Transfer { bl, to: cast.bank.party() });
    let to_consignee = signed(&[&cast.shipper], 1, Action::Transfer { bl, to: cast.consignee.party() });
    let receipts = decide(&mut a, &mut b, &cast.carrier, vec![to_bank, to_consignee]);
    assert!(receipts[0].is_success());
    assert_eq!(receipts[1].error(), Some(ErrorCode::NotPossessor));
}

/// Recomputes the tx root, as a Byzantine proposer would, so the block fails later checks.
fn reseal(block: &mut ebl_ledger::Block) {
    block.header.tx_root = ebl_ledger::block::tx_root(&block.txs);
}

/// A block built honestly, then altered by `tamper`, must be refused by a validator.
fn refused(tamper: impl FnOnce(&mut ebl_ledger::Block, &Cast)) -> BlockError {
    let cast = Cast::new();
    let genesis = genesis(&cast);
    let proposer = Validator::new(&genesis);
    let validator = Validator::new(&genesis);
    let txs = vec![
        signed(&[&cast.carrier], 0, to_order("HHL71800000", &cast.shipper, None)),
        signed(&[&cast.carrier], 1, to_order("HHL71800001", &cast.shipper, None)),
    ];
    let mut block = proposer
        .app
        .build_block(time(1), cast.carrier.party(), verified(txs), LIMITS)
        .expect("build")
        .into_block();
    tamper(&mut block, &cast);
    validator.app.validate_block(block, time(1), DRIFT_MS).expect_err("must be refused")
}

#[test]
fn a_byzantine_proposers_blocks_are_refused() {
    assert!(matches!(
        refused(|b, _| b.header.state_root = Hash::digest(b"lie")),
        BlockError::Mismatch { field: "state_root", .. }
    ));
    assert!(matches!(
        refused(|b, _| b.header.receipts_root = Hash::ZERO),
        BlockError::Mismatch { field: "receipts_root", .. }
    ));
    assert!(matches!(refused(|b, _| b.txs.swap(0, 1)), BlockError::Mismatch { field: "tx_root", .. }));
    assert!(matches!(refused(|b, _| b.header.height = 5), BlockError::WrongHeight { expected: 1, found: 5 }));
    assert!(matches!(
        refused(|b, _| b.header.parent_hash = Hash::digest(b"fork")),
        BlockError::WrongParent { .. }
    ));
    assert!(matches!(refused(|b, _| b.header.chain_id = "other".into()), BlockError::WrongChain { .. }));
    assert!(matches!(
        refused(|b, _| b.header.time_ms = GENESIS_TIME_MS),
        BlockError::TimeNotAfterParent { .. }
    ));
    assert!(matches!(refused(|b, _| b.header.time_ms = time(1) + 60_000), BlockError::TimeInFuture { .. }));
    // A changed signature changes the tx root: the block hash commits to the signatures.
    assert!(matches!(
        refused(|b, _| b.txs[1].signatures[0].0[0] ^= 1),
        BlockError::Mismatch { field: "tx_root", .. }
    ));
    // Resealed, the bad signature itself is caught.
    assert!(matches!(
        refused(|b, _| {
            b.txs[1].signatures[0].0[0] ^= 1;
            reseal(b);
        }),
        BlockError::InvalidTx { index: 1, error: TxError::BadSignature(_) }
    ));
    // A transaction that may not be included at all (a replay of the first) makes the block invalid.
    assert!(matches!(
        refused(|b, _| {
            let first = b.txs[0].clone();
            b.txs.push(first);
            reseal(b);
        }),
        BlockError::Rejected(_)
    ));
    assert!(matches!(
        refused(|b, cast| {
            b.txs.push(signed(&[&cast.stranger], 0, to_order("X1", &cast.stranger, None)));
            reseal(b);
        }),
        BlockError::Rejected(_)
    ));
}

/// A validator takes the signatures of the transactions its mempool verified as checked — but
/// only for the very transaction of the block: a known entry with the same submitter and nonce
/// and another content (or signature) does not vouch for the block's, which is then verified.
#[test]
fn only_the_very_transaction_known_verified_skips_verification() {
    let cast = Cast::new();
    let genesis = genesis(&cast);
    let proposer = Validator::new(&genesis);
    let validator = Validator::new(&genesis);
    let honest = signed(&[&cast.carrier], 0, to_order("HHL71800000", &cast.shipper, None));
    let other = signed(&[&cast.carrier], 0, to_order("HHL71800009", &cast.shipper, None));
    let block = proposer
        .app
        .build_block(time(1), cast.carrier.party(), verified(vec![honest]), LIMITS)
        .expect("build");
    let block = block.into_block();
    let check = |block: &ebl_ledger::Block, known: Vec<Option<VerifiedTx>>| {
        let known = known.into_iter().map(|k| k.map(Arc::new)).collect();
        validator.app.validate_block_with(block.clone(), time(1), DRIFT_MS, known).map(|(_, reused)| reused)
    };
    assert_eq!(check(&block, verified(block.txs.clone()).into_iter().map(Some).collect()).ok(), Some(1));
    assert_eq!(check(&block, vec![Some(verified(vec![other.clone()]).remove(0))]).ok(), Some(0));
    assert_eq!(check(&block, Vec::new()).ok(), Some(0));

    // A forged signature in the block, with the honest transaction known at its position.
    let mut forged = block.clone();
    forged.txs[0].signatures[0].0[0] ^= 1;
    reseal(&mut forged);
    let known = verified(block.txs.clone()).into_iter().map(Some).collect();
    assert!(matches!(
        check(&forged, known),
        Err(BlockError::InvalidTx { index: 0, error: TxError::BadSignature(_) })
    ));
}

/// A large block's signatures are verified in several batches on several threads: the verdict
/// and the order are those of one batch — every transaction verified in place, and a bad
/// signature anywhere (here in a later batch) named by its index in the block.
#[test]
fn a_large_blocks_signatures_are_verified_in_parallel_batches_in_order() {
    let cast = Cast::new();
    let signers = [&cast.shipper, &cast.consignee, &cast.bank, &cast.forwarder];
    let txs: Vec<Transaction> = (0..1_100u64)
        .map(|i| {
            let key = signers[i as usize % signers.len()];
            let bl = BlId(Hash::digest(&i.to_be_bytes()));
            signed(&[key], i, Action::Transfer { bl, to: cast.consignee.party() })
        })
        .collect();
    let header = ebl_ledger::BlockHeader {
        chain_id: CHAIN_ID.into(),
        height: 1,
        parent_hash: Hash::ZERO,
        time_ms: time(1),
        proposer: cast.carrier.party(),
        tx_root: ebl_ledger::block::tx_root(&txs),
        state_root: Hash::ZERO,
        receipts_root: Hash::ZERO,
    };
    let block = ebl_ledger::Block { header, txs };
    let mut known = vec![None; block.txs.len()];
    known[7] = Some(Arc::new(verified(vec![block.txs[7].clone()]).remove(0)));
    let (checked, reused) = App::verify_block_txs(block.txs.clone(), known).expect("all valid");
    assert_eq!(reused, 1);
    let ids: Vec<_> = checked.iter().map(VerifiedTx::id).collect();
    assert_eq!(ids, block.txs.iter().map(Transaction::id).collect::<Vec<_>>(), "every one, in block order");

    let mut bad = block.clone();
    bad.txs[1_000].signatures[0].0[5] ^= 1;
    assert!(matches!(
        App::verify_block_txs(bad.txs, Vec::new()),
        Err(BlockError::InvalidTx { index: 1_000, error: TxError::BadSignature(_) })
    ));
}
