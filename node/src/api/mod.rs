//! The REST layer on every node (DESIGN §7), first part: submit a signed transaction and follow
//! it to its receipt, read blocks, a BL's title record and its proof bundle, the node's status.
//!
//! Errors are JSON `{code, message}` with a stable `code`; bad input of any kind changes nothing.
//! Bodies are bounded (413 beyond `rpc.request_bytes_max`) and every request has a timeout.

use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ebl_ledger::{BlId, BlRecord, Block, Hash, StateKey, Transaction, TxId};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;

use crate::mempool::AdmitError;
use crate::node::NodeView;

/// Longest a `wait=true` submission waits for its commit.
pub const COMMIT_WAIT_MAX_MS: u64 = 30_000;

/// An API error: an HTTP status, a stable code, a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "code": self.code, "message": self.message }))).into_response()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE", e.body_text())
            }
            JsonRejection::MissingJsonContentType(e) => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "NOT_JSON", e.body_text())
            }
            other => ApiError::new(StatusCode::BAD_REQUEST, "MALFORMED_JSON", other.body_text()),
        }
    }
}

impl From<AdmitError> for ApiError {
    fn from(e: AdmitError) -> Self {
        let status = match e {
            AdmitError::Full { .. } | AdmitError::PartyQuota { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AdmitError::Duplicate(_) => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, code, message)
}

fn parse_hash(text: &str, what: &str) -> Result<Hash, ApiError> {
    text.parse().map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, "BAD_ID", format!("{what} {text:?} is not 64 hex digits"))
    })
}

/// The REST routes over `node`, with the body limit and timeout of the configuration.
pub fn router(node: NodeView, request_bytes_max: usize, timeout: Duration) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/status", get(status))
        .route("/v1/transactions", post(submit))
        .route("/v1/transactions/{tx_id}", get(transaction))
        .route("/v1/blocks/{height}", get(block))
        .route("/v1/bls/{bl_id}", get(bl))
        .route("/v1/bls/{bl_id}/proof", get(bl_proof))
        .fallback(|| async { not_found("NO_SUCH_ROUTE", "no such route") })
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(request_bytes_max))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, timeout))
        .with_state(node)
}

async fn healthz(State(node): State<NodeView>) -> Json<serde_json::Value> {
    Json(json!({ "status": "ok", "height": node.tip().height }))
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    pub chain_id: String,
    pub height: u64,
    pub block_hash: Hash,
    pub state_root: Hash,
    pub time_ms: u64,
    pub mempool_txs: usize,
}

async fn status(State(node): State<NodeView>) -> Json<StatusResponse> {
    let tip = node.tip();
    Json(StatusResponse {
        chain_id: node.chain_id().to_string(),
        height: tip.height,
        block_hash: tip.block_hash,
        state_root: tip.state_root,
        time_ms: tip.time_ms,
        mempool_txs: node.mempool_len(),
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SubmitQuery {
    /// Answer only once the transaction is committed (or `timeoutMs` passed).
    #[serde(default)]
    wait: bool,
    timeout_ms: Option<u64>,
}

/// A transaction's state as the API reports it.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TxStatus {
    pub tx_id: TxId,
    /// `PENDING` (in this node's mempool), `COMMITTED`.
    pub status: String,
    pub height: Option<u64>,
    /// `SUCCESS`, or the stable code of the refusal.
    pub outcome: Option<String>,
}

fn committed(tx_id: TxId, height: u64, receipt: &ebl_ledger::Receipt) -> TxStatus {
    let outcome = match receipt.error() {
        None => "SUCCESS".to_string(),
        Some(code) => code.code().to_string(),
    };
    TxStatus { tx_id, status: "COMMITTED".into(), height: Some(height), outcome: Some(outcome) }
}

async fn submit(
    State(node): State<NodeView>,
    Query(query): Query<SubmitQuery>,
    body: Result<Json<Transaction>, JsonRejection>,
) -> Result<(StatusCode, Json<TxStatus>), ApiError> {
    let Json(tx) = body?;
    // Subscribe before admission, so a commit that follows at once is not missed.
    let mut commits = node.subscribe();
    let tx_id = node.submit(tx)?;
    let pending = TxStatus { tx_id, status: "PENDING".into(), height: None, outcome: None };
    if !query.wait {
        return Ok((StatusCode::ACCEPTED, Json(pending)));
    }
    let wait = Duration::from_millis(query.timeout_ms.unwrap_or(COMMIT_WAIT_MAX_MS).min(COMMIT_WAIT_MAX_MS));
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if let Some((height, receipt)) = node.receipt(&tx_id) {
            return Ok((StatusCode::OK, Json(committed(tx_id, height, &receipt))));
        }
        match tokio::time::timeout_at(deadline, commits.recv()).await {
            Err(_) => return Ok((StatusCode::ACCEPTED, Json(pending))),
            // A commit, or missed commits (lagged): look at the receipts again.
            Ok(Ok(_)) | Ok(Err(tokio::sync::broadcast::error::RecvError::Lagged(_))) => {}
            Ok(Err(tokio::sync::broadcast::error::RecvError::Closed)) => {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "NODE_STOPPING",
                    "the node is stopping",
                ))
            }
        }
    }
}

async fn transaction(
    State(node): State<NodeView>,
    Path(tx_id): Path<String>,
) -> Result<Json<TxStatus>, ApiError> {
    let tx_id = TxId(parse_hash(&tx_id, "transaction id")?);
    if let Some((height, receipt)) = node.receipt(&tx_id) {
        return Ok(Json(committed(tx_id, height, &receipt)));
    }
    if node.in_mempool(&tx_id) {
        return Ok(Json(TxStatus { tx_id, status: "PENDING".into(), height: None, outcome: None }));
    }
    Err(not_found("UNKNOWN_TX", format!("transaction {tx_id} is neither committed nor pending here")))
}

async fn block(State(node): State<NodeView>, Path(height): Path<String>) -> Result<Json<Block>, ApiError> {
    let height: u64 = height.parse().map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, "BAD_HEIGHT", format!("{height:?} is not a height"))
    })?;
    node.block(height)
        .map(Json)
        .ok_or_else(|| not_found("UNKNOWN_BLOCK", format!("no block at height {height}")))
}

fn bl_key(text: &str) -> Result<StateKey, ApiError> {
    Ok(StateKey::Bl(BlId(parse_hash(text, "BL id")?)))
}

/// The title record: status, possessor, endorsee, lien, type, carrier. (Authorisation of reads
/// arrives with the rest of issue #4; until then the record is public.)
async fn bl(State(node): State<NodeView>, Path(bl_id): Path<String>) -> Result<Json<BlRecord>, ApiError> {
    let key = bl_key(&bl_id)?;
    node.state::<BlRecord>(&key).map(Json).ok_or_else(|| not_found("UNKNOWN_BL", format!("no BL {bl_id}")))
}

/// The proof bundle of a BL's record at the tip, borsh-encoded and hex: the SDK decodes and
/// checks it against the genesis validators without trusting this node.
async fn bl_proof(
    State(node): State<NodeView>,
    Path(bl_id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let key = bl_key(&bl_id)?;
    let bundle = node.prove(&key).ok_or_else(|| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "NO_PROOF_YET", "no committed block to prove against")
    })?;
    if bundle.value.is_none() {
        return Err(not_found("UNKNOWN_BL", format!("no BL {bl_id}")));
    }
    Ok(Json(json!({
        "height": bundle.header.height,
        "bundle": hex::encode(ebl_ledger::encoding::encode(&bundle)),
    })))
}
