//! The eBL title machine (DESIGN §5): ISSUE, TRANSFER, ENDORSE, ENDORSE_TO_ORDER, BLANK_ENDORSE,
//! SIGN, REJECT, SURRENDER_FOR_DELIVERY, SURRENDER_FOR_AMENDMENT, SACC, SREJ, REISSUE and
//! SWITCH_TO_PAPER.
//!
//! For every action: the permitted party succeeds (and the record, the history entry it appends
//! and the unchanged checksum are checked), and each wrong party, wrong status and wrong document
//! type is refused with its code, changing nothing but the submitter's nonce.

use ebl_contracts::testkit::{
    amended, checksum_of, document_for, sea_waybill, straight, to_order, Cast, TestLedger,
};
use ebl_ledger::action::{Action, AmendmentReason, CreateLien, IssueBl, Reissue};
use ebl_ledger::dcsa::TransportDocumentJson;
use ebl_ledger::records::{BlRecord, BlStatus, HistoryEntry, SurrenderRequest, TransportDocumentType};
use ebl_ledger::{BlId, ErrorCode, Hash, Keypair, PartyId, TxId};

// ---------------------------------------------------------------- helpers

const REF: &str = "HHL71800000";
const DAY_MS: u64 = 86_400_000;

/// Executes `action` alone in a block, asserts it succeeded and returns its transaction id.
#[track_caller]
fn exec_ok(ledger: &mut TestLedger, signers: &[&Keypair], action: Action) -> TxId {
    let name = action.name();
    let tx = ledger.tx(signers, action);
    let tx_id = tx.id();
    let receipts = ledger.exec_block(vec![tx]).expect("includable");
    assert!(receipts[0].is_success(), "{name} failed: {:?}", receipts[0].outcome);
    tx_id
}

#[track_caller]
fn assert_issued_facts_unchanged(before: &BlRecord, after: &BlRecord) {
    assert_eq!(after.document_checksum, before.document_checksum, "the checksum never changes");
    assert_eq!(after.id, before.id);
    assert_eq!(after.transport_document_reference, before.transport_document_reference);
    assert_eq!(after.transport_document_type, before.transport_document_type);
    assert_eq!(after.is_to_order, before.is_to_order);
    assert_eq!(after.carrier, before.carrier);
    assert_eq!(after.shipper, before.shipper);
    assert_eq!(after.consignee, before.consignee);
    assert_eq!(after.agents, before.agents);
    assert_eq!(after.issued_height, before.issued_height);
}

fn id(carrier: &Keypair, reference: &str) -> BlId {
    BlId::new(&carrier.party(), reference)
}

fn issue_bl(action: Action) -> IssueBl {
    match action {
        Action::Issue(a) => a,
        other => panic!("not an ISSUE: {other:?}"),
    }
}

/// An ISSUE built by a testkit helper, with some fields changed.
fn issue_with(base: Action, edit: impl FnOnce(&mut IssueBl)) -> Action {
    let mut a = issue_bl(base);
    edit(&mut a);
    Action::Issue(a)
}

/// A straight BL shipper → consignee, handed to the consignee and surrendered by it.
fn surrendered_straight(
    ledger: &mut TestLedger,
    cast: &Cast,
    reference: &str,
    reason: Option<AmendmentReason>,
) -> BlId {
    let bl = ledger.issued_straight(cast, reference);
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    match reason {
        None => ledger.ok(&cast.consignee, Action::SurrenderForDelivery { bl }),
        Some(reason) => ledger.ok(&cast.consignee, Action::SurrenderForAmendment { bl, reason }),
    }
    bl
}

/// A straight BL surrendered for amendment by the consignee and accepted: VOIDED.
fn voided(ledger: &mut TestLedger, cast: &Cast, reference: &str, reason: AmendmentReason) -> BlId {
    let bl = surrendered_straight(ledger, cast, reference, Some(reason));
    ledger.ok(&cast.carrier, Action::AcceptSurrender { bl });
    bl
}

/// A to-order BL issued in blank to `holder`, surrendered by it for amendment and accepted.
fn voided_blank(ledger: &mut TestLedger, cast: &Cast, reference: &str, holder: &Keypair) -> BlId {
    ledger.ok(&cast.carrier, to_order(reference, holder, None));
    let bl = id(&cast.carrier, reference);
    ledger.ok(holder, Action::SurrenderForAmendment { bl, reason: AmendmentReason::Swi });
    ledger.ok(&cast.carrier, Action::AcceptSurrender { bl });
    bl
}

/// A straight replacement BL shipper → consignee, issued to `to`.
fn replacement(cast: &Cast, reference: &str, to: &Keypair) -> IssueBl {
    issue_bl(issue_with(straight(reference, &cast.shipper, &cast.consignee, &[]), |a| {
        a.issue_to = to.party()
    }))
}

fn reissue(voided: &[BlId], replacements: Vec<IssueBl>) -> Action {
    Action::Reissue(Reissue { voided: voided.to_vec(), replacements })
}

fn lien(bl: BlId, bank: &Keypair, expires_at_ms: u64) -> Action {
    Action::CreateLien(CreateLien {
        bl,
        bank: bank.party(),
        amount_minor: 12_500_000, // USD 125,000.00 in cents
        currency: "USD".into(),
        expires_at_ms,
        finance_reference: "LC-2026-0042".into(),
    })
}

/// Every action on an existing BL, as its most plausible signer would send it.
fn every_bl_action(cast: &Cast, bl: BlId) -> Vec<(&Keypair, Action)> {
    let to = cast.consignee.party();
    vec![
        (&cast.consignee, Action::Transfer { bl, to: cast.forwarder.party() }),
        (&cast.consignee, Action::Endorse { bl, endorsee: cast.forwarder.party() }),
        (&cast.consignee, Action::EndorseToOrder { bl, endorsee: cast.forwarder.party() }),
        (&cast.consignee, Action::BlankEndorse { bl }),
        (&cast.consignee, Action::Sign { bl }),
        (&cast.consignee, Action::RejectTransfer { bl, reason: String::new() }),
        (&cast.consignee, Action::SurrenderForDelivery { bl }),
        (&cast.consignee, Action::SurrenderForAmendment { bl, reason: AmendmentReason::Cod }),
        (&cast.carrier, Action::Transfer { bl, to }),
        (&cast.carrier, Action::Sign { bl }),
        (&cast.carrier, Action::AcceptSurrender { bl }),
        (&cast.carrier, Action::RejectSurrender { bl, reason: "documents incomplete".into() }),
        (&cast.carrier, Action::SwitchToPaper { bl, paper_bl_number: "PAPER-HHL71800000".into() }),
        (&cast.bank, Action::ReleaseLien { bl }),
    ]
}

// ---------------------------------------------------------------- ISSUE

