//! Container release (DESIGN §6), action by action: for every action the permitted party
//! succeeds, and every wrong party, wrong state, wrong BL type and bad input is refused with its
//! stable error code, leaving the state untouched but for the submitter's nonce.
//!
//! Time: every block is `BLOCK_MS` after the previous one (plus any `advance_time`), so the
//! block that executes the next action runs at `now(&ledger)`.

use ebl_contracts::testkit::{sea_waybill, straight, to_order, Cast, TestLedger, BLOCK_MS};
use ebl_ledger::action::{
    Action, AmendmentReason, AssignPickup, EmptyReturn, ExternalCodes, GateOut, HoldAuthority, HoldTarget,
    IssueReleaseOrder, PlaceHold, RegisterParty,
};
use ebl_ledger::limits::{DELEGATIONS_MAX, HOLDS_MAX, RELEASE_CONTAINERS_MAX, SEALS_MAX};
use ebl_ledger::records::{
    BlStatus, ContainerRef, Hold, InboundEir, OutboundEir, PickupAssignment, ReleasePhase, ReleaseStatus,
    Role, RoleSet,
};
use ebl_ledger::{BlId, ErrorCode, Hash, Keypair};

const REFERENCE: &str = "HHL71800000";
const CONTAINER: &str = "APZU4812090";
const OTHER_CONTAINER: &str = "NARU3472484";
const HOUR_MS: u64 = 3_600_000;
const DAY_MS: u64 = 86_400_000;
const TRUCK: &str = "沪A12345";
const PICKUP_CODE: &str = "739204";
const DECLARATION: &str = "223320260000123456";
const HOLD_REASON: &str = "documentary check";
const SEAL: &str = "DCSA-CTK-1234";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// The time of the block that executes the next action.
fn now(ledger: &TestLedger) -> u64 {
    ledger.time_ms + BLOCK_MS
}

fn driver() -> Hash {
    Hash::digest(b"driver licence 310101199001011234")
}

/// A surrendered BL whose container `CONTAINER` is released to the consignee at the cast's
/// terminal, valid for a day, charges settled.
fn released(cast: &Cast) -> (TestLedger, BlId, ContainerRef) {
    let mut ledger = TestLedger::new(cast);
    let (bl, mut containers) = ledger.released(cast, REFERENCE, &[CONTAINER]);
    (ledger, bl, containers.remove(0))
}

/// As [`released`], with a pickup assigned by the consignee from now for two hours, with a code.
fn ready_for_gate_out(cast: &Cast) -> (TestLedger, BlId, ContainerRef) {
    let (mut ledger, bl, container) = released(cast);
    let pickup = pickup_now(&ledger, &container);
    ledger.ok(&cast.consignee, pickup);
    (ledger, bl, container)
}

/// As [`ready_for_gate_out`], gated out.
fn gated_out(cast: &Cast) -> (TestLedger, BlId, ContainerRef) {
    let (mut ledger, bl, container) = ready_for_gate_out(cast);
    ledger.ok(&cast.terminal, good_gate_out(&container));
    (ledger, bl, container)
}

fn order(
    bl: BlId,
    equipment: &[&str],
    terminal: &Keypair,
    from_ms: u64,
    until_ms: u64,
    settled: bool,
) -> Action {
    Action::IssueReleaseOrder(IssueReleaseOrder {
        bl,
        equipment_references: equipment.iter().map(|e| e.to_string()).collect(),
        terminal: terminal.party(),
        valid_from_ms: from_ms,
        valid_until_ms: until_ms,
        charges_settled: settled,
    })
}

/// A release order at the cast's terminal, valid from the next block for a day, charges settled.
fn order_for_a_day(ledger: &TestLedger, cast: &Cast, bl: BlId, equipment: &[&str]) -> Action {
    let t = now(ledger);
    order(bl, equipment, &cast.terminal, t, t + DAY_MS, true)
}

fn on(container: &ContainerRef) -> HoldTarget {
    HoldTarget::Container(container.clone())
}

fn whole(bl: BlId) -> HoldTarget {
    HoldTarget::Bl { bl }
}

/// PLACE_HOLD; customs holds carry a declaration number.
fn hold(target: HoldTarget, authority: HoldAuthority) -> Action {
    Action::PlaceHold(PlaceHold {
        target,
        authority,
        reason: HOLD_REASON.into(),
        declaration_number: (authority == HoldAuthority::Customs).then(|| DECLARATION.into()),
    })
}

fn lift(target: HoldTarget, hold_id: u32) -> Action {
    Action::LiftHold { target, hold_id }
}

fn delegate(container: &ContainerRef, to: &Keypair) -> Action {
    Action::DelegateRelease { container: container.clone(), to: to.party() }
}

fn revoke(container: &ContainerRef) -> Action {
    Action::RevokeRelease { container: container.clone(), reason: "freight dispute".into() }
}

fn settle(container: &ContainerRef) -> Action {
    Action::SettleCharges { container: container.clone() }
}

fn pickup(container: &ContainerRef, slot_start_ms: u64, slot_end_ms: u64, code: Option<&str>) -> Action {
    Action::AssignPickup(AssignPickup {
        container: container.clone(),
        truck_plate: TRUCK.into(),
        driver_id_hash: driver(),
        slot_start_ms,
        slot_end_ms,
        pickup_code_hash: code.map(|c| Hash::digest(c.as_bytes())),
    })
}

/// A pickup slot from the next block for two hours, with the one-time code.
fn pickup_now(ledger: &TestLedger, container: &ContainerRef) -> Action {
    let t = now(ledger);
    pickup(container, t, t + 2 * HOUR_MS, Some(PICKUP_CODE))
}

fn gate_out(container: &ContainerRef, truck: &str, driver_id_hash: Hash, code: Option<&str>) -> Action {
    Action::GateOut(GateOut {
        container: container.clone(),
        truck_plate: truck.into(),
        driver_id_hash,
        pickup_code: code.map(str::to_owned),
        seal_numbers: vec![SEAL.into()],
        condition: "sound".into(),
    })
}

fn good_gate_out(container: &ContainerRef) -> Action {
    gate_out(container, TRUCK, driver(), Some(PICKUP_CODE))
}

fn empty_return(container: &ContainerRef, damage_notes: &str) -> Action {
    Action::EmptyReturn(EmptyReturn { container: container.clone(), damage_notes: damage_notes.into() })
}

fn register(ledger: &mut TestLedger, cast: &Cast, key: &Keypair, name: &str, role: Role) {
    ledger.ok(
        &cast.registrar,
        Action::RegisterParty(RegisterParty {
            party: key.party(),
            legal_name: name.into(),
            roles: RoleSet::of(&[role]),
            codes: ExternalCodes::default(),
        }),
    );
}

// ---------------------------------------------------------------------------------------------
// ISSUE_RELEASE_ORDER
// ---------------------------------------------------------------------------------------------

