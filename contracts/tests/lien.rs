//! Liens (DESIGN §5): CREATE_LIEN needs the party entitled to the goods — the surrender rule: the
//! possessor who is the endorsee of an order BL, any possessor of a blank-endorsed one, the
//! consignee in possession of a straight one — and the bank; at most one lien binds at a time
//! (the double-financing check), RELEASE_LIEN is the lienholder's, and an active lien blocks
//! surrender unless the lienholder co-signs. A lien binds until its expiry in block time.

use ebl_contracts::testkit::{sea_waybill, straight, to_order, Cast, TestLedger, BLOCK_MS};
use ebl_ledger::action::{Action, AmendmentReason, CreateLien};
use ebl_ledger::records::{BlStatus, Lien};
use ebl_ledger::{BlId, ErrorCode, Keypair, PartyId};

// ---------------------------------------------------------------- helpers

const REF: &str = "HHL71800000";
const DAY_MS: u64 = 86_400_000;

/// A pledge of `bl` to `bank` expiring `days` from the latest block.
fn lien(ledger: &TestLedger, bl: BlId, bank: &Keypair, days: u64) -> CreateLien {
    CreateLien {
        bl,
        bank: bank.party(),
        amount_minor: 12_500_000, // USD 125,000.00 in cents
        currency: "USD".into(),
        expires_at_ms: ledger.time_ms + days * DAY_MS,
        finance_reference: "LC-2026-0042".into(),
    }
}

fn pledge(ledger: &TestLedger, bl: BlId, bank: &Keypair, days: u64) -> Action {
    Action::CreateLien(lien(ledger, bl, bank, days))
}

/// A to-order BL endorsed to order of the consignee and handed to it.
fn held_by_consignee(ledger: &mut TestLedger, cast: &Cast) -> BlId {
    let bl = ledger.issued_to_order(cast, REF);
    ledger.ok(&cast.shipper, Action::EndorseToOrder { bl, endorsee: cast.consignee.party() });
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    bl
}

/// A BL held by the consignee and pledged by it to the bank for 30 days.
fn pledged_by_consignee(ledger: &mut TestLedger, cast: &Cast) -> BlId {
    let bl = held_by_consignee(ledger, cast);
    let action = pledge(ledger, bl, &cast.bank, 30);
    ledger.ok_multi(&[&cast.consignee, &cast.bank], action);
    bl
}

// ---------------------------------------------------------------- CREATE_LIEN

#[test]
fn the_possessor_and_the_bank_create_a_lien() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    let terms = lien(&ledger, bl, &cast.bank, 30);
    let bank_nonce = ledger.nonce(&cast.bank.party());
    let record = ledger.assert_acted(
        &[&cast.shipper, &cast.bank],
        bl,
        Action::CreateLien(terms.clone()),
        Some(cast.bank.party()),
    );
    let expected = Lien {
        bank: cast.bank.party(),
        amount_minor: terms.amount_minor,
        currency: "USD".into(),
        expires_at_ms: terms.expires_at_ms,
        finance_reference: "LC-2026-0042".into(),
        created_height: ledger.height,
    };
    assert_eq!(record.lien, Some(expected));
    assert_eq!(record.possessor, cast.shipper.party(), "a pledge does not move possession");
    assert_eq!(record.endorsee, Some(cast.shipper.party()));
    assert_eq!(record.status, BlStatus::Issued);
    assert_eq!(ledger.nonce(&cast.bank.party()), bank_nonce, "the co-signing bank spends no nonce");
}

#[test]
fn the_bank_may_submit_the_lien_with_the_title_holder_co_signing() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = held_by_consignee(&mut ledger, &cast);
    let action = pledge(&ledger, bl, &cast.bank, 30);
    let record = ledger.assert_acted(&[&cast.bank, &cast.consignee], bl, action, Some(cast.bank.party()));
    assert_eq!(record.lien.map(|l| l.bank), Some(cast.bank.party()));
    assert_eq!(record.possessor, cast.consignee.party(), "a pledge does not move possession");
}

