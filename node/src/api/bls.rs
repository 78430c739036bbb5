//! BLs, their documents and containers, the party registry and the trade-finance check: the
//! routes that reveal content, each authorised per object (DESIGN §7), and the public
//! verification that reveals checksum-level facts (and names only to the document's holder).

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::Json;
use ebl_api::{
    CarrierEntry, CarrierList, ContainerState, ContainerStatus, Containers, Disclosure, FinanceCheckRequest,
    FinanceReport, History, HistoryQuery, NamedParty, Nonces, PartyList, ProofResponse, PublicVerification,
    VerifyQuery, HISTORY_PAGE_MAX,
};
use ebl_ledger::action::IssueBl;
use ebl_ledger::dcsa::{DocumentFacts, TransportDocumentJson};
use ebl_ledger::finance::{finance_verdict, FinanceInputs};
use ebl_ledger::records::{HistoryEntry, HoldList};
use ebl_ledger::{BlId, BlRecord, ContainerRef, PartyId, PartyRecord, ReleaseRecord, Role, StateKey};

use super::auth::Caller;
use super::{not_found, parse_hash, ApiError, ApiState, Signed};
use crate::node::NodeView;

fn forbidden(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
}

fn parse_bl(text: &str) -> Result<BlId, ApiError> {
    Ok(BlId(parse_hash(text, "BL id")?))
}

fn parse_party(text: &str) -> Result<PartyId, ApiError> {
    text.parse().map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, "BAD_ID", format!("party {text:?} is not ebl:<64 hex digits>"))
    })
}

/// A BL's record, read for the authorisation check. Its history is not read for it: whether a
/// party is on the BL's chain is one index read (`Storage::party_on_bl`), whatever the history's
/// length.
struct BlView {
    record: BlRecord,
}

impl BlView {
    fn load(node: &NodeView, bl: BlId) -> Result<BlView, ApiError> {
        let record: BlRecord = node
            .state(&StateKey::Bl(bl))
            .ok_or_else(|| not_found("UNKNOWN_BL", format!("no BL {}", bl.0)))?;
        Ok(BlView { record })
    }

    /// The parties on the BL's chain: carrier, shipper, consignee, agents, the possessor, the
    /// endorsee and lienholder, and everyone who acted on it or received it.
    fn on_chain(&self, node: &NodeView, party: &PartyId) -> bool {
        let r = &self.record;
        *party == r.carrier
            || *party == r.shipper
            || *party == r.possessor
            || r.consignee.as_ref() == Some(party)
            || r.endorsee.as_ref() == Some(party)
            || r.agents.contains(party)
            || r.lien.as_ref().is_some_and(|l| l.bank == *party)
            || node.party_on_bl(party, &r.id)
    }

    /// DESIGN §7: the parties on its chain, its lienholder, customs and the registrar.
    fn authorise(&self, node: &NodeView, caller: &Caller) -> Result<(), ApiError> {
        if caller.reads_everything() || self.on_chain(node, &caller.party) {
            Ok(())
        } else {
            Err(forbidden(format!("{} is not a party to BL {}", caller.party, self.record.id.0)))
        }
    }

    /// Entries `seqs` of the BL's history.
    fn history(&self, node: &NodeView, seqs: std::ops::Range<u32>) -> Result<Vec<HistoryEntry>, ApiError> {
        node.history(&self.record.id, seqs).ok_or_else(|| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "STORE", "the BL's history is unreadable")
        })
    }

    /// The ISSUE (or REISSUE replacement) that created the BL: its signed transaction and the
    /// document it carried.
    fn issuance(&self, node: &NodeView) -> Result<(ebl_ledger::Transaction, IssueBl), ApiError> {
        let missing =
            || ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "STORE", "the BL's issuance is missing");
        let first = self.history(node, 0..1)?.into_iter().next().ok_or_else(missing)?;
        let (_, tx) = node.transaction(&first.tx_id).ok_or_else(missing)?;
        let issue = tx
            .body
            .action
            .issuances()
            .iter()
            .find(|r| BlId::new(&self.record.carrier, &r.transport_document_reference) == self.record.id)
            .cloned();
        Ok((tx, issue.ok_or_else(missing)?))
    }
}

