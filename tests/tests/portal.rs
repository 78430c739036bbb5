//! The web portal in headless Chromium (Debian `chromium` and `chromium-driver`, which `.ci/run`
//! installs) against a live four-validator network on 127.0.0.1: the pages a verifier uses, the
//! ledger identifiers the browser computes checked against the Rust ones, and screenshots at
//! desktop and phone width.
//!
//! `EBL_SCREENSHOTS=<dir>` writes the screenshots there (`docs/screenshots` holds the committed
//! ones); without it they go to a temporary directory and are only checked to be PNG files.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ebl_contracts::testkit::{document_for, to_order, TestLedger};
use ebl_ledger::action::{
    AmendmentReason, AssignPickup, CreateLien, EmptyReturn, GateOut, HoldAuthority, HoldTarget,
    IssueReleaseOrder, PlaceHold,
};
use ebl_ledger::records::{BlId, BlRecord, ContainerRef, StateKey, TransportDocumentType};
use ebl_ledger::{Action, Hash, Keypair, Transaction, TxBody};
use ebl_node::testkit::TestNet;
use ebl_tests::webdriver::{arg, Browser, Locator};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);
const REFERENCE: &str = "PORTAL000001";

/// Where screenshots go, and the guard of the temporary directory when none is asked for.
fn screenshot_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    match std::env::var_os("EBL_SCREENSHOTS") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            std::fs::create_dir_all(&dir).expect("screenshot directory");
            (dir, None)
        }
        None => {
            let temp = tempfile::tempdir().expect("temp dir");
            (temp.path().to_path_buf(), Some(temp))
        }
    }
}

/// Takes `name` at desktop and at phone width, and checks each is a PNG.
async fn screenshots(browser: &Browser, dir: &Path, name: &str) {
    for (suffix, width, height) in [("desktop", 1280, 900), ("phone", 390, 844)] {
        browser.set_window_size(width, height).await.expect("window size");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let path = dir.join(format!("{name}-{suffix}.png"));
        browser.save_screenshot(&path).await.expect("screenshot");
        let bytes = std::fs::read(&path).expect("screenshot written");
        assert!(bytes.starts_with(b"\x89PNG"), "{} is a PNG", path.display());
    }
    browser.set_window_size(1280, 900).await.expect("window size");
}

