//! The HTTP client: one typed call per route of docs/rest-api.md.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use ebl_api::sse::SseParser;
use ebl_api::{
    BatchResponse, BlockSummary, ContainerStatus, Containers, EpochChainResponse, ErrorBody,
    FinanceCheckRequest, FinanceReport, Health, History, LedgerEvent, Nonces, PartyList, ProofResponse,
    PublicVerification, StatusResponse, TxOutcome, TxStatus, ValidatorsResponse, EPOCH_LINKS_SERVED_MAX,
};
use ebl_ledger::dcsa::{DocumentFacts, TransportDocumentJson};
use ebl_ledger::{
    Action, BlId, BlRecord, Hash, Keypair, PartyId, PartyRecord, ProofBundle, Transaction, TxId,
};
use futures::{Stream, StreamExt};
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::batch::encode_batch;
use crate::builder::TxBuilder;
use crate::error::{ClientError, Disagreement, Result};
use crate::finance::{judge, CheckedFinance, Presented};
use crate::signing::{authority_of, sign_request};
use crate::trust::{check_fresh, decode_bundle, Trust, VerifiedTitle, PROOF_AGE_MAX_MS};

/// Default timeout of one request, in milliseconds (not of an event stream).
pub const REQUEST_TIMEOUT_MS: u64 = 30_000;
/// Connection timeout, in milliseconds.
pub const CONNECT_TIMEOUT_MS: u64 = 5_000;
/// The longest the node holds a `wait=true` submission, in milliseconds.
pub const COMMIT_WAIT_MAX_MS: u64 = 30_000;
/// Interval between polls while waiting for commits, in milliseconds.
pub const POLL_INTERVAL_MS: u64 = 250;
/// Most entries [`Client::history`] reads of one BL's history (page after page).
pub const HISTORY_ENTRIES_MAX: usize = 100_000;
/// Most validator sets [`Client::update_trust`] learns in one call (a network that changes its
/// set weekly makes about 50 a year).
pub const EPOCHS_LEARNED_MAX: u64 = 4096;

/// The typed stream of a party's events.
pub type EventStream = Pin<Box<dyn Stream<Item = Result<LedgerEvent>> + Send>>;

/// A client of one node, on one chain, optionally holding one party key (for signed reads and
/// for signing transactions). `https://` nodes are spoken to over TLS (rustls, the Mozilla
/// roots, plus any root given with [`Client::with_root_certificate_pem`]).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    /// The `Host` of `base` (see [`authority_of`]): the request signatures cover it, so that a
    /// signed read is good on this node only.
    authority: String,
    chain_id: String,
    key: Option<Arc<Keypair>>,
    timeout: Duration,
    /// Extra trusted TLS roots (PEM), e.g. a private network's own CA.
    roots: Vec<Vec<u8>>,
    /// Oldest proof accepted (block time before this machine's clock).
    max_proof_age: Duration,
}

fn http_client(base: &str, roots: &[Vec<u8>]) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder().connect_timeout(Duration::from_millis(CONNECT_TIMEOUT_MS));
    for pem in roots {
        let root = reqwest::Certificate::from_pem(pem)
            .map_err(|e| ClientError::Input(format!("TLS root certificate: {e}")))?;
        builder = builder.add_root_certificate(root);
    }
    builder.build().map_err(|e| ClientError::Http { url: base.to_owned(), reason: root_cause(&e) })
}

enum Body {
    None,
    Json(Vec<u8>),
    Binary(Vec<u8>),
}

impl Body {
    fn bytes(&self) -> Option<&[u8]> {
        match self {
            Body::None => None,
            Body::Json(b) | Body::Binary(b) => Some(b),
        }
    }
}

/// Percent-encodes one path segment (RFC 3986 unreserved characters pass).
fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

