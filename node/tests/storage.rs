//! RocksDB storage against real databases in temp dirs: blocks made by the real state machine
//! (`ebl_contracts`), executed over the stored state tree, committed, reopened and compared
//! with an in-memory `TestLedger` running the same transactions.
//!
//! The crash test re-runs this binary as a child process in "writer" mode (selected by
//! [`WRITER_DIR_ENV`]), lets it commit blocks in a loop, SIGKILLs it, and checks the database
//! it leaves.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use ebl_contracts::testkit::{straight, to_order, Cast, TestLedger, BLOCK_MS, CHAIN_ID, GENESIS_TIME_MS};
use ebl_contracts::{execute_block, BlockCtx};
use ebl_ledger::action::{Action, IssueReleaseOrder};
use ebl_ledger::block::{receipts_root, tx_root};
use ebl_ledger::jmt::storage::{NibblePath, NodeKey};
use ebl_ledger::records::{ContainerRef, StateKey};
use ebl_ledger::tx::verify_batch;
use ebl_ledger::{
    encoding, BlId, Block, BlockHeader, Hash, Keypair, MemStore, PartyId, Receipt, StateRead, StateStore,
    StateTree, Transaction, TxId, VerifiedTx,
};
use ebl_node::storage::layout::{self, TipRecord};
use ebl_node::storage::{BlockCommit, IndexEntry, Storage, StorageError, StorageOptions, Tip};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// The certificate a test "consensus" produced for `height`: opaque bytes, distinct per height.
fn certificate(height: u64) -> Vec<u8> {
    format!("commit-certificate-{height}").into_bytes()
}

/// Writes the test cast's genesis as version 0 of the stored tree.
fn commit_genesis(storage: &Storage, cast: &Cast) -> Hash {
    let writes = cast.genesis().writes().expect("test genesis is valid");
    let (root, update) = StateTree::new(storage.clone()).prepare(0, &writes).expect("prepare genesis");
    storage.commit_genesis(CHAIN_ID, GENESIS_TIME_MS, &update, root, &[]).expect("commit genesis");
    root
}

/// Signs `(signer, action)` pairs with the signers' next nonces, counting earlier
/// transactions of the same signer in the same block.
fn sign_block(reference: &TestLedger, items: Vec<(&Keypair, Action)>) -> Vec<Transaction> {
    let mut spent: BTreeMap<PartyId, u64> = BTreeMap::new();
    items
        .into_iter()
        .map(|(signer, action)| {
            let submitter = signer.party();
            let offset = spent.entry(submitter).or_insert(0);
            let nonce = reference.nonce(&submitter) + *offset;
            *offset += 1;
            TestLedger::tx_with_nonce(&[signer], action, nonce)
        })
        .collect()
}

/// Executes `txs` in the in-memory reference ledger and returns the block a proposer would
/// make of them, with every header field computed.
fn propose(
    reference: &mut TestLedger,
    parent: Hash,
    proposer: PartyId,
    txs: Vec<Transaction>,
) -> (Block, Vec<Receipt>) {
    let ctx = reference.ctx();
    let receipts = reference.exec_block(txs.clone()).expect("reference executes the block");
    let header = BlockHeader {
        chain_id: CHAIN_ID.into(),
        height: ctx.height,
        parent_hash: parent,
        time_ms: ctx.time_ms,
        proposer,
        tx_root: tx_root(&txs),
        state_root: reference.root(),
        receipts_root: receipts_root(&receipts),
    };
    (Block { header, txs }, receipts)
}

/// What a validator does with a decided block: execute it over the stored state, prepare the
/// tree update, check the root against the header. Returns the receipts and the update.
fn execute(storage: &Storage, block: &Block) -> (Vec<Receipt>, ebl_ledger::StateUpdate) {
    let verified: Vec<VerifiedTx> =
        verify_batch(block.txs.clone()).into_iter().collect::<Result<_, _>>().expect("signatures verify");
    let header = &block.header;
    let ctx = BlockCtx { chain_id: header.chain_id.clone(), height: header.height, time_ms: header.time_ms };
    let tree = StateTree::new(storage.clone());
    let executed = execute_block(&tree, &ctx, &verified).expect("block executes over the stored state");
    let (root, update) = tree.prepare(header.height, &executed.writes).expect("prepare");
    assert_eq!(root, header.state_root, "the stored state computes the header's root");
    (executed.receipts, update)
}

/// Executes and commits `block` with its index entries.
fn commit(storage: &Storage, block: &Block, index: &[IndexEntry]) -> Vec<Receipt> {
    let (receipts, update) = execute(storage, block);
    commit_executed(storage, block, &receipts, &update, index);
    receipts
}

/// Commits an executed block.
fn commit_executed(
    storage: &Storage,
    block: &Block,
    receipts: &[Receipt],
    update: &ebl_ledger::StateUpdate,
    index: &[IndexEntry],
) {
    let certificate = certificate(block.header.height);
    storage
        .commit_block(&BlockCommit {
            block,
            receipts,
            certificate: &certificate,
            state: update,
            index,
            roots_checked: false,
        })
        .expect("commit block");
}

/// A simplified version of the index the app derives: the parties named by an action and
/// the BLs and containers it touches.
fn index_of(block: &Block) -> Vec<IndexEntry> {
    let height = block.header.height;
    let mut out = BTreeSet::new();
    for (index, tx) in (0u32..).zip(&block.txs) {
        let signer = tx.body.signers[0];
        let bl_tx = |bl: BlId, parties: &[PartyId], out: &mut BTreeSet<IndexEntry>| {
            out.insert(IndexEntry::BlTx { bl, height, index });
            for party in parties {
                out.insert(IndexEntry::PartyBl { party: *party, bl });
            }
        };
        match &tx.body.action {
            Action::Issue(a) => {
                let bl = BlId::new(&signer, &a.transport_document_reference);
                let mut parties = vec![signer, a.issue_to, a.shipper];
                parties.extend(a.consignee);
                parties.extend(a.endorsee);
                bl_tx(bl, &parties, &mut out);
            }
            Action::Transfer { bl, to } => bl_tx(*bl, &[*to], &mut out),
            Action::EndorseToOrder { bl, endorsee } => bl_tx(*bl, &[*endorsee], &mut out),
            Action::SurrenderForDelivery { bl } | Action::AcceptSurrender { bl } => bl_tx(*bl, &[], &mut out),
            Action::IssueReleaseOrder(a) => {
                bl_tx(a.bl, &[a.terminal], &mut out);
                for reference in &a.equipment_references {
                    let container = ContainerRef::new(a.bl, reference.clone()).id();
                    out.insert(IndexEntry::ContainerTx { container, height, index });
                }
            }
            _ => {}
        }
    }
    out.into_iter().collect()
}

