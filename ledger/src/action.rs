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
use crate::governance::{Observer, ValidatorChange};
use crate::hash::Hash;
use crate::keys::PartyId;
use crate::records::{BlId, ContainerRef, Role, RoleSet, TransportDocumentType};

/// The payload of a transaction.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Action {
    // ---- parties (registrar) ----
    RegisterParty(RegisterParty),
    SetPartyRoles {
        party: PartyId,
        roles: RoleSet,
    },
    SuspendParty {
        party: PartyId,
    },
    ReinstateParty {
        party: PartyId,
    },

    // ---- eBL title ----
    Issue(IssueBl),
    Transfer {
        bl: BlId,
        to: PartyId,
    },
    Endorse {
        bl: BlId,
        endorsee: PartyId,
    },
    EndorseToOrder {
        bl: BlId,
        endorsee: PartyId,
    },
    BlankEndorse {
        bl: BlId,
    },
    Sign {
        bl: BlId,
    },
    RejectTransfer {
        bl: BlId,
        reason: String,
    },
    SurrenderForDelivery {
        bl: BlId,
    },
    SurrenderForAmendment {
        bl: BlId,
        reason: AmendmentReason,
    },
    AcceptSurrender {
        bl: BlId,
    },
    RejectSurrender {
        bl: BlId,
        reason: String,
    },
    Reissue(Reissue),
    SwitchToPaper {
        bl: BlId,
        paper_bl_number: String,
    },

    // ---- liens (trade finance) ----
    CreateLien(CreateLien),
    ReleaseLien {
        bl: BlId,
    },

    // ---- container release ----
    IssueReleaseOrder(IssueReleaseOrder),
    SettleCharges {
        container: ContainerRef,
    },
    PlaceHold(PlaceHold),
    LiftHold {
        target: HoldTarget,
        hold_id: u32,
    },
    DelegateRelease {
        container: ContainerRef,
        to: PartyId,
    },
    RevokeRelease {
        container: ContainerRef,
        reason: String,
    },
    AssignPickup(AssignPickup),
    GateOut(GateOut),
    EmptyReturn(EmptyReturn),

    // ---- validator-set governance (the operators of validators) ----
    ProposeValidatorChange {
        change: ValidatorChange,
    },
    ApproveValidatorChange {
        proposal: u64,
    },

    // ---- observers (the registrar quorum) ----
    AllowObserver(Observer),
    RemoveObserver {
        node_key: PartyId,
    },

    // ---- keys (ADR 0019) ----
    /// The party's current key (the submitter) hands its signing over to `new_key`, which
    /// co-signs.
    RotateKey {
        new_key: PartyId,
    },
    /// The registrar quorum gives `party` a new key when its key is lost; `new_key` co-signs.
    ReplaceKey {
        party: PartyId,
        new_key: PartyId,
    },
}

/// The kind of event a committed transaction produces: the `kind` of the event streams
/// (docs/rest-api.md). One per action, but the actions DCSA treats as one step share one
/// (`ENDORSED` for the three endorsements, `ISSUED` for ISSUE and REISSUE, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventKind {
    PartyRegistered,
    PartyRolesSet,
    PartySuspended,
    PartyReinstated,
    Issued,
    Transferred,
    Endorsed,
    Signed,
    TransferRejected,
    SurrenderRequested,
    SurrenderAccepted,
    SurrenderRejected,
    SwitchedToPaper,
    LienCreated,
    LienReleased,
    ReleaseOrdered,
    ChargesSettled,
    HoldPlaced,
    HoldLifted,
    ReleaseDelegated,
    ReleaseRevoked,
    PickupAssigned,
    GatedOut,
    EmptyReturned,
    ValidatorChangeProposed,
    ValidatorChangeApproved,
    ObserverAllowed,
    ObserverRemoved,
    KeyRotated,
    /// A transaction refused: its `outcome` says why. No action produces it when it succeeds.
    Refused,
}

