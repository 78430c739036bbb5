//! What a transaction asks the ledger to do. These are data only; the rules that decide
//! whether an action is allowed live in `ebl-contracts`.
//!
//! Names follow DCSA eBL 3.0 / PINT 3.0 where DCSA has the concept (`ISSUE`, `TRANSFER`,
//! `ENDORSE`, `ENDORSE_TO_ORDER`, `BLANK_ENDORSE`, `SIGN`, `SURRENDER_FOR_DELIVERY`,
//! `SURRENDER_FOR_AMENDMENT`, `SACC`, `SREJ`).
//!
//! The borsh encoding of these enums is their variant order: append new variants at the end,
//! never reorder.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::dcsa::TransportDocumentJson;
use crate::hash::Hash;
use crate::keys::PartyId;
use crate::records::{BlId, ContainerRef, Role, RoleSet, TransportDocumentType};

/// The payload of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    // ---- parties (registrar) ----
    RegisterParty(RegisterParty),
    SetPartyRoles { party: PartyId, roles: RoleSet },
    SuspendParty { party: PartyId },
    ReinstateParty { party: PartyId },

    // ---- eBL title ----
    Issue(IssueBl),
    Transfer { bl: BlId, to: PartyId },
    Endorse { bl: BlId, endorsee: PartyId },
    EndorseToOrder { bl: BlId, endorsee: PartyId },
    BlankEndorse { bl: BlId },
    Sign { bl: BlId },
    RejectTransfer { bl: BlId, reason: String },
    SurrenderForDelivery { bl: BlId },
    SurrenderForAmendment { bl: BlId, reason: AmendmentReason },
    AcceptSurrender { bl: BlId },
    RejectSurrender { bl: BlId, reason: String },
    Reissue(Reissue),
    SwitchToPaper { bl: BlId, paper_bl_number: String },

    // ---- liens (trade finance) ----
    CreateLien(CreateLien),
    ReleaseLien { bl: BlId },

    // ---- container release ----
    IssueReleaseOrder(IssueReleaseOrder),
    SettleCharges { container: ContainerRef },
    PlaceHold(PlaceHold),
    LiftHold { target: HoldTarget, hold_id: u32 },
    DelegateRelease { container: ContainerRef, to: PartyId },
    RevokeRelease { container: ContainerRef, reason: String },
    AssignPickup(AssignPickup),
    GateOut(GateOut),
    EmptyReturn(EmptyReturn),
}

impl Action {
    /// The stable name of the action, as in receipts, logs and the API.
    pub fn name(&self) -> &'static str {
        match self {
            Action::RegisterParty(_) => "REGISTER_PARTY",
            Action::SetPartyRoles { .. } => "SET_PARTY_ROLES",
            Action::SuspendParty { .. } => "SUSPEND_PARTY",
            Action::ReinstateParty { .. } => "REINSTATE_PARTY",
            Action::Issue(_) => "ISSUE",
            Action::Transfer { .. } => "TRANSFER",
            Action::Endorse { .. } => "ENDORSE",
            Action::EndorseToOrder { .. } => "ENDORSE_TO_ORDER",
            Action::BlankEndorse { .. } => "BLANK_ENDORSE",
            Action::Sign { .. } => "SIGN",
            Action::RejectTransfer { .. } => "REJECT",
            Action::SurrenderForDelivery { .. } => "SURRENDER_FOR_DELIVERY",
            Action::SurrenderForAmendment { .. } => "SURRENDER_FOR_AMENDMENT",
            Action::AcceptSurrender { .. } => "SACC",
            Action::RejectSurrender { .. } => "SREJ",
            Action::Reissue(_) => "REISSUE",
            Action::SwitchToPaper { .. } => "SWITCH_TO_PAPER",
            Action::CreateLien(_) => "CREATE_LIEN",
            Action::ReleaseLien { .. } => "RELEASE_LIEN",
            Action::IssueReleaseOrder(_) => "ISSUE_RELEASE_ORDER",
            Action::SettleCharges { .. } => "SETTLE_CHARGES",
            Action::PlaceHold(_) => "PLACE_HOLD",
            Action::LiftHold { .. } => "LIFT_HOLD",
            Action::DelegateRelease { .. } => "DELEGATE_RELEASE",
            Action::RevokeRelease { .. } => "REVOKE_RELEASE",
            Action::AssignPickup(_) => "ASSIGN_PICKUP",
            Action::GateOut(_) => "GATE_OUT",
            Action::EmptyReturn(_) => "EMPTY_RETURN",
        }
    }
}

impl Action {
    /// The existing BL a title or lien action acts on (`None` for every other action, ISSUE and
    /// REISSUE included).
    pub fn title_bl(&self) -> Option<BlId> {
        match self {
            Action::Transfer { bl, .. }
            | Action::Endorse { bl, .. }
            | Action::EndorseToOrder { bl, .. }
            | Action::BlankEndorse { bl }
            | Action::Sign { bl }
            | Action::RejectTransfer { bl, .. }
            | Action::SurrenderForDelivery { bl }
            | Action::SurrenderForAmendment { bl, .. }
            | Action::AcceptSurrender { bl }
            | Action::RejectSurrender { bl, .. }
            | Action::SwitchToPaper { bl, .. }
            | Action::ReleaseLien { bl } => Some(*bl),
            Action::CreateLien(a) => Some(a.bl),
            _ => None,
        }
    }
}

