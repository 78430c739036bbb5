//! The party registry: REGISTER_PARTY, SET_PARTY_ROLES, SUSPEND_PARTY, REINSTATE_PARTY.
//!
//! Every action has a test where the registrar succeeds and tests where each kind of wrong
//! signer, wrong input and wrong party status is refused with its code, changing nothing but the
//! submitter's nonce. A suspended party can neither act nor receive title; an unregistered key
//! cannot even get a transaction into a block.

use ebl_contracts::testkit::{straight, to_order, Cast, TestLedger};
use ebl_contracts::ApplyError;
use ebl_ledger::action::{Action, CreateLien, ExternalCodes, RegisterParty};
use ebl_ledger::records::{PartyStatus, Role, RoleSet, StateKey};
use ebl_ledger::{BlId, ErrorCode, Keypair, PartyId, TxError};

// ---------------------------------------------------------------- helpers

fn registration(party: PartyId, legal_name: &str, roles: &[Role]) -> RegisterParty {
    RegisterParty {
        party,
        legal_name: legal_name.into(),
        roles: RoleSet::of(roles),
        codes: ExternalCodes::default(),
    }
}

fn register(party: &Keypair, legal_name: &str, roles: &[Role]) -> Action {
    Action::RegisterParty(registration(party.party(), legal_name, roles))
}

/// A registration of a fresh key with its fields adjusted by `edit`.
fn register_with(edit: impl FnOnce(&mut RegisterParty)) -> Action {
    let mut r =
        registration(Keypair::for_test("newcomer").party(), "Yantian Forwarding Co Ltd", &[Role::Trader]);
    edit(&mut r);
    Action::RegisterParty(r)
}

fn roles(ledger: &TestLedger, party: &Keypair) -> RoleSet {
    ledger.party(&party.party()).expect("party registered").roles
}

fn status(ledger: &TestLedger, party: &Keypair) -> PartyStatus {
    ledger.party(&party.party()).expect("party registered").status
}

/// A second registrar, so that the first can be suspended or stripped by someone, and a third,
/// so that two remain (no registrar may be left alone: `LAST_REGISTRAR`).
fn second_registrar(ledger: &mut TestLedger, cast: &Cast) -> Keypair {
    let registrar2 = Keypair::for_test("registrar2");
    ledger.ok(&cast.registrar, register(&registrar2, "Backup Registrar", &[Role::Registrar]));
    let registrar3 = Keypair::for_test("registrar3");
    ledger.ok(&cast.registrar, register(&registrar3, "Third Registrar", &[Role::Registrar]));
    registrar2
}

const LEI: &str = "5493001KJTIIGC8Y1R12";
const USCC: &str = "91310000MA1FL4B24X";

// ---------------------------------------------------------------- REGISTER_PARTY

#[test]
fn registrar_registers_a_party_with_its_roles_and_external_codes() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let newcomer = Keypair::for_test("newcomer");
    let codes =
        ExternalCodes { dcsa_party_code: Some("MSK".into()), lei: Some(LEI.into()), uscc: Some(USCC.into()) };
    ledger.ok(
        &cast.registrar,
        Action::RegisterParty(RegisterParty {
            party: newcomer.party(),
            legal_name: "Yantian Forwarding Co Ltd".into(),
            roles: RoleSet::of(&[Role::Trader, Role::Haulier]),
            codes: codes.clone(),
        }),
    );

    let record = ledger.party(&newcomer.party()).expect("registered");
    assert_eq!(record.party, newcomer.party());
    assert_eq!(record.legal_name, "Yantian Forwarding Co Ltd");
    assert_eq!(record.roles, RoleSet::of(&[Role::Trader, Role::Haulier]));
    assert_eq!(record.codes, codes);
    assert_eq!(record.status, PartyStatus::Active);
    assert_eq!(record.registered_height, ledger.height);
    assert_eq!(ledger.nonce(&newcomer.party()), 0, "a new party starts at nonce 0");
}

#[test]
fn a_newly_registered_carrier_can_act_in_its_role() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let carrier3 = Keypair::for_test("carrier3");
    ledger.ok(&cast.registrar, register(&carrier3, "Third Carrier Line", &[Role::Carrier]));

    ledger.ok(&carrier3, to_order("HHL71800000", &cast.shipper, Some(&cast.shipper)));
    let bl = ledger.bl(&BlId::new(&carrier3.party(), "HHL71800000"));
    assert_eq!(bl.carrier, carrier3.party());
    assert_eq!(ledger.nonce(&carrier3.party()), 1);
}

