//! Every action subcommand, parsed as a user types it, maps to exactly its `Action` variant.

use clap::{CommandFactory, Parser};
use ebl_client::ebl_ledger::action::{
    AmendmentReason, AssignPickup, CreateLien, EmptyReturn, ExternalCodes, GateOut, HoldAuthority,
    HoldTarget, IssueReleaseOrder, PlaceHold, RegisterParty, Reissue,
};
use ebl_client::ebl_ledger::records::TransportDocumentType;
use ebl_client::ebl_ledger::{Action, BlId, ContainerRef, Hash, Keypair, PartyId, Role, RoleSet};

use crate::cli::{Cli, Command};
use crate::plan::{self, format_ms, plan, time_ms, PlanCtx, Planned};

const NOW_MS: u64 = 1_700_000_000_000;

fn key(label: u8) -> Keypair {
    Keypair::from_seed([label; 32])
}

fn p(label: u8) -> PartyId {
    key(label).party()
}

fn ctx() -> PlanCtx {
    PlanCtx { me: Some(p(1)), now_ms: NOW_MS, bl_containers: Vec::new() }
}

fn parse(args: &[&str]) -> Cli {
    match Cli::try_parse_from(std::iter::once("ebl").chain(args.iter().copied())) {
        Ok(cli) => cli,
        Err(e) => panic!("{args:?} does not parse: {e}"),
    }
}

fn planned_with(args: &[&str], ctx: &PlanCtx) -> Planned {
    match plan(&parse(args).command, ctx) {
        Ok(Some(planned)) => planned,
        Ok(None) => panic!("{args:?} plans no action"),
        Err(e) => panic!("{args:?}: {e:#}"),
    }
}

fn action(args: &[&str]) -> Action {
    let planned = planned_with(args, &ctx());
    assert!(planned.cosigners.is_empty(), "{args:?} needs no co-signer");
    planned.action
}

fn fixture() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/regularSTDExample.json")
}

const REFERENCE: &str = "62CD536BA8D34C469AFD";

fn carrier() -> PartyId {
    p(9)
}

fn bl_id() -> BlId {
    BlId::new(&carrier(), REFERENCE)
}

fn bl_arg() -> String {
    format!("{REFERENCE}@{}", carrier())
}

#[test]
fn the_command_tree_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn global_flags_parse_anywhere() {
    let cli = parse(&["--node", "http://n:1", "status", "--json", "--no-wait", "--nonce", "7"]);
    assert_eq!(cli.node, "http://n:1");
    assert!(cli.json && !cli.wait());
    assert_eq!(cli.tx.nonce, Some(7));
    assert!(parse(&["status"]).wait(), "waiting is the default");
    assert!(parse(&["--no-wait", "--wait", "status"]).wait(), "the last one wins");
    let cli = parse(&["bl", "sign", &bl_arg(), "--cosigner", &p(2).to_string(), "--save", "tx.json"]);
    assert_eq!(cli.tx.cosigners, vec![p(2).to_string()]);
    assert_eq!(cli.tx.save.as_deref(), Some(std::path::Path::new("tx.json")));
}

#[test]
fn the_oldest_proof_accepted_is_two_minutes_unless_set() {
    assert_eq!(parse(&["status"]).max_proof_age, std::time::Duration::from_secs(120));
    let cli = parse(&["--max-proof-age", "90s", "verify", &bl_arg()]);
    assert_eq!(cli.max_proof_age, std::time::Duration::from_secs(90));
    assert_eq!(
        parse(&["finance-check", &bl_arg(), "--max-proof-age", "500ms"]).max_proof_age.as_millis(),
        500
    );
    assert!(Cli::try_parse_from(["ebl", "--max-proof-age", "two weeks", "status"]).is_err());
}

#[test]
fn bl_arguments_are_ids_or_references() {
    assert_eq!(plan::bl(&bl_arg()).expect("by reference"), bl_id());
    assert_eq!(plan::bl(&bl_id().to_string()).expect("by id"), bl_id());
    assert!(plan::bl(REFERENCE).is_err());
    assert!(plan::party("ebl:zz").is_err());
}

