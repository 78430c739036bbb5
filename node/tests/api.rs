//! The REST layer against a live one-validator network (real consensus, RocksDB in a temp
//! dir), called in-process: transactions followed to their receipts, signed and authorised
//! reads, the trade-finance check, container release, the event stream, the binary batch, the
//! OpenAPI description, and every kind of bad input answered with a stable code and no change.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use ebl_api::httpsig::{self, RequestTarget, SignatureParams};
use ebl_api::{StatusResponse, TxOutcome, TxStatus};
use ebl_contracts::testkit::{to_order, TestLedger};
use ebl_ledger::action::{Action, CreateLien, HoldAuthority, HoldTarget, IssueReleaseOrder, PlaceHold};
use ebl_ledger::{BlId, BlRecord, ContainerRef, Keypair, ProofBundle, Transaction};
use ebl_node::api::{router, ApiOptions, OwnAuthorities};
use ebl_node::testkit::{test_api_options, TestNet};
use serde_json::{json, Value};
use tower::ServiceExt;

/// The name the in-process node answers to (its `rpc.authorities`), sent as `Host`.
const API_HOST: &str = "node0.ebl.test:7101";

/// A REST client for the in-process router: signs requests like the SDK does, for `authority`
/// (sent as `Host` unless a request sets its own).
struct Api {
    app: Router,
    chain_id: String,
    authority: String,
    nonces: AtomicU64,
}

/// Seconds since the epoch, for request signatures.
fn now_s() -> u64 {
    #[allow(clippy::disallowed_methods)] // a client's clock
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs()
}

fn now_ms() -> u64 {
    now_s() * 1_000
}

impl Api {
    fn new(net: &TestNet) -> Self {
        let options = ApiOptions {
            authorities: OwnAuthorities::only([API_HOST]).expect("a name"),
            ..test_api_options()
        };
        Api {
            app: router(net.node(0).view(), options),
            chain_id: net.genesis.chain_id.clone(),
            authority: API_HOST.to_string(),
            nonces: AtomicU64::new(1),
        }
    }

    /// The signature headers of a request by `key`, created at `created_s`.
    fn sign(
        &self,
        key: &Keypair,
        method: &str,
        uri: &str,
        body: Option<&[u8]>,
        created_s: u64,
    ) -> Vec<(String, String)> {
        let (path, query) = match uri.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (uri, None),
        };
        let digest = body.map(httpsig::content_digest);
        let target = RequestTarget {
            method,
            authority: &self.authority,
            path,
            query,
            content_digest: digest.as_deref(),
        };
        let params = SignatureParams {
            keyid: key.party(),
            created_s,
            nonce: format!("{:032x}", self.nonces.fetch_add(1, Ordering::Relaxed)),
            tag: self.chain_id.clone(),
        };
        let headers = httpsig::sign(key, &target, &params);
        let mut out = vec![
            ("signature-input".to_string(), headers.signature_input),
            ("signature".to_string(), headers.signature),
        ];
        if let Some(d) = digest {
            out.push(("content-digest".to_string(), d));
        }
        out
    }

    async fn send(
        &self,
        method: &str,
        uri: &str,
        body: Option<Vec<u8>>,
        headers: &[(String, String)],
    ) -> (StatusCode, Value) {
        let mut request =
            Request::builder().method(method).uri(uri).header("content-type", "application/json");
        if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("host")) {
            request = request.header("host", self.authority.as_str());
        }
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request.body(body.map(Body::from).unwrap_or_else(Body::empty)).expect("request");
        let response = self.app.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// An unsigned request.
    async fn call(&self, method: &str, uri: &str, body: Option<Vec<u8>>) -> (StatusCode, Value) {
        self.send(method, uri, body, &[]).await
    }

    /// A request signed by `key`.
    async fn signed(
        &self,
        key: &Keypair,
        method: &str,
        uri: &str,
        body: Option<Vec<u8>>,
    ) -> (StatusCode, Value) {
        let headers = self.sign(key, method, uri, body.as_deref(), now_s());
        self.send(method, uri, body, &headers).await
    }

    /// Submits `tx` and waits for its commit; returns the outcome (`SUCCESS` or a code).
    async fn commit(&self, tx: &Transaction) -> String {
        let (status, body) = self.call("POST", "/v1/transactions?wait=true", Some(json_bytes(tx))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["outcome"].as_str().expect("outcome").to_string()
    }

    /// The possessor and status of `bl` as `key` reads them.
    async fn title(&self, key: &Keypair, bl: BlId) -> BlRecord {
        let (status, body) = self.signed(key, "GET", &format!("/v1/bls/{}", bl.0), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        serde_json::from_value(body).expect("record")
    }
}

fn json_bytes(tx: &Transaction) -> Vec<u8> {
    serde_json::to_vec(tx).expect("json")
}

/// A request: method, URI, body.
type Request3<'a> = (&'a str, String, Option<Vec<u8>>);

/// Signed transactions with per-signer nonces, as the SDK's builder keeps them.
struct Nonces(std::collections::BTreeMap<ebl_ledger::PartyId, u64>);