#[test]
fn a_bank_in_possession_pledges_the_bl_to_itself_alone() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    ledger.ok(&cast.shipper, Action::EndorseToOrder { bl, endorsee: cast.bank.party() });
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.bank.party() });
    let action = pledge(&ledger, bl, &cast.bank, 30);
    let record = ledger.assert_acted(&[&cast.bank], bl, action, Some(cast.bank.party()));
    assert_eq!(record.lien.map(|l| l.bank), Some(cast.bank.party()));
}

#[test]
fn the_possessor_alone_cannot_create_a_lien() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    let action = pledge(&ledger, bl, &cast.bank, 30);
    ledger.assert_refused(&[&cast.shipper], action.clone(), ErrorCode::MissingCosigner);
    // Another bank's signature is not the named bank's.
    ledger.assert_refused(&[&cast.shipper, &cast.bank2], action, ErrorCode::MissingCosigner);
}

#[test]
fn a_bank_cannot_create_a_lien_without_the_possessor() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    let action = pledge(&ledger, bl, &cast.bank, 30);
    ledger.assert_refused(&[&cast.bank], action.clone(), ErrorCode::NotPossessor);
    for not_possessor in [&cast.consignee, &cast.carrier] {
        ledger.assert_refused(&[&cast.bank, not_possessor], action.clone(), ErrorCode::NotPossessor);
    }
    // A former possessor cannot pledge what it handed on.
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    ledger.assert_refused(&[&cast.shipper, &cast.bank], action, ErrorCode::NotPossessor);
}

#[test]
fn only_a_bank_may_hold_a_lien() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    for not_a_bank in [&cast.outsider, &cast.carrier, &cast.customs] {
        let action = pledge(&ledger, bl, not_a_bank, 30);
        ledger.assert_refused(&[&cast.shipper, not_a_bank], action, ErrorCode::WrongRole);
    }
    // Not even the possessor itself.
    let to_itself = pledge(&ledger, bl, &cast.shipper, 30);
    ledger.assert_refused(&[&cast.shipper], to_itself, ErrorCode::WrongRole);
}

#[test]
fn the_terms_of_a_lien_must_be_valid() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    let with = |ledger: &TestLedger, edit: &dyn Fn(&mut CreateLien)| {
        let mut terms = lien(ledger, bl, &cast.bank, 30);
        edit(&mut terms);
        Action::CreateLien(terms)
    };
    let next_block_ms = ledger.time_ms + BLOCK_MS;
    let bad: Vec<(&str, Action)> = vec![
        ("lower-case currency", with(&ledger, &|t| t.currency = "usd".into())),
        ("two-letter currency", with(&ledger, &|t| t.currency = "US".into())),
        ("four-letter currency", with(&ledger, &|t| t.currency = "USDT".into())),
        ("digit in currency", with(&ledger, &|t| t.currency = "U5D".into())),
        ("empty currency", with(&ledger, &|t| t.currency = String::new())),
        ("zero amount", with(&ledger, &|t| t.amount_minor = 0)),
        ("expiry in the past", with(&ledger, &|t| t.expires_at_ms = ledger.time_ms - 1)),
        ("expiry at the block time", with(&ledger, &|t| t.expires_at_ms = next_block_ms)),
        ("empty finance reference", with(&ledger, &|t| t.finance_reference = String::new())),
        ("finance reference too long", with(&ledger, &|t| t.finance_reference = "L".repeat(36))),
    ];
    for (what, action) in bad {
        eprintln!("case: {what}");
        ledger.assert_refused(&[&cast.shipper, &cast.bank], action, ErrorCode::InvalidInput);
    }
    // One millisecond after the block time is in the future, and CNY is as good as USD.
    let action = with(&ledger, &|t| {
        t.expires_at_ms = ledger.time_ms + BLOCK_MS + 1;
        t.currency = "CNY".into();
    });
    ledger.ok_multi(&[&cast.shipper, &cast.bank], action);
    assert_eq!(ledger.bl(&bl).lien.map(|l| l.currency), Some("CNY".to_string()));
}