async fn verify_with(browser: &Browser, carrier: &str, reference: &str, file: &Path) -> (String, String) {
    browser
        .find(Locator::Css("#carrier"))
        .await
        .expect("carrier")
        .select_by_value(carrier)
        .await
        .expect("carrier chosen");
    let input = browser.find(Locator::Css("#reference")).await.expect("reference");
    input.clear().await.expect("clear");
    input.send_keys(reference).await.expect("reference typed");
    let path = file.canonicalize().expect("absolute path");
    browser
        .find(Locator::Css("#document"))
        .await
        .expect("file input")
        .send_keys(&path.display().to_string())
        .await
        .expect("upload");
    browser.find(Locator::Css("#verify-submit")).await.expect("button").click().await.expect("click");
    // The outcome replaces "Checking…" once the node has answered.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let outcome = browser.find(Locator::Css("#verify-outcome")).await.expect("outcome");
        let state = browser
            .execute("return document.querySelector('#verify-outcome').dataset.outcome || ''", vec![])
            .await
            .expect("outcome kind");
        let state = state.as_str().unwrap_or_default().to_string();
        if !state.is_empty() && state != "WORKING" {
            let text = outcome.text().await.expect("outcome text");
            let details = browser
                .find(Locator::Css("#verify-details"))
                .await
                .expect("details")
                .text()
                .await
                .expect("text");
            return (state, format!("{text}\n{details}"));
        }
        assert!(tokio::time::Instant::now() < deadline, "no verification outcome within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What a party's browser uploads, in a folder of their own: the network's genesis file, the DCSA
/// document of the to-order BL `reference`, and `key`'s PEM.
struct Uploads {
    _dir: tempfile::TempDir,
    genesis: PathBuf,
    document: PathBuf,
    key: PathBuf,
}

impl Uploads {
    fn new(net: &TestNet, reference: &str, key: &Keypair) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (genesis, document, key_file) =
            (dir.path().join("genesis.json"), dir.path().join("document.json"), dir.path().join("key.pem"));
        std::fs::write(&genesis, net.genesis.to_json()).expect("write genesis");
        let json = document_for(reference, TransportDocumentType::Bol, true).to_value().expect("JSON");
        std::fs::write(&document, serde_json::to_string(&json).expect("text")).expect("write");
        std::fs::write(&key_file, ebl_client::keys::to_pem(key).expect("pem")).expect("write");
        Uploads { _dir: dir, genesis, document, key: key_file }
    }
}

/// A browser at the portal of `base`, signed in as the shipper with `files.key`, on the Verify page
/// with `files.genesis` loaded as the trust anchor.
async fn shipper_verifying(base: &str, files: &Uploads) -> Browser {
    let browser = Browser::start().await.expect("headless Chromium");
    browser.goto(&format!("{base}/#/mine")).await.expect("portal");
    browser.wait_for("body[data-ready]", WAIT).await.expect("portal loaded");
    sign_in(&browser, &files.key).await;
    browser.wait_for_text("#signed-in-as", "Shipper Export Co", WAIT).await.expect("signed in");
    browser.find(Locator::Css("#nav-verify")).await.expect("nav").click().await.expect("to verify");
    browser.wait_for("#carrier option", WAIT).await.expect("the carriers are listed");
    load_anchor(&browser, &files.genesis).await;
    browser
}

/// Four validators running, the REST API (and portal) of the second served; its base URL.
async fn live_network() -> (TestNet, String) {
    let mut net = TestNet::new(4);
    net.start_all().await;
    let url = net.serve_api(1).await;
    (net, url)
}

/// Commits each `(signer, action, nonce)` in turn on every validator; each must succeed.
async fn commit_in_turn(net: &TestNet, steps: Vec<(&Keypair, Action, u64)>) {
    for (signer, action, nonce) in steps {
        let id = net.submit(0, TestLedger::tx_with_nonce(&[signer], action, nonce));
        net.wait_for_receipts(&[0, 1, 2, 3], &[id]).await;
        let receipt = net.receipt(1, &id).expect("receipt");
        assert!(receipt.error().is_none(), "{receipt:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verifier_sees_verified_for_the_ledgers_document_and_a_mismatch_for_a_changed_one() {
    let (net, url) = live_network().await;
    let cast = &net.cast;
    commit_in_turn(&net, vec![(&cast.carrier, to_order(REFERENCE, &cast.shipper, None), 0)]).await;

    // The document as the shipper holds it: pretty-printed, keys in another order than the
    // canonical form; and a copy with one character changed.
    let document = document_for(REFERENCE, TransportDocumentType::Bol, true).to_value().expect("JSON");
    let files = tempfile::tempdir().expect("temp dir");
    let original = files.path().join("ebl.json");
    std::fs::write(&original, serde_json::to_string_pretty(&document).expect("text")).expect("write");
    let mut changed_doc = document.clone();
    let terms = changed_doc["termsAndConditions"].as_str().expect("terms").to_string();
    let mut chars: Vec<char> = terms.chars().collect();
    chars[0] = if chars[0] == 'X' { 'Y' } else { 'X' };
    changed_doc["termsAndConditions"] = Value::String(chars.into_iter().collect());
    let changed = files.path().join("ebl-changed.json");
    std::fs::write(&changed, serde_json::to_string_pretty(&changed_doc).expect("text")).expect("write");
    let not_json = files.path().join("scan.pdf");
    std::fs::write(&not_json, b"%PDF-1.7 not a DCSA document").expect("write");

    let (shots, _guard) = screenshot_dir();
    let browser =
        Browser::start().await.expect("headless Chromium (apt-get install chromium chromium-driver)");
    browser.goto(&format!("{url}/#/verify")).await.expect("portal");
    browser.wait_for("#carrier option", WAIT).await.expect("the carriers are listed");
    let carrier = cast.carrier.party().to_string();

    // No trust anchor yet: the node's answer is shown as the node's, never as verified.
    let (state, text) = verify_with(&browser, &carrier, REFERENCE, &original).await;
    assert_eq!(state, "UNVERIFIED", "{text}");
    assert!(text.contains("NOT VERIFIED") && text.contains("no trust anchor"), "{text}");
    let (anchor, anchor_says) = anchor_state(&browser).await;
    assert!(anchor == "NONE" && anchor_says.contains("No trust anchor loaded"), "{anchor}: {anchor_says}");
    let genesis = files.path().join("genesis.json");
    std::fs::write(&genesis, net.genesis.to_json()).expect("write genesis");
    load_anchor(&browser, &genesis).await;
    let (state, text) = verify_with(&browser, &carrier, REFERENCE, &original).await;
    assert_eq!(state, "UNVERIFIED", "{text}");
    assert!(text.contains("Not checked: sign in"), "without a key the proof is not claimed: {text}");
    let checksum = document_for(REFERENCE, TransportDocumentType::Bol, true).checksum().to_hex();
    for expected in ["ISSUED", "Ocean Carrier Line", "Shipper Export Co", checksum.as_str()] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    screenshots(&browser, &shots, "verify").await;

    let (state, text) = verify_with(&browser, &carrier, REFERENCE, &changed).await;
    assert_eq!(state, "MISMATCH", "{text}");
    assert!(text.contains("NOT THE LEDGER'S DOCUMENT"), "{text}");
    assert!(!text.contains("Shipper Export Co"), "a changed document learns no names: {text}");
    screenshots(&browser, &shots, "verify-mismatch").await;

    let (state, text) = verify_with(&browser, &carrier, "NO-SUCH-BL", &original).await;
    assert_eq!(state, "UNKNOWN", "{text}");
    let (state, text) = verify_with(&browser, &carrier, REFERENCE, &not_json).await;
    assert_eq!(state, "NOT_JSON", "{text}");

    // A BL surrendered for delivery and accepted: its true document no longer carries title.
    let surrendered = "PORTAL000002";
    let bl = BlId::new(&cast.carrier.party(), surrendered);
    let steps = vec![
        (&cast.carrier, to_order(surrendered, &cast.shipper, None), 1),
        (&cast.shipper, Action::SurrenderForDelivery { bl }, 0),
        (&cast.carrier, Action::AcceptSurrender { bl }, 2),
    ];
    commit_in_turn(&net, steps).await;
    let copy = files.path().join("surrendered.json");
    let document = document_for(surrendered, TransportDocumentType::Bol, true).to_value().expect("JSON");
    std::fs::write(&copy, serde_json::to_string(&document).expect("text")).expect("write");
    let (state, text) = verify_with(&browser, &carrier, surrendered, &copy).await;
    assert_eq!(state, "SURRENDERED", "{text}");
    assert!(text.contains("no longer carries title") && text.contains("SURRENDERED_FOR_DELIVERY"), "{text}");

    // Surrendered for amendment and accepted: VOID. Surrendered to switch to paper: PAPER.
    let (voided, paper) = ("PORTAL000006", "PORTAL000007");
    let (voided_bl, paper_bl) =
        (BlId::new(&cast.carrier.party(), voided), BlId::new(&cast.carrier.party(), paper));
    let steps = vec![
        (&cast.carrier, to_order(voided, &cast.shipper, None), 3),
        (&cast.carrier, to_order(paper, &cast.shipper, None), 4),
        (&cast.shipper, Action::SurrenderForAmendment { bl: voided_bl, reason: AmendmentReason::Cod }, 1),
        (&cast.shipper, Action::SurrenderForAmendment { bl: paper_bl, reason: AmendmentReason::Swtp }, 2),
        (&cast.carrier, Action::AcceptSurrender { bl: voided_bl }, 5),
        (&cast.carrier, Action::SwitchToPaper { bl: paper_bl, paper_bl_number: "PAPER-0001".into() }, 6),
    ];
    commit_in_turn(&net, steps).await;
    for (reference, outcome, says) in
        [(voided, "VOID", "carries no title"), (paper, "PAPER", "replaced by a paper one")]
    {
        let copy = files.path().join(format!("{reference}.json"));
        let document = document_for(reference, TransportDocumentType::Bol, true).to_value().expect("JSON");
        std::fs::write(&copy, serde_json::to_string(&document).expect("text")).expect("write");
        let (state, text) = verify_with(&browser, &carrier, reference, &copy).await;
        assert_eq!(state, outcome, "{text}");
        assert!(text.contains(says), "{text}");
    }

    // The network page: the chain, its height and the four validators.
    browser.goto(&format!("{url}/#/network")).await.expect("network page");
    browser.wait_for_text("#network-summary", "ebl-test-1", WAIT).await.expect("chain shown");
    browser.wait_for("#network-blocks tbody tr", WAIT).await.expect("recent blocks");
    let validators = browser
        .execute("return document.querySelectorAll('#network-validators li').length", vec![])
        .await
        .expect("count");
    assert_eq!(validators, json!(4));
    browser
        .wait_for_text("#network-validators", "Ocean Carrier Line", WAIT)
        .await
        .expect("validators by name");
    screenshots(&browser, &shots, "network").await;

    browser.quit().await.expect("quit");
    net.shutdown().await;
}

/// A node that lies to the browser (ebl_client::testkit's proxy in front of a real validator):
/// the page takes its trust anchor from the genesis file the user loaded, never from the node,
/// so a bundle certified by another validator set (with a `/v1/status` announcing that set), a
/// replayed genuine bundle of an older state, and a rewritten public answer are each refused
/// with their own reason; the honest node, through the same proxy, is VERIFIED.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lying_node_cannot_make_the_portal_say_verified() {
    use ebl_client::testkit::{
        bundle_hex, bundle_of_another_set, LyingProxy, ProxyAnswer, ProxyRequest, Rewrite,
    };
    type Lie = Box<dyn Fn(&ProxyRequest, ProxyAnswer) -> ProxyAnswer + Send + Sync>;
    // The proxy passes the browser's Host through, as a reverse proxy does: the node answers
    // signed reads made for the proxy's name (not known before the node is served).
    let mut net = TestNet::new(4);
    net.start_all().await;
    let url = net.serve_api_with(1, Some(ebl_node::api::OwnAuthorities::Any)).await;
    let cast = &net.cast;
    let reference = "PORTALLIE01";
    let bl = BlId::new(&cast.carrier.party(), reference);
    commit_in_turn(&net, vec![(&cast.carrier, to_order(reference, &cast.shipper, None), 0)]).await;
    let lie: Arc<Mutex<Lie>> = Arc::new(Mutex::new(Box::new(|_: &ProxyRequest, a: ProxyAnswer| a)));
    let current = lie.clone();
    let rewrite: Rewrite = Arc::new(move |request: &ProxyRequest, answer: ProxyAnswer| {
        (current.lock().expect("lie"))(request, answer)
    });
    let proxy = LyingProxy::start(&url, rewrite).await.expect("proxy");
    let tell = |l: Lie| *lie.lock().expect("lie") = l;

    let files = Uploads::new(&net, reference, &cast.shipper);
    let copy = files.document.clone();
    let (shots, _guard) = screenshot_dir();
    let browser = shipper_verifying(&proxy.url, &files).await;
    let carrier = cast.carrier.party().to_string();
    let proof_reason = || async {
        let reason = browser
            .execute(
                "return document.querySelector('dd[data-field=\"field.proof\"]').dataset.reason || ''",
                vec![],
            )
            .await
            .expect("reason");
        reason.as_str().unwrap_or_default().to_string()
    };

    // Honest, through the proxy: VERIFIED against the loaded anchor.
    let (state, text) = verify_with(&browser, &carrier, reference, &copy).await;
    assert_eq!(state, "VERIFIED", "{text}");
    assert!(text.contains("against your trust anchor (genesis.json)"), "{text}");

    // 1. Another validator set: the node announces four validators of its own in /v1/status and
    //    serves a bundle they certified (of a record it made up). The anchor is not the node's.
    let record: BlRecord = net.node(1).view().state(&StateKey::Bl(bl)).expect("the BL");
    let mut made_up = record.clone();
    made_up.possessor = cast.outsider.party();
    let liars: Vec<Keypair> = (0..4).map(|i| Keypair::for_test(&format!("portal-liar-{i}"))).collect();
    let chain = net.genesis.chain_id.clone();
    let tip = net.node(1).view().tip();
    let forged = bundle_of_another_set(&chain, &made_up, tip.height, ebl_client::time::now_ms(), &liars)
        .expect("forged bundle");
    let (hex, their_set): (String, Vec<Value>) = (
        bundle_hex(&forged),
        liars.iter().map(|k| json!({"party": k.party(), "votingPower": 1, "legalName": "Liar"})).collect(),
    );
    tell(Box::new(move |request: &ProxyRequest, mut answer: ProxyAnswer| {
        if let Some(mut body) = answer.json() {
            if request.path == "/v1/status" {
                body["validators"] = json!(their_set.clone());
            } else if request.path.ends_with("/proof") {
                body["bundle"] = json!(hex.clone());
            } else {
                return answer;
            }
            answer.set_json(&body);
        }
        answer
    }));
    let (state, text) = verify_with(&browser, &carrier, reference, &copy).await;
    assert_eq!(state, "PROOF_FAILED", "{text}");
    assert_eq!(proof_reason().await, "UNTRUSTED", "{text}");
    assert!(text.contains("is not a validator"), "{text}");
    screenshots(&browser, &shots, "verify-lying-node").await;
    // The pages are switched by their links: the signed-in session lives in the page.
    browser.find(Locator::Css("#nav-network")).await.expect("nav").click().await.expect("to network");
    browser.wait_for_text("#network-summary", "ANOTHER CHAIN OR VALIDATOR SET", WAIT).await.expect("flagged");
    browser.find(Locator::Css("#nav-verify")).await.expect("nav").click().await.expect("to verify");
    browser.wait_for("#carrier option", WAIT).await.expect("the carriers are listed");
    assert_eq!(anchor_state(&browser).await.0, "LOADED", "the anchor is kept in the browser");

    // 2. The public answer rewritten (the BL shown as held by another party), the proof honest.
    let outsider = cast.outsider.party().to_string();
    tell(Box::new(move |request: &ProxyRequest, mut answer: ProxyAnswer| {
        if request.path.starts_with("/v1/verify/") {
            if let Some(mut body) = answer.json() {
                body["disclosed"]["possessor"] = json!({"party": outsider.clone(), "legalName": "Outsider"});
                answer.set_json(&body);
            }
        }
        answer
    }));
    let (state, text) = verify_with(&browser, &carrier, reference, &copy).await;
    assert_eq!((state.as_str(), proof_reason().await.as_str()), ("PROOF_FAILED", "LIED"), "{text}");
    assert!(text.contains("possessor (the node says"), "{text}");

    // 3. A replay: the genuine proof recorded, the BL then transferred, the recording served
    //    once it is older than the bound this browser is set to (5 s here; 2 minutes by default).
    tell(Box::new(|_: &ProxyRequest, a: ProxyAnswer| a));
    let shipper = ebl_client::Client::new(proxy.url.clone(), chain.clone())
        .expect("client")
        .with_key(Keypair::from_seed(cast.shipper.seed()));
    let recorded = shipper.proof(&bl).await.expect("recorded proof");
    let recorded_at = ebl_client::decode_bundle(&recorded.bundle).expect("bundle").header.time_ms;
    commit_in_turn(&net, vec![(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() }, 0)]).await;
    browser.execute("localStorage.setItem('ebl.proofAgeMaxMs', '5000')", vec![]).await.expect("setting");
    let deadline = tokio::time::Instant::now() + WAIT;
    while ebl_client::time::now_ms() < recorded_at + 8_000 {
        assert!(tokio::time::Instant::now() < deadline, "the clock does not move");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let body = serde_json::to_value(&recorded).expect("json");
    tell(Box::new(move |request: &ProxyRequest, mut answer: ProxyAnswer| {
        if request.path.ends_with("/proof") {
            answer.set_json(&body);
        }
        answer
    }));
    let (state, text) = verify_with(&browser, &carrier, reference, &copy).await;
    assert_eq!((state.as_str(), proof_reason().await.as_str()), ("PROOF_FAILED", "STALE"), "{text}");
    assert!(text.contains("stale proof"), "{text}");

    // Honest again: VERIFIED, with the new possessor.
    tell(Box::new(|_: &ProxyRequest, a: ProxyAnswer| a));
    let (state, text) = verify_with(&browser, &carrier, reference, &copy).await;
    assert_eq!(state, "VERIFIED", "{text}");
    assert!(text.contains("Consignee"), "{text}");

    // Forgotten, the anchor is gone and nothing is called verified.
    browser.find(Locator::Css("#anchor-forget")).await.expect("forget").click().await.expect("click");
    browser.wait_for_text("#anchor-state", "No trust anchor", WAIT).await.expect("forgotten");
    let (state, text) = verify_with(&browser, &carrier, reference, &copy).await;
    assert_eq!(state, "UNVERIFIED", "{text}");

    browser.quit().await.expect("quit");
    drop(proxy);
    net.shutdown().await;
}

/// The validator set changed twice by governance: validator 0's power raised 1 → 2 → 3 by its
/// operator, each change approved by the operators of the bank's and customs' validators. With
/// only the genesis file loaded, the portal walks the chain of sets from genesis (each set proven
/// at the block that approved it, certified by the set before), verifies a title at a height after
/// both changes against the set of that height, and its Network page lists the three sets as
/// verified. A chain served truncated, reordered, duplicated, skipping a set, with another set's
/// proof, oversized or too long is refused. So is a title certified by the other three validators
/// alone: more than two thirds of the genesis power (which would accept it), half of the power of
/// the set of its height.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_learns_the_validator_sets_from_genesis_and_refuses_a_title_signed_by_a_replaced_set() {
    use ebl_ledger::certificate::{vote_signing_bytes, VoteKind};
    use ebl_ledger::governance::{Governance, ValidatorChange, ValidatorEpoch};
    use ebl_node::testkit::consensus_key;
    let (net, url) = live_network().await;
    let cast = &net.cast;
    let nonce = |k: &Keypair| net.node(0).state::<u64>(&StateKey::Nonce(k.party())).unwrap_or(0);
    let validator0 = consensus_key(0).party();
    let mut newest: Option<ValidatorEpoch> = None;
    for power in [2, 3] {
        // A change may be proposed once the one before it runs; each moves a quarter, then a
        // fifth of the power (less than a third).
        net.wait_until_height(&[0, 1, 2, 3], newest.as_ref().map_or(0, |e| e.effective_height)).await;
        let change = ValidatorChange::SetPower { consensus_key: validator0, voting_power: power };
        let propose = Action::ProposeValidatorChange { change };
        commit_in_turn(&net, vec![(&cast.carrier, propose, nonce(&cast.carrier))]).await;
        let governance: Governance = net.node(0).state(&StateKey::Governance).expect("governance");
        let proposal = governance.open.last().expect("the proposal is open").id;
        for approver in [&cast.bank, &cast.customs] {
            let approve = Action::ApproveValidatorChange { proposal };
            commit_in_turn(&net, vec![(approver, approve, nonce(approver))]).await;
        }
        let epoch = net.node(0).state::<Governance>(&StateKey::Governance).expect("governance").latest_epoch;
        newest = net.node(0).state(&StateKey::ValidatorEpoch(epoch));
    }
    let two = newest.expect("the newest set");
    assert_eq!((two.epoch, two.total_power()), (2, Some(6)), "{two:?}");
    let reference = "PORTALGOV01";
    let bl = BlId::new(&cast.carrier.party(), reference);
    commit_in_turn(
        &net,
        vec![(&cast.carrier, to_order(reference, &cast.shipper, None), nonce(&cast.carrier))],
    )
    .await;
    net.wait_until_height(&[0, 1, 2, 3], two.effective_height + 1).await;

    let files = Uploads::new(&net, reference, &cast.shipper);
    let copy = files.document.clone();
    let browser = shipper_verifying(&url, &files).await;
    let (state, text) = verify_with(&browser, &cast.carrier.party().to_string(), reference, &copy).await;
    assert_eq!(state, "VERIFIED", "{text}");
    assert!(text.contains("against your trust anchor (genesis.json)"), "{text}");
    assert!(text.contains("of the 4 validators of set 2"), "checked against the set of its height: {text}");

    // The Network page: the three sets, the newest current, each verified from genesis.
    browser.find(Locator::Css("#nav-network")).await.expect("nav").click().await.expect("to network");
    let said = browser
        .wait_for_text("#network-epochs-state[data-state='VERIFIED']", "verified from genesis", WAIT)
        .await
        .expect("the sets verified");
    assert!(said.contains("(3 sets)"), "{said}");
    let rows = browser
        .execute(
            "return Array.from(document.querySelectorAll('#network-epochs tbody tr'), (tr) => \
             [tr.dataset.epoch, tr.dataset.current, tr.dataset.verified, tr.textContent])",
            vec![],
        )
        .await
        .expect("rows");
    let rows = rows.as_array().expect("rows").clone();
    assert_eq!(rows.len(), 3, "{rows:?}");
    for (k, row) in rows.iter().enumerate() {
        let current = if k == 2 { "true" } else { "false" };
        assert_eq!((&row[0], &row[1], &row[2]), (&json!(k.to_string()), &json!(current), &json!("VERIFIED")));
        assert!(row[3].as_str().is_some_and(|t| t.contains(&format!("validator-0 ({})", k + 1))), "{row}");
    }

    // A chain a lying node might serve, built from the genuine links; each refused, with why.
    let validators: Vec<Value> = net
        .genesis
        .validators
        .iter()
        .map(|v| json!({"party": v.consensus_key, "votingPower": v.voting_power}))
        .collect();
    let anchor = json!({"chainId": net.genesis.chain_id, "validators": validators});
    let lies = portal_js(
        &browser,
        "proof.js",
        "m.getChainPage(1, 16).then(async (page) => { \
           const [a, b] = page.links; \
           const out = { served: [page.latestEpoch, page.links.length] }; \
           const pages = { \
             truncated: { latestEpoch: 2, links: [a] }, reordered: { latestEpoch: 2, links: [b, a] }, \
             duplicated: { latestEpoch: 2, links: [a, a] }, skipping: { latestEpoch: 2, links: [b] }, \
             otherKey: { latestEpoch: 2, links: [a, { ...b, bundle: a.bundle }] }, \
             relabelled: { latestEpoch: 2, links: [a, { ...b, approvedHeight: a.approvedHeight }] }, \
             oversized: { latestEpoch: 2, links: Array(17).fill(a) }, tooLong: { latestEpoch: 1e6, links: [] } }; \
           for (const [lie, body] of Object.entries(pages)) { \
             out[lie] = await m.verifyEpochChain(args[0], async () => body) \
               .then((epochs) => `accepted ${epochs.length}`, (e) => `${e.code}: ${e.message}`); \
           } \
           return out; })",
        vec![anchor.clone()],
    )
    .await;
    assert_eq!(lies["served"], json!([2, 2]), "{lies}");
    for (lie, reason) in [
        ("truncated", "proved the validator sets up to 1 of 2"),
        ("reordered", "served set 2 where set 1 was due"),
        ("duplicated", "served set 1 where set 2 was due"),
        ("skipping", "served set 2 where set 1 was due"),
        ("otherKey", "proves another key than the set of epoch 2"),
        ("relabelled", "labels the link of set 2 with another height"),
        ("oversized", "served 17 links from set 1 on"),
        ("tooLong", "checks at most 4096"),
    ] {
        let said = lies[lie].as_str().unwrap_or_default();
        assert!(said.starts_with("UNTRUSTED: ") && said.contains(reason), "{lie}: {lies}");
    }

    // The title certified by validators 1 to 3 alone (their own precommits of its block, as a
    // certificate holding them and not validator 0's would carry): enough for the genesis set,
    // not for the set of its height.
    let chain = net.genesis.chain_id.clone();
    let bundle = net.node(1).view().prove(&StateKey::Bl(bl)).expect("a proof");
    assert!(bundle.header.height >= two.effective_height, "a height after both changes");
    let mut replaced = bundle.clone();
    let c = &bundle.certificate;
    replaced.certificate.signatures = (1..4)
        .map(|i| {
            let key = consensus_key(i);
            let vote = vote_signing_bytes(
                VoteKind::Precommit,
                &chain,
                c.height,
                c.round,
                Some(&c.block_hash),
                &key.party(),
            );
            (key.party(), key.sign(&vote))
        })
        .collect();
    replaced.verify(&chain, &net.genesis.powers()).expect("enough for the genesis set");
    assert!(replaced.verify(&chain, &two.powers()).is_err(), "not for the set of its height");
    let record: BlRecord = net.node(1).view().state(&StateKey::Bl(bl)).expect("the BL");
    let checked = portal_js(
        &browser,
        "proof.js",
        "m.verifyEpochChain(args[0]).then((epochs) => Promise.all([[args[1], epochs], [args[2], epochs], [args[2], null]] \
           .map(([hex, sets]) => m.verifyBlProof(hex, args[0], args[3], args[4], Date.now(), 3600000, sets) \
             .then((r) => `checked against set ${r.epoch}`, (e) => `${e.code}: ${e.message}`))))",
        vec![
            anchor,
            json!(hex_of(&ebl_ledger::encoding::encode(&bundle))),
            json!(hex_of(&ebl_ledger::encoding::encode(&replaced))),
            json!(bl.0.to_hex()),
            json!(record.document_checksum.to_hex()),
        ],
    )
    .await;
    assert_eq!(
        checked,
        json!([
            "checked against set 2",
            "UNTRUSTED: signers hold 3 of 6 voting power",
            "checked against set 0"
        ]),
        "the genuine title, the one the replaced set would accept, and that one against the genesis set alone"
    );

    browser.quit().await.expect("quit");
    net.shutdown().await;
}

/// Evaluates `expression` in the page with the portal's module `module` (e.g. `ledger.js`) as
/// `m` and the arguments as `args`; a thrown error comes back as its message.
async fn portal_js(browser: &Browser, module: &str, expression: &str, args: Vec<Value>) -> Value {
    let script = format!(
        "const done = arguments[arguments.length - 1]; \
         const args = Array.from(arguments).slice(0, -1); \
         import('/portal/{module}').then((m) => {expression}).then(done, (e) => done(String(e)));"
    );
    browser.execute_async(&script, args).await.expect("script")
}

async fn ledger_js(browser: &Browser, expression: &str, args: Vec<Value>) -> Value {
    portal_js(browser, "ledger.js", expression, args).await
}

/// One validator serving the portal, and a browser on its Verify page (the modules loaded).
async fn one_validator_and_a_browser() -> (TestNet, String, Browser) {
    let mut net = TestNet::new(1);
    net.start(0).await;
    let url = net.serve_api(0).await;
    let browser =
        Browser::start().await.expect("headless Chromium (apt-get install chromium chromium-driver)");
    browser.goto(&format!("{url}/#/verify")).await.expect("portal");
    browser.wait_for("body[data-ready]", WAIT).await.expect("portal loaded");
    (net, url, browser)
}

/// The identifiers the page computes with WebCrypto are the ledger's: the BL id and the RFC 8785
/// form of documents with awkward keys, numbers and strings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_computes_the_ledgers_bl_ids_and_canonical_json() {
    let (net, _, browser) = one_validator_and_a_browser().await;

    let cast = &net.cast;
    let references = ["MAEU123456789", "", "提单-2026/001 ü", "A\"B\\C"];
    for carrier in [&cast.carrier, &cast.carrier2] {
        for reference in references {
            let party = carrier.party().to_string();
            let js =
                ledger_js(&browser, "m.blId(args[0], args[1])", vec![json!(party), json!(reference)]).await;
            assert_eq!(js, json!(BlId::new(&carrier.party(), reference).0.to_hex()), "{reference:?}");
        }
    }
    let documents = [
        r#"{"b": 1, "a": [true, null, "x"], "é": {"z": 1.0, "y": -0.0}}"#,
        r#"{"n": [1e21, 1e-7, 0.1, 123456789012, 2.5e-3, -17], "s": "tab\t nl\n quote\" slash/ \u0001 ü €"}"#,
        r#"{"\u20ac": 1, "\r": 2, "10": 3, "1": 4, "a": {}, "B": []}"#,
    ];
    let mut samples: Vec<String> = documents.iter().map(|d| d.to_string()).collect();
    samples.push(
        serde_json::to_string(
            &document_for(REFERENCE, TransportDocumentType::Bol, true).to_value().expect("JSON"),
        )
        .expect("text"),
    );
    for text in samples {
        let value: Value = serde_json::from_str(&text).expect("sample is JSON");
        let rust =
            String::from_utf8(ebl_ledger::checksum::canonical_json(&value).expect("jcs")).expect("utf-8");
        let js = ledger_js(&browser, "m.canonicalJson(JSON.parse(args[0]))", vec![json!(text)]).await;
        assert_eq!(js, json!(rust), "{text}");
        let checksum = ledger_js(&browser, "m.documentChecksum(args[0])", vec![json!(text)]).await;
        assert_eq!(
            checksum,
            json!(ebl_ledger::checksum::document_checksum(&value).expect("checksum").to_hex())
        );
    }
    browser.quit().await.expect("quit");
    net.shutdown().await;
}

