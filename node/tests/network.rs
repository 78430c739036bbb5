//! The replicated node (issue #3): validators on real libp2p over 127.0.0.1 and real RocksDB in
//! temporary directories agree on one chain, survive stopped peers, refuse Byzantine proposals
//! and strangers, and let a new node sync the whole chain.
//!
//! One network at a time (the machine has two cores): every test holds `SERIAL`. Every wait
//! is bounded by `testkit::WAIT`, so every test stops by itself.

use std::time::Duration;

use ebl_contracts::testkit::{to_order, TestLedger};
use ebl_ledger::{Action, BlId, BlRecord, Keypair, StateKey, TxId};
use ebl_node::consensus::signing::peer_id_of;
use ebl_node::node::{Node, NodeOptions, Tamper};
use ebl_node::testkit::{test_config, TestNet};

/// One network at a time; an async lock, since each test holds it across its awaits.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn reference(i: usize) -> String {
    format!("EBL{i:05}")
}

/// `count` to-order BLs issued in blank to the shipper, the carrier's nonces from `first`.
fn issues(net: &TestNet, first: u64, count: usize) -> Vec<ebl_ledger::Transaction> {
    (0..count)
        .map(|i| {
            TestLedger::tx_with_nonce(
                &[&net.cast.carrier],
                to_order(&reference(first as usize + i), &net.cast.shipper, None),
                first + i as u64,
            )
        })
        .collect()
}

/// Transfers of the BLs `first..first+count` by `from` to `to`, `from`'s nonces from `nonce`.
fn transfers(
    net: &TestNet,
    from: &Keypair,
    to: &Keypair,
    first: usize,
    count: usize,
    nonce: u64,
) -> Vec<ebl_ledger::Transaction> {
    (0..count)
        .map(|i| {
            let bl = BlId::new(&net.cast.carrier.party(), &reference(first + i));
            TestLedger::tx_with_nonce(&[from], Action::Transfer { bl, to: to.party() }, nonce + i as u64)
        })
        .collect()
}

/// Submits `txs` round-robin over `nodes`.
fn submit_spread(net: &TestNet, nodes: &[usize], txs: Vec<ebl_ledger::Transaction>) -> Vec<TxId> {
    txs.into_iter().enumerate().map(|(k, tx)| net.submit(nodes[k % nodes.len()], tx)).collect()
}

fn possessor(node: &Node, net: &TestNet, i: usize) -> Option<ebl_ledger::PartyId> {
    let bl = BlId::new(&net.cast.carrier.party(), &reference(i));
    node.state::<BlRecord>(&StateKey::Bl(bl)).map(|r| r.possessor)
}