/// A short lifecycle through the real state machine: issue, endorse, transfer, a refused
/// transfer, an empty block, surrender, accept, release order.
struct Scenario {
    cast: Cast,
    reference: TestLedger,
    genesis_root: Hash,
    blocks: Vec<Block>,
    receipts: Vec<Vec<Receipt>>,
    index: Vec<IndexEntry>,
    bl1: BlId,
    bl2: BlId,
    containers: Vec<Hash>,
    /// Flush the memtables after every block, so that reads merge many SST files.
    flush_each_block: bool,
}

impl Scenario {
    fn run(storage: &Storage, flush_each_block: bool) -> Scenario {
        let cast = Cast::new();
        let reference = TestLedger::new(&cast);
        let genesis_root = commit_genesis(storage, &cast);
        assert_eq!(genesis_root, reference.root(), "genesis roots agree");
        let bl1 = BlId::new(&cast.carrier.party(), "REF-1");
        let bl2 = BlId::new(&cast.carrier.party(), "REF-2");
        let mut s = Scenario {
            cast,
            reference,
            genesis_root,
            blocks: Vec::new(),
            receipts: Vec::new(),
            index: Vec::new(),
            bl1,
            bl2,
            containers: Vec::new(),
            flush_each_block,
        };
        let c = Cast::new();
        s.block(
            storage,
            vec![
                (&c.carrier, to_order("REF-1", &c.shipper, Some(&c.shipper))),
                (&c.carrier, straight("REF-2", &c.shipper, &c.consignee, &[])),
            ],
        );
        s.block(
            storage,
            vec![(&c.shipper, Action::EndorseToOrder { bl: bl1, endorsee: c.consignee.party() })],
        );
        s.block(
            storage,
            vec![
                (&c.shipper, Action::Transfer { bl: bl1, to: c.consignee.party() }),
                // Refused (not the possessor): lands in the block with a failure receipt.
                (&c.outsider, Action::Transfer { bl: bl2, to: c.outsider.party() }),
            ],
        );
        s.block(storage, vec![]);
        s.block(storage, vec![(&c.consignee, Action::SurrenderForDelivery { bl: bl1 })]);
        s.block(storage, vec![(&c.carrier, Action::AcceptSurrender { bl: bl1 })]);
        let from = s.reference.ctx().time_ms;
        let equipment = ["MSKU1234565", "MSKU7654321"];
        s.block(
            storage,
            vec![(
                &c.carrier,
                Action::IssueReleaseOrder(IssueReleaseOrder {
                    bl: bl1,
                    equipment_references: equipment.iter().map(|e| e.to_string()).collect(),
                    terminal: c.terminal.party(),
                    valid_from_ms: from,
                    valid_until_ms: from + 86_400_000,
                    charges_settled: true,
                }),
            )],
        );
        s.containers = equipment.iter().map(|e| ContainerRef::new(bl1, *e).id()).collect();

        let refused: Vec<&Receipt> = s.receipts.iter().flatten().filter(|r| !r.is_success()).collect();
        assert_eq!(refused.len(), 1, "exactly the outsider's transfer is refused");
        s
    }

    fn block(&mut self, storage: &Storage, items: Vec<(&Keypair, Action)>) {
        let txs = sign_block(&self.reference, items);
        let parent = storage.tip().expect("tip").expect("genesis").block_hash;
        let (block, expected) = propose(&mut self.reference, parent, self.cast.carrier.party(), txs);
        let index = index_of(&block);
        let receipts = commit(storage, &block, &index);
        assert_eq!(receipts, expected, "stored-state execution gives the reference receipts");
        self.index.extend(index);
        self.blocks.push(block);
        self.receipts.push(receipts);
        if self.flush_each_block {
            storage.flush().expect("flush");
        }
    }

    fn height(&self) -> u64 {
        self.blocks.len() as u64
    }
}

/// An archive, as most tests here read every version of the state; a database that keeps only
/// the newest values has its own tests ([`open_latest_only`]).
fn open(dir: &TempDir) -> Storage {
    open_archive(dir.path(), true)
}

fn open_archive(path: &Path, archive: bool) -> Storage {
    Storage::open_with(path, &StorageOptions { archive, ..StorageOptions::default() }).expect("open storage")
}

/// A database that keeps only each key's newest value: a validator's default.
fn open_latest_only(dir: &TempDir) -> Storage {
    open_archive(dir.path(), false)
}

/// A database holding the scenario, closed.
fn scenario_db() -> (TempDir, Scenario) {
    scenario_db_flushed(false)
}

fn scenario_db_flushed(flush_each_block: bool) -> (TempDir, Scenario) {
    let dir = TempDir::new().expect("temp dir");
    let scenario = Scenario::run(&open(&dir), flush_each_block);
    (dir, scenario)
}

// ---------------------------------------------------------------------------------------------
// Reading back
// ---------------------------------------------------------------------------------------------

#[test]
fn a_new_database_is_empty_and_genesis_sets_the_tip() {
    let dir = TempDir::new().expect("temp dir");
    let storage = open(&dir);
    assert_eq!(storage.tip().expect("tip"), None);
    assert_eq!(storage.chain_id().expect("chain id"), None);
    assert_eq!(storage.latest_version(), None, "no state version before genesis");

    let root = commit_genesis(&storage, &Cast::new());
    let genesis_tip = Tip { height: 0, block_hash: Hash::ZERO, state_root: root, time_ms: GENESIS_TIME_MS };
    assert_eq!(storage.tip().expect("tip"), Some(genesis_tip.clone()));
    assert_eq!(storage.latest_version(), Some(0));
    drop(storage);

    let storage = open(&dir);
    assert_eq!(storage.tip().expect("tip"), Some(genesis_tip));
    assert_eq!(storage.chain_id().expect("chain id").as_deref(), Some(CHAIN_ID));
    assert_eq!(storage.genesis_state_root().expect("root"), Some(root));
    assert_eq!(storage.genesis_time_ms().expect("time"), Some(GENESIS_TIME_MS));
    assert_eq!(storage.block(0).expect("read"), None, "genesis is not a block");
    assert_eq!(storage.block_hash(0).expect("read"), None);

    let again = StateTree::new(storage.clone()).prepare(1, &BTreeMap::new()).expect("prepare").1;
    assert!(
        matches!(
            storage.commit_genesis(CHAIN_ID, GENESIS_TIME_MS, &again, root, &[]),
            Err(StorageError::GenesisExists { height: 0 })
        ),
        "a second genesis is refused"
    );
}