#[test]
fn a_party_registered_earlier_in_a_block_may_submit_later_in_the_same_block() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let carrier3 = Keypair::for_test("carrier3");
    let txs = vec![
        ledger.tx(&[&cast.registrar], register(&carrier3, "Third Carrier Line", &[Role::Carrier])),
        TestLedger::tx_with_nonce(&[&carrier3], to_order("HHL71800000", &cast.shipper, None), 0),
    ];
    let receipts = ledger.exec_block(txs).expect("both transactions are includable");
    assert!(receipts.iter().all(|r| r.is_success()), "{receipts:?}");
    assert!(ledger.try_bl(&BlId::new(&carrier3.party(), "HHL71800000")).is_some());
}

#[test]
fn only_a_registrar_may_register_a_party() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    for signer in [&cast.carrier, &cast.bank, &cast.customs, &cast.outsider] {
        ledger.assert_refused(&[signer], register_with(|_| {}), ErrorCode::WrongRole);
    }
    assert!(ledger.party(&Keypair::for_test("newcomer").party()).is_none());
}

#[test]
fn a_party_cannot_be_registered_twice() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    // Not even to change its name or roles: that is SET_PARTY_ROLES.
    ledger.assert_refused(
        &[&cast.registrar],
        register(&cast.shipper, "Shipper Export Co", &[Role::Trader]),
        ErrorCode::PartyExists,
    );
    ledger.assert_refused(
        &[&cast.registrar],
        register(&cast.outsider, "Renamed Trader", &[Role::Carrier]),
        ErrorCode::PartyExists,
    );
    assert_eq!(roles(&ledger, &cast.outsider), RoleSet::of(&[Role::Trader]));
}

#[test]
fn a_key_that_is_not_a_valid_ed25519_key_cannot_be_registered() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let mut identity = [0u8; 32];
    identity[0] = 1; // small order
    let mut off_curve = [0u8; 32];
    off_curve[0] = 2; // not on the curve
    for key in [PartyId(identity), PartyId(off_curve), PartyId([0u8; 32])] {
        assert!(!key.is_valid_key(), "fixture: {key} must be invalid");
        ledger.assert_refused(&[&cast.registrar], register_with(|r| r.party = key), ErrorCode::InvalidInput);
    }
}

#[test]
fn a_party_needs_at_least_one_known_role() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.assert_refused(
        &[&cast.registrar],
        register_with(|r| r.roles = RoleSet::EMPTY),
        ErrorCode::InvalidInput,
    );
    // A role set decoded from the wire may carry bits no role stands for.
    let unknown_bit: RoleSet = borsh::from_slice(&0x8001u16.to_le_bytes()).expect("decodes");
    assert!(!unknown_bit.is_well_formed());
    ledger.assert_refused(
        &[&cast.registrar],
        register_with(|r| r.roles = unknown_bit),
        ErrorCode::InvalidInput,
    );
}

#[test]
fn the_legal_name_must_be_1_to_70_trimmed_characters() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    for bad in ["", " Leading Space Ltd", "Trailing Space Ltd ", "Line\nBreak Ltd", &"N".repeat(71)] {
        let name = bad.to_string();
        ledger.assert_refused(
            &[&cast.registrar],
            register_with(|r| r.legal_name = name),
            ErrorCode::InvalidInput,
        );
    }
    // DCSA partyName allows 70 characters, counted as characters, not bytes.
    let longest = "港".repeat(70);
    ledger.ok(&cast.registrar, register_with(|r| r.legal_name = longest.clone()));
    assert_eq!(ledger.party(&Keypair::for_test("newcomer").party()).expect("registered").legal_name, longest);
}

#[test]
fn the_lei_must_be_20_upper_case_letters_or_digits() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    for bad in
        ["5493001KJTIIGC8Y1R1", "5493001KJTIIGC8Y1R123", "5493001kjtiigc8y1r12", "5493001KJTIIGC8Y1R-2", ""]
    {
        let lei = Some(bad.to_string());
        ledger.assert_refused(
            &[&cast.registrar],
            register_with(|r| r.codes.lei = lei),
            ErrorCode::InvalidInput,
        );
    }
    ledger.ok(&cast.registrar, register_with(|r| r.codes.lei = Some(LEI.into())));
}