#[test]
fn a_sea_waybill_cannot_be_pledged() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, sea_waybill(REF, &cast.shipper, &cast.consignee));
    let bl = BlId::new(&cast.carrier.party(), REF);
    let action = pledge(&ledger, bl, &cast.bank, 30);
    ledger.assert_refused(&[&cast.shipper, &cast.bank], action, ErrorCode::WrongDocumentType);
}

#[test]
fn a_bl_is_pledged_only_while_issued() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = held_by_consignee(&mut ledger, &cast);
    ledger.ok(&cast.consignee, Action::SurrenderForAmendment { bl, reason: AmendmentReason::Cod });
    // Pending: the carrier holds it.
    let action = pledge(&ledger, bl, &cast.bank, 30);
    ledger.assert_refused(&[&cast.carrier, &cast.bank], action, ErrorCode::IllegalTransition);
    ledger.ok(&cast.carrier, Action::AcceptSurrender { bl });
    let action = pledge(&ledger, bl, &cast.bank, 30);
    ledger.assert_refused(&[&cast.carrier, &cast.bank], action, ErrorCode::IllegalTransition);
}

#[test]
fn a_second_lien_is_refused_while_one_binds() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    let second = pledge(&ledger, bl, &cast.bank2, 60);
    ledger.assert_refused(&[&cast.consignee, &cast.bank2], second, ErrorCode::LienAlreadyActive);
    // Nor a second pledge to the same bank.
    let again = pledge(&ledger, bl, &cast.bank, 60);
    ledger.assert_refused(&[&cast.consignee, &cast.bank], again, ErrorCode::LienAlreadyActive);
    // The lien travels with the BL: its next holder cannot pledge it again either.
    ledger.ok(&cast.consignee, Action::EndorseToOrder { bl, endorsee: cast.forwarder.party() });
    ledger.ok(&cast.consignee, Action::Transfer { bl, to: cast.forwarder.party() });
    assert_eq!(ledger.bl(&bl).lien.map(|l| l.bank), Some(cast.bank.party()));
    let by_next_holder = pledge(&ledger, bl, &cast.bank2, 60);
    ledger.assert_refused(&[&cast.forwarder, &cast.bank2], by_next_holder, ErrorCode::LienAlreadyActive);
}

#[test]
fn a_new_lien_may_be_created_after_the_first_is_released() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    ledger.ok(&cast.bank, Action::ReleaseLien { bl });
    let second = pledge(&ledger, bl, &cast.bank2, 60);
    let record = ledger.assert_acted(&[&cast.consignee, &cast.bank2], bl, second, Some(cast.bank2.party()));
    assert_eq!(record.lien.map(|l| l.bank), Some(cast.bank2.party()));
}

#[test]
fn a_new_lien_may_be_created_after_the_first_expires() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    let expires = ledger.bl(&bl).lien.expect("pledged").expires_at_ms;
    // The next block is exactly at the expiry: the lien no longer binds.
    ledger.advance_time(expires - ledger.time_ms - BLOCK_MS);
    let second = pledge(&ledger, bl, &cast.bank2, 60);
    let record = ledger.assert_acted(&[&cast.consignee, &cast.bank2], bl, second, Some(cast.bank2.party()));
    assert_eq!(ledger.time_ms, expires);
    let lien = record.lien.expect("the new lien");
    assert_eq!(lien.bank, cast.bank2.party());
    assert_eq!(lien.created_height, ledger.height);
}

#[test]
fn a_lien_still_binds_one_millisecond_before_expiry() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    let expires = ledger.bl(&bl).lien.expect("pledged").expires_at_ms;
    ledger.advance_time(expires - 1 - ledger.time_ms - BLOCK_MS);
    let second = pledge(&ledger, bl, &cast.bank2, 60);
    ledger.assert_refused(&[&cast.consignee, &cast.bank2], second, ErrorCode::LienAlreadyActive);
    assert_eq!(ledger.time_ms, expires - 1);
}