#[test]
fn the_issuing_carrier_releases_the_containers_of_a_surrendered_bl_to_the_party_that_surrendered_it() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.surrendered_for_delivery(&cast, REFERENCE);
    let t = now(&ledger);
    ledger.ok(&cast.carrier, order(bl, &[CONTAINER, OTHER_CONTAINER], &cast.terminal, t, t + DAY_MS, true));

    for equipment in [CONTAINER, OTHER_CONTAINER] {
        let container = ContainerRef::new(bl, equipment);
        let record = ledger.release(&container);
        assert_eq!(record.container, container);
        assert_eq!(record.carrier, cast.carrier.party());
        assert_eq!(record.terminal, cast.terminal.party());
        assert_eq!((record.valid_from_ms, record.valid_until_ms), (t, t + DAY_MS));
        assert!(record.charges_settled);
        // The consignee surrendered the BL for delivery: the right is its.
        assert_eq!(record.right_holder, cast.consignee.party());
        assert!(record.delegated_from.is_empty());
        assert!(record.holds.is_empty());
        assert_eq!(record.next_hold_id, 0);
        assert_eq!(record.phase, ReleasePhase::Ordered);
        assert_eq!(
            (record.pickup, record.gate_out, record.empty_return, record.revoked_reason),
            (None, None, None, None)
        );
        assert_eq!(record.ordered_height, ledger.height);
        assert_eq!(ledger.release_status(&container), ReleaseStatus::Available);
    }
    assert_eq!(ledger.bl(&bl).status, BlStatus::SurrenderedForDelivery);
}

#[test]
fn the_right_goes_to_whoever_surrendered_a_blank_endorsed_bl() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, to_order(REFERENCE, &cast.shipper, None));
    let bl = BlId::new(&cast.carrier.party(), REFERENCE);
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.forwarder.party() });
    ledger.ok(&cast.forwarder, Action::SurrenderForDelivery { bl });
    ledger.ok(&cast.carrier, Action::AcceptSurrender { bl });

    let action = order_for_a_day(&ledger, &cast, bl, &[CONTAINER]);
    ledger.ok(&cast.carrier, action);
    assert_eq!(ledger.release(&ContainerRef::new(bl, CONTAINER)).right_holder, cast.forwarder.party());
}

#[test]
fn the_right_of_a_surrendered_straight_bl_goes_to_its_consignee() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_straight(&cast, REFERENCE);
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    ledger.ok(&cast.consignee, Action::SurrenderForDelivery { bl });
    ledger.ok(&cast.carrier, Action::AcceptSurrender { bl });

    let action = order_for_a_day(&ledger, &cast, bl, &[CONTAINER]);
    ledger.ok(&cast.carrier, action);
    assert_eq!(ledger.release(&ContainerRef::new(bl, CONTAINER)).right_holder, cast.consignee.party());
}

#[test]
fn a_sea_waybill_is_released_to_its_consignee_straight_from_issued() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, sea_waybill("SWB71800000", &cast.shipper, &cast.consignee));
    let bl = BlId::new(&cast.carrier.party(), "SWB71800000");
    assert_eq!(ledger.bl(&bl).status, BlStatus::Issued);

    let action = order_for_a_day(&ledger, &cast, bl, &[CONTAINER]);
    ledger.ok(&cast.carrier, action);
    let container = ContainerRef::new(bl, CONTAINER);
    // Not the shipper, who holds the waybill record: the named consignee.
    assert_eq!(ledger.release(&container).right_holder, cast.consignee.party());
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Available);
}

#[test]
fn only_the_issuing_carrier_issues_a_release_order() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.surrendered_for_delivery(&cast, REFERENCE);
    for wrong in [&cast.carrier2, &cast.consignee, &cast.terminal, &cast.customs] {
        let action = order_for_a_day(&ledger, &cast, bl, &[CONTAINER]);
        ledger.assert_refused(&[wrong], action, ErrorCode::NotAuthorized);
    }
}

#[test]
fn a_release_order_for_an_unknown_bl_is_refused() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let unknown = BlId::new(&cast.carrier.party(), "HHL00000000");
    let action = order_for_a_day(&ledger, &cast, unknown, &[CONTAINER]);
    ledger.assert_refused(&[&cast.carrier], action, ErrorCode::UnknownBl);
}

#[test]
fn a_bill_of_lading_must_be_surrendered_for_delivery_before_its_release() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REFERENCE);

    // ISSUED.
    let action = order_for_a_day(&ledger, &cast, bl, &[CONTAINER]);
    ledger.assert_refused(&[&cast.carrier], action, ErrorCode::IllegalTransition);

    // PENDING_SURRENDER_FOR_DELIVERY: the carrier has not accepted yet.
    ledger.ok(&cast.shipper, Action::SurrenderForDelivery { bl });
    assert_eq!(ledger.bl(&bl).status, BlStatus::PendingSurrenderForDelivery);
    let action = order_for_a_day(&ledger, &cast, bl, &[CONTAINER]);
    ledger.assert_refused(&[&cast.carrier], action, ErrorCode::IllegalTransition);

    // VOIDED after a surrender for amendment.
    ledger.ok(&cast.carrier, Action::RejectSurrender { bl, reason: "not yet arrived".into() });
    ledger.ok(&cast.shipper, Action::SurrenderForAmendment { bl, reason: AmendmentReason::Cod });
    ledger.ok(&cast.carrier, Action::AcceptSurrender { bl });
    assert_eq!(ledger.bl(&bl).status, BlStatus::Voided);
    let action = order_for_a_day(&ledger, &cast, bl, &[CONTAINER]);
    ledger.assert_refused(&[&cast.carrier], action, ErrorCode::IllegalTransition);
}

#[test]
fn an_issued_straight_bill_of_lading_is_not_released_like_a_sea_waybill() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, straight(REFERENCE, &cast.shipper, &cast.consignee, &[]));
    let bl = BlId::new(&cast.carrier.party(), REFERENCE);
    let action = order_for_a_day(&ledger, &cast, bl, &[CONTAINER]);
    ledger.assert_refused(&[&cast.carrier], action, ErrorCode::IllegalTransition);
}

#[test]
fn the_terminal_of_a_release_order_must_be_an_active_terminal() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.surrendered_for_delivery(&cast, REFERENCE);
    let t = now(&ledger);
    for not_a_terminal in [&cast.haulier, &cast.customs, &cast.consignee] {
        let action = order(bl, &[CONTAINER], not_a_terminal, t, t + DAY_MS, true);
        ledger.assert_refused(&[&cast.carrier], action, ErrorCode::WrongRole);
    }
    let action = order(bl, &[CONTAINER], &cast.stranger, t, t + DAY_MS, true);
    ledger.assert_refused(&[&cast.carrier], action, ErrorCode::UnknownParty);

    ledger.ok(&cast.registrar, Action::SuspendParty { party: cast.terminal2.party() });
    let t = now(&ledger);
    let action = order(bl, &[CONTAINER], &cast.terminal2, t, t + DAY_MS, true);
    ledger.assert_refused(&[&cast.carrier], action, ErrorCode::PartySuspended);
}

