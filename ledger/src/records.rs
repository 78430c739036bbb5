//! What the ledger's state holds, and the keys it is held under. Every record is stored as
//! its canonical (borsh) bytes in the authenticated state, so a client that decodes a proven
//! value sees exactly what the validators committed.

use std::fmt;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::action::{AmendmentReason, ExternalCodes, HoldAuthority};
use crate::hash::{domain, Hash};
use crate::keys::PartyId;
use crate::tx::TxId;

/// A role a party holds on the network (DESIGN §1).
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
pub enum Role {
    Carrier,
    Bank,
    Customs,
    Terminal,
    Trader,
    Haulier,
    Registrar,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Carrier,
        Role::Bank,
        Role::Customs,
        Role::Terminal,
        Role::Trader,
        Role::Haulier,
        Role::Registrar,
    ];

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of roles, stored as a bit set. JSON: a list of role names.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct RoleSet(u16);

impl RoleSet {
    pub const EMPTY: RoleSet = RoleSet(0);

    pub fn of(roles: &[Role]) -> Self {
        RoleSet(roles.iter().fold(0, |bits, r| bits | r.bit()))
    }
    pub fn contains(&self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
    /// True when no bit outside the known roles is set (a decoded set may carry any bits).
    pub fn is_well_formed(&self) -> bool {
        self.0 & !RoleSet::of(&Role::ALL).0 == 0
    }
    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        Role::ALL.into_iter().filter(|r| self.contains(*r))
    }
}

impl fmt::Debug for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for RoleSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for RoleSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let roles = <Vec<Role> as Deserialize>::deserialize(d)?;
        Ok(RoleSet::of(&roles))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartyStatus {
    Active,
    Suspended,
}

/// A registered party.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartyRecord {
    pub party: PartyId,
    pub legal_name: String,
    pub roles: RoleSet,
    pub codes: ExternalCodes,
    pub status: PartyStatus,
    /// Height of the block that registered it (0 for genesis parties).
    pub registered_height: u64,
    /// The key that signs for the party since it rotated its key (`None`: the key that is its id
    /// signs). The party keeps its id, records and roles; every key it signed with before signs
    /// nothing more (ADR 0019).
    #[serde(default)]
    pub signing_key: Option<PartyId>,
}

impl PartyRecord {
    pub fn is_active(&self) -> bool {
        self.status == PartyStatus::Active
    }
    /// The key that signs for the party now.
    pub fn current_key(&self) -> PartyId {
        self.signing_key.unwrap_or(self.party)
    }
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(role)
    }
}

/// Where a signing key stands (ADR 0019): what a transaction or a signed request made with it
/// acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyStanding {
    /// The key signs for this party now.
    Signs(PartyRecord),
    /// The key signed for this party before it rotated to another: it signs nothing more.
    Retired(PartyId),
    /// No party ever signed with the key.
    Unknown,
}

/// Largest party record or key binding decoded while resolving a key.
const KEY_RECORD_BYTES_MAX: usize = 64 * 1024;

fn read_key_record<T: BorshDeserialize, R: crate::state::StateRead + ?Sized>(
    state: &R,
    key: &StateKey,
) -> Result<Option<T>, crate::error::StoreError> {
    crate::state::read_decoded(state, key, KEY_RECORD_BYTES_MAX)
}

/// Resolves a signing key to its party: a party's own id signs for it until it rotates
/// (`Party(key)`, one read — all a party that never rotated costs); any other key signs for the
/// party `KeyOf(key)` names while that party's record names it as its signing key.
pub fn key_standing<R: crate::state::StateRead + ?Sized>(
    state: &R,
    key: &PartyId,
) -> Result<KeyStanding, crate::error::StoreError> {
    if let Some(record) = read_key_record::<PartyRecord, R>(state, &StateKey::Party(*key))? {
        return Ok(match record.signing_key {
            None => KeyStanding::Signs(record),
            Some(_) => KeyStanding::Retired(record.party),
        });
    }
    let Some(party) = read_key_record::<PartyId, R>(state, &StateKey::KeyOf(*key))? else {
        return Ok(KeyStanding::Unknown);
    };
    match read_key_record::<PartyRecord, R>(state, &StateKey::Party(party))? {
        Some(record) if record.signing_key == Some(*key) => Ok(KeyStanding::Signs(record)),
        _ => Ok(KeyStanding::Retired(party)),
    }
}

