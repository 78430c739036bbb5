//! The REST layer on every node (DESIGN §7), first part: submit a signed transaction and follow
//! it to its receipt, read blocks, a BL's title record and its proof bundle, the node's status.
//!
//! Errors are JSON `{code, message}` with a stable `code`; bad input of any kind changes nothing.
//! Bodies are bounded (413 beyond `rpc.request_bytes_max`) and every request has a timeout.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRef, FromRequestParts, Path, Query, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use ebl_api::{
    BatchResponse, BatchResult, BlockSummary, EpochChainQuery, EpochChainResponse, EpochLink, ErrorBody,
    Health, StatusResponse, SubmitQuery, TxOutcome, TxState, TxStatus, ValidatorEntry, ValidatorsResponse,
    EPOCHS_SERVED_MAX, EPOCH_LINKS_SERVED_MAX,
};
use ebl_ledger::governance::{epoch_of_height, Governance, ValidatorEpoch};
use ebl_ledger::{Hash, Transaction, TxId};
use tower_http::limit::RequestBodyLimitLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::mempool::AdmitError;
use crate::node::NodeView;

pub mod auth;
pub mod bls;
pub mod events;
pub mod metrics;
pub mod portal;
pub mod server;

pub use auth::OwnAuthorities;
use auth::{Auth, Caller, RateKey};

/// Most transactions in one binary batch.
pub const BATCH_TXS_MAX: usize = 10_000;

/// Most signatures in one binary batch (a transaction carries one to four).
pub const BATCH_SIGNATURES_MAX: usize = 10_000;

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
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody { code: self.code.to_owned(), message: self.message })).into_response()
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

impl From<crate::verifier::Busy> for ApiError {
    fn from(e: crate::verifier::Busy) -> Self {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "BUSY", e.to_string())
    }
}

impl From<AdmitError> for ApiError {
    fn from(e: AdmitError) -> Self {
        let status = match e {
            AdmitError::Full { .. } | AdmitError::PartyQuota { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AdmitError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AdmitError::Duplicate(_) => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, e.code(), e.to_string())
    }
}

pub(crate) fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, code, message)
}

pub(crate) fn parse_hash(text: &str, what: &str) -> Result<Hash, ApiError> {
    text.parse().map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, "BAD_ID", format!("{what} {text:?} is not 64 hex digits"))
    })
}

/// How the REST layer is set up: bounds, the signature window and the rate limits.
#[derive(Debug, Clone)]
pub struct ApiOptions {
    pub request_bytes_max: usize,
    pub timeout: Duration,
    /// How far a request signature's `created` may be from this node's clock, in seconds.
    pub signature_window_s: u64,
    /// The names (`Host`) request signatures must be made for (`rpc.authorities`).
    pub authorities: OwnAuthorities,
    /// Signed requests per second per party (bursts of twice that); 0 = no limit.
    pub party_requests_per_s: u32,
    /// Requests per second per client address on every route; 0 = no limit.
    pub address_requests_per_s: u32,
}

impl ApiOptions {
    /// The options of `rpc`. Called once at start: when the node's names cannot be known
    /// (`rpc.listen_addr` unspecified and no `rpc.authorities`), it logs a warning that request
    /// signatures are not bound to this node.
    pub fn from_config(rpc: &crate::config::RpcSection) -> Result<Self, crate::config::ConfigError> {
        let authorities = OwnAuthorities::from_config(&rpc.authorities, &rpc.listen_addr)
            .map_err(crate::config::ConfigError::Invalid)?;
        if authorities == OwnAuthorities::Any {
            tracing::warn!(
                listen_addr = %rpc.listen_addr,
                "request signatures are not bound to this node until rpc.authorities is set: \
                 listening on an unspecified address, it accepts a signed read made for any host, \
                 so one captured on another node replays here; set rpc.authorities to the \
                 host[:port] names clients use for this node"
            );
        }
        Ok(ApiOptions {
            request_bytes_max: rpc.request_bytes_max,
            timeout: Duration::from_millis(rpc.timeout_ms),
            signature_window_s: rpc.signature_window_s,
            authorities,
            party_requests_per_s: rpc.party_requests_per_s,
            address_requests_per_s: rpc.address_requests_per_s,
        })
    }
}

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct ApiState {
    pub node: NodeView,
    pub auth: Arc<Auth>,
    pub metrics: Arc<metrics::Metrics>,
    /// The open event streams.
    pub streams: Arc<events::StreamSlots>,
    openapi: Arc<OnceLock<String>>,
    /// Longest a request may take ([`ApiOptions::timeout`]; a `wait=true` submission longer).
    timeout: Duration,
    request_bytes_max: usize,
}

