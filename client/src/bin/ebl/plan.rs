//! From the arguments of an action subcommand to the ledger action it submits: pure, no
//! network, so each mapping is tested on its own. Reads only the files the arguments name
//! (documents, key files). `run.rs` calls these from its one dispatch.

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use ebl_client::{issue_from_document, secret_hash, BlRef, IssueParties};
use ebl_ledger::action::{
    AmendmentReason, AssignPickup, CreateLien, EmptyReturn, ExternalCodes, GateOut, HoldAuthority,
    HoldTarget, IssueBl, IssueReleaseOrder, PlaceHold, RegisterParty, Reissue,
};
use ebl_ledger::governance::{Observer, ValidatorChange, ValidatorInfo};
use ebl_ledger::{Action, BlId, ContainerRef, PartyId, Role, RoleSet};

use crate::cli::{
    AmendmentReasonArg, AuthorityArg, BlAction, GovernanceAction, HoldCmd, IssueArgs, LienCmd,
    ObserverAction, PartyAction, PickupCmd, ReleaseAction, RoleArg, SurrenderFor, ValidatorChangeArg,
};

/// What the mapping may need besides the arguments.
#[derive(Debug, Clone, Default)]
pub struct PlanCtx {
    /// The signer (your key's party).
    pub me: Option<PartyId>,
    /// This machine's clock, ms since the epoch, for relative times (`+2h`) and `now`.
    pub now_ms: u64,
    /// The containers of the BL, asked from the node when `release order` names none.
    pub bl_containers: Vec<String>,
}

/// An action with the parties that must co-sign it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    pub action: Action,
    pub cosigners: Vec<PartyId>,
}

impl Planned {
    pub fn alone(action: Action) -> Self {
        Planned { action, cosigners: Vec::new() }
    }
}

/// A party argument: `ebl:<hex>` (or bare hex), or the path of a key file whose public key is
/// taken.
pub fn party(text: &str) -> Result<PartyId> {
    if let Ok(party) = text.parse::<PartyId>() {
        return Ok(party);
    }
    let path = Path::new(text);
    if path.is_file() {
        return Ok(ebl_client::keys::load(path)?.party());
    }
    bail!("party {text:?} is neither ebl:<64 hex digits> nor a key file")
}

fn parties(texts: &[String]) -> Result<Vec<PartyId>> {
    texts.iter().map(|t| party(t)).collect()
}

/// A BL argument: 64-hex id or `REFERENCE@ebl:<carrier hex>`.
pub fn bl(text: &str) -> Result<BlId> {
    Ok(text.parse::<BlRef>()?.id())
}

fn container(bl_text: &str, equipment_reference: &str) -> Result<ContainerRef> {
    if equipment_reference.trim().is_empty() {
        bail!("the container (equipmentReference) is empty");
    }
    Ok(ContainerRef::new(bl(bl_text)?, equipment_reference))
}

fn roles(args: &[RoleArg]) -> RoleSet {
    let roles: Vec<Role> = args
        .iter()
        .map(|r| match r {
            RoleArg::Carrier => Role::Carrier,
            RoleArg::Bank => Role::Bank,
            RoleArg::Customs => Role::Customs,
            RoleArg::Terminal => Role::Terminal,
            RoleArg::Trader => Role::Trader,
            RoleArg::Haulier => Role::Haulier,
            RoleArg::Registrar => Role::Registrar,
        })
        .collect();
    RoleSet::of(&roles)
}

/// The ISSUE parties of the arguments.
pub fn issue_parties(args: &crate::cli::IssueParties) -> Result<IssueParties> {
    Ok(IssueParties {
        issue_to: party(&args.issue_to).context("--issue-to")?,
        shipper: party(&args.shipper).context("--shipper")?,
        consignee: args.consignee.as_deref().map(party).transpose().context("--consignee")?,
        endorsee: args.endorsee.as_deref().map(party).transpose().context("--endorsee")?,
        agents: parties(&args.agents).context("--agent")?,
    })
}

/// An ISSUE of the document in `path`.
pub fn issue_of_file(path: &Path, parties: &IssueParties) -> Result<IssueBl> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    issue_from_document(&text, parties).with_context(|| format!("{}", path.display()))
}

/// What `bl issue` sends: one ISSUE, or (`--batch DIR`) one for each document of a directory.
#[derive(Debug)]
pub enum Issuing<'a> {
    One(Planned),
    Batch { dir: &'a Path, parties: IssueParties, chunk: usize },
}

