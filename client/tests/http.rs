//! The SDK on the wire, against a scripted stand-in for a node (plain HTTP/1.1 on loopback):
//! which requests it signs and how, what bodies and queries it sends, how it reads answers,
//! errors and an event stream that arrives in pieces.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use ebl_api::httpsig::{self, RequestTarget};
use ebl_client::{Client, ClientError, ContainerState, FinanceCheckRequest};
use ebl_ledger::action::EventKind;
use ebl_ledger::finance::LcTerms;
use ebl_ledger::{Action, BlId, ErrorCode, Hash, Keypair, Transaction, TxBody, TxId};
use futures::StreamExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const CHAIN: &str = "ebl-test";

/// A request as the stand-in node received it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Option<String>,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Seen {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The RFC 9421 signature checks out over this request; returns the signer.
    fn signer(&self) -> ebl_ledger::PartyId {
        let input = self.header("signature-input").expect("Signature-Input");
        let signature = self.header("signature").expect("Signature");
        let digest = self.header("content-digest");
        if !self.body.is_empty() {
            assert!(httpsig::digest_matches(digest.expect("Content-Digest"), &self.body));
        }
        // Verified over the Host header reqwest sent: the SDK signs exactly that authority.
        let target = RequestTarget {
            method: &self.method,
            authority: self.header("host").expect("Host"),
            path: &self.path,
            query: self.query.as_deref(),
            content_digest: digest,
        };
        let params = httpsig::verify(&target, input, signature).expect("the signature verifies");
        assert_eq!(params.tag, CHAIN);
        assert_eq!(params.nonce.len(), 32);
        params.keyid
    }
}

/// An answer: status, content type, body chunks (written one by one, a pause between).
struct Answer {
    status: u16,
    content_type: &'static str,
    chunks: Vec<Vec<u8>>,
}

fn json_answer(status: u16, value: serde_json::Value) -> Answer {
    Answer { status, content_type: "application/json", chunks: vec![value.to_string().into_bytes()] }
}

type Script = Arc<dyn Fn(&Seen) -> Answer + Send + Sync>;

/// Starts the stand-in node; returns its URL and the requests it saw.
async fn node(script: Script) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (script, log) = (script.clone(), log.clone());
            tokio::spawn(async move {
                let _ = read_request(stream, script, log).await;
            });
        }
    });
    (url, seen)
}

async fn read_request(mut stream: TcpStream, script: Script, log: Arc<Mutex<Vec<Seen>>>) -> Option<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':').map(|(n, v)| (n.trim().to_lowercase(), v.trim().to_string())))
        .collect();
    let length: usize =
        headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), Some(q.to_string())),
        None => (target, None),
    };
    let seen = Seen { method, path, query, headers, body };
    let answer = script(&seen);
    log.lock().expect("log").push(seen);
    let length: usize = answer.chunks.iter().map(Vec::len).sum();
    let head = format!(
        "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n",
        answer.status, answer.content_type
    );
    stream.write_all(head.as_bytes()).await.ok()?;
    for piece in answer.chunks {
        stream.write_all(&piece).await.ok()?;
        stream.flush().await.ok()?;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stream.shutdown().await.ok()
}

fn me() -> Keypair {
    Keypair::from_seed([1; 32])
}

fn bl() -> BlId {
    BlId(Hash::digest(b"bl"))
}

#[tokio::test]
async fn public_routes_are_unsigned_and_errors_keep_the_nodes_code() {
    let script: Script = Arc::new(|seen: &Seen| match seen.path.as_str() {
        "/v1/status" => json_answer(
            200,
            json!({"chainId": CHAIN, "height": 12, "blockHash": Hash::ZERO, "stateRoot": Hash::ZERO,
                   "timeMs": 5, "mempoolTxs": 0}),
        ),
        p if p.starts_with("/v1/verify/") => json_answer(
            200,
            json!({"blId": bl(), "found": true, "status": "ISSUED", "checksumMatches": true, "height": 12}),
        ),
        p if p.starts_with("/v1/transactions/") => {
            json_answer(404, json!({"code": "UNKNOWN_TX", "message": "neither committed nor pending"}))
        }
        _ => Answer { status: 502, content_type: "text/plain", chunks: vec![b"bad gateway".to_vec()] },
    });
    let (url, seen) = node(script).await;
    let client = Client::connect(&url).await.expect("connect").with_key(me());
    assert_eq!(client.chain_id(), CHAIN);
    let verification = client.verify_public(&bl(), Some(&Hash::ZERO)).await.expect("verify");
    assert_eq!(verification.checksum_matches, Some(true));
    let error = client.tx_status(&TxId(Hash::ZERO)).await.expect_err("unknown");
    assert!(
        matches!(&error, ClientError::Api { status: 404, code, .. } if code == "UNKNOWN_TX"),
        "{error:?}"
    );
    assert_eq!(error.api_code(), Some("UNKNOWN_TX"));
    let error = client.health().await.expect_err("502");
    assert!(
        matches!(&error, ClientError::Api { status: 502, code, message } if code == "HTTP_502" && message == "bad gateway")
    );
    let seen = seen.lock().expect("log").clone();
    assert!(seen.iter().all(|s| s.header("signature").is_none()), "public routes are not signed");
    assert_eq!(seen[1].query.as_deref(), Some(format!("checksum={}", Hash::ZERO).as_str()));
}