impl Nonces {
    fn tx(&mut self, signers: &[&Keypair], action: Action) -> Transaction {
        let nonce = self.0.entry(signers[0].party()).or_insert(0);
        let tx = TestLedger::tx_with_nonce(signers, action, *nonce);
        *nonce += 1;
        tx
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bl_is_followed_from_issue_to_release_with_signed_reads_and_a_finance_check() {
    let mut net = TestNet::new(1);
    net.start(0).await;
    let api = Api::new(&net);
    let c = &net.cast;
    let mut n = Nonces(Default::default());
    let issue = n.tx(&[&c.carrier], to_order("APIBL1", &c.shipper, Some(&c.shipper)));
    let Action::Issue(issued) = &issue.body.action else { unreachable!() };
    let document = issued.document.clone();
    assert_eq!(api.commit(&issue).await, "SUCCESS");
    let bl = BlId::new(&c.carrier.party(), "APIBL1");

    let (status, body) = api.call("GET", &format!("/v1/transactions/{}", issue.id()), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_value::<TxStatus>(body).expect("status").outcome, Some(TxOutcome::Success));

    // The record, the document as issued, the proof bundle, for a party on the chain.
    let record = api.title(&c.shipper, bl).await;
    assert_eq!((record.possessor, record.document_checksum), (c.shipper.party(), document.checksum()));
    let (status, body) = api.signed(&c.shipper, "GET", &format!("/v1/bls/{}/document", bl.0), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, document.to_value().expect("json"), "the document is served as issued");
    let (status, body) = api.signed(&c.shipper, "GET", &format!("/v1/bls/{}/proof", bl.0), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let bytes = hex::decode(body["bundle"].as_str().expect("bundle")).expect("hex");
    let bundle: ProofBundle =
        ebl_ledger::encoding::decode(&bytes, ebl_ledger::proof::PROOF_BUNDLE_BYTES_MAX).expect("bundle");
    bundle.verify(&net.genesis.chain_id, net.node(0).validators()).expect("the bundle verifies");
    assert_eq!(bundle.decode::<BlRecord>().map(|r| r.possessor), Some(c.shipper.party()));

    // Endorsed to order of the bank and handed over; the bank takes a lien.
    for (signer, action) in [
        (&c.shipper, Action::EndorseToOrder { bl, endorsee: c.bank.party() }),
        (&c.shipper, Action::Transfer { bl, to: c.bank.party() }),
        (
            &c.bank,
            Action::CreateLien(CreateLien {
                bl,
                bank: c.bank.party(),
                amount_minor: 12_500_000,
                currency: "USD".into(),
                expires_at_ms: now_ms() + 86_400_000,
                finance_reference: "LC-2024-0001".into(),
            }),
        ),
    ] {
        assert_eq!(api.commit(&n.tx(&[signer], action)).await, "SUCCESS");
    }
    let terms = json!({ "toOrderOfBank": true });
    let (status, report) = api
        .signed(
            &c.bank,
            "POST",
            &format!("/v1/bls/{}/finance-check", bl.0),
            Some(serde_json::to_vec(&json!({"lcTerms": terms})).expect("json")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["passed"], true, "{report}");
    assert_eq!(
        (report["carrierSignatureValid"].as_bool(), report["oneLiveOriginal"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(report["lienStatus"], "HELD_BY_THIS_BANK");

    // A second bank is not on the chain: it must present the document, and it is refused
    // financing (double financing).
    let path = format!("/v1/bls/{}/finance-check", bl.0);
    let (status, body) = api.signed(&c.bank2, "POST", &path, Some(b"{}".to_vec())).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("FORBIDDEN")), "{body}");
    let presented = json!({ "document": document.to_value().expect("json"), "lcTerms": terms });
    let (status, report) =
        api.signed(&c.bank2, "POST", &path, Some(serde_json::to_vec(&presented).expect("json"))).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (report["passed"].as_bool(), report["lienStatus"].as_str()),
        (Some(false), Some("HELD_BY_OTHER_BANK")),
        "{report}"
    );
    assert_eq!(report["checksumMatches"], true);
    // A document with one changed character does not match.
    let mut changed = document.to_value().expect("json");
    changed["transportDocumentReference"] = "APIBL1X".into();
    let (_, report) = api
        .signed(
            &c.bank,
            "POST",
            &path,
            Some(serde_json::to_vec(&json!({ "document": changed })).expect("json")),
        )
        .await;
    assert_eq!(
        (report["checksumMatches"].as_bool(), report["passed"].as_bool()),
        (Some(false), Some(false)),
        "{report}"
    );

    // Lien released, endorsed to the consignee, surrendered and accepted.
    for (signer, action) in [
        (&c.bank, Action::ReleaseLien { bl }),
        (&c.bank, Action::Endorse { bl, endorsee: c.consignee.party() }),
        (&c.bank, Action::Transfer { bl, to: c.consignee.party() }),
        (&c.consignee, Action::SurrenderForDelivery { bl }),
        (&c.carrier, Action::AcceptSurrender { bl }),
    ] {
        let name = action.name();
        assert_eq!(api.commit(&n.tx(&[signer], action)).await, "SUCCESS", "{name}");
    }
    assert_eq!(api.title(&c.consignee, bl).await.status, ebl_ledger::BlStatus::SurrenderedForDelivery);

    // Release: the containers of the document, a customs hold, and the board per container.
    let (status, body) = api.signed(&c.consignee, "GET", &format!("/v1/bls/{}/containers", bl.0), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let equipment: Vec<String> = body["containers"]
        .as_array()
        .expect("containers")
        .iter()
        .map(|c| c["equipmentReference"].as_str().expect("ref").to_string())
        .collect();
    assert!(!equipment.is_empty(), "{body}");
    assert!(body["containers"].as_array().expect("list").iter().all(|c| c["status"] == "NOT_RELEASED"));
    let order = IssueReleaseOrder {
        bl,
        equipment_references: equipment.clone(),
        terminal: c.terminal.party(),
        valid_from_ms: now_ms() - 60_000,
        valid_until_ms: now_ms() + 86_400_000,
        charges_settled: true,
    };
    assert_eq!(api.commit(&n.tx(&[&c.carrier], Action::IssueReleaseOrder(order))).await, "SUCCESS");
    let container = ContainerRef::new(bl, equipment[0].clone());
    let hold = PlaceHold {
        target: HoldTarget::Container(container.clone()),
        authority: HoldAuthority::Customs,
        reason: "inspection".into(),
        declaration_number: Some("CN-2024-000123".into()),
    };
    assert_eq!(api.commit(&n.tx(&[&c.customs], Action::PlaceHold(hold))).await, "SUCCESS");
    let one = format!("/v1/bls/{}/containers/{}", bl.0, equipment[0]);
    let (status, body) = api.signed(&c.terminal, "GET", &one, None).await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("HELD")),
        "the terminal reads its container: {body}"
    );
    let lift = Action::LiftHold { target: HoldTarget::Container(container), hold_id: 0 };
    assert_eq!(api.commit(&n.tx(&[&c.customs], lift)).await, "SUCCESS");
    let (_, body) = api.signed(&c.consignee, "GET", &one, None).await;
    assert_eq!(body["status"], "AVAILABLE", "{body}");

    // The consignee's event stream replays the life of a BL it may read, in commit order.
    let events = read_events(&api, &c.consignee, 12, Duration::from_secs(20)).await;
    assert_eq!(events.len(), 12, "{events:?}");
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().expect("kind")).collect();
    assert_eq!(
        kinds,
        [
            "ISSUED",
            "ENDORSED",
            "TRANSFERRED",
            "LIEN_CREATED",
            "LIEN_RELEASED",
            "ENDORSED",
            "TRANSFERRED",
            "SURRENDER_REQUESTED",
            "SURRENDER_ACCEPTED",
            "RELEASE_ORDERED",
            "HOLD_PLACED",
            "HOLD_LIFTED"
        ]
    );
    assert!(events.iter().all(|e| e["blId"] == json!(bl.0.to_hex())), "{events:?}");
    // The terminal is no party to the BL, but it takes part in its containers' release: its
    // stream carries the order (naming every container) and the hold placed and lifted on one.
    let events = read_events(&api, &c.terminal, 3, Duration::from_secs(20)).await;
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().expect("kind")).collect();
    assert_eq!(kinds, ["RELEASE_ORDERED", "HOLD_PLACED", "HOLD_LIFTED"], "{events:?}");
    assert_eq!(events[0]["equipmentReferences"], json!(equipment), "{events:?}");
    net.shutdown().await;
}

/// The first `count` events of `key`'s stream replayed from height 1, or those that came
/// within `wait`.
async fn read_events(api: &Api, key: &Keypair, count: usize, wait: Duration) -> Vec<Value> {
    let uri = "/v1/events?fromHeight=1";
    let headers = api.sign(key, "GET", uri, None, now_s());
    let mut request = Request::builder().method("GET").uri(uri).header("host", api.authority.as_str());
    for (name, value) in &headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response =
        api.app.clone().oneshot(request.body(Body::empty()).expect("request")).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body().into_data_stream();
    let mut text = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while events.len() < count {
        let Ok(chunk) = tokio::time::timeout_at(deadline, futures::StreamExt::next(&mut body)).await else {
            break;
        };
        let chunk = chunk.expect("stream open").expect("chunk");
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let message: String = text.drain(..end + 2).collect();
            if let Some(data) = message.lines().find_map(|l| l.strip_prefix("data: ")) {
                events.push(serde_json::from_str(data).expect("event json"));
            }
        }
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_are_authorised_per_bl_and_public_verification_names_parties_only_to_the_holder() {
    let mut net = TestNet::new(1);
    net.start(0).await;
    let api = Api::new(&net);
    let c = &net.cast;
    let issue = TestLedger::tx_with_nonce(&[&c.carrier], to_order("APIBL6", &c.shipper, None), 0);
    assert_eq!(api.commit(&issue).await, "SUCCESS");
    let bl = BlId::new(&c.carrier.party(), "APIBL6");
    for route in ["", "/history", "/document", "/proof", "/containers"] {
        let uri = format!("/v1/bls/{}{route}", bl.0);
        let (status, body) = api.signed(&c.outsider, "GET", &uri, None).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("FORBIDDEN")),
            "outsider on {uri}"
        );
        for reader in [&c.carrier, &c.shipper, &c.customs, &c.registrar] {
            let (status, body) = api.signed(reader, "GET", &uri, None).await;
            assert_eq!(status, StatusCode::OK, "{route}: {body}");
        }
        let (status, body) = api.call("GET", &uri, None).await;
        assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("UNSIGNED")), "{uri}");
    }
    // An outsider's event stream shows nothing of it; the shipper's shows its issue.
    assert!(read_events(&api, &c.outsider, 1, Duration::from_secs(2)).await.is_empty());
    let shipper_events = read_events(&api, &c.shipper, 1, Duration::from_secs(20)).await;
    assert_eq!(shipper_events.first().map(|e| e["kind"].clone()), Some(json!("ISSUED")));
    let (_, history) = api.signed(&c.shipper, "GET", &format!("/v1/bls/{}/history", bl.0), None).await;
    assert_eq!(history["entries"][0]["actionCode"], "ISSUE");

    // Public verification: whether the BL exists and its status, never its checksum; the names
    // and the lien state only to whoever presents the document's checksum.
    let checksum = api.title(&c.shipper, bl).await.document_checksum;
    for query in [String::new(), format!("?checksum={}", "0".repeat(64))] {
        let (status, body) = api.call("GET", &format!("/v1/verify/{}{query}", bl.0), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let keys: Vec<&str> = body.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(keys, vec!["blId", "checksumMatches", "disclosed", "found", "height", "status"]);
        assert_eq!(body["disclosed"], serde_json::Value::Null, "{query}");
        assert_eq!(body["checksumMatches"].as_bool(), (!query.is_empty()).then_some(false));
        let text = body.to_string();
        assert!(!text.contains(&checksum.to_hex()), "no checksum in the public answer: {text}");
        assert!(!text.to_lowercase().contains("lien"), "no lien state in the public answer: {text}");
        for party in [&c.carrier, &c.shipper] {
            assert!(!text.contains(&party.party().to_string()[4..]), "no party in the public answer");
        }
    }
    let (status, body) = api.call("GET", &format!("/v1/verify/{}?checksum={checksum}", bl.0), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["found"].as_bool(), body["checksumMatches"].as_bool()), (Some(true), Some(true)));
    let disclosed = &body["disclosed"];
    assert_eq!(disclosed["carrier"]["party"], c.carrier.party().to_string(), "{body}");
    assert_eq!(disclosed["possessor"]["party"], c.shipper.party().to_string(), "{body}");
    assert!(disclosed["carrier"]["legalName"].as_str().is_some_and(|n| !n.is_empty()), "{body}");
    assert_eq!(disclosed["lienActive"], false);
    let updated = disclosed["updatedHeight"].as_u64().expect("updated height");
    let updated_time = net.node(0).block(updated).expect("block").header.time_ms;
    assert_eq!(disclosed["updatedTimeMs"].as_u64(), Some(updated_time), "the block's own time: {body}");
    // The carriers a verifier picks from: public, names and ids.
    let (status, list) = api.call("GET", "/v1/carriers", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let carriers = list["carriers"].as_array().expect("carriers");
    assert!(carriers.iter().any(|e| e["party"] == c.carrier.party().to_string()), "{list}");
    assert!(carriers.iter().all(|e| e["party"] != c.shipper.party().to_string()), "{list}");
    // Blocks carry ids and outcomes, never the document.
    let height = net.node(0).receipt(&issue.id()).expect("committed").0;
    let (_, block) = api.call("GET", &format!("/v1/blocks/{height}"), None).await;
    assert!(block["txIds"].as_array().is_some_and(|ids| ids.len() == 1), "{block}");
    assert!(!block.to_string().contains("transportDocumentReference"));
    net.shutdown().await;
}

