//! The eBL title state machine (DESIGN §5), after DCSA eBL 3.0 / PINT 3.0 and the MLETR
//! functional requirements:
//!
//! * **singularity**: one record per (carrier, `transportDocumentReference`);
//! * **exclusive control**: exactly one possessor; only the possessor moves the BL;
//! * **integrity**: the checksum never changes; every change appends a hash-chained history
//!   entry naming the signed transaction;
//! * **change of medium**: SWITCH_TO_PAPER makes the electronic record inoperative.

use ebl_ledger::action::{Action, AmendmentReason, IssueBl, Reissue};
use ebl_ledger::dcsa::{self, DocumentFacts};
use ebl_ledger::limits::{
    BL_AGENTS_MAX, BL_REFERENCE_CHARS_MAX, CODE_CHARS_MAX, REISSUE_BLS_MAX, TEXT_CHARS_MAX,
};
use ebl_ledger::records::{
    BlId, BlRecord, BlStatus, HistoryEntry, Role, StateKey, SurrenderRequest, TransportDocumentType,
};
use ebl_ledger::{ErrorCode, Hash, PartyId, StateRead};

use crate::exec::TxCtx;
use crate::lien;
use crate::overlay::Overlay;
use crate::parties::{active, active_with_role};
use crate::{require, validate, Fail};

use BlStatus::*;

/// Appends a history entry to `bl` (hash-chained to the previous one) and stores it.
pub(crate) fn append_history<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    bl: &mut BlRecord,
    action_code: &str,
    recipient: Option<PartyId>,
) {
    let entry = HistoryEntry {
        seq: bl.history_len,
        action_code: action_code.to_owned(),
        actor: ctx.submitter,
        recipient,
        tx_id: ctx.tx_id,
        height: ctx.height(),
        time_ms: ctx.now_ms(),
        prev: bl.history_head,
    };
    state.put(StateKey::BlHistory(bl.id, entry.seq), &entry);
    bl.history_head = entry.hash();
    bl.history_len += 1;
    bl.updated_height = ctx.height();
}

/// MLETR integrity, DCSA eBL 3.0: the document an ISSUE carries is canonical JSON with every
/// field DCSA requires, and it says what the action says (reference, type, `isToOrder`). Returns
/// its checksum, which the record keeps for ever.
fn check_document(a: &IssueBl) -> Result<Hash, Fail> {
    let invalid = |_| Fail::Refused(ErrorCode::DocumentInvalid);
    require(a.document.is_canonical(), ErrorCode::DocumentInvalid)?;
    let value = a.document.to_value().map_err(invalid)?;
    dcsa::check_required_fields(&value).map_err(invalid)?;
    let facts = DocumentFacts::extract(&value).map_err(invalid)?;
    let type_code = match a.transport_document_type {
        TransportDocumentType::Bol => "BOL",
        TransportDocumentType::Swb => "SWB",
    };
    require(
        facts.transport_document_reference == a.transport_document_reference
            && facts.transport_document_type_code == type_code
            && facts.is_to_order == a.is_to_order,
        ErrorCode::DocumentMismatch,
    )?;
    Ok(a.document.checksum())
}