impl Client {
    /// A client of the node at `base_url` (e.g. `http://127.0.0.1:27200`) on chain `chain_id`.
    pub fn new(base_url: impl Into<String>, chain_id: impl Into<String>) -> Result<Self> {
        let base = base_url.into().trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(ClientError::Input(format!("node URL {base:?} must start with http:// or https://")));
        }
        let authority = authority_of(&base)?;
        let http = http_client(&base, &[])?;
        Ok(Client {
            http,
            base,
            authority,
            chain_id: chain_id.into(),
            key: None,
            timeout: Duration::from_millis(REQUEST_TIMEOUT_MS),
            roots: Vec::new(),
            max_proof_age: Duration::from_millis(PROOF_AGE_MAX_MS),
        })
    }

    /// Also trusts the TLS root certificate `pem` (for nodes behind a private CA).
    pub fn with_root_certificate_pem(mut self, pem: &[u8]) -> Result<Self> {
        if !pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----") {
            return Err(ClientError::Input("TLS root certificate: no PEM certificate in it".into()));
        }
        self.roots.push(pem.to_vec());
        self.http = http_client(&self.base, &self.roots)?;
        Ok(self)
    }

    /// The oldest proof this client accepts, in block time before this machine's clock
    /// (default [`PROOF_AGE_MAX_MS`]): an older one is refused as [`ClientError::StaleProof`].
    pub fn with_max_proof_age(mut self, max_age: Duration) -> Self {
        self.max_proof_age = max_age;
        self
    }

    pub fn max_proof_age(&self) -> Duration {
        self.max_proof_age
    }

    fn max_proof_age_ms(&self) -> u64 {
        u64::try_from(self.max_proof_age.as_millis()).unwrap_or(u64::MAX)
    }

    /// A client on whatever chain the node reports (`GET /v1/status`). Trusting the node for the
    /// chain id is harmless for signing (a transaction for another chain is only refused); proofs
    /// are checked against a [`Trust`] from the genesis file, never against this.
    pub async fn connect(base_url: impl Into<String>) -> Result<Self> {
        let mut client = Client::new(base_url, "")?;
        client.chain_id = client.status().await?.chain_id;
        Ok(client)
    }

    /// The party key that signs this client's requests and transactions.
    pub fn with_key(mut self, key: Keypair) -> Self {
        self.key = Some(Arc::new(key));
        self
    }

    /// The timeout of each request (event streams have none).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }
    pub fn key(&self) -> Option<&Keypair> {
        self.key.as_deref()
    }
    /// The party of this client's key.
    pub fn key_party(&self) -> Option<PartyId> {
        self.key.as_ref().map(|k| k.party())
    }

    fn require_key(&self) -> Result<&Keypair> {
        self.key.as_deref().ok_or(ClientError::NoKey)
    }

    fn transport_error(&self, url: &str, e: reqwest::Error) -> ClientError {
        if e.is_connect() || e.is_timeout() {
            ClientError::Unreachable { url: self.base.clone(), reason: root_cause(&e) }
        } else {
            ClientError::Http { url: url.to_owned(), reason: root_cause(&e) }
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        query: Option<String>,
        body: Body,
        signed: bool,
        timeout: Option<Duration>,
    ) -> Result<reqwest::Response> {
        let url = match &query {
            Some(q) => format!("{}{path}?{q}", self.base),
            None => format!("{}{path}", self.base),
        };
        let mut request = self.http.request(method.clone(), &url);
        if let Some(timeout) = timeout {
            request = request.timeout(timeout);
        }
        if signed {
            let key = self.require_key()?;
            let headers = sign_request(
                key,
                &self.chain_id,
                method.as_str(),
                &self.authority,
                path,
                query.as_deref(),
                body.bytes(),
            )?;
            for (name, value) in headers.pairs() {
                request = request.header(name, value);
            }
        }
        request = match body {
            Body::None => request,
            Body::Json(bytes) => request.header("Content-Type", "application/json").body(bytes),
            Body::Binary(bytes) => request.header("Content-Type", "application/octet-stream").body(bytes),
        };
        let response = request.send().await.map_err(|e| self.transport_error(&url, e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        Err(match serde_json::from_str::<ErrorBody>(&text) {
            Ok(body) => ClientError::Api { status, code: body.code, message: body.message },
            Err(_) => ClientError::Api {
                status,
                code: format!("HTTP_{status}"),
                message: text.chars().take(500).collect(),
            },
        })
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: Option<String>,
        body: Body,
        signed: bool,
    ) -> Result<T> {
        let response = self.send(method, path, query, body, signed, Some(self.timeout)).await?;
        let url = response.url().to_string();
        let bytes = response.bytes().await.map_err(|e| self.transport_error(&url, e))?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(format!("{path}: {e}")))
    }

    async fn get<T: DeserializeOwned>(&self, path: &str, signed: bool) -> Result<T> {
        self.json(Method::GET, path, None, Body::None, signed).await
    }

    // ---- node ----

    /// `GET /healthz`.
    pub async fn health(&self) -> Result<Health> {
        self.get("/healthz", false).await
    }

    /// `GET /v1/status`: chain id and committed tip.
    pub async fn status(&self) -> Result<StatusResponse> {
        self.get("/v1/status", false).await
    }

    /// `GET /v1/validators`: the validator set's epochs and the open proposals to change it.
    pub async fn validators(&self) -> Result<ValidatorsResponse> {
        self.get("/v1/validators", false).await
    }

    /// `GET /v1/validators/chain?from=K&limit=N`: links of the epoch chain from epoch `from`
    /// (not verified; [`Client::update_trust`] checks them).
    pub async fn epoch_chain(&self, from: u64, limit: u64) -> Result<EpochChainResponse> {
        self.get(&format!("/v1/validators/chain?from={from}&limit={limit}"), false).await
    }

    /// Learns the validator sets `trust` lacks from this node's epoch chain, each link checked
    /// against the set before ([`Trust::extend`]); returns how many were learned. A node cannot
    /// make the client trust a set the one before did not certify; one that withholds the newest
    /// links leaves the client checking against an older set, which refuses what the newer set
    /// alone certified (a client may ask several nodes). At most [`EPOCHS_LEARNED_MAX`] a call.
    pub async fn update_trust(&self, trust: &mut Trust) -> Result<u64> {
        let mut learned = 0;
        while learned < EPOCHS_LEARNED_MAX {
            let from = trust.next_epoch();
            let answer = self.epoch_chain(from, EPOCH_LINKS_SERVED_MAX).await?;
            if answer.links.len() as u64 > EPOCH_LINKS_SERVED_MAX {
                return Err(ClientError::Decode(format!(
                    "{} epoch links in one answer; at most {EPOCH_LINKS_SERVED_MAX}",
                    answer.links.len()
                )));
            }
            for link in &answer.links {
                let epoch = trust.next_epoch();
                let bundle = decode_bundle(&link.bundle)?;
                trust.extend(&bundle).map_err(|reason| ClientError::EpochChain { epoch, reason })?;
                learned += 1;
            }
            if (answer.links.len() as u64) < EPOCH_LINKS_SERVED_MAX {
                break;
            }
        }
        Ok(learned)
    }

    /// `GET /v1/blocks/{height}`.
    pub async fn block(&self, height: u64) -> Result<BlockSummary> {
        self.get(&format!("/v1/blocks/{height}"), false).await
    }

    // ---- transactions ----

    /// `POST /v1/transactions`: admitted to the mempool (`PENDING`).
    pub async fn submit(&self, tx: &Transaction) -> Result<TxStatus> {
        let body = serde_json::to_vec(tx).map_err(|e| ClientError::Decode(e.to_string()))?;
        self.json(Method::POST, "/v1/transactions", None, Body::Json(body), false).await
    }

    /// `POST /v1/transactions?wait=true`: answers once committed (with the outcome), or
    /// `PENDING` if `timeout` passed first (at most [`COMMIT_WAIT_MAX_MS`]).
    pub async fn submit_and_wait(&self, tx: &Transaction, timeout: Duration) -> Result<TxStatus> {
        let wait_ms = (timeout.as_millis() as u64).min(COMMIT_WAIT_MAX_MS);
        let body = serde_json::to_vec(tx).map_err(|e| ClientError::Decode(e.to_string()))?;
        let query = Some(format!("wait=true&timeoutMs={wait_ms}"));
        let response = self
            .send(
                Method::POST,
                "/v1/transactions",
                query,
                Body::Json(body),
                false,
                Some(Duration::from_millis(wait_ms) + self.timeout),
            )
            .await?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ClientError::Http { url: self.base.clone(), reason: e.to_string() })?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Decode(format!("/v1/transactions: {e}")))
    }

    /// `POST /v1/transactions/batch`: borsh `Vec<Transaction>` (at most 10,000), results in
    /// input order.
    pub async fn submit_batch(&self, txs: &[Transaction]) -> Result<BatchResponse> {
        self.json(Method::POST, "/v1/transactions/batch", None, Body::Binary(encode_batch(txs)), false).await
    }

    /// `GET /v1/transactions/{txId}`.
    pub async fn tx_status(&self, tx_id: &TxId) -> Result<TxStatus> {
        self.get(&format!("/v1/transactions/{tx_id}"), false).await
    }

    /// Polls a transaction until it is committed, or fails with [`ClientError::Timeout`].
    pub async fn wait_for_commit(&self, tx_id: &TxId, timeout: Duration) -> Result<TxStatus> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            match self.tx_status(tx_id).await {
                Ok(status) if status.is_committed() => return Ok(status),
                Ok(_) => {}
                Err(ClientError::Api { status: 404, .. }) => {}
                Err(e) => return Err(e),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(ClientError::Timeout {
                    tx_id: tx_id.to_string(),
                    waited_ms: timeout.as_millis() as u64,
                });
            }
            tokio::time::sleep(Duration::from_millis(POLL_INTERVAL_MS)).await;
        }
    }

    /// Follows committed blocks after `after_height` until every one of `tx_ids` is seen or
    /// `timeout` passes; returns (height, outcome) of each one seen. One request per block, so
    /// it suits thousands of transactions.
    pub async fn wait_for_txs(
        &self,
        tx_ids: &[TxId],
        after_height: u64,
        timeout: Duration,
    ) -> Result<BTreeMap<TxId, (u64, TxOutcome)>> {
        let mut wanted: BTreeSet<TxId> = tx_ids.iter().copied().collect();
        let mut found = BTreeMap::new();
        let mut next = after_height + 1;
        let deadline = tokio::time::Instant::now() + timeout;
        while !wanted.is_empty() {
            let tip = self.status().await?.height;
            while next <= tip && !wanted.is_empty() {
                let block = self.block(next).await?;
                for (id, outcome) in block.tx_ids.iter().zip(&block.outcomes) {
                    if wanted.remove(id) {
                        found.insert(*id, (block.height, *outcome));
                    }
                }
                next += 1;
            }
            if wanted.is_empty() || tokio::time::Instant::now() >= deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(POLL_INTERVAL_MS)).await;
        }
        Ok(found)
    }

    // ---- building and sending actions ----

    /// A builder for `action` submitted by this client's key.
    pub fn builder(&self, action: Action) -> Result<TxBuilder> {
        Ok(TxBuilder::new(self.chain_id.clone(), self.require_key()?.party(), action))
    }

    /// Sets the builder's nonce from the node (`next`) unless it has one.
    pub async fn resolve_nonce(&self, builder: TxBuilder) -> Result<TxBuilder> {
        if builder.has_nonce() {
            return Ok(builder);
        }
        let next = self.nonce(&builder.submitter()).await?.next;
        Ok(builder.nonce(next))
    }

    /// Resolves the nonce and signs with this client's key and `extra_keys` (co-signers' keys
    /// held locally); every signer must be covered.
    pub async fn sign(&self, builder: TxBuilder, extra_keys: &[&Keypair]) -> Result<Transaction> {
        let builder = self.resolve_nonce(builder).await?;
        let mut keys: Vec<&Keypair> = vec![self.require_key()?];
        keys.extend_from_slice(extra_keys);
        Ok(builder.sign(&keys)?)
    }

    /// Builds, signs (this client's key alone) and submits `action`; with `wait`, answers once
    /// it is committed.
    pub async fn execute(&self, action: Action, wait: Option<Duration>) -> Result<TxStatus> {
        let tx = self.sign(self.builder(action)?, &[]).await?;
        match wait {
            Some(timeout) => self.submit_and_wait(&tx, timeout).await,
            None => self.submit(&tx).await,
        }
    }

    // ---- public verification ----

    /// `GET /v1/verify/{blId}[?checksum=]`: checksum-level facts only; no key needed.
    pub async fn verify_public(&self, bl: &BlId, checksum: Option<&Hash>) -> Result<PublicVerification> {
        let query = checksum.map(|c| format!("checksum={c}"));
        self.json(Method::GET, &format!("/v1/verify/{bl}"), query, Body::None, false).await
    }

    // ---- parties (signed) ----

    /// `GET /v1/parties`.
    pub async fn parties(&self) -> Result<Vec<PartyRecord>> {
        Ok(self.get::<PartyList>("/v1/parties", true).await?.parties)
    }

    /// `GET /v1/parties/{party}`.
    pub async fn party(&self, party: &PartyId) -> Result<PartyRecord> {
        self.get(&format!("/v1/parties/{party}"), true).await
    }

    /// `GET /v1/parties/{party}/nonce`.
    pub async fn nonce(&self, party: &PartyId) -> Result<Nonces> {
        self.get(&format!("/v1/parties/{party}/nonce"), true).await
    }

    // ---- BLs (authorised) ----

    /// `GET /v1/bls/{blId}`: the title record (not verified; see [`Client::verify_title`]).
    pub async fn bl(&self, bl: &BlId) -> Result<BlRecord> {
        self.get(&format!("/v1/bls/{bl}"), true).await
    }

    /// `GET /v1/bls/{blId}/history?fromSeq=`: one page of the history (the node serves at most
    /// 200 entries a page).
    pub async fn history_page(&self, bl: &BlId, from_seq: u32) -> Result<History> {
        let query = Some(format!("fromSeq={from_seq}"));
        self.json(Method::GET, &format!("/v1/bls/{bl}/history"), query, Body::None, true).await
    }

    /// The whole history, page by page (at most [`HISTORY_ENTRIES_MAX`] entries; a longer one
    /// is refused rather than read without end).
    pub async fn history(&self, bl: &BlId) -> Result<History> {
        let mut whole = self.history_page(bl, 0).await?;
        let mut next = whole.next_seq;
        while let Some(from) = next {
            if whole.entries.len() >= HISTORY_ENTRIES_MAX || from as usize != whole.entries.len() {
                return Err(ClientError::Decode(format!(
                    "the node pages BL {bl}'s history oddly or it exceeds {HISTORY_ENTRIES_MAX} entries \
                     (next page from {from}, {} read)",
                    whole.entries.len()
                )));
            }
            let page = self.history_page(bl, from).await?;
            if page.entries.is_empty() && page.next_seq.is_some() {
                return Err(ClientError::Decode(format!(
                    "an empty page of BL {bl}'s history names a next page"
                )));
            }
            whole.entries.extend(page.entries);
            next = page.next_seq;
        }
        whole.next_seq = None;
        Ok(whole)
    }

    /// `GET /v1/bls/{blId}/document`: the DCSA TransportDocument as issued.
    pub async fn document(&self, bl: &BlId) -> Result<TransportDocumentJson> {
        self.get(&format!("/v1/bls/{bl}/document"), true).await
    }

    /// `GET /v1/bls/{blId}/proof`: the raw answer.
    pub async fn proof(&self, bl: &BlId) -> Result<ProofResponse> {
        self.get(&format!("/v1/bls/{bl}/proof"), true).await
    }

    /// The decoded proof bundle of the BL's record (not yet verified).
    pub async fn proof_bundle(&self, bl: &BlId) -> Result<ProofBundle> {
        decode_bundle(&self.proof(bl).await?.bundle)
    }

    /// Fetches the BL's proof bundle, learns the validator sets `trust` lacks
    /// ([`Client::update_trust`]), and verifies the bundle locally against the set of its height,
    /// and that it is fresh (at most [`Client::max_proof_age`] old): the answer holds whether or
    /// not the node is honest.
    pub async fn verify_title(&self, trust: &mut Trust, bl: &BlId) -> Result<VerifiedTitle> {
        let bundle = self.proof_bundle(bl).await?;
        self.update_trust(trust).await?;
        trust.verify_fresh_title(*bl, &bundle, crate::time::now_ms(), self.max_proof_age_ms())
    }

    /// `GET /v1/bls/{blId}/containers`.
    pub async fn containers(&self, bl: &BlId) -> Result<Containers> {
        self.get(&format!("/v1/bls/{bl}/containers"), true).await
    }

    /// `GET /v1/bls/{blId}/containers/{equipmentReference}`.
    pub async fn container(&self, bl: &BlId, equipment_reference: &str) -> Result<ContainerStatus> {
        self.get(&format!("/v1/bls/{bl}/containers/{}", segment(equipment_reference)), true).await
    }

    /// `POST /v1/bls/{blId}/finance-check`, signed by a bank: the node's report, as it says it
    /// (not verified; see [`Client::finance_check_verified`]).
    pub async fn finance_check(&self, bl: &BlId, request: &FinanceCheckRequest) -> Result<FinanceReport> {
        let body = serde_json::to_vec(request).map_err(|e| ClientError::Decode(e.to_string()))?;
        self.json(Method::POST, &format!("/v1/bls/{bl}/finance-check"), None, Body::Json(body), true).await
    }

    /// A finance check whose verdict is computed here: the node's proof of the record checked
    /// against `trust` and for freshness, the presented document's checksum computed here, the
    /// LC terms checked against the ledger's document, the lien judged at the certified block's
    /// time — by the ledger's own rules. Refused with [`ClientError::Proof`],
    /// [`ClientError::OtherChain`], [`ClientError::StaleProof`] or [`ClientError::NodeLied`]
    /// when the node's answer cannot be relied on.
    pub async fn finance_check_verified(
        &self,
        trust: &mut Trust,
        bl: &BlId,
        request: &FinanceCheckRequest,
    ) -> Result<CheckedFinance> {
        let bank = self.require_key()?.party();
        let presented = match &request.document {
            Some(d) => {
                Some(TransportDocumentJson::from_value(d).map_err(|e| ClientError::Document(e.to_string()))?)
            }
            None => None,
        };
        let report = self.finance_check(bl, request).await?;
        let bundle = decode_bundle(&report.proof)?;
        self.update_trust(trust).await?;
        let title = trust.verify_title(*bl, &bundle)?;
        let age_ms =
            check_fresh(title.height, title.time_ms, crate::time::now_ms(), self.max_proof_age_ms())?;
        let facts = match &request.lc_terms {
            Some(_) => Some(self.ledger_document_facts(bl, &title, presented.as_ref()).await?),
            None => None,
        };
        let presented = Presented {
            bank: &bank,
            checksum: presented.as_ref().map(|d| d.checksum()),
            facts: facts.as_ref(),
            lc_terms: request.lc_terms.as_ref(),
        };
        judge(report, title, age_ms, presented)
    }

    /// The facts of the ledger's document of a proven title: from the presented document when
    /// its checksum is the proven one, else from the node's copy, which must have that checksum.
    async fn ledger_document_facts(
        &self,
        bl: &BlId,
        title: &VerifiedTitle,
        presented: Option<&TransportDocumentJson>,
    ) -> Result<DocumentFacts> {
        let proven = title.record.document_checksum;
        let document = match presented {
            Some(d) if d.checksum() == proven => d.clone(),
            _ => {
                let served = self.document(bl).await?;
                if served.checksum() != proven {
                    return Err(ClientError::NodeLied {
                        bl: *bl,
                        disagreements: vec![Disagreement {
                            field: "document checksum".into(),
                            node_says: served.checksum().to_string(),
                            proof_says: proven.to_string(),
                        }],
                    });
                }
                served
            }
        };
        let value = document.to_value().map_err(|e| ClientError::Document(e.to_string()))?;
        DocumentFacts::extract(&value).map_err(|e| ClientError::Document(e.to_string()))
    }

    // ---- events (signed) ----

    /// `GET /v1/events[?fromHeight=H]`: the signing party's events, as they are committed.
    pub async fn events(&self, from_height: Option<u64>) -> Result<EventStream> {
        let query = from_height.map(|h| format!("fromHeight={h}"));
        let response = self.send(Method::GET, "/v1/events", query, Body::None, true, None).await?;
        Ok(typed_events(response.bytes_stream().map(|chunk| chunk.map_err(|e| e.to_string()))))
    }
}