fn all_succeeded(net: &TestNet, node: usize, txs: &[TxId]) {
    for tx in txs {
        let receipt = net.receipt(node, tx).expect("receipt");
        assert!(receipt.is_success(), "{tx} failed: {:?}", receipt.outcome);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_validators_commit_a_thousand_transactions_submitted_to_different_nodes() {
    let _serial = SERIAL.lock().await;
    let mut net = TestNet::new(4);
    net.start_all().await;
    let all = [0, 1, 2, 3];
    // 250 issues, then three rounds of 250 transfers: 1,000 transactions, each phase spread
    // over the four validators.
    let mut every = submit_spread(&net, &all, issues(&net, 0, 250));
    net.wait_for_receipts(&all, &every).await;
    let (cast, n) = (&net.cast, 250);
    for (from, to) in
        [(&cast.shipper, &cast.consignee), (&cast.consignee, &cast.forwarder), (&cast.forwarder, &cast.bank)]
    {
        let phase = submit_spread(&net, &all, transfers(&net, from, to, 0, n, 0));
        net.wait_for_receipts(&all, &phase).await;
        every.extend(phase);
    }
    assert_eq!(every.len(), 1_000);
    for i in all {
        all_succeeded(&net, i, &every);
        assert_eq!(possessor(net.node(i), &net, 0), Some(net.cast.bank.party()));
        assert_eq!(possessor(net.node(i), &net, 249), Some(net.cast.bank.party()));
    }
    let top = net.expect_same_state(&all);
    assert!(top >= 4, "several blocks were committed, not {top}");
    // Any node's proof of a BL's title checks out against the genesis validators alone, and a
    // changed record or a certificate of another height does not.
    let genesis_set = net.genesis.powers();
    let key = StateKey::Bl(BlId::new(&net.cast.carrier.party(), &reference(7)));
    let bundle = net.node(2).prove(&key).expect("proof bundle");
    bundle.verify(&net.genesis.chain_id, &genesis_set).expect("a genuine bundle verifies");
    assert_eq!(bundle.decode::<BlRecord>().map(|r| r.possessor), Some(net.cast.bank.party()));
    let mut changed = bundle.clone();
    let mut record: BlRecord = bundle.decode().expect("record");
    record.possessor = net.cast.shipper.party();
    changed.value = Some(ebl_ledger::encoding::encode(&record));
    assert!(matches!(
        changed.verify(&net.genesis.chain_id, &genesis_set),
        Err(ebl_ledger::BundleError::Proof(_))
    ));
    let mut stale = bundle.clone();
    stale.certificate = net.node(2).certificate(bundle.header.height - 1).expect("certificate");
    assert!(matches!(
        stale.verify(&net.genesis.chain_id, &genesis_set),
        Err(ebl_ledger::BundleError::Certificate(_))
    ));
    // The transactions reached the other validators' pools by gossip, in batches, and a
    // signature checked at admission was not checked again when a block carried it.
    for i in all {
        let stats = net.node(i).stats();
        assert!(stats.tx_batches_received > 0, "node {i} received gossip: {stats:?}");
        assert!(stats.signatures_reused > 0, "node {i} reused admission checks: {stats:?}");
    }
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_four_stopped_the_others_go_on_and_it_catches_up_on_restart() {
    let _serial = SERIAL.lock().await;
    let mut net = TestNet::new(4);
    net.start_all().await;
    let all = [0, 1, 2, 3];
    let first = submit_spread(&net, &all, issues(&net, 0, 40));
    net.wait_for_receipts(&all, &first).await;

    net.stop(3).await;
    let rest = [0, 1, 2];
    let before = net.node(0).tip().height;
    let during = submit_spread(&net, &rest, issues(&net, 40, 60));
    net.wait_for_receipts(&rest, &during).await;
    net.wait_until_height(&rest, before + 5).await;

    net.start(3).await;
    let target = net.node(0).tip().height;
    net.wait_until_height(&[3], target).await;
    net.wait_for_receipts(&all, &during).await;
    // It votes again: blocks keep coming with all four running.
    let after = submit_spread(&net, &all, issues(&net, 100, 20));
    net.wait_for_receipts(&all, &after).await;
    net.expect_same_state(&all);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_of_four_stopped_nothing_commits_and_restarted_the_chain_resumes() {
    let _serial = SERIAL.lock().await;
    let mut net = TestNet::new(4);
    net.start_all().await;
    let all = [0, 1, 2, 3];
    net.wait_until_height(&all, 2).await;
    net.stop(2).await;
    net.stop(3).await;
    let live = [0, 1];
    // A height already decided may still be committing: let it land, then watch.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let tips: Vec<u64> = live.iter().map(|i| net.node(*i).tip().height).collect();
    let mut events = net.node(0).subscribe();
    let stuck = submit_spread(&net, &live, issues(&net, 0, 10));
    // Several round timeouts (propose 1.5 s, prevote and precommit 0.5 s, growing per round).
    tokio::time::sleep(Duration::from_secs(8)).await;
    let later: Vec<u64> = live.iter().map(|i| net.node(*i).tip().height).collect();
    assert_eq!(tips, later, "no block may commit without two thirds of the power");
    assert!(events.try_recv().is_err(), "no commit event without a quorum");
    assert!(stuck.iter().all(|t| net.node(0).receipt(t).is_none()));

    net.start(2).await;
    net.start(3).await;
    net.wait_for_receipts(&all, &stuck).await;
    let top = net.expect_same_state(&all);
    assert!(top > later[0]);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_fifth_node_with_only_the_genesis_syncs_the_whole_chain() {
    let _serial = SERIAL.lock().await;
    // Five validators of power 1; four running hold 4/5 > 2/3 of the power.
    let mut net = TestNet::new(5);
    for i in 0..4 {
        net.start(i).await;
    }
    let four = [0, 1, 2, 3];
    let txs = submit_spread(&net, &four, issues(&net, 0, 200));
    net.wait_for_receipts(&four, &txs).await;
    net.wait_until_height(&four, 8).await;
    let target = net.node(0).tip().height;

    net.start(4).await;
    net.wait_until_height(&[4], target).await;
    let stats = net.node(4).stats();
    assert!(stats.synced_blocks > 0, "the new node fetched blocks by sync: {stats:?}");
    net.wait_for_receipts(&[4], &txs).await;
    let top = net.expect_same_state(&[0, 1, 2, 3, 4]);
    assert!(top >= target);
    assert_eq!(
        net.node(4).block(top).map(|b| b.header.state_root),
        net.node(0).block(top).map(|b| b.header.state_root)
    );
    net.shutdown().await;
}

async fn byzantine_proposer_is_refused(fault: Tamper) {
    let _serial = SERIAL.lock().await;
    let mut net = TestNet::new(4).byzantine(0, fault);
    net.start_all().await;
    let all = [0, 1, 2, 3];
    let txs = submit_spread(&net, &[1, 2, 3], issues(&net, 0, 60));
    net.wait_for_receipts(&all, &txs).await;
    // Over at least two of the Byzantine validator's turns (one height in four).
    net.wait_until_height(&all, 9).await;
    let top = net.expect_same_state(&all);
    let byzantine = net.node(0).consensus_key().expect("a validator");
    for h in 1..=top {
        let block = net.node(1).block(h).expect("block");
        assert_ne!(
            block.header.proposer, byzantine,
            "a block built by the Byzantine proposer committed at {h}"
        );
    }
    let refused: u64 = [1, 2, 3].iter().map(|i| net.node(*i).stats().proposals_refused).sum();
    assert!(refused >= 2, "honest validators refused the tampered proposals ({refused})");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_byzantine_proposer_with_a_wrong_state_root_is_refused_and_the_chain_goes_on() {
    byzantine_proposer_is_refused(Tamper::WrongStateRoot).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_byzantine_proposer_with_a_badly_signed_transaction_is_refused_and_the_chain_goes_on() {
    byzantine_proposer_is_refused(Tamper::BadSignature).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_whose_key_is_not_in_the_genesis_cannot_connect() {
    let _serial = SERIAL.lock().await;
    let mut net = TestNet::new(4);
    net.start_all().await;
    let all = [0, 1, 2, 3];
    // A node with the network's genesis but a key of its own dials every validator.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut port = ebl_node::testkit::reserve_port();
    let config = test_config("stranger", port.port(), dir.path());
    port.release();
    let stranger = Node::start(NodeOptions {
        config,
        genesis: net.genesis.clone(),
        node_key: Keypair::from_seed(net.cast.stranger.seed()),
        consensus_key: None,
        tamper: None,
    })
    .await
    .expect("the stranger's node starts");
    let start = net.node(0).tip().height;
    net.wait_until_height(&all, start + 4).await;
    let stranger_peer = peer_id_of(&net.cast.stranger.party()).expect("key").to_string();
    for i in all {
        let peers = net.node(i).peers().await;
        assert!(!peers.contains(&stranger_peer), "validator {i} is connected to the stranger: {peers:?}");
        assert_eq!(peers.len(), 3, "validator {i} is connected to the other three: {peers:?}");
    }
    assert_eq!(stranger.tip().height, 0, "the stranger learnt nothing of the chain");
    assert!(stranger.peers().await.is_empty());
    stranger.stop().await;
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_conflicting_transfers_on_two_nodes_one_commits_the_other_fails_everywhere() {
    let _serial = SERIAL.lock().await;
    let mut net = TestNet::new(4);
    net.start_all().await;
    let all = [0, 1, 2, 3];
    let issued = submit_spread(&net, &[0], issues(&net, 0, 1));
    net.wait_for_receipts(&all, &issued).await;
    let cast = &net.cast;
    let bl = BlId::new(&cast.carrier.party(), &reference(0));
    // The shipper, possessor, signs two transfers of the same BL: to the consignee (nonce 0,
    // to node 0) and to the forwarder (nonce 1, to node 1), submitted at the same moment.
    let to_consignee =
        TestLedger::tx_with_nonce(&[&cast.shipper], Action::Transfer { bl, to: cast.consignee.party() }, 0);
    let to_forwarder =
        TestLedger::tx_with_nonce(&[&cast.shipper], Action::Transfer { bl, to: cast.forwarder.party() }, 1);
    let (a, b) = tokio::join!(async { net.submit(0, to_consignee) }, async { net.submit(1, to_forwarder) });
    net.wait_for_receipts(&all, &[a, b]).await;
    let code = net.receipt(0, &b).and_then(|r| r.error()).expect("the second transfer fails");
    for i in all {
        assert!(net.receipt(i, &a).expect("receipt").is_success(), "node {i}");
        assert_eq!(net.receipt(i, &b).and_then(|r| r.error()), Some(code), "node {i}");
        assert_eq!(possessor(net.node(i), &net, 0), Some(cast.consignee.party()), "node {i}");
    }
    net.expect_same_state(&all);
    net.shutdown().await;
}