#[test]
fn carrier_issues_a_to_order_bl_to_order_of_the_shipper() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let tx_id = exec_ok(&mut ledger, &[&cast.carrier], to_order(REF, &cast.shipper, Some(&cast.shipper)));

    let bl = id(&cast.carrier, REF);
    let history = ledger.history(&bl);
    let issue = HistoryEntry {
        seq: 0,
        action_code: "ISSUE".into(),
        actor: cast.carrier.party(),
        recipient: Some(cast.shipper.party()),
        tx_id,
        height: ledger.height,
        time_ms: ledger.time_ms,
        prev: Hash::ZERO,
    };
    assert_eq!(history, vec![issue.clone()]);
    let expected = BlRecord {
        id: bl,
        transport_document_reference: REF.into(),
        transport_document_type: TransportDocumentType::Bol,
        is_to_order: true,
        carrier: cast.carrier.party(),
        document_checksum: checksum_of(REF),
        status: BlStatus::Issued,
        possessor: cast.shipper.party(),
        endorsee: Some(cast.shipper.party()),
        endorsee_may_endorse: true,
        shipper: cast.shipper.party(),
        consignee: None,
        agents: vec![],
        transfer_from: None,
        surrender: None,
        surrendered_by: None,
        lien: None,
        replaces: vec![],
        replaced_by: vec![],
        paper_bl_number: None,
        issued_height: ledger.height,
        updated_height: ledger.height,
        history_len: 1,
        history_head: issue.hash(),
        possessor_signed: false,
    };
    assert_eq!(ledger.bl(&bl), expected);
}

#[test]
fn carrier_issues_a_to_order_bl_endorsed_in_blank() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, to_order(REF, &cast.forwarder, None));
    let record = ledger.bl(&id(&cast.carrier, REF));
    assert_eq!(record.status, BlStatus::Issued);
    assert!(record.is_to_order);
    assert_eq!(record.endorsee, None, "blank: whoever possesses it holds title");
    assert_eq!(record.possessor, cast.forwarder.party());
}

#[test]
fn carrier_issues_a_straight_bl_to_an_agent_of_the_shipper() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let action = issue_with(straight(REF, &cast.shipper, &cast.consignee, &[&cast.forwarder]), |a| {
        a.issue_to = cast.forwarder.party();
    });
    ledger.ok(&cast.carrier, action);
    let record = ledger.bl(&id(&cast.carrier, REF));
    assert!(!record.is_to_order);
    assert_eq!(record.transport_document_type, TransportDocumentType::Bol);
    assert_eq!(record.possessor, cast.forwarder.party());
    assert_eq!(record.shipper, cast.shipper.party());
    assert_eq!(record.consignee, Some(cast.consignee.party()));
    assert_eq!(record.agents, vec![cast.forwarder.party()]);
    assert_eq!(record.endorsee, None);
    assert_eq!(ledger.history(&record.id)[0].recipient, Some(cast.forwarder.party()));
}

#[test]
fn carrier_records_a_sea_waybill() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, sea_waybill(REF, &cast.shipper, &cast.consignee));
    let record = ledger.bl(&id(&cast.carrier, REF));
    assert_eq!(record.transport_document_type, TransportDocumentType::Swb);
    assert!(!record.is_to_order);
    assert_eq!(record.status, BlStatus::Issued);
    assert_eq!(record.consignee, Some(cast.consignee.party()));
    let document = document_for(REF, TransportDocumentType::Swb, false);
    assert_eq!(record.document_checksum, document.checksum());
}

#[test]
fn only_a_carrier_may_issue() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    for signer in [&cast.shipper, &cast.bank, &cast.registrar, &cast.terminal] {
        ledger.assert_refused(&[signer], to_order(REF, &cast.shipper, None), ErrorCode::WrongRole);
    }
}

#[test]
fn a_reference_is_unique_per_carrier_but_another_carrier_may_reuse_it() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, to_order(REF, &cast.shipper, None));
    // Singularity: not again, whatever the type, holder or document.
    ledger.assert_refused(&[&cast.carrier], to_order(REF, &cast.shipper, None), ErrorCode::BlExists);
    ledger.assert_refused(
        &[&cast.carrier],
        sea_waybill(REF, &cast.shipper, &cast.consignee),
        ErrorCode::BlExists,
    );
    let other_document = issue_with(straight(REF, &cast.shipper, &cast.consignee, &[]), |a| {
        a.document = amended(&a.document, "another document");
    });
    ledger.assert_refused(&[&cast.carrier], other_document, ErrorCode::BlExists);

    ledger.ok(&cast.carrier2, straight(REF, &cast.shipper, &cast.consignee, &[]));
    let (first, second) = (ledger.bl(&id(&cast.carrier, REF)), ledger.bl(&id(&cast.carrier2, REF)));
    assert_ne!(first.id, second.id);
    assert_eq!(second.carrier, cast.carrier2.party());
    assert!(first.is_to_order && !second.is_to_order);
}

#[test]
fn the_reference_must_be_a_dcsa_transport_document_reference() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    for bad in ["", " HHL71800000", "HHL71800000 ", "HHL718\n00000", "HHL718000000000000001"] {
        let action =
            issue_with(to_order(REF, &cast.shipper, None), |a| a.transport_document_reference = bad.into());
        ledger.assert_refused(&[&cast.carrier], action, ErrorCode::InvalidInput);
    }
    // 20 characters is the DCSA maximum.
    ledger.ok(&cast.carrier, to_order("HHL71800000000000001", &cast.shipper, None));
}

#[test]
fn document_type_and_parties_must_agree() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let (consignee, forwarder) = (cast.consignee.party(), cast.forwarder.party());
    let base_straight = || straight(REF, &cast.shipper, &cast.consignee, &[]);
    let cases = [
        ("straight without consignee", issue_with(base_straight(), |a| a.consignee = None)),
        ("straight with endorsee", issue_with(base_straight(), |a| a.endorsee = Some(consignee))),
        (
            "SWB with isToOrder",
            issue_with(sea_waybill(REF, &cast.shipper, &cast.consignee), |a| a.is_to_order = true),
        ),
        (
            "SWB without consignee",
            issue_with(sea_waybill(REF, &cast.shipper, &cast.consignee), |a| a.consignee = None),
        ),
        (
            "SWB with endorsee",
            issue_with(sea_waybill(REF, &cast.shipper, &cast.consignee), |a| a.endorsee = Some(consignee)),
        ),
        (
            "to-order with agents",
            issue_with(to_order(REF, &cast.shipper, None), |a| a.agents = vec![forwarder]),
        ),
        ("duplicate agents", issue_with(base_straight(), |a| a.agents = vec![forwarder, forwarder])),
        (
            "nine agents",
            issue_with(base_straight(), |a| {
                a.agents = (0..9).map(|i| Keypair::for_test(&format!("agent {i}")).party()).collect();
            }),
        ),
    ];
    for (what, action) in cases {
        eprintln!("case: {what}");
        ledger.assert_refused(&[&cast.carrier], action, ErrorCode::InvalidInput);
    }
}

#[test]
fn a_to_order_bl_may_not_name_both_a_consignee_and_an_endorsee() {
    // DCSA eBL 3.0 (Consignee, Endorsee): "Consignee and Endorsee are mutually exclusive".
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let action = issue_with(to_order(REF, &cast.shipper, Some(&cast.shipper)), |a| {
        a.consignee = Some(cast.consignee.party());
    });
    ledger.assert_refused(&[&cast.carrier], action, ErrorCode::InvalidInput);
}

#[test]
fn a_straight_bl_is_issued_only_to_its_shipper_consignee_or_their_agents() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    for wrong in [&cast.outsider, &cast.bank, &cast.carrier] {
        let action = issue_with(straight(REF, &cast.shipper, &cast.consignee, &[&cast.forwarder]), |a| {
            a.issue_to = wrong.party();
        });
        ledger.assert_refused(&[&cast.carrier], action, ErrorCode::RecipientNotAllowed);
    }
    let to_consignee = issue_with(straight(REF, &cast.shipper, &cast.consignee, &[]), |a| {
        a.issue_to = cast.consignee.party();
    });
    ledger.ok(&cast.carrier, to_consignee);
    assert_eq!(ledger.bl(&id(&cast.carrier, REF)).possessor, cast.consignee.party());
}