#[test]
fn the_uscc_must_be_18_upper_case_letters_or_digits() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    for bad in ["91310000MA1FL4B24", "91310000MA1FL4B24X1", "91310000ma1fl4b24x", "91310000 MA1FL4B24"] {
        let uscc = Some(bad.to_string());
        ledger.assert_refused(
            &[&cast.registrar],
            register_with(|r| r.codes.uscc = uscc),
            ErrorCode::InvalidInput,
        );
    }
    ledger.ok(&cast.registrar, register_with(|r| r.codes.uscc = Some(USCC.into())));
}

#[test]
fn the_dcsa_party_code_must_be_1_to_35_trimmed_characters() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    for bad in ["", " MSK", &"C".repeat(36)] {
        let code = Some(bad.to_string());
        ledger.assert_refused(
            &[&cast.registrar],
            register_with(|r| r.codes.dcsa_party_code = code),
            ErrorCode::InvalidInput,
        );
    }
}

#[test]
fn a_suspended_registrar_cannot_register_anyone() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let registrar2 = second_registrar(&mut ledger, &cast);
    ledger.ok(&registrar2, Action::SuspendParty { party: cast.registrar.party() });
    ledger.assert_refused(&[&cast.registrar], register_with(|_| {}), ErrorCode::PartySuspended);
}

// ---------------------------------------------------------------- SET_PARTY_ROLES

#[test]
fn registrar_sets_a_partys_roles_and_they_take_effect() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let before = ledger.party(&cast.outsider.party()).expect("registered");
    let new_roles = RoleSet::of(&[Role::Trader, Role::Carrier]);
    ledger.ok(&cast.registrar, Action::SetPartyRoles { party: cast.outsider.party(), roles: new_roles });

    let after = ledger.party(&cast.outsider.party()).expect("registered");
    assert_eq!(after.roles, new_roles);
    assert_eq!(after.legal_name, before.legal_name);
    assert_eq!(after.status, PartyStatus::Active);
    assert_eq!(after.registered_height, before.registered_height);
    // The outsider is now a carrier and may issue.
    ledger.ok(&cast.outsider, straight("HHL71800000", &cast.shipper, &cast.consignee, &[]));

    // And a carrier stripped of its role may not.
    ledger.ok(
        &cast.registrar,
        Action::SetPartyRoles { party: cast.carrier.party(), roles: Role::Trader.into() },
    );
    ledger.assert_refused(
        &[&cast.carrier],
        straight("HHL71800001", &cast.shipper, &cast.consignee, &[]),
        ErrorCode::WrongRole,
    );
}

#[test]
fn only_a_registrar_may_set_roles() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    // Not even on itself.
    for (signer, party) in
        [(&cast.carrier, &cast.outsider), (&cast.outsider, &cast.outsider), (&cast.bank, &cast.bank)]
    {
        let action = Action::SetPartyRoles { party: party.party(), roles: RoleSet::of(&[Role::Registrar]) };
        ledger.assert_refused(&[signer], action, ErrorCode::WrongRole);
    }
}

#[test]
fn roles_must_be_a_non_empty_set_of_known_roles() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let unknown_bit: RoleSet = borsh::from_slice(&0x0100u16.to_le_bytes()).expect("decodes");
    for roles in [RoleSet::EMPTY, unknown_bit] {
        let action = Action::SetPartyRoles { party: cast.outsider.party(), roles };
        ledger.assert_refused(&[&cast.registrar], action, ErrorCode::InvalidInput);
    }
}

#[test]
fn roles_of_an_unregistered_key_cannot_be_set() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let action = Action::SetPartyRoles { party: cast.stranger.party(), roles: Role::Trader.into() };
    ledger.assert_refused(&[&cast.registrar], action, ErrorCode::UnknownParty);
}

#[test]
fn a_registrar_may_not_drop_its_own_registrar_role_but_may_add_to_it() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let me = cast.registrar.party();
    ledger.assert_refused(
        &[&cast.registrar],
        Action::SetPartyRoles { party: me, roles: Role::Trader.into() },
        ErrorCode::NotAuthorized,
    );
    let wider = RoleSet::of(&[Role::Registrar, Role::Customs]);
    ledger.ok(&cast.registrar, Action::SetPartyRoles { party: me, roles: wider });
    assert_eq!(roles(&ledger, &cast.registrar), wider);

    // Another registrar may take the role away.
    let registrar2 = second_registrar(&mut ledger, &cast);
    ledger.ok(&registrar2, Action::SetPartyRoles { party: me, roles: Role::Customs.into() });
    ledger.assert_refused(&[&cast.registrar], register_with(|_| {}), ErrorCode::WrongRole);
}

// ---------------------------------------------------------------- the registrar quorum