/// The portal offers CREATE_LIEN to exactly the possessors the ledger lets pledge: the party
/// entitled to the goods (ADR 0004), with no lien binding. Each BL is built on the contracts'
/// test ledger, its record handed to the page's `titleActions` as the API serves it, and the
/// pledge then executed by the ledger: offered and accepted agree.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_offers_a_pledge_only_to_the_party_entitled_to_the_goods() {
    let (net, _, browser) = one_validator_and_a_browser().await;
    let cast = &net.cast;
    let bl = |reference: &str| BlId::new(&cast.carrier.party(), reference);
    let straight_bl = |reference: &str| {
        ebl_contracts::testkit::straight(reference, &cast.shipper, &cast.consignee, &[&cast.forwarder])
    };
    let endorse =
        |reference: &str, to: &Keypair| Action::EndorseToOrder { bl: bl(reference), endorsee: to.party() };
    let transfer = |reference: &str, to: &Keypair| Action::Transfer { bl: bl(reference), to: to.party() };
    // What, its ISSUE, the steps after it, whether its possessor is entitled to the goods.
    type Case<'a> = (&'a str, Action, Vec<(&'a Keypair, Action)>, bool);
    let cases: Vec<Case<'_>> = vec![
        (
            "order BL endorsed to a bank, still with the shipper",
            to_order("PLEDGE1", &cast.shipper, Some(&cast.shipper)),
            vec![(&cast.shipper, endorse("PLEDGE1", &cast.bank))],
            false,
        ),
        (
            "order BL endorsed to the consignee and handed to it",
            to_order("PLEDGE2", &cast.shipper, Some(&cast.shipper)),
            vec![
                (&cast.shipper, endorse("PLEDGE2", &cast.consignee)),
                (&cast.shipper, transfer("PLEDGE2", &cast.consignee)),
            ],
            true,
        ),
        (
            "BL endorsed in blank, with a forwarder",
            to_order("PLEDGE3", &cast.shipper, None),
            vec![(&cast.shipper, transfer("PLEDGE3", &cast.forwarder))],
            true,
        ),
        ("straight BL with its shipper", straight_bl("PLEDGE4"), vec![], false),
        (
            "straight BL with its consignee",
            straight_bl("PLEDGE5"),
            vec![(&cast.shipper, transfer("PLEDGE5", &cast.consignee))],
            true,
        ),
    ];
    let mut ledger = TestLedger::new(cast);
    for (what, issue, steps, entitled) in cases {
        let Action::Issue(ref a) = issue else { panic!("an ISSUE") };
        let bl = bl(&a.transport_document_reference);
        ledger.ok(&cast.carrier, issue);
        for (signer, action) in steps {
            ledger.ok(signer, action);
        }
        let record = ledger.bl(&bl);
        let holder = [&cast.shipper, &cast.consignee, &cast.forwarder]
            .into_iter()
            .find(|k| k.party() == record.possessor)
            .expect("a cast member holds it");
        let offered = portal_js(
            &browser,
            "actions.js",
            "m.titleActions(args[0], args[1]).map((a) => a.type)",
            vec![
                serde_json::to_value(&record).expect("json"),
                serde_json::to_value(holder.party()).expect("json"),
            ],
        )
        .await;
        let offered = offered.as_array().expect("a list of actions").contains(&json!("CREATE_LIEN"));
        let pledge = Action::CreateLien(CreateLien {
            bl,
            bank: cast.bank.party(),
            amount_minor: 12_500_000,
            currency: "USD".into(),
            // Far ahead of the browser's clock too, so the page sees the lien binding.
            expires_at_ms: 4_000_000_000_000,
            finance_reference: "LC-2026-0042".into(),
        });
        let accepted = ledger.exec_multi(&[holder, &cast.bank], pledge).is_success();
        assert_eq!((offered, accepted), (entitled, entitled), "{what}");
        if accepted {
            // Pledged: no second pledge is offered, as the ledger refuses one.
            let record = serde_json::to_value(ledger.bl(&bl)).expect("json");
            let offered = portal_js(
                &browser,
                "actions.js",
                "m.titleActions(args[0], args[1]).map((a) => a.type)",
                vec![record, serde_json::to_value(holder.party()).expect("json")],
            )
            .await;
            assert!(
                !offered.as_array().expect("a list").contains(&json!("CREATE_LIEN")),
                "{what}: {offered}"
            );
        }
    }
    browser.quit().await.expect("quit");
    net.shutdown().await;
}

