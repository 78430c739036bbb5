//! Execution and state-root cost of a full block of TRANSFERs.
//!
//! * `execution/apply_transfers/10000`: `execute_block` over 10,000 TRANSFER transactions
//!   whose signatures are taken as checked (`VerifiedTx::assume_verified`): the state machine
//!   alone, reading from and writing to the in-memory JMT store.
//! * `state_root/prepare_after_transfers/5000`: `StateTree::prepare` (new JMT root and node
//!   batch) for the writes of a 5,000-transfer block; `state_root/commit_after_transfers/5000`
//!   also writes them to the in-memory store.
//!
//! The ledger under test holds the standard cast plus `HOLDERS` traders and `BLS` to-order
//! BLs endorsed in blank, spread over the traders, issued by the carrier in setup blocks.
//! Each transfer moves one BL from its holder to the next trader; each trader's nonces are
//! consecutive, so every transaction is includable and every receipt is a success (checked
//! once before timing).
//!
//! Run: `cargo bench -p ebl-contracts --bench execution`

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ebl_contracts::testkit::{to_order, Cast, TestLedger, CHAIN_ID};
use ebl_contracts::{execute_block, BlockCtx, Genesis, WriteSet};
use ebl_ledger::action::{ExternalCodes, RegisterParty};
use ebl_ledger::limits::BLOCK_TXS_MAX;
use ebl_ledger::records::{BlId, BlRecord, BlStatus, Role, RoleSet, StateKey};
use ebl_ledger::{encoding, Action, Keypair, MemStore, StateTree, Transaction, TxBody, VerifiedTx};

/// BLs on the ledger, one per transfer of the large block.
const BLS: usize = 10_000;
/// Traders holding them.
const HOLDERS: usize = 100;
/// Transactions per setup (issuance) block.
const SETUP_BLOCK_TXS: usize = 5_000;
/// Transfers in the block whose state-root update is measured.
const ROOT_BLOCK_TXS: usize = 5_000;
// Every block built here is one a validator would accept.
const _: () = assert!(SETUP_BLOCK_TXS <= BLOCK_TXS_MAX && BLS <= BLOCK_TXS_MAX && ROOT_BLOCK_TXS <= BLS);

/// A DCSA-style `transportDocumentReference` (carrier prefix + serial, ≤ 20 characters).
fn reference(i: usize) -> String {
    format!("HHL7{i:07}")
}

struct Fixture {
    ledger: TestLedger,
    /// Block context of the next block.
    ctx: BlockCtx,
    /// `BLS` transfers, BL `i` from holder `i % HOLDERS` to the next holder.
    transfers: Vec<VerifiedTx>,
}

fn fixture() -> Fixture {
    let cast = Cast::new();
    let holders: Vec<Keypair> =
        (0..HOLDERS).map(|i| Keypair::for_test(&format!("bench trader {i}"))).collect();
    let Genesis { chain_id, genesis_time_ms, mut parties, validators, registrar_quorum } = cast.genesis();
    parties.extend(holders.iter().enumerate().map(|(i, k)| RegisterParty {
        party: k.party(),
        legal_name: format!("Bench Trader {i:03} Ltd"),
        roles: RoleSet::of(&[Role::Trader]),
        codes: ExternalCodes::default(),
    }));
    let mut ledger = TestLedger::from_genesis(Genesis {
        chain_id,
        genesis_time_ms,
        parties,
        validators,
        registrar_quorum,
    });

    // Issue the BLs to order, endorsed in blank (bearer), in full setup blocks.
    let carrier_nonce = ledger.nonce(&cast.carrier.party());
    let issues: Vec<Transaction> = (0..BLS)
        .map(|i| {
            let holder = &holders[i % HOLDERS];
            let action = to_order(&reference(i), holder, None);
            TestLedger::tx_with_nonce(&[&cast.carrier], action, carrier_nonce + i as u64)
        })
        .collect();
    for block in issues.chunks(SETUP_BLOCK_TXS) {
        let receipts = ledger.exec_block(block.to_vec()).expect("setup block is valid");
        assert!(receipts.iter().all(|r| r.is_success()), "every ISSUE succeeds");
    }

    let nonces: Vec<u64> = holders.iter().map(|h| ledger.nonce(&h.party())).collect();
    let transfers = (0..BLS)
        .map(|i| {
            let from = &holders[i % HOLDERS];
            let to = holders[(i + 1) % HOLDERS].party();
            let bl = BlId::new(&cast.carrier.party(), &reference(i));
            let tx = TxBody {
                chain_id: CHAIN_ID.into(),
                nonce: nonces[i % HOLDERS] + (i / HOLDERS) as u64,
                signers: vec![from.party()],
                action: Action::Transfer { bl, to },
            }
            .sign(&[from]);
            VerifiedTx::assume_verified(tx)
        })
        .collect();
    let ctx = ledger.ctx();
    Fixture { ledger, ctx, transfers }
}