impl FromRef<ApiState> for NodeView {
    fn from_ref(state: &ApiState) -> NodeView {
        state.node.clone()
    }
}

/// A request signed by a registered, active party (RFC 9421): the extractor of the signed GET
/// routes. Routes with a body check the signature with the body themselves.
#[derive(Debug, Clone)]
pub struct Signed(pub Caller);

impl FromRequestParts<ApiState> for Signed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        state.auth.authenticate(&state.node, &parts.method, &parts.uri, &parts.headers, None).map(Signed)
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "eBL Ledger REST API",
        version = "1",
        description = "Electronic bills of lading and container release on a BFT-replicated ledger. See docs/rest-api.md."
    ),
    tags(
        (name = "node", description = "health, metrics, status, blocks"),
        (name = "transactions", description = "submit signed transactions and follow them"),
        (name = "parties", description = "the party registry (signed reads)"),
        (name = "bls", description = "title records, history, documents, proofs, verification, finance check"),
        (name = "release", description = "container release"),
        (name = "events", description = "per-party event stream")
    )
)]
struct ApiDoc;

/// The REST routes over `node`, with their OpenAPI description at `/openapi.json`.
pub fn router(node: NodeView, options: ApiOptions) -> Router {
    let (router, openapi) = routes().split_for_parts();
    let state = ApiState {
        node,
        auth: Arc::new(Auth::new(
            options.signature_window_s,
            options.authorities,
            options.party_requests_per_s,
            options.address_requests_per_s,
        )),
        metrics: Arc::new(metrics::Metrics::default()),
        streams: Arc::new(events::StreamSlots::default()),
        openapi: Arc::new(OnceLock::new()),
        timeout: options.timeout,
        request_bytes_max: options.request_bytes_max,
    };
    let _ = state.openapi.set(openapi.to_pretty_json().unwrap_or_default());
    router
        .route("/", axum::routing::get(portal::index))
        .route("/portal/{file}", axum::routing::get(portal::asset))
        .fallback(|| async { not_found("NO_SUCH_ROUTE", "no such route") })
        .layer(middleware::from_fn_with_state(state.clone(), limit_addresses))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::count))
        .layer(DefaultBodyLimit::disable())
        .layer(RequestBodyLimitLayer::new(options.request_bytes_max))
        .layer(middleware::from_fn_with_state(state.clone(), front_door))
        .with_state(state)
}

/// Every request: a declared body over `rpc.request_bytes_max` is refused before it is read
/// (`413 BODY_TOO_LARGE`, as a JSON error like every other; a body that grows past the limit
/// unannounced is cut by the body limit and refused by the route's extractor the same way), and
/// the request must be answered within `rpc.timeout_ms` (`408 TIMEOUT`) — a `wait=true`
/// submission within [`COMMIT_WAIT_MAX_MS`] and that timeout, so that its promised wait holds.
async fn front_door(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > state.request_bytes_max as u64) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "BODY_TOO_LARGE",
            format!("the body is larger than this node's limit of {} bytes", state.request_bytes_max),
        )
        .into_response();
    }
    let waits = request.method() == axum::http::Method::POST
        && request.uri().path() == "/v1/transactions"
        && request.uri().query().is_some_and(|q| q.split('&').any(|p| p == "wait=true"));
    let timeout =
        if waits { state.timeout + Duration::from_millis(COMMIT_WAIT_MAX_MS) } else { state.timeout };
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "TIMEOUT",
            format!("the request took longer than {} ms", timeout.as_millis()),
        )
        .into_response(),
    }
}

/// Every documented route: the one list the router and `/openapi.json` are both built from.
fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(healthz))
        .routes(routes!(metrics::metrics))
        .routes(routes!(openapi_json))
        .routes(routes!(status))
        .routes(routes!(validators))
        .routes(routes!(validators_chain))
        .routes(routes!(submit))
        .routes(routes!(submit_batch))
        .routes(routes!(transaction))
        .routes(routes!(block))
        .routes(routes!(bls::verify))
        .routes(routes!(bls::carriers))
        .routes(routes!(bls::parties))
        .routes(routes!(bls::party))
        .routes(routes!(bls::nonce))
        .routes(routes!(bls::bl))
        .routes(routes!(bls::history))
        .routes(routes!(bls::document))
        .routes(routes!(bls::proof))
        .routes(routes!(bls::containers))
        .routes(routes!(bls::container))
        .routes(routes!(bls::finance_check))
        .routes(routes!(events::events))
}