/// The party a key signs or signed for, for indices and event streams: the party `KeyOf(key)`
/// names, else the key itself (a party's id, or no party's key).
pub fn party_of_key<R: crate::state::StateRead + ?Sized>(
    state: &R,
    key: &PartyId,
) -> Result<PartyId, crate::error::StoreError> {
    Ok(read_key_record::<PartyId, R>(state, &StateKey::KeyOf(*key))?.unwrap_or(*key))
}

/// Most active registrars a network may have (a registrar quorum is at most
/// [`TX_SIGNERS_MAX`](crate::limits::TX_SIGNERS_MAX), the signatures one transaction carries).
pub const REGISTRARS_MAX: usize = 32;

/// The registry's rule (state key `Registry`, ADR 0019): every registrar action needs the
/// signatures of `quorum` distinct active registrars on one transaction, and no action may leave
/// fewer active registrars than the quorum, or one registrar alone where there were more.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Registry {
    pub quorum: u32,
    /// The active parties with the REGISTRAR role, sorted.
    pub registrars: Vec<PartyId>,
}

/// DCSA `transportDocumentTypeCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub enum TransportDocumentType {
    /// Bill of lading: a document of title.
    #[serde(rename = "BOL")]
    Bol,
    /// Sea waybill: evidence of the contract, not a document of title.
    #[serde(rename = "SWB")]
    Swb,
}

/// Identifies a BL on the ledger: SHA-256 over the issuing carrier and its
/// `transportDocumentReference`, which DCSA makes unique per carrier.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(transparent)]
pub struct BlId(pub Hash);

impl BlId {
    pub fn new(carrier: &PartyId, transport_document_reference: &str) -> Self {
        BlId(Hash::of(domain::BL_ID, &(carrier, transport_document_reference)))
    }
}

impl fmt::Debug for BlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlId({})", &self.0.to_hex()[..12])
    }
}

impl fmt::Display for BlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Names one container of one BL.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct ContainerRef {
    pub bl: BlId,
    /// DCSA `equipmentReference` (the container number, e.g. `APZU4812090`).
    pub equipment_reference: String,
}

impl ContainerRef {
    pub fn new(bl: BlId, equipment_reference: impl Into<String>) -> Self {
        ContainerRef { bl, equipment_reference: equipment_reference.into() }
    }
    pub fn id(&self) -> Hash {
        Hash::of(domain::CONTAINER_ID, self)
    }
}

/// eBL status (DESIGN §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BlStatus {
    Issued,
    PendingSurrenderForDelivery,
    PendingSurrenderForAmendment,
    SurrenderedForDelivery,
    Voided,
    SwitchedToPaper,
}

impl BlStatus {
    /// No title action may follow a terminal status (DCSA PINT: nothing may follow SACC).
    pub fn is_terminal(&self) -> bool {
        matches!(self, BlStatus::SurrenderedForDelivery | BlStatus::SwitchedToPaper)
    }
    /// A live original: one a holder can still act on.
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            BlStatus::Issued | BlStatus::PendingSurrenderForDelivery | BlStatus::PendingSurrenderForAmendment
        )
    }
}

/// A pledge of the BL to a bank.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Lien {
    pub bank: PartyId,
    pub amount_minor: u64,
    pub currency: String,
    pub expires_at_ms: u64,
    pub finance_reference: String,
    pub created_height: u64,
}

impl Lien {
    /// A lien binds until its expiry (block time).
    pub fn is_active(&self, now_ms: u64) -> bool {
        now_ms < self.expires_at_ms
    }
}

/// A surrender request waiting for the carrier's SACC or SREJ.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SurrenderRequest {
    pub requested_by: PartyId,
    /// `None` for delivery; the DCSA reason code for amendment.
    pub amendment_reason: Option<AmendmentReason>,
}

/// The title record of one BL.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlRecord {
    pub id: BlId,
    pub transport_document_reference: String,
    pub transport_document_type: TransportDocumentType,
    pub is_to_order: bool,
    pub carrier: PartyId,
    /// Never changes after ISSUE (MLETR integrity).
    pub document_checksum: Hash,
    pub status: BlStatus,
    /// The one party in control (MLETR exclusive control).
    pub possessor: PartyId,
    /// To-order BL: the named endorsee; `None` = endorsed in blank (bearer).
    pub endorsee: Option<PartyId>,
    /// False after a plain ENDORSE: that endorsee may not endorse further (DCSA PINT).
    pub endorsee_may_endorse: bool,
    pub shipper: PartyId,
    pub consignee: Option<PartyId>,
    pub agents: Vec<PartyId>,
    /// The sender of the last TRANSFER, while its recipient has not yet acted: the recipient
    /// may REJECT it as its next action.
    pub transfer_from: Option<PartyId>,
    pub surrender: Option<SurrenderRequest>,
    /// The party whose surrender for delivery the carrier accepted: it gets the release right.
    pub surrendered_by: Option<PartyId>,
    pub lien: Option<Lien>,
    pub replaces: Vec<BlId>,
    pub replaced_by: Vec<BlId>,
    pub paper_bl_number: Option<String>,
    pub issued_height: u64,
    pub updated_height: u64,
    /// Number of history entries and the hash of the last one (a hash chain over the history).
    pub history_len: u32,
    pub history_head: Hash,
    /// The possessor has SIGNed since it took possession: one SIGN per possession, so a
    /// possessor cannot grow the history with confirmations alone.
    pub possessor_signed: bool,
}