impl EventKind {
    /// Every kind, in declaration order.
    pub const ALL: [EventKind; 30] = [
        EventKind::PartyRegistered,
        EventKind::PartyRolesSet,
        EventKind::PartySuspended,
        EventKind::PartyReinstated,
        EventKind::Issued,
        EventKind::Transferred,
        EventKind::Endorsed,
        EventKind::Signed,
        EventKind::TransferRejected,
        EventKind::SurrenderRequested,
        EventKind::SurrenderAccepted,
        EventKind::SurrenderRejected,
        EventKind::SwitchedToPaper,
        EventKind::LienCreated,
        EventKind::LienReleased,
        EventKind::ReleaseOrdered,
        EventKind::ChargesSettled,
        EventKind::HoldPlaced,
        EventKind::HoldLifted,
        EventKind::ReleaseDelegated,
        EventKind::ReleaseRevoked,
        EventKind::PickupAssigned,
        EventKind::GatedOut,
        EventKind::EmptyReturned,
        EventKind::ValidatorChangeProposed,
        EventKind::ValidatorChangeApproved,
        EventKind::ObserverAllowed,
        EventKind::ObserverRemoved,
        EventKind::KeyRotated,
        EventKind::Refused,
    ];

    /// The name on the wire (`TRANSFERRED`, `HOLD_PLACED`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::PartyRegistered => "PARTY_REGISTERED",
            EventKind::PartyRolesSet => "PARTY_ROLES_SET",
            EventKind::PartySuspended => "PARTY_SUSPENDED",
            EventKind::PartyReinstated => "PARTY_REINSTATED",
            EventKind::Issued => "ISSUED",
            EventKind::Transferred => "TRANSFERRED",
            EventKind::Endorsed => "ENDORSED",
            EventKind::Signed => "SIGNED",
            EventKind::TransferRejected => "TRANSFER_REJECTED",
            EventKind::SurrenderRequested => "SURRENDER_REQUESTED",
            EventKind::SurrenderAccepted => "SURRENDER_ACCEPTED",
            EventKind::SurrenderRejected => "SURRENDER_REJECTED",
            EventKind::SwitchedToPaper => "SWITCHED_TO_PAPER",
            EventKind::LienCreated => "LIEN_CREATED",
            EventKind::LienReleased => "LIEN_RELEASED",
            EventKind::ReleaseOrdered => "RELEASE_ORDERED",
            EventKind::ChargesSettled => "CHARGES_SETTLED",
            EventKind::HoldPlaced => "HOLD_PLACED",
            EventKind::HoldLifted => "HOLD_LIFTED",
            EventKind::ReleaseDelegated => "RELEASE_DELEGATED",
            EventKind::ReleaseRevoked => "RELEASE_REVOKED",
            EventKind::PickupAssigned => "PICKUP_ASSIGNED",
            EventKind::GatedOut => "GATED_OUT",
            EventKind::EmptyReturned => "EMPTY_RETURNED",
            EventKind::ValidatorChangeProposed => "VALIDATOR_CHANGE_PROPOSED",
            EventKind::ValidatorChangeApproved => "VALIDATOR_CHANGE_APPROVED",
            EventKind::ObserverAllowed => "OBSERVER_ALLOWED",
            EventKind::ObserverRemoved => "OBSERVER_REMOVED",
            EventKind::KeyRotated => "KEY_ROTATED",
            EventKind::Refused => "REFUSED",
        }
    }
}

/// Which part of the ledger an action belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    /// The party registry (the registrar's actions).
    Parties,
    /// The title of a BL: issuance, transfer, endorsement, surrender, reissue.
    Title,
    /// Liens a bank holds on a BL.
    Lien,
    /// The release of containers.
    Release,
    /// The validator set (its operators' actions).
    Governance,
}

/// Everything the layers above the ledger say about one kind of action, in one table
/// ([`Action::info`]): a new variant does not compile until it has its row, and every other
/// place that needs one of these facts reads it here instead of matching on `Action` again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionInfo {
    /// The stable name, as in receipts, logs and the API: the DCSA code where DCSA has the
    /// concept (`ISSUE`, `SACC`, `SREJ`, …).
    pub name: &'static str,
    /// The JSON `type` of the action (its variant name in SCREAMING_SNAKE_CASE).
    pub json_type: &'static str,
    pub family: Family,
    /// The event a committed one produces.
    pub event: EventKind,
    /// The `ebl` command that submits it (`bl transfer`, `release hold place`).
    pub cli: &'static str,
}

impl ActionInfo {
    /// Whether it writes the history of the BLs it touches (ISSUE, REISSUE and the title and
    /// lien actions): the parties it names are then on those BLs' chains (DESIGN §7).
    pub fn writes_history(&self) -> bool {
        matches!(self.family, Family::Title | Family::Lien)
    }
}

const fn row(
    name: &'static str,
    json_type: &'static str,
    family: Family,
    event: EventKind,
    cli: &'static str,
) -> ActionInfo {
    ActionInfo { name, json_type, family, event, cli }
}