/// Per-address rate limit on every route (when the server knows the address).
async fn limit_addresses(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let address = request.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    if let Some(ip) = address {
        if let Err(e) = state.auth.rate(RateKey::Address(ip)) {
            return e.into_response();
        }
    }
    next.run(request).await
}

/// This API's OpenAPI 3 description.
#[utoipa::path(get, path = "/openapi.json", tag = "node",
    responses((status = 200, description = "OpenAPI 3 document", body = Object)))]
async fn openapi_json(State(state): State<ApiState>) -> Response {
    let body = state.openapi.get().cloned().unwrap_or_default();
    ([(CONTENT_TYPE, "application/json")], body).into_response()
}

/// Liveness: the node answers and its committed height.
#[utoipa::path(get, path = "/healthz", tag = "node", responses((status = 200, body = Health)))]
async fn healthz(State(node): State<NodeView>) -> Json<Health> {
    Json(Health { status: "ok".into(), height: node.tip().height })
}

/// The validator set's epochs and the open proposals to change it (ADR 0019).
#[utoipa::path(get, path = "/v1/validators", tag = "node", responses((status = 200, body = ValidatorsResponse)))]
async fn validators(State(node): State<NodeView>) -> Json<ValidatorsResponse> {
    let tip = node.tip();
    let governance: Governance = node.state(&ebl_ledger::StateKey::Governance).unwrap_or_default();
    let first = governance.latest_epoch.saturating_sub(EPOCHS_SERVED_MAX as u64 - 1);
    let mut epochs = Vec::new();
    for k in first..=governance.latest_epoch {
        if let Some(epoch) = node.state::<ValidatorEpoch>(&ebl_ledger::StateKey::ValidatorEpoch(k)) {
            epochs.push(epoch);
        }
    }
    let current_epoch = epoch_of_height(&epochs, tip.height + 1).map_or(0, |e| e.epoch);
    Json(ValidatorsResponse { height: tip.height, current_epoch, epochs, open_proposals: governance.open })
}

/// The validator-set changes from epoch `from` on, each proven at the height that approved it
/// by a certificate of the set before (ADR 0019): what a light client holding only the genesis
/// file walks to learn the set of any height. Links past the newest epoch do not exist; an
/// epoch the node cannot prove ends the answer (a client asks another node).
#[utoipa::path(get, path = "/v1/validators/chain", tag = "node", params(EpochChainQuery),
    responses((status = 200, body = EpochChainResponse), (status = 400, body = ErrorBody)))]
async fn validators_chain(
    State(node): State<NodeView>,
    query: Result<Query<EpochChainQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<EpochChainResponse>, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "BAD_QUERY", e.body_text()))?;
    let from = query.from.unwrap_or(1);
    if from == 0 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_QUERY",
            "epoch 0 is the genesis file's set: the chain starts at 1",
        ));
    }
    let limit = query.limit.unwrap_or(EPOCH_LINKS_SERVED_MAX);
    if limit == 0 || limit > EPOCH_LINKS_SERVED_MAX {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_QUERY",
            format!("limit must be 1 to {EPOCH_LINKS_SERVED_MAX}"),
        ));
    }
    let height = node.tip().height;
    let governance: Governance = node.state(&ebl_ledger::StateKey::Governance).unwrap_or_default();
    let mut links = Vec::new();
    for epoch in (from..=governance.latest_epoch).take(limit as usize) {
        let key = ebl_ledger::StateKey::ValidatorEpoch(epoch);
        let Some(approved_height) = node.state::<ValidatorEpoch>(&key).map(|e| e.approved_height) else {
            break;
        };
        let Some(bundle) = node.prove_at(&key, approved_height) else { break };
        links.push(EpochLink {
            epoch,
            approved_height,
            bundle: hex::encode(ebl_ledger::encoding::encode(&bundle)),
        });
    }
    Ok(Json(EpochChainResponse { height, latest_epoch: governance.latest_epoch, links }))
}