// ---------------------------------------------------------------- who is entitled to pledge

/// The hole this rule closes: an order BL endorsed to order of bank E while its shipper still
/// holds it. The shipper holds it for E and cannot pledge it to bank Y; had it been able to, the
/// lien would block E's surrender and E's finance check would read HELD_BY_OTHER_BANK.
#[test]
fn a_possessor_who_is_not_the_endorsee_cannot_pledge_to_another_bank() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    ledger.ok(&cast.shipper, Action::EndorseToOrder { bl, endorsee: cast.bank.party() });
    let record = ledger.bl(&bl);
    assert_eq!((record.possessor, record.endorsee), (cast.shipper.party(), Some(cast.bank.party())));
    let to_bank2 = pledge(&ledger, bl, &cast.bank2, 30);
    // Whichever of the two submits; the state changes in nothing but the submitter's nonce.
    ledger.assert_refused(&[&cast.shipper, &cast.bank2], to_bank2.clone(), ErrorCode::NotEndorsee);
    ledger.assert_refused(&[&cast.bank2, &cast.shipper], to_bank2, ErrorCode::NotEndorsee);
    // Nor to the endorsee's own bank: the possessor is not the one who may pledge.
    let to_bank = pledge(&ledger, bl, &cast.bank, 30);
    ledger.assert_refused(&[&cast.shipper, &cast.bank], to_bank, ErrorCode::NotEndorsee);
    // The endorsee cannot pledge what it does not yet hold.
    let by_endorsee = pledge(&ledger, bl, &cast.bank, 30);
    ledger.assert_refused(&[&cast.bank], by_endorsee, ErrorCode::NotPossessor);
    assert_eq!(ledger.bl(&bl).lien, None);

    // Handed to E: E surrenders unhindered, and E is the one who may pledge.
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.bank.party() });
    let to_bank2 = pledge(&ledger, bl, &cast.bank2, 30);
    ledger.assert_refused(&[&cast.shipper, &cast.bank2], to_bank2, ErrorCode::NotPossessor);
    let record = ledger.assert_acted(
        &[&cast.bank],
        bl,
        Action::SurrenderForDelivery { bl },
        Some(cast.carrier.party()),
    );
    assert_eq!(record.status, BlStatus::PendingSurrenderForDelivery);
}

#[test]
fn a_possessor_holding_for_its_endorsee_cannot_pledge_after_passing_the_bl_on() {
    // The consignee, endorsee in possession, hands the BL to a forwarder without endorsing it:
    // the forwarder holds it for the consignee, and only the consignee may pledge once it has
    // it back.
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = held_by_consignee(&mut ledger, &cast);
    ledger.ok(&cast.consignee, Action::Transfer { bl, to: cast.forwarder.party() });
    let action = pledge(&ledger, bl, &cast.bank, 30);
    ledger.assert_refused(&[&cast.forwarder, &cast.bank], action.clone(), ErrorCode::NotEndorsee);
    ledger.assert_refused(&[&cast.consignee, &cast.bank], action.clone(), ErrorCode::NotPossessor);
    ledger.ok(&cast.forwarder, Action::Transfer { bl, to: cast.consignee.party() });
    let record = ledger.assert_acted(&[&cast.consignee, &cast.bank], bl, action, Some(cast.bank.party()));
    assert_eq!(record.lien.map(|l| l.bank), Some(cast.bank.party()));
}

#[test]
fn the_endorsee_in_possession_pledges_with_its_bank() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, REF);
    // A plain ENDORSE (no further endorsement allowed) still makes the consignee the holder.
    ledger.ok(&cast.shipper, Action::Endorse { bl, endorsee: cast.consignee.party() });
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    let action = pledge(&ledger, bl, &cast.bank2, 30);
    let record = ledger.assert_acted(&[&cast.consignee, &cast.bank2], bl, action, Some(cast.bank2.party()));
    assert_eq!(record.lien.map(|l| l.bank), Some(cast.bank2.party()));
    assert_eq!(record.endorsee, Some(cast.consignee.party()));
}

