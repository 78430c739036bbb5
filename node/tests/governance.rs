//! The validator set changes by governance on a running network (issue 31, ADR 0019): validators
//! on real libp2p over 127.0.0.1 and real RocksDB, the set of each height read from the ledger.
//!
//! Four validators commit a steady stream of BLs; a fifth node, started with a consensus key no
//! set names, syncs; its operator's validator is proposed and approved by more than two thirds of
//! the power, and from the effective height on the fifth signs certificates. Then one of the
//! original four is removed: after its last height it may stop without the network noticing, and
//! the four left still tolerate one more crash. Every certificate is checked against the set of
//! its own height.

use std::time::Duration;

use ebl_contracts::testkit::{to_order, TestLedger};
use ebl_ledger::governance::{Governance, Observer, RecentEpochs, ValidatorChange, EFFECT_DELAY_HEIGHTS};
use ebl_ledger::{Action, Keypair, StateKey, Transaction, TxId};
use ebl_node::consensus::signing::peer_id_of;
use ebl_node::testkit::{consensus_key, TestNet};

/// The load: BLs issued by the second carrier (no validator's operator, so its nonces are its own).
fn issue(net: &TestNet, n: u64) -> Transaction {
    TestLedger::tx_with_nonce(
        &[&net.cast.carrier2],
        to_order(&format!("GOV{n:05}"), &net.cast.shipper, None),
        n,
    )
}

/// A governance transaction by `operator`, with its next nonce as node `on` sees it.
fn governance_tx(net: &TestNet, on: usize, operator: &Keypair, action: Action) -> Transaction {
    let nonce: u64 = net.node(on).state(&StateKey::Nonce(operator.party())).unwrap_or(0);
    TestLedger::tx_with_nonce(&[operator], action, nonce)
}

/// Submits `tx` to node `on` and waits until `nodes` hold its receipt, which must be a success.
async fn commit(net: &TestNet, on: usize, nodes: &[usize], tx: Transaction) -> u64 {
    let id = net.submit(on, tx);
    net.wait_for_receipts(nodes, &[id]).await;
    let (height, receipt) = net.node(on).receipt(&id).expect("receipt");
    assert!(receipt.is_success(), "{:?}", receipt.outcome);
    height
}

/// Proposes `change` by `proposer` and approves it by each of `approvers`; returns the epoch
/// record written.
async fn pass(
    net: &TestNet,
    nodes: &[usize],
    proposer: &Keypair,
    approvers: &[&Keypair],
    change: ValidatorChange,
) -> ebl_ledger::governance::ValidatorEpoch {
    let on = nodes[0];
    commit(net, on, nodes, governance_tx(net, on, proposer, Action::ProposeValidatorChange { change })).await;
    let governance: Governance = net.node(on).state(&StateKey::Governance).expect("governance");
    let id = governance.open.last().expect("the proposal is open").id;
    for approver in approvers {
        let tx = governance_tx(net, on, approver, Action::ApproveValidatorChange { proposal: id });
        commit(net, on, nodes, tx).await;
    }
    let epochs = RecentEpochs::read(&ebl_ledger::StateTree::new(net.node(on).storage().clone()))
        .expect("reads")
        .expect("epochs");
    assert_eq!(epochs.newest.proposal, Some(id), "the change took effect");
    epochs.newest
}