impl BlRecord {
    /// Spent for good: delivered, switched to paper, or voided and replaced. No action may
    /// change a final record again.
    pub fn is_final(&self) -> bool {
        self.status.is_terminal() || (self.status == BlStatus::Voided && !self.replaced_by.is_empty())
    }

    pub fn active_lien(&self, now_ms: u64) -> Option<&Lien> {
        self.lien.as_ref().filter(|l| l.is_active(now_ms))
    }
}

/// One entry of a BL's signed history (the endorsement chain). Each entry names the signed
/// transaction that caused it and chains to the previous entry's hash.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    pub seq: u32,
    /// DCSA action code (`ISSUE`, `TRANSFER`, `ENDORSE`, `SACC`, …) or ours (`CREATE_LIEN`, …).
    pub action_code: String,
    pub actor: PartyId,
    pub recipient: Option<PartyId>,
    pub tx_id: TxId,
    pub height: u64,
    pub time_ms: u64,
    pub prev: Hash,
}

impl HistoryEntry {
    pub fn hash(&self) -> Hash {
        Hash::of(domain::HISTORY_ENTRY, self)
    }
}

/// An active hold on a container or a BL.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hold {
    pub id: u32,
    pub authority: HoldAuthority,
    pub placed_by: PartyId,
    pub reason: String,
    pub declaration_number: Option<String>,
    pub placed_at_ms: u64,
}

/// BL-wide holds, which apply to every container of the BL.
#[derive(Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HoldList {
    pub holds: Vec<Hold>,
    pub next_id: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PickupAssignment {
    pub assigned_by: PartyId,
    pub truck_plate: String,
    pub driver_id_hash: Hash,
    pub slot_start_ms: u64,
    pub slot_end_ms: u64,
    pub pickup_code_hash: Option<Hash>,
}

/// Outbound Equipment Interchange Receipt.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundEir {
    pub terminal: PartyId,
    pub truck_plate: String,
    pub seal_numbers: Vec<String>,
    pub condition: String,
    pub time_ms: u64,
    pub released_to: PartyId,
}

/// Inbound (empty return) Equipment Interchange Receipt.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboundEir {
    pub recorded_by: PartyId,
    pub damage_notes: String,
    pub time_ms: u64,
}

/// Where a container release stands; the stored part of [`ReleaseStatus`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReleasePhase {
    Ordered,
    PickupAssigned,
    GatedOut,
    EmptyReturned,
    Revoked,
}

/// Container release status as DESIGN §6 names it, derived from the record, the BL-wide holds
/// and the block time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReleaseStatus {
    /// Ordered, but not yet valid or charges not yet settled.
    ReleaseOrdered,
    Held,
    Available,
    PickupAssigned,
    GatedOut,
    EmptyReturned,
    Revoked,
    Expired,
}

/// The release of one container.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReleaseRecord {
    pub container: ContainerRef,
    pub carrier: PartyId,
    pub terminal: PartyId,
    pub valid_from_ms: u64,
    pub valid_until_ms: u64,
    pub charges_settled: bool,
    /// Who may pick the container up now.
    pub right_holder: PartyId,
    /// Earlier holders of the right, oldest first.
    pub delegated_from: Vec<PartyId>,
    pub holds: Vec<Hold>,
    pub next_hold_id: u32,
    pub phase: ReleasePhase,
    pub pickup: Option<PickupAssignment>,
    pub gate_out: Option<OutboundEir>,
    pub empty_return: Option<InboundEir>,
    pub revoked_reason: Option<String>,
    pub ordered_height: u64,
}