#[test]
fn every_party_named_on_issue_must_be_registered_and_active() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let stranger = cast.stranger.party();
    let unknown: Vec<(&str, Action)> = vec![
        ("issueTo", issue_with(to_order(REF, &cast.shipper, None), |a| a.issue_to = stranger)),
        ("shipper", issue_with(to_order(REF, &cast.shipper, None), |a| a.shipper = stranger)),
        ("endorsee", issue_with(to_order(REF, &cast.shipper, None), |a| a.endorsee = Some(stranger))),
        (
            "consignee",
            issue_with(straight(REF, &cast.shipper, &cast.consignee, &[]), |a| a.consignee = Some(stranger)),
        ),
        (
            "agent",
            issue_with(straight(REF, &cast.shipper, &cast.consignee, &[]), |a| a.agents = vec![stranger]),
        ),
    ];
    for (_, action) in unknown {
        ledger.assert_refused(&[&cast.carrier], action, ErrorCode::UnknownParty);
    }
    ledger.ok(&cast.registrar, Action::SuspendParty { party: cast.forwarder.party() });
    let suspended = cast.forwarder.party();
    for action in [
        issue_with(to_order(REF, &cast.shipper, None), |a| a.endorsee = Some(suspended)),
        issue_with(straight(REF, &cast.shipper, &cast.consignee, &[]), |a| a.agents = vec![suspended]),
        to_order(REF, &cast.forwarder, None),
    ] {
        ledger.assert_refused(&[&cast.carrier], action, ErrorCode::PartySuspended);
    }
}

// ---------------------------------------------------------------- TRANSFER

#[test]
fn the_possessor_transfers_a_to_order_bl() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    let to = cast.bank.party();
    let record = ledger.assert_acted(&[&cast.shipper], bl, Action::Transfer { bl, to }, Some(to));
    assert_eq!(record.possessor, to);
    assert_eq!(record.transfer_from, Some(cast.shipper.party()));
    assert_eq!(record.endorsee, Some(cast.shipper.party()), "possession moves, the endorsement does not");
    assert_eq!(record.status, BlStatus::Issued);
}

/// A BL's history is kept beside the state tree; its record (a leaf) proves it. A history a
/// node serves with an entry left out, renumbered, altered or invented does not check out.
#[test]
fn the_record_proves_its_whole_history_and_nothing_else() {
    use ebl_ledger::records::{verify_history, HistoryError};
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, straight(REF, &cast.shipper, &cast.consignee, &[&cast.forwarder]));
    let bl = id(&cast.carrier, REF);
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.forwarder.party() });
    ledger.ok(&cast.forwarder, Action::Transfer { bl, to: cast.consignee.party() });
    ledger.ok(&cast.consignee, Action::Sign { bl });
    let record = ledger.bl(&bl);
    let history = ledger.history(&bl);
    assert_eq!(history.len(), 4);
    assert_eq!(verify_history(&record, &history), Ok(()));

    let shortened = &history[..3];
    assert_eq!(verify_history(&record, shortened), Err(HistoryError::Length { expected: 4, found: 3 }));
    let mut renumbered = history.clone();
    renumbered[2].seq = 7;
    assert_eq!(verify_history(&record, &renumbered), Err(HistoryError::Sequence { index: 2, seq: 7 }));
    let mut altered = history.clone();
    altered[1].recipient = Some(cast.outsider.party());
    assert_eq!(verify_history(&record, &altered), Err(HistoryError::Broken { seq: 2 }));
    let mut newest_altered = history.clone();
    newest_altered[3].actor = cast.outsider.party();
    assert_eq!(verify_history(&record, &newest_altered), Err(HistoryError::Head));
    // A whole chain rebuilt around an invented entry is consistent, but not the record's.
    let mut invented = history.clone();
    invented[3].recipient = Some(cast.outsider.party());
    for i in 1..invented.len() {
        invented[i].prev = invented[i - 1].hash();
    }
    assert_eq!(verify_history(&record, &invented), Err(HistoryError::Head));
}

#[test]
fn a_straight_bl_moves_only_among_shipper_consignee_and_their_agents() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, straight(REF, &cast.shipper, &cast.consignee, &[&cast.forwarder]));
    let bl = id(&cast.carrier, REF);
    let (forwarder, consignee) = (cast.forwarder.party(), cast.consignee.party());
    ledger.assert_acted(&[&cast.shipper], bl, Action::Transfer { bl, to: forwarder }, Some(forwarder));
    ledger.assert_acted(&[&cast.forwarder], bl, Action::Transfer { bl, to: consignee }, Some(consignee));
    for wrong in [&cast.outsider, &cast.bank, &cast.carrier] {
        let action = Action::Transfer { bl, to: wrong.party() };
        ledger.assert_refused(&[&cast.consignee], action, ErrorCode::RecipientNotAllowed);
    }
    let shipper = cast.shipper.party();
    let back =
        ledger.assert_acted(&[&cast.consignee], bl, Action::Transfer { bl, to: shipper }, Some(shipper));
    assert_eq!(back.possessor, cast.shipper.party());
}

#[test]
fn only_the_possessor_may_transfer() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    // To order of the consignee, but held by the shipper.
    ledger.ok(&cast.carrier, to_order(REF, &cast.shipper, Some(&cast.consignee)));
    let bl = id(&cast.carrier, REF);
    for wrong in [&cast.consignee, &cast.carrier, &cast.outsider] {
        let action = Action::Transfer { bl, to: cast.forwarder.party() };
        ledger.assert_refused(&[wrong], action, ErrorCode::NotPossessor);
    }
}

#[test]
fn a_transfer_names_another_registered_active_party() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    let to_self = Action::Transfer { bl, to: cast.shipper.party() };
    ledger.assert_refused(&[&cast.shipper], to_self, ErrorCode::InvalidInput);
    let to_stranger = Action::Transfer { bl, to: cast.stranger.party() };
    ledger.assert_refused(&[&cast.shipper], to_stranger, ErrorCode::UnknownParty);
    ledger.ok(&cast.registrar, Action::SuspendParty { party: cast.bank.party() });
    let to_suspended = Action::Transfer { bl, to: cast.bank.party() };
    ledger.assert_refused(&[&cast.shipper], to_suspended, ErrorCode::PartySuspended);
}

#[test]
fn a_sea_waybill_is_not_a_document_of_title() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, sea_waybill(REF, &cast.shipper, &cast.consignee));
    let bl = id(&cast.carrier, REF);
    let consignee = cast.consignee.party();
    for action in [
        Action::Transfer { bl, to: consignee },
        Action::Endorse { bl, endorsee: consignee },
        Action::EndorseToOrder { bl, endorsee: consignee },
        Action::BlankEndorse { bl },
        Action::SurrenderForDelivery { bl },
        Action::SurrenderForAmendment { bl, reason: AmendmentReason::Cod },
    ] {
        ledger.assert_refused(&[&cast.shipper], action, ErrorCode::WrongDocumentType);
    }
}

