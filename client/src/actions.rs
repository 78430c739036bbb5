//! Helpers to make actions from what a user has at hand: a BL named by reference, a DCSA
//! document file, a refusal code to explain.

use std::fmt;
use std::str::FromStr;

use ebl_ledger::action::IssueBl;
use ebl_ledger::dcsa::{check_required_fields, DocumentFacts, TransportDocumentJson};
use ebl_ledger::records::TransportDocumentType;
use ebl_ledger::{BlId, ErrorCode, Hash, PartyId};

use crate::error::{ClientError, Result};

/// A BL as a user names it: its 64-hex id, or `REFERENCE@ebl:<carrier hex>` (the DCSA
/// `transportDocumentReference` and the issuing carrier, from which the id is computed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlRef {
    Id(BlId),
    Reference { reference: String, carrier: PartyId },
}

impl BlRef {
    pub fn id(&self) -> BlId {
        match self {
            BlRef::Id(id) => *id,
            BlRef::Reference { reference, carrier } => BlId::new(carrier, reference),
        }
    }
}

impl FromStr for BlRef {
    type Err = ClientError;
    fn from_str(text: &str) -> Result<Self> {
        let text = text.trim();
        if let Some((reference, carrier)) = text.rsplit_once('@') {
            if reference.is_empty() {
                return Err(ClientError::Input(format!("BL {text:?}: the reference before '@' is empty")));
            }
            let carrier = carrier.parse::<PartyId>().map_err(|e| {
                ClientError::Input(format!("BL {text:?}: the carrier after '@' is not ebl:<64 hex> ({e})"))
            })?;
            return Ok(BlRef::Reference { reference: reference.to_owned(), carrier });
        }
        text.parse::<Hash>().map(|h| BlRef::Id(BlId(h))).map_err(|_| {
            ClientError::Input(format!(
                "BL {text:?} is neither a 64-hex BL id nor REFERENCE@ebl:<carrier hex>"
            ))
        })
    }
}

impl fmt::Display for BlRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlRef::Id(id) => write!(f, "{id}"),
            BlRef::Reference { reference, carrier } => write!(f, "{reference}@{carrier}"),
        }
    }
}

/// The parties an ISSUE names besides the carrier (who signs it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueParties {
    pub issue_to: PartyId,
    pub shipper: PartyId,
    pub consignee: Option<PartyId>,
    pub endorsee: Option<PartyId>,
    pub agents: Vec<PartyId>,
}

/// An ISSUE from the JSON text of a DCSA TransportDocument: the reference, type and
/// `isToOrder` are read from the document, so the user does not repeat them. The document is
/// checked against the DCSA 3.0 required fields first.
pub fn issue_from_document(json: &str, parties: &IssueParties) -> Result<IssueBl> {
    let document = TransportDocumentJson::parse(json).map_err(|e| ClientError::Document(e.to_string()))?;
    issue_from(document, parties)
}

/// An ISSUE from a parsed DCSA TransportDocument.
pub fn issue_from(document: TransportDocumentJson, parties: &IssueParties) -> Result<IssueBl> {
    let value = document.to_value().map_err(|e| ClientError::Document(e.to_string()))?;
    // Checked here too, so a document the ledger would refuse does not spend a nonce.
    check_required_fields(&value).map_err(|e| ClientError::Document(e.to_string()))?;
    let facts = DocumentFacts::extract(&value).map_err(|e| ClientError::Document(e.to_string()))?;
    let transport_document_type = match facts.transport_document_type_code.as_str() {
        "BOL" => TransportDocumentType::Bol,
        "SWB" => TransportDocumentType::Swb,
        other => {
            return Err(ClientError::Document(format!(
                "transportDocumentTypeCode {other:?} is not BOL or SWB"
            )))
        }
    };
    Ok(IssueBl {
        transport_document_reference: facts.transport_document_reference,
        transport_document_type,
        is_to_order: facts.is_to_order,
        document,
        issue_to: parties.issue_to,
        shipper: parties.shipper,
        consignee: parties.consignee,
        endorsee: parties.endorsee,
        agents: parties.agents.clone(),
    })
}

/// The hash a driver's identifier or a one-time pickup code is recorded under: SHA-256 of its
/// UTF-8 bytes (the contract compares a presented pickup code the same way).
pub fn secret_hash(text: &str) -> Hash {
    Hash::digest(text.as_bytes())
}