/// The node's chain and committed tip.
#[utoipa::path(get, path = "/v1/status", tag = "node", responses((status = 200, body = StatusResponse)))]
async fn status(State(node): State<NodeView>) -> Json<StatusResponse> {
    let tip = node.tip();
    Json(StatusResponse {
        chain_id: node.chain_id().to_string(),
        height: tip.height,
        block_hash: tip.block_hash,
        state_root: tip.state_root,
        time_ms: tip.time_ms,
        mempool_txs: u64::try_from(node.mempool_len()).unwrap_or(u64::MAX),
        validators: node
            .validator_infos()
            .iter()
            .map(|v| ValidatorEntry {
                name: v.name.clone(),
                consensus_key: v.consensus_key,
                node_key: v.node_key,
                operator: v.operator,
                voting_power: v.voting_power,
                legal_name: node
                    .state::<ebl_ledger::PartyRecord>(&ebl_ledger::StateKey::Party(v.operator))
                    .map(|r| r.legal_name),
            })
            .collect(),
    })
}

/// Submits one signed transaction (JSON); with `wait=true`, answers once it is committed.
#[utoipa::path(post, path = "/v1/transactions", tag = "transactions", params(SubmitQuery),
    request_body(content = Object, description = "a signed Transaction"),
    responses((status = 200, body = TxStatus, description = "committed"), (status = 202, body = TxStatus, description = "pending"),
              (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
async fn submit(
    State(state): State<ApiState>,
    query: Result<Query<SubmitQuery>, axum::extract::rejection::QueryRejection>,
    body: Result<Json<Transaction>, JsonRejection>,
) -> Result<(StatusCode, Json<TxStatus>), ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "BAD_QUERY", e.body_text()))?;
    let Json(tx) = body?;
    check_documents(&tx)?;
    let node = &state.node;
    // Subscribe before admission, so a commit that follows at once is not missed.
    let mut commits = node.subscribe();
    let tx_id = admit(&state, vec![tx]).await?.into_iter().next().ok_or_else(|| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", "admission gave no result")
    })??;
    let pending = TxStatus::pending(tx_id);
    if !query.wait {
        return Ok((StatusCode::ACCEPTED, Json(pending)));
    }
    let wait = Duration::from_millis(query.timeout_ms.unwrap_or(COMMIT_WAIT_MAX_MS).min(COMMIT_WAIT_MAX_MS));
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        if let Some((height, receipt)) = node.receipt(&tx_id) {
            return Ok((StatusCode::OK, Json(TxStatus::committed(tx_id, height, &receipt))));
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

/// A transaction's status and outcome.
#[utoipa::path(get, path = "/v1/transactions/{tx_id}", tag = "transactions",
    params(("tx_id" = String, Path, description = "64 hex")),
    responses((status = 200, body = TxStatus), (status = 404, body = ErrorBody)))]
async fn transaction(
    State(node): State<NodeView>,
    Path(tx_id): Path<String>,
) -> Result<Json<TxStatus>, ApiError> {
    let tx_id = TxId(parse_hash(&tx_id, "transaction id")?);
    if let Some((height, receipt)) = node.receipt(&tx_id) {
        return Ok(Json(TxStatus::committed(tx_id, height, &receipt)));
    }
    if node.in_mempool(&tx_id) {
        return Ok(Json(TxStatus::pending(tx_id)));
    }
    Err(not_found("UNKNOWN_TX", format!("transaction {tx_id} is neither committed nor pending here")))
}

/// A committed block: header, transaction ids and outcomes. Transaction bodies are not served
/// here: an ISSUE carries a document only its BL's parties may read. Read from the header, the
/// stored hash and the receipts alone: the transactions (up to 16 MiB) are never decoded for
/// this public route.
#[utoipa::path(get, path = "/v1/blocks/{height}", tag = "node",
    params(("height" = String, Path, description = "block height")),
    responses((status = 200, body = BlockSummary), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn block(
    State(node): State<NodeView>,
    Path(height): Path<String>,
) -> Result<Json<BlockSummary>, ApiError> {
    let height: u64 = height.parse().map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, "BAD_HEIGHT", format!("{height:?} is not a height"))
    })?;
    let unknown = || not_found("UNKNOWN_BLOCK", format!("no block at height {height}"));
    let storage = node.storage();
    let unreadable = |e: crate::storage::StorageError| {
        tracing::error!(height, error = %e, "a committed block cannot be read");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "STORE", "the block is unreadable")
    };
    let header = storage.block_header(height).map_err(unreadable)?.ok_or_else(unknown)?;
    let block_hash = storage.block_hash(height).map_err(unreadable)?.ok_or_else(unknown)?;
    let receipts = storage.receipts(height).map_err(unreadable)?.ok_or_else(unknown)?;
    Ok(Json(BlockSummary {
        height,
        block_hash,
        tx_ids: receipts.iter().map(|r| r.tx_id).collect(),
        outcomes: receipts.iter().map(TxOutcome::of).collect(),
        header,
    }))
}