#[test]
fn party_commands() {
    let party = p(3).to_string();
    assert_eq!(
        action(&[
            "party",
            "register",
            &party,
            "--name",
            "ACME Bank",
            "--role",
            "bank",
            "--role",
            "trader",
            "--lei",
            "5493001KJTIIGC8Y1R12",
        ]),
        Action::RegisterParty(RegisterParty {
            party: p(3),
            legal_name: "ACME Bank".into(),
            roles: RoleSet::of(&[Role::Bank, Role::Trader]),
            codes: ExternalCodes {
                dcsa_party_code: None,
                lei: Some("5493001KJTIIGC8Y1R12".into()),
                uscc: None
            },
        })
    );
    assert_eq!(
        action(&["party", "roles", &party, "--role", "customs"]),
        Action::SetPartyRoles { party: p(3), roles: RoleSet::of(&[Role::Customs]) }
    );
    assert_eq!(action(&["party", "suspend", &party]), Action::SuspendParty { party: p(3) });
    assert_eq!(action(&["party", "reinstate", &party]), Action::ReinstateParty { party: p(3) });
    assert!(
        Cli::try_parse_from(["ebl", "party", "register", &party, "--name", "X"]).is_err(),
        "a role is required"
    );
}

#[test]
fn a_party_may_be_named_by_its_key_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bank.pem");
    ebl_client::keys::save_pem(&key(4), &path).expect("save");
    let path_text = path.to_str().expect("utf-8 path");
    assert_eq!(action(&["party", "suspend", path_text]), Action::SuspendParty { party: p(4) });
}

#[test]
fn issue_reads_reference_type_and_order_from_the_document() {
    let document = fixture();
    let document = document.to_str().expect("utf-8 path");
    let (shipper, bank, agent) = (p(2).to_string(), p(3).to_string(), p(5).to_string());
    let Action::Issue(issue) = action(&[
        "bl",
        "issue",
        "--document",
        document,
        "--issue-to",
        &shipper,
        "--shipper",
        &shipper,
        "--endorsee",
        &bank,
        "--agent",
        &agent,
    ]) else {
        panic!("not an ISSUE");
    };
    assert_eq!(issue.transport_document_reference, REFERENCE);
    assert_eq!(issue.transport_document_type, TransportDocumentType::Bol);
    assert!(issue.is_to_order);
    assert_eq!(
        (issue.issue_to, issue.shipper, issue.consignee, issue.endorsee),
        (p(2), p(2), None, Some(p(3)))
    );
    assert_eq!(issue.agents, vec![p(5)]);
    let text = std::fs::read_to_string(fixture()).expect("fixture");
    assert_eq!(
        issue.document.checksum(),
        ebl_client::ebl_ledger::dcsa::TransportDocumentJson::parse(&text).expect("doc").checksum()
    );
    // The batch form is not one action, and --document and --batch exclude each other.
    assert!(plan(
        &parse(&["bl", "issue", "--batch", ".", "--issue-to", &shipper, "--shipper", &shipper]).command,
        &ctx()
    )
    .expect("plan")
    .is_none());
    assert!(
        Cli::try_parse_from(["ebl", "bl", "issue", "--issue-to", &shipper, "--shipper", &shipper]).is_err()
    );
    assert!(Cli::try_parse_from([
        "ebl",
        "bl",
        "issue",
        "--document",
        document,
        "--batch",
        ".",
        "--issue-to",
        &shipper,
        "--shipper",
        &shipper
    ])
    .is_err());
}