/// What a refusal code (a receipt's outcome) means, in a sentence a user can act on.
pub fn explain_refusal(code: &str) -> Option<&'static str> {
    let code = ErrorCode::ALL.into_iter().find(|c| c.code() == code)?;
    Some(match code {
        ErrorCode::InvalidInput => "a field is empty, too long, out of range or inconsistent with another",
        ErrorCode::WrongRole => "the signer lacks the role this action needs (ask the registrar)",
        ErrorCode::NotAuthorized => {
            "the signer is not the party the rule names (issuing carrier, lienholder, …)"
        }
        ErrorCode::MissingCosigner => {
            "a party whose signature the action needs did not sign (add it with --cosigner)"
        }
        ErrorCode::UnknownParty => "a party named or signing is not registered",
        ErrorCode::PartySuspended => "a party named or signing is suspended",
        ErrorCode::PartyExists => "this party is registered already",
        ErrorCode::UnknownBl => "there is no BL with this id on the ledger",
        ErrorCode::BlExists => "this carrier already issued a BL with this reference (one live original)",
        ErrorCode::IllegalTransition => "the BL's current status does not allow this action",
        ErrorCode::WrongDocumentType => {
            "the action does not apply to this type of document (straight, to order, sea waybill)"
        }
        ErrorCode::NotPossessor => "only the BL's possessor may do this",
        ErrorCode::NotEndorsee => {
            "only the BL's endorsee may do this (or any possessor of a blank-endorsed BL)"
        }
        ErrorCode::EndorsementNotAllowed => "this endorsee may not endorse further",
        ErrorCode::RecipientNotAllowed => {
            "a straight BL passes only among its shipper, consignee and their agents"
        }
        ErrorCode::NothingToReject => "there is no transfer to this party for it to reject",
        ErrorCode::LienActive => "an active lien blocks this; the lienholder bank must co-sign",
        ErrorCode::LienAlreadyActive => "a lien is active already (double financing refused)",
        ErrorCode::NoActiveLien => "the BL has no active lien",
        ErrorCode::NotLienholder => "only the lienholder bank may do this",
        ErrorCode::ReplacementMismatch => "the voided BLs and the replacements do not match",
        ErrorCode::ReleaseExists => "this container's release was ordered already",
        ErrorCode::UnknownRelease => "no release was ordered for this container",
        ErrorCode::HoldActive => "a customs or terminal hold is active",
        ErrorCode::UnknownHold => "no active hold has this id",
        ErrorCode::NotRightHolder => "only the holder of the release right may do this",
        ErrorCode::ReleaseNotYetValid => "the release is not valid yet",
        ErrorCode::ReleaseExpired => "the release has expired",
        ErrorCode::ChargesUnsettled => "the carrier's charges are not settled",
        ErrorCode::NoPickupAssigned => "no pickup (truck, driver, slot) is assigned",
        ErrorCode::TruckMismatch => "the truck is not the one assigned",
        ErrorCode::DriverMismatch => "the driver is not the one assigned",
        ErrorCode::PickupCodeMismatch => "the pickup code is wrong or missing",
        ErrorCode::OutsidePickupSlot => "outside the assigned pickup slot",
        ErrorCode::LimitReached => "a limit on holds, delegations or containers is reached",
        ErrorCode::DocumentInvalid => "the TransportDocument lacks a field DCSA eBL 3.0 requires",
        ErrorCode::DocumentMismatch => "the action's reference, type or isToOrder differ from the document's",
        ErrorCode::AlreadySigned => {
            "the possessor signed already during its possession (one SIGN per possession)"
        }
        ErrorCode::NotAValidator => "the signer does not operate a validator of the current set",
        ErrorCode::UnknownProposal => {
            "no open proposal has this id (in effect, made void by another change, or expired)"
        }
        ErrorCode::AlreadyApproved => "this operator approved the proposal already",
        ErrorCode::ChangePending => {
            "an approved validator change is not in force yet; try again in a few blocks"
        }
        ErrorCode::ValidatorExists => "the validator, its operator or one of its keys is in the set already",
        ErrorCode::UnknownValidator => "no validator of the set has this consensus key",
        ErrorCode::ValidatorSetTooSmall => "the set would have fewer than four validators",
        ErrorCode::PowerChangeTooLarge => {
            "the change moves a third of the voting power or more at once; make it in steps"
        }
        ErrorCode::KeyInUse => {
            "the key is, or was, a party's or a validator's key (one key, one use, never again)"
        }
        ErrorCode::UnknownObserver => "no observer has this node key",
        ErrorCode::KeyRotated => {
            "the key no longer signs for its party: the party rotated to another key (use that one)"
        }
        ErrorCode::LastRegistrar => {
            "the change would leave fewer registrars than the quorum, or one registrar alone"
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebl_ledger::Keypair;

    #[test]
    fn bl_refs_parse_by_id_or_by_reference() {
        let carrier = Keypair::from_seed([5; 32]).party();
        let id = BlId::new(&carrier, "MAEU123");
        assert_eq!(id.to_string().parse::<BlRef>().expect("id").id(), id);
        let by_ref: BlRef = format!("MAEU123@{carrier}").parse().expect("ref");
        assert_eq!(by_ref.id(), id);
        assert_eq!(by_ref.to_string(), format!("MAEU123@{carrier}"));
        assert!("MAEU123".parse::<BlRef>().is_err());
        assert!("@ebl:00".parse::<BlRef>().is_err());
        assert!("X@ebl:zz".parse::<BlRef>().is_err());
    }

    const DOCUMENT: &str = include_str!("../tests/fixtures/regularSTDExample.json");

    #[test]
    fn an_issue_takes_reference_type_and_order_from_the_document() {
        let parties = IssueParties {
            issue_to: Keypair::from_seed([1; 32]).party(),
            shipper: Keypair::from_seed([1; 32]).party(),
            consignee: None,
            endorsee: Some(Keypair::from_seed([1; 32]).party()),
            agents: Vec::new(),
        };
        let issue = issue_from_document(DOCUMENT, &parties).expect("issue");
        assert_eq!(issue.transport_document_reference, "62CD536BA8D34C469AFD");
        assert_eq!(issue.transport_document_type, TransportDocumentType::Bol);
        assert!(issue.is_to_order);
        assert_eq!(issue.document, TransportDocumentJson::parse(DOCUMENT).expect("doc"));
        assert_eq!(issue.endorsee, parties.endorsee);
        let mut broken: serde_json::Value = serde_json::from_str(DOCUMENT).expect("json");
        broken.as_object_mut().expect("object").remove("transportDocumentReference");
        assert!(matches!(issue_from_document(&broken.to_string(), &parties), Err(ClientError::Document(_))));
        assert!(matches!(issue_from_document("{", &parties), Err(ClientError::Document(_))));
    }

    #[test]
    fn every_refusal_code_is_explained() {
        for code in ErrorCode::ALL {
            assert!(explain_refusal(code.code()).is_some(), "{code}");
        }
        assert_eq!(explain_refusal("SUCCESS"), None);
    }
}