/// Executes `txs` once outside any timing and checks that every one succeeded, so the
/// benches measure transfers and not refusals.
fn writes_of_successful_block(fixture: &Fixture, txs: &[VerifiedTx]) -> WriteSet {
    let executed =
        execute_block(&fixture.ledger.tree, &fixture.ctx, txs).expect("every transfer is includable");
    assert_eq!(executed.receipts.len(), txs.len());
    assert!(
        executed.receipts.iter().all(|r| r.is_success()),
        "a transfer was refused: {:?}",
        executed.receipts.iter().find(|r| !r.is_success())
    );
    // Every BL moved to its recipient, still ISSUED.
    for tx in txs {
        let Action::Transfer { bl, to } = &tx.body().action else { panic!("only transfers here") };
        let bytes =
            executed.writes.get(&StateKey::Bl(*bl)).cloned().flatten().expect("the BL record was written");
        let record: BlRecord = encoding::decode(&bytes, usize::MAX).expect("a BL record");
        assert_eq!((record.status, record.possessor), (BlStatus::Issued, *to));
    }
    executed.writes
}

fn benches(c: &mut Criterion) {
    let fixture = fixture();
    let all = &fixture.transfers[..];
    let tree = &fixture.ledger.tree;
    let ctx = &fixture.ctx;
    writes_of_successful_block(&fixture, all);

    let mut group = c.benchmark_group("execution");
    group.sample_size(10);
    group.throughput(Throughput::Elements(all.len() as u64));
    // One iteration per batch: the block's receipts and write set are dropped outside the timing.
    group.bench_function(format!("apply_transfers/{}", all.len()), |b| {
        b.iter_batched(|| (), |()| execute_block(tree, ctx, all), BatchSize::PerIteration)
    });
    group.finish();

    let block = &all[..ROOT_BLOCK_TXS];
    let writes = writes_of_successful_block(&fixture, block);
    // Each transfer writes its BL and one history entry; each trader's nonce is written once.
    assert_eq!(writes.len(), 2 * block.len() + HOLDERS);
    let version = ctx.height;
    let (root, _) = tree.prepare(version, &writes).expect("the update is computed");
    let mut fresh = StateTree::new(tree.store().clone());
    assert_eq!(fresh.commit(version, &writes), Ok(root), "commit writes the prepared root");
    let mut group = c.benchmark_group("state_root");
    group.sample_size(10);
    group.throughput(Throughput::Elements(block.len() as u64));
    group.bench_function(format!("prepare_after_transfers/{}", block.len()), |b| {
        b.iter_batched(|| (), |()| tree.prepare(version, &writes).expect("prepare"), BatchSize::PerIteration)
    });
    group.bench_function(format!("commit_after_transfers/{}", block.len()), |b| {
        b.iter_batched(
            || StateTree::new(tree.store().clone()),
            |mut fresh: StateTree<MemStore>| {
                let root = fresh.commit(version, &writes).expect("commit");
                // Returned, so the store is dropped outside the timing.
                (root, fresh)
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(execution, benches);
criterion_main!(execution);
