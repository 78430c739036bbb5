//! A node that lies, to the SDK and to the `ebl` CLI: a proxy (`ebl_client::testkit`) in front
//! of a real validator on 127.0.0.1 rewrites its answers. Each lie is refused with its own
//! error: a rewritten finance verdict (`NODE_LIED`: the verdict computed from the proven record
//! differs), a replayed genuine bundle of an older state (`STALE_PROOF`), a bundle certified by
//! another validator set (`PROOF_INVALID`) or of another chain (`OTHER_CHAIN`) — each against
//! the pinned genesis. The honest node, through the same proxy, passes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ebl_client::ebl_ledger::action::Action;
use ebl_client::ebl_ledger::{BlId, BlStatus, BundleError, CertificateError, Keypair};
use ebl_client::testkit::{
    bundle_hex, bundle_of_another_set, LyingProxy, ProxyAnswer, ProxyRequest, Rewrite,
};
use ebl_client::{issue_from_document, Client, ClientError, FinanceCheckRequest, IssueParties, Trust};
use ebl_ledger::finance::LcTerms;
use ebl_node::testkit::TestNet;
use serde_json::{json, Value};

const DOCUMENT: &str = include_str!("../../ledger/tests/fixtures/dcsa/regularSTDExample.json");
const WAIT: Duration = Duration::from_secs(30);

/// The document with another reference (a second BL of the same carrier).
fn document(reference: &str) -> Value {
    let mut value: Value = serde_json::from_str(DOCUMENT).expect("fixture is JSON");
    value["transportDocumentReference"] = json!(reference);
    value
}

/// One way of answering: pass through, or one lie.
type Telling = Box<dyn Fn(&ProxyRequest, ProxyAnswer) -> ProxyAnswer + Send + Sync>;

/// What the proxy does now.
type Lie = Arc<Mutex<Telling>>;

fn honest() -> Telling {
    Box::new(|_: &ProxyRequest, answer: ProxyAnswer| answer)
}

/// A lie told on the route whose path ends with `suffix`: `change` edits the node's JSON answer.
fn on_route(suffix: &'static str, change: impl Fn(&mut Value) + Send + Sync + 'static) -> Telling {
    Box::new(move |request: &ProxyRequest, mut answer: ProxyAnswer| {
        if request.path.ends_with(suffix) && answer.status == 200 {
            if let Some(mut json) = answer.json() {
                change(&mut json);
                answer.set_json(&json);
            }
        }
        answer
    })
}

/// A lie told on the finance-check route only: `change` edits the node's JSON report.
fn on_finance(change: impl Fn(&mut Value) + Send + Sync + 'static) -> Telling {
    on_route("/finance-check", change)
}

/// A lie told on the proof route: `change` edits the `{height, bundle}` answer.
fn on_proof(change: impl Fn(&mut Value) + Send + Sync + 'static) -> Telling {
    on_route("/proof", change)
}

struct World {
    net: TestNet,
    proxy: LyingProxy,
    lie: Lie,
    dir: tempfile::TempDir,
    genesis: PathBuf,
    trust: Trust,
}

impl World {
    async fn new() -> World {
        let mut net = TestNet::new(1);
        net.start(0).await;
        // The proxy passes the client's Host through, as a reverse proxy in front of a node does:
        // the node answers signed reads made for the proxy's name (not known before it starts).
        let url = net.serve_api_with(0, Some(ebl_node::api::OwnAuthorities::Any)).await;
        let lie: Lie = Arc::new(Mutex::new(honest()));
        let current = lie.clone();
        let rewrite: Rewrite = Arc::new(move |request: &ProxyRequest, answer: ProxyAnswer| {
            let lie = current.lock().expect("lie");
            lie(request, answer)
        });
        let proxy = LyingProxy::start(&url, rewrite).await.expect("proxy");
        let dir = tempfile::tempdir().expect("temp dir");
        let genesis = dir.path().join("genesis.json");
        std::fs::write(&genesis, net.genesis.to_json()).expect("write genesis");
        let trust = Trust::from_genesis_file(&genesis).expect("trust anchor");
        World { net, proxy, lie, dir, genesis, trust }
    }

    fn tell(&self, lie: Telling) {
        *self.lie.lock().expect("lie") = lie;
    }

    /// An SDK client of the lying node, as `key`.
    fn client(&self, key: &Keypair) -> Client {
        Client::new(self.proxy.url.clone(), self.trust.chain_id.clone())
            .expect("client")
            .with_key(Keypair::from_seed(key.seed()))
    }

    fn key_file(&self, key: &Keypair) -> PathBuf {
        let path = self.dir.path().join(format!("{}.pem", &key.party().to_string()[4..16]));
        if !path.exists() {
            ebl_client::keys::save_pem(key, &path).expect("write key");
        }
        path
    }