#[test]
fn whoever_possesses_a_blank_endorsed_bl_may_pledge_it() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = held_by_consignee(&mut ledger, &cast);
    ledger.ok(&cast.consignee, Action::BlankEndorse { bl });
    ledger.ok(&cast.consignee, Action::Transfer { bl, to: cast.forwarder.party() });
    // The former endorsee has no claim left once it hands a blank-endorsed BL on.
    let action = pledge(&ledger, bl, &cast.bank, 30);
    ledger.assert_refused(&[&cast.consignee, &cast.bank], action.clone(), ErrorCode::NotPossessor);
    let record = ledger.assert_acted(&[&cast.forwarder, &cast.bank], bl, action, Some(cast.bank.party()));
    assert_eq!((record.possessor, record.endorsee), (cast.forwarder.party(), None));
    assert_eq!(record.lien.map(|l| l.bank), Some(cast.bank.party()));
}

#[test]
fn a_bl_issued_in_blank_may_be_pledged_by_its_first_holder() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, to_order(REF, &cast.shipper, None));
    let bl = BlId::new(&cast.carrier.party(), REF);
    let action = pledge(&ledger, bl, &cast.bank, 30);
    let record = ledger.assert_acted(&[&cast.shipper, &cast.bank], bl, action, Some(cast.bank.party()));
    assert_eq!(record.lien.map(|l| l.bank), Some(cast.bank.party()));
}

/// A straight BL follows the surrender rule: only its consignee, in possession, is entitled to
/// the goods, so only the consignee pledges it. The shipper (or an agent) holding it cannot.
#[test]
fn a_straight_bl_is_pledged_by_its_consignee_in_possession_only() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.carrier, straight(REF, &cast.shipper, &cast.consignee, &[&cast.forwarder]));
    let bl = BlId::new(&cast.carrier.party(), REF);
    let action = pledge(&ledger, bl, &cast.bank, 30);
    ledger.assert_refused(&[&cast.shipper, &cast.bank], action.clone(), ErrorCode::NotAuthorized);
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.forwarder.party() });
    ledger.assert_refused(&[&cast.forwarder, &cast.bank], action.clone(), ErrorCode::NotAuthorized);
    ledger.assert_refused(&[&cast.consignee, &cast.bank], action.clone(), ErrorCode::NotPossessor);
    ledger.ok(&cast.forwarder, Action::Transfer { bl, to: cast.consignee.party() });
    let record = ledger.assert_acted(&[&cast.consignee, &cast.bank], bl, action, Some(cast.bank.party()));
    assert_eq!(record.lien.map(|l| l.bank), Some(cast.bank.party()), "a straight BL may be pledged too");
}