/// A GET with the given headers, straight to the node (not through the browser).
async fn get_with(url: &str, headers: &Value) -> (u16, Value) {
    let mut request = reqwest::Client::new().get(url);
    for (name, value) in headers.as_object().expect("headers") {
        request = request.header(name.as_str(), value.as_str().expect("header text"));
    }
    let response = request.send().await.expect("node answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_signs_in_with_its_key_and_its_browser_signed_requests_cannot_be_replayed_or_reused() {
    let (mut net, url) = live_network().await;
    // Another node of the network, on its own address.
    let elsewhere = net.serve_api(2).await;
    let cast = &net.cast;
    let mine = "PORTAL000003";
    let theirs = "PORTAL000004";
    let bl = BlId::new(&cast.carrier.party(), mine);
    let other = BlId::new(&cast.carrier.party(), theirs);
    let steps = vec![
        (&cast.carrier, to_order(mine, &cast.shipper, None), 0),
        (&cast.carrier, to_order(theirs, &cast.consignee, None), 1),
        (&cast.shipper, Action::EndorseToOrder { bl, endorsee: cast.bank.party() }, 0),
    ];
    commit_in_turn(&net, steps).await;
    let files = tempfile::tempdir().expect("temp dir");
    let shipper_pem = ebl_client::keys::to_pem(&cast.shipper).expect("pem");
    let key_file = files.path().join("shipper.pem");
    std::fs::write(&key_file, &shipper_pem).expect("write");
    let stranger_file = files.path().join("stranger.pem");
    std::fs::write(&stranger_file, ebl_client::keys::to_pem(&cast.stranger).expect("pem")).expect("write");
    let junk_file = files.path().join("junk.pem");
    std::fs::write(&junk_file, "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
        .expect("write");

    let (shots, _guard) = screenshot_dir();
    let browser = Browser::start().await.expect("headless Chromium");
    browser.goto(&format!("{url}/#/mine")).await.expect("portal");
    browser.wait_for("body[data-ready]", WAIT).await.expect("portal loaded");
    sign_in(&browser, &junk_file).await;
    browser.wait_for_text("#mine-error", "not an ed25519 private key", WAIT).await.expect("junk refused");
    sign_in(&browser, &stranger_file).await;
    browser.wait_for_text("#mine-error", "not a registered party", WAIT).await.expect("stranger refused");

    sign_in(&browser, &key_file).await;
    browser.wait_for_text("#signed-in-as", "Shipper Export Co", WAIT).await.expect("signed in");
    let card =
        browser.wait_for(&format!("article.bl[data-bl='{}']", bl.0.to_hex()), WAIT).await.expect("my BL");
    let text = card.text().await.expect("card text");
    let expected =
        [mine, "ISSUED", "you are its shipper", "ISSUE by Ocean Carrier Line", "ENDORSE_TO_ORDER by Shipper"];
    for expected in expected {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let form_shown = browser
        .execute("return document.querySelector('#sign-in-form').offsetParent !== null", vec![])
        .await
        .expect("form state");
    assert_eq!(form_shown, json!(false), "the sign-in form is hidden once signed in");
    let cards =
        browser.execute("return document.querySelectorAll('article.bl').length", vec![]).await.expect("n");
    assert_eq!(cards, json!(1), "only the BL naming the shipper is listed");
    screenshots(&browser, &shots, "mine").await;

    // Signed in, the verifier also checks the node's proof bundle of the record itself.
    let copy = files.path().join("mine.json");
    let document = document_for(mine, TransportDocumentType::Bol, true).to_value().expect("JSON");
    std::fs::write(&copy, serde_json::to_string(&document).expect("text")).expect("write");
    browser.find(Locator::Css("#nav-verify")).await.expect("nav").click().await.expect("to verify");
    browser.wait_for("#carrier option", WAIT).await.expect("the carriers are listed");
    let genesis = files.path().join("genesis.json");
    std::fs::write(&genesis, net.genesis.to_json()).expect("write genesis");
    load_anchor(&browser, &genesis).await;
    let (state, text) = verify_with(&browser, &cast.carrier.party().to_string(), mine, &copy).await;
    assert_eq!(state, "VERIFIED", "{text}");
    let proof = browser
        .execute("return document.querySelector('dd[data-field=\"field.proof\"]').dataset.proof", vec![])
        .await
        .expect("proof state");
    assert_eq!(proof, json!("CHECKED"), "{text}");
    assert!(text.contains("certified by") && text.contains("Ocean Carrier Line"), "{text}");
    screenshots(&browser, &shots, "verify-proof").await;

    // A request the page signs with the shipper's key: good once, for that request only.
    let chain = net.genesis.chain_id.clone();
    let target = format!("/v1/bls/{}", bl.0.to_hex());
    let signed = |target: String| {
        let browser = &browser;
        let (pem, chain) = (shipper_pem.clone(), chain.clone());
        async move {
            browser
                .execute_async(
                    "const [pem, chain, target, done] = arguments; \
                     import('/portal/signing.js').then(async (m) => { \
                       const key = await m.loadKey(pem); \
                       return m.signatureHeaders(key, chain, 'GET', target, Math.floor(Date.now() / 1000)); \
                     }).then(done, (e) => done(String(e)));",
                    vec![json!(pem), json!(chain), json!(target)],
                )
                .await
                .expect("script")
        }
    };
    let headers = signed(target.clone()).await;
    let (status, body) = get_with(&format!("{url}{target}"), &headers).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["transportDocumentReference"], mine);
    let (status, body) = get_with(&format!("{url}{target}"), &headers).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("REPLAYED_REQUEST")), "replayed: {body}");
    // The same signature on another BL's route, or under another party's key id, is refused.
    let fresh = signed(target.clone()).await;
    let (status, body) = get_with(&format!("{url}/v1/bls/{}", other.0.to_hex()), &fresh).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("BAD_REQUEST_SIGNATURE")), "moved: {body}");
    let mut posing = signed(target.clone()).await;
    let input = posing["signature-input"]
        .as_str()
        .expect("input")
        .replace(&cast.shipper.party().to_string(), &cast.carrier.party().to_string());
    posing["signature-input"] = json!(input);
    let (status, body) = get_with(&format!("{url}{target}"), &posing).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("BAD_REQUEST_SIGNATURE")), "posing: {body}");
    // The page signs for its node (`location.host`): another node refuses the request sent as
    // made (Host: this node), or with its own Host; this node serves it.
    let made_here = signed(target.clone()).await;
    let mut as_made = made_here.clone();
    as_made["host"] = json!(url.trim_start_matches("http://"));
    let (status, body) = get_with(&format!("{elsewhere}{target}"), &as_made).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("WRONG_AUTHORITY")), "replayed elsewhere: {body}");
    let (status, body) = get_with(&format!("{elsewhere}{target}"), &made_here).await;
    assert_eq!((status, body["code"].as_str()), (401, Some("BAD_REQUEST_SIGNATURE")), "elsewhere: {body}");
    let (status, body) = get_with(&format!("{url}{target}"), &made_here).await;
    assert_eq!(status, 200, "made here: {body}");
    // Signed by the shipper, the other BL is still not the shipper's to read.
    let other_target = format!("/v1/bls/{}", other.0.to_hex());
    let headers = signed(other_target.clone()).await;
    let (status, body) = get_with(&format!("{url}{other_target}"), &headers).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("FORBIDDEN")), "{body}");

    browser.quit().await.expect("quit");
    net.shutdown().await;
}

