//! Container release (DESIGN §6): release order → holds ⇄ → delegation → pickup assignment →
//! gate-out with the outbound EIR → empty return with the inbound EIR; REVOKED and EXPIRED
//! are the exits. Time is the block's.

use ebl_ledger::action::{
    AssignPickup, EmptyReturn, GateOut, HoldAuthority, HoldTarget, IssueReleaseOrder, PlaceHold,
};
use ebl_ledger::limits::{
    CODE_CHARS_MAX, DELEGATIONS_MAX, EQUIPMENT_REFERENCE_CHARS_MAX, HOLDS_MAX, RELEASE_CONTAINERS_MAX,
    SEALS_MAX, TEXT_CHARS_MAX,
};
use ebl_ledger::records::{
    BlStatus, ContainerRef, Hold, InboundEir, OutboundEir, PickupAssignment, ReleasePhase, ReleaseRecord,
    Role, StateKey, TransportDocumentType,
};
use ebl_ledger::{ErrorCode, Hash, PartyId, StateRead};

use crate::exec::TxCtx;
use crate::overlay::Overlay;
use crate::parties::{active, active_with_role};
use crate::{require, validate, Fail};

fn existing<R: StateRead + ?Sized>(
    state: &Overlay<'_, R>,
    container: &ContainerRef,
) -> Result<ReleaseRecord, Fail> {
    Ok(state.release(container)?.ok_or(ErrorCode::UnknownRelease)?)
}

/// Before gate-out the right can still be held, delegated, assigned or revoked.
fn open(record: &ReleaseRecord) -> Result<(), Fail> {
    require(
        matches!(record.phase, ReleasePhase::Ordered | ReleasePhase::PickupAssigned),
        ErrorCode::IllegalTransition,
    )
}

fn not_expired(ctx: &TxCtx<'_>, record: &ReleaseRecord) -> Result<(), Fail> {
    require(ctx.now_ms() < record.valid_until_ms, ErrorCode::ReleaseExpired)
}

/// ISSUE_RELEASE_ORDER — issuing carrier, once the BL is SURRENDERED_FOR_DELIVERY (the right
/// goes to the party that surrendered it) or, for a sea waybill, to its named consignee.
pub fn issue_order<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    a: &IssueReleaseOrder,
) -> Result<(), Fail> {
    let bl = state.bl(&a.bl)?;
    require(ctx.submitter == bl.carrier, ErrorCode::NotAuthorized)?;
    let right_holder = match (bl.transport_document_type, bl.status) {
        (TransportDocumentType::Bol, BlStatus::SurrenderedForDelivery) => bl.surrendered_by,
        (TransportDocumentType::Swb, BlStatus::Issued) => bl.consignee,
        _ => return Err(ErrorCode::IllegalTransition.into()),
    }
    .ok_or_else(|| {
        Fail::Store(ebl_ledger::StoreError::Corrupt(format!("BL {} has no right holder", bl.id)))
    })?;
    active_with_role(state, &a.terminal, Role::Terminal)?;
    validate::ensure(
        (1..=RELEASE_CONTAINERS_MAX).contains(&a.equipment_references.len())
            && validate::distinct(&a.equipment_references)
            && a.valid_from_ms < a.valid_until_ms
            && ctx.now_ms() < a.valid_until_ms,
    )?;
    for equipment in &a.equipment_references {
        validate::text(equipment, EQUIPMENT_REFERENCE_CHARS_MAX)?;
        require(!equipment.contains(char::is_whitespace), ErrorCode::InvalidInput)?;
        let container = ContainerRef::new(a.bl, equipment.clone());
        require(state.release(&container)?.is_none(), ErrorCode::ReleaseExists)?;
        state.put_release(&ReleaseRecord {
            container,
            carrier: bl.carrier,
            terminal: a.terminal,
            valid_from_ms: a.valid_from_ms,
            valid_until_ms: a.valid_until_ms,
            charges_settled: a.charges_settled,
            right_holder,
            delegated_from: Vec::new(),
            holds: Vec::new(),
            next_hold_id: 0,
            phase: ReleasePhase::Ordered,
            pickup: None,
            gate_out: None,
            empty_return: None,
            revoked_reason: None,
            ordered_height: ctx.height(),
        });
    }
    Ok(())
}

/// SETTLE_CHARGES — the carrier records that freight and charges are paid.
pub fn settle_charges<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    container: &ContainerRef,
) -> Result<(), Fail> {
    let mut record = existing(state, container)?;
    require(ctx.submitter == record.carrier, ErrorCode::NotAuthorized)?;
    open(&record)?;
    require(!record.charges_settled, ErrorCode::IllegalTransition)?;
    record.charges_settled = true;
    state.put_release(&record);
    Ok(())
}