/// Whoever may pledge may surrender, and the other way round: one rule for both, with the same
/// codes.
#[test]
fn who_may_pledge_is_who_may_surrender() {
    let cast = Cast::new();
    // Builds the BL; `None`: its possessor is entitled to the goods, else the code refusing it.
    type Setup = fn(&mut TestLedger, &Cast) -> (BlId, Option<ErrorCode>);
    let cases: [(&str, Setup); 5] = [
        ("possessor, not the endorsee", |l, c| {
            let bl = l.issued_to_order(c, REF);
            l.ok(&c.shipper, Action::EndorseToOrder { bl, endorsee: c.consignee.party() });
            (bl, Some(ErrorCode::NotEndorsee))
        }),
        ("shipper holding a straight BL", |l, c| (l.issued_straight(c, REF), Some(ErrorCode::NotAuthorized))),
        ("consignee holding a straight BL", |l, c| {
            let bl = l.issued_straight(c, REF);
            l.ok(&c.shipper, Action::Transfer { bl, to: c.consignee.party() });
            (bl, None)
        }),
        ("endorsee in possession", |l, c| (held_by_consignee(l, c), None)),
        ("holder of a BL endorsed in blank", |l, c| {
            let bl = held_by_consignee(l, c);
            l.ok(&c.consignee, Action::BlankEndorse { bl });
            (bl, None)
        }),
    ];
    for (what, setup) in cases {
        eprintln!("case: {what}");
        let (mut for_lien, mut for_surrender) = (TestLedger::new(&cast), TestLedger::new(&cast));
        let (bl, refusal) = setup(&mut for_lien, &cast);
        assert_eq!(setup(&mut for_surrender, &cast), (bl, refusal));
        let possessor = for_lien.bl(&bl).possessor;
        let holder =
            [&cast.shipper, &cast.consignee].into_iter().find(|k| k.party() == possessor).expect("cast");
        let action = pledge(&for_lien, bl, &cast.bank, 30);
        match refusal {
            None => {
                for_lien.ok_multi(&[holder, &cast.bank], action);
                for_surrender.ok(holder, Action::SurrenderForDelivery { bl });
            }
            Some(code) => {
                for_lien.assert_refused(&[holder, &cast.bank], action, code);
                for_surrender.assert_refused(&[holder], Action::SurrenderForDelivery { bl }, code);
            }
        }
    }
}

// ---------------------------------------------------------------- RELEASE_LIEN

#[test]
fn the_lienholder_releases_its_lien() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    let record = ledger.assert_acted(&[&cast.bank], bl, Action::ReleaseLien { bl }, None);
    assert_eq!(record.lien, None);
    assert_eq!(record.possessor, cast.consignee.party());
    assert_eq!(record.status, BlStatus::Issued);
}

#[test]
fn only_the_lienholder_may_release_a_lien() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    for wrong in [&cast.bank2, &cast.consignee, &cast.carrier] {
        ledger.assert_refused(&[wrong], Action::ReleaseLien { bl }, ErrorCode::NotLienholder);
    }
}

#[test]
fn there_must_be_a_lien_to_release() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = held_by_consignee(&mut ledger, &cast);
    ledger.assert_refused(&[&cast.bank], Action::ReleaseLien { bl }, ErrorCode::NoActiveLien);
    let action = pledge(&ledger, bl, &cast.bank, 30);
    ledger.ok_multi(&[&cast.consignee, &cast.bank], action);
    ledger.ok(&cast.bank, Action::ReleaseLien { bl });
    ledger.assert_refused(&[&cast.bank], Action::ReleaseLien { bl }, ErrorCode::NoActiveLien);
}

#[test]
fn an_expired_lien_may_still_be_cleared_by_its_bank() {
    // The code's reading: the record of an expired lien stays until its bank releases it or a
    // new lien replaces it, and the bank may clear it (DESIGN lists RELEASE_LIEN as "lien active
    // → none", which leaves this case open).
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    ledger.advance_time(31 * DAY_MS);
    assert!(ledger.bl(&bl).lien.is_some(), "an expired lien stays on the record");
    let record = ledger.assert_acted(&[&cast.bank], bl, Action::ReleaseLien { bl }, None);
    assert_eq!(record.lien, None);
}

#[test]
fn the_lienholder_may_release_while_a_surrender_is_pending_or_after_voiding_but_not_after_delivery() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    ledger.ok_multi(&[&cast.consignee, &cast.bank], Action::SurrenderForDelivery { bl });
    let record = ledger.assert_acted(&[&cast.bank], bl, Action::ReleaseLien { bl }, None);
    assert_eq!((record.status, record.lien), (BlStatus::PendingSurrenderForDelivery, None));

    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    let amend = Action::SurrenderForAmendment { bl, reason: AmendmentReason::Cod };
    ledger.ok_multi(&[&cast.consignee, &cast.bank], amend);
    ledger.ok(&cast.carrier, Action::AcceptSurrender { bl });
    let record = ledger.assert_acted(&[&cast.bank], bl, Action::ReleaseLien { bl }, None);
    assert_eq!((record.status, record.lien), (BlStatus::Voided, None));

    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    ledger.ok_multi(&[&cast.consignee, &cast.bank], Action::SurrenderForDelivery { bl });
    ledger.ok(&cast.carrier, Action::AcceptSurrender { bl });
    ledger.assert_refused(&[&cast.bank], Action::ReleaseLien { bl }, ErrorCode::IllegalTransition);
}

