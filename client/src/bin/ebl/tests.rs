//! Every action subcommand, parsed as a user types it, maps to exactly its `Action` variant.

use clap::{CommandFactory, Parser};
use ebl_client::ebl_ledger::action::{
    AmendmentReason, AssignPickup, CreateLien, EmptyReturn, ExternalCodes, GateOut, HoldAuthority,
    HoldTarget, IssueReleaseOrder, PlaceHold, RegisterParty, Reissue,
};
use ebl_client::ebl_ledger::governance::{ValidatorChange, ValidatorInfo};
use ebl_client::ebl_ledger::records::TransportDocumentType;
use ebl_client::ebl_ledger::{Action, BlId, ContainerRef, Hash, Keypair, PartyId, Role, RoleSet};

use crate::cli::{BlCmd, Cli, Command, GovernanceCmd, PartyCmd, ReleaseCmd, TxCmd};
use crate::plan::{self, format_ms, time_ms, Issuing, PlanCtx, Planned};

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

/// The action a command submits as the dispatch of `run.rs` plans it; `None` for a command
/// that reads, works offline, or sends a batch or a file.
fn plan(command: &Command, ctx: &PlanCtx) -> anyhow::Result<Option<Planned>> {
    Ok(Some(match command {
        Command::Party(PartyCmd::Act(action)) => plan::party_action(action)?,
        Command::Bl(BlCmd::Issue(args)) => match plan::issue(args)? {
            Issuing::One(planned) => planned,
            Issuing::Batch { .. } => return Ok(None),
        },
        Command::Bl(BlCmd::Act(action)) => plan::bl_action(action)?,
        Command::Lien(action) => plan::lien_action(action, ctx)?,
        Command::Release(ReleaseCmd::Act(action)) => plan::release_action(action, ctx)?,
        Command::Governance(GovernanceCmd::Act(action)) => plan::governance_action(action)?,
        Command::Governance(GovernanceCmd::Show) => return Ok(None),
        Command::Observer(action) => plan::observer_action(action)?,
        Command::Keygen { .. }
        | Command::Party(PartyCmd::Show { .. } | PartyCmd::List | PartyCmd::Nonce { .. })
        | Command::Bl(
            BlCmd::Show { .. } | BlCmd::History { .. } | BlCmd::Document { .. } | BlCmd::Containers { .. },
        )
        | Command::Release(ReleaseCmd::Status { .. })
        | Command::Verify { .. }
        | Command::FinanceCheck(_)
        | Command::History { .. }
        | Command::Watch { .. }
        | Command::Tx(
            TxCmd::Status { .. } | TxCmd::Sign { .. } | TxCmd::Cosign { .. } | TxCmd::Submit { .. },
        )
        | Command::Status => return Ok(None),
    }))
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

/// Every JSON `type` of `Action`, in declaration order, as serde lists them when it refuses an
/// unknown one: the test below then covers a new variant without being told of it.
fn action_types() -> Vec<String> {
    let error =
        serde_json::from_str::<Action>(r#"{"type":"?"}"#).expect_err("no action is of type ?").to_string();
    let Some((_, expected)) = error.split_once("expected one of ") else {
        panic!("serde's error no longer lists the variants: {error}");
    };
    let types: Vec<String> = expected.split('`').skip(1).step_by(2).map(str::to_owned).collect();
    assert!(types.len() > 20 && types.iter().any(|t| t == "EMPTY_RETURN"), "{error}");
    types
}

const DRIVER: &str = "D-123";
const PICKUP_CODE: &str = "4711";

fn sample_issue() -> ebl_client::ebl_ledger::action::IssueBl {
    let parties = ebl_client::IssueParties {
        issue_to: p(2),
        shipper: p(2),
        consignee: None,
        endorsee: Some(p(3)),
        agents: vec![p(5)],
    };
    plan::issue_of_file(&fixture(), &parties).expect("the fixture issues")
}

/// One action of each JSON `type`.
fn sample(json_type: &str) -> Action {
    let (bl, c) = (bl_id(), ContainerRef::new(bl_id(), "APZU4812090"));
    match json_type {
        "REGISTER_PARTY" => Action::RegisterParty(RegisterParty {
            party: p(3),
            legal_name: "ACME Bank".into(),
            roles: RoleSet::of(&[Role::Bank, Role::Trader]),
            codes: ExternalCodes { dcsa_party_code: Some("ACME".into()), lei: None, uscc: Some("U".into()) },
        }),
        "SET_PARTY_ROLES" => Action::SetPartyRoles { party: p(3), roles: RoleSet::of(&[Role::Customs]) },
        "SUSPEND_PARTY" => Action::SuspendParty { party: p(3) },
        "REINSTATE_PARTY" => Action::ReinstateParty { party: p(3) },
        "ROTATE_KEY" => Action::RotateKey { new_key: p(9) },
        "REPLACE_KEY" => Action::ReplaceKey { party: p(3), new_key: p(9) },
        "ISSUE" => Action::Issue(sample_issue()),
        "TRANSFER" => Action::Transfer { bl, to: p(2) },
        "ENDORSE" => Action::Endorse { bl, endorsee: p(2) },
        "ENDORSE_TO_ORDER" => Action::EndorseToOrder { bl, endorsee: p(2) },
        "BLANK_ENDORSE" => Action::BlankEndorse { bl },
        "SIGN" => Action::Sign { bl },
        "REJECT_TRANSFER" => Action::RejectTransfer { bl, reason: "wrong cargo".into() },
        "SURRENDER_FOR_DELIVERY" => Action::SurrenderForDelivery { bl },
        "SURRENDER_FOR_AMENDMENT" => Action::SurrenderForAmendment { bl, reason: AmendmentReason::Cod },
        "ACCEPT_SURRENDER" => Action::AcceptSurrender { bl },
        "REJECT_SURRENDER" => Action::RejectSurrender { bl, reason: "unpaid".into() },
        "REISSUE" => Action::Reissue(Reissue {
            voided: vec![BlId::new(&carrier(), "OLD-A"), BlId::new(&carrier(), "OLD-B")],
            replacements: vec![sample_issue()],
        }),
        "SWITCH_TO_PAPER" => Action::SwitchToPaper { bl, paper_bl_number: "P-77".into() },
        "CREATE_LIEN" => Action::CreateLien(CreateLien {
            bl,
            bank: p(3),
            amount_minor: 125_000_000,
            currency: "USD".into(),
            expires_at_ms: NOW_MS + 1,
            finance_reference: "LC-1".into(),
        }),
        "RELEASE_LIEN" => Action::ReleaseLien { bl },
        "ISSUE_RELEASE_ORDER" => Action::IssueReleaseOrder(IssueReleaseOrder {
            bl,
            equipment_references: vec!["APZU4812090".into(), "MSKU1234565".into()],
            terminal: p(6),
            valid_from_ms: NOW_MS + 1,
            valid_until_ms: NOW_MS + 2,
            charges_settled: true,
        }),
        "SETTLE_CHARGES" => Action::SettleCharges { container: c },
        "PLACE_HOLD" => Action::PlaceHold(PlaceHold {
            target: HoldTarget::Container(c),
            authority: HoldAuthority::Customs,
            reason: "inspection".into(),
            declaration_number: Some("5301".into()),
        }),
        "LIFT_HOLD" => Action::LiftHold { target: HoldTarget::Bl { bl }, hold_id: 2 },
        "DELEGATE_RELEASE" => Action::DelegateRelease { container: c, to: p(7) },
        "REVOKE_RELEASE" => Action::RevokeRelease { container: c, reason: "fraud".into() },
        "ASSIGN_PICKUP" => Action::AssignPickup(AssignPickup {
            container: c,
            truck_plate: "BX-12-AB".into(),
            driver_id_hash: ebl_client::secret_hash(DRIVER),
            slot_start_ms: NOW_MS + 1,
            slot_end_ms: NOW_MS + 2,
            pickup_code_hash: Some(ebl_client::secret_hash(PICKUP_CODE)),
        }),
        "GATE_OUT" => Action::GateOut(GateOut {
            container: c,
            truck_plate: "BX-12-AB".into(),
            driver_id_hash: ebl_client::secret_hash(DRIVER),
            pickup_code: Some(PICKUP_CODE.into()),
            seal_numbers: vec!["S1".into(), "S2".into()],
            condition: "sound".into(),
        }),
        "EMPTY_RETURN" => Action::EmptyReturn(EmptyReturn { container: c, damage_notes: "dent".into() }),
        "PROPOSE_VALIDATOR_CHANGE" => Action::ProposeValidatorChange {
            change: ValidatorChange::Add(ValidatorInfo {
                name: "hamburg".into(),
                operator: p(4),
                consensus_key: p(6),
                node_key: p(7),
                voting_power: 3,
                p2p_address: "/ip4/10.0.0.5/tcp/27000".into(),
            }),
        },
        "APPROVE_VALIDATOR_CHANGE" => Action::ApproveValidatorChange { proposal: 17 },
        "ALLOW_OBSERVER" => Action::AllowObserver(ebl_client::ebl_ledger::governance::Observer {
            name: "bank-b node".into(),
            node_key: p(8),
        }),
        "REMOVE_OBSERVER" => Action::RemoveObserver { node_key: p(8) },
        other => panic!("no sample of a {other} action: add one here, and its arguments to `arguments`"),
    }
}

/// The lower-case serde name of a unit enum value: the value clap takes (`bank`, `cod`).
fn value_name<T: serde::Serialize>(value: &T) -> String {
    crate::output::name_of(value).to_lowercase()
}

fn flags<'a>(flag: &str, values: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    values.into_iter().flat_map(|v| [flag.to_owned(), v.clone()]).collect()
}

fn role_args(roles: &RoleSet) -> Vec<String> {
    roles.iter().flat_map(|r| ["--role".to_owned(), value_name(&r)]).collect()
}

fn issue_party_args(a: &ebl_client::ebl_ledger::action::IssueBl) -> Vec<String> {
    let texts = |parties: &[PartyId]| -> Vec<String> { parties.iter().map(PartyId::to_string).collect() };
    let mut args =
        vec!["--issue-to".into(), a.issue_to.to_string(), "--shipper".into(), a.shipper.to_string()];
    args.extend(flags("--consignee", &texts(a.consignee.as_slice())));
    args.extend(flags("--endorsee", &texts(a.endorsee.as_slice())));
    args.extend(flags("--agent", &texts(&a.agents)));
    args
}

fn container_args(c: &ContainerRef) -> Vec<String> {
    vec![c.bl.to_string(), c.equipment_reference.clone()]
}

fn hold_target_args(target: &HoldTarget) -> Vec<String> {
    match target {
        HoldTarget::Container(c) => {
            vec![c.bl.to_string(), "--container".into(), c.equipment_reference.clone()]
        }
        HoldTarget::Bl { bl } => vec![bl.to_string()],
    }
}

/// The arguments that follow the words of `action.info().cli` for its command to submit
/// exactly `action` (the documents are the fixture's; a secret is the sample's).
fn arguments(action: &Action) -> Vec<String> {
    let s = |text: &str| text.to_owned();
    let document = || s(fixture().to_str().expect("utf-8 path"));
    match action {
        Action::RegisterParty(a) => {
            let mut args = vec![a.party.to_string(), s("--name"), a.legal_name.clone()];
            args.extend(role_args(&a.roles));
            args.extend(flags("--dcsa-code", &a.codes.dcsa_party_code));
            args.extend(flags("--lei", &a.codes.lei));
            args.extend(flags("--uscc", &a.codes.uscc));
            args
        }
        Action::SetPartyRoles { party, roles } => [vec![party.to_string()], role_args(roles)].concat(),
        Action::SuspendParty { party } | Action::ReinstateParty { party } => vec![party.to_string()],
        Action::RotateKey { new_key } => vec![new_key.to_string()],
        Action::ReplaceKey { party, new_key } => vec![party.to_string(), new_key.to_string()],
        Action::Issue(a) => [vec![s("--document"), document()], issue_party_args(a)].concat(),
        Action::Transfer { bl, to: party }
        | Action::Endorse { bl, endorsee: party }
        | Action::EndorseToOrder { bl, endorsee: party } => {
            vec![bl.to_string(), s("--to"), party.to_string()]
        }
        Action::BlankEndorse { bl }
        | Action::Sign { bl }
        | Action::SurrenderForDelivery { bl }
        | Action::AcceptSurrender { bl }
        | Action::ReleaseLien { bl } => vec![bl.to_string()],
        Action::RejectTransfer { bl, reason } | Action::RejectSurrender { bl, reason } => {
            vec![bl.to_string(), s("--reason"), reason.clone()]
        }
        Action::SurrenderForAmendment { bl, reason } => {
            vec![bl.to_string(), s("--reason"), value_name(reason)]
        }
        Action::Reissue(r) => {
            let voided: Vec<String> = r.voided.iter().map(BlId::to_string).collect();
            let documents: Vec<String> = r.replacements.iter().map(|_| document()).collect();
            let mut args = [flags("--voided", &voided), flags("--document", &documents)].concat();
            args.extend(r.replacements.first().map(issue_party_args).unwrap_or_default());
            args
        }
        Action::SwitchToPaper { bl, paper_bl_number } => {
            vec![bl.to_string(), s("--paper-bl-number"), paper_bl_number.clone()]
        }
        Action::CreateLien(a) => vec![
            a.bl.to_string(),
            s("--bank"),
            a.bank.to_string(),
            s("--amount-minor"),
            a.amount_minor.to_string(),
            s("--currency"),
            a.currency.clone(),
            s("--expires"),
            a.expires_at_ms.to_string(),
            s("--finance-ref"),
            a.finance_reference.clone(),
        ],
        Action::IssueReleaseOrder(a) => {
            let mut args = vec![a.bl.to_string()];
            args.extend(flags("--container", &a.equipment_references));
            args.extend([s("--terminal"), a.terminal.to_string()]);
            args.extend([s("--valid-from"), a.valid_from_ms.to_string()]);
            args.extend([s("--valid-until"), a.valid_until_ms.to_string()]);
            args.extend(a.charges_settled.then(|| s("--charges-settled")));
            args
        }
        Action::SettleCharges { container } => container_args(container),
        Action::PlaceHold(a) => {
            let mut args = hold_target_args(&a.target);
            args.extend([s("--authority"), value_name(&a.authority), s("--reason"), a.reason.clone()]);
            args.extend(flags("--declaration", &a.declaration_number));
            args
        }
        Action::LiftHold { target, hold_id } => {
            [hold_target_args(target), vec![s("--hold-id"), hold_id.to_string()]].concat()
        }
        Action::DelegateRelease { container, to } => {
            [container_args(container), vec![s("--to"), to.to_string()]].concat()
        }
        Action::RevokeRelease { container, reason } => {
            [container_args(container), vec![s("--reason"), reason.clone()]].concat()
        }
        Action::AssignPickup(a) => {
            let mut args = container_args(&a.container);
            args.extend([s("--truck"), a.truck_plate.clone(), s("--driver-id"), s(DRIVER)]);
            args.extend([
                s("--slot-start"),
                a.slot_start_ms.to_string(),
                s("--slot-end"),
                a.slot_end_ms.to_string(),
            ]);
            args.extend(
                a.pickup_code_hash.map(|_| [s("--pickup-code"), s(PICKUP_CODE)]).into_iter().flatten(),
            );
            args
        }
        Action::GateOut(a) => {
            let mut args = container_args(&a.container);
            args.extend([s("--truck"), a.truck_plate.clone(), s("--driver-id"), s(DRIVER)]);
            args.extend(flags("--pickup-code", &a.pickup_code));
            args.extend(flags("--seal", &a.seal_numbers));
            args.extend([s("--condition"), a.condition.clone()]);
            args
        }
        Action::EmptyReturn(a) => {
            [container_args(&a.container), vec![s("--damage-notes"), a.damage_notes.clone()]].concat()
        }
        Action::ProposeValidatorChange { change } => match change {
            ValidatorChange::Add(v) => vec![
                s("add"),
                s("--name"),
                v.name.clone(),
                s("--operator"),
                v.operator.to_string(),
                s("--consensus-key"),
                v.consensus_key.to_string(),
                s("--node-key"),
                v.node_key.to_string(),
                s("--power"),
                v.voting_power.to_string(),
                s("--p2p-address"),
                v.p2p_address.clone(),
            ],
            ValidatorChange::SetPower { consensus_key, voting_power } => vec![
                s("set-power"),
                s("--consensus-key"),
                consensus_key.to_string(),
                s("--power"),
                voting_power.to_string(),
            ],
            ValidatorChange::Remove { consensus_key } => {
                vec![s("remove"), s("--consensus-key"), consensus_key.to_string()]
            }
        },
        Action::ApproveValidatorChange { proposal } => vec![proposal.to_string()],
        Action::AllowObserver(o) => vec![o.node_key.to_string(), s("--name"), o.name.clone()],
        Action::RemoveObserver { node_key } => vec![node_key.to_string()],
    }
}

/// The action table and the CLI cannot drift: for every `Action` variant, the words of its
/// `info().cli` followed by its arguments parse (clap) into the command that submits exactly it.
#[test]
fn every_action_is_submitted_by_the_command_its_table_row_names() {
    for json_type in action_types() {
        let action = sample(&json_type);
        let info = action.info();
        assert_eq!(info.json_type, json_type);
        let mut args: Vec<String> = info.cli.split_whitespace().map(str::to_owned).collect();
        args.extend(arguments(&action));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_eq!(planned_with(&args, &ctx()).action, action, "`ebl {}`", args.join(" "));
    }
}