#[test]
fn a_container_is_released_once() {
    let cast = Cast::new();
    let (mut ledger, bl, _) = released(&cast);
    let again = order_for_a_day(&ledger, &cast, bl, &[CONTAINER]);
    ledger.assert_refused(&[&cast.carrier], again, ErrorCode::ReleaseExists);
    // All or nothing: the new container listed with the released one is not released either.
    let mixed = order_for_a_day(&ledger, &cast, bl, &[OTHER_CONTAINER, CONTAINER]);
    ledger.assert_refused(&[&cast.carrier], mixed, ErrorCode::ReleaseExists);
    // Another container of the same BL may be released later.
    let other = order_for_a_day(&ledger, &cast, bl, &[OTHER_CONTAINER]);
    ledger.ok(&cast.carrier, other);
    assert_eq!(ledger.release_status(&ContainerRef::new(bl, OTHER_CONTAINER)), ReleaseStatus::Available);
}

#[test]
fn bad_equipment_references_are_invalid_input() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.surrendered_for_delivery(&cast, REFERENCE);
    let too_many: Vec<String> = (0..=RELEASE_CONTAINERS_MAX).map(|i| format!("MSKU{i:07}")).collect();
    let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
    let bad_lists: [&[&str]; 8] = [
        &[],
        &[""],
        &["APZU 481209"],
        &[" APZU481209"],
        &["APZU481209\t"],
        &["APZU48120901"], // 12 characters, DCSA allows 11
        &[CONTAINER, OTHER_CONTAINER, CONTAINER],
        &too_many,
    ];
    for list in bad_lists {
        let action = order_for_a_day(&ledger, &cast, bl, list);
        ledger.assert_refused(&[&cast.carrier], action, ErrorCode::InvalidInput);
    }
    // The largest order is accepted.
    let action = order_for_a_day(&ledger, &cast, bl, &too_many[..RELEASE_CONTAINERS_MAX]);
    ledger.ok(&cast.carrier, action);
    assert_eq!(ledger.release(&ContainerRef::new(bl, "MSKU0000063")).right_holder, cast.consignee.party());
}

#[test]
fn the_validity_window_must_be_well_formed_and_not_already_past() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.surrendered_for_delivery(&cast, REFERENCE);
    let t = now(&ledger);
    let windows = [
        (t + HOUR_MS, t + HOUR_MS),     // empty
        (t + 2 * HOUR_MS, t + HOUR_MS), // reversed
        (t - DAY_MS, t),                // ends as the block executes
        (t - DAY_MS, t - HOUR_MS),      // over
    ];
    for (from, until) in windows {
        let action = order(bl, &[CONTAINER], &cast.terminal, from, until, true);
        ledger.assert_refused(&[&cast.carrier], action, ErrorCode::InvalidInput);
    }
    // Started in the past but still running: accepted, and available at once.
    let t = now(&ledger);
    ledger.ok(&cast.carrier, order(bl, &[CONTAINER], &cast.terminal, t - DAY_MS, t + 1, true));
    assert_eq!(ledger.release_status(&ContainerRef::new(bl, CONTAINER)), ReleaseStatus::Available);
}

#[test]
fn a_release_not_yet_valid_is_release_ordered_until_its_window_opens() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.surrendered_for_delivery(&cast, REFERENCE);
    let t = now(&ledger);
    ledger.ok(&cast.carrier, order(bl, &[CONTAINER], &cast.terminal, t + HOUR_MS, t + DAY_MS, true));
    let container = ContainerRef::new(bl, CONTAINER);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::ReleaseOrdered);
    ledger.advance_time(HOUR_MS - 1);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::ReleaseOrdered);
    ledger.advance_time(1);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Available);
}

// ---------------------------------------------------------------------------------------------
// SETTLE_CHARGES
// ---------------------------------------------------------------------------------------------

#[test]
fn the_carrier_settles_the_charges_once_and_the_release_becomes_available() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.surrendered_for_delivery(&cast, REFERENCE);
    let t = now(&ledger);
    ledger.ok(&cast.carrier, order(bl, &[CONTAINER], &cast.terminal, t, t + DAY_MS, false));
    let container = ContainerRef::new(bl, CONTAINER);
    assert!(!ledger.release(&container).charges_settled);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::ReleaseOrdered);

    ledger.ok(&cast.carrier, settle(&container));
    assert!(ledger.release(&container).charges_settled);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Available);

    ledger.assert_refused(&[&cast.carrier], settle(&container), ErrorCode::IllegalTransition);
}

#[test]
fn only_the_carrier_of_the_release_settles_charges() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.surrendered_for_delivery(&cast, REFERENCE);
    let t = now(&ledger);
    ledger.ok(&cast.carrier, order(bl, &[CONTAINER], &cast.terminal, t, t + DAY_MS, false));
    let container = ContainerRef::new(bl, CONTAINER);
    for wrong in [&cast.carrier2, &cast.consignee, &cast.terminal, &cast.bank] {
        ledger.assert_refused(&[wrong], settle(&container), ErrorCode::NotAuthorized);
    }
    let unknown = ContainerRef::new(bl, OTHER_CONTAINER);
    ledger.assert_refused(&[&cast.carrier], settle(&unknown), ErrorCode::UnknownRelease);
}

#[test]
fn charges_cannot_be_settled_after_gate_out() {
    let cast = Cast::new();
    let (mut ledger, _, container) = gated_out(&cast);
    ledger.assert_refused(&[&cast.carrier], settle(&container), ErrorCode::IllegalTransition);
}

// ---------------------------------------------------------------------------------------------
// PLACE_HOLD
// ---------------------------------------------------------------------------------------------

#[test]
fn customs_holds_a_container() {
    let cast = Cast::new();
    let (mut ledger, bl, container) = released(&cast);
    ledger.ok(&cast.customs, hold(on(&container), HoldAuthority::Customs));
    let record = ledger.release(&container);
    assert_eq!(
        record.holds,
        vec![Hold {
            id: 0,
            authority: HoldAuthority::Customs,
            placed_by: cast.customs.party(),
            reason: HOLD_REASON.into(),
            declaration_number: Some(DECLARATION.into()),
            placed_at_ms: ledger.time_ms,
        }]
    );
    assert_eq!(record.next_hold_id, 1);
    assert!(ledger.bl_holds(&bl).holds.is_empty());
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Held);
}

