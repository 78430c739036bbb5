//! The web portal in headless Chromium (Debian `chromium` and `chromium-driver`, which `.ci/run`
//! installs) against a live four-validator network on 127.0.0.1: the pages a verifier uses, the
//! ledger identifiers the browser computes checked against the Rust ones, and screenshots at
//! desktop and phone width.
//!
//! `EBL_SCREENSHOTS=<dir>` writes the screenshots there (`docs/screenshots` holds the committed
//! ones); without it they go to a temporary directory and are only checked to be PNG files.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ebl_contracts::testkit::{document_for, to_order, TestLedger};
use ebl_ledger::records::{BlId, TransportDocumentType};
use ebl_ledger::{Action, Keypair};
use ebl_node::testkit::TestNet;
use ebl_tests::webdriver::Browser;
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
        browser.screenshot(&path).await.expect("screenshot");
        let bytes = std::fs::read(&path).expect("screenshot written");
        assert!(bytes.starts_with(b"\x89PNG"), "{} is a PNG", path.display());
    }
    browser.set_window_size(1280, 900).await.expect("window size");
}

async fn verify_with(browser: &Browser, carrier: &str, reference: &str, file: &Path) -> (String, String) {
    browser.find("#carrier").await.expect("carrier").select_by_value(carrier).await.expect("carrier chosen");
    let input = browser.find("#reference").await.expect("reference");
    input.clear().await.expect("clear");
    input.send_keys(reference).await.expect("reference typed");
    let path = file.canonicalize().expect("absolute path");
    browser
        .find("#document")
        .await
        .expect("file input")
        .send_keys(&path.display().to_string())
        .await
        .expect("upload");
    browser.find("#verify-submit").await.expect("button").click().await.expect("click");
    // The outcome replaces "Checking…" once the node has answered.
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let outcome = browser.find("#verify-outcome").await.expect("outcome");
        let state = browser
            .execute("return document.querySelector('#verify-outcome').dataset.outcome || ''", vec![])
            .await
            .expect("outcome kind");
        let state = state.as_str().unwrap_or_default().to_string();
        if !state.is_empty() && state != "WORKING" {
            let text = outcome.text().await.expect("outcome text");
            let details = browser.find("#verify-details").await.expect("details").text().await.expect("text");
            return (state, format!("{text}\n{details}"));
        }
        assert!(tokio::time::Instant::now() < deadline, "no verification outcome within {WAIT:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
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

    let (state, text) = verify_with(&browser, &carrier, REFERENCE, &original).await;
    assert_eq!(state, "VERIFIED", "{text}");
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

/// Evaluates `expression` in the page with the portal's `ledger.js` module as `m` and the
/// arguments as `args`; a thrown error comes back as its message.
async fn ledger_js(browser: &Browser, expression: &str, args: Vec<Value>) -> Value {
    let script = format!(
        "const done = arguments[arguments.length - 1]; \
         const args = Array.from(arguments).slice(0, -1); \
         import('/portal/ledger.js').then((m) => {expression}).then(done, (e) => done(String(e)));"
    );
    browser.execute_async(&script, args).await.expect("script")
}

/// The identifiers the page computes with WebCrypto are the ledger's: the BL id and the RFC 8785
/// form of documents with awkward keys, numbers and strings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_computes_the_ledgers_bl_ids_and_canonical_json() {
    let mut net = TestNet::new(1);
    net.start(0).await;
    let url = net.serve_api(0).await;
    let browser = Browser::start().await.expect("headless Chromium");
    browser.goto(&format!("{url}/#/verify")).await.expect("portal");
    browser.wait_for("body[data-ready]", WAIT).await.expect("portal loaded");

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
    let (net, url) = live_network().await;
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
    let sign_in = |file: PathBuf| {
        let browser = &browser;
        async move {
            let path = file.canonicalize().expect("absolute").display().to_string();
            browser.find("#key-file").await.expect("key input").send_keys(&path).await.expect("upload");
            browser.find("#sign-in").await.expect("button").click().await.expect("click");
        }
    };

    // Keys that are no party's are refused with a plain message.
    sign_in(junk_file).await;
    browser.wait_for_text("#mine-error", "not an ed25519 private key", WAIT).await.expect("junk refused");
    sign_in(stranger_file).await;
    browser.wait_for_text("#mine-error", "not a registered party", WAIT).await.expect("stranger refused");

    sign_in(key_file).await;
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
    // Signed by the shipper, the other BL is still not the shipper's to read.
    let other_target = format!("/v1/bls/{}", other.0.to_hex());
    let headers = signed(other_target.clone()).await;
    let (status, body) = get_with(&format!("{url}{other_target}"), &headers).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("FORBIDDEN")), "{body}");

    browser.quit().await.expect("quit");
    net.shutdown().await;
}