/// Submits many signed transactions at once: the body is borsh `Vec<Transaction>`
/// (`application/octet-stream`, at most 10,000). Signatures are checked in one batch.
#[utoipa::path(post, path = "/v1/transactions/batch", tag = "transactions",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "borsh Vec<Transaction>"),
    responses((status = 200, body = BatchResponse), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
async fn submit_batch(
    State(state): State<ApiState>,
    extensions: axum::http::Extensions,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<BatchResponse>, ApiError> {
    let binary = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/octet-stream"));
    if !binary {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "NOT_BINARY",
            "a batch is borsh Vec<Transaction> sent as application/octet-stream",
        ));
    }
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "BODY_TOO_LARGE", e.body_text())
        } else {
            ApiError::new(StatusCode::BAD_REQUEST, "MALFORMED_BATCH", e.body_text())
        }
    })?;
    let txs: Vec<Transaction> = decode_batch(&body)?;
    // The address paid one unit for the request; each further transaction costs one more.
    if let (Some(ip), Some(more)) = (client_address(&extensions), txs.len().checked_sub(1)) {
        if more > 0 {
            state.auth.rate_n(RateKey::Address(ip), u32::try_from(more).unwrap_or(u32::MAX))?;
        }
    }
    let ids: Vec<TxId> = txs.iter().map(|t| t.id()).collect();
    let results: Vec<BatchResult> = ids
        .into_iter()
        .zip(admit(&state, txs).await?)
        .map(|(tx_id, result)| match result {
            Ok(_) => BatchResult { tx_id, status: Some(TxState::Pending), code: None, message: None },
            Err(e) => {
                BatchResult { tx_id, status: None, code: Some(e.code().into()), message: Some(e.to_string()) }
            }
        })
        .collect();
    let accepted = results.iter().filter(|r| r.status.is_some()).count();
    Ok(Json(BatchResponse { accepted, results }))
}

/// The client's address, when the server was started with it (`ebl-node run` is).
fn client_address(extensions: &axum::http::Extensions) -> Option<std::net::IpAddr> {
    extensions.get::<ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip())
}

/// Admits a client's transactions on the node's verify pool, each submitter whose signatures
/// checked out charged one unit of its party rate per transaction.
async fn admit(state: &ApiState, txs: Vec<Transaction>) -> Result<Vec<Result<TxId, AdmitError>>, ApiError> {
    let auth = state.auth.clone();
    let results =
        state.node.admit(txs, move |party, n| auth.rate_n(RateKey::Party(*party), n).is_ok()).await?;
    Ok(results)
}

/// Refuses at the door an ISSUE or REISSUE whose document lacks a DCSA-required field, so the
/// submitter's nonce is not spent on it (the contract checks the same, deterministically).
fn check_documents(tx: &Transaction) -> Result<(), ApiError> {
    for issuance in tx.body.action.issuances() {
        let checked = issuance.document.to_value().and_then(|v| ebl_ledger::dcsa::check_required_fields(&v));
        if let Err(e) = checked {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "DOCUMENT_INVALID", e.to_string()));
        }
    }
    Ok(())
}

/// Decodes a batch body: a borsh vector of at most [`BATCH_TXS_MAX`] transactions, the length
/// checked before anything is allocated for them.
fn decode_batch(bytes: &[u8]) -> Result<Vec<Transaction>, ApiError> {
    let malformed = |m: String| ApiError::new(StatusCode::BAD_REQUEST, "MALFORMED_BATCH", m);
    let count = bytes.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_le_bytes);
    match count {
        None => return Err(malformed("the body is not a borsh Vec<Transaction>".into())),
        Some(n) if n as usize > BATCH_TXS_MAX => {
            return Err(malformed(format!("{n} transactions, at most {BATCH_TXS_MAX} per batch")))
        }
        Some(_) => {}
    }
    let txs: Vec<Transaction> =
        ebl_ledger::encoding::decode(bytes, bytes.len()).map_err(|e| malformed(e.to_string()))?;
    let signatures: usize = txs.iter().map(|t| t.signatures.len()).sum();
    if signatures > BATCH_SIGNATURES_MAX {
        return Err(malformed(format!("{signatures} signatures, at most {BATCH_SIGNATURES_MAX} per batch")));
    }
    Ok(txs)
}