#[test]
fn nothing_moves_while_a_surrender_is_pending() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = surrendered_straight(&mut ledger, &cast, REF, None);
    assert_eq!(ledger.bl(&bl).possessor, cast.carrier.party());
    let cases: Vec<(&Keypair, Action)> = vec![
        (&cast.carrier, Action::Transfer { bl, to: cast.shipper.party() }),
        (&cast.consignee, Action::Transfer { bl, to: cast.shipper.party() }),
        (&cast.carrier, Action::Sign { bl }),
        (&cast.consignee, Action::SurrenderForDelivery { bl }),
        (&cast.consignee, Action::SurrenderForAmendment { bl, reason: AmendmentReason::Cod }),
        (&cast.consignee, Action::RejectTransfer { bl, reason: String::new() }),
    ];
    for (signer, action) in cases {
        ledger.assert_refused(&[signer], action, ErrorCode::IllegalTransition);
    }
}

#[test]
fn an_action_on_an_unknown_bl_is_refused() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.issued_to_order(&cast, REF);
    let missing = id(&cast.carrier, "HHL99999999");
    let mut cases = every_bl_action(&cast, missing);
    cases.push((&cast.shipper, lien(missing, &cast.bank, ledger.time_ms + DAY_MS)));
    for (signer, action) in cases {
        ledger.assert_refused(&[signer], action, ErrorCode::UnknownBl);
    }
}

// ---------------------------------------------------------------- ENDORSE / ENDORSE_TO_ORDER

#[test]
fn the_endorsee_endorses_to_order_and_the_new_endorsee_may_endorse_further() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    let bank = cast.bank.party();
    let record =
        ledger.assert_acted(&[&cast.shipper], bl, Action::EndorseToOrder { bl, endorsee: bank }, Some(bank));
    assert_eq!(record.endorsee, Some(bank));
    assert!(record.endorsee_may_endorse);
    assert_eq!(record.possessor, cast.shipper.party(), "endorsing does not move possession");

    ledger.ok(&cast.shipper, Action::Transfer { bl, to: bank });
    let consignee = cast.consignee.party();
    let record = ledger.assert_acted(
        &[&cast.bank],
        bl,
        Action::EndorseToOrder { bl, endorsee: consignee },
        Some(consignee),
    );
    assert_eq!(record.endorsee, Some(consignee));
}

#[test]
fn a_plain_endorsee_may_not_endorse_further_but_may_surrender() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    let consignee = cast.consignee.party();
    let record = ledger.assert_acted(
        &[&cast.shipper],
        bl,
        Action::Endorse { bl, endorsee: consignee },
        Some(consignee),
    );
    assert_eq!(record.endorsee, Some(consignee));
    assert!(!record.endorsee_may_endorse, "DCSA PINT ENDORSE: the recipient cannot further endorse");
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: consignee });

    let forwarder = cast.forwarder.party();
    for action in [
        Action::Endorse { bl, endorsee: forwarder },
        Action::EndorseToOrder { bl, endorsee: forwarder },
        Action::BlankEndorse { bl },
    ] {
        ledger.assert_refused(&[&cast.consignee], action, ErrorCode::EndorsementNotAllowed);
    }
    let record = ledger.assert_acted(
        &[&cast.consignee],
        bl,
        Action::SurrenderForDelivery { bl },
        Some(cast.carrier.party()),
    );
    assert_eq!(record.status, BlStatus::PendingSurrenderForDelivery);
}

#[test]
fn only_the_endorsee_in_possession_may_endorse() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    // To order of the consignee, held by the shipper.
    ledger.ok(&cast.carrier, to_order(REF, &cast.shipper, Some(&cast.consignee)));
    let bl = id(&cast.carrier, REF);
    let bank = cast.bank.party();
    for action in [Action::Endorse { bl, endorsee: bank }, Action::EndorseToOrder { bl, endorsee: bank }] {
        ledger.assert_refused(&[&cast.shipper], action.clone(), ErrorCode::NotEndorsee);
        ledger.assert_refused(&[&cast.consignee], action.clone(), ErrorCode::NotPossessor);
        ledger.assert_refused(&[&cast.outsider], action, ErrorCode::NotPossessor);
    }
}

#[test]
fn a_straight_bl_cannot_be_endorsed() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_straight(&cast, REF);
    let consignee = cast.consignee.party();
    for action in [
        Action::Endorse { bl, endorsee: consignee },
        Action::EndorseToOrder { bl, endorsee: consignee },
        Action::BlankEndorse { bl },
    ] {
        ledger.assert_refused(&[&cast.shipper], action, ErrorCode::WrongDocumentType);
    }
}

#[test]
fn an_endorsement_names_another_registered_party() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    let to_self = Action::EndorseToOrder { bl, endorsee: cast.shipper.party() };
    ledger.assert_refused(&[&cast.shipper], to_self, ErrorCode::InvalidInput);
    let to_stranger = Action::Endorse { bl, endorsee: cast.stranger.party() };
    ledger.assert_refused(&[&cast.shipper], to_stranger, ErrorCode::UnknownParty);
}

#[test]
fn any_possessor_of_a_blank_bl_may_endorse_it() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, to_order(REF, &cast.shipper, None));
    let bl = id(&cast.carrier, REF);
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.forwarder.party() });
    let consignee = cast.consignee.party();
    let record = ledger.assert_acted(
        &[&cast.forwarder],
        bl,
        Action::EndorseToOrder { bl, endorsee: consignee },
        Some(consignee),
    );
    assert_eq!(record.endorsee, Some(consignee));
    assert_eq!(record.possessor, cast.forwarder.party());
}

// ---------------------------------------------------------------- BLANK_ENDORSE

#[test]
fn the_endorsee_blank_endorses_and_then_any_possessor_holds_title() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    let record = ledger.assert_acted(&[&cast.shipper], bl, Action::BlankEndorse { bl }, None);
    assert_eq!(record.endorsee, None);
    assert!(record.endorsee_may_endorse);

    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.forwarder.party() });
    let record = ledger.assert_acted(
        &[&cast.forwarder],
        bl,
        Action::SurrenderForDelivery { bl },
        Some(cast.carrier.party()),
    );
    assert_eq!(record.surrender.map(|s| s.requested_by), Some(cast.forwarder.party()));
}

#[test]
fn a_blank_bl_cannot_be_blank_endorsed_again() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, to_order(REF, &cast.shipper, None));
    let bl = id(&cast.carrier, REF);
    ledger.assert_refused(&[&cast.shipper], Action::BlankEndorse { bl }, ErrorCode::IllegalTransition);
}

#[test]
fn only_the_endorsee_in_possession_may_blank_endorse() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, to_order(REF, &cast.shipper, Some(&cast.consignee)));
    let bl = id(&cast.carrier, REF);
    ledger.assert_refused(&[&cast.shipper], Action::BlankEndorse { bl }, ErrorCode::NotEndorsee);
    ledger.assert_refused(&[&cast.consignee], Action::BlankEndorse { bl }, ErrorCode::NotPossessor);
}

// ---------------------------------------------------------------- SIGN

#[test]
fn the_possessor_signs() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    let before = ledger.bl(&bl);
    let after = ledger.assert_acted(&[&cast.shipper], bl, Action::Sign { bl }, None);
    assert_eq!(after.possessor, before.possessor);
    assert_eq!(after.endorsee, before.endorsee);
    assert_eq!(after.status, BlStatus::Issued);
}