#[test]
fn a_registrar_cannot_suspend_or_strip_the_last_other_registrar() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let registrar2 = Keypair::for_test("registrar2");
    ledger.ok(&cast.registrar, register(&registrar2, "Backup Registrar", &[Role::Registrar]));
    let other = registrar2.party();
    ledger.assert_refused(
        &[&cast.registrar],
        Action::SuspendParty { party: other },
        ErrorCode::LastRegistrar,
    );
    ledger.assert_refused(
        &[&cast.registrar],
        Action::SetPartyRoles { party: other, roles: Role::Customs.into() },
        ErrorCode::LastRegistrar,
    );
    assert_eq!(status(&ledger, &registrar2), PartyStatus::Active);
    // With a third, one may go.
    let registrar3 = Keypair::for_test("registrar3");
    ledger.ok(&cast.registrar, register(&registrar3, "Third Registrar", &[Role::Registrar]));
    ledger.ok(&cast.registrar, Action::SuspendParty { party: other });
    ledger.assert_refused(
        &[&cast.registrar],
        Action::SuspendParty { party: registrar3.party() },
        ErrorCode::LastRegistrar,
    );
}

/// A genesis with three registrars and a quorum of two.
fn two_of_three() -> (Cast, Keypair, Keypair, TestLedger) {
    let cast = Cast::new();
    let (r2, r3) = (Keypair::for_test("registrar2"), Keypair::for_test("registrar3"));
    let mut genesis = cast.genesis();
    genesis.parties.push(registration(r2.party(), "Backup Registrar", &[Role::Registrar]));
    genesis.parties.push(registration(r3.party(), "Third Registrar", &[Role::Registrar]));
    genesis.registrar_quorum = 2;
    let ledger = TestLedger::from_genesis(genesis);
    (cast, r2, r3, ledger)
}

#[test]
fn with_a_quorum_of_two_every_registrar_action_needs_two_registrars_signatures() {
    let (cast, r2, r3, mut ledger) = two_of_three();
    // One registrar alone, or with a co-signer that is no registrar: refused.
    ledger.assert_refused(&[&cast.registrar], register_with(|_| {}), ErrorCode::MissingCosigner);
    ledger.assert_refused(&[&cast.registrar, &cast.bank], register_with(|_| {}), ErrorCode::MissingCosigner);
    let suspend = Action::SuspendParty { party: cast.shipper.party() };
    ledger.assert_refused(&[&r2], suspend.clone(), ErrorCode::MissingCosigner);
    // Two of them: done.
    ledger.ok_multi(&[&cast.registrar, &r2], register_with(|_| {}));
    ledger.ok_multi(&[&r2, &r3], suspend);
    assert_eq!(status(&ledger, &cast.shipper), PartyStatus::Suspended);
    // A non-registrar submitting with two registrars co-signing is still not a registrar.
    let reinstate = Action::ReinstateParty { party: cast.shipper.party() };
    ledger.assert_refused(&[&cast.bank, &r2, &r3], reinstate.clone(), ErrorCode::WrongRole);
    ledger.ok_multi(&[&r3, &cast.registrar], reinstate);
    // Suspending one leaves two, the quorum; suspending another would leave one.
    ledger.ok_multi(&[&cast.registrar, &r2], Action::SuspendParty { party: r3.party() });
    ledger.assert_refused(
        &[&cast.registrar, &r2],
        Action::SuspendParty { party: r2.party() },
        ErrorCode::LastRegistrar,
    );
}

#[test]
fn a_quorum_larger_than_the_genesis_registrars_is_refused() {
    let cast = Cast::new();
    let mut genesis = cast.genesis();
    genesis.registrar_quorum = 2;
    assert!(matches!(genesis.writes(), Err(ebl_contracts::GenesisError::RegistrarQuorum { registrars: 1 })));
    genesis.registrar_quorum = 0;
    assert!(genesis.writes().is_err());
}

// ---------------------------------------------------------------- SUSPEND_PARTY

#[test]
fn registrar_suspends_a_party() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let before = ledger.party(&cast.forwarder.party()).expect("registered");
    ledger.ok(&cast.registrar, Action::SuspendParty { party: cast.forwarder.party() });
    let after = ledger.party(&cast.forwarder.party()).expect("still registered");
    assert_eq!(after.status, PartyStatus::Suspended);
    assert_eq!(after.roles, before.roles);
    assert_eq!(after.legal_name, before.legal_name);
}

#[test]
fn only_a_registrar_may_suspend() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    for signer in [&cast.carrier, &cast.customs, &cast.shipper] {
        let action = Action::SuspendParty { party: cast.outsider.party() };
        ledger.assert_refused(&[signer], action, ErrorCode::WrongRole);
    }
    assert_eq!(status(&ledger, &cast.outsider), PartyStatus::Active);
}