#[test]
fn customs_holds_every_container_of_a_bl() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let (bl, containers) = ledger.released(&cast, REFERENCE, &[CONTAINER, OTHER_CONTAINER]);
    let records_before: Vec<_> = containers.iter().map(|c| ledger.release(c)).collect();

    ledger.ok(&cast.customs, hold(whole(bl), HoldAuthority::Customs));
    let list = ledger.bl_holds(&bl);
    assert_eq!(list.next_id, 1);
    assert_eq!(
        list.holds,
        vec![Hold {
            id: 0,
            authority: HoldAuthority::Customs,
            placed_by: cast.customs.party(),
            reason: HOLD_REASON.into(),
            declaration_number: Some(DECLARATION.into()),
            placed_at_ms: ledger.time_ms,
        }]
    );
    for (container, before) in containers.iter().zip(records_before) {
        // The container records are untouched; the BL-wide hold applies to each of them.
        assert_eq!(ledger.release(container), before);
        assert_eq!(ledger.release_status(container), ReleaseStatus::Held);
    }
}

#[test]
fn a_terminal_holds_its_own_container() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    ledger.ok(&cast.terminal, hold(on(&container), HoldAuthority::Terminal));
    let held = &ledger.release(&container).holds[0];
    assert_eq!(held.authority, HoldAuthority::Terminal);
    assert_eq!(held.placed_by, cast.terminal.party());
    assert_eq!(held.declaration_number, None);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Held);
}

#[test]
fn a_terminal_may_not_hold_another_terminals_container_nor_a_whole_bl() {
    let cast = Cast::new();
    let (mut ledger, bl, container) = released(&cast);
    ledger.assert_refused(
        &[&cast.terminal2],
        hold(on(&container), HoldAuthority::Terminal),
        ErrorCode::NotAuthorized,
    );
    ledger.assert_refused(
        &[&cast.terminal],
        hold(whole(bl), HoldAuthority::Terminal),
        ErrorCode::NotAuthorized,
    );
}

#[test]
fn only_customs_places_customs_holds_and_only_terminals_terminal_holds() {
    let cast = Cast::new();
    let (mut ledger, bl, container) = released(&cast);
    for not_customs in [&cast.terminal, &cast.carrier, &cast.consignee, &cast.haulier] {
        ledger.assert_refused(
            &[not_customs],
            hold(on(&container), HoldAuthority::Customs),
            ErrorCode::WrongRole,
        );
        ledger.assert_refused(&[not_customs], hold(whole(bl), HoldAuthority::Customs), ErrorCode::WrongRole);
    }
    for not_a_terminal in [&cast.customs, &cast.carrier, &cast.haulier] {
        ledger.assert_refused(
            &[not_a_terminal],
            hold(on(&container), HoldAuthority::Terminal),
            ErrorCode::WrongRole,
        );
    }
}

#[test]
fn no_hold_can_be_placed_on_a_container_after_gate_out() {
    let cast = Cast::new();
    let (mut ledger, _, container) = gated_out(&cast);
    ledger.assert_refused(
        &[&cast.customs],
        hold(on(&container), HoldAuthority::Customs),
        ErrorCode::IllegalTransition,
    );
    ledger.assert_refused(
        &[&cast.terminal],
        hold(on(&container), HoldAuthority::Terminal),
        ErrorCode::IllegalTransition,
    );
}

#[test]
fn a_container_carries_at_most_holds_max_holds() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    for _ in 0..HOLDS_MAX {
        ledger.ok(&cast.customs, hold(on(&container), HoldAuthority::Customs));
    }
    assert_eq!(ledger.release(&container).holds.len(), HOLDS_MAX);
    ledger.assert_refused(
        &[&cast.customs],
        hold(on(&container), HoldAuthority::Customs),
        ErrorCode::LimitReached,
    );
    ledger.assert_refused(
        &[&cast.terminal],
        hold(on(&container), HoldAuthority::Terminal),
        ErrorCode::LimitReached,
    );
    // Lifting one makes room again; ids are never reused.
    ledger.ok(&cast.customs, lift(on(&container), 3));
    ledger.ok(&cast.customs, hold(on(&container), HoldAuthority::Customs));
    let ids: Vec<u32> = ledger.release(&container).holds.iter().map(|h| h.id).collect();
    assert_eq!(ids.len(), HOLDS_MAX);
    assert!(!ids.contains(&3));
    assert_eq!(ids.last(), Some(&(HOLDS_MAX as u32)));
}

#[test]
fn a_bl_carries_at_most_holds_max_holds() {
    let cast = Cast::new();
    let (mut ledger, bl, _) = released(&cast);
    for _ in 0..HOLDS_MAX {
        ledger.ok(&cast.customs, hold(whole(bl), HoldAuthority::Customs));
    }
    assert_eq!(ledger.bl_holds(&bl).holds.len(), HOLDS_MAX);
    ledger.assert_refused(&[&cast.customs], hold(whole(bl), HoldAuthority::Customs), ErrorCode::LimitReached);
}

#[test]
fn a_hold_needs_a_reason_and_a_well_formed_declaration_number_and_a_known_target() {
    let cast = Cast::new();
    let (mut ledger, bl, container) = released(&cast);
    let with = |reason: &str, declaration: Option<&str>| {
        Action::PlaceHold(PlaceHold {
            target: on(&container),
            authority: HoldAuthority::Customs,
            reason: reason.into(),
            declaration_number: declaration.map(str::to_owned),
        })
    };
    for bad in [
        with("", None),
        with(" documentary check", None),
        with(&"x".repeat(501), None),
        with(HOLD_REASON, Some("")),
        with(HOLD_REASON, Some(&"9".repeat(36))),
    ] {
        ledger.assert_refused(&[&cast.customs], bad, ErrorCode::InvalidInput);
    }
    let unknown_container = ContainerRef::new(bl, OTHER_CONTAINER);
    ledger.assert_refused(
        &[&cast.customs],
        hold(on(&unknown_container), HoldAuthority::Customs),
        ErrorCode::UnknownRelease,
    );
    let unknown_bl = BlId::new(&cast.carrier.party(), "HHL00000000");
    ledger.assert_refused(
        &[&cast.customs],
        hold(whole(unknown_bl), HoldAuthority::Customs),
        ErrorCode::UnknownBl,
    );
}

#[test]
fn a_hold_can_be_re_applied_before_gate_out() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    ledger.ok(&cast.customs, hold(on(&container), HoldAuthority::Customs));
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Held);
    ledger.ok(&cast.customs, lift(on(&container), 0));
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Available);
    ledger.ok(&cast.customs, hold(on(&container), HoldAuthority::Customs));
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Held);
    let record = ledger.release(&container);
    assert_eq!(record.holds.iter().map(|h| h.id).collect::<Vec<_>>(), [1]);
    assert_eq!(record.next_hold_id, 2);
}

// ---------------------------------------------------------------------------------------------
// LIFT_HOLD
// ---------------------------------------------------------------------------------------------