/// One transaction body per action the portal signs, with the awkward values: non-ASCII text,
/// options present and absent, empty and longer lists, both hold targets, large numbers.
fn sample_bodies(cast: &ebl_contracts::testkit::Cast) -> Vec<TxBody> {
    let bl = BlId::new(&cast.carrier.party(), "MAEU123456789");
    let container = ContainerRef::new(bl, "NARU3472484");
    let on_container = HoldTarget::Container(container.clone());
    let hold = |target: HoldTarget, declaration: Option<&str>| {
        Action::PlaceHold(PlaceHold {
            target,
            authority: HoldAuthority::Customs,
            reason: "查验 inspection".into(),
            declaration_number: declaration.map(str::to_owned),
        })
    };
    let pickup = |code: Option<&[u8]>| {
        Action::AssignPickup(AssignPickup {
            container: container.clone(),
            truck_plate: "沪A·12345".into(),
            driver_id_hash: Hash::digest(b"driver-310101199001011234"),
            slot_start_ms: 1_764_000_000_000,
            slot_end_ms: 1_764_003_600_000,
            pickup_code_hash: code.map(Hash::digest),
        })
    };
    let actions = vec![
        Action::SuspendParty { party: cast.outsider.party() },
        Action::ReinstateParty { party: cast.outsider.party() },
        Action::Transfer { bl, to: cast.consignee.party() },
        Action::Endorse { bl, endorsee: cast.bank.party() },
        Action::EndorseToOrder { bl, endorsee: cast.consignee.party() },
        Action::BlankEndorse { bl },
        Action::Sign { bl },
        Action::RejectTransfer { bl, reason: "wrong consignee — \"收货人\" \\ ü".into() },
        Action::SurrenderForDelivery { bl },
        Action::SurrenderForAmendment { bl, reason: AmendmentReason::Cod },
        Action::SurrenderForAmendment { bl, reason: AmendmentReason::Other },
        Action::AcceptSurrender { bl },
        Action::RejectSurrender { bl, reason: String::new() },
        Action::SwitchToPaper { bl, paper_bl_number: "PAPER-0001".into() },
        Action::CreateLien(CreateLien {
            bl,
            bank: cast.bank.party(),
            amount_minor: 9_007_199_254_740_991,
            currency: "USD".into(),
            expires_at_ms: 1_900_000_000_000,
            finance_reference: "LC-2026-0042".into(),
        }),
        Action::ReleaseLien { bl },
        Action::IssueReleaseOrder(IssueReleaseOrder {
            bl,
            equipment_references: vec!["NARU3472484".into(), "MSKU0000001".into()],
            terminal: cast.terminal.party(),
            valid_from_ms: 0,
            valid_until_ms: 1_900_000_000_000,
            charges_settled: false,
        }),
        Action::SettleCharges { container: container.clone() },
        hold(on_container.clone(), Some("223320260000123456")),
        hold(HoldTarget::Bl { bl }, None),
        Action::LiftHold { target: on_container.clone(), hold_id: 0 },
        Action::LiftHold { target: HoldTarget::Bl { bl }, hold_id: 4_000_000_000 },
        Action::DelegateRelease { container: container.clone(), to: cast.haulier.party() },
        Action::RevokeRelease { container: container.clone(), reason: "charges unpaid".into() },
        pickup(Some(&b"4711"[..])),
        pickup(None),
        Action::GateOut(GateOut {
            container: container.clone(),
            truck_plate: "沪A·12345".into(),
            driver_id_hash: Hash::digest(b"driver"),
            pickup_code: Some("4711".into()),
            seal_numbers: vec!["SEAL1".into(), "SEAL2".into()],
            condition: "SOUND".into(),
        }),
        Action::GateOut(GateOut {
            container: container.clone(),
            truck_plate: String::new(),
            driver_id_hash: Hash::digest(b""),
            pickup_code: None,
            seal_numbers: Vec::new(),
            condition: "DAMAGED".into(),
        }),
        Action::EmptyReturn(EmptyReturn { container, damage_notes: "dent, door 2".into() }),
    ];
    actions
        .into_iter()
        .enumerate()
        .map(|(i, action)| {
            let mut signers = vec![cast.shipper.party()];
            if matches!(action, Action::CreateLien(_)) {
                signers.push(cast.bank.party());
            }
            let nonce = [0, 1, 1 << 40, (1 << 53) - 1][i % 4];
            TxBody { chain_id: net_chain(i), nonce, signers, action }
        })
        .collect()
}

/// Chain ids of the samples: the test network's, and one with characters outside ASCII.
fn net_chain(i: usize) -> String {
    if i % 5 == 4 {
        "ebl-测试-2".to_string()
    } else {
        "ebl-test-1".to_string()
    }
}

/// The page builds a transaction from its JSON exactly as the ledger does (the id is SHA-256 of
/// the borsh body), its signatures verify in Rust, and a browser-signed transaction cannot be
/// replayed, altered or passed off as another party's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_signs_transactions_the_ledger_verifies_and_forgeries_are_refused() {
    let (net, url, browser) = one_validator_and_a_browser().await;
    let cast = &net.cast;

    let samples = sample_bodies(cast);
    // Every action the portal signs (all but ISSUE, REISSUE, REGISTER_PARTY, SET_PARTY_ROLES).
    let kinds: std::collections::BTreeSet<&str> = samples.iter().map(|b| b.action.name()).collect();
    assert_eq!(kinds.len(), 24, "{kinds:?}");
    for body in &samples {
        let json = serde_json::to_value(body).expect("JSON");
        let js = portal_js(&browser, "tx.js", "m.txId(args[0])", vec![json.clone()]).await;
        assert_eq!(js, json!(body.id().0.to_hex()), "{json}");
    }
    // Issuance carries a document: the portal refuses to sign it rather than sign it wrongly.
    let issue = TxBody {
        chain_id: "ebl-test-1".into(),
        nonce: 0,
        signers: vec![cast.carrier.party()],
        action: to_order(REFERENCE, &cast.shipper, None),
    };
    let refused =
        portal_js(&browser, "tx.js", "m.txId(args[0])", vec![serde_json::to_value(&issue).expect("JSON")])
            .await;
    assert!(refused.as_str().is_some_and(|e| e.contains("cannot sign a ISSUE")), "{refused}");

    // Signed in the page with the shipper's key: Rust verifies the signature.
    let shipper_pem = ebl_client::keys::to_pem(&cast.shipper).expect("pem");
    let sign = |body: Value| {
        let (browser, pem) = (&browser, shipper_pem.clone());
        async move {
            portal_js(
                browser,
                "tx.js",
                "import('/portal/signing.js').then((s) => s.loadKey(args[1])).then((key) => m.addSignature({ body: args[0], signatures: [] }, key))",
                vec![body, json!(pem)],
            )
            .await
        }
    };
    let signed = sign(serde_json::to_value(&samples[2]).expect("JSON")).await;
    let tx: Transaction = serde_json::from_value(signed["tx"].clone()).expect("a transaction");
    assert_eq!(signed["id"], json!(tx.id().0.to_hex()));
    tx.verify().expect("the browser's signature verifies");

    // A BL in the shipper's hands, and the transfer the page signs for it.
    let bl = BlId::new(&cast.carrier.party(), REFERENCE);
    let issued = net
        .submit(0, TestLedger::tx_with_nonce(&[&cast.carrier], to_order(REFERENCE, &cast.shipper, None), 0));
    net.wait_for_receipts(&[0], &[issued]).await;
    let chain = net.genesis.chain_id.clone();
    let transfer = |to: &Keypair, nonce: u64| {
        json!({"chainId": chain, "nonce": nonce, "signers": [cast.shipper.party()],
               "action": {"type": "TRANSFER", "bl": bl.0.to_hex(), "to": to.party()}})
    };
    let post = |tx: Value| {
        let url = url.clone();
        async move {
            let response = reqwest::Client::new()
                .post(format!("{url}/v1/transactions?wait=true"))
                .json(&tx)
                .send()
                .await
                .expect("node answers");
            (response.status().as_u16(), response.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let signed = sign(transfer(&cast.consignee, 0)).await;
    let (status, body) = post(signed["tx"].clone()).await;
    assert_eq!((status, body["outcome"].as_str()), (200, Some("SUCCESS")), "{body}");
    assert_eq!(body["txId"], signed["id"], "the node computed the id the page signed");

    // Replayed as is: the ledger has it already.
    let (status, body) = post(signed["tx"].clone()).await;
    assert!(status == 409 || status == 422, "replayed: {status} {body}");
    // The consignee now holds it; the shipper's next signature cannot move it back, nor can the
    // signature be moved to another recipient or passed off as the carrier's.
    let next = sign(transfer(&cast.outsider, 1)).await;
    let mut altered = next["tx"].clone();
    altered["body"]["action"]["to"] = json!(cast.forwarder.party());
    let (status, body) = post(altered).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("BAD_SIGNATURE")), "altered: {body}");
    let mut posing = next["tx"].clone();
    posing["body"]["signers"] = json!([cast.carrier.party()]);
    posing["body"]["nonce"] = json!(1);
    let (status, body) = post(posing).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("BAD_SIGNATURE")), "posing: {body}");
    // Signed by the shipper for itself, it is still not the shipper's BL to move any more.
    let (status, body) = post(next["tx"].clone()).await;
    let code = body["outcome"].as_str().or(body["code"].as_str());
    assert_eq!(code, Some("NOT_POSSESSOR"), "{status} {body}");
    let record: BlRecord = net.node(0).view().state(&StateKey::Bl(bl)).expect("the BL");
    assert_eq!(record.possessor, cast.consignee.party(), "nothing moved it back");

    // The page checks the node's proof bundle of the record as the Rust ledger does, and refuses
    // one with any part changed: the record, the Merkle path, the header, a validator's signature.
    let bundle = net.node(0).view().prove(&StateKey::Bl(bl)).expect("a proof");
    let validators: Vec<Value> = net
        .genesis
        .validators
        .iter()
        .map(|v| json!({"party": v.consensus_key, "votingPower": v.voting_power}))
        .collect();
    let check = |bytes: Vec<u8>| {
        let (browser, chain, validators) = (&browser, chain.clone(), validators.clone());
        let checksum = record.document_checksum.to_hex();
        async move {
            portal_js(
                browser,
                "proof.js",
                "m.verifyBlProof(args[0], { chainId: args[1], validators: args[2] }, args[3], args[4], Date.now(), 3600000)",
                vec![
                    json!(hex_of(&bytes)),
                    json!(chain),
                    json!(validators),
                    json!(bl.0.to_hex()),
                    json!(checksum),
                ],
            )
            .await
        }
    };
    let trusted = net.genesis.powers();
    bundle.verify(&chain, &trusted).expect("the bundle verifies in Rust");
    let bytes = ebl_ledger::encoding::encode(&bundle);
    let checked = check(bytes.clone()).await;
    assert_eq!(checked["height"], json!(bundle.header.height), "{checked}");
    // The whole record, decoded in the browser as the ledger encodes it.
    let proven = &checked["record"];
    assert_eq!(proven["status"], json!("ISSUED"), "{checked}");
    assert_eq!(proven["possessor"], json!(record.possessor), "{checked}");
    assert_eq!(proven["endorsee"], json!(record.endorsee), "{checked}");
    assert_eq!(proven["shipper"], json!(record.shipper), "{checked}");
    assert_eq!(proven["reference"], json!(record.transport_document_reference), "{checked}");
    assert_eq!(proven["historyLen"], json!(record.history_len), "{checked}");
    assert_eq!(proven["historyHead"], json!(record.history_head.to_hex()), "{checked}");
    // A genuine bundle whose block is older than two minutes by the browser's clock is stale.
    let stale = portal_js(
        &browser,
        "proof.js",
        "m.verifyBlProof(args[0], { chainId: args[1], validators: args[2] }, args[3], args[4], args[5], m.PROOF_AGE_MAX_MS).catch((e) => `${e.code}: ${e.message}`)",
        vec![
            json!(hex_of(&bytes)),
            json!(chain),
            json!(validators),
            json!(bl.0.to_hex()),
            json!(record.document_checksum.to_hex()),
            json!(bundle.header.time_ms + 120_001),
        ],
    )
    .await;
    assert!(stale.as_str().is_some_and(|e| e.starts_with("STALE: stale proof")), "{stale}");
    assert_eq!(checked["signers"], json!([net.genesis.validators[0].consensus_key]), "{checked}");
    let mut tampered_value = bundle.clone();
    if let Some(value) = tampered_value.value.as_mut() {
        let last = value.len() - 1;
        value[last] ^= 1;
    }
    let mut tampered_root = bundle.clone();
    tampered_root.header.state_root = Hash::digest(b"another state");
    let mut tampered_signature = bundle.clone();
    tampered_signature.certificate.signatures[0].1 .0[5] ^= 1;
    let mut unsigned = bundle.clone();
    unsigned.certificate.signatures.clear();
    for (what, bad) in [
        ("value", tampered_value),
        ("state root", tampered_root),
        ("signature", tampered_signature),
        ("signature list", unsigned),
    ] {
        assert!(bad.verify(&chain, &trusted).is_err(), "Rust refuses a changed {what}");
        let refused = check(ebl_ledger::encoding::encode(&bad)).await;
        assert!(refused.is_string(), "a bundle with a changed {what} was accepted: {refused}");
    }
    let refused = check(bytes[..bytes.len() - 1].to_vec()).await;
    assert!(refused.as_str().is_some_and(|e| e.contains("truncated")), "{refused}");

    browser.quit().await.expect("quit");
    net.shutdown().await;
}