#[test]
fn block_times_are_the_headers_whether_remembered_at_commit_or_read_after_reopen() {
    let dir = TempDir::new().expect("temp dir");
    let storage = open(&dir);
    let s = Scenario::run(&storage, false);
    let expected: Vec<Option<u64>> = s.blocks.iter().map(|b| Some(b.header.time_ms)).collect();
    let times = |storage: &Storage| -> Vec<Option<u64>> {
        (1..=s.height()).map(|h| storage.block_time_ms(h).expect("read")).collect()
    };
    assert_eq!(times(&storage), expected, "remembered when committed");
    drop(storage);
    let storage = open(&dir);
    assert_eq!(times(&storage), expected, "decoded from the stored headers");
    assert_eq!(times(&storage), expected, "then remembered");
    assert_eq!(storage.block_time_ms(0).expect("read"), None, "genesis is not a block");
    assert_eq!(storage.block_time_ms(s.height() + 1).expect("read"), None, "above the tip");
}

#[test]
fn blocks_receipts_certificates_and_indices_read_back_after_reopen() {
    let (dir, s) = scenario_db();
    let storage = open(&dir);
    let last = s.blocks.last().expect("blocks");
    assert_eq!(
        storage.tip().expect("tip"),
        Some(Tip {
            height: s.height(),
            block_hash: last.hash(),
            state_root: last.header.state_root,
            time_ms: last.header.time_ms,
        })
    );

    for (block, receipts) in s.blocks.iter().zip(&s.receipts) {
        let h = block.header.height;
        assert_eq!(storage.block(h).expect("read").as_ref(), Some(block), "block {h}");
        assert_eq!(storage.block_hash(h).expect("read"), Some(block.hash()));
        assert_eq!(storage.receipts(h).expect("read").as_ref(), Some(receipts));
        assert_eq!(storage.certificate(h).expect("read"), Some(certificate(h)));
        for (i, tx) in (0u32..).zip(&block.txs) {
            assert_eq!(storage.tx_location(&tx.id()).expect("read"), Some((h, i)));
        }
    }
    let past = s.height() + 1;
    assert_eq!(storage.block(past).expect("read"), None);
    assert_eq!(storage.receipts(past).expect("read"), None);
    assert_eq!(storage.certificate(past).expect("read"), None);
    assert_eq!(storage.tx_location(&TxId(Hash::digest(b"never sent"))).expect("read"), None);

    // Index queries give exactly what was indexed, in key order.
    let mut party_bls: BTreeMap<PartyId, BTreeSet<BlId>> = BTreeMap::new();
    let mut bl_txs: BTreeMap<BlId, Vec<(u64, u32)>> = BTreeMap::new();
    let mut container_txs: BTreeMap<Hash, Vec<(u64, u32)>> = BTreeMap::new();
    let mut parties: BTreeSet<PartyId> = BTreeSet::new();
    for entry in &s.index {
        match entry {
            IndexEntry::PartyBl { party, bl } => {
                party_bls.entry(*party).or_default().insert(*bl);
            }
            IndexEntry::BlTx { bl, height, index } => bl_txs.entry(*bl).or_default().push((*height, *index)),
            IndexEntry::ContainerTx { container, height, index } => {
                container_txs.entry(*container).or_default().push((*height, *index))
            }
            IndexEntry::Party { party } => {
                parties.insert(*party);
            }
        }
    }
    assert_eq!(storage.parties(None, 100).expect("query"), parties.into_iter().collect::<Vec<_>>());
    for (keys, _, _) in s.cast.members() {
        let party = keys.party();
        let expected: Vec<BlId> =
            party_bls.get(&party).map(|s| s.iter().copied().collect()).unwrap_or_default();
        assert_eq!(storage.bls_of_party(&party, 100).expect("query"), expected);
    }
    assert_eq!(storage.bls_of_party(&s.cast.consignee.party(), 100).expect("query").len(), 2);
    assert_eq!(storage.bls_of_party(&s.cast.outsider.party(), 100).expect("query"), vec![s.bl2]);
    assert!(storage.bls_of_party(&s.cast.customs.party(), 100).expect("query").is_empty());

    let bl1_txs = storage.txs_of_bl(&s.bl1, 100).expect("query");
    assert_eq!(bl1_txs, bl_txs[&s.bl1]);
    assert_eq!(bl1_txs, vec![(1, 0), (2, 0), (3, 0), (5, 0), (6, 0), (7, 0)], "bl1's history, oldest first");
    assert_eq!(storage.txs_of_bl(&s.bl2, 100).expect("query"), vec![(1, 1), (3, 1)]);
    for container in &s.containers {
        assert_eq!(storage.txs_of_container(container, 100).expect("query"), vec![(7, 0)]);
        assert_eq!(container_txs[container], vec![(7, 0)]);
    }
    assert!(storage.txs_of_container(&Hash::digest(b"no such container"), 100).expect("query").is_empty());

    // Limits and paging.
    assert_eq!(storage.txs_of_bl(&s.bl1, 2).expect("query"), bl1_txs[..2].to_vec());
    assert!(storage.txs_of_bl(&s.bl1, 0).expect("query").is_empty());
    let page2 = storage.txs_of_bl_after(&s.bl1, Some(bl1_txs[1]), 3).expect("query");
    assert_eq!(page2, bl1_txs[2..5].to_vec());
    let consignee_bls = storage.bls_of_party(&s.cast.consignee.party(), 100).expect("query");
    assert_eq!(
        storage.bls_of_party_after(&s.cast.consignee.party(), Some(&consignee_bls[0]), 100).expect("query"),
        consignee_bls[1..].to_vec()
    );
}

#[test]
fn stored_state_equals_an_in_memory_ledger_at_every_height() {
    // From the memtables recovered at reopen, and from one SST file per block.
    for flush_each_block in [false, true] {
        check_stored_state(flush_each_block);
    }
}

fn check_stored_state(flush_each_block: bool) {
    let (dir, s) = scenario_db_flushed(flush_each_block);
    check_stored_state_of(&dir, &s);
}

/// Every root, value and proof of `dir` equals the scenario's in-memory reference.
fn check_stored_state_of(dir: &TempDir, s: &Scenario) {
    check_stored_state_in(&open(dir), s);
}

/// The same, read through the handle that committed the blocks: the values its commits kept in
/// memory (and those its executions read) answer reads at the tip, and never a read at an
/// earlier height — every key of the tree is read at every height and compared.
#[test]
fn stored_state_read_through_the_committing_handle_equals_the_reference() {
    let dir = TempDir::new().expect("temp dir");
    let storage = open(&dir);
    let s = Scenario::run(&storage, false);
    check_stored_state_in(&storage, &s);
    let tree = StateTree::new(storage.clone());
    let tip = storage.tip().expect("tip").expect("committed");
    let keys: Vec<&StateKey> = s.reference.state().keys().filter(|k| k.in_tree()).collect();
    for h in (0..=tip.height).rev() {
        for key in &keys {
            let (stored, _) = tree.prove(key, h).expect("prove");
            let (expected, _) = s.reference.tree.prove(key, h).expect("reference prove");
            assert_eq!(stored, expected, "{key:?} at height {h}");
        }
    }
}