/// `bl issue`: the ISSUE of `--document`, or the batch of `--batch`.
pub fn issue(args: &IssueArgs) -> Result<Issuing<'_>> {
    let parties = issue_parties(&args.parties)?;
    match (&args.document, &args.batch) {
        (Some(path), None) => Ok(Issuing::One(Planned::alone(Action::Issue(issue_of_file(path, &parties)?)))),
        (None, Some(dir)) => Ok(Issuing::Batch { dir, parties, chunk: args.chunk }),
        (Some(_), Some(_)) | (None, None) => bail!("give one of --document FILE and --batch DIR"),
    }
}

/// The registrar's actions.
pub fn party_action(command: &PartyAction) -> Result<Planned> {
    let action = match command {
        PartyAction::Register { party: p, name, roles: r, dcsa_code, lei, uscc } => {
            Action::RegisterParty(RegisterParty {
                party: party(p)?,
                legal_name: name.clone(),
                roles: roles(r),
                codes: ExternalCodes {
                    dcsa_party_code: dcsa_code.clone(),
                    lei: lei.clone(),
                    uscc: uscc.clone(),
                },
            })
        }
        PartyAction::Roles { party: p, roles: r } => {
            Action::SetPartyRoles { party: party(p)?, roles: roles(r) }
        }
        PartyAction::Suspend { party: p } => Action::SuspendParty { party: party(p)? },
        PartyAction::Reinstate { party: p } => Action::ReinstateParty { party: party(p)? },
        // The key a party rotates to co-signs: it proves it is held.
        PartyAction::RotateKey { new_key } => {
            let new_key = party(new_key)?;
            return Ok(Planned { action: Action::RotateKey { new_key }, cosigners: vec![new_key] });
        }
        PartyAction::ReplaceKey { party: p, new_key } => {
            let new_key = party(new_key)?;
            let action = Action::ReplaceKey { party: party(p)?, new_key };
            return Ok(Planned { action, cosigners: vec![new_key] });
        }
    };
    Ok(Planned::alone(action))
}

/// The registrars' observer list.
pub fn observer_action(command: &ObserverAction) -> Result<Planned> {
    Ok(Planned::alone(match command {
        ObserverAction::Allow { node_key, name } => {
            Action::AllowObserver(Observer { name: name.clone(), node_key: party(node_key)? })
        }
        ObserverAction::Remove { node_key } => Action::RemoveObserver { node_key: party(node_key)? },
    }))
}

/// The validator operators' actions.
pub fn governance_action(command: &GovernanceAction) -> Result<Planned> {
    Ok(Planned::alone(match command {
        GovernanceAction::Propose(change) => Action::ProposeValidatorChange {
            change: match change {
                ValidatorChangeArg::Add { name, operator, consensus_key, node_key, power, p2p_address } => {
                    ValidatorChange::Add(ValidatorInfo {
                        name: name.clone(),
                        operator: party(operator)?,
                        consensus_key: party(consensus_key)?,
                        node_key: party(node_key)?,
                        voting_power: *power,
                        p2p_address: p2p_address.clone(),
                    })
                }
                ValidatorChangeArg::SetPower { consensus_key, power } => {
                    ValidatorChange::SetPower { consensus_key: party(consensus_key)?, voting_power: *power }
                }
                ValidatorChangeArg::Remove { consensus_key } => {
                    ValidatorChange::Remove { consensus_key: party(consensus_key)? }
                }
            },
        },
        GovernanceAction::Approve { proposal } => Action::ApproveValidatorChange { proposal: *proposal },
    }))
}

