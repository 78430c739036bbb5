//! The demo: the whole life of a bill of lading and its container on a running network, told
//! step by step — who did what, on which node, the transaction id and height, and after each
//! title step the possessor as a proof bundle checked locally against the genesis validators
//! shows it.
//!
//! The DCSA `regularSTDExample` is issued to order of the shipper, endorsed to a bank that takes
//! a lien, financed (a second bank's check fails: double financing), freed, endorsed to the
//! consignee, surrendered and accepted; the container is released, held and freed by customs,
//! delegated to a haulier, picked up, gated out and returned empty.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ebl_client::ebl_ledger::action::{
    AssignPickup, CreateLien, EmptyReturn, ExternalCodes, GateOut, HoldAuthority, HoldTarget,
    IssueReleaseOrder, PlaceHold, RegisterParty,
};
use ebl_client::{
    explain_refusal, issue_from_document, secret_hash, Client, FinanceCheckRequest, IssueParties, Trust,
};
use ebl_ledger::dcsa::DocumentFacts;
use ebl_ledger::finance::{LcTerms, LienStatus};
use ebl_ledger::{Action, BlId, ContainerRef, Keypair, PartyId, Role, RoleSet, TxId};

use crate::net::{copy, Testnet};

/// The DCSA example the demo issues.
pub const DOCUMENT: &str = include_str!("../../ledger/tests/fixtures/dcsa/regularSTDExample.json");
/// How long one step may take to commit.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// One step of the story as it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub actor: String,
    pub action_code: String,
    pub tx_id: Option<TxId>,
    pub height: u64,
    /// The title or container status after the step, in words.
    pub outcome: String,
}

/// What the demo did.
#[derive(Debug, Clone)]
pub struct Demo {
    pub bl: BlId,
    pub steps: Vec<Step>,
    /// The BL's history as the ledger keeps it (action codes in order).
    pub history: Vec<String>,
}

/// A party of the story: its key and the node it talks to.
#[derive(Debug)]
struct Actor {
    name: &'static str,
    key: Keypair,
    node: usize,
}

struct Story<'a> {
    net: &'a Testnet,
    trust: Trust,
    actors: BTreeMap<&'static str, Actor>,
    say: &'a mut dyn FnMut(String),
    steps: Vec<Step>,
}