/// The values written once, in `version BE ‖ key hash` order: (version, key hash) each.
fn written_once(db: &rocksdb::DB) -> Vec<(u64, [u8; 32])> {
    db.iterator_cf(cf(db, layout::CF_WRITE_ONCE), rocksdb::IteratorMode::Start)
        .map(|item| {
            let key = item.expect("read").0;
            let version = u64::from_be_bytes(key[..8].try_into().expect("a version"));
            (version, key[8..].try_into().expect("a key hash"))
        })
        .collect()
}

/// A BL history entry is written once: one entry, by the version that wrote it, with neither a
/// latest entry nor a versioned copy — while a record that changes keeps one per version. A
/// BL's history reads, through its transactions' heights, what the reference reads (through a
/// fresh handle, no values in memory).
#[test]
fn history_entries_are_stored_once_by_version_and_read_through_the_bls_transactions() {
    let (dir, s) = scenario_db();
    let history: Vec<&StateKey> = s.reference.state().keys().filter(|k| !k.in_tree()).collect();
    assert!(history.len() > 3, "the scenario writes history entries");
    let versioned = |db: &rocksdb::DB, key: &StateKey| {
        let hash = ebl_ledger::state::key_hash(key);
        db.prefix_iterator_cf(cf(db, layout::CF_JMT_VALUES), hash.0)
            .map(|item| item.expect("read"))
            .take_while(|(k, _)| k.starts_with(&hash.0))
            .count()
    };
    tamper(dir.path(), |db| {
        let stored = written_once(db);
        for key in &history {
            let hash = ebl_ledger::state::key_hash(key);
            let latest = db.get_cf(cf(db, layout::CF_JMT_LATEST), hash.0).expect("read");
            assert_eq!(latest, None, "{key:?} has no latest entry");
            assert_eq!(versioned(db, key), 0, "{key:?} has no versioned copy");
            assert_eq!(stored.iter().filter(|(_, h)| *h == hash.0).count(), 1, "{key:?} is stored once");
        }
        assert!(versioned(db, &StateKey::Bl(s.bl1)) >= 2, "a transferred BL keeps each version");
        assert_eq!(stored.len(), history.len(), "one entry per value written once");
        assert!(stored.windows(2).all(|w| w[0].0 <= w[1].0), "key order is version order");
    });
    assert_history_reads_as_the_reference(&open(&dir), &s);
}

/// Every BL's history reads what the reference's does, entry by entry.
fn assert_history_reads_as_the_reference(storage: &Storage, s: &Scenario) {
    for bl in [s.bl1, s.bl2] {
        let expected = s.reference.history(&bl);
        assert!(!expected.is_empty(), "{bl} has a history");
        let len = u32::try_from(expected.len()).expect("a short history");
        assert_eq!(storage.history(&bl, len).expect("read"), expected, "{bl}'s history");
        // Fewer entries than stored: the oldest ones (a record read before a commit).
        assert_eq!(storage.history(&bl, 1).expect("read"), expected[..1], "{bl}'s first entry");
    }
}

/// A database that keeps only the newest values: no versioned copies; at the tip every value
/// and proof is the reference's, and every root at every height (the tree's nodes are all
/// kept); at an earlier height a key not written since reads as it was, a value written once
/// after it reads as absent, and a key written since is `Pruned` — never a wrong value.
#[test]
fn a_database_keeping_only_the_newest_values_reads_the_tip_and_refuses_what_it_dropped() {
    let dir = TempDir::new().expect("temp dir");
    let storage = open_latest_only(&dir);
    assert!(!storage.is_archive());
    let s = Scenario::run(&storage, false);
    drop(storage);
    tamper(dir.path(), |db| {
        let versioned = db.iterator_cf(cf(db, layout::CF_JMT_VALUES), rocksdb::IteratorMode::Start).count();
        assert_eq!(versioned, 0, "no versioned copy of any value");
        let recorded = db.get_cf(cf(db, layout::CF_META), layout::META_VALUE_HISTORY).expect("read");
        assert_eq!(recorded, Some(vec![0]));
    });
    // Reopened with the archive option: the database keeps what it was created with.
    let storage = open_archive(dir.path(), true);
    assert!(!storage.is_archive(), "chosen at genesis, kept for the database's life");
    let tree = StateTree::new(storage.clone());
    let tip = storage.tip().expect("tip").expect("committed");
    for h in 0..=tip.height {
        let expected = s.reference.tree.root_at(h).expect("reference root");
        assert_eq!(tree.root_at(h).expect("stored root"), expected, "state root at height {h}");
    }
    for (key, value) in s.reference.state().iter().filter(|(k, _)| k.in_tree()) {
        assert_eq!(tree.get(key).expect("read").as_ref(), Some(value), "{key:?}");
        let (proven, proof) = tree.prove(key, tip.height).expect("prove");
        assert_eq!(proven.as_ref(), Some(value));
        assert!(proof.verify(&tip.state_root, key, Some(value)).is_ok(), "proof of {key:?}");
    }
    assert_history_reads_as_the_reference(&storage, &s);
    let (mut same, mut pruned) = (0, 0);
    for h in 0..tip.height {
        for key in s.reference.state().keys().filter(|k| k.in_tree()) {
            let hash = ebl_ledger::state::key_hash(key);
            let expected = s.reference.tree.store().value(h, hash).expect("reference read");
            match storage.value(h, hash) {
                Ok(found) => {
                    assert_eq!(found, expected, "{key:?} at height {h}");
                    same += 1;
                }
                Err(ebl_ledger::StoreError::Pruned { version, latest }) => {
                    assert_eq!(version, h);
                    assert!(latest > h, "{key:?} written at {latest}, after {h}");
                    pruned += 1;
                }
                Err(e) => panic!("{key:?} at height {h}: {e}"),
            }
        }
    }
    assert!(same > 0 && pruned > 0, "both cases seen: {same} read, {pruned} pruned");
}

/// The record of which values a database keeps is checked like any other: a layout-6 database
/// without it, or with a value that means nothing, is corrupt.
#[test]
fn a_missing_or_unknown_value_history_record_is_corruption() {
    for record in [None, Some(vec![2u8])] {
        let (dir, _) = scenario_db();
        tamper(dir.path(), |db| match &record {
            None => db.delete_cf(cf(db, layout::CF_META), layout::META_VALUE_HISTORY).expect("delete"),
            Some(bytes) => {
                db.put_cf(cf(db, layout::CF_META), layout::META_VALUE_HISTORY, bytes).expect("put")
            }
        });
        match Storage::open(dir.path()) {
            Err(StorageError::Corrupt(message)) => assert!(message.contains("value history"), "{message}"),
            other => panic!("{record:?}: expected corruption, got {other:?}"),
        }
    }
}