#[test]
fn a_possessor_signs_once_per_possession() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    ledger.ok(&cast.shipper, Action::Sign { bl });
    assert!(ledger.bl(&bl).possessor_signed);
    let len = ledger.bl(&bl).history_len;
    // A second confirmation of the same possession adds nothing: refused, the history unchanged.
    ledger.assert_refused(&[&cast.shipper], Action::Sign { bl }, ErrorCode::AlreadySigned);
    assert_eq!(ledger.bl(&bl).history_len, len);
    // A new possession may be signed again, by the new possessor, and by the old one when the
    // BL comes back.
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    assert!(!ledger.bl(&bl).possessor_signed);
    ledger.ok(&cast.consignee, Action::Sign { bl });
    ledger.assert_refused(&[&cast.consignee], Action::Sign { bl }, ErrorCode::AlreadySigned);
    ledger.ok(&cast.consignee, Action::Transfer { bl, to: cast.shipper.party() });
    ledger.ok(&cast.shipper, Action::Sign { bl });
    assert!(ledger.bl(&bl).possessor_signed);
}

#[test]
fn only_the_possessor_may_sign() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    for wrong in [&cast.carrier, &cast.consignee, &cast.outsider] {
        ledger.assert_refused(&[wrong], Action::Sign { bl }, ErrorCode::NotPossessor);
    }
}

// ---------------------------------------------------------------- REJECT

#[test]
fn the_recipient_of_a_transfer_rejects_it_and_possession_returns() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    let reject = Action::RejectTransfer { bl, reason: "not the goods we ordered".into() };
    let record = ledger.assert_acted(&[&cast.consignee], bl, reject, Some(cast.shipper.party()));
    assert_eq!(record.possessor, cast.shipper.party());
    assert_eq!(record.transfer_from, None);
    assert_eq!(record.status, BlStatus::Issued);
    // Once is enough: the sender cannot bounce it back by "rejecting" the rejection.
    let again = Action::RejectTransfer { bl, reason: String::new() };
    ledger.assert_refused(&[&cast.shipper], again.clone(), ErrorCode::NothingToReject);
    ledger.assert_refused(&[&cast.consignee], again, ErrorCode::NothingToReject);
}

#[test]
fn a_transfer_can_be_rejected_only_as_the_recipients_next_action() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    ledger.ok(&cast.consignee, Action::Sign { bl });
    let reject = Action::RejectTransfer { bl, reason: String::new() };
    ledger.assert_refused(&[&cast.consignee], reject, ErrorCode::NothingToReject);
}

#[test]
fn only_the_recipient_may_reject_and_only_a_transfer() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    let reject = || Action::RejectTransfer { bl, reason: String::new() };
    // A freshly issued BL was not transferred.
    ledger.assert_refused(&[&cast.shipper], reject(), ErrorCode::NothingToReject);
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    for wrong in [&cast.shipper, &cast.outsider, &cast.carrier] {
        ledger.assert_refused(&[wrong], reject(), ErrorCode::NothingToReject);
    }
}

#[test]
fn each_recipient_down_a_chain_may_reject_only_its_own_receipt() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    ledger.ok(&cast.consignee, Action::Transfer { bl, to: cast.forwarder.party() });
    assert_eq!(ledger.bl(&bl).transfer_from, Some(cast.consignee.party()));
    let reject = || Action::RejectTransfer { bl, reason: String::new() };
    let record = ledger.assert_acted(&[&cast.forwarder], bl, reject(), Some(cast.consignee.party()));
    assert_eq!(record.possessor, cast.consignee.party());
    // The consignee acted (it transferred onward): its own receipt can no longer be rejected.
    ledger.assert_refused(&[&cast.consignee], reject(), ErrorCode::NothingToReject);
}

#[test]
fn a_rejection_reason_is_bounded_free_text() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    for bad in ["x".repeat(501), "bell\u{7}".into()] {
        let action = Action::RejectTransfer { bl, reason: bad };
        ledger.assert_refused(&[&cast.consignee], action, ErrorCode::InvalidInput);
    }
    // Still open: the refused attempts were not the recipient's "next action".
    ledger.ok(&cast.consignee, Action::RejectTransfer { bl, reason: "wrong\nconsignment".into() });
    assert_eq!(ledger.bl(&bl).possessor, cast.shipper.party());
}

#[test]
fn a_lien_release_by_the_bank_does_not_take_away_the_recipients_right_to_reject() {
    // BlRecord::transfer_from: "while its recipient has not yet acted" — the bank's RELEASE_LIEN
    // is not an action of the recipient.
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    ledger.ok_multi(&[&cast.shipper, &cast.bank], lien(bl, &cast.bank, ledger.time_ms + 30 * DAY_MS));
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    ledger.ok(&cast.bank, Action::ReleaseLien { bl });
    let reject = Action::RejectTransfer { bl, reason: "not expected".into() };
    let receipt = ledger.exec(&cast.consignee, reject);
    assert!(receipt.is_success(), "REJECT refused: {:?}", receipt.outcome);
    assert_eq!(ledger.bl(&bl).possessor, cast.shipper.party());
}

// ---------------------------------------------------------------- SURRENDER_FOR_DELIVERY / _FOR_AMENDMENT

#[test]
fn the_consignee_surrenders_a_straight_bl_for_delivery_to_the_carrier() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_straight(&cast, REF);
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    let carrier = cast.carrier.party();
    let record =
        ledger.assert_acted(&[&cast.consignee], bl, Action::SurrenderForDelivery { bl }, Some(carrier));
    assert_eq!(record.status, BlStatus::PendingSurrenderForDelivery);
    assert_eq!(record.possessor, carrier, "the recipient of a surrender is the issuing carrier");
    assert_eq!(
        record.surrender,
        Some(SurrenderRequest { requested_by: cast.consignee.party(), amendment_reason: None })
    );
    assert_eq!(record.surrendered_by, None);
    assert_eq!(record.transfer_from, None);
}

#[test]
fn the_consignee_surrenders_a_straight_bl_for_amendment_with_a_reason() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_straight(&cast, REF);
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    let action = Action::SurrenderForAmendment { bl, reason: AmendmentReason::Cod };
    let record = ledger.assert_acted(&[&cast.consignee], bl, action, Some(cast.carrier.party()));
    assert_eq!(record.status, BlStatus::PendingSurrenderForAmendment);
    assert_eq!(record.possessor, cast.carrier.party());
    let request = SurrenderRequest {
        requested_by: cast.consignee.party(),
        amendment_reason: Some(AmendmentReason::Cod),
    };
    assert_eq!(record.surrender, Some(request));
}

#[test]
fn only_the_consignee_may_surrender_a_straight_bl() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, straight(REF, &cast.shipper, &cast.consignee, &[&cast.forwarder]));
    let bl = id(&cast.carrier, REF);
    let surrenders = || {
        [
            Action::SurrenderForDelivery { bl },
            Action::SurrenderForAmendment { bl, reason: AmendmentReason::Swi },
        ]
    };
    for action in surrenders() {
        ledger.assert_refused(&[&cast.shipper], action.clone(), ErrorCode::NotAuthorized);
        ledger.assert_refused(&[&cast.consignee], action, ErrorCode::NotPossessor);
    }
    // The consignee's agent holds it, yet may not surrender it.
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.forwarder.party() });
    for action in surrenders() {
        ledger.assert_refused(&[&cast.forwarder], action, ErrorCode::NotAuthorized);
    }
}

#[test]
fn only_the_endorsee_in_possession_may_surrender_a_to_order_bl() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, to_order(REF, &cast.shipper, Some(&cast.consignee)));
    let bl = id(&cast.carrier, REF);
    let surrenders = [
        Action::SurrenderForDelivery { bl },
        Action::SurrenderForAmendment { bl, reason: AmendmentReason::Cod },
    ];
    for action in surrenders {
        ledger.assert_refused(&[&cast.shipper], action.clone(), ErrorCode::NotEndorsee);
        ledger.assert_refused(&[&cast.consignee], action, ErrorCode::NotPossessor);
    }
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    let record = ledger.assert_acted(
        &[&cast.consignee],
        bl,
        Action::SurrenderForDelivery { bl },
        Some(cast.carrier.party()),
    );
    assert_eq!(record.status, BlStatus::PendingSurrenderForDelivery);
}