#[test]
fn any_customs_party_lifts_a_customs_hold() {
    let cast = Cast::new();
    let (mut ledger, bl, container) = released(&cast);
    let customs2 = Keypair::for_test("customs2");
    register(&mut ledger, &cast, &customs2, "Port Customs Office", Role::Customs);

    ledger.ok(&cast.customs, hold(on(&container), HoldAuthority::Customs));
    ledger.ok(&cast.customs, hold(whole(bl), HoldAuthority::Customs));
    ledger.ok(&customs2, lift(on(&container), 0));
    assert!(ledger.release(&container).holds.is_empty());
    assert_eq!(ledger.release(&container).next_hold_id, 1);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Held, "the BL-wide hold remains");
    ledger.ok(&customs2, lift(whole(bl), 0));
    assert!(ledger.bl_holds(&bl).holds.is_empty());
    assert_eq!(ledger.bl_holds(&bl).next_id, 1);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Available);
}

#[test]
fn no_one_but_customs_lifts_a_customs_hold() {
    let cast = Cast::new();
    let (mut ledger, bl, container) = released(&cast);
    ledger.ok(&cast.customs, hold(on(&container), HoldAuthority::Customs));
    ledger.ok(&cast.customs, hold(whole(bl), HoldAuthority::Customs));
    for not_customs in [&cast.terminal, &cast.carrier, &cast.consignee] {
        ledger.assert_refused(&[not_customs], lift(on(&container), 0), ErrorCode::WrongRole);
        ledger.assert_refused(&[not_customs], lift(whole(bl), 0), ErrorCode::WrongRole);
    }
}

#[test]
fn only_the_placing_terminal_lifts_a_terminal_hold() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    ledger.ok(&cast.terminal, hold(on(&container), HoldAuthority::Terminal));
    for other in [&cast.customs, &cast.terminal2, &cast.carrier, &cast.consignee] {
        ledger.assert_refused(&[other], lift(on(&container), 0), ErrorCode::NotAuthorized);
    }
    ledger.ok(&cast.terminal, lift(on(&container), 0));
    assert!(ledger.release(&container).holds.is_empty());
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Available);
}

#[test]
fn lifting_a_hold_that_is_not_there_is_unknown_hold() {
    let cast = Cast::new();
    let (mut ledger, bl, container) = released(&cast);
    ledger.assert_refused(&[&cast.customs], lift(on(&container), 0), ErrorCode::UnknownHold);
    ledger.assert_refused(&[&cast.customs], lift(whole(bl), 0), ErrorCode::UnknownHold);
    ledger.ok(&cast.customs, hold(on(&container), HoldAuthority::Customs));
    ledger.assert_refused(&[&cast.customs], lift(on(&container), 7), ErrorCode::UnknownHold);
    ledger.ok(&cast.customs, lift(on(&container), 0));
    // Lifted already.
    ledger.assert_refused(&[&cast.customs], lift(on(&container), 0), ErrorCode::UnknownHold);
    let unknown = ContainerRef::new(bl, OTHER_CONTAINER);
    ledger.assert_refused(&[&cast.customs], lift(on(&unknown), 0), ErrorCode::UnknownRelease);
}

// ---------------------------------------------------------------------------------------------
// DELEGATE_RELEASE
// ---------------------------------------------------------------------------------------------

#[test]
fn the_right_is_delegated_consignee_to_forwarder_to_haulier() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    ledger.ok(&cast.consignee, delegate(&container, &cast.forwarder));
    let record = ledger.release(&container);
    assert_eq!(record.right_holder, cast.forwarder.party());
    assert_eq!(record.delegated_from, [cast.consignee.party()]);

    ledger.ok(&cast.forwarder, delegate(&container, &cast.haulier));
    let record = ledger.release(&container);
    assert_eq!(record.right_holder, cast.haulier.party());
    assert_eq!(record.delegated_from, [cast.consignee.party(), cast.forwarder.party()]);
    assert_eq!(record.phase, ReleasePhase::Ordered);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Available);
}

#[test]
fn only_the_right_holder_delegates() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    for wrong in [&cast.forwarder, &cast.haulier, &cast.carrier, &cast.terminal, &cast.shipper] {
        ledger.assert_refused(&[wrong], delegate(&container, &cast.outsider), ErrorCode::NotRightHolder);
    }
    ledger.ok(&cast.consignee, delegate(&container, &cast.forwarder));
    // One holder at a time: the former holder has nothing left to delegate.
    ledger.assert_refused(&[&cast.consignee], delegate(&container, &cast.haulier), ErrorCode::NotRightHolder);
}

#[test]
fn delegation_clears_the_pickup_assignment() {
    let cast = Cast::new();
    let (mut ledger, _, container) = ready_for_gate_out(&cast);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::PickupAssigned);
    ledger.ok(&cast.consignee, delegate(&container, &cast.haulier));
    let record = ledger.release(&container);
    assert_eq!(record.pickup, None);
    assert_eq!(record.phase, ReleasePhase::Ordered);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Available);
    // The old assignment no longer gets the container out.
    ledger.assert_refused(&[&cast.terminal], good_gate_out(&container), ErrorCode::NoPickupAssigned);
}

#[test]
fn a_delegation_chain_is_at_most_delegations_max_long() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    let mut holder = &cast.consignee;
    for _ in 0..DELEGATIONS_MAX {
        let next = if std::ptr::eq(holder, &cast.consignee) { &cast.forwarder } else { &cast.consignee };
        ledger.ok(holder, delegate(&container, next));
        holder = next;
    }
    assert_eq!(ledger.release(&container).delegated_from.len(), DELEGATIONS_MAX);
    ledger.assert_refused(&[holder], delegate(&container, &cast.haulier), ErrorCode::LimitReached);
}

#[test]
fn an_expired_right_cannot_be_delegated() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    ledger.advance_time(DAY_MS);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Expired);
    ledger.assert_refused(&[&cast.consignee], delegate(&container, &cast.haulier), ErrorCode::ReleaseExpired);
}

#[test]
fn a_right_is_delegated_to_another_active_party() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    ledger.assert_refused(&[&cast.consignee], delegate(&container, &cast.consignee), ErrorCode::InvalidInput);
    ledger.assert_refused(&[&cast.consignee], delegate(&container, &cast.stranger), ErrorCode::UnknownParty);
    ledger.ok(&cast.registrar, Action::SuspendParty { party: cast.haulier.party() });
    ledger.assert_refused(&[&cast.consignee], delegate(&container, &cast.haulier), ErrorCode::PartySuspended);
}

// ---------------------------------------------------------------------------------------------
// REVOKE_RELEASE
// ---------------------------------------------------------------------------------------------