/// Uploads the genesis file `file` as the page's trust anchor (on the Verify page) and waits
/// until the page holds it, in any language.
async fn upload_anchor(browser: &Browser, file: &Path) {
    let path = file.canonicalize().expect("absolute").display().to_string();
    browser
        .find(Locator::Css("#anchor-file"))
        .await
        .expect("anchor input")
        .send_keys(&path)
        .await
        .expect("upload");
    browser.find(Locator::Css("#anchor-load")).await.expect("button").click().await.expect("click");
    browser.wait_for("#anchor-state[data-anchor='LOADED']", WAIT).await.expect("anchor loaded");
}

/// Loads the genesis file `file` as the page's trust anchor (on the Verify page, in English).
async fn load_anchor(browser: &Browser, file: &Path) {
    upload_anchor(browser, file).await;
    let text = browser
        .wait_for_text("#anchor-state", "Trust anchor: loaded from", WAIT)
        .await
        .expect("anchor loaded");
    assert!(text.contains("genesis.json") && text.contains("chain ebl-test-1"), "{text}");
}

/// The anchor's state as the page shows it: `data-anchor` (NONE, LOADED) and its text.
async fn anchor_state(browser: &Browser) -> (String, String) {
    let state = browser
        .execute("return document.querySelector('#anchor-state').dataset.anchor || ''", vec![])
        .await
        .expect("anchor state");
    (state.as_str().unwrap_or_default().to_string(), anchor_text(browser).await)
}

async fn anchor_text(browser: &Browser) -> String {
    browser.find(Locator::Css("#anchor-state")).await.expect("anchor state").text().await.expect("text")
}

/// Signs `browser` in on the "My bills of lading" page with the PEM key in `file`.
async fn sign_in(browser: &Browser, file: &Path) {
    let path = file.canonicalize().expect("absolute").display().to_string();
    browser.find(Locator::Css("#key-file")).await.expect("key input").send_keys(&path).await.expect("upload");
    browser.find(Locator::Css("#sign-in")).await.expect("button").click().await.expect("click");
}

/// A browser at the portal's "My bills of lading" page, signed in as `key` (written to `dir`),
/// once the page has replayed the party's events.
async fn signed_in(url: &str, dir: &Path, key: &Keypair, name: &str) -> Browser {
    let file = dir.join(format!("{}.pem", name.split(' ').next().unwrap_or("key")));
    std::fs::write(&file, ebl_client::keys::to_pem(key).expect("pem")).expect("write");
    let browser = Browser::start().await.expect("headless Chromium");
    browser.goto(&format!("{url}/#/mine")).await.expect("portal");
    browser.wait_for("body[data-ready]", WAIT).await.expect("portal loaded");
    sign_in(&browser, &file).await;
    browser.wait_for_text("#signed-in-as", name, WAIT).await.expect("signed in");
    browser.wait_for("body[data-live='true']", WAIT).await.expect("events replayed");
    browser
}

/// Opens the form of `action` in the element `scope`, fills it (pairs of a field name and a
/// value; a `select` takes the option's value) and submits it; returns the form's selector.
async fn fill_and_submit(browser: &Browser, scope: &str, action: &str, fill: &[(&str, &str)]) -> String {
    browser
        .wait_for(&format!("{scope} button[data-action='{action}']"), WAIT)
        .await
        .unwrap_or_else(|e| panic!("{action} is offered in {scope}: {e}"))
        .click()
        .await
        .expect("click");
    let form = format!("{scope} form.action-form[data-action='{action}']");
    browser.wait_for(&form, WAIT).await.expect("the form opens");
    for (name, value) in fill {
        let field = browser.find(Locator::Css(&format!("{form} [name='{name}']"))).await.expect("field");
        let tag = browser
            .execute("return arguments[0].tagName", vec![arg(&field).expect("element")])
            .await
            .expect("tag");
        if tag == json!("SELECT") {
            field.select_by_value(value).await.expect("option");
        } else {
            field.clear().await.expect("clear");
            field.send_keys(value).await.expect("typed");
        }
    }
    browser
        .find(Locator::Css(&format!("{form} button[type='submit']")))
        .await
        .expect("submit")
        .click()
        .await
        .expect("click");
    form
}