#[test]
fn title_commands() {
    let (bl, to) = (bl_arg(), p(2).to_string());
    let id = bl_id();
    assert_eq!(action(&["bl", "transfer", &bl, "--to", &to]), Action::Transfer { bl: id, to: p(2) });
    assert_eq!(action(&["bl", "endorse", &bl, "--to", &to]), Action::Endorse { bl: id, endorsee: p(2) });
    assert_eq!(
        action(&["bl", "endorse-to-order", &bl, "--to", &to]),
        Action::EndorseToOrder { bl: id, endorsee: p(2) }
    );
    assert_eq!(action(&["bl", "blank-endorse", &bl]), Action::BlankEndorse { bl: id });
    assert_eq!(action(&["bl", "sign", &bl]), Action::Sign { bl: id });
    assert_eq!(
        action(&["bl", "reject", &bl, "--reason", "wrong cargo"]),
        Action::RejectTransfer { bl: id, reason: "wrong cargo".into() }
    );
    assert_eq!(
        action(&["bl", "surrender", &bl, "--for", "delivery"]),
        Action::SurrenderForDelivery { bl: id }
    );
    assert_eq!(
        action(&["bl", "surrender", &bl, "--for", "amendment", "--reason", "swtp"]),
        Action::SurrenderForAmendment { bl: id, reason: AmendmentReason::Swtp }
    );
    assert_eq!(
        action(&["bl", "surrender", &bl, "--for", "amendment", "--reason", "cod"]),
        Action::SurrenderForAmendment { bl: id, reason: AmendmentReason::Cod }
    );
    assert!(Cli::try_parse_from(["ebl", "bl", "surrender", &bl, "--for", "amendment"]).is_err());
    assert!(plan(&parse(&["bl", "surrender", &bl, "--for", "delivery", "--reason", "swi"]).command, &ctx())
        .is_err());
    assert_eq!(action(&["bl", "accept-surrender", &bl]), Action::AcceptSurrender { bl: id });
    assert_eq!(
        action(&["bl", "reject-surrender", &bl, "--reason", "unpaid"]),
        Action::RejectSurrender { bl: id, reason: "unpaid".into() }
    );
    assert_eq!(
        action(&["bl", "switch-to-paper", &bl, "--paper-bl-number", "P-77"]),
        Action::SwitchToPaper { bl: id, paper_bl_number: "P-77".into() }
    );
    // A surrender co-signed by the lienholder: the co-signer is a global option.
    let cli = parse(&["bl", "surrender", &bl, "--for", "delivery", "--cosigner", &p(3).to_string()]);
    assert_eq!(cli.tx.cosigners, vec![p(3).to_string()]);
}

#[test]
fn reissue_voids_and_replaces() {
    let document = fixture();
    let document = document.to_str().expect("utf-8 path");
    let old_a = BlId::new(&carrier(), "OLD-A");
    let old_b = BlId::new(&carrier(), "OLD-B");
    let shipper = p(2).to_string();
    let Action::Reissue(Reissue { voided, replacements }) = action(&[
        "bl",
        "reissue",
        "--voided",
        &format!("OLD-A@{}", carrier()),
        "--voided",
        &old_b.to_string(),
        "--document",
        document,
        "--issue-to",
        &shipper,
        "--shipper",
        &shipper,
    ]) else {
        panic!("not a REISSUE");
    };
    assert_eq!(voided, vec![old_a, old_b]);
    assert_eq!(replacements.len(), 1);
    assert_eq!(replacements[0].transport_document_reference, REFERENCE);
}

#[test]
fn read_commands_plan_no_action() {
    let bl = bl_arg();
    for args in [
        vec!["bl", "show", &bl],
        vec!["bl", "history", &bl],
        vec!["bl", "document", &bl],
        vec!["bl", "containers", &bl],
        vec!["party", "list"],
        vec!["party", "nonce"],
        vec!["verify", &bl],
        vec!["history", &bl],
        vec!["finance-check", &bl, "--to-order-of-bank", "--port-of-loading", "NLRTM"],
        vec!["watch", "--from-height", "3"],
        vec!["release", "status", &bl, "APZU4812090"],
        vec!["tx", "status", "00"],
        vec!["status"],
        vec!["keygen", "--out", "k.pem"],
    ] {
        assert!(plan(&parse(&args).command, &ctx()).expect("plan").is_none(), "{args:?}");
    }
}