/// Every registered party (the party registry).
#[utoipa::path(get, path = "/v1/parties", tag = "parties",
    responses((status = 200, body = PartyList), (status = 401, body = super::ErrorBody)))]
pub async fn parties(State(state): State<ApiState>, Signed(_caller): Signed) -> Json<PartyList> {
    let parties = state
        .node
        .registered_parties()
        .iter()
        .filter_map(|p| state.node.state(&StateKey::Party(*p)))
        .collect();
    Json(PartyList { parties })
}

/// One party of the registry: legal name, roles, external codes, status.
#[utoipa::path(get, path = "/v1/parties/{party}", tag = "parties",
    params(("party" = String, Path, description = "ebl:<64 hex>")),
    responses((status = 200, body = Object), (status = 404, body = super::ErrorBody)))]
pub async fn party(
    State(state): State<ApiState>,
    Signed(_caller): Signed,
    Path(party): Path<String>,
) -> Result<Json<PartyRecord>, ApiError> {
    let id = parse_party(&party)?;
    // A party's id, or a key it signs (or signed) with: its record says which key signs now.
    let record = match state.node.state::<PartyRecord>(&StateKey::Party(id)) {
        Some(record) => Some(record),
        None => state
            .node
            .state::<PartyId>(&StateKey::KeyOf(id))
            .and_then(|p| state.node.state(&StateKey::Party(p))),
    };
    record.map(Json).ok_or_else(|| not_found("UNKNOWN_PARTY_ID", format!("{id} is not registered")))
}

/// The nonce a party's next transaction should carry.
#[utoipa::path(get, path = "/v1/parties/{party}/nonce", tag = "parties",
    params(("party" = String, Path, description = "ebl:<64 hex>")),
    responses((status = 200, body = Nonces), (status = 404, body = super::ErrorBody)))]
pub async fn nonce(
    State(state): State<ApiState>,
    Signed(_caller): Signed,
    Path(party): Path<String>,
) -> Result<Json<Nonces>, ApiError> {
    let id = parse_party(&party)?;
    let (committed, next) = state
        .node
        .nonces(&id)
        .ok_or_else(|| not_found("UNKNOWN_PARTY_ID", format!("{id} is not registered")))?;
    Ok(Json(Nonces { party: id, committed, next }))
}

/// The title record: status, possessor, endorsee, lien, type, carrier.
#[utoipa::path(get, path = "/v1/bls/{bl_id}", tag = "bls",
    params(("bl_id" = String, Path, description = "64 hex")),
    responses((status = 200, body = Object), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn bl(
    State(state): State<ApiState>,
    Signed(caller): Signed,
    Path(bl_id): Path<String>,
) -> Result<Json<BlRecord>, ApiError> {
    let view = BlView::load(&state.node, parse_bl(&bl_id)?)?;
    view.authorise(&state.node, &caller)?;
    Ok(Json(view.record))
}

/// The BL's signed history: the endorsement chain, hash-chained, each entry naming its
/// transaction. Paged: at most `HISTORY_PAGE_MAX` entries from `fromSeq`, so a long chain costs
/// each reader what it asks for.
#[utoipa::path(get, path = "/v1/bls/{bl_id}/history", tag = "bls",
    params(("bl_id" = String, Path, description = "64 hex"), HistoryQuery),
    responses((status = 200, body = History), (status = 400, body = super::ErrorBody), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn history(
    State(state): State<ApiState>,
    Signed(caller): Signed,
    Path(bl_id): Path<String>,
    query: Result<Query<HistoryQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<History>, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "BAD_QUERY", e.body_text()))?;
    let limit = query.limit.unwrap_or(HISTORY_PAGE_MAX);
    if !(1..=HISTORY_PAGE_MAX).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "BAD_QUERY",
            format!("limit {limit}: a page holds 1 to {HISTORY_PAGE_MAX} entries"),
        ));
    }
    let view = BlView::load(&state.node, parse_bl(&bl_id)?)?;
    view.authorise(&state.node, &caller)?;
    let len = view.record.history_len;
    let from = query.from_seq.unwrap_or(0).min(len);
    let to = from.saturating_add(limit).min(len);
    let entries = view.history(&state.node, from..to)?;
    Ok(Json(History { bl_id: view.record.id, history_len: len, entries, next_seq: (to < len).then_some(to) }))
}