#[tokio::test]
async fn authorised_reads_are_signed_by_the_clients_key() {
    let script: Script = Arc::new(|seen: &Seen| match seen.path.as_str() {
        "/v1/parties" => json_answer(200, json!({"parties": []})),
        p if p.ends_with("/containers/AB%20C") => json_answer(
            200,
            json!({"equipmentReference": "AB C", "containerId": Hash::ZERO, "status": "NOT_RELEASED", "release": null}),
        ),
        p if p.ends_with("/finance-check") => {
            json_answer(403, json!({"code": "FORBIDDEN", "message": "not a bank"}))
        }
        _ => json_answer(404, json!({"code": "NO_SUCH_ROUTE", "message": "?"})),
    });
    let (url, log) = node(script).await;
    let client = Client::new(&url, CHAIN).expect("client").with_key(me());
    assert!(client.parties().await.expect("parties").is_empty());
    let container = client.container(&bl(), "AB C").await.expect("container");
    assert_eq!(container.status, ContainerState::NotReleased);
    let request = FinanceCheckRequest {
        document: Some(json!({"transportDocumentReference": "X"})),
        lc_terms: Some(LcTerms { to_order_of_bank: Some(true), ..LcTerms::default() }),
    };
    let error = client.finance_check(&bl(), &request).await.expect_err("forbidden");
    assert_eq!(error.api_code(), Some("FORBIDDEN"));
    let seen = log.lock().expect("log").clone();
    assert_eq!(seen.len(), 3);
    for s in &seen {
        assert_eq!(s.signer(), me().party(), "{} {}", s.method, s.path);
        assert_eq!(s.header("host"), Some(url.trim_start_matches("http://")));
    }
    assert_eq!(seen[1].path, format!("/v1/bls/{}/containers/AB%20C", bl()));
    assert!(seen[0].header("content-digest").is_none());
    let body: serde_json::Value = serde_json::from_slice(&seen[2].body).expect("json body");
    assert_eq!(body["lcTerms"]["toOrderOfBank"], true);
    assert_eq!(seen[2].header("content-type"), Some("application/json"));
    // Without a key, a signed route is not even attempted.
    let keyless = Client::new(&url, CHAIN).expect("client");
    assert!(matches!(keyless.parties().await, Err(ClientError::NoKey)));
    // The node named otherwise (another case, a trailing slash): the signature covers the Host
    // the request is sent with, lower-case.
    let port = url.rsplit(':').next().expect("port");
    let named = Client::new(format!("http://LocalHost:{port}/"), CHAIN).expect("client").with_key(me());
    assert!(named.parties().await.expect("parties").is_empty());
    let last = log.lock().expect("log").last().cloned().expect("a request");
    assert_eq!(last.header("host"), Some(format!("localhost:{port}").as_str()));
    assert_eq!(last.signer(), me().party());
}

