//! BLs, their documents and containers, the party registry, public verification and the
//! trade-finance check.

use std::fmt;

use ebl_ledger::finance::LienStatus;
use ebl_ledger::finance::{LcTerms, TermCheck};
use ebl_ledger::records::{HistoryEntry, Lien, ReleaseStatus};
use ebl_ledger::{BlId, BlStatus, Hash, PartyId, PartyRecord, ReleaseRecord};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::{IntoParams, PartialSchema, ToSchema};

/// History entries one page holds at most (and by default).
pub const HISTORY_PAGE_MAX: u32 = 200;

/// `GET /v1/parties`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PartyList {
    #[schema(value_type = Vec<Object>)]
    pub parties: Vec<PartyRecord>,
}

/// `GET /v1/parties/{party}/nonce`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Nonces {
    #[schema(value_type = String)]
    pub party: PartyId,
    /// The next nonce the committed state expects.
    pub committed: u64,
    /// The next nonce counting this node's pending transactions: what to sign next.
    pub next: u64,
}

/// The query of `GET /v1/bls/{blId}/history`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// The first entry's `seq` (default 0, the ISSUE).
    pub from_seq: Option<u32>,
    /// Entries in the page, 1 to `HISTORY_PAGE_MAX` (the default).
    pub limit: Option<u32>,
}

/// `GET /v1/bls/{blId}/history`: one page of the hash-chained endorsement chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct History {
    #[schema(value_type = String)]
    pub bl_id: BlId,
    /// Entries in the whole history (the record's `historyLen`).
    #[serde(default)]
    pub history_len: u32,
    /// Oldest first, from `fromSeq`; each entry's `prev` is the hash of the one before.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<HistoryEntry>,
    /// The `fromSeq` of the next page; absent on the last.
    #[serde(default)]
    pub next_seq: Option<u32>,
}

/// `GET /v1/bls/{blId}/proof`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProofResponse {
    pub height: u64,
    /// Hex of the borsh `ProofBundle`: record, JMT proof, block header, commit certificate.
    pub bundle: String,
}

/// Where a container's release stands: `NOT_RELEASED`, or its DESIGN §6 status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerState {
    /// No release order names it.
    NotReleased,
    Release(ReleaseStatus),
}

impl ContainerState {
    /// The release status, if released.
    pub fn release(self) -> Option<ReleaseStatus> {
        match self {
            ContainerState::NotReleased => None,
            ContainerState::Release(status) => Some(status),
        }
    }
}

impl From<Option<ReleaseStatus>> for ContainerState {
    fn from(status: Option<ReleaseStatus>) -> Self {
        status.map_or(ContainerState::NotReleased, ContainerState::Release)
    }
}

impl fmt::Display for ContainerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContainerState::NotReleased => f.write_str("NOT_RELEASED"),
            ContainerState::Release(status) => match serde_json::to_value(status) {
                Ok(serde_json::Value::String(name)) => f.write_str(&name),
                _ => write!(f, "{status:?}"),
            },
        }
    }
}

impl Serialize for ContainerState {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ContainerState::NotReleased => s.serialize_str("NOT_RELEASED"),
            ContainerState::Release(status) => status.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ContainerState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text == "NOT_RELEASED" {
            return Ok(ContainerState::NotReleased);
        }
        serde_json::from_value(serde_json::Value::String(text))
            .map(ContainerState::Release)
            .map_err(serde::de::Error::custom)
    }
}

impl PartialSchema for ContainerState {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::schema::ContainerStateName::schema()
    }
}

impl ToSchema for ContainerState {}

/// The release status of one container of a BL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    pub equipment_reference: String,
    #[schema(value_type = String)]
    pub container_id: Hash,
    /// `NOT_RELEASED`, or the DESIGN §6 state (`HELD`, `AVAILABLE`, `GATED_OUT`, …).
    pub status: ContainerState,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub release: Option<ReleaseRecord>,
}

/// `GET /v1/bls/{blId}/containers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Containers {
    #[schema(value_type = String)]
    pub bl_id: BlId,
    pub containers: Vec<ContainerStatus>,
}

/// The query of `GET /v1/verify/{blId}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// The checksum of the document the caller holds (64 hex).
    pub checksum: Option<String>,
}