/// The non-validator parties: saved under `<dir>/parties/<name>.pem` so a user can act as them
/// with the `ebl` CLI afterwards.
/// The JSON name of a lien status (`HELD_BY_OTHER_BANK`), as the API sends it.
fn wire_name(status: &LienStatus) -> String {
    serde_json::to_value(status).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

fn party_key(dir: &Path, name: &str) -> Result<Keypair> {
    let parties = dir.join("parties");
    std::fs::create_dir_all(&parties)?;
    let path = parties.join(format!("{name}.pem"));
    if path.exists() {
        return Ok(ebl_client::keys::load(&path)?);
    }
    let key = ebl_client::keys::generate()?;
    ebl_client::keys::save_pem(&key, &path)?;
    Ok(key)
}

impl Story<'_> {
    fn actor(&self, name: &str) -> Result<&Actor> {
        self.actors.get(name).with_context(|| format!("no actor {name}"))
    }

    fn party(&self, name: &str) -> Result<PartyId> {
        Ok(self.actor(name)?.key.party())
    }

    fn name_of(&self, party: &PartyId) -> String {
        self.actors
            .values()
            .find(|a| a.key.party() == *party)
            .map(|a| a.name.to_string())
            .unwrap_or_else(|| party.short())
    }

    fn client(&self, name: &str) -> Result<Client> {
        let actor = self.actor(name)?;
        self.net.client(actor.node, Some(copy(&actor.key)))
    }

    /// `name` submits `action` on its node and waits for the commit; then every node reaches
    /// that height, so the next step reads what this one wrote wherever it asks.
    async fn act(&mut self, name: &str, action: Action, what: &str) -> Result<u64> {
        let code = action.name().to_string();
        let client = self.client(name)?;
        let tx = client.sign(client.builder(action)?, &[]).await?;
        let status = client.submit_and_wait(&tx, STEP_TIMEOUT).await?;
        let (Some(height), Some(outcome)) = (status.height, status.outcome) else {
            bail!("{name} {code}: not committed within {STEP_TIMEOUT:?} ({})", status.status);
        };
        if let Some(code) = outcome.refusal() {
            let why = explain_refusal(code.code()).unwrap_or("");
            bail!("{name} {code} was refused: {outcome} {why}");
        }
        let nodes: Vec<usize> = (0..self.net.len()).collect();
        self.net.wait_for_height(&nodes, height, STEP_TIMEOUT).await?;
        let node = &self.net.node(self.actor(name)?.node).name;
        (self.say)(format!(
            "  h={height:<4} {name:<9} {code:<23} tx {}…  on node {node}: {what}",
            &status.tx_id.to_string()[..10]
        ));
        self.steps.push(Step {
            actor: name.into(),
            action_code: code,
            tx_id: Some(status.tx_id),
            height,
            outcome: what.into(),
        });
        Ok(height)
    }

    /// Customs, on its own node, fetches the BL's proof bundle and checks it locally: the
    /// record under the state root, the root in a header signed by more than two thirds of the
    /// validators of its height (the genesis set, or a set learned from it link by link). Returns (possessor name, status).
    async fn verify(&mut self, bl: &BlId) -> Result<(String, String)> {
        let title = self.client("customs")?.verify_title(&mut self.trust, bl).await?;
        let possessor = self.name_of(&title.record.possessor);
        let status = serde_json::to_value(title.record.status)?.as_str().unwrap_or_default().to_string();
        (self.say)(format!(
            "         verified by customs: possessor {possessor}, {status} (block {} signed by {} of {} validators)",
            title.height,
            title.signers.len(),
            self.trust.epoch_at(title.height).validators.len()
        ));
        Ok((possessor, status))
    }

    async fn expect_title(&mut self, bl: &BlId, possessor: &str, status: &str) -> Result<()> {
        let (p, s) = self.verify(bl).await?;
        if p != possessor || s != status {
            bail!("expected {possessor} holding the BL in {status}; the proof shows {p} in {s}");
        }
        Ok(())
    }

    async fn container_status(&mut self, reader: &str, bl: &BlId, equipment: &str) -> Result<String> {
        let status = self.client(reader)?.container(bl, equipment).await?.status.to_string();
        (self.say)(format!("         container {equipment} as {reader} sees it: {status}"));
        Ok(status)
    }

    async fn expect_container(&mut self, reader: &str, bl: &BlId, equipment: &str, want: &str) -> Result<()> {
        let got = self.container_status(reader, bl, equipment).await?;
        if got != want {
            bail!("container {equipment}: expected {want}, the node says {got}");
        }
        Ok(())
    }

    async fn chain_time_ms(&self) -> Result<u64> {
        Ok(self.client("carrier")?.status().await?.time_ms)
    }
}