#[test]
fn any_possessor_may_surrender_a_blank_bl_for_amendment() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, to_order(REF, &cast.shipper, None));
    let bl = id(&cast.carrier, REF);
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.forwarder.party() });
    ledger.assert_refused(
        &[&cast.shipper],
        Action::SurrenderForAmendment { bl, reason: AmendmentReason::Cod },
        ErrorCode::NotPossessor,
    );
    let action = Action::SurrenderForAmendment { bl, reason: AmendmentReason::Other };
    let record = ledger.assert_acted(&[&cast.forwarder], bl, action, Some(cast.carrier.party()));
    assert_eq!(
        record.surrender.map(|s| (s.requested_by, s.amendment_reason)),
        Some((cast.forwarder.party(), Some(AmendmentReason::Other)))
    );
}

// ---------------------------------------------------------------- SACC

#[test]
fn the_carrier_accepts_a_surrender_for_delivery_and_nothing_may_follow() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = surrendered_straight(&mut ledger, &cast, REF, None);
    let consignee = cast.consignee.party();
    let record = ledger.assert_acted(&[&cast.carrier], bl, Action::AcceptSurrender { bl }, Some(consignee));
    assert_eq!(record.status, BlStatus::SurrenderedForDelivery);
    assert_eq!(record.surrendered_by, Some(consignee), "the release right goes to the surrendering party");

    let mut cases = every_bl_action(&cast, bl);
    cases.push((&cast.carrier, lien(bl, &cast.bank, ledger.time_ms + DAY_MS)));
    cases.push((&cast.carrier, reissue(&[bl], vec![replacement(&cast, "HHL71800001", &cast.consignee)])));
    for (signer, action) in cases {
        ledger.assert_refused(&[signer], action, ErrorCode::IllegalTransition);
    }
}

#[test]
fn the_carrier_accepts_a_surrender_for_amendment_and_the_bl_is_voided() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = surrendered_straight(&mut ledger, &cast, REF, Some(AmendmentReason::Cod));
    let record = ledger.assert_acted(
        &[&cast.carrier],
        bl,
        Action::AcceptSurrender { bl },
        Some(cast.consignee.party()),
    );
    assert_eq!(record.status, BlStatus::Voided);
    assert_eq!(record.surrendered_by, None);
    assert_eq!(record.possessor, cast.carrier.party());
    // A voided BL is not live: its former holder cannot act on it.
    let cases: Vec<(&Keypair, Action)> = vec![
        (&cast.consignee, Action::Transfer { bl, to: cast.shipper.party() }),
        (&cast.carrier, Action::Transfer { bl, to: cast.consignee.party() }),
        (&cast.carrier, Action::AcceptSurrender { bl }),
        (&cast.carrier, Action::RejectSurrender { bl, reason: String::new() }),
        (&cast.consignee, Action::SurrenderForDelivery { bl }),
    ];
    for (signer, action) in cases {
        ledger.assert_refused(&[signer], action, ErrorCode::IllegalTransition);
    }
}

#[test]
fn only_the_issuing_carrier_may_accept_a_surrender() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = surrendered_straight(&mut ledger, &cast, REF, None);
    for wrong in [&cast.carrier2, &cast.consignee, &cast.shipper] {
        ledger.assert_refused(&[wrong], Action::AcceptSurrender { bl }, ErrorCode::NotAuthorized);
    }
}

#[test]
fn a_surrender_can_be_accepted_only_while_pending() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_straight(&cast, REF);
    ledger.assert_refused(&[&cast.carrier], Action::AcceptSurrender { bl }, ErrorCode::IllegalTransition);
    ledger.assert_refused(
        &[&cast.carrier],
        Action::RejectSurrender { bl, reason: String::new() },
        ErrorCode::IllegalTransition,
    );
}

// ---------------------------------------------------------------- SREJ

#[test]
fn the_carrier_rejects_a_surrender_and_possession_returns_to_the_requester() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = surrendered_straight(&mut ledger, &cast, REF, None);
    let consignee = cast.consignee.party();
    let srej = Action::RejectSurrender { bl, reason: "freight not paid".into() };
    let record = ledger.assert_acted(&[&cast.carrier], bl, srej, Some(consignee));
    assert_eq!(record.status, BlStatus::Issued);
    assert_eq!(record.possessor, consignee);
    assert_eq!(record.surrender, None);
    assert_eq!(record.surrendered_by, None);
    // The consignee holds it again and may surrender again.
    ledger.ok(&cast.consignee, Action::SurrenderForDelivery { bl });
    assert_eq!(ledger.bl(&bl).status, BlStatus::PendingSurrenderForDelivery);
}

#[test]
fn only_the_issuing_carrier_may_reject_a_surrender_and_with_a_bounded_reason() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = surrendered_straight(&mut ledger, &cast, REF, Some(AmendmentReason::Cod));
    for wrong in [&cast.carrier2, &cast.consignee] {
        let action = Action::RejectSurrender { bl, reason: String::new() };
        ledger.assert_refused(&[wrong], action, ErrorCode::NotAuthorized);
    }
    let too_long = Action::RejectSurrender { bl, reason: "x".repeat(501) };
    ledger.assert_refused(&[&cast.carrier], too_long, ErrorCode::InvalidInput);
    assert_eq!(ledger.bl(&bl).status, BlStatus::PendingSurrenderForAmendment);
}

// ---------------------------------------------------------------- REISSUE

#[test]
fn the_carrier_reissues_an_amended_bl_to_the_party_that_surrendered_it() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let old = voided(&mut ledger, &cast, REF, AmendmentReason::Cod);
    let old_before = ledger.bl(&old);
    let mut amended_checksum = Hash::ZERO;
    let amended = issue_with(Action::Issue(replacement(&cast, "HHL71800001", &cast.consignee)), |a| {
        a.document = amended(&a.document, "amended port of discharge");
        amended_checksum = a.document.checksum();
    });
    let tx_id = exec_ok(&mut ledger, &[&cast.carrier], reissue(&[old], vec![issue_bl(amended)]));

    let new = id(&cast.carrier, "HHL71800001");
    let record = ledger.bl(&new);
    assert_eq!(record.status, BlStatus::Issued);
    assert_eq!(record.possessor, cast.consignee.party());
    assert_eq!(record.replaces, vec![old]);
    assert_eq!(record.document_checksum, amended_checksum);
    let issue = &ledger.history(&new)[0];
    assert_eq!(
        (issue.action_code.as_str(), issue.actor, issue.recipient),
        ("ISSUE", cast.carrier.party(), Some(cast.consignee.party()))
    );
    assert_eq!((issue.tx_id, issue.prev), (tx_id, Hash::ZERO));

    let old_after = ledger.bl(&old);
    assert_eq!(old_after.status, BlStatus::Voided);
    assert_eq!(old_after.replaced_by, vec![new]);
    assert_issued_facts_unchanged(&old_before, &old_after);
    let entry = ledger.history(&old).pop().expect("entry");
    assert_eq!(
        (entry.action_code.as_str(), entry.actor, entry.recipient),
        ("REISSUE", cast.carrier.party(), None)
    );
    assert_eq!((entry.tx_id, entry.prev), (tx_id, old_before.history_head));
}