/// [`fill_and_submit`], then waits for the committed result and returns its text.
async fn act(browser: &Browser, scope: &str, action: &str, fill: &[(&str, &str)]) -> String {
    // On success the card is redrawn with the result (block and transaction) on top, in place of
    // the previous one; a refusal stays in the form.
    let result = format!("{scope} .action-result[data-outcome='SUCCESS']");
    let text_of = |css: String| async move {
        browser
            .execute(
                "const p = document.querySelector(arguments[0]); return p ? p.textContent : null",
                vec![json!(css)],
            )
            .await
            .expect("result")
    };
    let before = text_of(result.clone()).await;
    let form = fill_and_submit(browser, scope, action, fill).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = text_of(result.clone()).await;
        if let (Some(text), false) = (now.as_str(), now == before) {
            return text.to_string();
        }
        let refusal = browser
            .execute(
                "const p = document.querySelector(arguments[0]); \
                 return p && !['WORKING', 'SUCCESS'].includes(p.dataset.outcome) ? p.textContent : null",
                vec![json!(format!("{form} .action-result:not([hidden])"))],
            )
            .await
            .expect("result");
        assert!(refusal.is_null(), "{action} was not committed: {refusal}");
        assert!(tokio::time::Instant::now() < deadline, "no result for {action} within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The status a browser's release board shows for `container`, waiting until it is `expected`.
async fn board_shows(browser: &Browser, container: &str, expected: &str) {
    browser
        .wait_for(&format!("article.container[data-container='{container}'][data-status='{expected}']"), WAIT)
        .await
        .unwrap_or_else(|e| panic!("the board never showed {expected}: {e}"));
}

/// The issue's scenario, every party in its own browser session: a consignee signs in, endorses,
/// pledges the BL to its bank (which co-signs, then releases the lien) and surrenders; the carrier
/// accepts and releases the container; customs holds it and lifts the hold; the consignee assigns
/// the pickup and the terminal gates it out — and the consignee's release board follows HELD →
/// AVAILABLE → PICKUP_ASSIGNED → GATED_OUT without a reload.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consignee_endorses_and_surrenders_the_carrier_accepts_and_the_release_board_follows_live() {
    let (net, url) = live_network().await;
    let cast = &net.cast;
    let reference = "PORTAL000005";
    let bl = BlId::new(&cast.carrier.party(), reference);
    let id = bl.0.to_hex();
    let steps = vec![
        (&cast.carrier, to_order(reference, &cast.shipper, Some(&cast.shipper)), 0),
        (&cast.shipper, Action::EndorseToOrder { bl, endorsee: cast.consignee.party() }, 0),
        (&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() }, 1),
    ];
    commit_in_turn(&net, steps).await;
    let files = tempfile::tempdir().expect("temp dir");
    let (shots, _guard) = screenshot_dir();
    let card = format!("article.bl[data-bl='{id}']");

    // The consignee: the BL it holds, with what it may do now.
    let consignee = signed_in(&url, files.path(), &cast.consignee, "Consignee Import GmbH").await;
    consignee.execute("window.notReloaded = true", vec![]).await.expect("marker");
    let text = consignee.wait_for(&card, WAIT).await.expect("the BL").text().await.expect("text");
    for expected in [reference, "you hold it", "you are its endorsee", "TRANSFER by Shipper Export Co"] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    for offered in ["ENDORSE", "BLANK_ENDORSE", "SURRENDER_FOR_DELIVERY", "CREATE_LIEN", "REJECT_TRANSFER"] {
        consignee
            .find(Locator::Css(&format!("{card} button[data-action='{offered}']")))
            .await
            .expect(offered);
    }
    consignee
        .find(Locator::Css(&format!("{card} button[data-action='BLANK_ENDORSE']")))
        .await
        .expect("button")
        .click()
        .await
        .expect("open");
    consignee.wait_for(&format!("{card} form.action-form"), WAIT).await.expect("form");
    screenshots(&consignee, &shots, "mine-actions").await;

    let done = act(&consignee, &card, "BLANK_ENDORSE", &[]).await;
    assert!(done.contains("committed in block"), "{done}");
    consignee
        .wait_for_text(&card, "BLANK_ENDORSE by Consignee Import GmbH", WAIT)
        .await
        .expect("in the history");

    // A lien: the consignee pledges the BL to its bank, which co-signs in its own session after
    // reading what it signs; later the bank releases it.
    let bank = cast.bank.party().to_string();
    let form = fill_and_submit(
        &consignee,
        &card,
        "CREATE_LIEN",
        &[("bank", bank.as_str()), ("amount", "1250000.00"), ("financeReference", "LC-2026-0042")],
    )
    .await;
    consignee
        .wait_for(&format!("{form} .action-result[data-outcome='COSIGN']"), WAIT)
        .await
        .expect("co-signer");
    let request = consignee
        .execute(&format!("return document.querySelector(\"{form} textarea.cosign-request\").value"), vec![])
        .await
        .expect("the co-signing request");
    let banker = signed_in(&url, files.path(), &cast.bank, "Trade Finance Bank").await;
    banker.find(Locator::Css("#cosign summary")).await.expect("co-sign").click().await.expect("open");
    banker
        .execute("document.querySelector('#cosign-input').value = arguments[0]", vec![request])
        .await
        .expect("pasted");
    banker.find(Locator::Css("#cosign-check")).await.expect("review").click().await.expect("click");
    let summary = banker.wait_for_text("#cosign-summary", "Pledge to a bank", WAIT).await.expect("summary");
    // The amount as the bank reads it: with its currency, in the page's language.
    for expected in ["Consignee Import GmbH", "Trade Finance Bank", "USD", "1,250,000.00", "LC-2026-0042"] {
        assert!(summary.contains(expected), "missing {expected:?} in:\n{summary}");
    }
    screenshots(&banker, &shots, "cosign").await;
    banker.find(Locator::Css("#cosign-submit")).await.expect("sign").click().await.expect("click");
    banker
        .wait_for("#cosign-review .action-result[data-outcome='SUCCESS']", WAIT)
        .await
        .expect("lien committed");
    consignee.wait_for_text(&card, "held by Trade Finance Bank", WAIT).await.expect("the lien, live");
    act(&banker, &card, "RELEASE_LIEN", &[]).await;
    consignee.wait_for_text(&card, "RELEASE_LIEN by Trade Finance Bank", WAIT).await.expect("released, live");
    banker.quit().await.expect("quit");

    act(&consignee, &card, "SURRENDER_FOR_DELIVERY", &[]).await;
    consignee
        .wait_for(&format!("{card}[data-status='PENDING_SURRENDER_FOR_DELIVERY']"), WAIT)
        .await
        .expect("pending surrender");
    let record: BlRecord = net.node(2).view().state(&StateKey::Bl(bl)).expect("the BL");
    assert_eq!(record.endorsee, None);
    assert_eq!(record.possessor, cast.carrier.party(), "surrendered to the carrier");

    // The carrier, in a second session, accepts and releases the container to the terminal.
    let carrier = signed_in(&url, files.path(), &cast.carrier, "Ocean Carrier Line").await;
    carrier
        .wait_for(&format!("{card}[data-status='PENDING_SURRENDER_FOR_DELIVERY']"), WAIT)
        .await
        .expect("pending");
    act(&carrier, &card, "ACCEPT_SURRENDER", &[]).await;
    consignee
        .wait_for(&format!("{card}[data-status='SURRENDERED_FOR_DELIVERY']"), WAIT)
        .await
        .expect("the consignee's page follows the carrier's acceptance");
    let terminal = cast.terminal.party().to_string();
    act(&carrier, &card, "ISSUE_RELEASE_ORDER", &[("terminal", terminal.as_str())]).await;

    // Customs, on its own board (it sees every container), holds the container before the
    // consignee looks at its board.
    let container = ContainerRef::new(bl, "NARU3472484");
    let key = format!("{id}/NARU3472484");
    let scope = format!("article.container[data-container='{key}']");
    let customs = signed_in(&url, files.path(), &cast.customs, "Customs Authority").await;
    customs.find(Locator::Css("#nav-release")).await.expect("nav").click().await.expect("to the board");
    board_shows(&customs, &key, "AVAILABLE").await;
    let fill = [("reason", "documentary check"), ("declarationNumber", "223320260000123456")];
    act(&customs, &scope, "PLACE_HOLD", &fill).await;
    consignee.find(Locator::Css("#nav-release")).await.expect("nav").click().await.expect("to the board");
    board_shows(&consignee, &key, "HELD").await;
    consignee.wait_for_text("#release-board", "documentary check", WAIT).await.expect("the hold");
    screenshots(&consignee, &shots, "release-held").await;

    act(&customs, &scope, "LIFT_HOLD-0", &[]).await;
    board_shows(&consignee, &key, "AVAILABLE").await;
    customs.quit().await.expect("quit");

    // The terminal's board shows the container it was released to, live.
    let terminal = signed_in(&url, files.path(), &cast.terminal, "Container Terminal").await;
    terminal.find(Locator::Css("#nav-release")).await.expect("nav").click().await.expect("to the board");
    board_shows(&terminal, &key, "AVAILABLE").await;
    act(&consignee, &scope, "ASSIGN_PICKUP", &[("truckPlate", "SH-A12345"), ("driverId", "DRV-0042")]).await;
    board_shows(&consignee, &key, "PICKUP_ASSIGNED").await;
    let record: ebl_ledger::records::ReleaseRecord =
        net.node(3).view().state(&StateKey::Release(container.id())).expect("release");
    let pickup = record.pickup.expect("assigned");
    assert_eq!(
        pickup.driver_id_hash,
        Hash::digest(b"DRV-0042"),
        "only the driver id's hash is on the ledger"
    );
    board_shows(&terminal, &key, "PICKUP_ASSIGNED").await;
    let fill = [("driverId", "DRV-0042"), ("sealNumbers", "SEAL0001")];
    act(&terminal, &scope, "GATE_OUT", &fill).await;
    terminal.quit().await.expect("quit");
    board_shows(&consignee, &key, "GATED_OUT").await;
    consignee.wait_for_text(&scope, "SEAL0001", WAIT).await.expect("the outbound EIR");
    let reloaded = consignee.execute("return window.notReloaded === true", vec![]).await.expect("marker");
    assert_eq!(reloaded, json!(true), "the page followed the ledger without a reload");
    screenshots(&consignee, &shots, "release").await;

    consignee.quit().await.expect("quit");
    carrier.quit().await.expect("quit");
    net.shutdown().await;
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- The portal in Chinese (zh-CN) -------------------------------------------------------------

/// The two text tables of `node/portal/i18n.js`: `(language, [(key, value)])`, in file order.
/// The file is read as text: each table opens with `  en: {` or `  'zh-CN': {` and closes with
/// `  },`, one `'key': 'value',` per line (comments and blank lines between them).
fn portal_text_tables() -> Vec<(String, Vec<(String, String)>)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../node/portal/i18n.js");
    let source = std::fs::read_to_string(path).expect("node/portal/i18n.js");
    let start = source.find("const TEXTS = {\n").expect("the TEXTS object");
    let mut tables: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut open: Option<(String, Vec<(String, String)>)> = None;
    for (n, line) in source[start..].lines().enumerate().skip(1) {
        let at = || format!("i18n.js, line {} of TEXTS: {line:?}", n + 1);
        let trimmed = line.trim();
        match open.as_mut() {
            None if line == "};" => break,
            None => {
                let name = line.strip_prefix("  ").and_then(|l| l.strip_suffix(": {"));
                let name = name.unwrap_or_else(|| panic!("{}: a table", at()));
                open = Some((name.trim_matches('\'').to_string(), Vec::new()));
            }
            Some(_) if line == "  }," => tables.extend(open.take()),
            Some(_) if trimmed.is_empty() || trimmed.starts_with("//") => {}
            Some((_, entries)) => {
                let (key, rest) = js_string(trimmed).unwrap_or_else(|| panic!("{}: a key", at()));
                let rest = rest.strip_prefix(": ").unwrap_or_else(|| panic!("{}: `: `", at()));
                let (value, rest) = js_string(rest).unwrap_or_else(|| panic!("{}: a value", at()));
                assert_eq!(rest, ",", "{}: one entry a line", at());
                entries.push((key, value));
            }
        }
    }
    tables
}

/// A single-quoted JavaScript string at the start of `text` (with `\'` and `\\` escapes): its
/// value and the rest of `text`.
fn js_string(text: &str) -> Option<(String, &str)> {
    let body = text.strip_prefix('\'')?;
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => value.push(chars.next()?.1),
            '\'' => return Some((value, &body[i + 1..])),
            c => value.push(c),
        }
    }
    None
}

/// The `{name}` placeholders of a text, sorted.
fn placeholders(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|part| part.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .collect();
    out.sort_unstable();
    out
}

/// The zh-CN table has every key of the English one and no other; each Chinese text is there,
/// fills the same placeholders, and is not simply the English text left in place.
#[test]
fn the_chinese_text_table_has_every_english_key_translated() {
    // zh-CN texts that may equal the English ones: none today. A text that is the same in both
    // languages (a code, "OK") goes here, with why.
    const SAME_IN_BOTH: &[&str] = &[];
    let tables = portal_text_tables();
    let names: Vec<&str> = tables.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["en", "zh-CN"], "the tables of i18n.js");
    let (en, zh) = (&tables[0].1, &tables[1].1);
    assert!(en.len() > 300, "the English table read whole: {} texts", en.len());
    let keys = |table: &[(String, String)]| -> std::collections::BTreeSet<String> {
        let set: std::collections::BTreeSet<String> = table.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(set.len(), table.len(), "a key is given twice");
        set
    };
    let (en_keys, zh_keys) = (keys(en), keys(zh));
    let missing: Vec<_> = en_keys.difference(&zh_keys).collect();
    let extra: Vec<_> = zh_keys.difference(&en_keys).collect();
    assert!(missing.is_empty() && extra.is_empty(), "zh-CN lacks {missing:?}; has extra {extra:?}");
    let english: std::collections::BTreeMap<&str, &str> =
        en.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    for (key, chinese) in zh {
        let original = english[key.as_str()];
        assert!(!chinese.trim().is_empty(), "{key}: empty");
        assert!(
            chinese != original || SAME_IN_BOTH.contains(&key.as_str()),
            "{key}: the English text {original:?} left untranslated"
        );
        assert_eq!(placeholders(chinese), placeholders(original), "{key}: {chinese:?} vs {original:?}");
    }
}

/// Technical names that Chinese trade software keeps in Latin letters, as the zh-CN table does:
/// the DCSA standard, the JSON format, the SHA-256 hash and RFC 8785 (the canonical JSON the
/// checksum is taken of). Each is the name of a standard, not English to translate.
const STANDARD_NAMES: &[&str] = &["DCSA", "JSON", "SHA-256", "RFC"];

/// Fails if the visible text of a zh-CN page holds a word in Latin letters that is not data. Data
/// are `data` — what the ledger and the user gave in Latin letters (party names, BL references,
/// container, truck and seal numbers, the chain id, the names of the files the user chose, ISO
/// codes such as the currency), removed from the text first — and, word by word: ledger ids,
/// checksums and party ids (8 or more lower-case hex digits, after `ebl:` for a party), the
/// [`STANDARD_NAMES`], and "English", the name of the switch's other language in that language.
fn assert_no_english(page: &str, text: &str, data: &[String]) {
    let mut rest = text.to_string();
    let mut data: Vec<&String> = data.iter().collect();
    // Longest first: `PORTALZH0001.json` before `PORTALZH0001`.
    data.sort_by_key(|d| std::cmp::Reverse(d.len()));
    for datum in data {
        rest = rest.replace(datum.as_str(), " ");
    }
    let word_char = |c: char| c.is_ascii_alphanumeric() || "-_:#.".contains(c);
    let hex_id = |word: &str| {
        let hex = word.strip_prefix("ebl:").unwrap_or(word);
        hex.len() >= 8 && hex.chars().all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    };
    let english: Vec<&str> = rest
        .split(|c: char| !word_char(c))
        .map(|w| w.trim_matches(|c: char| ".:-".contains(c)))
        .filter(|w| w.chars().any(|c| c.is_ascii_alphabetic()))
        .filter(|w| !hex_id(w) && !STANDARD_NAMES.contains(w) && *w != "English")
        .collect();
    assert!(english.is_empty(), "English on the {page} page in Chinese: {english:?}\n{text}");
}

/// The page's visible text.
async fn visible_text(browser: &Browser) -> String {
    let text = browser.execute("return document.body.innerText", vec![]).await.expect("innerText");
    text.as_str().expect("text").to_string()
}

/// The language the page is in (`<html lang>`).
async fn page_language(browser: &Browser) -> String {
    let lang = browser.execute("return document.documentElement.lang", vec![]).await.expect("lang");
    lang.as_str().unwrap_or_default().to_string()
}

/// Clicks the header's switch to `language` and waits until every page is drawn in it.
async fn switch_language(browser: &Browser, language: &str) {
    browser
        .find(Locator::Css(&format!("#languages button[data-lang='{language}']")))
        .await
        .expect("switch")
        .click()
        .await
        .expect("click");
    browser.wait_for(&format!("body[data-language='{language}']"), WAIT).await.expect("drawn again");
    assert_eq!(page_language(browser).await, language, "<html lang>");
}