/// The registrar onboards a party.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegisterParty {
    pub party: PartyId,
    pub legal_name: String,
    pub roles: RoleSet,
    pub codes: ExternalCodes,
}

/// Identifiers a party is known by outside the ledger.
#[derive(Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalCodes {
    /// DCSA party code (`partyCode` with `codeListProvider` DCSA).
    pub dcsa_party_code: Option<String>,
    /// ISO 17442 Legal Entity Identifier (20 characters).
    pub lei: Option<String>,
    /// China's Unified Social Credit Identifier (18 characters).
    pub uscc: Option<String>,
}

/// ISSUE: the carrier issues an eBL (or records a sea waybill) from a DCSA TransportDocument.
/// The document travels in the action, in RFC 8785 canonical form, signed by the carrier; the
/// ledger checks it against DCSA 3.0, records its checksum (which never changes) and serves its
/// content only to the BL's authorised readers.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueBl {
    /// DCSA `transportDocumentReference`: unique per carrier.
    pub transport_document_reference: String,
    /// DCSA `transportDocumentTypeCode`.
    pub transport_document_type: TransportDocumentType,
    /// DCSA `isToOrder`.
    pub is_to_order: bool,
    /// The DCSA TransportDocument; its reference, type and `isToOrder` must equal the fields
    /// above. Its checksum is SHA-256 of its canonical text.
    pub document: TransportDocumentJson,
    /// DCSA `issueTo` party: the first possessor.
    pub issue_to: PartyId,
    pub shipper: PartyId,
    /// Required for a straight BL and a sea waybill; absent on a to-order BL.
    pub consignee: Option<PartyId>,
    /// To-order BL: the first endorsee (often the shipper, "to order of shipper").
    /// `None` issues it endorsed in blank.
    pub endorsee: Option<PartyId>,
    /// Straight BL: parties acting for the shipper or consignee that may hold it.
    pub agents: Vec<PartyId>,
}

/// DCSA reason codes for SURRENDER_FOR_AMENDMENT.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AmendmentReason {
    /// SWTP: switch to paper.
    Swtp,
    /// COD: change of destination.
    Cod,
    /// SWI: switch BL (split, merge, other re-issue).
    Swi,
    /// Any other amendment, described off-ledger.
    Other,
}

/// REISSUE: after accepting surrenders for amendment (now VOIDED), the carrier issues the
/// replacement BL(s). One voided → one new is an amendment; one → many a split; many → one a merge.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reissue {
    pub voided: Vec<BlId>,
    pub replacements: Vec<IssueBl>,
}

/// CREATE_LIEN: the party entitled to the goods (the possessor who may surrender the BL) pledges
/// it to a bank. Signed by both.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateLien {
    pub bl: BlId,
    pub bank: PartyId,
    /// Amount in minor units of `currency` (cents for USD).
    pub amount_minor: u64,
    /// ISO 4217 code, three upper-case letters.
    pub currency: String,
    /// Block time (ms since the Unix epoch) after which the lien no longer binds.
    pub expires_at_ms: u64,
    /// The bank's facility or letter-of-credit reference.
    pub finance_reference: String,
}

/// ISSUE_RELEASE_ORDER: the carrier releases containers of a surrendered BL (or of a sea
/// waybill to its consignee).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueReleaseOrder {
    pub bl: BlId,
    /// DCSA `equipmentReference` of each container released.
    pub equipment_references: Vec<String>,
    /// The terminal where the containers are picked up.
    pub terminal: PartyId,
    pub valid_from_ms: u64,
    pub valid_until_ms: u64,
    pub charges_settled: bool,
}

/// Who places a hold.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HoldAuthority {
    Customs,
    Terminal,
}

/// A hold on one container or on every container of a BL.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HoldTarget {
    Container(ContainerRef),
    Bl { bl: BlId },
}

#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceHold {
    pub target: HoldTarget,
    pub authority: HoldAuthority,
    pub reason: String,
    /// Customs declaration number (e.g. a Chinese customs declaration form number).
    pub declaration_number: Option<String>,
}

/// ASSIGN_PICKUP: the right holder binds the right to a truck, a driver and a slot.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignPickup {
    pub container: ContainerRef,
    pub truck_plate: String,
    /// SHA-256 of the driver's identifier; the identifier itself never reaches the ledger.
    pub driver_id_hash: Hash,
    pub slot_start_ms: u64,
    pub slot_end_ms: u64,
    /// SHA-256 of a one-time pickup code handed to the driver, if one is used.
    pub pickup_code_hash: Option<Hash>,
}

/// GATE_OUT: the terminal records the outbound Equipment Interchange Receipt.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GateOut {
    pub container: ContainerRef,
    pub truck_plate: String,
    pub driver_id_hash: Hash,
    /// The one-time code the driver presented, if the assignment requires one.
    pub pickup_code: Option<String>,
    pub seal_numbers: Vec<String>,
    pub condition: String,
}

/// EMPTY_RETURN: the terminal or depot records the inbound EIR and closes the container.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmptyReturn {
    pub container: ContainerRef,
    pub damage_notes: String,
}

impl From<Role> for RoleSet {
    fn from(role: Role) -> Self {
        RoleSet::of(&[role])
    }
}
