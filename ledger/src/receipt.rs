//! Receipts: the deterministic outcome of every transaction in a block.

use std::fmt;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::hash::{domain, Hash};
use crate::tx::TxId;

/// Why the ledger refused an action. The text form (`code()`) is stable: clients match on it.
///
/// Borsh encodes the variant index: append new codes at the end, never reorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub enum ErrorCode {
    /// A field is empty, too long, out of range or inconsistent with another field.
    InvalidInput,
    /// The signer lacks the role the action needs.
    WrongRole,
    /// The signer is not the party the rule names (possessor, issuing carrier, lienholder, …).
    NotAuthorized,
    /// A party whose signature the action needs did not sign.
    MissingCosigner,
    UnknownParty,
    PartySuspended,
    PartyExists,
    UnknownBl,
    /// A BL with this carrier and reference exists already (singularity).
    BlExists,
    /// The action is not allowed in the BL's current status.
    IllegalTransition,
    /// The action does not apply to this type of document (straight, to-order, sea waybill).
    WrongDocumentType,
    NotPossessor,
    NotEndorsee,
    /// A plain ENDORSE names an endorsee that may not endorse further (DCSA PINT).
    EndorsementNotAllowed,
    /// A straight BL may only pass among its shipper, consignee and their agents.
    RecipientNotAllowed,
    /// There is no transfer for this party to reject.
    NothingToReject,
    /// An active lien blocks this action unless the lienholder co-signs.
    LienActive,
    /// A lien is active already: the double-financing check.
    LienAlreadyActive,
    NoActiveLien,
    NotLienholder,
    /// The voided BLs and the replacements do not match (not voided, already replaced,
    /// different carrier or requester).
    ReplacementMismatch,
    ReleaseExists,
    UnknownRelease,
    /// A customs or terminal hold is active.
    HoldActive,
    UnknownHold,
    NotRightHolder,
    ReleaseNotYetValid,
    ReleaseExpired,
    ChargesUnsettled,
    NoPickupAssigned,
    TruckMismatch,
    DriverMismatch,
    PickupCodeMismatch,
    OutsidePickupSlot,
    /// A limit on holds, delegations or containers is reached.
    LimitReached,
    /// The TransportDocument lacks a field DCSA eBL 3.0 requires, or is not canonical JSON.
    DocumentInvalid,
    /// The action's reference, type or `isToOrder` differ from the document's.
    DocumentMismatch,
    /// The possessor signed already during its possession (one SIGN per possession).
    AlreadySigned,
    /// The signer is not the operator of a validator of the set the change governs.
    NotAValidator,
    /// No open proposal has this id: never made, already in effect, void because another
    /// change took its epoch's place, or expired.
    UnknownProposal,
    /// This operator approved the proposal already.
    AlreadyApproved,
    /// An approved validator change is not yet in force; propose or approve after it is.
    ChangePending,
    /// The validator, its operator or one of its keys is in the set already.
    ValidatorExists,
    /// No validator of the set has this consensus key.
    UnknownValidator,
    /// The change would leave fewer validators than the minimum (four: f = 1).
    ValidatorSetTooSmall,
    /// The change moves a third of the voting power or more at once.
    PowerChangeTooLarge,
    /// The key is a registered party's key or a validator's: one key, one use.
    KeyInUse,
    /// The change would leave fewer active registrars than the registry's quorum, or one
    /// registrar alone where there were more.
    LastRegistrar,
    /// No observer has this node key.
    UnknownObserver,
    /// The key no longer signs for its party: the party rotated to another key.
    KeyRotated,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 50] = [
        ErrorCode::InvalidInput,
        ErrorCode::WrongRole,
        ErrorCode::NotAuthorized,
        ErrorCode::MissingCosigner,
        ErrorCode::UnknownParty,
        ErrorCode::PartySuspended,
        ErrorCode::PartyExists,
        ErrorCode::UnknownBl,
        ErrorCode::BlExists,
        ErrorCode::IllegalTransition,
        ErrorCode::WrongDocumentType,
        ErrorCode::NotPossessor,
        ErrorCode::NotEndorsee,
        ErrorCode::EndorsementNotAllowed,
        ErrorCode::RecipientNotAllowed,
        ErrorCode::NothingToReject,
        ErrorCode::LienActive,
        ErrorCode::LienAlreadyActive,
        ErrorCode::NoActiveLien,
        ErrorCode::NotLienholder,
        ErrorCode::ReplacementMismatch,
        ErrorCode::ReleaseExists,
        ErrorCode::UnknownRelease,
        ErrorCode::HoldActive,
        ErrorCode::UnknownHold,
        ErrorCode::NotRightHolder,
        ErrorCode::ReleaseNotYetValid,
        ErrorCode::ReleaseExpired,
        ErrorCode::ChargesUnsettled,
        ErrorCode::NoPickupAssigned,
        ErrorCode::TruckMismatch,
        ErrorCode::DriverMismatch,
        ErrorCode::PickupCodeMismatch,
        ErrorCode::OutsidePickupSlot,
        ErrorCode::LimitReached,
        ErrorCode::DocumentInvalid,
        ErrorCode::DocumentMismatch,
        ErrorCode::AlreadySigned,
        ErrorCode::NotAValidator,
        ErrorCode::UnknownProposal,
        ErrorCode::AlreadyApproved,
        ErrorCode::ChangePending,
        ErrorCode::ValidatorExists,
        ErrorCode::UnknownValidator,
        ErrorCode::ValidatorSetTooSmall,
        ErrorCode::PowerChangeTooLarge,
        ErrorCode::KeyInUse,
        ErrorCode::LastRegistrar,
        ErrorCode::UnknownObserver,
        ErrorCode::KeyRotated,
    ];

    /// The stable text form served by the API and printed by the CLI.
    pub fn code(&self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::WrongRole => "WRONG_ROLE",
            ErrorCode::NotAuthorized => "NOT_AUTHORIZED",
            ErrorCode::MissingCosigner => "MISSING_COSIGNER",
            ErrorCode::UnknownParty => "UNKNOWN_PARTY",
            ErrorCode::PartySuspended => "PARTY_SUSPENDED",
            ErrorCode::PartyExists => "PARTY_EXISTS",
            ErrorCode::UnknownBl => "UNKNOWN_BL",
            ErrorCode::BlExists => "BL_EXISTS",
            ErrorCode::IllegalTransition => "ILLEGAL_TRANSITION",
            ErrorCode::WrongDocumentType => "WRONG_DOCUMENT_TYPE",
            ErrorCode::NotPossessor => "NOT_POSSESSOR",
            ErrorCode::NotEndorsee => "NOT_ENDORSEE",
            ErrorCode::EndorsementNotAllowed => "ENDORSEMENT_NOT_ALLOWED",
            ErrorCode::RecipientNotAllowed => "RECIPIENT_NOT_ALLOWED",
            ErrorCode::NothingToReject => "NOTHING_TO_REJECT",
            ErrorCode::LienActive => "LIEN_ACTIVE",
            ErrorCode::LienAlreadyActive => "LIEN_ALREADY_ACTIVE",
            ErrorCode::NoActiveLien => "NO_ACTIVE_LIEN",
            ErrorCode::NotLienholder => "NOT_LIENHOLDER",
            ErrorCode::ReplacementMismatch => "REPLACEMENT_MISMATCH",
            ErrorCode::ReleaseExists => "RELEASE_EXISTS",
            ErrorCode::UnknownRelease => "UNKNOWN_RELEASE",
            ErrorCode::HoldActive => "HOLD_ACTIVE",
            ErrorCode::UnknownHold => "UNKNOWN_HOLD",
            ErrorCode::NotRightHolder => "NOT_RIGHT_HOLDER",
            ErrorCode::ReleaseNotYetValid => "RELEASE_NOT_YET_VALID",
            ErrorCode::ReleaseExpired => "RELEASE_EXPIRED",
            ErrorCode::ChargesUnsettled => "CHARGES_UNSETTLED",
            ErrorCode::NoPickupAssigned => "NO_PICKUP_ASSIGNED",
            ErrorCode::TruckMismatch => "TRUCK_MISMATCH",
            ErrorCode::DriverMismatch => "DRIVER_MISMATCH",
            ErrorCode::PickupCodeMismatch => "PICKUP_CODE_MISMATCH",
            ErrorCode::OutsidePickupSlot => "OUTSIDE_PICKUP_SLOT",
            ErrorCode::LimitReached => "LIMIT_REACHED",
            ErrorCode::DocumentInvalid => "DOCUMENT_INVALID",
            ErrorCode::DocumentMismatch => "DOCUMENT_MISMATCH",
            ErrorCode::AlreadySigned => "ALREADY_SIGNED",
            ErrorCode::NotAValidator => "NOT_A_VALIDATOR",
            ErrorCode::UnknownProposal => "UNKNOWN_PROPOSAL",
            ErrorCode::AlreadyApproved => "ALREADY_APPROVED",
            ErrorCode::ChangePending => "CHANGE_PENDING",
            ErrorCode::ValidatorExists => "VALIDATOR_EXISTS",
            ErrorCode::UnknownValidator => "UNKNOWN_VALIDATOR",
            ErrorCode::ValidatorSetTooSmall => "VALIDATOR_SET_TOO_SMALL",
            ErrorCode::PowerChangeTooLarge => "POWER_CHANGE_TOO_LARGE",
            ErrorCode::KeyInUse => "KEY_IN_USE",
            ErrorCode::LastRegistrar => "LAST_REGISTRAR",
            ErrorCode::UnknownObserver => "UNKNOWN_OBSERVER",
            ErrorCode::KeyRotated => "KEY_ROTATED",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as Deserialize>::deserialize(d)?;
        ErrorCode::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown error code {s:?}")))
    }
}

/// Whether the action took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "status", content = "code", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Success,
    /// Refused: nothing changed but the signer's nonce.
    Failure(ErrorCode),
}

/// The outcome of one transaction in a block.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub tx_id: TxId,
    pub outcome: Outcome,
}

impl Receipt {
    pub fn is_success(&self) -> bool {
        self.outcome == Outcome::Success
    }
    pub fn error(&self) -> Option<ErrorCode> {
        match self.outcome {
            Outcome::Success => None,
            Outcome::Failure(code) => Some(code),
        }
    }
    /// The Merkle leaf of this receipt in the block's `receipts_root`.
    pub fn hash(&self) -> Hash {
        Hash::of(domain::RECEIPT, self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_are_unique_and_round_trip_through_json() {
        let mut seen = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            assert!(seen.insert(code.code()), "duplicate code {code}");
            let json = serde_json::to_string(&code).expect("serialise");
            assert_eq!(serde_json::from_str::<ErrorCode>(&json).expect("parse"), code);
        }
        // The borsh tag is the declaration order: ALL must list every variant in that order.
        for (i, code) in ErrorCode::ALL.iter().enumerate() {
            assert_eq!(borsh::to_vec(code).expect("encode"), vec![i as u8]);
        }
    }
}
