//! The REST layer (issue #4, first part) against a live one-validator network: a transaction
//! followed to its receipt, a BL's record and proof bundle, and every kind of bad input answered
//! with a stable code and no change to the state.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use ebl_contracts::testkit::{to_order, TestLedger};
use ebl_ledger::{BlId, BlRecord, ProofBundle, Transaction};
use ebl_node::api::{router, StatusResponse, TxStatus};
use ebl_node::testkit::TestNet;
use serde_json::Value;
use tower::ServiceExt;

const BODY_MAX: usize = 64 * 1024;

/// One bad request: its name, method, path, body, and the status and code it must get.
type Case<'a> = (&'a str, &'a str, &'a str, Option<Vec<u8>>, StatusCode, &'a str);

async fn call(app: &Router, method: &str, uri: &str, body: Option<Vec<u8>>) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn json(tx: &Transaction) -> Vec<u8> {
    serde_json::to_vec(tx).expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_is_followed_to_its_receipt_and_the_bl_proven() {
    let mut net = TestNet::new(1);
    net.start(0).await;
    let app = router(net.node(0).view(), BODY_MAX, Duration::from_secs(40));
    let issue =
        TestLedger::tx_with_nonce(&[&net.cast.carrier], to_order("APIBL1", &net.cast.shipper, None), 0);
    let (status, body) = call(&app, "POST", "/v1/transactions?wait=true", Some(json(&issue))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let receipt: TxStatus = serde_json::from_value(body).expect("tx status");
    assert_eq!((receipt.status.as_str(), receipt.outcome.as_deref()), ("COMMITTED", Some("SUCCESS")));

    let (status, body) = call(&app, "GET", &format!("/v1/transactions/{}", issue.id()), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_value::<TxStatus>(body).expect("status"), receipt);

    let bl = BlId::new(&net.cast.carrier.party(), "APIBL1");
    let (status, body) = call(&app, "GET", &format!("/v1/bls/{}", bl.0), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let record: BlRecord = serde_json::from_value(body).expect("record");
    assert_eq!(record.possessor, net.cast.shipper.party());

    let (status, body) = call(&app, "GET", &format!("/v1/bls/{}/proof", bl.0), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bytes = hex::decode(body["bundle"].as_str().expect("bundle")).expect("hex");
    let bundle: ProofBundle =
        ebl_ledger::encoding::decode(&bytes, ebl_ledger::proof::PROOF_BUNDLE_BYTES_MAX).expect("bundle");
    bundle.verify(&net.genesis.chain_id, net.node(0).validators()).expect("the bundle verifies");
    assert_eq!(bundle.decode::<BlRecord>().map(|r| r.possessor), Some(net.cast.shipper.party()));

    let (status, body) = call(&app, "GET", "/v1/status", None).await;
    assert_eq!(status, StatusCode::OK);
    let s: StatusResponse = serde_json::from_value(body).expect("status");
    assert!(s.height >= receipt.height.expect("height"));
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_stable_code_and_changes_nothing() {
    let mut net = TestNet::new(1);
    net.start(0).await;
    let app = router(net.node(0).view(), BODY_MAX, Duration::from_secs(40));
    let cast = &net.cast;
    // One committed issue, to replay and to read.
    let issue = TestLedger::tx_with_nonce(&[&cast.carrier], to_order("APIBL2", &cast.shipper, None), 0);
    let (status, _) = call(&app, "POST", "/v1/transactions?wait=true", Some(json(&issue))).await;
    assert_eq!(status, StatusCode::OK);
    let before = net.node(0).tip().state_root;

    let mut wrong_chain =
        TestLedger::tx_with_nonce(&[&cast.carrier], to_order("APIBL3", &cast.shipper, None), 1);
    wrong_chain.body.chain_id = "another-chain".into();
    let wrong_chain = wrong_chain.body.clone().sign(&[&cast.carrier]);
    let mut bad_signature =
        TestLedger::tx_with_nonce(&[&cast.carrier], to_order("APIBL4", &cast.shipper, None), 1);
    bad_signature.signatures[0].0[3] ^= 1;
    let unknown_party =
        TestLedger::tx_with_nonce(&[&cast.stranger], to_order("APIBL5", &cast.shipper, None), 0);
    let mut unknown_field: Value = serde_json::from_slice(&json(&issue)).expect("json");
    unknown_field["surprise"] = Value::Bool(true);
    let oversized = vec![b' '; BODY_MAX + 1];
    let unknown_bl = format!("/v1/bls/{}", BlId::new(&cast.carrier.party(), "NOSUCHBL").0);

    let cases: Vec<Case> = vec![
        (
            "malformed JSON",
            "POST",
            "/v1/transactions",
            Some(b"{\"body\":".to_vec()),
            StatusCode::BAD_REQUEST,
            "MALFORMED_JSON",
        ),
        (
            "unknown field",
            "POST",
            "/v1/transactions",
            Some(serde_json::to_vec(&unknown_field).expect("json")),
            StatusCode::BAD_REQUEST,
            "MALFORMED_JSON",
        ),
        (
            "oversized body",
            "POST",
            "/v1/transactions",
            Some(oversized),
            StatusCode::PAYLOAD_TOO_LARGE,
            "BODY_TOO_LARGE",
        ),
        (
            "wrong chain id",
            "POST",
            "/v1/transactions",
            Some(json(&wrong_chain)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "WRONG_CHAIN",
        ),
        (
            "bad signature",
            "POST",
            "/v1/transactions",
            Some(json(&bad_signature)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "BAD_SIGNATURE",
        ),
        (
            "replayed tx",
            "POST",
            "/v1/transactions",
            Some(json(&issue)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "NONCE_TOO_LOW",
        ),
        (
            "unknown party",
            "POST",
            "/v1/transactions",
            Some(json(&unknown_party)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "UNKNOWN_SIGNER",
        ),
        ("unknown BL", "GET", &unknown_bl, None, StatusCode::NOT_FOUND, "UNKNOWN_BL"),
        ("bad BL id", "GET", "/v1/bls/xyz", None, StatusCode::BAD_REQUEST, "BAD_ID"),
        (
            "unknown tx",
            "GET",
            "/v1/transactions/00000000000000000000000000000000000000000000000000000000000000aa",
            None,
            StatusCode::NOT_FOUND,
            "UNKNOWN_TX",
        ),
        ("bad height", "GET", "/v1/blocks/minus-one", None, StatusCode::BAD_REQUEST, "BAD_HEIGHT"),
        ("no such route", "GET", "/v1/nothing", None, StatusCode::NOT_FOUND, "NO_SUCH_ROUTE"),
    ];
    for (name, method, uri, body, status, code) in cases {
        let (got, answer) = call(&app, method, uri, body).await;
        assert_eq!(got, status, "{name}: {answer}");
        assert_eq!(answer["code"], code, "{name}: {answer}");
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}: a message");
    }
    // Nothing changed: the state root is the same (empty blocks keep it) and nothing is pending.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(net.node(0).tip().state_root, before);
    assert_eq!(net.node(0).mempool_len(), 0);
    let (status, body) = call(&app, "GET", "/healthz", None).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ok")));
    net.shutdown().await;
}
