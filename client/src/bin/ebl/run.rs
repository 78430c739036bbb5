//! Carrying out a command: connect, sign, submit, read, verify, print.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use ebl_client::batch::{chunk_ranges, BATCH_BYTES_MAX, BATCH_TXS_MAX};
use ebl_client::{
    explain_refusal, keys, BlRef, CheckedFinance, Client, FinanceCheckRequest, IssueParties, PartialTx,
    Trust, TxBuilder, TxStatus,
};
use ebl_ledger::finance::{LcTerms, LienStatus};
use ebl_ledger::limits::TX_BYTES_MAX;
use ebl_ledger::{Action, Hash, Keypair, Transaction, TxId};
use futures::StreamExt;
use serde_json::json;

use crate::cli::{
    BlCmd, Cli, Command, FinanceCheckArgs, GovernanceCmd, PartyCmd, ReleaseAction, ReleaseCmd, TxCmd,
};
use crate::output::{self, name_of, print_json, who, Names};
use crate::plan::{self, format_ms, Issuing, PlanCtx, Planned};

use ebl_client::time::now_ms;

/// What a command that calls a title verified says without a trust anchor.
const NO_TRUST_ANCHOR: &str =
    "no trust anchor: give the network's genesis file with --genesis FILE (or EBL_GENESIS); \
     a title is verified against the genesis validators, never on a node's word";