#[tokio::test]
async fn execute_takes_the_next_nonce_and_waits_for_the_commit() {
    let script: Script = Arc::new(|seen: &Seen| match (seen.method.as_str(), seen.path.as_str()) {
        ("GET", p) if p.ends_with("/nonce") => {
            json_answer(200, json!({"party": me().party(), "committed": 3, "next": 5}))
        }
        ("POST", "/v1/transactions") => {
            let tx: Transaction = serde_json::from_slice(&seen.body).expect("a transaction");
            json_answer(
                200,
                json!({"txId": tx.id(), "status": "COMMITTED", "height": 9, "outcome": "NOT_POSSESSOR"}),
            )
        }
        _ => json_answer(404, json!({"code": "NO_SUCH_ROUTE", "message": "?"})),
    });
    let (url, seen) = node(script).await;
    let client = Client::new(&url, CHAIN).expect("client").with_key(me());
    let status = client
        .execute(Action::BlankEndorse { bl: bl() }, Some(Duration::from_secs(5)))
        .await
        .expect("committed");
    assert!(status.is_committed() && !status.is_success());
    assert_eq!(status.refusal(), Some(ErrorCode::NotPossessor));
    let seen = seen.lock().expect("log").clone();
    assert_eq!(seen[0].path, format!("/v1/parties/{}/nonce", me().party()));
    assert_eq!(seen[0].signer(), me().party());
    assert_eq!(seen[1].query.as_deref(), Some("wait=true&timeoutMs=5000"));
    let tx: Transaction = serde_json::from_slice(&seen[1].body).expect("tx");
    assert_eq!((tx.body.nonce, tx.body.chain_id.as_str()), (5, CHAIN));
    assert_eq!(status.tx_id, tx.id());
    assert!(tx.verify().is_ok());
}

#[tokio::test]
async fn a_batch_is_sent_as_borsh_bytes() {
    let script: Script = Arc::new(|seen: &Seen| {
        let txs = ebl_client::batch::decode_batch(&seen.body).expect("borsh batch");
        let results: Vec<serde_json::Value> = txs
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if i == 1 {
                    json!({"txId": t.id(), "code": "NONCE_USED", "message": "taken"})
                } else {
                    json!({"txId": t.id(), "status": "PENDING"})
                }
            })
            .collect();
        json_answer(200, json!({"accepted": txs.len() - 1, "results": results}))
    });
    let (url, seen) = node(script).await;
    let client = Client::new(&url, CHAIN).expect("client");
    let key = me();
    let txs: Vec<Transaction> = (0..3)
        .map(|n| {
            TxBody {
                chain_id: CHAIN.into(),
                nonce: n,
                signers: vec![key.party()],
                action: Action::Sign { bl: bl() },
            }
            .sign(&[&key])
        })
        .collect();
    let answer = client.submit_batch(&txs).await.expect("batch");
    assert_eq!(answer.accepted, 2);
    assert!(answer.results[0].is_accepted() && !answer.results[1].is_accepted());
    assert_eq!(answer.results[1].code.as_deref(), Some("NONCE_USED"));
    let seen = seen.lock().expect("log").clone();
    assert_eq!(seen[0].path, "/v1/transactions/batch");
    assert_eq!(seen[0].header("content-type"), Some("application/octet-stream"));
    assert_eq!(seen[0].body, borsh::to_vec(&txs).expect("borsh"));
}

#[tokio::test]
async fn events_arrive_typed_whatever_the_chunking() {
    let event = |height: u64, kind: &str| {
        json!({"kind": kind, "height": height, "index": 0, "txId": TxId(Hash::digest(&height.to_le_bytes())),
               "action": "TRANSFER", "actor": me().party(), "blId": bl(), "equipmentReference": null,
               "outcome": "SUCCESS"})
    };
    let stream = format!(
        ": keep-alive\n\nevent: TRANSFERRED\nid: 4.0\ndata: {}\n\nevent: REFUSED\nid: 5.0\ndata: {}\n\n",
        event(4, "TRANSFERRED"),
        event(5, "REFUSED")
    );
    let bytes = stream.into_bytes();
    let chunks: Vec<Vec<u8>> = bytes.chunks(13).map(<[u8]>::to_vec).collect();
    let script: Script = Arc::new(move |_: &Seen| Answer {
        status: 200,
        content_type: "text/event-stream",
        chunks: chunks.clone(),
    });
    let (url, seen) = node(script).await;
    let client = Client::new(&url, CHAIN).expect("client").with_key(me());
    let events: Vec<_> = client.events(Some(4)).await.expect("stream").collect().await;
    let kinds: Vec<EventKind> = events.into_iter().map(|e| e.expect("event").kind).collect();
    assert_eq!(kinds, vec![EventKind::Transferred, EventKind::Refused]);
    let seen = seen.lock().expect("log").clone();
    assert_eq!(seen[0].query.as_deref(), Some("fromHeight=4"));
    assert_eq!(seen[0].signer(), me().party());
}