/// Turns a stream of body chunks into typed events (the SSE framing parsed incrementally).
pub fn typed_events<S, B>(chunks: S) -> EventStream
where
    S: Stream<Item = std::result::Result<B, String>> + Send + 'static,
    B: AsRef<[u8]>,
{
    struct State<S> {
        chunks: Pin<Box<S>>,
        parser: SseParser,
        ready: VecDeque<Result<LedgerEvent>>,
        done: bool,
    }
    let state =
        State { chunks: Box::pin(chunks), parser: SseParser::new(), ready: VecDeque::new(), done: false };
    Box::pin(futures::stream::unfold(state, |mut state| async move {
        loop {
            if let Some(item) = state.ready.pop_front() {
                return Some((item, state));
            }
            if state.done {
                return None;
            }
            match state.chunks.next().await {
                Some(Ok(chunk)) => {
                    for message in state.parser.push(chunk.as_ref()) {
                        state.ready.push_back(
                            serde_json::from_str::<LedgerEvent>(&message.data)
                                .map_err(|e| ClientError::Decode(format!("event {:?}: {e}", message.id))),
                        );
                    }
                }
                Some(Err(reason)) => {
                    state.done = true;
                    state.ready.push_back(Err(ClientError::Http { url: "/v1/events".into(), reason }));
                }
                None => state.done = true,
            }
        }
    }))
}