/// A history entry its record counts but the store does not hold is a corrupt database: the
/// read says so, it does not serve a shorter history.
#[test]
fn a_missing_history_entry_is_reported_corrupt() {
    let (dir, s) = scenario_db();
    let len = s.reference.bl(&s.bl1).history_len;
    let hash = ebl_ledger::state::key_hash(&StateKey::BlHistory(s.bl1, len - 1));
    let version = s.reference.history(&s.bl1)[len as usize - 1].height;
    tamper(dir.path(), |db| {
        let key = layout::write_once_key(version, hash);
        assert!(db.get_cf(cf(db, layout::CF_WRITE_ONCE), key).expect("read").is_some(), "stored there");
        db.delete_cf(cf(db, layout::CF_WRITE_ONCE), key).expect("delete");
    });
    let storage = open(&dir);
    match storage.history(&s.bl1, len) {
        Err(StorageError::Corrupt(message)) => assert!(message.contains("history entry"), "{message}"),
        other => panic!("expected a corrupt database, got {other:?}"),
    }
    assert_eq!(storage.history(&s.bl1, len - 1).expect("read").len(), len as usize - 1, "the rest reads");
}

#[test]
fn jmt_nodes_are_stored_in_version_order() {
    let (dir, s) = scenario_db();
    tamper(dir.path(), |db| {
        let versions: Vec<u64> = db
            .iterator_cf(cf(db, layout::CF_JMT_NODES), rocksdb::IteratorMode::Start)
            .map(|item| {
                let (key, _) = item.expect("read");
                layout::version_of_jmt_node_key(&key).expect("a versioned key")
            })
            .collect();
        assert!(versions.len() > s.blocks.len(), "the scenario writes nodes at every height");
        assert!(versions.windows(2).all(|w| w[0] <= w[1]), "key order is version order");
        assert_eq!(versions.first(), Some(&0), "the genesis nodes come first");
        assert_eq!(versions.last(), Some(&s.height()), "the tip's nodes come last");
    });
    // And the tree reads back through those keys at every height.
    check_stored_state_in(&open(&dir), &s);
}

fn check_stored_state_in(storage: &Storage, s: &Scenario) {
    let tree = StateTree::new(storage.clone());
    let tip = storage.tip().expect("tip").expect("committed");
    assert_eq!(tree.version(), Some(tip.height));
    assert_eq!(tree.root_at(0).expect("root"), s.genesis_root);
    for h in 0..=tip.height {
        let expected = s.reference.tree.root_at(h).expect("reference root");
        assert_eq!(tree.root_at(h).expect("stored root"), expected, "state root at height {h}");
        if h > 0 {
            assert_eq!(s.blocks[(h - 1) as usize].header.state_root, expected);
        }
    }
    assert_eq!(tree.root().expect("root"), s.reference.root());

    // Every value of the tree at the tip read, and proven through the stored tree; the history
    // entries, kept beside the tree, read through their BLs (a client proves them through their
    // record: `verify_history`).
    assert!(s.reference.state().len() > 20, "a non-trivial state");
    for (key, value) in s.reference.state().iter().filter(|(k, _)| k.in_tree()) {
        assert_eq!(tree.get(key).expect("read").as_ref(), Some(value), "{key:?}");
        let (proven, proof) = tree.prove(key, tip.height).expect("prove");
        assert_eq!(proven.as_ref(), Some(value));
        assert!(proof.verify(&tip.state_root, key, Some(value)).is_ok(), "proof of {key:?}");
    }
    // Older versions: BL 1 as it was at height 2 (before its transfer), with its proof.
    let key = StateKey::Bl(s.bl1);
    let (old, proof) = tree.prove(&key, 2).expect("prove");
    let (expected_old, _) = s.reference.tree.prove(&key, 2).expect("reference prove");
    assert_eq!(old, expected_old);
    assert_ne!(old.as_ref(), s.reference.state().get(&key), "the BL changed since height 2");
    let root2 = s.blocks[1].header.state_root;
    assert!(proof.verify(&root2, &key, old.as_deref()).is_ok());
    // Absent before it was issued, and absent forever for a BL never issued.
    let (before, exclusion) = tree.prove(&key, 0).expect("prove");
    assert_eq!(before, None);
    assert!(exclusion.verify(&s.genesis_root, &key, None).is_ok());
    let never = StateKey::Bl(BlId::new(&s.cast.carrier.party(), "NEVER"));
    let (absent, exclusion) = tree.prove(&never, tip.height).expect("prove");
    assert_eq!(absent, None);
    assert!(exclusion.verify(&tip.state_root, &never, None).is_ok());
    assert_eq!(tree.get(&never).expect("read"), None);
    assert_history_reads_as_the_reference(storage, s);
}

// ---------------------------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------------------------

/// Nothing of block `h` is stored, and the tip is `tip`.
fn assert_nothing_written(storage: &Storage, tip: &Tip, block: &Block) {
    assert_eq!(storage.tip().expect("tip").as_ref(), Some(tip));
    let h = block.header.height;
    assert_eq!(storage.block(h).expect("read"), None);
    assert_eq!(storage.block_hash(h).expect("read"), None);
    assert_eq!(storage.receipts(h).expect("read"), None);
    assert_eq!(storage.certificate(h).expect("read"), None);
    for tx in &block.txs {
        assert_eq!(storage.tx_location(&tx.id()).expect("read"), None);
    }
    let tree = StateTree::new(storage.clone());
    assert_eq!(tree.root().expect("root"), tip.state_root);
    assert_eq!(
        tree.root_at(h).expect("root"),
        ebl_ledger::Hash(ebl_ledger::state::EMPTY_ROOT),
        "no version {h}"
    );
}