/// Customs holds need the CUSTOMS role; a terminal hold is placed by the container's own
/// terminal, on a container only.
fn may_hold<R: StateRead + ?Sized>(
    state: &Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    authority: HoldAuthority,
    terminal: Option<&PartyId>,
) -> Result<(), Fail> {
    match authority {
        HoldAuthority::Customs => active_with_role(state, &ctx.submitter, Role::Customs).map(|_| ()),
        HoldAuthority::Terminal => {
            active_with_role(state, &ctx.submitter, Role::Terminal)?;
            require(terminal == Some(&ctx.submitter), ErrorCode::NotAuthorized)
        }
    }
}

/// PLACE_HOLD — customs (container or whole BL) or the terminal (its container); may be
/// re-applied at any time before gate-out.
pub fn place_hold<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    a: &PlaceHold,
) -> Result<(), Fail> {
    validate::text(&a.reason, TEXT_CHARS_MAX)?;
    validate::optional_text(a.declaration_number.as_deref(), CODE_CHARS_MAX)?;
    let hold = |id| Hold {
        id,
        authority: a.authority,
        placed_by: ctx.submitter,
        reason: a.reason.clone(),
        declaration_number: a.declaration_number.clone(),
        placed_at_ms: ctx.now_ms(),
    };
    match &a.target {
        HoldTarget::Container(container) => {
            let mut record = existing(state, container)?;
            may_hold(state, ctx, a.authority, Some(&record.terminal))?;
            open(&record)?;
            require(record.holds.len() < HOLDS_MAX, ErrorCode::LimitReached)?;
            record.holds.push(hold(record.next_hold_id));
            record.next_hold_id += 1;
            state.put_release(&record);
        }
        HoldTarget::Bl { bl } => {
            state.bl(bl)?;
            may_hold(state, ctx, a.authority, None)?;
            let mut list = state.bl_holds(bl)?;
            require(list.holds.len() < HOLDS_MAX, ErrorCode::LimitReached)?;
            list.holds.push(hold(list.next_id));
            list.next_id += 1;
            state.put(StateKey::BlHolds(*bl), &list);
        }
    }
    Ok(())
}

/// Customs lifts any customs hold; a terminal lifts only its own.
fn may_lift<R: StateRead + ?Sized>(state: &Overlay<'_, R>, ctx: &TxCtx<'_>, hold: &Hold) -> Result<(), Fail> {
    match hold.authority {
        HoldAuthority::Customs => active_with_role(state, &ctx.submitter, Role::Customs).map(|_| ()),
        HoldAuthority::Terminal => require(hold.placed_by == ctx.submitter, ErrorCode::NotAuthorized),
    }
}

/// LIFT_HOLD — removes one hold.
pub fn lift_hold<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    target: &HoldTarget,
    hold_id: u32,
) -> Result<(), Fail> {
    match target {
        HoldTarget::Container(container) => {
            let mut record = existing(state, container)?;
            open(&record)?;
            let at = record.holds.iter().position(|h| h.id == hold_id).ok_or(ErrorCode::UnknownHold)?;
            may_lift(state, ctx, &record.holds[at])?;
            record.holds.remove(at);
            state.put_release(&record);
        }
        HoldTarget::Bl { bl } => {
            state.bl(bl)?;
            let mut list = state.bl_holds(bl)?;
            let at = list.holds.iter().position(|h| h.id == hold_id).ok_or(ErrorCode::UnknownHold)?;
            may_lift(state, ctx, &list.holds[at])?;
            list.holds.remove(at);
            state.put(StateKey::BlHolds(*bl), &list);
        }
    }
    Ok(())
}

/// DELEGATE_RELEASE — the right holder passes the right on (consignee → forwarder →
/// haulier); one holder at a time. A new holder assigns its own pickup.
pub fn delegate<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    container: &ContainerRef,
    to: &PartyId,
) -> Result<(), Fail> {
    let mut record = existing(state, container)?;
    open(&record)?;
    require(ctx.submitter == record.right_holder, ErrorCode::NotRightHolder)?;
    not_expired(ctx, &record)?;
    validate::ensure(*to != ctx.submitter)?;
    active(state, to)?;
    require(record.delegated_from.len() < DELEGATIONS_MAX, ErrorCode::LimitReached)?;
    record.delegated_from.push(record.right_holder);
    record.right_holder = *to;
    record.pickup = None;
    record.phase = ReleasePhase::Ordered;
    state.put_release(&record);
    Ok(())
}

/// REVOKE_RELEASE — the carrier withdraws the right before gate-out: → REVOKED.
pub fn revoke<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    container: &ContainerRef,
    reason: &str,
) -> Result<(), Fail> {
    let mut record = existing(state, container)?;
    require(ctx.submitter == record.carrier, ErrorCode::NotAuthorized)?;
    open(&record)?;
    validate::text(reason, TEXT_CHARS_MAX)?;
    record.phase = ReleasePhase::Revoked;
    record.revoked_reason = Some(reason.to_owned());
    state.put_release(&record);
    Ok(())
}