/// A party rotates its key over REST (ADR 0019): its BLs stay its own, its new key reads and acts
/// as the party (the party, not the key, is indexed and named), its old key is refused at the
/// front door and at admission; a carrier that rotated issues under its id; a lost key is replaced
/// by the registrar.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_party_rotates_its_key_and_its_old_key_is_refused_everywhere() {
    let mut net = TestNet::new(1);
    net.start(0).await;
    let api = Api::new(&net);
    let c = &net.cast;
    let nonce =
        |key: &Keypair| -> u64 { net.node(0).state(&ebl_ledger::StateKey::Nonce(key.party())).unwrap_or(0) };
    let issue =
        TestLedger::tx_with_nonce(&[&c.carrier], to_order("ROTBL1", &c.shipper, Some(&c.consignee)), 0);
    assert_eq!(api.commit(&issue).await, "SUCCESS");
    let bl = BlId::new(&c.carrier.party(), "ROTBL1");

    let shipper_2 = Keypair::for_test("shipper-rotated");
    let rotate = Action::RotateKey { new_key: shipper_2.party() };
    let tx = TestLedger::tx_with_nonce(&[&c.shipper, &shipper_2], rotate, nonce(&c.shipper));
    assert_eq!(api.commit(&tx).await, "SUCCESS");

    // The new key finds its party and reads the party's BL; the old key is refused with its code.
    let (status, record) =
        api.signed(&shipper_2, "GET", &format!("/v1/parties/{}", shipper_2.party()), None).await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(
        (record["party"].as_str(), record["signingKey"].as_str()),
        (Some(&*c.shipper.party().to_string()), Some(&*shipper_2.party().to_string()))
    );
    assert_eq!(api.title(&shipper_2, bl).await.possessor, c.shipper.party());
    let (status, body) = api.signed(&c.shipper, "GET", &format!("/v1/bls/{}", bl.0), None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("KEY_ROTATED")), "{body}");
    // Its transaction is refused at admission (its key has no nonce any more).
    let old = TestLedger::tx_with_nonce(&[&c.shipper], Action::Transfer { bl, to: c.consignee.party() }, 1);
    let (status, body) = api.call("POST", "/v1/transactions", Some(json_bytes(&old))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // The new key transfers; the consignee, indexed with the BL, reads it; the history names the party.
    let transfer = TestLedger::tx_with_nonce(
        &[&shipper_2],
        Action::Transfer { bl, to: c.consignee.party() },
        nonce(&shipper_2),
    );
    assert_eq!(api.commit(&transfer).await, "SUCCESS");
    assert_eq!(api.title(&c.consignee, bl).await.possessor, c.consignee.party());
    let (_, history) = api.signed(&shipper_2, "GET", &format!("/v1/bls/{}/history", bl.0), None).await;
    assert_eq!(history["entries"][1]["actor"], c.shipper.party().to_string(), "{history}");

    // A carrier that rotated issues under its party id: the BL is indexed with the carrier, and
    // the finance check finds the issue signed by the carrier.
    let carrier_2 = Keypair::for_test("carrier-rotated");
    let tx = TestLedger::tx_with_nonce(
        &[&c.carrier, &carrier_2],
        Action::RotateKey { new_key: carrier_2.party() },
        nonce(&c.carrier),
    );
    assert_eq!(api.commit(&tx).await, "SUCCESS");
    let issue =
        TestLedger::tx_with_nonce(&[&carrier_2], to_order("ROTBL2", &c.bank, None), nonce(&carrier_2));
    assert_eq!(api.commit(&issue).await, "SUCCESS");
    let bl2 = BlId::new(&c.carrier.party(), "ROTBL2");
    assert_eq!(api.title(&carrier_2, bl2).await.carrier, c.carrier.party());
    let (status, report) =
        api.signed(&c.bank, "POST", &format!("/v1/bls/{}/finance-check", bl2.0), Some(b"{}".to_vec())).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["carrierSignatureValid"], true, "{report}");

    // The registrar replaces the bank's lost key; the bank's old key is refused from then on.
    let bank_2 = Keypair::for_test("bank-recovered");
    let replace = Action::ReplaceKey { party: c.bank.party(), new_key: bank_2.party() };
    let tx = TestLedger::tx_with_nonce(&[&c.registrar, &bank_2], replace, nonce(&c.registrar));
    assert_eq!(api.commit(&tx).await, "SUCCESS");
    assert_eq!(api.title(&bank_2, bl2).await.possessor, c.bank.party());
    let (status, body) = api.signed(&c.bank, "GET", &format!("/v1/bls/{}", bl2.0), None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("KEY_ROTATED")), "{body}");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_a_stable_code_and_changes_nothing() {
    let mut net = TestNet::new(1);
    net.start(0).await;
    let api = Api::new(&net);
    let cast = &net.cast;
    let issue = TestLedger::tx_with_nonce(&[&cast.carrier], to_order("APIBL2", &cast.shipper, None), 0);
    assert_eq!(api.commit(&issue).await, "SUCCESS");
    let bl = BlId::new(&cast.carrier.party(), "APIBL2");
    // An illegal transition commits as a refusal with a stable code and leaves the BL as it was.
    let record_before = api.title(&cast.shipper, bl).await;
    let accept = TestLedger::tx_with_nonce(&[&cast.carrier], Action::AcceptSurrender { bl }, 1);
    assert_eq!(api.commit(&accept).await, "ILLEGAL_TRANSITION");
    assert_eq!(api.title(&cast.shipper, bl).await, record_before);
    let before = net.node(0).tip().state_root;

    let mut wrong_chain =
        TestLedger::tx_with_nonce(&[&cast.carrier], to_order("APIBL3", &cast.shipper, None), 2);
    wrong_chain.body.chain_id = "another-chain".into();
    let wrong_chain = wrong_chain.body.clone().sign(&[&cast.carrier]);
    let mut bad_signature =
        TestLedger::tx_with_nonce(&[&cast.carrier], to_order("APIBL4", &cast.shipper, None), 2);
    bad_signature.signatures[0].0[3] ^= 1;
    let unknown_party =
        TestLedger::tx_with_nonce(&[&cast.stranger], to_order("APIBL5", &cast.shipper, None), 0);
    let mut unknown_field: Value = serde_json::from_slice(&json_bytes(&issue)).expect("json");
    unknown_field["surprise"] = Value::Bool(true);
    let oversized = vec![b' '; test_api_options().request_bytes_max + 1];
    let unknown_bl = format!("/v1/bls/{}", BlId::new(&cast.carrier.party(), "NOSUCHBL").0);
    let record = format!("/v1/bls/{}", bl.0);
    let mut incomplete = to_order("APIBL7", &cast.shipper, None);
    if let Action::Issue(a) = &mut incomplete {
        let mut value = a.document.to_value().expect("json");
        value.as_object_mut().expect("object").remove("transports");
        a.document = ebl_ledger::dcsa::TransportDocumentJson::from_value(&value).expect("still JSON");
    }
    let incomplete = TestLedger::tx_with_nonce(&[&cast.carrier], incomplete, 2);

    let post = |body: Vec<u8>| ("POST", "/v1/transactions".to_string(), Some(body));
    let cases: Vec<(&str, Request3, StatusCode, &str)> = vec![
        ("malformed JSON", post(b"{\"body\":".to_vec()), StatusCode::BAD_REQUEST, "MALFORMED_JSON"),
        (
            "unknown field",
            post(serde_json::to_vec(&unknown_field).expect("json")),
            StatusCode::BAD_REQUEST,
            "MALFORMED_JSON",
        ),
        ("oversized body", post(oversized), StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE"),
        ("wrong chain id", post(json_bytes(&wrong_chain)), StatusCode::UNPROCESSABLE_ENTITY, "WRONG_CHAIN"),
        (
            "bad signature",
            post(json_bytes(&bad_signature)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "BAD_SIGNATURE",
        ),
        ("replayed tx", post(json_bytes(&issue)), StatusCode::UNPROCESSABLE_ENTITY, "NONCE_TOO_LOW"),
        (
            "unknown party",
            post(json_bytes(&unknown_party)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "UNKNOWN_SIGNER",
        ),
        (
            "document lacks a DCSA field",
            post(json_bytes(&incomplete)),
            StatusCode::BAD_REQUEST,
            "DOCUMENT_INVALID",
        ),
        (
            "batch of junk",
            ("POST", "/v1/transactions/batch".into(), Some(vec![7, 0, 0, 0, 1])),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "NOT_BINARY",
        ),
        (
            "unknown tx",
            ("GET", format!("/v1/transactions/{}", "a".repeat(64)), None),
            StatusCode::NOT_FOUND,
            "UNKNOWN_TX",
        ),
        ("bad height", ("GET", "/v1/blocks/minus-one".into(), None), StatusCode::BAD_REQUEST, "BAD_HEIGHT"),
        (
            "bad verify query",
            ("GET", format!("/v1/verify/{}?checksum=xyz", bl.0), None),
            StatusCode::BAD_REQUEST,
            "BAD_ID",
        ),
        ("unsigned read", ("GET", record.clone(), None), StatusCode::UNAUTHORIZED, "UNSIGNED"),
        ("no such route", ("GET", "/v1/nothing".into(), None), StatusCode::NOT_FOUND, "NO_SUCH_ROUTE"),
    ];
    for (name, (method, uri, body), status, code) in cases {
        let (got, answer) = api.call(method, &uri, body).await;
        assert_eq!(got, status, "{name}: {answer}");
        assert_eq!(answer["code"], code, "{name}: {answer}");
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}: a message");
    }

    // Signed reads: unknown BL, a stranger's key, a tampered, replayed, expired or other-chain signature.
    let (status, body) = api.signed(&cast.shipper, "GET", &unknown_bl, None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("UNKNOWN_BL")));
    let (status, body) = api.signed(&cast.stranger, "GET", &record, None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("UNKNOWN_PARTY")), "{body}");
    let (status, body) = api.signed(&cast.shipper, "GET", "/v1/bls/xyz", None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("BAD_ID")), "{body}");
    let headers = api.sign(&cast.shipper, "GET", &record, None, now_s());
    assert_eq!(api.send("GET", &record, None, &headers).await.0, StatusCode::OK);
    let (status, body) = api.send("GET", &record, None, &headers).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("REPLAYED_REQUEST")),
        "{body}"
    );
    let other_path = api.sign(&cast.shipper, "GET", &format!("{record}/history"), None, now_s());
    let (status, body) = api.send("GET", &record, None, &other_path).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("BAD_REQUEST_SIGNATURE")),
        "{body}"
    );
    let stale = api.sign(&cast.shipper, "GET", &record, None, now_s() - 3_600);
    let (status, body) = api.send("GET", &record, None, &stale).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("SIGNATURE_EXPIRED")),
        "{body}"
    );
    // Made for another node: refused with its own code, sent to its name or to this one's.
    let other_node = Api { authority: "node1.ebl.test:7101".into(), ..Api::new(&net) };
    let (status, body) = other_node.signed(&cast.shipper, "GET", &record, None).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("WRONG_AUTHORITY")),
        "{body}"
    );
    let mut headers = other_node.sign(&cast.shipper, "GET", &record, None, now_s());
    let (status, body) = api.send("GET", &record, None, &headers).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("BAD_REQUEST_SIGNATURE")),
        "{body}"
    );
    headers.push(("host".into(), String::new()));
    let (status, body) = api.send("GET", &record, None, &headers).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_REQUEST, Some("BAD_HOST")), "{body}");
    let other_chain = Api { chain_id: "another-chain".into(), ..Api::new(&net) };
    let (status, body) = other_chain.signed(&cast.shipper, "GET", &record, None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("WRONG_CHAIN")), "{body}");

    // Nothing changed: the state root is the same (empty blocks keep it) and nothing is pending.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(net.node(0).tip().state_root, before);
    assert_eq!(net.node(0).mempool_len(), 0);
    let (status, body) = api.call("GET", "/healthz", None).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("ok")));
    let (status, body) = api.call("GET", "/v1/status", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_value::<StatusResponse>(body).expect("status").state_root, before);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binary_batch_is_admitted_with_per_transaction_results() {
    let mut net = TestNet::new(1);
    net.start(0).await;
    let api = Api::new(&net);
    let c = &net.cast;
    let mut txs: Vec<Transaction> = (0..50)
        .map(|i| {
            TestLedger::tx_with_nonce(&[&c.carrier], to_order(&format!("BATCH{i:03}"), &c.shipper, None), i)
        })
        .collect();
    // A forged signature, and another body for a nonce the batch already uses (refused before
    // its signature is checked).
    let mut broken = TestLedger::tx_with_nonce(&[&c.carrier], to_order("BATCH050", &c.shipper, None), 50);
    broken.signatures[0].0[0] ^= 1;
    txs.push(broken);
    txs.push(TestLedger::tx_with_nonce(&[&c.carrier], to_order("BATCHDUP", &c.shipper, None), 10));
    let body = ebl_ledger::encoding::encode(&txs);
    let request = Request::builder()
        .method("POST")
        .uri("/v1/transactions/batch")
        .header("content-type", "application/octet-stream")
        .body(Body::from(body))
        .expect("request");
    let response = api.app.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
    let answer: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(answer["accepted"], 50, "{answer}");
    let results = answer["results"].as_array().expect("results");
    assert_eq!(results.len(), 52);
    assert_eq!(results[50]["code"], "BAD_SIGNATURE");
    assert_eq!(results[51]["code"], "NONCE_TAKEN");
    let ids: Vec<_> = txs[..50].iter().map(|t| t.id()).collect();
    net.wait_for_receipts(&[0], &ids).await;
    assert!(ids.iter().all(|id| net.receipt(0, id).is_some_and(|r| r.is_success())));
    // A batch claiming more transactions than allowed is refused before decoding.
    let mut huge = (ebl_node::api::BATCH_TXS_MAX as u32 + 1).to_le_bytes().to_vec();
    huge.extend([0u8; 16]);
    let request = Request::builder()
        .method("POST")
        .uri("/v1/transactions/batch")
        .header("content-type", "application/octet-stream")
        .body(Body::from(huge))
        .expect("request");
    let response = api.app.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_is_in_the_openapi_document_and_it_is_valid_openapi_3() {
    let mut net = TestNet::new(1);
    net.start(0).await;
    let api = Api::new(&net);
    let (status, doc) = api.call("GET", "/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, metrics) = {
        let request = Request::builder().uri("/metrics").body(Body::empty()).expect("request");
        let response = api.app.clone().oneshot(request).await.expect("response");
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.expect("body");
        (status, String::from_utf8(bytes.to_vec()).expect("text"))
    };
    assert_eq!(status, StatusCode::OK);
    assert!(
        metrics.contains("\nebl_height ") && metrics.contains("ebl_http_responses_total{class=\"2xx\"}"),
        "{metrics}"
    );

    let expected = [
        ("get", "/healthz"),
        ("get", "/metrics"),
        ("get", "/openapi.json"),
        ("get", "/v1/status"),
        ("get", "/v1/validators"),
        ("get", "/v1/validators/chain"),
        ("post", "/v1/transactions"),
        ("post", "/v1/transactions/batch"),
        ("get", "/v1/transactions/{tx_id}"),
        ("get", "/v1/blocks/{height}"),
        ("get", "/v1/verify/{bl_id}"),
        ("get", "/v1/carriers"),
        ("get", "/v1/parties"),
        ("get", "/v1/parties/{party}"),
        ("get", "/v1/parties/{party}/nonce"),
        ("get", "/v1/bls/{bl_id}"),
        ("get", "/v1/bls/{bl_id}/history"),
        ("get", "/v1/bls/{bl_id}/document"),
        ("get", "/v1/bls/{bl_id}/proof"),
        ("get", "/v1/bls/{bl_id}/containers"),
        ("get", "/v1/bls/{bl_id}/containers/{equipment_reference}"),
        ("post", "/v1/bls/{bl_id}/finance-check"),
        ("get", "/v1/events"),
    ];
    let paths = doc["paths"].as_object().expect("paths");
    let documented: usize = paths.values().map(|p| p.as_object().map_or(0, |o| o.len())).sum();
    assert_eq!(documented, expected.len(), "every documented operation is expected: {:?}", paths.keys());
    for (method, path) in expected {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} is documented");
        // ... and served: a request to it does not fall through to NO_SUCH_ROUTE.
        let concrete = path
            .replace("{tx_id}", &"a".repeat(64))
            .replace("{bl_id}", &"b".repeat(64))
            .replace("{height}", "1")
            .replace("{party}", "ebl:00")
            .replace("{equipment_reference}", "MSKU1234567");
        let (_, body) = api.call(&method.to_uppercase(), &concrete, None).await;
        assert_ne!(body["code"], "NO_SUCH_ROUTE", "{method} {concrete}");
    }
    assert_valid_openapi_3(&doc);
    net.shutdown().await;
}