/// Runs the demo on `net` (every validator running), telling each step to `say`.
pub async fn run(net: &Testnet, say: &mut dyn FnMut(String)) -> Result<Demo> {
    let trust = Trust::from_genesis_file(&net.genesis_file())?;
    let n = net.len();
    let mut actors = BTreeMap::new();
    // Validators act on their own node; the other parties use the nodes in turn.
    let mut others = 0usize;
    let mut next_node = || {
        others += 1;
        others % n
    };
    let mut to_register = Vec::new();
    for (i, (name, role)) in [
        ("carrier", Role::Carrier),
        ("bank", Role::Bank),
        ("customs", Role::Customs),
        ("terminal", Role::Terminal),
    ]
    .into_iter()
    .enumerate()
    {
        if i < n {
            actors.insert(name, Actor { name, key: net.key(i)?, node: i });
        } else {
            let key = party_key(net.dir(), name)?;
            to_register.push((name, role, key.party()));
            actors.insert(name, Actor { name, key, node: next_node() });
        }
    }
    for (name, role) in [
        ("shipper", Role::Trader),
        ("consignee", Role::Trader),
        ("haulier", Role::Haulier),
        ("bank2", Role::Bank),
    ] {
        let key = party_key(net.dir(), name)?;
        to_register.push((name, role, key.party()));
        actors.insert(name, Actor { name, key, node: next_node() });
    }
    let mut story = Story { net, trust, actors, say, steps: Vec::new() };

    (story.say)("The registrar (the carrier's node holds the REGISTRAR role) onboards the parties:".into());
    for (name, role, party) in to_register {
        let legal_name = match name {
            "shipper" => "Shanghai Export Trading Co., Ltd.",
            "consignee" => "Rotterdam Import B.V.",
            "haulier" => "Yangshan Container Haulage Co.",
            "bank2" => "Second Bank (tries to finance the same cargo)",
            other => other,
        };
        let action = Action::RegisterParty(RegisterParty {
            party,
            legal_name: legal_name.into(),
            roles: RoleSet::of(&[role]),
            codes: ExternalCodes::default(),
        });
        story.act("carrier", action, &format!("{name} = {} ({legal_name})", party.short())).await?;
    }

    let value: serde_json::Value = serde_json::from_str(DOCUMENT)?;
    let facts = DocumentFacts::extract(&value).map_err(|e| anyhow::anyhow!("{e}"))?;
    let equipment = facts.equipment_references.first().context("the example has no equipment")?.clone();
    let shipper = story.party("shipper")?;
    let issue = issue_from_document(
        DOCUMENT,
        &IssueParties {
            issue_to: shipper,
            shipper,
            consignee: None,
            endorsee: Some(shipper),
            agents: Vec::new(),
        },
    )?;
    let bl = BlId::new(&story.party("carrier")?, &issue.transport_document_reference);
    let reference = issue.transport_document_reference.clone();
    // The shipper's copy, to check in the web portal's Verify page.
    let documents = story.net.dir().join("documents");
    std::fs::create_dir_all(&documents)?;
    let copy = documents.join(format!("{reference}.json"));
    std::fs::write(&copy, DOCUMENT)?;

    (story.say)(format!(
        "\nTitle: the carrier issues DCSA transport document {reference} (container {equipment}; the \
         shipper's copy: {}):",
        copy.display()
    ));
    story.act("carrier", Action::Issue(issue), "issued to order of the shipper").await?;
    story.expect_title(&bl, "shipper", "ISSUED").await?;
    let bank = story.party("bank")?;
    story
        .act("shipper", Action::EndorseToOrder { bl, endorsee: bank }, "endorsed to order of the bank")
        .await?;
    story.act("shipper", Action::Transfer { bl, to: bank }, "handed to the bank").await?;
    story.expect_title(&bl, "bank", "ISSUED").await?;

    (story.say)("\nTrade finance: the bank pledges the cargo and checks before it pays:".into());
    let now = story.chain_time_ms().await?;
    let lien = CreateLien {
        bl,
        bank,
        amount_minor: 12_500_000,
        currency: "USD".into(),
        expires_at_ms: now + 7 * 24 * 3_600_000,
        finance_reference: "LC-SH-2024-0001".into(),
    };
    // Only the party entitled to the goods pledges them (ADR 0004), with the bank co-signing: here
    // the bank is both — endorsee in possession, and lienholder — so its one signature suffices.
    story
        .act(
            "bank",
            Action::CreateLien(lien),
            "lien of USD 125,000.00 under LC-SH-2024-0001, signed by the bank alone: it holds title \
             (endorsee in possession) and is the lienholder",
        )
        .await?;
    let terms = LcTerms { to_order_of_bank: Some(true), ..LcTerms::default() };
    let check = story
        .client("bank")?
        .finance_check(&bl, &FinanceCheckRequest { document: None, lc_terms: Some(terms.clone()) })
        .await?;
    (story.say)(format!(
        "         finance check by the bank: passed={}, lien {}",
        check.passed,
        wire_name(&check.lien_status)
    ));
    if !check.passed {
        bail!("the bank's finance check failed: {:?}", check.failures);
    }
    let second = story
        .client("bank2")?
        .finance_check(&bl, &FinanceCheckRequest { document: Some(value.clone()), lc_terms: Some(terms) })
        .await?;
    (story.say)(format!(
        "         finance check by a second bank presenting the same document: passed={}, lien {} — double financing refused",
        second.passed, wire_name(&second.lien_status)
    ));
    if second.passed || second.lien_status != LienStatus::HeldByOtherBank {
        bail!("the second bank's finance check should fail with HELD_BY_OTHER_BANK: {second:?}");
    }
    story.steps.push(Step {
        actor: "bank2".into(),
        action_code: "FINANCE_CHECK".into(),
        tx_id: None,
        height: second.height,
        outcome: wire_name(&second.lien_status),
    });
    story.act("bank", Action::ReleaseLien { bl }, "lien released: the LC is paid").await?;
    let consignee = story.party("consignee")?;
    story.act("bank", Action::Endorse { bl, endorsee: consignee }, "endorsed to the consignee").await?;
    story.act("bank", Action::Transfer { bl, to: consignee }, "handed to the consignee").await?;
    story.expect_title(&bl, "consignee", "ISSUED").await?;

    (story.say)("\nDelivery: the consignee surrenders the eBL to the carrier:".into());
    story.act("consignee", Action::SurrenderForDelivery { bl }, "surrendered for delivery").await?;
    story.expect_title(&bl, "carrier", "PENDING_SURRENDER_FOR_DELIVERY").await?;
    story.act("carrier", Action::AcceptSurrender { bl }, "surrender accepted (SACC)").await?;
    story.expect_title(&bl, "carrier", "SURRENDERED_FOR_DELIVERY").await?;

    (story.say)("\nContainer release: paperless, from release order to empty return:".into());
    let now = story.chain_time_ms().await?;
    let terminal = story.party("terminal")?;
    let order = IssueReleaseOrder {
        bl,
        equipment_references: facts.equipment_references.clone(),
        terminal,
        valid_from_ms: now,
        valid_until_ms: now + 7 * 24 * 3_600_000,
        charges_settled: true,
    };
    story.act("carrier", Action::IssueReleaseOrder(order), "release order to the terminal").await?;
    story.expect_container("consignee", &bl, &equipment, "AVAILABLE").await?;
    let container = ContainerRef { bl, equipment_reference: equipment.clone() };
    let hold = PlaceHold {
        target: HoldTarget::Container(container.clone()),
        authority: HoldAuthority::Customs,
        reason: "inspection".into(),
        declaration_number: Some("222020240000123456".into()),
    };
    story.act("customs", Action::PlaceHold(hold), "customs hold for inspection").await?;
    story.expect_container("terminal", &bl, &equipment, "HELD").await?;
    let lift = Action::LiftHold { target: HoldTarget::Container(container.clone()), hold_id: 0 };
    story.act("customs", lift, "inspection passed, hold lifted").await?;
    story.expect_container("terminal", &bl, &equipment, "AVAILABLE").await?;
    let haulier = story.party("haulier")?;
    let delegate = Action::DelegateRelease { container: container.clone(), to: haulier };
    story.act("consignee", delegate, "release right delegated to the haulier").await?;
    let now = story.chain_time_ms().await?;
    let driver = secret_hash("DRIVER-310101");
    let pickup = AssignPickup {
        container: container.clone(),
        truck_plate: "沪A12345".into(),
        driver_id_hash: driver,
        slot_start_ms: now,
        slot_end_ms: now + 4 * 3_600_000,
        pickup_code_hash: None,
    };
    story.act("haulier", Action::AssignPickup(pickup), "truck 沪A12345 booked for a 4-hour slot").await?;
    story.expect_container("haulier", &bl, &equipment, "PICKUP_ASSIGNED").await?;
    let gate = GateOut {
        container: container.clone(),
        truck_plate: "沪A12345".into(),
        driver_id_hash: driver,
        pickup_code: None,
        seal_numbers: vec!["SEAL-7788".into()],
        condition: "SOUND".into(),
    };
    story.act("terminal", Action::GateOut(gate), "gate-out, outbound EIR recorded").await?;
    story.expect_container("customs", &bl, &equipment, "GATED_OUT").await?;
    let back = EmptyReturn { container, damage_notes: "none".into() };
    story.act("terminal", Action::EmptyReturn(back), "empty container returned, inbound EIR").await?;
    story.expect_container("consignee", &bl, &equipment, "EMPTY_RETURNED").await?;

    let history = story.client("consignee")?.history(&bl).await?;
    let codes: Vec<String> = history.entries.iter().map(|e| e.action_code.clone()).collect();
    (story.say)(format!("\nThe BL's hash-chained history: {}", codes.join(" → ")));
    Ok(Demo { bl, steps: story.steps, history: codes })
}