#[test]
fn the_carrier_revokes_a_release_and_nothing_follows() {
    let cast = Cast::new();
    let (mut ledger, bl, container) = ready_for_gate_out(&cast);
    ledger.ok(&cast.customs, hold(on(&container), HoldAuthority::Customs));
    ledger.ok(&cast.carrier, revoke(&container));
    let record = ledger.release(&container);
    assert_eq!(record.phase, ReleasePhase::Revoked);
    assert_eq!(record.revoked_reason.as_deref(), Some("freight dispute"));
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Revoked);

    let illegal = ErrorCode::IllegalTransition;
    ledger.assert_refused(&[&cast.carrier], revoke(&container), illegal);
    ledger.assert_refused(&[&cast.customs], hold(on(&container), HoldAuthority::Customs), illegal);
    ledger.assert_refused(&[&cast.customs], lift(on(&container), 0), illegal);
    ledger.assert_refused(&[&cast.consignee], delegate(&container, &cast.haulier), illegal);
    let again = pickup_now(&ledger, &container);
    ledger.assert_refused(&[&cast.consignee], again, illegal);
    ledger.assert_refused(&[&cast.terminal], good_gate_out(&container), illegal);
    ledger.assert_refused(&[&cast.terminal], empty_return(&container, ""), illegal);
    // The container keeps its record: it cannot be released a second time.
    let reissue = order_for_a_day(&ledger, &cast, bl, &[CONTAINER]);
    ledger.assert_refused(&[&cast.carrier], reissue, ErrorCode::ReleaseExists);
}

#[test]
fn charges_cannot_be_settled_on_a_revoked_release() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.surrendered_for_delivery(&cast, REFERENCE);
    let t = now(&ledger);
    ledger.ok(&cast.carrier, order(bl, &[CONTAINER], &cast.terminal, t, t + DAY_MS, false));
    let container = ContainerRef::new(bl, CONTAINER);
    ledger.ok(&cast.carrier, revoke(&container));
    ledger.assert_refused(&[&cast.carrier], settle(&container), ErrorCode::IllegalTransition);
}

#[test]
fn only_the_carrier_revokes_and_gives_a_reason() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    for wrong in [&cast.carrier2, &cast.consignee, &cast.terminal, &cast.customs] {
        ledger.assert_refused(&[wrong], revoke(&container), ErrorCode::NotAuthorized);
    }
    let no_reason = Action::RevokeRelease { container: container.clone(), reason: String::new() };
    ledger.assert_refused(&[&cast.carrier], no_reason, ErrorCode::InvalidInput);
    let unknown = ContainerRef::new(container.bl, OTHER_CONTAINER);
    ledger.assert_refused(&[&cast.carrier], revoke(&unknown), ErrorCode::UnknownRelease);
}

#[test]
fn a_release_cannot_be_revoked_after_gate_out() {
    let cast = Cast::new();
    let (mut ledger, _, container) = gated_out(&cast);
    ledger.assert_refused(&[&cast.carrier], revoke(&container), ErrorCode::IllegalTransition);
}

// ---------------------------------------------------------------------------------------------
// ASSIGN_PICKUP
// ---------------------------------------------------------------------------------------------

#[test]
fn the_right_holder_assigns_a_pickup() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    let t = now(&ledger);
    ledger.ok(&cast.consignee, pickup(&container, t, t + 2 * HOUR_MS, Some(PICKUP_CODE)));
    let record = ledger.release(&container);
    assert_eq!(
        record.pickup,
        Some(PickupAssignment {
            assigned_by: cast.consignee.party(),
            truck_plate: TRUCK.into(),
            driver_id_hash: driver(),
            slot_start_ms: t,
            slot_end_ms: t + 2 * HOUR_MS,
            pickup_code_hash: Some(Hash::digest(PICKUP_CODE.as_bytes())),
        })
    );
    assert_eq!(record.phase, ReleasePhase::PickupAssigned);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::PickupAssigned);

    // A new assignment replaces the old one.
    let t = now(&ledger);
    ledger.ok(&cast.consignee, pickup(&container, t + HOUR_MS, t + 3 * HOUR_MS, None));
    let replaced = ledger.release(&container).pickup.expect("assigned");
    assert_eq!((replaced.slot_start_ms, replaced.slot_end_ms), (t + HOUR_MS, t + 3 * HOUR_MS));
    assert_eq!(replaced.pickup_code_hash, None);
}

#[test]
fn a_delegated_haulier_assigns_its_own_pickup() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    ledger.ok(&cast.consignee, delegate(&container, &cast.haulier));
    let assignment = pickup_now(&ledger, &container);
    ledger.ok(&cast.haulier, assignment);
    assert_eq!(ledger.release(&container).pickup.expect("assigned").assigned_by, cast.haulier.party());
}

#[test]
fn only_the_right_holder_assigns_a_pickup() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    for wrong in [&cast.haulier, &cast.forwarder, &cast.terminal, &cast.carrier] {
        let action = pickup_now(&ledger, &container);
        ledger.assert_refused(&[wrong], action, ErrorCode::NotRightHolder);
    }
    let unknown = ContainerRef::new(container.bl, OTHER_CONTAINER);
    let action = pickup_now(&ledger, &unknown);
    ledger.assert_refused(&[&cast.consignee], action, ErrorCode::UnknownRelease);
}

#[test]
fn a_pickup_slot_ends_after_now_and_within_the_validity() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    let until = ledger.release(&container).valid_until_ms;
    let t = now(&ledger);
    for (start, end) in [
        (t - HOUR_MS, t),               // ends as the block executes
        (t - 2 * HOUR_MS, t - HOUR_MS), // over
        (t + HOUR_MS, t + HOUR_MS),     // empty
        (t + 2 * HOUR_MS, t + HOUR_MS), // reversed
        (until - HOUR_MS, until + 1),   // past the validity
    ] {
        ledger.assert_refused(
            &[&cast.consignee],
            pickup(&container, start, end, None),
            ErrorCode::InvalidInput,
        );
    }
    let no_truck = Action::AssignPickup(AssignPickup {
        container: container.clone(),
        truck_plate: String::new(),
        driver_id_hash: driver(),
        slot_start_ms: t,
        slot_end_ms: t + HOUR_MS,
        pickup_code_hash: None,
    });
    ledger.assert_refused(&[&cast.consignee], no_truck, ErrorCode::InvalidInput);
    // A slot started in the past, or ending exactly when the right does, is fine.
    ledger.ok(&cast.consignee, pickup(&container, t - HOUR_MS, until, None));
    assert_eq!(ledger.release(&container).pickup.expect("assigned").slot_end_ms, until);
}

#[test]
fn an_expired_right_cannot_be_assigned() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    let until = ledger.release(&container).valid_until_ms;
    ledger.advance_time(DAY_MS);
    ledger.assert_refused(
        &[&cast.consignee],
        pickup(&container, until - HOUR_MS, until, None),
        ErrorCode::ReleaseExpired,
    );
}

#[test]
fn a_held_container_may_get_its_pickup_assigned_but_stays_held() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    ledger.ok(&cast.customs, hold(on(&container), HoldAuthority::Customs));
    let assignment = pickup_now(&ledger, &container);
    ledger.ok(&cast.consignee, assignment);
    assert_eq!(ledger.release(&container).phase, ReleasePhase::PickupAssigned);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Held);
    ledger.ok(&cast.customs, lift(on(&container), 0));
    assert_eq!(ledger.release_status(&container), ReleaseStatus::PickupAssigned);
}

// ---------------------------------------------------------------------------------------------
// GATE_OUT
// ---------------------------------------------------------------------------------------------