    fn file(&self, name: &str, value: &Value) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, serde_json::to_string_pretty(value).expect("text")).expect("write");
        path
    }

    /// Commits `action` signed by `key`, through the proxy (honest while it does).
    async fn act(&self, key: &Keypair, action: Action) {
        let status = self.client(key).execute(action, Some(WAIT)).await.expect("submitted");
        assert!(status.is_success(), "{status:?}");
    }

    /// Runs `ebl --json` as `key` against the lying node with the pinned genesis.
    async fn ebl(&self, key: &Keypair, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--node".to_string(), self.proxy.url.clone(), "--key".to_string()];
        all.push(path_str(&self.key_file(key)).to_string());
        all.extend(["--json".to_string()]);
        all.extend(args.iter().map(|a| a.to_string()));
        tokio::task::spawn_blocking(move || {
            let output =
                Command::new(ebl_testnet::net::find_binary("ebl", "EBL_BIN").expect("the ebl binary"))
                    .args(&all)
                    .output()
                    .expect("ebl runs");
            let stdout = String::from_utf8_lossy(&output.stdout).to_string();
            let json = serde_json::from_str(&stdout).unwrap_or(Value::String(stdout));
            (output.status.code().unwrap_or(-1), json)
        })
        .await
        .expect("ebl finished")
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn lied_fields(error: &ClientError) -> Vec<String> {
    match error {
        ClientError::NodeLied { disagreements, .. } => {
            disagreements.iter().map(|d| d.field.clone()).collect()
        }
        other => panic!("expected NodeLied, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lie_of_a_node_is_refused_by_the_sdk_and_the_cli_with_its_own_error() {
    let world = World::new().await;
    let cast = &world.net.cast;
    let (carrier, shipper, bank) = (&cast.carrier, &cast.shipper, &cast.bank);
    let issue = |reference: &str, issue_to: &Keypair, endorsee: &Keypair| {
        let parties = IssueParties {
            issue_to: issue_to.party(),
            shipper: shipper.party(),
            consignee: None,
            endorsee: Some(endorsee.party()),
            agents: Vec::new(),
        };
        Action::Issue(issue_from_document(&document(reference).to_string(), &parties).expect("issue"))
    };
    // LIVE: to the order of the bank, in its hands. SPENT: surrendered for delivery, accepted.
    let live = BlId::new(&carrier.party(), "LIAR-LIVE-1");
    let spent = BlId::new(&carrier.party(), "LIAR-SPENT-1");
    world.act(carrier, issue("LIAR-LIVE-1", bank, bank)).await;
    world.act(carrier, issue("LIAR-SPENT-1", shipper, shipper)).await;
    world.act(shipper, Action::SurrenderForDelivery { bl: spent }).await;
    world.act(carrier, Action::AcceptSurrender { bl: spent }).await;
    let live_doc = world.file("live.json", &document("LIAR-LIVE-1"));
    let spent_doc = world.file("spent.json", &document("LIAR-SPENT-1"));
    let genesis = path_str(&world.genesis).to_string();
    let bank_sdk = world.client(bank);
    let terms = LcTerms { to_order_of_bank: Some(true), ..LcTerms::default() };
    let live_request =
        FinanceCheckRequest { document: Some(document("LIAR-LIVE-1")), lc_terms: Some(terms.clone()) };

    // Honest: the verdict computed here passes, and the node said the same.
    let checked = bank_sdk
        .finance_check_verified(&mut world.trust.clone(), &live, &live_request)
        .await
        .expect("honest");
    assert!(checked.verdict.passed && checked.node_says.passed, "{checked:?}");
    assert_eq!(checked.verdict.terms.len(), 1);
    let (code, out) = world
        .ebl(
            bank,
            &[
                "--genesis",
                &genesis,
                "finance-check",
                &live.0.to_hex(),
                "--document",
                path_str(&live_doc),
                "--to-order-of-bank",
            ],
        )
        .await;
    assert_eq!(
        (code, out["passed"].as_bool(), out["verified"].as_bool()),
        (0, Some(true), Some(true)),
        "{out}"
    );

    // 1. The verdict rewritten, one field at a time: each is named as the lie it is.
    type Rewrite = (&'static str, fn(&mut Value));
    let rewrites: [Rewrite; 7] = [
        ("passed", |r| r["passed"] = json!(false)),
        ("lienStatus", |r| r["lienStatus"] = json!("HELD_BY_OTHER_BANK")),
        ("oneLiveOriginal", |r| r["oneLiveOriginal"] = json!(false)),
        ("checksumMatches", |r| r["checksumMatches"] = json!(false)),
        ("terms", |r| r["terms"][0]["met"] = json!(false)),
        ("status", |r| r["status"] = json!("VOIDED")),
        ("possessor", |r| r["possessor"] = json!(Keypair::for_test("thief").party())),
    ];
    for (field, rewrite) in rewrites {
        world.tell(on_finance(rewrite));
        let error = bank_sdk
            .finance_check_verified(&mut world.trust.clone(), &live, &live_request)
            .await
            .expect_err(field);
        assert_eq!(lied_fields(&error), vec![field.to_string()], "{error}");
        assert_eq!(error.trust_code(), Some("NODE_LIED"));
    }

    // The issue's own case: a SURRENDERED BL made to look financeable. The node's report says
    // PASSED on every field; the SDK and the CLI compute FAILED from the proof and refuse.
    world.tell(on_finance(|r| {
        r["passed"] = json!(true);
        r["oneLiveOriginal"] = json!(true);
        r["status"] = json!("ISSUED");
        r["lienStatus"] = json!("NONE");
        r["checksumMatches"] = json!(true);
        r["failures"] = json!([]);
    }));
    let spent_request = FinanceCheckRequest { document: Some(document("LIAR-SPENT-1")), lc_terms: None };
    let error = bank_sdk
        .finance_check_verified(&mut world.trust.clone(), &spent, &spent_request)
        .await
        .expect_err("lie");
    let fields = lied_fields(&error);
    for field in ["passed", "oneLiveOriginal", "status"] {
        assert!(fields.contains(&field.to_string()), "{field} not named in {error}");
    }
    let (code, out) = world
        .ebl(
            bank,
            &["--genesis", &genesis, "finance-check", &spent.0.to_hex(), "--document", path_str(&spent_doc)],
        )
        .await;
    assert_eq!((code, out["code"].as_str()), (1, Some("NODE_LIED")), "{out}");
    assert!(out["error"].as_str().is_some_and(|e| e.contains("the node lied")), "{out}");
    // And without a trust anchor the CLI calls nothing verified: it refuses to run the check.
    let (code, out) =
        world.ebl(bank, &["finance-check", &spent.0.to_hex(), "--document", path_str(&spent_doc)]).await;
    assert_eq!(code, 1, "{out}");
    assert!(out["error"].as_str().is_some_and(|e| e.contains("--genesis")), "{out}");
    let (code, out) = world.ebl(bank, &["verify", &spent.0.to_hex()]).await;
    assert_eq!((code, out["verified"].as_bool()), (1, Some(false)), "{out}");

    // 2. Another validator set: the SPENT record shown as ISSUED under a state root that four
    //    validators of the liar's own certified, with a report that agrees with that proof.
    // Customs reads every BL (DESIGN §7), so it may fetch SPENT's proof; the bank, a stranger
    // to SPENT, checks it by presenting the document.
    let customs = &cast.customs;
    let customs_sdk = world.client(customs);
    world.tell(honest());
    let title = customs_sdk.verify_title(&mut world.trust.clone(), &spent).await.expect("honest proof");
    assert_eq!(title.record.status, BlStatus::SurrenderedForDelivery);
    let mut forged = title.record.clone();
    forged.status = BlStatus::Issued;
    let liars: Vec<Keypair> = (0..4).map(|i| Keypair::for_test(&format!("liar-validator-{i}"))).collect();
    let now = ebl_client::time::now_ms();
    for (chain, code_expected) in
        [(world.trust.chain_id.clone(), "PROOF_INVALID"), ("ebl-liar".to_string(), "OTHER_CHAIN")]
    {
        let bundle =
            bundle_of_another_set(&chain, &forged, title.height, now, &liars).expect("forged bundle");
        let hex = bundle_hex(&bundle);
        let (finance_hex, proof_hex) = (hex.clone(), hex);
        world.tell(Box::new(move |request: &ProxyRequest, answer: ProxyAnswer| {
            let answer = on_finance({
                let hex = finance_hex.clone();
                move |r| {
                    r["proof"] = json!(hex);
                    r["passed"] = json!(true);
                    r["oneLiveOriginal"] = json!(true);
                    r["status"] = json!("ISSUED");
                    r["failures"] = json!([]);
                }
            })(request, answer);
            on_proof({
                let hex = proof_hex.clone();
                move |p| p["bundle"] = json!(hex)
            })(request, answer)
        }));
        let error = bank_sdk
            .finance_check_verified(&mut world.trust.clone(), &spent, &spent_request)
            .await
            .expect_err("other set");
        assert_eq!(error.trust_code(), Some(code_expected), "{error}");
        if code_expected == "PROOF_INVALID" {
            assert!(
                matches!(
                    error,
                    ClientError::Proof(BundleError::Certificate(CertificateError::UnknownSigner(_)))
                ),
                "{error:?}"
            );
            // The liar's bundle does verify — against the liar's set, which is not the genesis.
            let theirs = Trust::new(chain.clone(), liars.iter().map(|k| (k.party(), 1)).collect());
            assert!(theirs.verify_title(spent, &bundle).is_ok());
        }
        let error = customs_sdk.verify_title(&mut world.trust.clone(), &spent).await.expect_err("other set");
        assert_eq!(error.trust_code(), Some(code_expected), "{error}");
        let (code, out) = world
            .ebl(
                bank,
                &[
                    "--genesis",
                    &genesis,
                    "finance-check",
                    &spent.0.to_hex(),
                    "--document",
                    path_str(&spent_doc),
                ],
            )
            .await;
        assert_eq!((code, out["code"].as_str()), (1, Some(code_expected)), "{out}");
        let (code, out) = world.ebl(customs, &["--genesis", &genesis, "verify", &spent.0.to_hex()]).await;
        assert_eq!(
            (code, out["verified"].as_bool(), out["code"].as_str()),
            (1, Some(false), Some(code_expected)),
            "{out}"
        );
    }

    // 3. A replay: the node's genuine answers for LIVE are recorded, the bank then hands the BL
    //    on, and the liar serves the recorded answers — a true proof of the title as it was.
    world.tell(honest());
    let recorded_finance = bank_sdk.finance_check(&live, &live_request).await.expect("recorded");
    let recorded_proof = bank_sdk.proof(&live).await.expect("recorded proof");
    let recorded_at = ebl_client::decode_bundle(&recorded_proof.bundle).expect("bundle").header.time_ms;
    world.act(bank, Action::Transfer { bl: live, to: cast.consignee.party() }).await;
    let max_age = Duration::from_secs(5);
    let deadline = tokio::time::Instant::now() + WAIT;
    while ebl_client::time::now_ms() < recorded_at + 8_000 {
        assert!(tokio::time::Instant::now() < deadline, "the clock does not move");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let finance_body = serde_json::to_value(&recorded_finance).expect("json");
    let proof_body = serde_json::to_value(&recorded_proof).expect("json");
    world.tell(Box::new(move |request: &ProxyRequest, answer: ProxyAnswer| {
        let body = finance_body.clone();
        let answer = on_finance(move |r| *r = body.clone())(request, answer);
        let body = proof_body.clone();
        on_proof(move |p| *p = body.clone())(request, answer)
    }));
    let short = world.client(bank).with_max_proof_age(max_age);
    let error = short
        .finance_check_verified(&mut world.trust.clone(), &live, &live_request)
        .await
        .expect_err("stale");
    assert!(matches!(error, ClientError::StaleProof { age_ms, .. } if age_ms >= 8_000), "{error:?}");
    let error = short.verify_title(&mut world.trust.clone(), &live).await.expect_err("stale");
    assert_eq!(error.trust_code(), Some("STALE_PROOF"), "{error}");
    // The recorded bundle is genuine: without the age bound it would pass for the title now.
    let replayed =
        world.trust.verify_title(live, &ebl_client::decode_bundle(&recorded_proof.bundle).expect("b"));
    assert_eq!(replayed.expect("genuine").record.possessor, bank.party());
    let (code, out) = world
        .ebl(
            bank,
            &[
                "--genesis",
                &genesis,
                "--max-proof-age",
                "5s",
                "finance-check",
                &live.0.to_hex(),
                "--document",
                path_str(&live_doc),
                "--to-order-of-bank",
            ],
        )
        .await;
    assert_eq!((code, out["code"].as_str()), (1, Some("STALE_PROOF")), "{out}");
    let (code, out) =
        world.ebl(bank, &["--genesis", &genesis, "--max-proof-age", "5s", "verify", &live.0.to_hex()]).await;
    assert_eq!((code, out["code"].as_str()), (1, Some("STALE_PROOF")), "{out}");
    assert!(out["reason"].as_str().is_some_and(|r| r.contains("stale proof: block")), "{out}");

    // The honest node again, with the same short bound: fresh, and it shows the new holder.
    world.tell(honest());
    let title = short.verify_title(&mut world.trust.clone(), &live).await.expect("fresh");
    assert_eq!(title.record.possessor, cast.consignee.party());
    let (code, out) =
        world.ebl(bank, &["--genesis", &genesis, "--max-proof-age", "5s", "verify", &live.0.to_hex()]).await;
    assert_eq!((code, out["verified"].as_bool()), (0, Some(true)), "{out}");
    assert!(out["proofAgeMs"].as_u64().is_some_and(|a| a <= 5_000), "{out}");

    drop(world.proxy);
    world.net.shutdown().await;
}