#[test]
fn an_unregistered_key_cannot_be_suspended() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let action = Action::SuspendParty { party: cast.stranger.party() };
    ledger.assert_refused(&[&cast.registrar], action, ErrorCode::UnknownParty);
}

#[test]
fn a_suspended_party_cannot_be_suspended_again() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.registrar, Action::SuspendParty { party: cast.outsider.party() });
    let again = Action::SuspendParty { party: cast.outsider.party() };
    ledger.assert_refused(&[&cast.registrar], again, ErrorCode::IllegalTransition);
}

#[test]
fn a_registrar_may_not_suspend_itself() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let action = Action::SuspendParty { party: cast.registrar.party() };
    ledger.assert_refused(&[&cast.registrar], action, ErrorCode::NotAuthorized);
}

#[test]
fn two_registrars_cannot_suspend_each_other_in_one_block() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let registrar2 = second_registrar(&mut ledger, &cast);
    let txs = vec![
        ledger.tx(&[&cast.registrar], Action::SuspendParty { party: registrar2.party() }),
        ledger.tx(&[&registrar2], Action::SuspendParty { party: cast.registrar.party() }),
    ];
    let receipts = ledger.exec_block(txs).expect("both includable");
    assert!(receipts[0].is_success());
    // The second sees the first's effect: its submitter is suspended by then.
    assert_eq!(receipts[1].error(), Some(ErrorCode::PartySuspended));
    assert_eq!(status(&ledger, &cast.registrar), PartyStatus::Active);
    assert_eq!(status(&ledger, &registrar2), PartyStatus::Suspended);
}

#[test]
fn a_suspended_party_cannot_act_but_its_transactions_still_spend_its_nonce() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, "HHL71800000");
    ledger.ok(&cast.registrar, Action::SuspendParty { party: cast.shipper.party() });
    ledger.assert_refused(&[&cast.shipper], Action::Sign { bl }, ErrorCode::PartySuspended);
    ledger.assert_refused(
        &[&cast.shipper],
        Action::Transfer { bl, to: cast.consignee.party() },
        ErrorCode::PartySuspended,
    );
    // A suspended carrier cannot issue either.
    ledger.ok(&cast.registrar, Action::SuspendParty { party: cast.carrier2.party() });
    ledger.assert_refused(
        &[&cast.carrier2],
        to_order("HHL71800001", &cast.shipper, None),
        ErrorCode::PartySuspended,
    );
}

#[test]
fn a_suspended_party_cannot_co_sign() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, "HHL71800000");
    ledger.ok(&cast.registrar, Action::SuspendParty { party: cast.bank.party() });
    let lien = Action::CreateLien(CreateLien {
        bl,
        bank: cast.bank.party(),
        amount_minor: 12_500_000, // USD 125,000.00 in cents
        currency: "USD".into(),
        expires_at_ms: ledger.time_ms + 30 * 86_400_000,
        finance_reference: "LC-2026-0042".into(),
    });
    ledger.assert_refused(&[&cast.shipper, &cast.bank], lien, ErrorCode::PartySuspended);
}

#[test]
fn a_suspended_party_cannot_receive_a_bl() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, "HHL71800000");
    ledger.ok(&cast.registrar, Action::SuspendParty { party: cast.consignee.party() });
    let to = cast.consignee.party();
    ledger.assert_refused(&[&cast.shipper], Action::Transfer { bl, to }, ErrorCode::PartySuspended);
    ledger.assert_refused(
        &[&cast.shipper],
        Action::EndorseToOrder { bl, endorsee: to },
        ErrorCode::PartySuspended,
    );
    ledger.assert_refused(
        &[&cast.carrier],
        straight("HHL71800001", &cast.shipper, &cast.consignee, &[]),
        ErrorCode::PartySuspended,
    );
    ledger.assert_refused(
        &[&cast.carrier],
        to_order("HHL71800002", &cast.consignee, None),
        ErrorCode::PartySuspended,
    );
}

// ---------------------------------------------------------------- REINSTATE_PARTY

#[test]
fn registrar_reinstates_a_suspended_party_which_can_act_again() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, "HHL71800000");
    ledger.ok(&cast.registrar, Action::SuspendParty { party: cast.shipper.party() });
    ledger.ok(&cast.registrar, Action::ReinstateParty { party: cast.shipper.party() });
    assert_eq!(status(&ledger, &cast.shipper), PartyStatus::Active);
    assert_eq!(roles(&ledger, &cast.shipper), RoleSet::of(&[Role::Trader]));
    ledger.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
    assert_eq!(ledger.bl(&bl).possessor, cast.consignee.party());
}