#[test]
fn the_terminal_gates_the_container_out_to_the_right_holder_with_an_outbound_eir() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    ledger.ok(&cast.consignee, delegate(&container, &cast.forwarder));
    ledger.ok(&cast.forwarder, delegate(&container, &cast.haulier));
    let assignment = pickup_now(&ledger, &container);
    ledger.ok(&cast.haulier, assignment);
    let out = Action::GateOut(GateOut {
        container: container.clone(),
        truck_plate: TRUCK.into(),
        driver_id_hash: driver(),
        pickup_code: Some(PICKUP_CODE.into()),
        seal_numbers: vec![SEAL.into(), "SN123456".into()],
        condition: "sound, minor scratches on door".into(),
    });
    ledger.ok(&cast.terminal, out);

    let record = ledger.release(&container);
    assert_eq!(
        record.gate_out,
        Some(OutboundEir {
            terminal: cast.terminal.party(),
            truck_plate: TRUCK.into(),
            seal_numbers: vec![SEAL.into(), "SN123456".into()],
            condition: "sound, minor scratches on door".into(),
            time_ms: ledger.time_ms,
            released_to: cast.haulier.party(),
        })
    );
    assert_eq!(record.phase, ReleasePhase::GatedOut);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::GatedOut);
    assert_eq!(ledger.replay().root(), ledger.root());
}

#[test]
fn only_the_terminal_of_the_order_gates_out() {
    let cast = Cast::new();
    let (mut ledger, _, container) = ready_for_gate_out(&cast);
    for wrong in [&cast.terminal2, &cast.consignee, &cast.carrier, &cast.customs] {
        ledger.assert_refused(&[wrong], good_gate_out(&container), ErrorCode::NotAuthorized);
    }
    let unknown = ContainerRef::new(container.bl, OTHER_CONTAINER);
    ledger.assert_refused(&[&cast.terminal], good_gate_out(&unknown), ErrorCode::UnknownRelease);
}

#[test]
fn no_gate_out_without_a_pickup_assignment() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    ledger.assert_refused(&[&cast.terminal], good_gate_out(&container), ErrorCode::NoPickupAssigned);
}

#[test]
fn any_active_hold_blocks_gate_out() {
    let cast = Cast::new();
    let (mut ledger, bl, container) = ready_for_gate_out(&cast);
    for (authority, target, signer) in [
        (HoldAuthority::Customs, on(&container), &cast.customs),
        (HoldAuthority::Terminal, on(&container), &cast.terminal),
        (HoldAuthority::Customs, whole(bl), &cast.customs),
    ] {
        ledger.ok(signer, hold(target.clone(), authority));
        assert_eq!(ledger.release_status(&container), ReleaseStatus::Held);
        ledger.assert_refused(&[&cast.terminal], good_gate_out(&container), ErrorCode::HoldActive);
        let id = match &target {
            HoldTarget::Container(_) => ledger.release(&container).holds[0].id,
            HoldTarget::Bl { .. } => ledger.bl_holds(&bl).holds[0].id,
        };
        ledger.ok(signer, lift(target, id));
    }
    ledger.ok(&cast.terminal, good_gate_out(&container));
}

#[test]
fn no_gate_out_before_the_release_is_valid() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.surrendered_for_delivery(&cast, REFERENCE);
    let t = now(&ledger);
    ledger.ok(&cast.carrier, order(bl, &[CONTAINER], &cast.terminal, t + HOUR_MS, t + DAY_MS, true));
    let container = ContainerRef::new(bl, CONTAINER);
    let t = now(&ledger);
    ledger.ok(&cast.consignee, pickup(&container, t, t + 2 * HOUR_MS, Some(PICKUP_CODE)));
    ledger.assert_refused(&[&cast.terminal], good_gate_out(&container), ErrorCode::ReleaseNotYetValid);
    ledger.advance_time(HOUR_MS);
    ledger.ok(&cast.terminal, good_gate_out(&container));
}

#[test]
fn no_gate_out_after_the_release_expired() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    let until = ledger.release(&container).valid_until_ms;
    ledger.ok(&cast.consignee, pickup(&container, until - HOUR_MS, until, Some(PICKUP_CODE)));
    assert_eq!(ledger.release_status(&container), ReleaseStatus::PickupAssigned);
    // The next block is at the end of the validity: the right has expired.
    ledger.advance_time(until - now(&ledger));
    assert_eq!(ledger.release_status(&container), ReleaseStatus::PickupAssigned);
    ledger.assert_refused(&[&cast.terminal], good_gate_out(&container), ErrorCode::ReleaseExpired);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Expired);
}

#[test]
fn no_gate_out_until_the_charges_are_settled() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.surrendered_for_delivery(&cast, REFERENCE);
    let t = now(&ledger);
    ledger.ok(&cast.carrier, order(bl, &[CONTAINER], &cast.terminal, t, t + DAY_MS, false));
    let container = ContainerRef::new(bl, CONTAINER);
    let assignment = pickup_now(&ledger, &container);
    ledger.ok(&cast.consignee, assignment);
    ledger.assert_refused(&[&cast.terminal], good_gate_out(&container), ErrorCode::ChargesUnsettled);
    ledger.ok(&cast.carrier, settle(&container));
    ledger.ok(&cast.terminal, good_gate_out(&container));
}

#[test]
fn the_truck_the_driver_and_the_code_must_match_the_assignment() {
    let cast = Cast::new();
    let (mut ledger, _, container) = ready_for_gate_out(&cast);
    let cases = [
        (gate_out(&container, "沪B54321", driver(), Some(PICKUP_CODE)), ErrorCode::TruckMismatch),
        (
            gate_out(&container, TRUCK, Hash::digest(b"another driver"), Some(PICKUP_CODE)),
            ErrorCode::DriverMismatch,
        ),
        (gate_out(&container, TRUCK, driver(), Some("000000")), ErrorCode::PickupCodeMismatch),
        (gate_out(&container, TRUCK, driver(), None), ErrorCode::PickupCodeMismatch),
    ];
    for (action, code) in cases {
        ledger.assert_refused(&[&cast.terminal], action, code);
    }
    ledger.ok(&cast.terminal, good_gate_out(&container));
}

#[test]
fn no_code_is_asked_when_the_assignment_has_none() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    let t = now(&ledger);
    ledger.ok(&cast.consignee, pickup(&container, t, t + HOUR_MS, None));
    ledger.ok(&cast.terminal, gate_out(&container, TRUCK, driver(), None));
    assert_eq!(ledger.release_status(&container), ReleaseStatus::GatedOut);
}