/// Keeps issuing BLs, `per_tick` per tick, over `nodes`, until `until` has committed `height`.
async fn load_until(net: &TestNet, nodes: &[usize], next: &mut u64, until: usize, height: u64) -> Vec<TxId> {
    let mut sent = Vec::new();
    let deadline = tokio::time::Instant::now() + ebl_node::testkit::WAIT;
    while net.node(until).tip().height < height {
        assert!(tokio::time::Instant::now() < deadline, "height {height} not reached under load");
        for k in 0..5 {
            sent.push(net.submit(nodes[k % nodes.len()], issue(net, *next)));
            *next += 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    sent
}

/// Whether the certificate of `height` on node `on` carries a signature of `key`.
fn signed_by(net: &TestNet, on: usize, height: u64, key: &Keypair) -> bool {
    let certificate = net.node(on).certificate(height).expect("certificate");
    certificate.signatures.iter().any(|(party, _)| *party == key.party())
}

/// One network at a time; an async lock, since each test holds it across its awaits.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The four genesis validators.
const ORIGINAL: [usize; 4] = [0, 1, 2, 3];

/// Four validators started and committing a steady stream of BLs up to height 3: the network,
/// the issues sent and the number of the next one.
async fn loaded_network() -> (TestNet, Vec<TxId>, u64) {
    let mut net = TestNet::new(4);
    net.start_all().await;
    let mut next = 0;
    let sent = load_until(&net, &ORIGINAL, &mut next, 0, 3).await;
    (net, sent, next)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fifth_validator_joins_by_governance_and_an_original_one_leaves() {
    let _serial = SERIAL.lock().await;
    let (mut net, mut sent, mut next) = loaded_network().await;
    let original = ORIGINAL;

    // The fifth node starts first and syncs; no set names its consensus key yet, so it never votes.
    let fifth = net.add_node(true);
    net.start(fifth).await;
    let operator = Keypair::from_seed(net.cast.registrar.seed());
    let info = net.validator_info(fifth, &operator);
    let (bank, customs, terminal) = (
        Keypair::from_seed(net.cast.bank.seed()),
        Keypair::from_seed(net.cast.customs.seed()),
        Keypair::from_seed(net.cast.terminal.seed()),
    );
    // Bank, customs, terminal: 3 of 4, more than two thirds.
    let one = pass(&net, &original, &bank, &[&customs, &terminal], ValidatorChange::Add(info)).await;
    assert_eq!(one.epoch, 1);
    assert_eq!(one.effective_height, one.approved_height + EFFECT_DELAY_HEIGHTS);
    let five = [0, 1, 2, 3, fifth];
    sent.extend(load_until(&net, &original, &mut next, fifth, one.effective_height + 8).await);
    net.wait_until_height(&five, one.effective_height + 8).await;
    let newcomer = consensus_key(fifth);
    for h in 1..one.effective_height {
        assert!(!signed_by(&net, 0, h, &newcomer), "the fifth signed height {h}, before its epoch");
    }
    let signed =
        (one.effective_height..one.effective_height + 8).filter(|h| signed_by(&net, 0, *h, &newcomer));
    assert!(
        signed.count() > 0,
        "the fifth validator signs certificates from height {}",
        one.effective_height
    );

    // The carrier's validator is removed by the other four (4 of 5).
    let removed = consensus_key(0).party();
    let two = pass(
        &net,
        &[1, 2, 3, fifth],
        &customs,
        &[&terminal, &operator, &bank],
        ValidatorChange::Remove { consensus_key: removed },
    )
    .await;
    assert!(two.validators.iter().all(|v| v.consensus_key != removed));
    let four = [1, 2, 3, fifth];
    net.wait_until_height(&five, two.effective_height).await;
    // From its effective height on the removed validator's votes do not count: stopping it does
    // not matter, and the four left tolerate one more crash (3 of 4 is more than two thirds).
    net.stop(0).await;
    sent.extend(load_until(&net, &four, &mut next, 1, two.effective_height + 5).await);
    net.stop(3).await;
    let three = [1, 2, fifth];
    let after_crash = net.node(1).tip().height;
    sent.extend(load_until(&net, &three, &mut next, 1, after_crash + 5).await);
    for h in two.effective_height..after_crash + 5 {
        assert!(!signed_by(&net, 1, h, &consensus_key(0)), "a removed validator's signature at {h}");
    }
    net.wait_for_receipts(&three, &sent).await;
    net.expect_same_state(&three);
    net.shutdown().await;
}

/// An observer (a node with no consensus key) is refused by every validator until the registrars
/// list its node key; then it syncs, verifies and serves proofs a client checks against the
/// genesis file alone, and it never signs anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_observer_is_refused_until_listed_then_follows_and_serves_proofs_without_voting() {
    let _serial = SERIAL.lock().await;
    let (mut net, mut sent, mut next) = loaded_network().await;
    let original = ORIGINAL;
    let observer = net.add_node(false);
    net.start(observer).await;
    let start = net.node(0).tip().height;
    sent.extend(load_until(&net, &original, &mut next, 0, start + 6).await);
    assert_eq!(net.node(observer).tip().height, 0, "an unlisted observer learnt nothing");
    let peer = peer_id_of(&ebl_node::testkit::node_key(observer).party()).expect("key").to_string();
    for i in original {
        assert!(!net.node(i).peers().await.contains(&peer), "validator {i} accepted an unlisted observer");
    }

    // The registrar lists it (a quorum of one here); it catches up.
    let registrar = Keypair::from_seed(net.cast.registrar.seed());
    let allow = Action::AllowObserver(Observer {
        name: "bank-b node".into(),
        node_key: ebl_node::testkit::node_key(observer).party(),
    });
    let listed_at = commit(&net, 0, &original, governance_tx(&net, 0, &registrar, allow)).await;
    sent.extend(load_until(&net, &original, &mut next, observer, listed_at + 5).await);
    net.wait_for_receipts(&[observer], &sent).await;
    net.expect_same_state(&[0, observer]);

    // It serves a proof of a title that checks out against the genesis validators alone.
    let bl = ebl_ledger::BlId::new(&net.cast.carrier2.party(), "GOV00000");
    let bundle = net.node(observer).prove(&StateKey::Bl(bl)).expect("a proof from the observer");
    bundle.verify(&net.genesis.chain_id, &net.genesis.powers()).expect("verified against the genesis");
    // It has no consensus key and signs nothing: no certificate names a key outside the set.
    assert_eq!(net.node(observer).consensus_key(), None);
    let validators = net.genesis.powers();
    for h in 1..=net.node(observer).tip().height {
        let certificate = net.node(observer).certificate(h).expect("certificate");
        assert!(certificate.signatures.iter().all(|(p, _)| validators.iter().any(|(v, _)| v == p)));
    }
    net.shutdown().await;
}