/// ASSIGN_PICKUP — the right holder binds the right to a truck, a hashed driver id and a slot
/// inside the validity window, optionally with a one-time code whose hash is recorded.
pub fn assign_pickup<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    a: &AssignPickup,
) -> Result<(), Fail> {
    let mut record = existing(state, &a.container)?;
    open(&record)?;
    require(ctx.submitter == record.right_holder, ErrorCode::NotRightHolder)?;
    not_expired(ctx, &record)?;
    validate::text(&a.truck_plate, CODE_CHARS_MAX)?;
    validate::ensure(
        a.slot_start_ms < a.slot_end_ms
            && a.slot_end_ms > ctx.now_ms()
            && a.slot_end_ms <= record.valid_until_ms,
    )?;
    record.pickup = Some(PickupAssignment {
        assigned_by: ctx.submitter,
        truck_plate: a.truck_plate.clone(),
        driver_id_hash: a.driver_id_hash,
        slot_start_ms: a.slot_start_ms,
        slot_end_ms: a.slot_end_ms,
        pickup_code_hash: a.pickup_code_hash,
    });
    record.phase = ReleasePhase::PickupAssigned;
    state.put_release(&record);
    Ok(())
}

/// GATE_OUT — the container's terminal records the outbound EIR, only if no hold is active
/// (on the container or its BL), the right is valid and paid for, and truck, driver, code and
/// slot match the assignment. It consumes the right.
pub fn gate_out<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    a: &GateOut,
) -> Result<(), Fail> {
    let mut record = existing(state, &a.container)?;
    require(ctx.submitter == record.terminal, ErrorCode::NotAuthorized)?;
    validate::ensure(a.seal_numbers.len() <= SEALS_MAX)?;
    for seal in &a.seal_numbers {
        validate::text(seal, CODE_CHARS_MAX)?;
    }
    validate::remark(&a.condition, TEXT_CHARS_MAX)?;
    let pickup = match record.phase {
        ReleasePhase::PickupAssigned => record.pickup.clone().ok_or(ErrorCode::NoPickupAssigned)?,
        ReleasePhase::Ordered => return Err(ErrorCode::NoPickupAssigned.into()),
        // A right is consumed once.
        _ => return Err(ErrorCode::IllegalTransition.into()),
    };
    let bl_holds = state.bl_holds(&a.container.bl)?;
    require(record.holds.is_empty() && bl_holds.holds.is_empty(), ErrorCode::HoldActive)?;
    require(ctx.now_ms() >= record.valid_from_ms, ErrorCode::ReleaseNotYetValid)?;
    not_expired(ctx, &record)?;
    require(record.charges_settled, ErrorCode::ChargesUnsettled)?;
    require(a.truck_plate == pickup.truck_plate, ErrorCode::TruckMismatch)?;
    require(a.driver_id_hash == pickup.driver_id_hash, ErrorCode::DriverMismatch)?;
    if let Some(expected) = pickup.pickup_code_hash {
        let presented = a.pickup_code.as_deref().map(|c| Hash::digest(c.as_bytes()));
        require(presented == Some(expected), ErrorCode::PickupCodeMismatch)?;
    }
    require(
        (pickup.slot_start_ms..=pickup.slot_end_ms).contains(&ctx.now_ms()),
        ErrorCode::OutsidePickupSlot,
    )?;
    record.gate_out = Some(OutboundEir {
        terminal: ctx.submitter,
        truck_plate: a.truck_plate.clone(),
        seal_numbers: a.seal_numbers.clone(),
        condition: a.condition.clone(),
        time_ms: ctx.now_ms(),
        released_to: record.right_holder,
    });
    record.phase = ReleasePhase::GatedOut;
    state.put_release(&record);
    Ok(())
}

/// EMPTY_RETURN — a terminal or depot records the inbound EIR and closes the container.
pub fn empty_return<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    a: &EmptyReturn,
) -> Result<(), Fail> {
    let mut record = existing(state, &a.container)?;
    active_with_role(state, &ctx.submitter, Role::Terminal)?;
    require(record.phase == ReleasePhase::GatedOut, ErrorCode::IllegalTransition)?;
    validate::remark(&a.damage_notes, TEXT_CHARS_MAX)?;
    record.empty_return = Some(InboundEir {
        recorded_by: ctx.submitter,
        damage_notes: a.damage_notes.clone(),
        time_ms: ctx.now_ms(),
    });
    record.phase = ReleasePhase::EmptyReturned;
    state.put_release(&record);
    Ok(())
}