/// The structural rules of an OpenAPI 3 document that a generator can get wrong: the version,
/// info, operations with responses and unique ids, declared path parameters, and every `$ref`
/// resolving inside the document.
fn assert_valid_openapi_3(doc: &Value) {
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "openapi version");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string(), "info");
    let mut operation_ids = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        assert!(path.starts_with('/'), "{path}");
        let templated: Vec<&str> = path.split('{').skip(1).filter_map(|s| s.split('}').next()).collect();
        for (method, op) in item.as_object().expect("path item") {
            assert!(["get", "post", "put", "delete", "patch"].contains(&method.as_str()), "{method}");
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path} has responses"
            );
            if let Some(id) = op["operationId"].as_str() {
                assert!(operation_ids.insert(id.to_string()), "operationId {id} is unique");
            }
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter().filter(|p| p["in"] == "path").filter_map(|p| p["name"].as_str()).collect()
                })
                .unwrap_or_default();
            for name in &templated {
                assert!(declared.contains(name), "{method} {path} declares path parameter {name}");
            }
        }
    }
    let mut refs = Vec::new();
    collect_refs(doc, &mut refs);
    for r in refs {
        let pointer = r.strip_prefix('#').expect("local $ref");
        assert!(doc.pointer(pointer).is_some(), "$ref {r} resolves");
    }
}