#[test]
fn only_a_registrar_may_reinstate() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    ledger.ok(&cast.registrar, Action::SuspendParty { party: cast.outsider.party() });
    for signer in [&cast.carrier, &cast.shipper] {
        let action = Action::ReinstateParty { party: cast.outsider.party() };
        ledger.assert_refused(&[signer], action, ErrorCode::WrongRole);
    }
    // The suspended party cannot reinstate itself: its own transaction fails first.
    let itself = Action::ReinstateParty { party: cast.outsider.party() };
    ledger.assert_refused(&[&cast.outsider], itself, ErrorCode::PartySuspended);
    assert_eq!(status(&ledger, &cast.outsider), PartyStatus::Suspended);
}

#[test]
fn an_active_party_cannot_be_reinstated() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let action = Action::ReinstateParty { party: cast.outsider.party() };
    ledger.assert_refused(&[&cast.registrar], action, ErrorCode::IllegalTransition);
}

#[test]
fn an_unregistered_key_cannot_be_reinstated() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let action = Action::ReinstateParty { party: cast.stranger.party() };
    ledger.assert_refused(&[&cast.registrar], action, ErrorCode::UnknownParty);
}

// ---------------------------------------------------------------- unregistered keys

#[test]
fn a_transaction_from_an_unregistered_key_cannot_be_included() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let (root, height, state) = (ledger.root(), ledger.height, ledger.state().clone());
    let tx =
        ledger.tx(&[&cast.stranger], register(&cast.stranger, "Self Registered Ltd", &[Role::Registrar]));
    match ledger.exec_block(vec![tx]) {
        Err(ApplyError::Rejected { error: TxError::UnknownSigner(who), .. }) => {
            assert_eq!(who, cast.stranger.party())
        }
        other => panic!("expected UnknownSigner, got {other:?}"),
    }
    // Not even a nonce: nothing at all changed, and no block was made.
    assert_eq!(ledger.root(), root);
    assert_eq!(ledger.height, height);
    assert_eq!(ledger.state(), &state);
}

#[test]
fn an_unregistered_co_signer_makes_the_action_fail() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, "HHL71800000");
    let action = Action::Transfer { bl, to: cast.consignee.party() };
    ledger.assert_refused(&[&cast.shipper, &cast.stranger], action, ErrorCode::UnknownParty);
}

// ---------------------------------------------------------------- ALLOW_OBSERVER, REMOVE_OBSERVER

fn observer(label: &str) -> ebl_ledger::governance::Observer {
    ebl_ledger::governance::Observer {
        name: format!("{label} node"),
        node_key: Keypair::for_test(label).party(),
    }
}

fn observers(ledger: &TestLedger) -> Vec<ebl_ledger::governance::Observer> {
    ledger
        .get::<ebl_ledger::governance::Observers>(&ebl_ledger::records::StateKey::Observers)
        .unwrap_or_default()
        .0
}

#[test]
fn registrars_list_and_remove_observers_and_nobody_else_may() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bank_node = observer("bank-node");
    ledger.assert_refused(&[&cast.bank], Action::AllowObserver(bank_node.clone()), ErrorCode::WrongRole);
    ledger.ok(&cast.registrar, Action::AllowObserver(bank_node.clone()));
    assert_eq!(observers(&ledger), vec![bank_node.clone()]);
    // Twice, a party's key, an empty name: refused.
    ledger.assert_refused(&[&cast.registrar], Action::AllowObserver(bank_node.clone()), ErrorCode::KeyInUse);
    let party_key = ebl_ledger::governance::Observer { name: "x".into(), node_key: cast.bank.party() };
    ledger.assert_refused(&[&cast.registrar], Action::AllowObserver(party_key), ErrorCode::KeyInUse);
    let mut unnamed = observer("customs-node");
    unnamed.name.clear();
    ledger.assert_refused(&[&cast.registrar], Action::AllowObserver(unnamed), ErrorCode::InvalidInput);
    // An observer's key cannot be registered as a party.
    ledger.assert_refused(
        &[&cast.registrar],
        Action::RegisterParty(registration(bank_node.node_key, "Squatter Ltd", &[Role::Trader])),
        ErrorCode::KeyInUse,
    );
    // Removal: by a registrar only, of a listed observer only.
    let remove = Action::RemoveObserver { node_key: bank_node.node_key };
    ledger.assert_refused(&[&cast.bank], remove.clone(), ErrorCode::WrongRole);
    ledger.ok(&cast.registrar, remove.clone());
    assert!(observers(&ledger).is_empty());
    ledger.assert_refused(&[&cast.registrar], remove, ErrorCode::UnknownObserver);
}