#[test]
fn the_carrier_splits_one_voided_bl_into_two() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let old = voided(&mut ledger, &cast, REF, AmendmentReason::Swi);
    let parts = vec![
        replacement(&cast, "HHL71800001", &cast.consignee),
        replacement(&cast, "HHL71800002", &cast.consignee),
    ];
    ledger.ok(&cast.carrier, reissue(&[old], parts));
    let new = [id(&cast.carrier, "HHL71800001"), id(&cast.carrier, "HHL71800002")];
    assert_eq!(ledger.bl(&old).replaced_by, new.to_vec());
    for part in new {
        let record = ledger.bl(&part);
        assert_eq!(record.replaces, vec![old]);
        assert_eq!(record.possessor, cast.consignee.party());
        assert_eq!(record.status, BlStatus::Issued);
    }
}

#[test]
fn the_carrier_merges_two_voided_bls_into_one() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let a = voided(&mut ledger, &cast, "HHL71800000", AmendmentReason::Swi);
    let b = voided(&mut ledger, &cast, "HHL71800001", AmendmentReason::Swi);
    ledger.ok(&cast.carrier, reissue(&[a, b], vec![replacement(&cast, "HHL71800002", &cast.consignee)]));
    let merged = id(&cast.carrier, "HHL71800002");
    assert_eq!(ledger.bl(&merged).replaces, vec![a, b]);
    assert_eq!(ledger.bl(&merged).possessor, cast.consignee.party());
    assert_eq!(ledger.bl(&a).replaced_by, vec![merged]);
    assert_eq!(ledger.bl(&b).replaced_by, vec![merged]);
}

#[test]
fn replacements_go_to_the_one_party_that_surrendered_every_voided_bl() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let by_consignee = voided(&mut ledger, &cast, "HHL71800000", AmendmentReason::Swi);
    let by_forwarder = voided_blank(&mut ledger, &cast, "HHL71800001", &cast.forwarder);
    // Merging the surrenders of two different parties.
    let merge =
        reissue(&[by_consignee, by_forwarder], vec![replacement(&cast, "HHL71800002", &cast.consignee)]);
    ledger.assert_refused(&[&cast.carrier], merge, ErrorCode::ReplacementMismatch);
    // Issuing the replacement to someone other than the requester.
    for wrong in [&cast.shipper, &cast.forwarder] {
        let action = reissue(&[by_consignee], vec![replacement(&cast, "HHL71800002", wrong)]);
        ledger.assert_refused(&[&cast.carrier], action, ErrorCode::ReplacementMismatch);
    }
    // One of two replacements to the wrong party spoils the whole reissue.
    let mixed = vec![
        replacement(&cast, "HHL71800002", &cast.consignee),
        replacement(&cast, "HHL71800003", &cast.shipper),
    ];
    ledger.assert_refused(&[&cast.carrier], reissue(&[by_consignee], mixed), ErrorCode::ReplacementMismatch);
}

#[test]
fn a_voided_bl_is_replaced_only_once() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let old = voided(&mut ledger, &cast, REF, AmendmentReason::Cod);
    ledger.ok(&cast.carrier, reissue(&[old], vec![replacement(&cast, "HHL71800001", &cast.consignee)]));
    let again = reissue(&[old], vec![replacement(&cast, "HHL71800002", &cast.consignee)]);
    ledger.assert_refused(&[&cast.carrier], again, ErrorCode::ReplacementMismatch);
}

#[test]
fn only_a_voided_bl_of_the_issuing_carrier_may_be_reissued() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let issued = ledger.issued_straight(&cast, "HHL71800000");
    let pending = surrendered_straight(&mut ledger, &cast, "HHL71800001", Some(AmendmentReason::Cod));
    let delivered = ledger.surrendered_for_delivery(&cast, "HHL71800002");
    let old = voided(&mut ledger, &cast, "HHL71800003", AmendmentReason::Cod);
    let new = || vec![replacement(&cast, "HHL71800009", &cast.consignee)];
    for not_voided in [issued, pending, delivered] {
        ledger.assert_refused(&[&cast.carrier], reissue(&[not_voided], new()), ErrorCode::IllegalTransition);
    }
    ledger.assert_refused(&[&cast.carrier2], reissue(&[old], new()), ErrorCode::NotAuthorized);
    ledger.assert_refused(&[&cast.consignee], reissue(&[old], new()), ErrorCode::WrongRole);
}

#[test]
fn a_reissue_must_be_well_formed() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let old = voided(&mut ledger, &cast, REF, AmendmentReason::Cod);
    let new = || vec![replacement(&cast, "HHL71800001", &cast.consignee)];
    let invalid = [
        reissue(&[], new()),
        reissue(&[old], vec![]),
        reissue(&[old, old], new()),
        reissue(
            &[old],
            vec![issue_bl(issue_with(Action::Issue(new().remove(0)), |a| {
                a.transport_document_reference = String::new()
            }))],
        ),
    ];
    for action in invalid {
        ledger.assert_refused(&[&cast.carrier], action, ErrorCode::InvalidInput);
    }
    ledger.assert_refused(
        &[&cast.carrier],
        reissue(&[id(&cast.carrier, "HHL99999999")], new()),
        ErrorCode::UnknownBl,
    );
    // Singularity holds for ever: the replacement needs a reference of its own.
    let same_reference = reissue(&[old], vec![replacement(&cast, REF, &cast.consignee)]);
    ledger.assert_refused(&[&cast.carrier], same_reference, ErrorCode::BlExists);
    // Two replacements with one reference.
    let twins = vec![
        replacement(&cast, "HHL71800001", &cast.consignee),
        replacement(&cast, "HHL71800001", &cast.consignee),
    ];
    ledger.assert_refused(&[&cast.carrier], reissue(&[old], twins), ErrorCode::BlExists);
}

// ---------------------------------------------------------------- SWITCH_TO_PAPER

#[test]
fn the_carrier_switches_a_pending_swtp_surrender_to_paper() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = surrendered_straight(&mut ledger, &cast, REF, Some(AmendmentReason::Swtp));
    let action = Action::SwitchToPaper { bl, paper_bl_number: "HHL71800000-P1".into() };
    let record = ledger.assert_acted(&[&cast.carrier], bl, action, None);
    assert_eq!(record.status, BlStatus::SwitchedToPaper);
    assert_eq!(record.paper_bl_number.as_deref(), Some("HHL71800000-P1"));
}

#[test]
fn the_carrier_switches_an_accepted_swtp_surrender_to_paper_and_the_record_is_inoperative() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = voided(&mut ledger, &cast, REF, AmendmentReason::Swtp);
    let action = Action::SwitchToPaper { bl, paper_bl_number: "HHL71800000-P1".into() };
    let record = ledger.assert_acted(&[&cast.carrier], bl, action, None);
    assert_eq!(record.status, BlStatus::SwitchedToPaper);

    // MLETR change of medium: nothing may follow, not even a reissue.
    let mut cases = every_bl_action(&cast, bl);
    cases.push((&cast.carrier, reissue(&[bl], vec![replacement(&cast, "HHL71800001", &cast.consignee)])));
    for (signer, action) in cases {
        ledger.assert_refused(&[signer], action, ErrorCode::IllegalTransition);
    }
}