/// Checks an issuance and builds the new record. Shared by ISSUE and REISSUE.
fn new_record<R: StateRead + ?Sized>(
    state: &Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    a: &IssueBl,
    replaces: Vec<BlId>,
) -> Result<BlRecord, Fail> {
    validate::text(&a.transport_document_reference, BL_REFERENCE_CHARS_MAX)?;
    validate::ensure(a.agents.len() <= BL_AGENTS_MAX && validate::distinct(&a.agents))?;
    let straight = match (a.transport_document_type, a.is_to_order) {
        // A sea waybill is never negotiable.
        (TransportDocumentType::Swb, true) => return Err(ErrorCode::InvalidInput.into()),
        // Straight BL and sea waybill: a named consignee, no endorsee.
        (_, false) => {
            validate::ensure(a.consignee.is_some() && a.endorsee.is_none())?;
            true
        }
        // To-order BL: to order of the endorsee, or endorsed in blank. DCSA ISS: consignee and
        // endorsee are mutually exclusive, so a to-order BL names no consignee; agents are a
        // straight-BL notion.
        (TransportDocumentType::Bol, true) => {
            validate::ensure(a.consignee.is_none() && a.agents.is_empty())?;
            false
        }
    };
    for party in [Some(&a.issue_to), Some(&a.shipper), a.consignee.as_ref(), a.endorsee.as_ref()]
        .into_iter()
        .flatten()
        .chain(&a.agents)
    {
        active(state, party)?;
    }
    let allowed = |p: &PartyId| *p == a.shipper || Some(*p) == a.consignee || a.agents.contains(p);
    // Straight BL: it may only be held by its shipper, its consignee and their agents.
    require(!straight || allowed(&a.issue_to), ErrorCode::RecipientNotAllowed)?;

    let document_checksum = check_document(a)?;
    let id = BlId::new(&ctx.submitter, &a.transport_document_reference);
    // Singularity: one live original per reference and carrier, for ever.
    require(state.get::<BlRecord>(&StateKey::Bl(id))?.is_none(), ErrorCode::BlExists)?;
    Ok(BlRecord {
        id,
        transport_document_reference: a.transport_document_reference.clone(),
        transport_document_type: a.transport_document_type,
        is_to_order: a.is_to_order,
        carrier: ctx.submitter,
        document_checksum,
        status: Issued,
        possessor: a.issue_to,
        endorsee: a.endorsee,
        endorsee_may_endorse: true,
        shipper: a.shipper,
        consignee: a.consignee,
        agents: a.agents.clone(),
        transfer_from: None,
        surrender: None,
        surrendered_by: None,
        lien: None,
        replaces,
        replaced_by: Vec::new(),
        paper_bl_number: None,
        issued_height: ctx.height(),
        updated_height: ctx.height(),
        history_len: 0,
        history_head: Hash::ZERO,
        possessor_signed: false,
    })
}

/// ISSUE — carrier: — → ISSUED; possessor = issueTo; checksum recorded.
pub fn issue<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    a: &IssueBl,
) -> Result<(), Fail> {
    active_with_role(state, &ctx.submitter, Role::Carrier)?;
    let mut record = new_record(state, ctx, a, Vec::new())?;
    append_history(state, ctx, &mut record, "ISSUE", Some(a.issue_to));
    state.put(StateKey::Bl(record.id), &record);
    Ok(())
}

/// REISSUE — issuing carrier: VOIDED → new BL(s) ISSUED to the party that surrendered for
/// amendment; links old and new. One → one amends, one → many splits, many → one merges.
pub fn reissue<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    a: &Reissue,
) -> Result<(), Fail> {
    active_with_role(state, &ctx.submitter, Role::Carrier)?;
    validate::ensure(
        (1..=REISSUE_BLS_MAX).contains(&a.voided.len())
            && (1..=REISSUE_BLS_MAX).contains(&a.replacements.len())
            && validate::distinct(&a.voided),
    )?;
    let mut requester: Option<PartyId> = None;
    let mut olds = Vec::with_capacity(a.voided.len());
    for id in &a.voided {
        let old = state.bl(id)?;
        require(old.carrier == ctx.submitter, ErrorCode::NotAuthorized)?;
        require(old.status == Voided, ErrorCode::IllegalTransition)?;
        // A voided BL is replaced once.
        require(old.replaced_by.is_empty(), ErrorCode::ReplacementMismatch)?;
        let by = old.surrender.as_ref().map(|s| s.requested_by).ok_or(ErrorCode::ReplacementMismatch)?;
        require(requester.is_none_or(|r| r == by), ErrorCode::ReplacementMismatch)?;
        requester = Some(by);
        olds.push(old);
    }
    let mut new_ids = Vec::with_capacity(a.replacements.len());
    for replacement in &a.replacements {
        // Title continues with whoever surrendered the voided original(s).
        require(Some(replacement.issue_to) == requester, ErrorCode::ReplacementMismatch)?;
        let mut record = new_record(state, ctx, replacement, a.voided.clone())?;
        append_history(state, ctx, &mut record, "ISSUE", Some(replacement.issue_to));
        state.put(StateKey::Bl(record.id), &record);
        new_ids.push(record.id);
    }
    for mut old in olds {
        old.replaced_by = new_ids.clone();
        append_history(state, ctx, &mut old, "REISSUE", None);
        state.put(StateKey::Bl(old.id), &old);
    }
    Ok(())
}