#[test]
fn lien_commands_make_the_bank_a_cosigner() {
    let bl = bl_arg();
    let bank = p(3).to_string();
    let args = [
        "lien",
        "create",
        &bl,
        "--bank",
        &bank,
        "--amount-minor",
        "125000000",
        "--currency",
        "usd",
        "--expires",
        "+30d",
        "--finance-ref",
        "LC-2024-001",
    ];
    let planned = planned_with(&args, &ctx());
    assert_eq!(
        planned.action,
        Action::CreateLien(CreateLien {
            bl: bl_id(),
            bank: p(3),
            amount_minor: 125_000_000,
            currency: "USD".into(),
            expires_at_ms: NOW_MS + 30 * 86_400_000,
            finance_reference: "LC-2024-001".into(),
        })
    );
    assert_eq!(planned.cosigners, vec![p(3)], "DESIGN §5: holder and bank both sign");
    // The bank itself submitting: the holder co-signs through --cosigner, the bank is not doubled.
    let as_bank = PlanCtx { me: Some(p(3)), ..ctx() };
    assert!(planned_with(&args, &as_bank).cosigners.is_empty());
    assert_eq!(action(&["lien", "release", &bl]), Action::ReleaseLien { bl: bl_id() });
}

#[test]
fn release_commands() {
    let bl = bl_arg();
    let c = ContainerRef::new(bl_id(), "APZU4812090");
    let terminal = p(6).to_string();
    assert_eq!(
        action(&[
            "release",
            "order",
            &bl,
            "--container",
            "APZU4812090",
            "--container",
            "MSKU1234565",
            "--terminal",
            &terminal,
            "--valid-until",
            "2023-11-20",
            "--charges-settled",
        ]),
        Action::IssueReleaseOrder(IssueReleaseOrder {
            bl: bl_id(),
            equipment_references: vec!["APZU4812090".into(), "MSKU1234565".into()],
            terminal: p(6),
            valid_from_ms: NOW_MS,
            valid_until_ms: 1_700_438_400_000,
            charges_settled: true,
        })
    );
    // No --container: every container of the BL, as the node listed them.
    let listed = PlanCtx { bl_containers: vec!["NARU3472484".into()], ..ctx() };
    let Action::IssueReleaseOrder(order) = planned_with(
        &["release", "order", &bl, "--terminal", &terminal, "--valid-from", "now", "--valid-until", "+2d"],
        &listed,
    )
    .action
    else {
        panic!("not a release order");
    };
    assert_eq!(order.equipment_references, vec!["NARU3472484".to_string()]);
    assert_eq!((order.valid_until_ms, order.charges_settled), (NOW_MS + 2 * 86_400_000, false));
    assert!(plan(
        &parse(&["release", "order", &bl, "--terminal", &terminal, "--valid-until", "+2d"]).command,
        &ctx()
    )
    .is_err());

    assert_eq!(
        action(&["release", "settle-charges", &bl, "APZU4812090"]),
        Action::SettleCharges { container: c.clone() }
    );
    assert_eq!(
        action(&[
            "release",
            "hold",
            "place",
            &bl,
            "--container",
            "APZU4812090",
            "--authority",
            "customs",
            "--reason",
            "inspection",
            "--declaration",
            "530120241234567890",
        ]),
        Action::PlaceHold(PlaceHold {
            target: HoldTarget::Container(c.clone()),
            authority: HoldAuthority::Customs,
            reason: "inspection".into(),
            declaration_number: Some("530120241234567890".into()),
        })
    );
    assert_eq!(
        action(&["release", "hold", "place", &bl, "--authority", "terminal", "--reason", "unpaid storage"]),
        Action::PlaceHold(PlaceHold {
            target: HoldTarget::Bl { bl: bl_id() },
            authority: HoldAuthority::Terminal,
            reason: "unpaid storage".into(),
            declaration_number: None,
        })
    );
    assert_eq!(
        action(&["release", "hold", "lift", &bl, "--container", "APZU4812090", "--hold-id", "2"]),
        Action::LiftHold { target: HoldTarget::Container(c.clone()), hold_id: 2 }
    );
    assert_eq!(
        action(&["release", "hold", "lift", &bl, "--hold-id", "0"]),
        Action::LiftHold { target: HoldTarget::Bl { bl: bl_id() }, hold_id: 0 }
    );
    assert_eq!(
        action(&["release", "delegate", &bl, "APZU4812090", "--to", &p(7).to_string()]),
        Action::DelegateRelease { container: c.clone(), to: p(7) }
    );
    assert_eq!(
        action(&["release", "revoke", &bl, "APZU4812090", "--reason", "fraud"]),
        Action::RevokeRelease { container: c.clone(), reason: "fraud".into() }
    );
    assert_eq!(
        action(&[
            "release",
            "pickup",
            "assign",
            &bl,
            "APZU4812090",
            "--truck",
            "BX-12-AB",
            "--driver-id",
            "D-123",
            "--slot-start",
            "2023-11-15T08:00Z",
            "--slot-end",
            "2023-11-15T10:30:00Z",
            "--pickup-code",
            "4711",
        ]),
        Action::AssignPickup(AssignPickup {
            container: c.clone(),
            truck_plate: "BX-12-AB".into(),
            driver_id_hash: Hash::digest(b"D-123"),
            slot_start_ms: 1_700_035_200_000,
            slot_end_ms: 1_700_044_200_000,
            pickup_code_hash: Some(Hash::digest(b"4711")),
        })
    );
    assert_eq!(
        action(&[
            "release",
            "gate-out",
            &bl,
            "APZU4812090",
            "--truck",
            "BX-12-AB",
            "--driver-id",
            "D-123",
            "--pickup-code",
            "4711",
            "--seal",
            "S1",
            "--seal",
            "S2",
            "--condition",
            "sound",
        ]),
        Action::GateOut(GateOut {
            container: c.clone(),
            truck_plate: "BX-12-AB".into(),
            driver_id_hash: Hash::digest(b"D-123"),
            pickup_code: Some("4711".into()),
            seal_numbers: vec!["S1".into(), "S2".into()],
            condition: "sound".into(),
        })
    );
    assert_eq!(
        action(&["release", "empty-return", &bl, "APZU4812090", "--damage-notes", "dent left door"]),
        Action::EmptyReturn(EmptyReturn { container: c, damage_notes: "dent left door".into() })
    );
}