#[test]
fn the_truck_comes_within_its_slot() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    let t = now(&ledger);
    let (start, end) = (t + HOUR_MS, t + 2 * HOUR_MS);
    ledger.ok(&cast.consignee, pickup(&container, start, end, Some(PICKUP_CODE)));
    // Early.
    ledger.assert_refused(&[&cast.terminal], good_gate_out(&container), ErrorCode::OutsidePickupSlot);
    // Late.
    ledger.advance_time(end + 1 - now(&ledger));
    ledger.assert_refused(&[&cast.terminal], good_gate_out(&container), ErrorCode::OutsidePickupSlot);

    // Exactly at the end of a new slot is still within it.
    let (mut ledger, _, container) = released(&cast);
    let t = now(&ledger);
    ledger.ok(&cast.consignee, pickup(&container, t, t + HOUR_MS, Some(PICKUP_CODE)));
    ledger.advance_time(t + HOUR_MS - now(&ledger));
    ledger.ok(&cast.terminal, good_gate_out(&container));
    assert_eq!(ledger.release(&container).gate_out.expect("gated out").time_ms, t + HOUR_MS);
}

#[test]
fn a_right_is_consumed_once() {
    let cast = Cast::new();
    let (mut ledger, _, container) = gated_out(&cast);
    ledger.assert_refused(&[&cast.terminal], good_gate_out(&container), ErrorCode::IllegalTransition);
    ledger.assert_refused(
        &[&cast.consignee],
        delegate(&container, &cast.haulier),
        ErrorCode::IllegalTransition,
    );
    let again = pickup_now(&ledger, &container);
    ledger.assert_refused(&[&cast.consignee], again, ErrorCode::IllegalTransition);
}

#[test]
fn the_outbound_eir_is_well_formed() {
    let cast = Cast::new();
    let (mut ledger, _, container) = ready_for_gate_out(&cast);
    let with = |seals: Vec<String>, condition: &str| {
        Action::GateOut(GateOut {
            container: container.clone(),
            truck_plate: TRUCK.into(),
            driver_id_hash: driver(),
            pickup_code: Some(PICKUP_CODE.into()),
            seal_numbers: seals,
            condition: condition.into(),
        })
    };
    let too_many_seals = (0..=SEALS_MAX).map(|i| format!("SN{i:06}")).collect();
    for bad in [
        with(too_many_seals, "sound"),
        with(vec![String::new()], "sound"),
        with(vec![" SN123456".into()], "sound"),
        with(vec![SEAL.into()], "sound\u{7}"),
        with(vec![SEAL.into()], &"x".repeat(501)),
    ] {
        ledger.assert_refused(&[&cast.terminal], bad, ErrorCode::InvalidInput);
    }
}

// ---------------------------------------------------------------------------------------------
// EMPTY_RETURN
// ---------------------------------------------------------------------------------------------

#[test]
fn a_terminal_or_depot_records_the_empty_return_with_an_inbound_eir() {
    let cast = Cast::new();
    let (mut ledger, _, container) = gated_out(&cast);
    // Any party with the terminal role, such as the depot the empty goes back to.
    ledger.ok(&cast.terminal2, empty_return(&container, "dent on left side panel"));
    let record = ledger.release(&container);
    assert_eq!(
        record.empty_return,
        Some(InboundEir {
            recorded_by: cast.terminal2.party(),
            damage_notes: "dent on left side panel".into(),
            time_ms: ledger.time_ms,
        })
    );
    assert_eq!(record.phase, ReleasePhase::EmptyReturned);
    assert!(record.gate_out.is_some(), "the outbound EIR stays");
    assert_eq!(ledger.release_status(&container), ReleaseStatus::EmptyReturned);
    ledger.assert_refused(&[&cast.terminal], empty_return(&container, ""), ErrorCode::IllegalTransition);
}

#[test]
fn only_a_terminal_records_an_empty_return() {
    let cast = Cast::new();
    let (mut ledger, _, container) = gated_out(&cast);
    for wrong in [&cast.haulier, &cast.carrier, &cast.customs, &cast.consignee] {
        ledger.assert_refused(&[wrong], empty_return(&container, ""), ErrorCode::WrongRole);
    }
    ledger.assert_refused(&[&cast.terminal], empty_return(&container, "torn\u{0}"), ErrorCode::InvalidInput);
}

#[test]
fn no_empty_return_before_gate_out() {
    let cast = Cast::new();
    let (mut ledger, _, container) = ready_for_gate_out(&cast);
    ledger.assert_refused(&[&cast.terminal], empty_return(&container, ""), ErrorCode::IllegalTransition);
    let unknown = ContainerRef::new(container.bl, OTHER_CONTAINER);
    ledger.assert_refused(&[&cast.terminal], empty_return(&unknown, ""), ErrorCode::UnknownRelease);
}

// ---------------------------------------------------------------------------------------------
// The derived status along the way
// ---------------------------------------------------------------------------------------------

#[test]
fn the_status_follows_the_release_from_ordered_to_expired() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.surrendered_for_delivery(&cast, REFERENCE);
    let t = now(&ledger);
    let until = t + DAY_MS;
    ledger.ok(&cast.carrier, order(bl, &[CONTAINER], &cast.terminal, t + HOUR_MS, until, false));
    let container = ContainerRef::new(bl, CONTAINER);
    let status = |ledger: &TestLedger| ledger.release_status(&container);

    assert_eq!(status(&ledger), ReleaseStatus::ReleaseOrdered, "not yet valid, charges unsettled");
    ledger.ok(&cast.carrier, settle(&container));
    assert_eq!(status(&ledger), ReleaseStatus::ReleaseOrdered, "not yet valid");
    ledger.advance_time(HOUR_MS);
    assert_eq!(status(&ledger), ReleaseStatus::Available);

    ledger.ok(&cast.customs, hold(whole(bl), HoldAuthority::Customs));
    assert_eq!(status(&ledger), ReleaseStatus::Held);
    ledger.ok(&cast.customs, lift(whole(bl), 0));
    assert_eq!(status(&ledger), ReleaseStatus::Available);

    let assignment = pickup_now(&ledger, &container);
    ledger.ok(&cast.consignee, assignment);
    assert_eq!(status(&ledger), ReleaseStatus::PickupAssigned);
    ledger.ok(&cast.terminal, hold(on(&container), HoldAuthority::Terminal));
    assert_eq!(status(&ledger), ReleaseStatus::Held);
    ledger.ok(&cast.terminal, lift(on(&container), 0));
    assert_eq!(status(&ledger), ReleaseStatus::PickupAssigned);

    ledger.advance_time(until - 1 - ledger.time_ms);
    assert_eq!(status(&ledger), ReleaseStatus::PickupAssigned);
    ledger.advance_time(1);
    assert_eq!(status(&ledger), ReleaseStatus::Expired);
    // Expired is derived from the time alone: the stored phase has not changed.
    assert_eq!(ledger.release(&container).phase, ReleasePhase::PickupAssigned);
}

#[test]
fn an_expired_release_shows_expired_even_when_held() {
    let cast = Cast::new();
    let (mut ledger, _, container) = released(&cast);
    ledger.ok(&cast.customs, hold(on(&container), HoldAuthority::Customs));
    ledger.advance_time(DAY_MS);
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Expired);
}