/// The innermost cause, which is what a person can act on ("Connection refused").
fn root_cause(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        message = s.to_string();
        source = s.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(segment("APZU4812090"), "APZU4812090");
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
    }

    #[test]
    fn urls_must_be_http() {
        assert!(Client::new("127.0.0.1:1", "c").is_err());
        let client = Client::new("http://127.0.0.1:1/", "c").expect("client");
        assert_eq!(client.base_url(), "http://127.0.0.1:1");
        assert!(client.key_party().is_none());
    }

    #[tokio::test]
    async fn an_unreachable_node_says_so() {
        // Port 1 on loopback: nothing listens there.
        let client = Client::new("http://127.0.0.1:1", "c").expect("client");
        let error = client.status().await.expect_err("unreachable");
        assert!(matches!(error, ClientError::Unreachable { .. }), "{error:?}");
        assert!(error.to_string().contains("is it running?"), "{error}");
        assert!(matches!(client.bl(&BlId(Hash::ZERO)).await, Err(ClientError::NoKey)));
    }

    #[tokio::test]
    async fn events_are_typed_across_chunk_boundaries() {
        let event = LedgerEvent {
            kind: ebl_ledger::action::EventKind::Transferred,
            height: 7,
            index: 0,
            tx_id: TxId(Hash::digest(b"tx")),
            action: ebl_api::ActionName::Transfer,
            actor: Keypair::from_seed([1; 32]).party(),
            bl_id: Some(BlId(Hash::digest(b"bl"))),
            equipment_reference: None,
            equipment_references: Vec::new(),
            outcome: TxOutcome::Success,
        };
        let text = format!(
            ": ping\n\nevent: TRANSFERRED\nid: 7.0\ndata: {}\n\nevent: X\ndata: not json\n\n",
            serde_json::to_string(&event).expect("json")
        );
        let bytes = text.into_bytes();
        let chunks: Vec<std::result::Result<Vec<u8>, String>> =
            bytes.chunks(7).map(|c| Ok(c.to_vec())).collect();
        let got: Vec<Result<LedgerEvent>> = typed_events(futures::stream::iter(chunks)).collect().await;
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].as_ref().expect("event"), &event);
        assert!(matches!(got[1], Err(ClientError::Decode(_))));
    }
}