/// The actions on an issued BL's title, and REISSUE.
pub fn bl_action(command: &BlAction) -> Result<Planned> {
    Ok(Planned::alone(match command {
        BlAction::Transfer { bl: b, to } => Action::Transfer { bl: bl(b)?, to: party(to)? },
        BlAction::Endorse { bl: b, to } => Action::Endorse { bl: bl(b)?, endorsee: party(to)? },
        BlAction::EndorseToOrder { bl: b, to } => Action::EndorseToOrder { bl: bl(b)?, endorsee: party(to)? },
        BlAction::BlankEndorse { bl: b } => Action::BlankEndorse { bl: bl(b)? },
        BlAction::Sign { bl: b } => Action::Sign { bl: bl(b)? },
        BlAction::Reject { bl: b, reason } => Action::RejectTransfer { bl: bl(b)?, reason: reason.clone() },
        BlAction::Surrender { bl: b, purpose, reason } => match (purpose, reason) {
            (SurrenderFor::Delivery, None) => Action::SurrenderForDelivery { bl: bl(b)? },
            (SurrenderFor::Delivery, Some(_)) => bail!("--reason is for a surrender for amendment"),
            (SurrenderFor::Amendment, None) => bail!("a surrender for amendment needs --reason"),
            (SurrenderFor::Amendment, Some(r)) => Action::SurrenderForAmendment {
                bl: bl(b)?,
                reason: match r {
                    AmendmentReasonArg::Swtp => AmendmentReason::Swtp,
                    AmendmentReasonArg::Cod => AmendmentReason::Cod,
                    AmendmentReasonArg::Swi => AmendmentReason::Swi,
                    AmendmentReasonArg::Other => AmendmentReason::Other,
                },
            },
        },
        BlAction::AcceptSurrender { bl: b } => Action::AcceptSurrender { bl: bl(b)? },
        BlAction::RejectSurrender { bl: b, reason } => {
            Action::RejectSurrender { bl: bl(b)?, reason: reason.clone() }
        }
        BlAction::Reissue { voided, documents, parties: p } => {
            let p = issue_parties(p)?;
            let voided = voided.iter().map(|v| bl(v)).collect::<Result<Vec<_>>>()?;
            let replacements = documents.iter().map(|d| issue_of_file(d, &p)).collect::<Result<Vec<_>>>()?;
            Action::Reissue(Reissue { voided, replacements })
        }
        BlAction::SwitchToPaper { bl: b, paper_bl_number } => {
            Action::SwitchToPaper { bl: bl(b)?, paper_bl_number: paper_bl_number.clone() }
        }
    }))
}

/// The lien actions.
pub fn lien_action(command: &LienCmd, ctx: &PlanCtx) -> Result<Planned> {
    Ok(match command {
        LienCmd::Create { bl: b, bank, amount_minor, currency, expires, finance_ref } => {
            let bank = party(bank).context("--bank")?;
            let action = Action::CreateLien(CreateLien {
                bl: bl(b)?,
                bank,
                amount_minor: *amount_minor,
                currency: currency.to_uppercase(),
                expires_at_ms: time_ms(expires, ctx.now_ms).context("--expires")?,
                finance_reference: finance_ref.clone(),
            });
            // ADR 0004: the party entitled to the goods and the bank both sign.
            let cosigners = if ctx.me == Some(bank) { Vec::new() } else { vec![bank] };
            Planned { action, cosigners }
        }
        LienCmd::Release { bl: b } => Planned::alone(Action::ReleaseLien { bl: bl(b)? }),
    })
}

/// The actions of container release.
pub fn release_action(command: &ReleaseAction, ctx: &PlanCtx) -> Result<Planned> {
    Ok(Planned::alone(match command {
        ReleaseAction::Order { bl: b, containers, terminal, valid_from, valid_until, charges_settled } => {
            let equipment_references =
                if containers.is_empty() { ctx.bl_containers.clone() } else { containers.clone() };
            if equipment_references.is_empty() {
                bail!("no container to release: name them with --container");
            }
            let valid_from_ms = match valid_from {
                Some(t) => time_ms(t, ctx.now_ms).context("--valid-from")?,
                None => ctx.now_ms,
            };
            Action::IssueReleaseOrder(IssueReleaseOrder {
                bl: bl(b)?,
                equipment_references,
                terminal: party(terminal).context("--terminal")?,
                valid_from_ms,
                valid_until_ms: time_ms(valid_until, ctx.now_ms).context("--valid-until")?,
                charges_settled: *charges_settled,
            })
        }
        ReleaseAction::SettleCharges { bl: b, container: c } => {
            Action::SettleCharges { container: container(b, c)? }
        }
        ReleaseAction::Hold(HoldCmd::Place { bl: b, container: c, authority, reason, declaration }) => {
            Action::PlaceHold(PlaceHold {
                target: hold_target(b, c.as_deref())?,
                authority: match authority {
                    AuthorityArg::Customs => HoldAuthority::Customs,
                    AuthorityArg::Terminal => HoldAuthority::Terminal,
                },
                reason: reason.clone(),
                declaration_number: declaration.clone(),
            })
        }
        ReleaseAction::Hold(HoldCmd::Lift { bl: b, container: c, hold_id }) => {
            Action::LiftHold { target: hold_target(b, c.as_deref())?, hold_id: *hold_id }
        }
        ReleaseAction::Delegate { bl: b, container: c, to } => {
            Action::DelegateRelease { container: container(b, c)?, to: party(to)? }
        }
        ReleaseAction::Revoke { bl: b, container: c, reason } => {
            Action::RevokeRelease { container: container(b, c)?, reason: reason.clone() }
        }
        ReleaseAction::Pickup(PickupCmd::Assign {
            bl: b,
            container: c,
            truck,
            driver_id,
            slot_start,
            slot_end,
            pickup_code,
        }) => Action::AssignPickup(AssignPickup {
            container: container(b, c)?,
            truck_plate: truck.clone(),
            driver_id_hash: secret_hash(driver_id),
            slot_start_ms: time_ms(slot_start, ctx.now_ms).context("--slot-start")?,
            slot_end_ms: time_ms(slot_end, ctx.now_ms).context("--slot-end")?,
            pickup_code_hash: pickup_code.as_deref().map(secret_hash),
        }),
        ReleaseAction::GateOut { bl: b, container: c, truck, driver_id, pickup_code, seals, condition } => {
            Action::GateOut(GateOut {
                container: container(b, c)?,
                truck_plate: truck.clone(),
                driver_id_hash: secret_hash(driver_id),
                pickup_code: pickup_code.clone(),
                seal_numbers: seals.clone(),
                condition: condition.clone(),
            })
        }
        ReleaseAction::EmptyReturn { bl: b, container: c, damage_notes } => {
            Action::EmptyReturn(EmptyReturn {
                container: container(b, c)?,
                damage_notes: damage_notes.clone(),
            })
        }
    }))
}