/// The portal in Chinese. A browser whose language is Chinese gets the zh-CN pages; the switch
/// in the header turns them to English and back, is remembered across a reload, and redraws a
/// signed-in page in place. On Verify, My bills of lading and the Release board in Chinese, no
/// English is left: every word in Latin letters is data (`assert_no_english`). Screenshots:
/// `verify-zh`, `mine-zh`, `release-zh`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_speaks_chinese_on_verify_my_bills_and_the_release_board() {
    let (net, url) = live_network().await;
    let cast = &net.cast;
    let (pledged, released) = ("PORTALZH0001", "PORTALZH0002");
    let pledged_bl = BlId::new(&cast.carrier.party(), pledged);
    let released_bl = BlId::new(&cast.carrier.party(), released);
    let consignee = cast.consignee.party();
    let steps = vec![
        (&cast.carrier, to_order(pledged, &cast.shipper, Some(&cast.shipper)), 0),
        (&cast.carrier, to_order(released, &cast.shipper, Some(&cast.shipper)), 1),
        (&cast.shipper, Action::EndorseToOrder { bl: pledged_bl, endorsee: consignee }, 0),
        (&cast.shipper, Action::Transfer { bl: pledged_bl, to: consignee }, 1),
        (&cast.shipper, Action::EndorseToOrder { bl: released_bl, endorsee: consignee }, 2),
        (&cast.shipper, Action::Transfer { bl: released_bl, to: consignee }, 3),
        (&cast.consignee, Action::SurrenderForDelivery { bl: released_bl }, 0),
        (&cast.carrier, Action::AcceptSurrender { bl: released_bl }, 2),
    ];
    commit_in_turn(&net, steps).await;
    // The consignee pledges the first BL to its bank, which co-signs.
    let lien = Action::CreateLien(CreateLien {
        bl: pledged_bl,
        bank: cast.bank.party(),
        amount_minor: 125_000_000,
        currency: "USD".into(),
        expires_at_ms: 4_000_000_000_000,
        finance_reference: "LC-2026-0042".into(),
    });
    let id = net.submit(0, TestLedger::tx_with_nonce(&[&cast.consignee, &cast.bank], lien, 1));
    net.wait_for_receipts(&[0, 1, 2, 3], &[id]).await;
    assert!(net.receipt(1, &id).expect("receipt").error().is_none(), "the lien");
    // The second BL's container: released, its pickup assigned, then held by customs.
    let container = ContainerRef::new(released_bl, "NARU3472484");
    let now = ebl_client::time::now_ms();
    let steps = vec![
        (
            &cast.carrier,
            Action::IssueReleaseOrder(IssueReleaseOrder {
                bl: released_bl,
                equipment_references: vec!["NARU3472484".into()],
                terminal: cast.terminal.party(),
                valid_from_ms: now - 3_600_000,
                valid_until_ms: now + 14 * 86_400_000,
                charges_settled: true,
            }),
            3,
        ),
        (
            &cast.consignee,
            Action::AssignPickup(AssignPickup {
                container: container.clone(),
                truck_plate: "沪A·12345".into(),
                driver_id_hash: Hash::digest(b"DRV-0042"),
                slot_start_ms: now,
                slot_end_ms: now + 8 * 3_600_000,
                pickup_code_hash: None,
            }),
            2,
        ),
        (
            &cast.customs,
            Action::PlaceHold(PlaceHold {
                target: HoldTarget::Container(container),
                authority: HoldAuthority::Customs,
                reason: "查验".into(),
                declaration_number: Some("223320260000123456".into()),
            }),
            0,
        ),
    ];
    commit_in_turn(&net, steps).await;

    let files = tempfile::tempdir().expect("temp dir");
    let key_file = files.path().join("consignee.pem");
    std::fs::write(&key_file, ebl_client::keys::to_pem(&cast.consignee).expect("pem")).expect("write");
    let genesis = files.path().join("genesis.json");
    std::fs::write(&genesis, net.genesis.to_json()).expect("write genesis");
    let document_file = files.path().join(format!("{pledged}.json"));
    let document = document_for(pledged, TransportDocumentType::Bol, true).to_value().expect("JSON");
    std::fs::write(&document_file, serde_json::to_string(&document).expect("text")).expect("write");
    // What the pages show in Latin letters because the ledger or the user gave it so.
    let mut data: Vec<String> = net.genesis.parties.iter().map(|p| p.legal_name.clone()).collect();
    data.extend(
        [
            pledged,
            released,
            "NARU3472484",
            "沪A·12345",
            "223320260000123456",
            "LC-2026-0042",
            "USD",
            "genesis.json",
            &format!("{pledged}.json"),
            &net.genesis.chain_id,
        ]
        .map(str::to_owned),
    );

    let (shots, _guard) = screenshot_dir();
    let browser = Browser::start_in("zh-CN").await.expect("headless Chromium");
    browser.goto(&format!("{url}/#/mine")).await.expect("portal");
    browser.wait_for("body[data-ready]", WAIT).await.expect("portal loaded");
    assert_eq!(page_language(&browser).await, "zh-CN", "chosen from the browser's languages");
    browser.wait_for_text("#nav-mine", "我的提单", WAIT).await.expect("in Chinese");
    // Other browsers' lists: the first language the portal speaks, any Chinese as zh-CN.
    for (languages, expected) in [
        (json!(["de-DE", "zh-TW"]), "zh-CN"),
        (json!(["zh"]), "zh-CN"),
        (json!(["en-GB", "zh-CN"]), "en"),
        (json!(["fr-FR"]), "en"),
        (json!([]), "en"),
    ] {
        let chosen = portal_js(&browser, "i18n.js", "m.languageFor(args[0])", vec![languages.clone()]).await;
        assert_eq!(chosen, json!(expected), "{languages}");
    }
    // The switch: English, still English after a reload, then Chinese again.
    switch_language(&browser, "en").await;
    browser.wait_for_text("#nav-mine", "My bills of lading", WAIT).await.expect("in English");
    browser.goto(&format!("{url}/?again#/mine")).await.expect("reloaded");
    browser.wait_for("body[data-ready]", WAIT).await.expect("portal loaded");
    assert_eq!(page_language(&browser).await, "en", "the choice is remembered");
    switch_language(&browser, "zh-CN").await;

    // My bills of lading: the pledged BL, its lien with the amount in its currency, its history.
    sign_in(&browser, &key_file).await;
    browser.wait_for_text("#signed-in-as", "Consignee Import GmbH", WAIT).await.expect("signed in");
    browser.wait_for("body[data-live='true']", WAIT).await.expect("events replayed");
    let card = format!("article.bl[data-bl='{}']", pledged_bl.0.to_hex());
    let text = browser.wait_for_text(&card, "1,250,000.00", WAIT).await.expect("the lien's amount");
    for expected in [
        pledged,
        "已签发",
        "您持有此提单",
        "您是被背书人",
        "已质押给Trade Finance Bank",
        "USD",
        "签发，操作方：Ocean Carrier Line",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    // Switched while signed in, the cards are drawn again in place, in each language.
    switch_language(&browser, "en").await;
    browser.wait_for_text(&card, "you hold it", WAIT).await.expect("the card in English");
    switch_language(&browser, "zh-CN").await;
    browser.wait_for_text(&card, "您持有此提单", WAIT).await.expect("the card in Chinese");
    let released_card = format!("article.bl[data-bl='{}']", released_bl.0.to_hex());
    browser.wait_for_text(&released_card, "已交单提货", WAIT).await.expect("the surrendered BL");
    assert_no_english("My bills of lading", &visible_text(&browser).await, &data);
    screenshots(&browser, &shots, "mine-zh").await;

    // The release board: the container held by customs, its pickup assigned.
    browser.find(Locator::Css("#nav-release")).await.expect("nav").click().await.expect("to the board");
    let key = format!("{}/NARU3472484", released_bl.0.to_hex());
    board_shows(&browser, &key, "HELD").await;
    let board = browser.wait_for_text("#release-board", "查验", WAIT).await.expect("the hold");
    for expected in ["扣留中", "海关", "Customs Authority", "沪A·12345", "已结清", "Container Terminal"]
    {
        assert!(board.contains(expected), "missing {expected:?} in:\n{board}");
    }
    assert_no_english("Release board", &visible_text(&browser).await, &data);
    screenshots(&browser, &shots, "release-zh").await;

    // Verify, with the trust anchor loaded and signed in: the proof checked here, in Chinese.
    browser.find(Locator::Css("#nav-verify")).await.expect("nav").click().await.expect("to verify");
    browser.wait_for("#carrier option", WAIT).await.expect("the carriers are listed");
    upload_anchor(&browser, &genesis).await;
    let carrier = cast.carrier.party().to_string();
    let (state, text) = verify_with(&browser, &carrier, pledged, &document_file).await;
    assert_eq!(state, "VERIFIED", "{text}");
    for expected in
        ["核验通过", "已签发", "已在本浏览器中依据您的信任锚（genesis.json）核验", "Consignee Import GmbH"]
    {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert_no_english("Verify", &visible_text(&browser).await, &data);
    browser
        .execute("document.querySelector('#verify-result').scrollIntoView()", vec![])
        .await
        .expect("scrolled");
    screenshots(&browser, &shots, "verify-zh").await;

    browser.quit().await.expect("quit");
    net.shutdown().await;
}

/// A party that rotated its key signs in with the new one (ADR 0019): the portal finds its party,
/// shows its BL as the shipper's and signs an action with the new key, which the ledger commits as
/// the party's; the old key is refused at sign-in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_signs_in_with_the_key_it_rotated_to_and_acts_while_its_old_key_is_refused() {
    let mut net = TestNet::new(1);
    net.start(0).await;
    let url = net.serve_api(0).await;
    let cast = &net.cast;
    let reference = "PORTALROT001";
    let bl = BlId::new(&cast.carrier.party(), reference);
    let rotated = Keypair::for_test("shipper-rotated-in-portal");
    let id = net.submit(
        0,
        TestLedger::tx_with_nonce(
            &[&cast.carrier],
            to_order(reference, &cast.shipper, Some(&cast.shipper)),
            0,
        ),
    );
    net.wait_for_receipts(&[0], &[id]).await;
    let rotate = TestLedger::tx_with_nonce(
        &[&cast.shipper, &rotated],
        Action::RotateKey { new_key: rotated.party() },
        0,
    );
    let id = net.submit(0, rotate);
    net.wait_for_receipts(&[0], &[id]).await;
    assert!(net.receipt(0, &id).expect("receipt").error().is_none());

    let files = tempfile::tempdir().expect("temp dir");
    let browser = signed_in(&url, files.path(), &rotated, "Shipper Export Co").await;
    let card = format!("article.bl[data-bl='{}']", bl.0.to_hex());
    browser
        .wait_for_text(&card, "you are its shipper", WAIT)
        .await
        .expect("the party's BL, as the shipper's");
    let done = act(&browser, &card, "BLANK_ENDORSE", &[]).await;
    assert!(done.contains("committed in block"), "{done}");
    browser.wait_for_text(&card, "BLANK_ENDORSE by Shipper Export Co", WAIT).await.expect("the party acted");

    let old = files.path().join("old.pem");
    std::fs::write(&old, ebl_client::keys::to_pem(&cast.shipper).expect("pem")).expect("write");
    let again = Browser::start().await.expect("headless Chromium");
    again.goto(&format!("{url}/#/mine")).await.expect("portal");
    again.wait_for("body[data-ready]", WAIT).await.expect("portal loaded");
    sign_in(&again, &old).await;
    again.wait_for_text("#mine-error", "no longer signs for", WAIT).await.expect("the old key refused");
    net.shutdown().await;
}