/// Every action on an existing BL: a transition on (status, action).
pub fn act<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    action: &Action,
) -> Result<(), Fail> {
    let id = action.title_bl().ok_or(ErrorCode::InvalidInput)?;
    let mut bl = state.bl(&id)?;
    let possessor_before = bl.possessor;
    let window_before = bl.transfer_from;
    let recipient = match (bl.status, action) {
        // DCSA PINT: once SACC is recorded no further transaction is permitted; MLETR change
        // of medium: a switched-to-paper record is inoperative; a replaced original is spent.
        _ if bl.is_final() => Err(ErrorCode::IllegalTransition.into()),
        (Issued, Action::Transfer { to, .. }) => transfer(state, ctx, &mut bl, to),
        (Issued, Action::Endorse { endorsee, .. }) => endorse(state, ctx, &mut bl, endorsee, false),
        (Issued, Action::EndorseToOrder { endorsee, .. }) => endorse(state, ctx, &mut bl, endorsee, true),
        (Issued, Action::BlankEndorse { .. }) => blank_endorse(ctx, &mut bl),
        // DCSA PINT SIGN: the possessor visibly confirms its possession.
        (Issued, Action::Sign { .. }) => sign(ctx, &mut bl),
        (Issued, Action::RejectTransfer { reason, .. }) => reject_transfer(ctx, &mut bl, reason),
        (Issued, Action::SurrenderForDelivery { .. }) => surrender(ctx, &mut bl, None),
        (Issued, Action::SurrenderForAmendment { reason, .. }) => surrender(ctx, &mut bl, Some(*reason)),
        (PendingSurrenderForDelivery | PendingSurrenderForAmendment, Action::AcceptSurrender { .. }) => {
            accept_surrender(ctx, &mut bl)
        }
        (
            PendingSurrenderForDelivery | PendingSurrenderForAmendment,
            Action::RejectSurrender { reason, .. },
        ) => reject_surrender(ctx, &mut bl, reason),
        (PendingSurrenderForAmendment | Voided, Action::SwitchToPaper { paper_bl_number, .. }) => {
            switch_to_paper(ctx, &mut bl, paper_bl_number)
        }
        (Issued, Action::CreateLien(a)) => lien::create(state, ctx, &mut bl, a),
        // The lienholder may give up its claim at any time before the BL is final.
        (_, Action::ReleaseLien { .. }) => lien::release(ctx, &mut bl),
        // Every other status: DCSA PINT allows the action only from the statuses above.
        (
            _,
            Action::Transfer { .. }
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
            | Action::CreateLien(_),
        ) => Err(ErrorCode::IllegalTransition.into()),
        // Not an action on an existing BL's title (`title_bl` gave none): `exec` sends these
        // elsewhere.
        (
            _,
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
            | Action::ReplaceKey { .. },
        ) => Err(ErrorCode::InvalidInput.into()),
    }?;
    // REJECT is open to a recipient only as its next action on the BL: the window closes when the
    // recipient acts (alone or as co-signer) or possession moves; a bank releasing its lien does not
    // close it. An action that opened a new window (a TRANSFER: it names the previous possessor,
    // never the sender of the window before) keeps it open.
    let recipient_acted = ctx.signed_by(&possessor_before) || bl.possessor != possessor_before;
    let opened_window = bl.transfer_from != window_before;
    if !opened_window && recipient_acted {
        bl.transfer_from = None;
    }
    if bl.possessor != possessor_before {
        bl.possessor_signed = false;
    }
    append_history(state, ctx, &mut bl, action.name(), recipient);
    state.put(StateKey::Bl(bl.id), &bl);
    Ok(())
}

/// SIGN — possessor: confirms its possession, once per possession (DCSA PINT SIGN).
fn sign(ctx: &TxCtx<'_>, bl: &mut BlRecord) -> Result<Option<PartyId>, Fail> {
    possessor(ctx, bl)?;
    require(!bl.possessor_signed, ErrorCode::AlreadySigned)?;
    bl.possessor_signed = true;
    Ok(None)
}