/// `GET /v1/verify/{blId}`: checksum-level facts, and names to the document's holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PublicVerification {
    #[schema(value_type = String)]
    pub bl_id: BlId,
    pub found: bool,
    #[serde(default)]
    #[schema(value_type = Option<crate::schema::BlStatusName>)]
    pub status: Option<BlStatus>,
    /// Whether the presented checksum is the ledger's (absent when none was presented). The
    /// ledger's checksum itself is never told: presenting it is what proves the caller holds
    /// the document.
    #[serde(default)]
    pub checksum_matches: Option<bool>,
    /// The committed height this answer reflects.
    pub height: u64,
    /// Who the BL names and where it stands, only to a caller who presented the matching
    /// checksum: whoever holds the document can read those names in it anyway.
    #[serde(default)]
    pub disclosed: Option<Disclosure>,
}

/// A party by id and, when registered, legal name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NamedParty {
    #[schema(value_type = String)]
    pub party: PartyId,
    pub legal_name: Option<String>,
}

/// What a holder of the document learns from the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Disclosure {
    pub transport_document_reference: String,
    pub carrier: NamedParty,
    pub possessor: NamedParty,
    pub endorsee: Option<NamedParty>,
    pub lien_active: bool,
    pub issued_height: u64,
    /// The height of the last action on the BL, and that block's time (ms since the epoch).
    pub updated_height: u64,
    pub updated_time_ms: Option<u64>,
}

/// A carrier of the registry: whom a BL's id is derived from, with its reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CarrierEntry {
    #[schema(value_type = String)]
    pub party: PartyId,
    pub legal_name: String,
    pub dcsa_party_code: Option<String>,
}

/// `GET /v1/carriers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CarrierList {
    pub carriers: Vec<CarrierEntry>,
}

/// The body of `POST /v1/bls/{blId}/finance-check` (every field optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FinanceCheckRequest {
    /// The DCSA TransportDocument presented to the bank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub document: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub lc_terms: Option<LcTerms>,
}

/// The answer of a finance check: the node's report, which a client verifies (ADR 0017).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FinanceReport {
    #[schema(value_type = String)]
    pub bl_id: BlId,
    #[schema(value_type = String)]
    pub bank: PartyId,
    pub height: u64,
    pub passed: bool,
    /// The ISSUE transaction is signed by the issuing carrier's key (checked again here).
    pub carrier_signature_valid: bool,
    /// The presented document's checksum is the ledger's (`null`: none presented).
    #[serde(default)]
    pub checksum_matches: Option<bool>,
    /// The BL is ISSUED: one live original, not surrendered, voided, switched or pending.
    pub one_live_original: bool,
    #[schema(value_type = crate::schema::BlStatusName)]
    pub status: BlStatus,
    #[schema(value_type = String)]
    pub possessor: PartyId,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub endorsee: Option<PartyId>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub lien: Option<Lien>,
    /// `NONE`, `HELD_BY_THIS_BANK` or `HELD_BY_OTHER_BANK`.
    #[schema(value_type = crate::schema::LienStatusName)]
    pub lien_status: LienStatus,
    #[serde(default)]
    #[schema(value_type = Vec<Object>)]
    pub terms: Vec<TermCheck>,
    /// Why it did not pass, one sentence each.
    #[serde(default)]
    pub failures: Vec<String>,
    /// Hex of the borsh `ProofBundle` of the record.
    pub proof: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn container_states_are_the_strings_they_always_were() {
        for (state, text) in [
            (ContainerState::NotReleased, "NOT_RELEASED"),
            (ContainerState::Release(ReleaseStatus::Held), "HELD"),
            (ContainerState::Release(ReleaseStatus::PickupAssigned), "PICKUP_ASSIGNED"),
        ] {
            assert_eq!(serde_json::to_value(state).expect("serialises"), json!(text));
            assert_eq!(serde_json::from_value::<ContainerState>(json!(text)).expect("parses"), state);
            assert_eq!(state.to_string(), text);
        }
        assert!(serde_json::from_value::<ContainerState>(json!("LOST")).is_err());
    }

    #[test]
    fn a_finance_check_request_sends_only_what_it_has_and_refuses_unknown_fields() {
        assert_eq!(serde_json::to_value(FinanceCheckRequest::default()).expect("serialises"), json!({}));
        assert!(serde_json::from_value::<FinanceCheckRequest>(json!({"documnet": {}})).is_err());
        assert_eq!(
            serde_json::from_value::<FinanceCheckRequest>(json!({})).expect("parses"),
            FinanceCheckRequest::default()
        );
    }
}
