//! Test fixtures (feature `test-utils`): a node that lies. [`LyingProxy`] stands in front of a
//! real node on 127.0.0.1, passes every request through, and lets a test rewrite chosen answers
//! — a finance verdict, a replayed proof bundle, another validator set — so that clients (the
//! SDK, the `ebl` CLI, the web portal) can be shown to refuse each lie.
//!
//! HTTP/1.1, one request per connection (`Connection: close`); an event stream
//! (`text/event-stream`) is passed through as it arrives, never rewritten.

use std::sync::Arc;

use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Largest request head read, in bytes.
pub const PROXY_HEAD_BYTES_MAX: usize = 64 * 1024;
/// Largest request body read, in bytes.
pub const PROXY_BODY_BYTES_MAX: usize = 16 * 1024 * 1024;

/// A request as the proxy received it.
#[derive(Debug, Clone)]
pub struct ProxyRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
}

/// An answer of the real node, which a rewrite may change.
#[derive(Debug, Clone)]
pub struct ProxyAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

impl ProxyAnswer {
    /// The body as JSON (`None` if it is not JSON).
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// Replaces the body with `value`.
    pub fn set_json(&mut self, value: &serde_json::Value) {
        self.body = value.to_string().into_bytes();
        self.content_type = "application/json".into();
    }
}

/// What the lying node does to each answer before it is sent.
pub type Rewrite = Arc<dyn Fn(&ProxyRequest, ProxyAnswer) -> ProxyAnswer + Send + Sync>;

/// A proxy in front of a node; stops when dropped.
#[derive(Debug)]
pub struct LyingProxy {
    pub url: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LyingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LyingProxy {
    /// Starts a proxy on 127.0.0.1 in front of the node at `upstream` (`http://127.0.0.1:P`).
    pub async fn start(upstream: &str, rewrite: Rewrite) -> std::io::Result<LyingProxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let upstream = upstream.trim_end_matches('/').to_string();
        let http = reqwest::Client::new();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (http, upstream, rewrite) = (http.clone(), upstream.clone(), rewrite.clone());
                tokio::spawn(async move {
                    let _ = serve(stream, &http, &upstream, &rewrite).await;
                });
            }
        });
        Ok(LyingProxy { url, task })
    }
}

/// Reads one request, forwards it, writes back the (rewritten) answer.
async fn serve(
    mut stream: TcpStream,
    http: &reqwest::Client,
    upstream: &str,
    rewrite: &Rewrite,
) -> Option<()> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 || buffer.len() > PROXY_HEAD_BYTES_MAX {
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
        .filter_map(|l| l.split_once(':').map(|(n, v)| (n.trim().to_string(), v.trim().to_string())))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    if length > PROXY_BODY_BYTES_MAX {
        return None;
    }
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
        None => (target.clone(), None),
    };
    let request = ProxyRequest { method: method.clone(), path, query };
    let mut forward =
        http.request(reqwest::Method::from_bytes(method.as_bytes()).ok()?, format!("{upstream}{target}"));
    for (name, value) in &headers {
        let hop = ["connection", "content-length", "transfer-encoding", "keep-alive", "upgrade"];
        if !hop.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            forward = forward.header(name.as_str(), value.as_str());
        }
    }
    let response = forward.body(body).send().await.ok()?;
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    if content_type.starts_with("text/event-stream") {
        let head =
            format!("HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\nconnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).await.ok()?;
        let mut chunks = response.bytes_stream();
        while let Some(Ok(bytes)) = chunks.next().await {
            stream.write_all(&bytes).await.ok()?;
        }
        return Some(());
    }
    let body = response.bytes().await.ok()?.to_vec();
    let answer = rewrite(&request, ProxyAnswer { status, content_type, body });
    let head = format!(
        "HTTP/1.1 {} X\r\ncontent-type: {}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        answer.status,
        answer.content_type,
        answer.body.len()
    );
    stream.write_all(head.as_bytes()).await.ok()?;
    stream.write_all(&answer.body).await.ok()?;
    stream.shutdown().await.ok()
}

/// A proof bundle of `record` that a node of *another* validator set would serve: a state
/// holding only `record`, a header at `height` and `time_ms` on `chain_id` carrying its root,
/// certified by every key of `validators`. It verifies against that set and no other.
pub fn bundle_of_another_set(
    chain_id: &str,
    record: &ebl_ledger::BlRecord,
    height: u64,
    time_ms: u64,
    validators: &[ebl_ledger::Keypair],
) -> Result<ebl_ledger::ProofBundle, String> {
    use ebl_ledger::certificate::{vote_signing_bytes, VoteKind};
    use ebl_ledger::{BlockHeader, Certificate, Hash, MemStore, StateKey, StateTree};
    let key = StateKey::Bl(record.id);
    let writes =
        std::collections::BTreeMap::from([(key.clone(), Some(ebl_ledger::encoding::encode(record)))]);
    let mut tree = StateTree::new(MemStore::default());
    let state_root = tree.commit(height, &writes).map_err(|e| e.to_string())?;
    let header = BlockHeader {
        chain_id: chain_id.to_string(),
        height,
        parent_hash: Hash::digest(b"another chain's parent"),
        time_ms,
        proposer: validators.first().ok_or("no validator")?.party(),
        tx_root: Hash::ZERO,
        state_root,
        receipts_root: Hash::ZERO,
    };
    let block_hash = header.hash();
    let mut signatures: Vec<_> = validators
        .iter()
        .map(|k| {
            let bytes =
                vote_signing_bytes(VoteKind::Precommit, chain_id, height, 0, Some(&block_hash), &k.party());
            (k.party(), k.sign(&bytes))
        })
        .collect();
    signatures.sort_by_key(|s| s.0);
    let (value, proof) = tree.prove(&key, height).map_err(|e| e.to_string())?;
    let certificate = Certificate { height, round: 0, block_hash, signatures };
    Ok(ebl_ledger::ProofBundle { key, value, proof, header, certificate })
}

/// The hex of a bundle's borsh bytes, as the proof and finance-check routes serve it.
pub fn bundle_hex(bundle: &ebl_ledger::ProofBundle) -> String {
    hex::encode(ebl_ledger::encoding::encode(bundle))
}