/// The DCSA TransportDocument as issued (its checksum is the record's `documentChecksum`).
#[utoipa::path(get, path = "/v1/bls/{bl_id}/document", tag = "bls",
    params(("bl_id" = String, Path, description = "64 hex")),
    responses((status = 200, body = Object), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn document(
    State(state): State<ApiState>,
    Signed(caller): Signed,
    Path(bl_id): Path<String>,
) -> Result<Json<TransportDocumentJson>, ApiError> {
    let view = BlView::load(&state.node, parse_bl(&bl_id)?)?;
    view.authorise(&state.node, &caller)?;
    let (_, issue) = view.issuance(&state.node)?;
    Ok(Json(issue.document))
}

fn proof_hex(node: &NodeView, key: &StateKey) -> Result<(u64, String), ApiError> {
    let bundle = node.prove(key).ok_or_else(|| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "NO_PROOF_YET", "no committed block to prove against")
    })?;
    Ok((bundle.header.height, hex::encode(ebl_ledger::encoding::encode(&bundle))))
}

/// The proof bundle of the BL's record at the tip, for a client that trusts only the genesis
/// validators.
#[utoipa::path(get, path = "/v1/bls/{bl_id}/proof", tag = "bls",
    params(("bl_id" = String, Path, description = "64 hex")),
    responses((status = 200, body = ProofResponse), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn proof(
    State(state): State<ApiState>,
    Signed(caller): Signed,
    Path(bl_id): Path<String>,
) -> Result<Json<ProofResponse>, ApiError> {
    let view = BlView::load(&state.node, parse_bl(&bl_id)?)?;
    view.authorise(&state.node, &caller)?;
    let (height, bundle) = proof_hex(&state.node, &StateKey::Bl(view.record.id))?;
    Ok(Json(ProofResponse { height, bundle }))
}

fn container_status(node: &NodeView, bl: BlId, equipment_reference: &str) -> ContainerStatus {
    let container = ContainerRef::new(bl, equipment_reference);
    let id = container.id();
    let release: Option<ReleaseRecord> = node.state(&StateKey::Release(id));
    let status = ContainerState::from(release.as_ref().map(|r| {
        let holds: HoldList = node.state(&StateKey::BlHolds(bl)).unwrap_or_default();
        r.status(&holds, node.tip().time_ms)
    }));
    ContainerStatus { equipment_reference: equipment_reference.to_owned(), container_id: id, status, release }
}

/// The release status of every container (`equipmentReference`) of the BL's document.
#[utoipa::path(get, path = "/v1/bls/{bl_id}/containers", tag = "release",
    params(("bl_id" = String, Path, description = "64 hex")),
    responses((status = 200, body = Containers), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn containers(
    State(state): State<ApiState>,
    Signed(caller): Signed,
    Path(bl_id): Path<String>,
) -> Result<Json<Containers>, ApiError> {
    let view = BlView::load(&state.node, parse_bl(&bl_id)?)?;
    view.authorise(&state.node, &caller)?;
    let (_, issue) = view.issuance(&state.node)?;
    let facts = facts_of(&issue.document)?;
    let bl = view.record.id;
    let containers =
        facts.equipment_references.iter().map(|e| container_status(&state.node, bl, e)).collect();
    Ok(Json(Containers { bl_id: bl, containers }))
}

fn facts_of(document: &TransportDocumentJson) -> Result<DocumentFacts, ApiError> {
    document.to_value().ok().and_then(|v| DocumentFacts::extract(&v).ok()).ok_or_else(|| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "STORE", "the stored document is unreadable")
    })
}