#[test]
fn any_action_can_be_signed_from_json() {
    let transfer = Action::Transfer { bl: bl_id(), to: p(2) };
    let text = serde_json::to_string(&transfer).expect("json");
    assert!(text.contains("\"type\":\"TRANSFER\""), "{text}");
    assert_eq!(plan::action_of_json(&text).expect("action"), transfer);
    assert!(plan::action_of_json(r#"{"type":"FLY"}"#).is_err());
    assert!(matches!(parse(&["tx", "sign", "--action", "a.json"]).command, Command::Tx(_)));
}

#[test]
fn times_parse_and_print() {
    assert_eq!(time_ms("1700000000000", NOW_MS).expect("ms"), 1_700_000_000_000);
    assert_eq!(time_ms("now", NOW_MS).expect("now"), NOW_MS);
    assert_eq!(time_ms("+90s", NOW_MS).expect("s"), NOW_MS + 90_000);
    assert_eq!(time_ms("+15m", NOW_MS).expect("m"), NOW_MS + 900_000);
    assert_eq!(time_ms("+2h", NOW_MS).expect("h"), NOW_MS + 7_200_000);
    assert_eq!(time_ms("1970-01-01", NOW_MS).expect("epoch"), 0);
    assert_eq!(time_ms("2000-02-29T12:00Z", NOW_MS).expect("leap day"), 951_825_600_000);
    assert_eq!(time_ms("2024-12-31T23:59:59", NOW_MS).expect("no Z"), 1_735_689_599_000);
    for bad in
        ["2023-02-29", "2023-13-01", "2023-1-1", "+5y", "+h", "2023-01-01T25:00Z", "soon", "1969-12-31"]
    {
        assert!(time_ms(bad, NOW_MS).is_err(), "{bad}");
    }
    assert_eq!(format_ms(0), "1970-01-01T00:00:00Z");
    assert_eq!(format_ms(951_825_600_000), "2000-02-29T12:00:00Z");
    for ms in [0, 86_399_000, 951_825_600_000, 1_735_689_599_000, 4_102_444_800_000] {
        assert_eq!(time_ms(&format_ms(ms), 0).expect("round trip"), ms);
    }
}