fn collect_refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == "$ref" {
                    out.extend(v.as_str().map(str::to_string));
                }
                collect_refs(v, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_portal_is_served_from_the_binary_under_a_strict_content_security_policy() {
    let mut net = TestNet::new(1);
    net.start(0).await;
    let api = Api::new(&net);
    for (uri, media) in [
        ("/", "text/html"),
        ("/portal/app.js", "text/javascript"),
        ("/portal/ledger.js", "text/javascript"),
        ("/portal/i18n.js", "text/javascript"),
        ("/portal/style.css", "text/css"),
    ] {
        let request = Request::builder().uri(uri).body(Body::empty()).expect("request");
        let response = api.app.clone().oneshot(request).await.expect("response");
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        let header = |name: &str| {
            response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
        };
        assert!(header("content-type").starts_with(media), "{uri}: {}", header("content-type"));
        let csp = header("content-security-policy");
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{uri}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(header("x-content-type-options"), "nosniff");
    }
    let (status, body) = api.call("GET", "/portal/../Cargo.toml", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = api.call("GET", "/portal/secret.js", None).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("NO_SUCH_ASSET")));
    net.shutdown().await;
}

/// Connects to `server` from the loopback address `from` (any of 127.0.0.0/8).
async fn connect_from(from: [u8; 4], server: std::net::SocketAddr) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(std::net::SocketAddr::from((from, 0))).expect("bind a loopback address");
    socket.connect(server).await.expect("connect")
}