impl Action {
    /// This action's row of the action table.
    pub fn info(&self) -> ActionInfo {
        use EventKind as E;
        use Family::{Governance, Lien, Parties, Release, Title};
        match self {
            Action::RegisterParty(_) => {
                row("REGISTER_PARTY", "REGISTER_PARTY", Parties, E::PartyRegistered, "party register")
            }
            Action::SetPartyRoles { .. } => {
                row("SET_PARTY_ROLES", "SET_PARTY_ROLES", Parties, E::PartyRolesSet, "party roles")
            }
            Action::SuspendParty { .. } => {
                row("SUSPEND_PARTY", "SUSPEND_PARTY", Parties, E::PartySuspended, "party suspend")
            }
            Action::ReinstateParty { .. } => {
                row("REINSTATE_PARTY", "REINSTATE_PARTY", Parties, E::PartyReinstated, "party reinstate")
            }
            Action::Issue(_) => row("ISSUE", "ISSUE", Title, E::Issued, "bl issue"),
            Action::Transfer { .. } => row("TRANSFER", "TRANSFER", Title, E::Transferred, "bl transfer"),
            Action::Endorse { .. } => row("ENDORSE", "ENDORSE", Title, E::Endorsed, "bl endorse"),
            Action::EndorseToOrder { .. } => {
                row("ENDORSE_TO_ORDER", "ENDORSE_TO_ORDER", Title, E::Endorsed, "bl endorse-to-order")
            }
            Action::BlankEndorse { .. } => {
                row("BLANK_ENDORSE", "BLANK_ENDORSE", Title, E::Endorsed, "bl blank-endorse")
            }
            Action::Sign { .. } => row("SIGN", "SIGN", Title, E::Signed, "bl sign"),
            Action::RejectTransfer { .. } => {
                row("REJECT", "REJECT_TRANSFER", Title, E::TransferRejected, "bl reject")
            }
            Action::SurrenderForDelivery { .. } => row(
                "SURRENDER_FOR_DELIVERY",
                "SURRENDER_FOR_DELIVERY",
                Title,
                E::SurrenderRequested,
                "bl surrender --for delivery",
            ),
            Action::SurrenderForAmendment { .. } => row(
                "SURRENDER_FOR_AMENDMENT",
                "SURRENDER_FOR_AMENDMENT",
                Title,
                E::SurrenderRequested,
                "bl surrender --for amendment",
            ),
            Action::AcceptSurrender { .. } => {
                row("SACC", "ACCEPT_SURRENDER", Title, E::SurrenderAccepted, "bl accept-surrender")
            }
            Action::RejectSurrender { .. } => {
                row("SREJ", "REJECT_SURRENDER", Title, E::SurrenderRejected, "bl reject-surrender")
            }
            Action::Reissue(_) => row("REISSUE", "REISSUE", Title, E::Issued, "bl reissue"),
            Action::SwitchToPaper { .. } => {
                row("SWITCH_TO_PAPER", "SWITCH_TO_PAPER", Title, E::SwitchedToPaper, "bl switch-to-paper")
            }
            Action::CreateLien(_) => row("CREATE_LIEN", "CREATE_LIEN", Lien, E::LienCreated, "lien create"),
            Action::ReleaseLien { .. } => {
                row("RELEASE_LIEN", "RELEASE_LIEN", Lien, E::LienReleased, "lien release")
            }
            Action::IssueReleaseOrder(_) => {
                row("ISSUE_RELEASE_ORDER", "ISSUE_RELEASE_ORDER", Release, E::ReleaseOrdered, "release order")
            }
            Action::SettleCharges { .. } => {
                row("SETTLE_CHARGES", "SETTLE_CHARGES", Release, E::ChargesSettled, "release settle-charges")
            }
            Action::PlaceHold(_) => {
                row("PLACE_HOLD", "PLACE_HOLD", Release, E::HoldPlaced, "release hold place")
            }
            Action::LiftHold { .. } => {
                row("LIFT_HOLD", "LIFT_HOLD", Release, E::HoldLifted, "release hold lift")
            }
            Action::DelegateRelease { .. } => {
                row("DELEGATE_RELEASE", "DELEGATE_RELEASE", Release, E::ReleaseDelegated, "release delegate")
            }
            Action::RevokeRelease { .. } => {
                row("REVOKE_RELEASE", "REVOKE_RELEASE", Release, E::ReleaseRevoked, "release revoke")
            }
            Action::AssignPickup(_) => {
                row("ASSIGN_PICKUP", "ASSIGN_PICKUP", Release, E::PickupAssigned, "release pickup assign")
            }
            Action::GateOut(_) => row("GATE_OUT", "GATE_OUT", Release, E::GatedOut, "release gate-out"),
            Action::EmptyReturn(_) => {
                row("EMPTY_RETURN", "EMPTY_RETURN", Release, E::EmptyReturned, "release empty-return")
            }
            Action::ProposeValidatorChange { .. } => row(
                "PROPOSE_VALIDATOR_CHANGE",
                "PROPOSE_VALIDATOR_CHANGE",
                Governance,
                E::ValidatorChangeProposed,
                "governance propose",
            ),
            Action::ApproveValidatorChange { .. } => row(
                "APPROVE_VALIDATOR_CHANGE",
                "APPROVE_VALIDATOR_CHANGE",
                Governance,
                E::ValidatorChangeApproved,
                "governance approve",
            ),
            Action::AllowObserver(_) => {
                row("ALLOW_OBSERVER", "ALLOW_OBSERVER", Parties, E::ObserverAllowed, "observer allow")
            }
            Action::RemoveObserver { .. } => {
                row("REMOVE_OBSERVER", "REMOVE_OBSERVER", Parties, E::ObserverRemoved, "observer remove")
            }
            Action::RotateKey { .. } => {
                row("ROTATE_KEY", "ROTATE_KEY", Parties, E::KeyRotated, "party rotate-key")
            }
            Action::ReplaceKey { .. } => {
                row("REPLACE_KEY", "REPLACE_KEY", Parties, E::KeyRotated, "party replace-key")
            }
        }
    }