/// MLETR exclusive control: only the possessor moves the BL.
fn possessor(ctx: &TxCtx<'_>, bl: &BlRecord) -> Result<(), Fail> {
    require(ctx.submitter == bl.possessor, ErrorCode::NotPossessor)
}

/// A sea waybill is not a document of title: nothing can be transferred, endorsed, pledged
/// or surrendered.
pub(crate) fn title_document(bl: &BlRecord) -> Result<(), Fail> {
    require(bl.transport_document_type == TransportDocumentType::Bol, ErrorCode::WrongDocumentType)
}

/// TRANSFER — possessor: moves possession. A straight BL moves only among its shipper,
/// consignee and their agents.
fn transfer<R: StateRead + ?Sized>(
    state: &Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    bl: &mut BlRecord,
    to: &PartyId,
) -> Result<Option<PartyId>, Fail> {
    title_document(bl)?;
    possessor(ctx, bl)?;
    validate::ensure(*to != bl.possessor)?;
    active(state, to)?;
    if !bl.is_to_order {
        let allowed = *to == bl.shipper || Some(*to) == bl.consignee || bl.agents.contains(to);
        require(allowed, ErrorCode::RecipientNotAllowed)?;
    }
    bl.transfer_from = Some(bl.possessor);
    bl.possessor = *to;
    Ok(Some(*to))
}

/// The possessor may endorse when it is the endorsee of an order BL, or when the BL is
/// endorsed in blank (DCSA PINT: the endorsement takes place at the current endorsee who
/// also holds possession).
fn may_endorse(ctx: &TxCtx<'_>, bl: &BlRecord) -> Result<(), Fail> {
    title_document(bl)?;
    require(bl.is_to_order, ErrorCode::WrongDocumentType)?;
    possessor(ctx, bl)?;
    if let Some(endorsee) = bl.endorsee {
        require(endorsee == ctx.submitter, ErrorCode::NotEndorsee)?;
        // DCSA PINT ENDORSE: "This recipient CANNOT further endorse the eBL".
        require(bl.endorsee_may_endorse, ErrorCode::EndorsementNotAllowed)?;
    }
    Ok(())
}

/// ENDORSE / ENDORSE_TO_ORDER — names a new endorsee; possession does not move.
fn endorse<R: StateRead + ?Sized>(
    state: &Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    bl: &mut BlRecord,
    endorsee: &PartyId,
    to_order: bool,
) -> Result<Option<PartyId>, Fail> {
    may_endorse(ctx, bl)?;
    validate::ensure(*endorsee != ctx.submitter)?;
    active(state, endorsee)?;
    bl.endorsee = Some(*endorsee);
    bl.endorsee_may_endorse = to_order;
    Ok(Some(*endorsee))
}

/// BLANK_ENDORSE — the endorsee clears the endorsee: whoever possesses the BL holds title.
fn blank_endorse(ctx: &TxCtx<'_>, bl: &mut BlRecord) -> Result<Option<PartyId>, Fail> {
    may_endorse(ctx, bl)?;
    require(bl.endorsee.is_some(), ErrorCode::IllegalTransition)?;
    bl.endorsee = None;
    bl.endorsee_may_endorse = true;
    Ok(None)
}

/// REJECT — the recipient of the last TRANSFER, as its next action, sends it back.
fn reject_transfer(ctx: &TxCtx<'_>, bl: &mut BlRecord, reason: &str) -> Result<Option<PartyId>, Fail> {
    validate::remark(reason, TEXT_CHARS_MAX)?;
    let from =
        bl.transfer_from.filter(|_| ctx.submitter == bl.possessor).ok_or(ErrorCode::NothingToReject)?;
    bl.possessor = from;
    Ok(Some(from))
}

/// The one rule for who is entitled to the goods — who may surrender the BL and who may pledge
/// it (CREATE_LIEN): its possessor, when that possessor is the consignee of a straight BL, the
/// endorsee of a to-order BL, or anyone at all of a BL endorsed in blank. Possession alone is
/// not title: once an order BL is endorsed to E, its possessor holds it for E (MLETR
/// identification of the person in control; DCSA PINT: the endorsee surrenders). `Ok` when
/// `party` is that holder, else the part of the rule it misses.
pub(crate) fn entitled_to_goods(bl: &BlRecord, party: &PartyId) -> Result<(), Fail> {
    title_document(bl)?;
    require(*party == bl.possessor, ErrorCode::NotPossessor)?;
    if !bl.is_to_order {
        require(Some(*party) == bl.consignee, ErrorCode::NotAuthorized)?;
    } else if let Some(endorsee) = bl.endorsee {
        require(endorsee == *party, ErrorCode::NotEndorsee)?;
    }
    Ok(())
}

