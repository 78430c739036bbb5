//! The whole life of one to-order BL and its container, as the parties would live it:
//! issue → endorse to a bank → lien → double-financing refused → lien released → endorse to the
//! consignee → surrender → SACC → release order → customs hold placed and lifted → delegated to
//! a haulier → pickup assigned → gate-out → empty return.

use ebl_contracts::testkit::{to_order, Cast, TestLedger};
use ebl_ledger::action::{
    Action, AssignPickup, CreateLien, EmptyReturn, GateOut, HoldAuthority, HoldTarget, IssueReleaseOrder,
    PlaceHold,
};
use ebl_ledger::records::{BlStatus, ContainerRef, ReleaseStatus};
use ebl_ledger::{BlId, ErrorCode, Hash};

#[test]
fn a_to_order_bl_from_issue_to_empty_return() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = BlId::new(&cast.carrier.party(), "HHL71800000");

    ledger.ok(&cast.carrier, to_order("HHL71800000", &cast.shipper, Some(&cast.shipper)));
    assert_eq!(ledger.bl(&bl).possessor, cast.shipper.party());

    // To the bank under a letter of credit: endorse to order, then hand over possession.
    ledger.ok(&cast.shipper, Action::EndorseToOrder { bl, endorsee: cast.bank.party() });
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.bank.party() });
    let lien = |bank: &ebl_ledger::Keypair| {
        Action::CreateLien(CreateLien {
            bl,
            bank: bank.party(),
            amount_minor: 12_500_000,
            currency: "USD".into(),
            expires_at_ms: ledger.time_ms + 30 * 86_400_000,
            finance_reference: "LC-2026-0042".into(),
        })
    };
    let first = lien(&cast.bank);
    let second = lien(&cast.bank2);
    ledger.ok_multi(&[&cast.bank], first);
    // Double financing: a second bank cannot pledge the same BL.
    let refused = ledger.exec_multi(&[&cast.bank, &cast.bank2], second);
    assert_eq!(refused.error(), Some(ErrorCode::LienAlreadyActive));
    ledger.ok(&cast.bank, Action::ReleaseLien { bl });

    ledger.ok(&cast.bank, Action::EndorseToOrder { bl, endorsee: cast.consignee.party() });
    ledger.ok(&cast.bank, Action::Transfer { bl, to: cast.consignee.party() });
    ledger.ok(&cast.consignee, Action::SurrenderForDelivery { bl });
    assert_eq!(ledger.bl(&bl).status, BlStatus::PendingSurrenderForDelivery);
    ledger.ok(&cast.carrier, Action::AcceptSurrender { bl });
    assert_eq!(ledger.bl(&bl).status, BlStatus::SurrenderedForDelivery);
    // DCSA PINT: nothing may follow SACC.
    let after = ledger.exec(&cast.carrier, Action::Sign { bl });
    assert_eq!(after.error(), Some(ErrorCode::IllegalTransition));

    let now = ledger.time_ms;
    ledger.ok(
        &cast.carrier,
        Action::IssueReleaseOrder(IssueReleaseOrder {
            bl,
            equipment_references: vec!["APZU4812090".into()],
            terminal: cast.terminal.party(),
            valid_from_ms: now,
            valid_until_ms: now + 7 * 86_400_000,
            charges_settled: true,
        }),
    );
    let container = ContainerRef::new(bl, "APZU4812090");
    assert_eq!(ledger.release(&container).right_holder, cast.consignee.party());
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Available);

    ledger.ok(
        &cast.customs,
        Action::PlaceHold(PlaceHold {
            target: HoldTarget::Container(container.clone()),
            authority: HoldAuthority::Customs,
            reason: "documentary check".into(),
            declaration_number: Some("223320260000123456".into()),
        }),
    );
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Held);
    ledger
        .ok(&cast.customs, Action::LiftHold { target: HoldTarget::Container(container.clone()), hold_id: 0 });
    assert_eq!(ledger.release_status(&container), ReleaseStatus::Available);

    ledger.ok(
        &cast.consignee,
        Action::DelegateRelease { container: container.clone(), to: cast.haulier.party() },
    );
    let driver = Hash::digest(b"driver licence 310101199001011234");
    let slot_start = ledger.time_ms;
    ledger.ok(
        &cast.haulier,
        Action::AssignPickup(AssignPickup {
            container: container.clone(),
            truck_plate: "沪A12345".into(),
            driver_id_hash: driver,
            slot_start_ms: slot_start,
            slot_end_ms: slot_start + 3_600_000,
            pickup_code_hash: Some(Hash::digest(b"739204")),
        }),
    );
    assert_eq!(ledger.release_status(&container), ReleaseStatus::PickupAssigned);
    let gate_out = |code: &str| {
        Action::GateOut(GateOut {
            container: container.clone(),
            truck_plate: "沪A12345".into(),
            driver_id_hash: driver,
            pickup_code: Some(code.into()),
            seal_numbers: vec!["SN123456".into()],
            condition: "sound".into(),
        })
    };
    assert_eq!(ledger.exec(&cast.terminal, gate_out("000000")).error(), Some(ErrorCode::PickupCodeMismatch));
    ledger.ok(&cast.terminal, gate_out("739204"));
    assert_eq!(ledger.release_status(&container), ReleaseStatus::GatedOut);
    // A right is consumed once.
    assert_eq!(ledger.exec(&cast.terminal, gate_out("739204")).error(), Some(ErrorCode::IllegalTransition));
    ledger.ok(
        &cast.terminal,
        Action::EmptyReturn(EmptyReturn { container: container.clone(), damage_notes: String::new() }),
    );
    assert_eq!(ledger.release_status(&container), ReleaseStatus::EmptyReturned);

    // The history is a hash chain over every title action.
    let history = ledger.history(&bl);
    let codes: Vec<&str> = history.iter().map(|e| e.action_code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "ISSUE",
            "ENDORSE_TO_ORDER",
            "TRANSFER",
            "CREATE_LIEN",
            "RELEASE_LIEN",
            "ENDORSE_TO_ORDER",
            "TRANSFER",
            "SURRENDER_FOR_DELIVERY",
            "SACC"
        ]
    );
    let mut prev = Hash::ZERO;
    for entry in &history {
        assert_eq!(entry.prev, prev);
        prev = entry.hash();
    }
    assert_eq!(ledger.bl(&bl).history_head, prev);

    // Replaying every block from genesis rebuilds the same state root.
    assert_eq!(ledger.replay().root(), ledger.root());
}