#[test]
fn commit_block_refuses_what_does_not_extend_the_tip_and_writes_nothing() {
    let dir = TempDir::new().expect("temp dir");
    let storage = open(&dir);
    let cast = Cast::new();
    let mut reference = TestLedger::new(&cast);

    // Before genesis there is no tip to extend.
    let txs = sign_block(&reference, vec![(&cast.carrier, to_order("R-1", &cast.shipper, None))]);
    let (block1, _) = propose(&mut reference, Hash::ZERO, cast.carrier.party(), txs);
    let empty = ebl_ledger::StateUpdate::default();
    let refused = storage.commit_block(&BlockCommit {
        block: &block1,
        receipts: &[],
        certificate: b"",
        state: &empty,
        index: &[],
        roots_checked: false,
    });
    assert!(matches!(refused, Err(StorageError::NoGenesis)), "{refused:?}");

    commit_genesis(&storage, &cast);
    commit(&storage, &block1, &index_of(&block1));
    let tip = storage.tip().expect("tip").expect("tip");
    assert_eq!(tip.height, 1);

    let txs = sign_block(&reference, vec![(&cast.carrier, to_order("R-2", &cast.shipper, None))]);
    let (block2, _) = propose(&mut reference, block1.hash(), cast.carrier.party(), txs);
    let (receipts, update) = execute(&storage, &block2);
    let index = index_of(&block2);
    let cert = certificate(2);
    let try_commit = |block: &Block, receipts: &[Receipt], index: &[IndexEntry]| {
        storage.commit_block(&BlockCommit {
            block,
            receipts,
            certificate: &cert,
            state: &update,
            index,
            roots_checked: false,
        })
    };
    let altered = |f: &dyn Fn(&mut BlockHeader)| {
        let mut b = block2.clone();
        f(&mut b.header);
        b
    };

    let wrong_height = altered(&|h| h.height = 3);
    let e = try_commit(&wrong_height, &receipts, &index);
    assert!(matches!(e, Err(StorageError::WrongHeight { expected: 2, found: 3 })), "{e:?}");
    assert_nothing_written(&storage, &tip, &block2);

    let e = try_commit(&block1, &receipts, &index);
    assert!(matches!(e, Err(StorageError::WrongHeight { expected: 2, found: 1 })), "a replayed block: {e:?}");

    let wrong_parent = altered(&|h| h.parent_hash = Hash::digest(b"a fork"));
    let e = try_commit(&wrong_parent, &receipts, &index);
    assert!(
        matches!(e, Err(StorageError::WrongParent { height: 2, expected, .. }) if expected == block1.hash()),
        "{e:?}"
    );
    assert_nothing_written(&storage, &tip, &block2);

    let wrong_chain = altered(&|h| h.chain_id = "another-chain".into());
    let e = try_commit(&wrong_chain, &receipts, &index);
    assert!(matches!(e, Err(StorageError::WrongChain { .. })), "{e:?}");

    // Commits inconsistent with their own header are refused too.
    let wrong_root = altered(&|h| h.state_root = Hash::digest(b"another state"));
    let e = try_commit(&wrong_root, &receipts, &index);
    assert!(matches!(e, Err(StorageError::InvalidCommit(ref m)) if m.contains("root")), "{e:?}");
    let e = try_commit(&block2, &[], &index);
    assert!(matches!(e, Err(StorageError::InvalidCommit(ref m)) if m.contains("receipts")), "{e:?}");
    let stray = [IndexEntry::BlTx { bl: BlId(Hash::ZERO), height: 7, index: 0 }];
    let e = try_commit(&block2, &receipts, &stray);
    assert!(matches!(e, Err(StorageError::InvalidCommit(_))), "{e:?}");
    assert_nothing_written(&storage, &tip, &block2);

    // Nothing leaked to disk either, and the right block still commits.
    drop(storage);
    let storage = open(&dir);
    assert_nothing_written(&storage, &tip, &block2);
    commit(&storage, &block2, &index);
    assert_eq!(storage.tip().expect("tip").map(|t| t.height), Some(2));
    assert_eq!(storage.block(2).expect("read"), Some(block2));
}

#[test]
fn state_store_write_refuses_stale_versions() {
    let dir = TempDir::new().expect("temp dir");
    let mut storage = open(&dir);
    commit_genesis(&storage, &Cast::new());
    let batch = StateTree::new(storage.clone()).prepare(1, &BTreeMap::new()).expect("prepare").1.node_batch;
    assert_eq!(
        storage.write(0, &batch),
        Err(ebl_ledger::StoreError::StaleVersion { version: 0, latest: 0 }),
        "version 0 is committed"
    );
}

#[test]
fn a_database_is_opened_by_one_handle_at_a_time() {
    let dir = TempDir::new().expect("temp dir");
    let _first = open(&dir);
    let second = Storage::open(dir.path());
    assert!(matches!(second, Err(StorageError::Rocks(_))), "RocksDB's lock refuses a second opener");
}

// ---------------------------------------------------------------------------------------------
// Start-up invariants
// ---------------------------------------------------------------------------------------------

/// Edits the closed database at `path` through a raw RocksDB handle.
fn tamper(path: &Path, edit: impl FnOnce(&rocksdb::DB)) {
    let db =
        rocksdb::DB::open_cf(&rocksdb::Options::default(), path, layout::COLUMN_FAMILIES).expect("raw open");
    edit(&db);
}

fn cf<'a>(db: &'a rocksdb::DB, name: &str) -> &'a rocksdb::ColumnFamily {
    db.cf_handle(name).expect("column family")
}

fn put_tip(db: &rocksdb::DB, tip: TipRecord) {
    db.put_cf(cf(db, layout::CF_META), layout::META_TIP, encoding::encode(&tip)).expect("put tip");
}

fn tip_record(s: &Scenario) -> TipRecord {
    let last = s.blocks.last().expect("blocks");
    TipRecord {
        height: s.height(),
        block_hash: last.hash(),
        state_root: last.header.state_root,
        time_ms: last.header.time_ms,
    }
}

/// Opening fails with an invariant violation whose message contains `expected`.
#[track_caller]
fn assert_invariant(path: &Path, expected: &str) {
    match Storage::open(path) {
        Err(StorageError::Invariant(message)) => {
            assert!(message.contains(expected), "message {message:?} should mention {expected:?}")
        }
        other => panic!("expected an invariant violation mentioning {expected:?}, got {other:?}"),
    }
}

/// Layouts before this one (1 to 6) were written by development versions before 0.1.0: a
/// database of one is refused with a message saying what to do, as is one from the future.
#[test]
fn a_database_of_another_layout_is_refused_with_what_to_do() {
    for version in [1, 4, 5, 6, 7, 8, layout::SCHEMA_VERSION + 1] {
        let (dir, _) = scenario_db();
        tamper(dir.path(), |db| {
            db.put_cf(cf(db, layout::CF_META), layout::META_SCHEMA_VERSION, u32::to_be_bytes(version))
                .expect("put");
        });
        assert_invariant(dir.path(), &format!("database layout version {version}"));
        assert_invariant(dir.path(), "start this node on an empty data directory");
    }
}

#[test]
fn an_untouched_database_passes_its_invariants() {
    let (dir, s) = scenario_db();
    assert_eq!(open(&dir).tip().expect("tip").map(|t| t.height), Some(s.height()));
}

#[test]
fn a_tip_beyond_the_block_store_is_refused() {
    let (dir, s) = scenario_db();
    let tip = tip_record(&s);
    tamper(dir.path(), |db| put_tip(db, TipRecord { height: tip.height + 1, ..tip }));
    assert_invariant(dir.path(), "highest stored block");
}

#[test]
fn a_missing_tip_block_is_refused() {
    let (dir, s) = scenario_db();
    tamper(dir.path(), |db| {
        db.delete_cf(cf(db, layout::CF_BLOCKS), layout::height_key(s.height())).expect("delete");
    });
    assert_invariant(dir.path(), "highest stored block");
}

#[test]
fn a_tip_behind_the_block_store_is_refused() {
    let (dir, s) = scenario_db();
    let previous = &s.blocks[s.blocks.len() - 2];
    tamper(dir.path(), |db| {
        put_tip(
            db,
            TipRecord {
                height: previous.header.height,
                block_hash: previous.hash(),
                state_root: previous.header.state_root,
                time_ms: previous.header.time_ms,
            },
        )
    });
    assert_invariant(dir.path(), "highest stored block");
}