/// SURRENDER_FOR_DELIVERY / _FOR_AMENDMENT — the party entitled to the goods
/// ([`entitled_to_goods`]) hands the BL to the issuing carrier. An active lien blocks it unless
/// the lienholder co-signs (the bank consents).
fn surrender(
    ctx: &TxCtx<'_>,
    bl: &mut BlRecord,
    reason: Option<AmendmentReason>,
) -> Result<Option<PartyId>, Fail> {
    entitled_to_goods(bl, &ctx.submitter)?;
    if let Some(lien) = bl.active_lien(ctx.now_ms()) {
        require(ctx.signed_by(&lien.bank), ErrorCode::LienActive)?;
    }
    bl.status = if reason.is_some() { PendingSurrenderForAmendment } else { PendingSurrenderForDelivery };
    bl.surrender = Some(SurrenderRequest { requested_by: ctx.submitter, amendment_reason: reason });
    // DCSA PINT: the recipient of a surrender is always the issuing carrier.
    bl.possessor = bl.carrier;
    Ok(Some(bl.carrier))
}

fn issuing_carrier(ctx: &TxCtx<'_>, bl: &BlRecord) -> Result<(), Fail> {
    require(ctx.submitter == bl.carrier, ErrorCode::NotAuthorized)
}

fn requester(bl: &BlRecord) -> Result<PartyId, Fail> {
    bl.surrender
        .as_ref()
        .map(|s| s.requested_by)
        .ok_or_else(|| Fail::Store(corrupt(bl, "pending without request")))
}

fn corrupt(bl: &BlRecord, what: &str) -> ebl_ledger::StoreError {
    ebl_ledger::StoreError::Corrupt(format!("BL {}: {what}", bl.id))
}

/// SACC — issuing carrier: PENDING_FOR_DELIVERY → SURRENDERED_FOR_DELIVERY (terminal);
/// PENDING_FOR_AMENDMENT → VOIDED.
fn accept_surrender(ctx: &TxCtx<'_>, bl: &mut BlRecord) -> Result<Option<PartyId>, Fail> {
    issuing_carrier(ctx, bl)?;
    let by = requester(bl)?;
    if bl.status == PendingSurrenderForDelivery {
        bl.status = SurrenderedForDelivery;
        bl.surrendered_by = Some(by);
    } else {
        bl.status = Voided;
    }
    Ok(Some(by))
}

/// SREJ — issuing carrier: PENDING_* → ISSUED, possession back to the requester.
fn reject_surrender(ctx: &TxCtx<'_>, bl: &mut BlRecord, reason: &str) -> Result<Option<PartyId>, Fail> {
    issuing_carrier(ctx, bl)?;
    validate::remark(reason, TEXT_CHARS_MAX)?;
    let by = requester(bl)?;
    bl.status = Issued;
    bl.possessor = by;
    bl.surrender = None;
    Ok(Some(by))
}

/// SWITCH_TO_PAPER — issuing carrier, after a surrender for amendment with reason SWTP
/// (pending or accepted, not yet reissued): → SWITCHED_TO_PAPER, terminal.
fn switch_to_paper(
    ctx: &TxCtx<'_>,
    bl: &mut BlRecord,
    paper_bl_number: &str,
) -> Result<Option<PartyId>, Fail> {
    issuing_carrier(ctx, bl)?;
    validate::text(paper_bl_number, CODE_CHARS_MAX)?;
    let reason = bl.surrender.as_ref().and_then(|s| s.amendment_reason);
    require(
        reason == Some(AmendmentReason::Swtp) && bl.replaced_by.is_empty(),
        ErrorCode::IllegalTransition,
    )?;
    bl.status = SwitchedToPaper;
    bl.paper_bl_number = Some(paper_bl_number.to_owned());
    Ok(None)
}