/// Whether the server closed `stream` within `wait` (end of stream or a reset), reading and
/// discarding what it sent first.
async fn closed_within(stream: &mut tokio::net::TcpStream, wait: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let deadline = tokio::time::Instant::now() + wait;
    let mut buf = [0u8; 1024];
    for _ in 0..1_000 {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
    false
}

/// One raw HTTP/1.1 request on a fresh connection; the status code and the body.
async fn raw_request(server: std::net::SocketAddr, head: &str, body: &[u8]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = connect_from([127, 0, 0, 1], server).await;
    stream.write_all(head.as_bytes()).await.expect("write the head");
    stream.write_all(body).await.expect("write the body");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server answered within 30 s");
    let text = String::from_utf8_lossy(&answer).to_string();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    (status, body)
}

/// A raw signed GET of `target` (a path, or an absolute-form URL) to `server`, with `host` as
/// the Host header (none if `None`) and the signature `headers`; the status and the JSON body.
async fn raw_signed_get(
    server: std::net::SocketAddr,
    target: &str,
    host: Option<&str>,
    headers: &[(String, String)],
) -> (u16, Value) {
    let mut head = format!("GET {target} HTTP/1.1\r\n");
    if let Some(host) = host {
        head.push_str(&format!("Host: {host}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    let (status, body) = raw_request(server, &head, b"").await;
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

/// The attack of issue 29: a signed read made for node A (captured on A, or by A's operator)
/// replayed on node B. B refuses it `401 WRONG_AUTHORITY` whatever Host it comes with, serves
/// nothing and does not even spend the nonce; on A the read works once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_read_made_for_one_node_is_refused_by_another() {
    let mut net = TestNet::new(1);
    net.start(0).await;
    // Two REST servers on the same chain, each bound to its own address: node A and node B.
    let url_a = net.serve_api(0).await;
    let url_b = net.serve_api(0).await;
    let setup = Api::new(&net);
    let cast = &net.cast;
    let issue = TestLedger::tx_with_nonce(&[&cast.carrier], to_order("AUTHBL1", &cast.shipper, None), 0);
    assert_eq!(setup.commit(&issue).await, "SUCCESS");
    let bl = BlId::new(&cast.carrier.party(), "AUTHBL1");
    let record = format!("/v1/bls/{}", bl.0);
    let (a, b) = (url_a.trim_start_matches("http://"), url_b.trim_start_matches("http://"));
    let (addr_a, addr_b): (std::net::SocketAddr, std::net::SocketAddr) =
        (a.parse().expect("A's address"), b.parse().expect("B's address"));
    assert_ne!(addr_a.port(), addr_b.port());
    // Signers with nonces of their own (each `Api` counts from 1).
    let signer = |authority: &str, first_nonce: u64| Api {
        authority: authority.to_string(),
        nonces: AtomicU64::new(first_nonce),
        ..Api::new(&net)
    };
    let (for_a, for_b) = (signer(a, 1_000), signer(b, 2_000));
    let refused = |(status, body): (u16, Value), code: &str, what: &str| {
        assert_eq!((status, body["code"].as_str()), (401, Some(code)), "{what}: {body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{what}: a message");
        assert!(body.get("possessor").is_none() && body.get("status").is_none(), "{what}: nothing served");
    };

    // The shipper's read, signed for A.
    let signed_for_a = for_a.sign(&cast.shipper, "GET", &record, None, now_s());
    // Replayed on B as captured (Host: A): the signature is good, but not for B.
    let replayed = raw_signed_get(addr_b, &record, Some(a), &signed_for_a).await;
    refused(replayed.clone(), "WRONG_AUTHORITY", "replayed on B");
    let message = replayed.1["message"].as_str().unwrap_or_default().to_string();
    assert!(message.contains(a) && message.contains(b), "names the signed and the own authority: {message}");
    // Replayed on B with B's Host (an attacker's client rewrites it): the signature fails.
    refused(raw_signed_get(addr_b, &record, Some(b), &signed_for_a).await, "BAD_REQUEST_SIGNATURE", "Host B");
    // The Host rewritten to A on B's socket, in another case: still A, still not B.
    let upper_a = format!("LOCALHOST:{}", addr_a.port());
    let signed_for_localhost_a = signer(&upper_a, 3_000).sign(&cast.shipper, "GET", &record, None, now_s());
    refused(
        raw_signed_get(addr_b, &record, Some(&upper_a), &signed_for_localhost_a).await,
        "WRONG_AUTHORITY",
        "Host localhost:A on B",
    );
    // An absolute-form target names the authority (RFC 9112 §3.2.2) whatever Host says.
    refused(
        raw_signed_get(addr_b, &format!("{url_a}{record}"), Some(b), &signed_for_a).await,
        "WRONG_AUTHORITY",
        "absolute-form A on B",
    );
    refused(
        raw_signed_get(addr_a, &format!("{url_b}{record}"), Some(a), &signed_for_a).await,
        "BAD_REQUEST_SIGNATURE",
        "absolute-form B, Host A",
    );
    // No Host, or two: refused before the signature is looked at.
    let (status, body) = raw_signed_get(addr_a, &record, None, &signed_for_a).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("BAD_HOST")), "no Host: {body}");
    let mut twice = signed_for_a.clone();
    twice.push(("Host".into(), b.into()));
    let (status, body) = raw_signed_get(addr_a, &record, Some(a), &twice).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("BAD_HOST")), "two Hosts: {body}");

    // On A the very same request is served (none of the refusals spent its nonce), once.
    let (status, body) = raw_signed_get(addr_a, &record, Some(a), &signed_for_a).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["possessor"], json!(cast.shipper.party()), "{body}");
    refused(raw_signed_get(addr_a, &record, Some(a), &signed_for_a).await, "REPLAYED_REQUEST", "again on A");
    // The case of the host does not matter; B serves reads made for B.
    let (status, body) = raw_signed_get(addr_a, &record, Some(&upper_a), &signed_for_localhost_a).await;
    assert_eq!(status, 200, "localhost:A, upper-case: {body}");
    let signed_for_b = for_b.sign(&cast.shipper, "GET", &record, None, now_s());
    let (status, body) = raw_signed_get(addr_b, &record, Some(b), &signed_for_b).await;
    assert_eq!(status, 200, "{body}");
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_front_door_bounds_connections_idle_time_and_bodies_and_keeps_the_commit_wait() {
    use ebl_node::api::server::{serve, ServeLimits};
    let mut net = TestNet::new(1);
    net.start(0).await;
    // A request timeout shorter than the commit wait asked for below.
    let options = ApiOptions { timeout: Duration::from_millis(300), ..test_api_options() };
    let app = router(net.node(0).view(), options);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let server = listener.local_addr().expect("address");
    let limits = ServeLimits {
        connections_max: 64,
        address_connections_max: 2,
        header_read_timeout: Duration::from_secs(2),
        shutdown_grace: Duration::from_secs(1),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(serve(listener, app, limits, async {
        let _ = stopped.await;
    }));

    // Two connections from one address are held; a third from it is closed at once, while
    // another address is still served.
    let mut first = connect_from([127, 0, 0, 2], server).await;
    let mut second = connect_from([127, 0, 0, 2], server).await;
    let mut third = connect_from([127, 0, 0, 2], server).await;
    assert!(closed_within(&mut third, Duration::from_secs(1)).await, "over the per-address cap");
    let (status, body) =
        raw_request(server, "GET /healthz HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n", b"").await;
    assert_eq!(status, 200, "{body}");
    // Idle connections (no request, or none after the last) are closed after the header timeout.
    assert!(closed_within(&mut first, Duration::from_secs(10)).await, "an idle connection is closed");
    assert!(closed_within(&mut second, Duration::from_secs(10)).await, "an idle connection is closed");
    let mut again = connect_from([127, 0, 0, 2], server).await;
    assert!(!closed_within(&mut again, Duration::from_millis(500)).await, "the address has room again");

    // A declared body over the limit is refused before it is read, as a JSON error.
    let head = "POST /v1/transactions HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n\
                Content-Length: 999999999\r\nConnection: close\r\n\r\n";
    let (status, body) = raw_request(server, head, b"").await;
    assert_eq!(status, 413, "{body}");
    let error: Value = serde_json::from_str(&body).expect("a JSON error body");
    assert_eq!(error["code"], "BODY_TOO_LARGE", "{body}");

    // `wait=true` waits as long as it was asked (up to 30 s), past the 300 ms request timeout:
    // a transaction behind a nonce gap never commits, so the answer is 202 PENDING, not 408.
    let cast = &net.cast;
    let gapped = TestLedger::tx_with_nonce(&[&cast.carrier], to_order("FRONTDOOR", &cast.shipper, None), 5);
    let body = json_bytes(&gapped);
    let head = format!(
        "POST /v1/transactions?wait=true&timeoutMs=1500 HTTP/1.1\r\nHost: node\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let (status, answer) = raw_request(server, &head, &body).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(serde_json::from_str::<Value>(&answer).expect("json")["status"], "PENDING");

    let _ = stop.send(());
    assert!(tokio::time::timeout(Duration::from_secs(10), serving).await.is_ok(), "the server stops");
    net.shutdown().await;
}