    /// The stable name of the action, as in receipts, logs and the API.
    pub fn name(&self) -> &'static str {
        self.info().name
    }

    /// The event a committed one produces.
    pub fn event_kind(&self) -> EventKind {
        self.info().event
    }

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
            Action::RegisterParty(_)
            | Action::SetPartyRoles { .. }
            | Action::SuspendParty { .. }
            | Action::ReinstateParty { .. }
            | Action::Issue(_)
            | Action::Reissue(_)
            | Action::IssueReleaseOrder(_)
            | Action::SettleCharges { .. }
            | Action::PlaceHold(_)
            | Action::LiftHold { .. }
            | Action::DelegateRelease { .. }
            | Action::RevokeRelease { .. }
            | Action::AssignPickup(_)
            | Action::GateOut(_)
            | Action::EmptyReturn(_)
            | Action::ProposeValidatorChange { .. }
            | Action::ApproveValidatorChange { .. }
            | Action::AllowObserver(_)
            | Action::RemoveObserver { .. }
            | Action::RotateKey { .. }
            | Action::ReplaceKey { .. } => None,
        }
    }

    /// The BLs an ISSUE or a REISSUE creates, as their issuances (empty for every other action).
    pub fn issuances(&self) -> &[IssueBl] {
        match self {
            Action::Issue(a) => std::slice::from_ref(a),
            Action::Reissue(a) => &a.replacements,
            Action::RegisterParty(_)
            | Action::SetPartyRoles { .. }
            | Action::SuspendParty { .. }
            | Action::ReinstateParty { .. }
            | Action::Transfer { .. }
            | Action::Endorse { .. }
            | Action::EndorseToOrder { .. }
            | Action::BlankEndorse { .. }
            | Action::Sign { .. }
            | Action::RejectTransfer { .. }
            | Action::SurrenderForDelivery { .. }
            | Action::SurrenderForAmendment { .. }
            | Action::AcceptSurrender { .. }
            | Action::RejectSurrender { .. }
            | Action::SwitchToPaper { .. }
            | Action::CreateLien(_)
            | Action::ReleaseLien { .. }
            | Action::IssueReleaseOrder(_)
            | Action::SettleCharges { .. }
            | Action::PlaceHold(_)
            | Action::LiftHold { .. }
            | Action::DelegateRelease { .. }
            | Action::RevokeRelease { .. }
            | Action::AssignPickup(_)
            | Action::GateOut(_)
            | Action::EmptyReturn(_)
            | Action::ProposeValidatorChange { .. }
            | Action::ApproveValidatorChange { .. }
            | Action::AllowObserver(_)
            | Action::RemoveObserver { .. }
            | Action::RotateKey { .. }
            | Action::ReplaceKey { .. } => &[],
        }
    }

    /// The BLs, parties and containers a transaction with this action touches when `signers`
    /// sign it (the first is the submitter), derived from the action alone so that every node
    /// derives the same. `signers` are parties: each signing key resolved to the party it signs
    /// for ([`party_of_key`](crate::records::party_of_key)), for an issued BL's id is derived from
    /// its carrier's id, not from the key that signed. Feeds the storage indices and the event streams: every BL whose history
    /// the action extends is here.
    pub fn touched(&self, signers: &[PartyId]) -> Touched {
        let submitter = signers.first().copied().unwrap_or(PartyId([0; 32]));
        let mut t = Touched { parties: signers.to_vec(), ..Touched::default() };
        t.bls.extend(self.title_bl());
        match self {
            Action::RegisterParty(a) => t.registered = Some(a.party),
            Action::Issue(a) => {
                t.bls.push(BlId::new(&submitter, &a.transport_document_reference));
                a.push_named(&mut t.parties);
            }
            Action::Reissue(a) => {
                t.bls.extend(a.voided.iter().copied());
                for r in &a.replacements {
                    t.bls.push(BlId::new(&submitter, &r.transport_document_reference));
                    r.push_named(&mut t.parties);
                }
            }
            Action::Transfer { to, .. } => t.parties.push(*to),
            Action::Endorse { endorsee, .. } | Action::EndorseToOrder { endorsee, .. } => {
                t.parties.push(*endorsee)
            }
            Action::CreateLien(a) => t.parties.push(a.bank),
            Action::ReplaceKey { party, .. } => t.parties.push(*party),
            Action::IssueReleaseOrder(a) => {
                t.bls.push(a.bl);
                t.parties.push(a.terminal);
                t.containers
                    .extend(a.equipment_references.iter().map(|e| ContainerRef::new(a.bl, e.clone())));
            }
            Action::DelegateRelease { container, to } => {
                t.containers.push(container.clone());
                t.parties.push(*to);
            }
            Action::SettleCharges { container } | Action::RevokeRelease { container, .. } => {
                t.containers.push(container.clone())
            }
            Action::AssignPickup(a) => t.containers.push(a.container.clone()),
            Action::GateOut(a) => t.containers.push(a.container.clone()),
            Action::EmptyReturn(a) => t.containers.push(a.container.clone()),
            Action::PlaceHold(PlaceHold { target, .. }) | Action::LiftHold { target, .. } => match target {
                HoldTarget::Container(c) => t.containers.push(c.clone()),
                HoldTarget::Bl { bl } => t.bls.push(*bl),
            },
            // Party roles and status and the validator set change no BL; these title actions
            // act on the BL `title_bl` gave and name no one new.
            Action::SetPartyRoles { .. }
            | Action::ProposeValidatorChange { .. }
            | Action::ApproveValidatorChange { .. }
            | Action::AllowObserver(_)
            | Action::RemoveObserver { .. }
            | Action::RotateKey { .. }
            | Action::SuspendParty { .. }
            | Action::ReinstateParty { .. }
            | Action::BlankEndorse { .. }
            | Action::Sign { .. }
            | Action::RejectTransfer { .. }
            | Action::SurrenderForDelivery { .. }
            | Action::SurrenderForAmendment { .. }
            | Action::AcceptSurrender { .. }
            | Action::RejectSurrender { .. }
            | Action::SwitchToPaper { .. }
            | Action::ReleaseLien { .. } => {}
        }
        t.bls.extend(t.containers.iter().map(|c| c.bl));
        t
    }
}

/// What one transaction touched: the BLs, the parties it names and the containers
/// ([`Action::touched`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    pub bls: Vec<BlId>,
    pub parties: Vec<PartyId>,
    pub containers: Vec<ContainerRef>,
    /// A party this transaction registered.
    pub registered: Option<PartyId>,
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

impl IssueBl {
    /// Appends the parties this issuance names: they are on the new BL's chain.
    fn push_named(&self, parties: &mut Vec<PartyId>) {
        parties.extend([self.issue_to, self.shipper]);
        parties.extend(self.consignee.iter().chain(self.endorsee.iter()).chain(self.agents.iter()));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_kinds_are_named_as_serde_writes_them() {
        let mut seen = std::collections::BTreeSet::new();
        for kind in EventKind::ALL {
            let json = serde_json::to_value(kind).expect("serialises");
            assert_eq!(json, serde_json::Value::String(kind.as_str().to_string()));
            assert!(seen.insert(kind.as_str()), "{} twice", kind.as_str());
            let back: EventKind = serde_json::from_value(json).expect("parses");
            assert_eq!(back, kind);
        }
    }
}