fn hold_target(bl_text: &str, equipment_reference: Option<&str>) -> Result<HoldTarget> {
    Ok(match equipment_reference {
        Some(e) => HoldTarget::Container(container(bl_text, e)?),
        None => HoldTarget::Bl { bl: bl(bl_text)? },
    })
}

/// An action given as JSON (`{"type": "TRANSFER", "bl": "…", "to": "ebl:…"}`), for `tx sign`.
pub fn action_of_json(text: &str) -> Result<Action> {
    serde_json::from_str(text)
        .context("not an action ({\"type\": \"TRANSFER\", …}; see ledger/src/action.rs)")
}

/// A point in time, in ms since the Unix epoch: an integer (ms), `now`, `+N` followed by
/// `s`/`m`/`h`/`d` (from now), or a UTC date `YYYY-MM-DD` with an optional `THH:MM[:SS][Z]`.
pub fn time_ms(text: &str, now_ms: u64) -> Result<u64> {
    let text = text.trim();
    if text == "now" {
        return Ok(now_ms);
    }
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(ms);
    }
    if let Some(relative) = text.strip_prefix('+') {
        let (number, unit) = relative.split_at(relative.len().saturating_sub(1));
        let n: u64 = number.parse().map_err(|_| anyhow!("{text:?}: expected +N followed by s, m, h or d"))?;
        let unit_ms: u64 = match unit {
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => bail!("{text:?}: the unit must be s, m, h or d"),
        };
        return n
            .checked_mul(unit_ms)
            .and_then(|d| now_ms.checked_add(d))
            .ok_or_else(|| anyhow!("{text:?} is too far ahead"));
    }
    date_time_ms(text).ok_or_else(|| {
        anyhow!(
            "{text:?} is not a time: use ms since the epoch, now, +2h, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z"
        )
    })
}

fn date_time_ms(text: &str) -> Option<u64> {
    let text = text.strip_suffix('Z').unwrap_or(text);
    let (date, time) = match text.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if date.len() != 10 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let seconds_of_day = match time {
        None => 0,
        Some(t) => {
            let fields: Vec<&str> = t.split(':').collect();
            if !(2..=3).contains(&fields.len()) || fields.iter().any(|f| f.len() != 2) {
                return None;
            }
            let h: u64 = fields[0].parse().ok()?;
            let m: u64 = fields[1].parse().ok()?;
            let s: u64 = fields.get(2).map_or(Some(0), |s| s.parse().ok())?;
            if h > 23 || m > 59 || s > 59 {
                return None;
            }
            h * 3600 + m * 60 + s
        }
    };
    let days = days_from_civil(year, month, day);
    if days < 0 {
        return None;
    }
    Some((days as u64 * 86_400 + seconds_of_day) * 1_000)
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A UTC date-time for people, from ms since the epoch.
pub use ebl_client::time::format_ms;