#[test]
fn with_a_quorum_of_two_an_observer_needs_two_registrars() {
    let (cast, r2, _, mut ledger) = two_of_three();
    let node = observer("bank-node");
    ledger.assert_refused(
        &[&cast.registrar],
        Action::AllowObserver(node.clone()),
        ErrorCode::MissingCosigner,
    );
    ledger.ok_multi(&[&cast.registrar, &r2], Action::AllowObserver(node.clone()));
    assert_eq!(observers(&ledger), vec![node]);
}

// ---------------------------------------------------------------- ROTATE_KEY, REPLACE_KEY

fn rotate(new_key: &Keypair) -> Action {
    Action::RotateKey { new_key: new_key.party() }
}

/// `signers` submit `action` in a block of its own; the receipt (`None`: not includable).
fn try_exec(
    ledger: &mut TestLedger,
    signers: &[&Keypair],
    action: Action,
) -> Result<ebl_ledger::Receipt, ApplyError> {
    let tx = ledger.tx(signers, action);
    ledger.exec_block(vec![tx]).map(|mut r| r.remove(0))
}

#[test]
fn a_party_rotates_its_key_keeps_its_bls_and_roles_and_its_old_key_signs_nothing_more() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let bl = ledger.issued_to_order(&cast, "ROT0001");
    let shipper = cast.shipper.party();
    let before = ledger.party(&shipper).expect("registered");
    let nonce = ledger.nonce(&shipper);
    let new = Keypair::for_test("shipper-2027");
    ledger.ok_multi(&[&cast.shipper, &new], rotate(&new));

    // Same party, same roles and name; the new key signs for it and carries its nonce on.
    let after = ledger.party(&shipper).expect("still registered");
    assert_eq!(after.signing_key, Some(new.party()));
    assert_eq!(
        (after.roles, after.legal_name.clone(), after.status),
        (before.roles, before.legal_name, before.status)
    );
    assert_eq!(ledger.get::<PartyId>(&StateKey::KeyOf(new.party())), Some(shipper));
    assert_eq!(ledger.get::<u64>(&StateKey::Nonce(shipper)), None, "the old key has no nonce left");
    assert_eq!(ledger.nonce(&new.party()), nonce + 1);

    // Its BL stays its own, and the new key acts on it as the shipper: the history names the party.
    assert_eq!(ledger.bl(&bl).possessor, shipper);
    ledger.ok(&new, Action::EndorseToOrder { bl, endorsee: cast.consignee.party() });
    ledger.ok(&new, Action::Transfer { bl, to: cast.consignee.party() });
    let record = ledger.bl(&bl);
    assert_eq!(record.possessor, cast.consignee.party());
    assert!(
        ledger.history(&bl).iter().rev().take(2).all(|e| e.actor == shipper),
        "the party acted, not the key"
    );

    // The old key: as submitter it cannot even get into a block (no nonce)...
    let old = ledger.tx(&[&cast.shipper], Action::BlankEndorse { bl });
    let TxErrorOf(error) = TxErrorOf::of(ledger.exec_block(vec![old]));
    assert!(matches!(error, TxError::UnknownSigner(p) if p == shipper), "{error:?}");
    // ... and as a co-signer it is refused.
    let receipt =
        try_exec(&mut ledger, &[&cast.registrar, &cast.shipper], register_with(|_| {})).expect("included");
    assert_eq!(receipt.error(), Some(ErrorCode::KeyRotated));
    // Neither key can be registered again, nor be anyone's new key.
    ledger.assert_refused(
        &[&cast.registrar],
        register(&new, "Someone Else", &[Role::Trader]),
        ErrorCode::KeyInUse,
    );
    // (the shipper's key co-signing as the bank's new one is a key in use)
    ledger.assert_refused(&[&cast.bank, &new], rotate(&new), ErrorCode::KeyInUse);
    let stolen = Keypair::for_test("bank-next");
    ledger.ok_multi(&[&cast.bank, &stolen], rotate(&stolen));
    // A second rotation retires the first new key too.
    let newer = Keypair::for_test("shipper-2028");
    ledger.ok_multi(&[&new, &newer], rotate(&newer));
    assert_eq!(ledger.party(&shipper).and_then(|r| r.signing_key), Some(newer.party()));
    let receipt = try_exec(&mut ledger, &[&cast.registrar, &new], register_with(|_| {})).expect("included");
    assert_eq!(receipt.error(), Some(ErrorCode::KeyRotated));
    ledger.assert_refused(&[&newer, &stolen], rotate(&stolen), ErrorCode::KeyInUse);
}