#[test]
fn only_an_swtp_surrender_not_yet_reissued_may_be_switched_to_paper() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let paper = |bl| Action::SwitchToPaper { bl, paper_bl_number: "HHL71800000-P1".into() };
    let issued = ledger.issued_straight(&cast, "HHL71800000");
    let for_delivery = surrendered_straight(&mut ledger, &cast, "HHL71800001", None);
    let for_cod = surrendered_straight(&mut ledger, &cast, "HHL71800002", Some(AmendmentReason::Cod));
    let voided_cod = voided(&mut ledger, &cast, "HHL71800003", AmendmentReason::Cod);
    let reissued = voided(&mut ledger, &cast, "HHL71800004", AmendmentReason::Swtp);
    ledger.ok(&cast.carrier, reissue(&[reissued], vec![replacement(&cast, "HHL71800005", &cast.consignee)]));
    for bl in [issued, for_delivery, for_cod, voided_cod, reissued] {
        ledger.assert_refused(&[&cast.carrier], paper(bl), ErrorCode::IllegalTransition);
    }
}

#[test]
fn only_the_issuing_carrier_switches_to_paper_with_a_paper_bl_number() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = surrendered_straight(&mut ledger, &cast, REF, Some(AmendmentReason::Swtp));
    for wrong in [&cast.carrier2, &cast.consignee] {
        let action = Action::SwitchToPaper { bl, paper_bl_number: "HHL71800000-P1".into() };
        ledger.assert_refused(&[wrong], action, ErrorCode::NotAuthorized);
    }
    for bad in ["", " P1", &"P".repeat(36)] {
        let action = Action::SwitchToPaper { bl, paper_bl_number: bad.into() };
        ledger.assert_refused(&[&cast.carrier], action, ErrorCode::InvalidInput);
    }
}

// ---------------------------------------------------------------- history and integrity

#[test]
fn the_history_is_a_hash_chain_naming_every_actor_and_recipient_and_the_checksum_never_changes() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let (carrier, shipper, bank, consignee) =
        (cast.carrier.party(), cast.shipper.party(), cast.bank.party(), cast.consignee.party());
    let bl = ledger.issued_to_order(&cast, REF);
    let steps: Vec<(&Keypair, Action)> = vec![
        (&cast.shipper, Action::Sign { bl }),
        (&cast.shipper, Action::EndorseToOrder { bl, endorsee: bank }),
        (&cast.shipper, Action::Transfer { bl, to: bank }),
        (&cast.bank, Action::RejectTransfer { bl, reason: "documents discrepant".into() }),
        (&cast.shipper, Action::Transfer { bl, to: bank }),
        (&cast.bank, Action::Endorse { bl, endorsee: consignee }),
        (&cast.bank, Action::Transfer { bl, to: consignee }),
        (&cast.consignee, Action::SurrenderForDelivery { bl }),
        (&cast.carrier, Action::RejectSurrender { bl, reason: "charges unpaid".into() }),
        (&cast.consignee, Action::SurrenderForDelivery { bl }),
        (&cast.carrier, Action::AcceptSurrender { bl }),
    ];
    let mut tx_ids = Vec::new();
    for (signer, action) in steps {
        // Refused attempts in between leave no trace in the history.
        assert!(!ledger.exec(&cast.outsider, Action::Sign { bl }).is_success());
        tx_ids.push(exec_ok(&mut ledger, &[signer], action));
        assert_eq!(ledger.bl(&bl).document_checksum, checksum_of(REF));
    }

    let history = ledger.history(&bl);
    let got: Vec<(&str, PartyId, Option<PartyId>)> =
        history.iter().map(|e| (e.action_code.as_str(), e.actor, e.recipient)).collect();
    assert_eq!(
        got,
        vec![
            ("ISSUE", carrier, Some(shipper)),
            ("SIGN", shipper, None),
            ("ENDORSE_TO_ORDER", shipper, Some(bank)),
            ("TRANSFER", shipper, Some(bank)),
            ("REJECT", bank, Some(shipper)),
            ("TRANSFER", shipper, Some(bank)),
            ("ENDORSE", bank, Some(consignee)),
            ("TRANSFER", bank, Some(consignee)),
            ("SURRENDER_FOR_DELIVERY", consignee, Some(carrier)),
            ("SREJ", carrier, Some(consignee)),
            ("SURRENDER_FOR_DELIVERY", consignee, Some(carrier)),
            ("SACC", carrier, Some(consignee)),
        ]
    );
    let mut prev = Hash::ZERO;
    for (seq, entry) in history.iter().enumerate() {
        assert_eq!(entry.seq as usize, seq);
        assert_eq!(entry.prev, prev);
        prev = entry.hash();
    }
    let recorded: Vec<TxId> = history[1..].iter().map(|e| e.tx_id).collect();
    assert_eq!(recorded, tx_ids);
    assert!(history.windows(2).all(|w| w[0].height < w[1].height && w[0].time_ms < w[1].time_ms));
    let record = ledger.bl(&bl);
    assert_eq!(record.history_head, prev);
    assert_eq!(record.history_len as usize, history.len());
    assert_eq!(record.document_checksum, checksum_of(REF));
    assert_eq!(ledger.replay().root(), ledger.root());
}

// ---------------------------------------------------------------- the document an ISSUE carries

#[test]
fn an_issue_carries_a_dcsa_document_that_says_what_the_action_says() {
    // DCSA eBL 3.0: the TransportDocument's required fields; MLETR integrity: the checksum is of
    // the document the carrier signed.
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let edit = |edit: fn(&mut serde_json::Value)| {
        issue_with(to_order(REF, &cast.shipper, None), move |a| {
            let mut value = a.document.to_value().expect("json");
            edit(&mut value);
            a.document = TransportDocumentJson::from_value(&value).expect("still JSON");
        })
    };
    let cases: [(&str, Action, ErrorCode); 5] = [
        (
            "no transports",
            edit(|v| drop(v.as_object_mut().map(|o| o.remove("transports")))),
            ErrorCode::DocumentInvalid,
        ),
        (
            "shipper without a name",
            edit(|v| drop(v["documentParties"]["shipper"].as_object_mut().map(|o| o.remove("partyName")))),
            ErrorCode::DocumentInvalid,
        ),
        (
            "another reference",
            edit(|v| v["transportDocumentReference"] = "OTHER1".into()),
            ErrorCode::DocumentMismatch,
        ),
        (
            "a sea waybill document",
            edit(|v| v["transportDocumentTypeCode"] = "SWB".into()),
            ErrorCode::DocumentMismatch,
        ),
        ("a straight document", edit(|v| v["isToOrder"] = false.into()), ErrorCode::DocumentMismatch),
    ];
    for (what, action, code) in cases {
        eprintln!("case: {what}");
        ledger.assert_refused(&[&cast.carrier], action, code);
    }
    // Bytes from a peer are not trusted to be canonical.
    let loose: TransportDocumentJson = ebl_ledger::encoding::decode(
        &ebl_ledger::encoding::encode(&"{ \"transportDocumentReference\": \"X\" }".to_string()),
        1 << 20,
    )
    .expect("borsh");
    let action = issue_with(to_order(REF, &cast.shipper, None), |a| a.document = loose.clone());
    ledger.assert_refused(&[&cast.carrier], action, ErrorCode::DocumentInvalid);
    // The genuine document is accepted and its checksum recorded.
    ledger.ok(&cast.carrier, to_order(REF, &cast.shipper, None));
    assert_eq!(ledger.bl(&id(&cast.carrier, REF)).document_checksum, checksum_of(REF));
}