#[test]
fn a_wrong_tip_state_root_is_refused() {
    let (dir, s) = scenario_db();
    let tip = tip_record(&s);
    tamper(dir.path(), |db| put_tip(db, TipRecord { state_root: Hash::digest(b"forged"), ..tip }));
    assert_invariant(dir.path(), "state root");
}

#[test]
fn a_wrong_tip_block_hash_is_refused() {
    let (dir, s) = scenario_db();
    let tip = tip_record(&s);
    tamper(dir.path(), |db| put_tip(db, TipRecord { block_hash: Hash::digest(b"forged"), ..tip }));
    assert_invariant(dir.path(), "hashes to");
}

#[test]
fn a_replaced_tip_block_is_refused() {
    let (dir, s) = scenario_db();
    let mut forged = s.blocks.last().expect("blocks").clone();
    forged.header.time_ms += 1;
    tamper(dir.path(), |db| {
        db.put_cf(cf(db, layout::CF_BLOCKS), layout::height_key(s.height()), encoding::encode(&forged))
            .expect("put");
    });
    assert_invariant(dir.path(), "hashes to");
}

#[test]
fn a_state_tree_that_disagrees_with_the_tip_is_refused() {
    let (dir, s) = scenario_db();
    // Drop the root node of the tip's version: the tree no longer has the tip's root.
    let root_key = NodeKey::new(s.height(), std::iter::empty().collect::<NibblePath>());
    tamper(dir.path(), |db| {
        let key = layout::jmt_node_key(&root_key);
        assert!(db.get_cf(cf(db, layout::CF_JMT_NODES), &key).expect("get").is_some(), "root node stored");
        db.delete_cf(cf(db, layout::CF_JMT_NODES), key).expect("delete");
    });
    assert_invariant(dir.path(), "JMT root");
}

#[test]
fn a_header_and_tip_forged_together_are_caught_by_the_state_tree() {
    // Rewrite the tip block with another state root and point the tip at it consistently:
    // only the JMT check can tell.
    let (dir, s) = scenario_db();
    let mut forged = s.blocks.last().expect("blocks").clone();
    forged.header.state_root = Hash::digest(b"forged state");
    let record =
        TipRecord { block_hash: forged.hash(), state_root: forged.header.state_root, ..tip_record(&s) };
    tamper(dir.path(), |db| {
        let h = layout::height_key(s.height());
        db.put_cf(cf(db, layout::CF_BLOCKS), h, encoding::encode(&forged)).expect("put");
        db.put_cf(cf(db, layout::CF_BLOCK_HASHES), h, forged.hash().as_bytes()).expect("put");
        put_tip(db, record);
    });
    assert_invariant(dir.path(), "JMT root");
}

#[test]
fn a_missing_chain_id_is_refused() {
    let (dir, _) = scenario_db();
    tamper(dir.path(), |db| db.delete_cf(cf(db, layout::CF_META), layout::META_CHAIN_ID).expect("delete"));
    assert_invariant(dir.path(), "chain id");
}

#[test]
fn blocks_without_a_tip_are_refused() {
    let (dir, _) = scenario_db();
    tamper(dir.path(), |db| {
        let meta = cf(db, layout::CF_META);
        db.delete_cf(meta, layout::META_TIP).expect("delete");
        db.delete_cf(meta, layout::META_CHAIN_ID).expect("delete");
    });
    assert_invariant(dir.path(), "no tip recorded");
}

#[test]
fn undecodable_bytes_are_corruption_not_a_panic() {
    let (dir, s) = scenario_db();
    tamper(dir.path(), |db| {
        db.put_cf(cf(db, layout::CF_BLOCKS), layout::height_key(s.height()), b"\xff\xff\xff garbage")
            .expect("put");
    });
    let e = Storage::open(dir.path());
    assert!(matches!(e, Err(StorageError::Corrupt(_))), "{e:?}");

    let (dir, _) = scenario_db();
    tamper(dir.path(), |db| db.put_cf(cf(db, layout::CF_META), layout::META_TIP, b"short").expect("put"));
    let e = Storage::open(dir.path());
    assert!(matches!(e, Err(StorageError::Corrupt(_))), "{e:?}");
}

// ---------------------------------------------------------------------------------------------
// Crash consistency
// ---------------------------------------------------------------------------------------------

/// Set in the child process: the directory the writer commits to.
const WRITER_DIR_ENV: &str = "EBL_STORAGE_TEST_WRITER_DIR";
/// Blocks one writer prepares and then commits back to back; it stops by itself after them.
const WRITER_RUN_BLOCKS: u64 = 60;
/// The parent kills a writer once it has reported this many commits, so the kill lands
/// while the writer is in the middle of its run of commits.
const KILL_AFTER_COMMITS: u64 = 12;
/// Writers run and killed one after the other on the same database, each resuming the tip
/// the previous one left.
const WRITER_RUNS: usize = 3;
/// Transactions per crash-test block.
const CRASH_BLOCK_TXS: u64 = 40;

/// A block of the crash chain, executed, with its tree update.
struct CrashBlock {
    block: Block,
    receipts: Vec<Receipt>,
    update: ebl_ledger::StateUpdate,
    index: Vec<IndexEntry>,
}

/// The deterministic chain the writer commits and the parent checks against: every block
/// issues `CRASH_BLOCK_TXS` BLs by the carrier. Keys are derived from names and ed25519
/// signing is deterministic, so parent and child build byte-identical blocks. Executed over
/// an in-memory tree, so a writer can prepare its blocks before it starts committing.
struct CrashChain {
    cast: Cast,
    store: MemStore,
    height: u64,
    parent: Hash,
}

impl CrashChain {
    fn new() -> Self {
        let cast = Cast::new();
        let mut tree = StateTree::new(MemStore::default());
        tree.commit(0, &cast.genesis().writes().expect("valid genesis")).expect("memory genesis");
        CrashChain { cast, store: tree.into_store(), height: 0, parent: Hash::ZERO }
    }

    fn root(&self) -> Hash {
        StateTree::new(self.store.clone()).root().expect("memory root")
    }