/// The error of a transaction that could not be included.
struct TxErrorOf(TxError);

impl TxErrorOf {
    fn of(result: Result<Vec<ebl_ledger::Receipt>, ApplyError>) -> Self {
        match result {
            Err(ApplyError::Rejected { error, .. }) => TxErrorOf(error),
            other => panic!("expected a rejection, got {other:?}"),
        }
    }
}

#[test]
fn a_rotation_needs_the_new_key_to_cosign_and_a_key_no_one_used() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let new = Keypair::for_test("fresh");
    ledger.assert_refused(&[&cast.shipper], rotate(&new), ErrorCode::MissingCosigner);
    // Another party's key, a validator's consensus key, an invalid key.
    ledger.assert_refused(&[&cast.shipper, &cast.bank], rotate(&cast.bank), ErrorCode::KeyInUse);
    let mut off_curve = [0u8; 32];
    off_curve[0] = 2;
    assert!(!PartyId(off_curve).is_valid_key(), "fixture: not on the curve");
    let invalid = Action::RotateKey { new_key: PartyId(off_curve) };
    ledger.assert_refused(&[&cast.shipper], invalid, ErrorCode::InvalidInput);
    // A suspended party cannot rotate.
    ledger.ok(&cast.registrar, Action::SuspendParty { party: cast.shipper.party() });
    ledger.assert_refused(&[&cast.shipper, &new], rotate(&new), ErrorCode::PartySuspended);
}

#[test]
fn a_carrier_that_rotated_issues_under_its_party_id() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let new = Keypair::for_test("carrier-2027");
    ledger.ok_multi(&[&cast.carrier, &new], rotate(&new));
    ledger.ok(&new, to_order("ROT0002", &cast.shipper, None));
    let record = ledger.bl(&BlId::new(&cast.carrier.party(), "ROT0002"));
    assert_eq!(record.carrier, cast.carrier.party());
    assert_eq!(ledger.try_bl(&BlId::new(&new.party(), "ROT0002")), None);
}

#[test]
fn the_registrar_quorum_replaces_a_lost_key_and_nobody_else_can() {
    let (cast, r2, _r3, mut ledger) = two_of_three();
    let bank = cast.bank.party();
    let nonce = ledger.nonce(&bank);
    let new = Keypair::for_test("bank-recovered");
    let replace = Action::ReplaceKey { party: bank, new_key: new.party() };
    // One registrar is not the quorum; the new key must co-sign; nobody but registrars.
    ledger.assert_refused(&[&cast.registrar, &new], replace.clone(), ErrorCode::MissingCosigner);
    ledger.assert_refused(&[&cast.registrar, &r2], replace.clone(), ErrorCode::MissingCosigner);
    ledger.assert_refused(&[&cast.shipper, &new], replace.clone(), ErrorCode::WrongRole);
    // A registrar rotates its own key; it does not replace it.
    let own = Action::ReplaceKey { party: cast.registrar.party(), new_key: new.party() };
    ledger.assert_refused(&[&cast.registrar, &r2, &new], own, ErrorCode::NotAuthorized);
    let unknown = Action::ReplaceKey { party: Keypair::for_test("nobody").party(), new_key: new.party() };
    ledger.assert_refused(&[&cast.registrar, &r2, &new], unknown, ErrorCode::UnknownParty);

    ledger.ok_multi(&[&cast.registrar, &r2, &new], replace);
    assert_eq!(ledger.party(&bank).and_then(|r| r.signing_key), Some(new.party()));
    assert_eq!(ledger.nonce(&new.party()), nonce, "the nonce moved to the new key");
    assert_eq!(ledger.get::<u64>(&StateKey::Nonce(bank)), None);
    // The bank acts with its new key; the lost one is refused.
    let newer = Keypair::for_test("bank-2028");
    ledger.ok_multi(&[&new, &newer], rotate(&newer));
    let lost = ledger.tx(&[&cast.bank], Action::ReleaseLien { bl: BlId::new(&cast.carrier.party(), "NONE") });
    assert!(matches!(TxErrorOf::of(ledger.exec_block(vec![lost])).0, TxError::UnknownSigner(_)));
}