impl ReleaseRecord {
    /// The status a terminal, a haulier or customs sees at block time `now_ms`, given the
    /// holds placed on the whole BL.
    pub fn status(&self, bl_holds: &HoldList, now_ms: u64) -> ReleaseStatus {
        match self.phase {
            ReleasePhase::GatedOut => ReleaseStatus::GatedOut,
            ReleasePhase::EmptyReturned => ReleaseStatus::EmptyReturned,
            ReleasePhase::Revoked => ReleaseStatus::Revoked,
            ReleasePhase::Ordered | ReleasePhase::PickupAssigned => {
                if now_ms >= self.valid_until_ms {
                    ReleaseStatus::Expired
                } else if !self.holds.is_empty() || !bl_holds.holds.is_empty() {
                    ReleaseStatus::Held
                } else if self.phase == ReleasePhase::PickupAssigned {
                    ReleaseStatus::PickupAssigned
                } else if now_ms < self.valid_from_ms || !self.charges_settled {
                    ReleaseStatus::ReleaseOrdered
                } else {
                    ReleaseStatus::Available
                }
            }
        }
    }
}

/// Every key of the state. Its canonical bytes are the JMT key preimage; see
/// [`StateKey::in_tree`] for the one kind kept beside the tree.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
pub enum StateKey {
    Party(PartyId),
    /// The next nonce a registered party must use (u64).
    Nonce(PartyId),
    Bl(BlId),
    /// Entry `seq` of a BL's history: beside the tree, authenticated by the record's
    /// `history_head` (see [`verify_history`]).
    BlHistory(BlId, u32),
    BlHolds(BlId),
    /// A container release, by [`ContainerRef::id`].
    Release(Hash),
    /// The validator set of an epoch ([`ValidatorEpoch`](crate::governance::ValidatorEpoch)).
    /// Written once, by the block that approved it, and never again: every node can prove it at
    /// that height for ever (the epoch chain a light client walks; ADR 0019).
    ValidatorEpoch(u64),
    /// The governance record ([`Governance`](crate::governance::Governance)).
    Governance,
    /// The registry's quorum and its active registrars ([`Registry`]).
    Registry,
    /// The nodes validators accept besides each other ([`Observers`](crate::governance::Observers)).
    Observers,
    /// The party a key that is not a party's id signs (or signed) for: written when a party
    /// rotates to the key, never removed, so no key serves twice (a `PartyId`).
    KeyOf(PartyId),
}

impl StateKey {
    pub fn to_bytes(&self) -> Vec<u8> {
        crate::encoding::encode(self)
    }

    /// Whether the key is a leaf of the state tree, so that the state root commits to it
    /// directly. A BL's history entries are not: each is written once and never changes, and
    /// the BL's record, a leaf, commits to all of them — `history_head` is the hash of the
    /// newest entry, each entry names the hash of the one before and `history_len` counts
    /// them. Kept beside the tree, they spare every title action a leaf (a third of the tree's
    /// work for a transfer) and keep the tree from growing with each action; a client checks a
    /// history it was served with [`verify_history`] against a proven record. Stores rely on
    /// "written once" ([`StateUpdate::write_once`](crate::StateUpdate::write_once)): they keep
    /// no versioned copy of such a value.
    pub fn in_tree(&self) -> bool {
        !matches!(self, StateKey::BlHistory(..))
    }
}

/// Why a served history does not belong to a BL record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("the record counts {expected} history entries, {found} were served")]
    Length { expected: u32, found: usize },
    #[error("entry {index} is numbered {seq}")]
    Sequence { index: usize, seq: u32 },
    #[error("entry {seq} does not chain to the entry before it")]
    Broken { seq: u32 },
    #[error("the newest entry's hash is not the record's history head")]
    Head,
}

/// Checks that `entries`, oldest first, are the whole history `record` commits to: as many as
/// it counts, numbered from 0, each chained to the one before, the newest hashing to its
/// `history_head`. With the record proven against a certified state root, the history is
/// proven too.
pub fn verify_history(record: &BlRecord, entries: &[HistoryEntry]) -> Result<(), HistoryError> {
    if entries.len() != record.history_len as usize {
        return Err(HistoryError::Length { expected: record.history_len, found: entries.len() });
    }
    let mut prev = Hash::ZERO;
    for (index, entry) in entries.iter().enumerate() {
        if entry.seq as usize != index {
            return Err(HistoryError::Sequence { index, seq: entry.seq });
        }
        if entry.prev != prev {
            return Err(HistoryError::Broken { seq: entry.seq });
        }
        prev = entry.hash();
    }
    if prev != record.history_head {
        return Err(HistoryError::Head);
    }
    Ok(())
}