    fn next(&mut self) -> CrashBlock {
        let height = self.height + 1;
        let time_ms = GENESIS_TIME_MS + height * BLOCK_MS;
        let carrier = &self.cast.carrier;
        let nonce_base = (height - 1) * CRASH_BLOCK_TXS;
        let txs: Vec<Transaction> = (0..CRASH_BLOCK_TXS)
            .map(|i| {
                let action =
                    to_order(&format!("K{height}-{i}"), &self.cast.shipper, Some(&self.cast.shipper));
                TestLedger::tx_with_nonce(&[carrier], action, nonce_base + i)
            })
            .collect();
        let verified: Vec<VerifiedTx> =
            verify_batch(txs.clone()).into_iter().collect::<Result<_, _>>().expect("signatures verify");
        let ctx = BlockCtx { chain_id: CHAIN_ID.into(), height, time_ms };
        let tree = StateTree::new(std::mem::take(&mut self.store));
        let executed = execute_block(&tree, &ctx, &verified).expect("crash block executes");
        assert!(executed.receipts.iter().all(Receipt::is_success), "every issue succeeds");
        let (state_root, update) = tree.prepare(height, &executed.writes).expect("prepare");
        let mut store = tree.into_store();
        store.write(height, &update.node_batch).expect("memory write");
        self.store = store;
        let header = BlockHeader {
            chain_id: CHAIN_ID.into(),
            height,
            parent_hash: self.parent,
            time_ms,
            proposer: self.cast.terminal.party(),
            tx_root: tx_root(&txs),
            state_root,
            receipts_root: receipts_root(&executed.receipts),
        };
        let block = Block { header, txs };
        self.parent = block.hash();
        self.height = height;
        let index = index_of(&block);
        CrashBlock { block, receipts: executed.receipts, update, index }
    }
}

/// The child's side of the crash test: a no-op unless [`WRITER_DIR_ENV`] is set. Resumes
/// from the stored tip (genesis on an empty database), prepares [`WRITER_RUN_BLOCKS`]
/// blocks, then commits them back to back, reporting each commit.
#[test]
fn crash_writer_child() {
    let Some(dir) = std::env::var_os(WRITER_DIR_ENV) else {
        return;
    };
    let storage = Storage::open(Path::new(&dir)).expect("writer opens");
    let mut chain = CrashChain::new();
    match storage.tip().expect("tip") {
        None => assert_eq!(commit_genesis(&storage, &chain.cast), chain.root(), "genesis roots agree"),
        Some(tip) => {
            for _ in 0..tip.height {
                chain.next();
            }
            assert_eq!(chain.parent, tip.block_hash, "the writer resumes the chain it wrote");
        }
    }
    let run: Vec<CrashBlock> = (0..WRITER_RUN_BLOCKS).map(|_| chain.next()).collect();
    let mut out = std::io::stdout();
    for b in &run {
        commit_executed(&storage, &b.block, &b.receipts, &b.update, &b.index);
        writeln!(out, "committed {}", b.block.header.height).expect("report");
        out.flush().expect("flush");
    }
}

/// Runs a writer on `dir` and SIGKILLs it once it has reported [`KILL_AFTER_COMMITS`]
/// commits. Returns the last height it reported committed.
fn run_writer_and_kill(dir: &Path) -> u64 {
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args(["--exact", "crash_writer_child", "--nocapture", "--test-threads=1"])
        .env(WRITER_DIR_ENV, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn writer");
    let stdout = child.stdout.take().expect("piped stdout");
    let (mut commits, mut last) = (0, 0);
    for line in BufReader::new(stdout).lines() {
        // The harness may print its own text before the first report on the same line.
        if let Some((_, h)) = line.expect("read writer output").rsplit_once("committed ") {
            last = h.trim().parse().expect("height");
            commits += 1;
            if commits == KILL_AFTER_COMMITS {
                break;
            }
        }
    }
    // SIGKILL, while the writer is committing its next blocks.
    child.kill().expect("kill writer");
    child.wait().expect("reap writer");
    assert_eq!(commits, KILL_AFTER_COMMITS, "the writer stopped early, after {commits} commits");
    last
}

#[test]
fn a_killed_writer_leaves_a_consistent_database() {
    let dir = TempDir::new().expect("temp dir");
    let mut start = 0;
    for _ in 0..WRITER_RUNS {
        let reported = run_writer_and_kill(dir.path());
        assert_eq!(reported, start + KILL_AFTER_COMMITS, "the writer resumed from the tip");

        let storage = Storage::open(dir.path()).expect("the database opens and its invariants hold");
        let tip = storage.tip().expect("tip").expect("genesis was committed");
        eprintln!("writer killed after reporting block {reported}; the reopened tip is {}", tip.height);
        assert!(tip.height >= reported, "tip {} lost a block reported committed ({reported})", tip.height);
        assert!(tip.height < start + WRITER_RUN_BLOCKS, "the writer was killed before it finished");

        // Every block up to the tip is the one the writer built, whole; nothing beyond it.
        let mut chain = CrashChain::new();
        let tree = StateTree::new(storage.clone());
        for h in 1..=tip.height {
            let expected = chain.next();
            assert_eq!(storage.block(h).expect("read").as_ref(), Some(&expected.block), "block {h}");
            assert_eq!(storage.receipts(h).expect("read").as_ref(), Some(&expected.receipts), "receipts {h}");
            assert_eq!(storage.certificate(h).expect("read"), Some(certificate(h)));
            assert_eq!(tree.root_at(h).expect("root"), expected.block.header.state_root, "state root at {h}");
            let last_tx = expected.block.txs.last().expect("txs");
            assert_eq!(
                storage.tx_location(&last_tx.id()).expect("read"),
                Some((h, CRASH_BLOCK_TXS as u32 - 1))
            );
        }
        assert_eq!(tip.block_hash, chain.parent);
        assert_eq!(tree.root().expect("root"), chain.root(), "stored state equals the in-memory chain");
        let next = tip.height + 1;
        assert_eq!(storage.block(next).expect("read"), None);
        assert_eq!(storage.receipts(next).expect("read"), None);
        assert_eq!(storage.certificate(next).expect("read"), None);
        assert_eq!(storage.block_hash(next).expect("read"), None);
        let unwritten = chain.next();
        for tx in &unwritten.block.txs {
            assert_eq!(storage.tx_location(&tx.id()).expect("read"), None, "no index entry of a lost block");
        }
        assert_eq!(
            tree.root_at(next).expect("root"),
            Hash(ebl_ledger::state::EMPTY_ROOT),
            "no state of {next}"
        );
        // The next writer resumes from this tip.
        start = tip.height;
    }
}

#[test]
fn a_recorded_proposal_survives_a_reopen_until_its_height_is_pruned() {
    let (dir, _scenario) = scenario_db();
    let storage = open(&dir);
    let block = storage.block(1).expect("read").expect("block 1");
    storage.put_proposal(7, 0, &block).expect("record");
    storage.put_proposal(7, 2, &block).expect("record");
    storage.put_proposal(9, 0, &block).expect("record");
    drop(storage);
    let storage = open(&dir);
    assert_eq!(storage.proposal(7, 0).expect("read"), Some(block.clone()));
    assert_eq!(storage.proposal(7, 1).expect("read"), None);
    storage.prune_proposals(8).expect("prune");
    assert_eq!(storage.proposal(7, 2).expect("read"), None);
    assert_eq!(storage.proposal(9, 0).expect("read"), Some(block));
}