// ---------------------------------------------------------------- surrender under a lien

#[test]
fn an_active_lien_blocks_surrender() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    for action in [
        Action::SurrenderForDelivery { bl },
        Action::SurrenderForAmendment { bl, reason: AmendmentReason::Swtp },
    ] {
        ledger.assert_refused(&[&cast.consignee], action.clone(), ErrorCode::LienActive);
        // Another bank's consent is not the lienholder's.
        ledger.assert_refused(&[&cast.consignee, &cast.bank2], action, ErrorCode::LienActive);
    }
}

#[test]
fn the_lienholder_co_signing_lets_the_surrender_through() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    let lien_before = ledger.bl(&bl).lien;
    let record = ledger.assert_acted(
        &[&cast.consignee, &cast.bank],
        bl,
        Action::SurrenderForDelivery { bl },
        Some(cast.carrier.party()),
    );
    assert_eq!(record.status, BlStatus::PendingSurrenderForDelivery);
    assert_eq!(record.surrender.map(|s| s.requested_by), Some(cast.consignee.party()));
    assert_eq!(record.lien, lien_before, "consenting to the surrender does not release the lien");
    ledger.ok(&cast.carrier, Action::AcceptSurrender { bl });
    assert_eq!(ledger.bl(&bl).surrendered_by, Some(cast.consignee.party()));
}

#[test]
fn an_expired_lien_no_longer_blocks_surrender() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    ledger.advance_time(30 * DAY_MS);
    let record = ledger.assert_acted(
        &[&cast.consignee],
        bl,
        Action::SurrenderForDelivery { bl },
        Some(cast.carrier.party()),
    );
    assert_eq!(record.status, BlStatus::PendingSurrenderForDelivery);
}

#[test]
fn a_released_lien_no_longer_blocks_surrender() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    ledger.ok(&cast.bank, Action::ReleaseLien { bl });
    let action = Action::SurrenderForAmendment { bl, reason: AmendmentReason::Swtp };
    let record = ledger.assert_acted(&[&cast.consignee], bl, action, Some(cast.carrier.party()));
    assert_eq!(record.status, BlStatus::PendingSurrenderForAmendment);
}

#[test]
fn the_lien_history_names_the_banks_and_the_chain_holds() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = pledged_by_consignee(&mut ledger, &cast);
    ledger.ok(&cast.bank, Action::ReleaseLien { bl });
    let action = pledge(&ledger, bl, &cast.bank2, 10);
    ledger.ok_multi(&[&cast.bank2, &cast.consignee], action);
    ledger.ok_multi(&[&cast.consignee, &cast.bank2], Action::SurrenderForDelivery { bl });
    let history = ledger.history(&bl);
    let got: Vec<(&str, PartyId, Option<PartyId>)> =
        history.iter().map(|e| (e.action_code.as_str(), e.actor, e.recipient)).collect();
    let (consignee, bank, bank2) = (cast.consignee.party(), cast.bank.party(), cast.bank2.party());
    assert_eq!(
        got[3..],
        [
            ("CREATE_LIEN", consignee, Some(bank)),
            ("RELEASE_LIEN", bank, None),
            ("CREATE_LIEN", bank2, Some(bank2)),
            ("SURRENDER_FOR_DELIVERY", consignee, Some(cast.carrier.party())),
        ]
    );
    assert!(history.windows(2).all(|w| w[1].prev == w[0].hash()));
    assert_eq!(ledger.replay().root(), ledger.root());
}