/// One container's release: its status and record. Readable also by its terminal and every
/// holder of its release right.
#[utoipa::path(get, path = "/v1/bls/{bl_id}/containers/{equipment_reference}", tag = "release",
    params(("bl_id" = String, Path, description = "64 hex"), ("equipment_reference" = String, Path, description = "DCSA equipmentReference")),
    responses((status = 200, body = ContainerStatus), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn container(
    State(state): State<ApiState>,
    Signed(caller): Signed,
    Path((bl_id, equipment_reference)): Path<(String, String)>,
) -> Result<Json<ContainerStatus>, ApiError> {
    let view = BlView::load(&state.node, parse_bl(&bl_id)?)?;
    let status = container_status(&state.node, view.record.id, &equipment_reference);
    if !status.release.as_ref().is_some_and(|r| takes_part(r, &caller.party)) {
        view.authorise(&state.node, &caller)?;
    }
    if status.release.is_none() {
        let (_, issue) = view.issuance(&state.node)?;
        if !facts_of(&issue.document)?.equipment_references.contains(&equipment_reference) {
            return Err(not_found(
                "UNKNOWN_CONTAINER",
                format!("BL {} has no container {equipment_reference:?}", view.record.id.0),
            ));
        }
    }
    Ok(Json(status))
}

fn named(node: &NodeView, party: PartyId) -> NamedParty {
    let record: Option<PartyRecord> = node.state(&StateKey::Party(party));
    NamedParty { party, legal_name: record.map(|r| r.legal_name) }
}

fn disclosure(node: &NodeView, record: &BlRecord) -> Disclosure {
    Disclosure {
        transport_document_reference: record.transport_document_reference.clone(),
        carrier: named(node, record.carrier),
        possessor: named(node, record.possessor),
        endorsee: record.endorsee.map(|p| named(node, p)),
        lien_active: record.lien.is_some(),
        issued_height: record.issued_height,
        updated_height: record.updated_height,
        updated_time_ms: node.storage().block_time_ms(record.updated_height).ok().flatten(),
    }
}

/// The active carriers (public: a BL's id is derived from its carrier and reference, so a
/// verifier must be able to name the carrier without an account).
#[utoipa::path(get, path = "/v1/carriers", tag = "bls", responses((status = 200, body = CarrierList)))]
pub async fn carriers(State(state): State<ApiState>) -> Json<CarrierList> {
    let carriers = state
        .node
        .registered_parties()
        .iter()
        .filter_map(|p| state.node.state::<PartyRecord>(&StateKey::Party(*p)))
        .filter(|r| r.is_active() && r.has_role(Role::Carrier))
        .map(|r| CarrierEntry {
            party: r.party,
            legal_name: r.legal_name,
            dcsa_party_code: r.codes.dcsa_party_code,
        })
        .collect();
    Json(CarrierList { carriers })
}

/// Public title verification: whether a BL exists and its status — no checksum, no party, no
/// lien state, no content — and whether a presented checksum is the document's; only a caller
/// who presented the matching checksum gets `disclosed` (names, lien, heights).
#[utoipa::path(get, path = "/v1/verify/{bl_id}", tag = "bls",
    params(("bl_id" = String, Path, description = "64 hex"), VerifyQuery),
    responses((status = 200, body = PublicVerification), (status = 400, body = super::ErrorBody)))]
pub async fn verify(
    State(state): State<ApiState>,
    Path(bl_id): Path<String>,
    query: Result<Query<VerifyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<PublicVerification>, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "BAD_QUERY", e.body_text()))?;
    let bl = parse_bl(&bl_id)?;
    let presented = query.checksum.as_deref().map(|c| parse_hash(c, "checksum")).transpose()?;
    let height = state.node.tip().height;
    let record: Option<BlRecord> = state.node.state(&StateKey::Bl(bl));
    Ok(Json(PublicVerification {
        bl_id: bl,
        found: record.is_some(),
        status: record.as_ref().map(|r| r.status),
        checksum_matches: presented.map(|c| record.as_ref().is_some_and(|r| r.document_checksum == c)),
        height,
        disclosed: record
            .as_ref()
            .filter(|r| presented == Some(r.document_checksum))
            .map(|r| disclosure(&state.node, r)),
    }))
}