fn ok(success: bool) -> ExitCode {
    if success {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Everything a command runs with. The node is reached only by the commands that need it, on
/// first use: `keygen` and `tx cosign` work offline.
struct App {
    cli: Cli,
    connection: tokio::sync::OnceCell<Connection>,
}

/// The node's client (with your key) and the trust anchor of `--genesis`.
struct Connection {
    client: Client,
    trust: Option<Trust>,
}

pub async fn run(cli: Cli) -> Result<ExitCode> {
    App { cli, connection: tokio::sync::OnceCell::new() }.dispatch().await
}

async fn connect(cli: &Cli) -> Result<Connection> {
    let trust = cli.genesis.as_deref().map(Trust::from_genesis_file).transpose()?;
    let chain_id = match (&trust, &cli.chain_id) {
        (Some(t), Some(c)) if &t.chain_id != c => {
            bail!("--chain-id {c:?} differs from the genesis file's chain id {:?}", t.chain_id)
        }
        (Some(t), _) => Some(t.chain_id.clone()),
        (None, c) => c.clone(),
    };
    let roots = match &cli.ca_cert {
        Some(path) => vec![std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?],
        None => Vec::new(),
    };
    let configure = |mut client: Client| -> Result<Client> {
        for pem in &roots {
            client = client.with_root_certificate_pem(pem)?;
        }
        Ok(client.with_max_proof_age(cli.max_proof_age))
    };
    let mut client = match chain_id {
        Some(c) => configure(Client::new(cli.node.clone(), c)?)?,
        None => {
            // The chain id is asked from the node: harmless for signing (a transaction for
            // another chain is only refused); proofs are checked against --genesis alone.
            let probe = configure(Client::new(cli.node.clone(), "")?)?;
            let chain = probe.status().await?.chain_id;
            configure(Client::new(cli.node.clone(), chain)?)?
        }
    };
    if let Some(path) = &cli.key {
        client = client.with_key(keys::load(path)?);
    }
    Ok(Connection { client, trust })
}

fn keygen(cli: &Cli, out: &Path) -> Result<ExitCode> {
    let key = keys::generate()?;
    keys::save_pem(&key, out)?;
    if cli.json {
        print_json(&json!({ "party": key.party(), "file": out }));
    } else {
        println!("party {} written to {} (PKCS#8 PEM, mode 0600)", key.party(), out.display());
        println!("register it with the registrar: ebl party register {} --name … --role …", key.party());
    }
    Ok(ExitCode::SUCCESS)
}

fn load_keys(paths: &[PathBuf]) -> Result<Vec<Keypair>> {
    paths.iter().map(|p| keys::load(p).map_err(anyhow::Error::from)).collect()
}

fn read_partial(file: &Path) -> Result<PartialTx> {
    let text = std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    PartialTx::from_json(&text).with_context(|| format!("{}", file.display()))
}

fn write_partial(file: &Path, partial: &PartialTx) -> Result<()> {
    std::fs::write(file, partial.to_json() + "\n").with_context(|| format!("cannot write {}", file.display()))
}

fn action_summary(action: &Action) -> String {
    format!("{} {}", action.name(), serde_json::to_string(action).unwrap_or_default())
}

fn cosign(cli: &Cli, file: &Path, out: Option<&Path>) -> Result<ExitCode> {
    let mut partial = read_partial(file)?;
    let mut signing = load_keys(&cli.tx.cosign_keys)?;
    if let Some(path) = &cli.key {
        signing.insert(0, keys::load(path)?);
    }
    if signing.is_empty() {
        bail!("nothing to sign with: give your key with --key FILE (or EBL_KEY)");
    }
    if let Some(genesis) = &cli.genesis {
        let trust = Trust::from_genesis_file(genesis)?;
        if trust.chain_id != partial.body.chain_id {
            bail!(
                "the transaction is for chain {:?}, the genesis file is of {:?}",
                partial.body.chain_id,
                trust.chain_id
            );
        }
    }
    partial.check()?;
    for key in &signing {
        partial.cosign(key)?;
    }
    let out = out.unwrap_or(file);
    write_partial(out, &partial)?;
    let missing = partial.missing();
    if cli.json {
        print_json(
            &json!({ "txId": partial.id(), "file": out, "missing": missing, "action": partial.body.action }),
        );
    } else {
        println!(
            "signed tx {} on chain {}: {}",
            partial.id(),
            partial.body.chain_id,
            action_summary(&partial.body.action)
        );
        if missing.is_empty() {
            println!("complete: submit it with `ebl tx submit {}`", out.display());
        } else {
            let list: Vec<String> = missing.iter().map(|p| p.to_string()).collect();
            println!("still missing the signature of {}", list.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

impl App {
    fn json(&self) -> bool {
        self.cli.json
    }

    async fn me(&self) -> Result<&Keypair> {
        self.client()
            .await?
            .key()
            .ok_or_else(|| anyhow!("this command signs: give your key with --key FILE (or EBL_KEY)"))
    }

    fn wait(&self) -> Option<Duration> {
        self.cli.wait().then(|| Duration::from_millis(self.cli.timeout_ms))
    }

    /// The one dispatch: every command is handled here, by exactly one arm. An action
    /// subcommand is planned (`plan.rs`) and sent.
    async fn dispatch(&self) -> Result<ExitCode> {
        match &self.cli.command {
            Command::Keygen { out } => keygen(&self.cli, out),
            Command::Party(PartyCmd::Act(action)) => self.send(plan::party_action(action)?).await,
            Command::Party(PartyCmd::Show { party }) => self.show_party(party).await,
            Command::Party(PartyCmd::List) => self.list_parties().await,
            Command::Party(PartyCmd::Nonce { party }) => self.nonce(party.as_deref()).await,
            Command::Bl(BlCmd::Issue(args)) => match plan::issue(args)? {
                Issuing::One(planned) => self.send(planned).await,
                Issuing::Batch { dir, parties, chunk } => self.issue_batch(dir, &parties, chunk).await,
            },
            Command::Bl(BlCmd::Act(action)) => self.send(plan::bl_action(action)?).await,
            Command::Bl(BlCmd::Show { bl }) => self.show_bl(bl).await,
            Command::Bl(BlCmd::History { bl }) | Command::History { bl } => self.history(bl).await,
            Command::Bl(BlCmd::Document { bl, out }) => self.document(bl, out.as_deref()).await,
            Command::Bl(BlCmd::Containers { bl }) => self.release_status(bl, None).await,
            Command::Lien(action) => {
                let ctx = self.plan_ctx().await?;
                self.send(plan::lien_action(action, &ctx)?).await
            }
            Command::Release(ReleaseCmd::Act(action)) => {
                let mut ctx = self.plan_ctx().await?;
                if let ReleaseAction::Order { bl, containers, .. } = action {
                    if containers.is_empty() {
                        let listed = self
                            .client()
                            .await?
                            .containers(&plan::bl(bl)?)
                            .await
                            .context("listing the BL's containers")?;
                        ctx.bl_containers =
                            listed.containers.into_iter().map(|c| c.equipment_reference).collect();
                    }
                }
                self.send(plan::release_action(action, &ctx)?).await
            }
            Command::Governance(GovernanceCmd::Act(action)) => {
                self.send(plan::governance_action(action)?).await
            }
            Command::Governance(GovernanceCmd::Show) => self.governance().await,
            Command::Observer(action) => self.send(plan::observer_action(action)?).await,
            Command::Release(ReleaseCmd::Status { bl, container }) => {
                self.release_status(bl, container.as_deref()).await
            }
            Command::Verify { bl } => self.verify(bl).await,
            Command::FinanceCheck(args) => self.finance_check(args).await,
            Command::Watch { from_height } => self.watch(*from_height).await,
            Command::Tx(TxCmd::Status { tx_id }) => self.tx_status(tx_id).await,
            Command::Tx(TxCmd::Sign { action }) => {
                let text = std::fs::read_to_string(action)
                    .with_context(|| format!("cannot read {}", action.display()))?;
                let action = plan::action_of_json(&text).with_context(|| format!("{}", action.display()))?;
                self.send(Planned::alone(action)).await
            }
            Command::Tx(TxCmd::Cosign { file, out }) => cosign(&self.cli, file, out.as_deref()),
            Command::Tx(TxCmd::Submit { file }) => self.submit_file(file).await,
            Command::Status => self.status().await,
        }
    }

    /// The node's client, connected on first use.
    async fn client(&self) -> Result<&Client> {
        Ok(&self.connection().await?.client)
    }

    async fn connection(&self) -> Result<&Connection> {
        self.connection.get_or_try_init(|| connect(&self.cli)).await
    }

    /// What planning an action needs: the signer and this machine's clock.
    async fn plan_ctx(&self) -> Result<PlanCtx> {
        Ok(PlanCtx { me: self.client().await?.key_party(), now_ms: now_ms(), bl_containers: Vec::new() })
    }

    /// Signs a planned action with your key (and any local co-signer keys), then submits it,
    /// or saves it for the co-signers.
    async fn send(&self, planned: Planned) -> Result<ExitCode> {
        let me = self.me().await?;
        let cosign_keys = load_keys(&self.cli.tx.cosign_keys)?;
        let mut cosigners = planned.cosigners.clone();
        for text in &self.cli.tx.cosigners {
            cosigners.push(plan::party(text).context("--cosigner")?);
        }
        let client = self.client().await?;
        // A co-signer named by its party id signs with the key it rotated to, if it did (a key
        // no party has, such as the one a rotation hands signing to, stays as it is).
        for cosigner in &mut cosigners {
            if let Ok(record) = client.party(cosigner).await {
                *cosigner = record.current_key();
            }
        }
        cosigners.extend(cosign_keys.iter().map(|k| k.party()));
        let mut seen = std::collections::BTreeSet::from([me.party()]);
        cosigners.retain(|p| seen.insert(*p));
        let mut builder = TxBuilder::new(client.chain_id(), me.party(), planned.action).cosigners(cosigners);
        if let Some(nonce) = self.cli.tx.nonce {
            builder = builder.nonce(nonce);
        }
        let builder = client.resolve_nonce(builder).await?;
        let mut keys: Vec<&Keypair> = vec![me];
        keys.extend(cosign_keys.iter());
        let partial = builder.sign_partial(&keys)?;
        self.finish(partial).await
    }

    /// Saves a partial transaction (with --save), or submits a complete one.
    async fn finish(&self, partial: PartialTx) -> Result<ExitCode> {
        if let Some(file) = &self.cli.tx.save {
            write_partial(file, &partial)?;
            let missing = partial.missing();
            if self.json() {
                print_json(&json!({ "txId": partial.id(), "file": file, "missing": missing }));
            } else {
                println!("saved tx {} to {}", partial.id(), file.display());
                for p in &missing {
                    println!(
                        "  awaiting the signature of {p}: `ebl tx cosign {} --key <its key>`",
                        file.display()
                    );
                }
                println!("  then submit it with `ebl tx submit {}`", file.display());
            }
            return Ok(ExitCode::SUCCESS);
        }
        let missing = partial.missing();
        if !missing.is_empty() {
            let list: Vec<String> = missing.iter().map(|p| p.to_string()).collect();
            bail!(
                "the transaction also needs the signature of {}: give its key with --cosign-key FILE, \
                 or --save FILE and have it co-signed (`ebl tx cosign FILE`)",
                list.join(", ")
            );
        }
        let tx = partial.complete()?;
        self.submit(&tx).await
    }

    async fn submit(&self, tx: &Transaction) -> Result<ExitCode> {
        let status = match self.wait() {
            Some(timeout) => self.client().await?.submit_and_wait(tx, timeout).await?,
            None => self.client().await?.submit(tx).await?,
        };
        Ok(self.report_tx(&status))
    }

    fn report_tx(&self, status: &TxStatus) -> ExitCode {
        let (line, success) = output::tx_outcome_line(status, self.wait().is_some());
        if self.json() {
            print_json(&output::tx_json(status));
        } else {
            println!("{line}");
        }
        ok(success)
    }

    /// Legal names of every registered party (best effort: empty without a key or access).
    async fn names(&self) -> Names {
        let Ok(client) = self.client().await else { return Names::new() };
        if client.key().is_none() {
            return Names::new();
        }
        match client.parties().await {
            Ok(parties) => parties.into_iter().map(|p| (p.party, p.legal_name)).collect(),
            Err(_) => Names::new(),
        }
    }

    async fn show_party(&self, party: &str) -> Result<ExitCode> {
        let record = self.client().await?.party(&plan::party(party)?).await?;
        if self.json() {
            print_json(&record);
        } else {
            print_party(&record);
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn list_parties(&self) -> Result<ExitCode> {
        let parties = self.client().await?.parties().await?;
        if self.json() {
            print_json(&parties);
        } else {
            for p in &parties {
                let roles: Vec<String> = p.roles.iter().map(|r| name_of(&r)).collect();
                println!("{}  {:<9} {}  [{}]", p.party, name_of(&p.status), p.legal_name, roles.join(","));
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn nonce(&self, party: Option<&str>) -> Result<ExitCode> {
        let party = match party {
            Some(p) => plan::party(p)?,
            None => self.me().await?.party(),
        };
        let nonces = self.client().await?.nonce(&party).await?;
        if self.json() {
            print_json(&nonces);
        } else {
            println!("{}: next nonce {} (committed {})", nonces.party, nonces.next, nonces.committed);
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn show_bl(&self, bl: &str) -> Result<ExitCode> {
        let record = self.client().await?.bl(&plan::bl(bl)?).await?;
        if self.json() {
            print_json(&record);
        } else {
            output::print_record(&record, &self.names().await);
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn document(&self, bl: &str, out: Option<&Path>) -> Result<ExitCode> {
        let document = self.client().await?.document(&plan::bl(bl)?).await?;
        let value = document.to_value().map_err(|e| anyhow!("the node's document: {e}"))?;
        let text = serde_json::to_string_pretty(&value)?;
        match out {
            Some(path) => {
                std::fs::write(path, text + "\n")
                    .with_context(|| format!("cannot write {}", path.display()))?;
                if !self.json() {
                    println!("document (checksum {}) written to {}", document.checksum(), path.display());
                }
            }
            None => println!("{text}"),
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn history(&self, bl: &str) -> Result<ExitCode> {
        let bl = plan::bl(bl)?;
        let client = self.client().await?;
        let history = client.history(&bl).await?;
        if self.json() {
            print_json(&history);
            return Ok(ExitCode::SUCCESS);
        }
        // The history is kept beside the state tree; the record commits to all of it.
        let record = client.bl(&bl).await?;
        let checked = ebl_ledger::records::verify_history(&record, &history.entries);
        let names = self.names().await;
        println!("history of bl {} ({} entries)", history.bl_id, history.entries.len());
        for e in &history.entries {
            let recipient = e.recipient.map(|r| format!(" → {}", who(&r, &names))).unwrap_or_default();
            println!(
                "  #{:<3} height {:<7} {}  {:<24} {}{recipient}  tx {}",
                e.seq,
                e.height,
                format_ms(e.time_ms),
                e.action_code,
                who(&e.actor, &names),
                e.tx_id
            );
        }
        if let Err(e) = checked {
            println!("WARNING: this is not the history the BL's record commits to: {e}");
            return Ok(ExitCode::FAILURE);
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn release_status(&self, bl: &str, container: Option<&str>) -> Result<ExitCode> {
        let bl = plan::bl(bl)?;
        let statuses = match container {
            Some(c) => vec![self.client().await?.container(&bl, c).await?],
            None => self.client().await?.containers(&bl).await?.containers,
        };
        if self.json() {
            match container {
                Some(_) => print_json(&statuses[0]),
                None => print_json(&json!({ "blId": bl, "containers": statuses })),
            }
            return Ok(ExitCode::SUCCESS);
        }
        let names = self.names().await;
        for s in &statuses {
            println!("{}  {}", s.equipment_reference, s.status);
            if let Some(r) = &s.release {
                println!("  right holder  {}", who(&r.right_holder, &names));
                println!("  terminal      {}", who(&r.terminal, &names));
                println!(
                    "  valid         {} .. {}, charges {}",
                    format_ms(r.valid_from_ms),
                    format_ms(r.valid_until_ms),
                    if r.charges_settled { "settled" } else { "NOT settled" }
                );
                for h in &r.holds {
                    println!(
                        "  hold #{}       {} by {}: {}",
                        h.id,
                        name_of(&h.authority),
                        who(&h.placed_by, &names),
                        h.reason
                    );
                }
                if let Some(p) = &r.pickup {
                    println!(
                        "  pickup        truck {} slot {} .. {}",
                        p.truck_plate,
                        format_ms(p.slot_start_ms),
                        format_ms(p.slot_end_ms)
                    );
                }
                if let Some(g) = &r.gate_out {
                    println!(
                        "  gated out     {} truck {} seals {}",
                        format_ms(g.time_ms),
                        g.truck_plate,
                        g.seal_numbers.join(",")
                    );
                }
                if let Some(e) = &r.empty_return {
                    println!("  empty return  {} {}", format_ms(e.time_ms), e.damage_notes);
                }
                if let Some(reason) = &r.revoked_reason {
                    println!("  revoked       {reason}");
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn verify(&self, bl_text: &str) -> Result<ExitCode> {
        let bl_ref: BlRef = bl_text.parse()?;
        let bl = bl_ref.id();
        let connection = self.connection().await?;
        let outcome = match &connection.trust {
            None => Err(anyhow!(NO_TRUST_ANCHOR)),
            Some(trust) => {
                connection.client.verify_title(&mut trust.clone(), &bl).await.map_err(anyhow::Error::from)
            }
        };
        match outcome {
            Ok(title) => {
                let age_ms = now_ms().saturating_sub(title.time_ms);
                if self.json() {
                    print_json(&json!({ "verified": true, "proofAgeMs": age_ms, "title": title }));
                } else {
                    let names = self.names().await;
                    println!(
                        "{}",
                        output::verified_line(&output::bl_label(&title.record), &title, age_ms, &names)
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                if self.json() {
                    print_json(&json!({
                        "verified": false, "blId": bl, "code": output::error_code(&e), "reason": format!("{e:#}"),
                    }));
                } else {
                    println!("NOT VERIFIED: {e:#}");
                }
                Ok(ExitCode::FAILURE)
            }
        }
    }

    async fn finance_check(&self, args: &FinanceCheckArgs) -> Result<ExitCode> {
        let bl = plan::bl(&args.bl)?;
        let document = match &args.document {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                Some(serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?)
            }
            None => None,
        };
        let terms = LcTerms {
            to_order_of_bank: args.to_order_of_bank.then_some(true),
            latest_shipment_date: args.latest_shipment_date.clone(),
            port_of_loading: args.port_of_loading.clone(),
            port_of_discharge: args.port_of_discharge.clone(),
        };
        let lc_terms = (terms != LcTerms::default()).then_some(terms);
        let connection = self.connection().await?;
        let mut trust = connection.trust.clone().ok_or_else(|| anyhow!(NO_TRUST_ANCHOR))?;
        let checked = connection
            .client
            .finance_check_verified(&mut trust, &bl, &FinanceCheckRequest { document, lc_terms })
            .await
            .context("finance check refused")?;
        let passed = checked.verdict.passed;
        if self.json() {
            print_json(&finance_json(&checked));
            return Ok(ok(passed));
        }
        self.print_finance(&checked).await;
        Ok(ok(passed))
    }

    /// The verdict computed here, each check on its line; then what the node said.
    async fn print_finance(&self, checked: &CheckedFinance) {
        let names = self.names().await;
        let (v, title) = (&checked.verdict, &checked.title);
        let mark = |b: bool| if b { "[ok]  " } else { "[FAIL]" };
        println!(
            "{} finance check of bl {} for bank {}",
            if v.passed { "PASSED" } else { "FAILED" },
            title.bl,
            who(&checked.node_says.bank, &names),
        );
        println!(
            "  verified: record proven at height {} (block time {}, {} s old) by {} of the genesis validators",
            title.height,
            format_ms(title.time_ms),
            checked.proof_age_ms / 1000,
            title.signers.len()
        );
        println!(
            "  {} carrier signature on the ISSUE (the validators checked it)",
            mark(v.carrier_signature_valid)
        );
        match v.checksum_matches {
            Some(m) => {
                println!("  {} presented document matches the ledger's checksum (computed here)", mark(m))
            }
            None => println!("  [--]   no document presented"),
        }
        println!(
            "  {} one live original (status {})",
            mark(v.one_live_original),
            name_of(&title.record.status)
        );
        println!(
            "  {} lien: {}",
            mark(v.lien_status != LienStatus::HeldByOtherBank),
            name_of(&v.lien_status)
        );
        for t in &v.terms {
            println!("  {} LC term {}: {}", mark(t.met), t.term, t.detail);
        }
        println!(
            "  possessor {}, endorsee {}",
            who(&title.record.possessor, &names),
            title.record.endorsee.map_or("none".into(), |e| who(&e, &names))
        );
        for f in &v.failures {
            println!("  failure: {f}");
        }
        println!(
            "  the node says: {} (agrees with the proof on every field)",
            if checked.node_says.passed { "passed" } else { "failed" }
        );
    }

    async fn watch(&self, from_height: Option<u64>) -> Result<ExitCode> {
        let mut events = self.client().await?.events(from_height).await?;
        let names = if self.json() { Names::new() } else { self.names().await };
        while let Some(event) = events.next().await {
            let event = event?;
            if self.json() {
                println!("{}", serde_json::to_string(&event)?);
            } else {
                let mut line = format!(
                    "{}.{} {} {} by {}",
                    event.height,
                    event.index,
                    event.kind.as_str(),
                    event.action,
                    who(&event.actor, &names)
                );
                if let Some(bl) = event.bl_id {
                    line.push_str(&format!(" bl {bl}"));
                }
                if let Some(e) = &event.equipment_reference {
                    line.push_str(&format!(" container {e}"));
                }
                if let Some(code) = event.outcome.refusal() {
                    let meaning = explain_refusal(code.code()).map(|m| format!(" ({m})")).unwrap_or_default();
                    line.push_str(&format!(" outcome {}{meaning}", event.outcome));
                }
                line.push_str(&format!(" tx {}", event.tx_id));
                println!("{line}");
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn tx_status(&self, tx_id: &str) -> Result<ExitCode> {
        let id =
            TxId(tx_id.parse::<Hash>().map_err(|_| anyhow!("{tx_id:?} is not a 64-hex transaction id"))?);
        let status = self.client().await?.tx_status(&id).await?;
        let (line, success) = output::tx_outcome_line(&status, false);
        if self.json() {
            print_json(&output::tx_json(&status));
        } else {
            println!("{line}");
        }
        Ok(ok(success))
    }

    async fn submit_file(&self, file: &Path) -> Result<ExitCode> {
        let partial = read_partial(file)?;
        let chain_id = self.client().await?.chain_id();
        if partial.body.chain_id != chain_id {
            bail!("the transaction is for chain {:?}, this node is on {chain_id:?}", partial.body.chain_id);
        }
        let tx = partial.complete().with_context(|| format!("{} cannot be submitted", file.display()))?;
        self.submit(&tx).await
    }

    /// `governance show`: each epoch's set, the one in force, the open proposals.
    async fn governance(&self) -> Result<ExitCode> {
        let answer = self.client().await?.validators().await?;
        if self.json() {
            print_json(&answer);
            return Ok(ExitCode::SUCCESS);
        }
        println!("height {}: epoch {} runs the next height", answer.height, answer.current_epoch);
        for epoch in &answer.epochs {
            let origin = match epoch.proposal {
                Some(id) => format!("proposal {id}, approved at {}", epoch.approved_height),
                None => "genesis".to_owned(),
            };
            println!("epoch {} from height {} ({origin})", epoch.epoch, epoch.effective_height);
            for v in &epoch.validators {
                println!("  {} {} power {} operator {}", v.name, v.consensus_key, v.voting_power, v.operator);
            }
        }
        for p in &answer.open_proposals {
            println!(
                "open proposal {} on epoch {} by {}: {:?}; approved by {} operator(s)",
                p.id,
                p.epoch,
                p.proposer,
                p.change,
                p.approvals.len()
            );
        }
        Ok(ExitCode::SUCCESS)
    }

    async fn status(&self) -> Result<ExitCode> {
        let status = self.client().await?.status().await?;
        if self.json() {
            print_json(&status);
        } else {
            println!("chain       {}", status.chain_id);
            println!("height      {}", status.height);
            println!("block hash  {}", status.block_hash);
            println!("state root  {}", status.state_root);
            println!("block time  {}", format_ms(status.time_ms));
            println!("mempool     {} transactions", status.mempool_txs);
            for v in &status.validators {
                let operator = v.legal_name.as_deref().map(|n| format!(", run by {n}")).unwrap_or_default();
                println!(
                    "validator   {} {}{operator}, voting power {}",
                    v.name, v.consensus_key, v.voting_power
                );
            }
        }
        Ok(ExitCode::SUCCESS)
    }

    /// `bl issue --batch DIR`: every *.json of DIR, signed with consecutive nonces, submitted
    /// in chunks through the batch route, each chunk followed to its commit before the next.
    async fn issue_batch(&self, dir: &Path, issue_parties: &IssueParties, chunk: usize) -> Result<ExitCode> {
        let me = self.me().await?;
        let client = self.client().await?;
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .with_context(|| format!("cannot read directory {}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        if files.is_empty() {
            bail!("no *.json document in {}", dir.display());
        }
        let mut results: Vec<BatchItem> = Vec::with_capacity(files.len());
        let mut actions = Vec::new();
        for file in files {
            match plan::issue_of_file(&file, issue_parties) {
                Ok(issue) => {
                    let bl = ebl_ledger::BlId::new(&me.party(), &issue.transport_document_reference);
                    results.push(BatchItem::new(
                        &file,
                        Some(issue.transport_document_reference.clone()),
                        Some(bl),
                    ));
                    actions.push((results.len() - 1, Action::Issue(issue)));
                }
                Err(e) => {
                    let mut item = BatchItem::new(&file, None, None);
                    item.refuse("DOCUMENT_INVALID", format!("{e:#}"));
                    results.push(item);
                }
            }
        }
        let bar = if self.json() {
            indicatif::ProgressBar::hidden()
        } else {
            indicatif::ProgressBar::new(results.len() as u64)
        };
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} issued ({elapsed}, eta {eta}) {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.inc((results.len() - actions.len()) as u64);
        let timeout = Duration::from_millis(self.cli.timeout_ms);
        for group in actions.chunks(chunk.clamp(1, BATCH_TXS_MAX)) {
            // Nonces are asked afresh for each chunk: a chunk refused at the door leaves no gap.
            let mut nonce = match self.cli.tx.nonce {
                Some(n) if results.iter().all(|r| r.tx_id.is_none()) => n,
                _ => client.nonce(&me.party()).await?.next,
            };
            let mut txs = Vec::with_capacity(group.len());
            let mut indices = Vec::with_capacity(group.len());
            for (index, action) in group {
                let tx =
                    TxBuilder::new(client.chain_id(), me.party(), action.clone()).nonce(nonce).sign(&[me])?;
                let size = borsh::object_length(&tx).unwrap_or(usize::MAX);
                if size > TX_BYTES_MAX {
                    results[*index].refuse(
                        "TX_TOO_LARGE",
                        format!("{size} bytes; a transaction is at most {TX_BYTES_MAX}"),
                    );
                    bar.inc(1);
                    continue;
                }
                results[*index].tx_id = Some(tx.id());
                nonce += 1;
                txs.push(tx);
                indices.push(*index);
            }
            let start_height = client.status().await?.height;
            let mut accepted = Vec::new();
            for range in chunk_ranges(&txs, BATCH_TXS_MAX, BATCH_BYTES_MAX) {
                let answer = client.submit_batch(&txs[range.clone()]).await?;
                for (result, index) in answer.results.iter().zip(&indices[range]) {
                    if result.is_accepted() {
                        accepted.push(result.tx_id);
                    } else {
                        let code = result.code.clone().unwrap_or_else(|| "REFUSED".into());
                        results[*index].refuse(&code, result.message.clone().unwrap_or_default());
                        bar.inc(1);
                    }
                }
            }
            let committed = client.wait_for_txs(&accepted, start_height, timeout).await?;
            for index in &indices {
                let item = &mut results[*index];
                let Some(id) = item.tx_id else { continue };
                if let Some((height, outcome)) = committed.get(&id) {
                    item.height = Some(*height);
                    item.status = if outcome.is_success() { "COMMITTED" } else { "REFUSED" }.into();
                    item.outcome = Some(outcome.to_string());
                    bar.inc(1);
                } else if item.status == "PENDING" && accepted.contains(&id) {
                    item.status = "NOT_COMMITTED".into();
                    item.message = Some(format!("not committed within {} ms", self.cli.timeout_ms));
                    bar.inc(1);
                }
            }
        }
        bar.finish_and_clear();
        let count = |s: &str| results.iter().filter(|r| r.status == s).count();
        let (committed, refused, open) = (count("COMMITTED"), count("REFUSED"), count("NOT_COMMITTED"));
        if self.json() {
            print_json(&json!({
                "documents": results.len(), "committed": committed, "refused": refused,
                "notCommitted": open, "results": results,
            }));
        } else {
            for r in results.iter().filter(|r| r.status != "COMMITTED") {
                let code = r.outcome.as_deref().unwrap_or("");
                let meaning = explain_refusal(code).map(|m| format!(": {m}")).unwrap_or_default();
                let message = r.message.as_deref().map(|m| format!(" ({m})")).unwrap_or_default();
                println!("{} {} {}{meaning}{message}", r.status, r.file, code);
            }
            println!(
                "{} documents: {committed} issued, {refused} refused, {open} not committed yet",
                results.len()
            );
        }
        Ok(ok(refused == 0 && open == 0))
    }
}

/// `--json` of a finance check: the verdict computed here at the top level (as the node's
/// report is shaped), the proven height and block time, and the node's own report under
/// `nodeSays`.
fn finance_json(checked: &CheckedFinance) -> serde_json::Value {
    let (v, title) = (&checked.verdict, &checked.title);
    json!({
        "blId": title.bl,
        "bank": checked.node_says.bank,
        "height": title.height,
        "blockTimeMs": title.time_ms,
        "blockTime": format_ms(title.time_ms),
        "proofAgeMs": checked.proof_age_ms,
        "verified": true,
        "passed": v.passed,
        "carrierSignatureValid": v.carrier_signature_valid,
        "checksumMatches": v.checksum_matches,
        "oneLiveOriginal": v.one_live_original,
        "status": title.record.status,
        "possessor": title.record.possessor,
        "endorsee": title.record.endorsee,
        "lien": v.lien,
        "lienStatus": v.lien_status,
        "terms": v.terms,
        "failures": v.failures,
        "signers": title.signers,
        "nodeSays": checked.node_says,
    })
}

fn print_party(p: &ebl_ledger::PartyRecord) {
    let roles: Vec<String> = p.roles.iter().map(|r| name_of(&r)).collect();
    println!("party       {}", p.party);
    println!("legal name  {}", p.legal_name);
    println!("roles       {}", roles.join(", "));
    println!("status      {}", name_of(&p.status));
    if let Some(c) = &p.codes.dcsa_party_code {
        println!("DCSA code   {c}");
    }
    if let Some(c) = &p.codes.lei {
        println!("LEI         {c}");
    }
    if let Some(c) = &p.codes.uscc {
        println!("USCC        {c}");
    }
    println!("registered  at height {}", p.registered_height);
}

/// The outcome of one document of a batch.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchItem {
    file: String,
    reference: Option<String>,
    bl_id: Option<ebl_ledger::BlId>,
    tx_id: Option<TxId>,
    /// `PENDING`, `COMMITTED`, `REFUSED` (at the door or by the ledger) or `NOT_COMMITTED`.
    status: String,
    height: Option<u64>,
    outcome: Option<String>,
    message: Option<String>,
}

impl BatchItem {
    fn new(file: &Path, reference: Option<String>, bl_id: Option<ebl_ledger::BlId>) -> Self {
        BatchItem {
            file: file.display().to_string(),
            reference,
            bl_id,
            tx_id: None,
            status: "PENDING".into(),
            height: None,
            outcome: None,
            message: None,
        }
    }

    fn refuse(&mut self, code: &str, message: String) {
        self.status = "REFUSED".into();
        self.outcome = Some(code.to_owned());
        self.message = Some(message);
    }
}