/// The trade-finance check a bank runs before financing against a BL.
#[utoipa::path(post, path = "/v1/bls/{bl_id}/finance-check", tag = "bls",
    params(("bl_id" = String, Path, description = "64 hex")),
    request_body = FinanceCheckRequest,
    responses((status = 200, body = FinanceReport), (status = 403, body = super::ErrorBody), (status = 404, body = super::ErrorBody)))]
pub async fn finance_check(
    State(state): State<ApiState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Path(bl_id): Path<String>,
    body: Bytes,
) -> Result<Json<FinanceReport>, ApiError> {
    let caller = state.auth.authenticate(&state.node, &method, &uri, &headers, Some(&body))?;
    let request: FinanceCheckRequest = if body.is_empty() {
        FinanceCheckRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "MALFORMED_JSON", e.to_string()))?
    };
    if !caller.record.has_role(Role::Bank) {
        return Err(forbidden(format!("{} is not a bank: only a bank runs a finance check", caller.party)));
    }
    let node = &state.node;
    let view = BlView::load(node, parse_bl(&bl_id)?)?;
    let record = &view.record;
    let presented = request
        .document
        .as_ref()
        .map(|d| {
            TransportDocumentJson::from_value(d)
                .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "DOCUMENT_INVALID", e.to_string()))
        })
        .transpose()?;
    let checksum_matches = presented.as_ref().map(|d| d.checksum() == record.document_checksum);
    // A bank off the chain proves it holds the document before it learns anything.
    if !(caller.reads_everything() || view.on_chain(node, &caller.party) || checksum_matches == Some(true)) {
        return Err(forbidden(format!(
            "{} is not a party to BL {}: present the document to check it",
            caller.party, record.id.0
        )));
    }
    let (issue_tx, issue) = view.issuance(node)?;
    // Signed by the carrier's key of the time (its id, or a key it had rotated to).
    let issuer = issue_tx.body.signers.first().and_then(|key| node.party_of_key(key).ok());
    let carrier_signature_valid = issuer == Some(record.carrier) && issue_tx.clone().verify().is_ok();
    // The verdict is the ledger's pure function (ebl_ledger::finance), the very one a client
    // runs again on the record it verified itself: this answer is never taken on trust.
    let facts = match &request.lc_terms {
        Some(_) => Some(facts_of(&issue.document)?),
        None => None,
    };
    let verdict = finance_verdict(&FinanceInputs {
        record,
        bank: &caller.party,
        time_ms: node.tip().time_ms,
        presented_checksum: presented.as_ref().map(|d| d.checksum()),
        facts: facts.as_ref(),
        lc_terms: request.lc_terms.as_ref(),
        carrier_signature_valid,
    })
    .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "BAD_LC_TERMS", e.to_string()))?;
    let (height, proof) = proof_hex(node, &StateKey::Bl(record.id))?;
    Ok(Json(FinanceReport {
        bl_id: record.id,
        bank: caller.party,
        height,
        passed: verdict.passed,
        carrier_signature_valid: verdict.carrier_signature_valid,
        checksum_matches: verdict.checksum_matches,
        one_live_original: verdict.one_live_original,
        status: record.status,
        possessor: record.possessor,
        endorsee: record.endorsee,
        lien: verdict.lien,
        lien_status: verdict.lien_status,
        terms: verdict.terms,
        failures: verdict.failures,
        proof,
    }))
}

/// Whether `party` takes part in a container's release: its terminal, its right holder or an
/// earlier one.
fn takes_part(release: &ReleaseRecord, party: &PartyId) -> bool {
    release.terminal == *party || release.right_holder == *party || release.delegated_from.contains(party)
}

/// Whether `party` takes part in the release of `container` (none: not released).
pub(super) fn release_party(node: &NodeView, container: &ContainerRef, party: &PartyId) -> bool {
    node.state::<ReleaseRecord>(&StateKey::Release(container.id())).is_some_and(|r| takes_part(&r, party))
}

/// Whether `caller` may read BL `bl` (the event stream's filter): one index read. Every party
/// of the record's fields was indexed with the BL by the transaction that put it there.
pub(super) fn may_read_bl(node: &NodeView, bl: BlId, caller: &Caller) -> bool {
    caller.reads_everything() || node.party_on_bl(&caller.party, &bl)
}
