//! What `ebl` prints: one line per fact for people, one JSON document with `--json`.

use std::collections::BTreeMap;

use ebl_client::{explain_refusal, ClientError, TxStatus, VerifiedTitle};
use ebl_ledger::records::Lien;
use ebl_ledger::{BlRecord, PartyId};
use serde::Serialize;

use crate::plan::format_ms;

/// Legal names of parties, as far as they are known.
pub type Names = BTreeMap<PartyId, String>;

/// `NAME (ebl:…)`, or the bare id when the name is unknown.
pub fn who(party: &PartyId, names: &Names) -> String {
    match names.get(party) {
        Some(name) => format!("{name} ({party})"),
        None => party.to_string(),
    }
}

/// The SCREAMING_SNAKE name of a serde enum value (`ISSUED`, `HELD_BY_THIS_BANK`).
pub fn name_of<T: Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_else(|| "?".into())
}

pub fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

pub fn lien_text(lien: Option<&Lien>, names: &Names) -> String {
    match lien {
        None => "none".into(),
        Some(l) => format!(
            "{} {} (minor units) to {} until {}, ref {}",
            l.amount_minor,
            l.currency,
            who(&l.bank, names),
            format_ms(l.expires_at_ms),
            l.finance_reference
        ),
    }
}

fn endorsee_text(record: &BlRecord, names: &Names) -> String {
    match (&record.endorsee, record.is_to_order) {
        (Some(e), _) => who(e, names),
        (None, true) => "none (endorsed in blank)".into(),
        (None, false) => "none (straight BL)".into(),
    }
}

/// The line `ebl verify` prints for a title it verified (`age_ms`: how old its block was).
pub fn verified_line(label: &str, title: &VerifiedTitle, age_ms: u64, names: &Names) -> String {
    let r = &title.record;
    format!(
        "VERIFIED {label} at height {} (block time {}, {} s old{}): status {}, possessor {}, endorsee {}, lien {}",
        title.height,
        format_ms(title.time_ms),
        age_ms / 1000,
        if title.epoch == 0 { String::new() } else { format!(", validator set {}", title.epoch) },
        name_of(&r.status),
        who(&r.possessor, names),
        endorsee_text(r, names),
        lien_text(r.lien.as_ref(), names)
    )
}

/// A BL's label for people: `REFERENCE (bl <id>)`.
pub fn bl_label(record: &BlRecord) -> String {
    format!("{} (bl {})", record.transport_document_reference, record.id)
}

pub fn print_record(record: &BlRecord, names: &Names) {
    let kind = match (name_of(&record.transport_document_type).as_str(), record.is_to_order) {
        ("SWB", _) => "sea waybill",
        (_, true) => "to-order BL",
        _ => "straight BL",
    };
    println!("BL {}  {kind}", bl_label(record));
    println!("  status      {}", name_of(&record.status));
    println!("  carrier     {}", who(&record.carrier, names));
    println!("  possessor   {}", who(&record.possessor, names));
    println!("  endorsee    {}", endorsee_text(record, names));
    println!("  shipper     {}", who(&record.shipper, names));
    if let Some(c) = &record.consignee {
        println!("  consignee   {}", who(c, names));
    }
    for a in &record.agents {
        println!("  agent       {}", who(a, names));
    }
    println!("  lien        {}", lien_text(record.lien.as_ref(), names));
    if let Some(s) = &record.surrender {
        let purpose =
            s.amendment_reason.map_or("delivery".to_string(), |r| format!("amendment ({})", name_of(&r)));
        println!("  surrender   requested by {} for {purpose}", who(&s.requested_by, names));
    }
    if let Some(from) = &record.transfer_from {
        println!("  received    from {} (may still be rejected)", who(from, names));
    }
    if let Some(paper) = &record.paper_bl_number {
        println!("  paper BL    {paper}");
    }
    for r in &record.replaces {
        println!("  replaces    {r}");
    }
    for r in &record.replaced_by {
        println!("  replaced by {r}");
    }
    println!("  checksum    {}", record.document_checksum);
    println!(
        "  issued at height {}, updated at {}, {} history entries",
        record.issued_height, record.updated_height, record.history_len
    );
}

/// A transaction's outcome for people, and whether it is a success for the exit code.
pub fn tx_outcome_line(status: &TxStatus, waited: bool) -> (String, bool) {
    let id = status.tx_id;
    if !status.is_committed() {
        return if waited {
            (
                format!(
                    "PENDING tx {id}: not committed within the wait; follow it with `ebl tx status {id}`"
                ),
                false,
            )
        } else {
            (format!("PENDING tx {id}: admitted; follow it with `ebl tx status {id}`"), true)
        };
    }
    let height = status.height.map_or("?".to_string(), |h| h.to_string());
    match status.refusal() {
        None => (format!("COMMITTED at height {height}: SUCCESS (tx {id})"), true),
        Some(code) => {
            let meaning = explain_refusal(code.code()).map(|m| format!(": {m}")).unwrap_or_default();
            (format!("REFUSED at height {height}: {code}{meaning} (tx {id})"), false)
        }
    }
}

/// A transaction status as JSON, with the meaning of a refusal code.
pub fn tx_json(status: &TxStatus) -> serde_json::Value {
    let mut value = serde_json::to_value(status).unwrap_or_default();
    if let (Some(code), Some(object)) = (status.refusal(), value.as_object_mut()) {
        if let Some(meaning) = explain_refusal(code.code()) {
            object.insert("explanation".into(), meaning.into());
        }
    }
    value
}

/// The stable code of an error: the node's (`FORBIDDEN`, …) or, when the node's answer was
/// refused, the client's (`NODE_LIED`, `STALE_PROOF`, `PROOF_INVALID`, `OTHER_CHAIN`, …).
pub fn error_code(error: &anyhow::Error) -> Option<String> {
    let client = error.chain().find_map(|e| e.downcast_ref::<ClientError>())?;
    client.trust_code().map(str::to_owned).or_else(|| client.api_code().map(str::to_owned))
}

/// A hint for an error a person can act on, when there is one.
pub fn hint(error: &anyhow::Error) -> Option<&'static str> {
    let client = error.chain().find_map(|e| e.downcast_ref::<ClientError>())?;
    if let Some(code) = client.trust_code() {
        return Some(match code {
            "NODE_LIED" => "the node's answer contradicts the proof the validators signed: do not rely on this node",
            "STALE_PROOF" => {
                "the node serves an old state (stuck, cut off, or replaying): ask another node, or raise --max-proof-age"
            }
            "OTHER_CHAIN" | "PROOF_INVALID" => {
                "the proof is not signed by the validators of your --genesis: this node is not of your network, or lies"
            }
            _ => return None,
        });
    }
    let code = client.api_code()?;
    Some(match code {
        "UNSIGNED" => "this route needs your party key: --key FILE (or EBL_KEY)",
        "UNKNOWN_PARTY" => {
            "your key is not a registered, active party: ask the registrar (`ebl party register`)"
        }
        "WRONG_CHAIN" | "WRONG_CHAIN_ID" => "the chain id (--genesis or --chain-id) is not this node's chain",
        "SIGNATURE_EXPIRED" => "this machine's clock is more than 5 minutes off the node's",
        "FORBIDDEN" => "your party may not read this object (not on the BL's chain)",
        "NONCE_USED" | "BAD_NONCE" | "NONCE_TOO_HIGH" => "omit --nonce to use your next nonce from the node",
        "PARTY_QUOTA" | "MEMPOOL_FULL" | "RATE_LIMITED" => {
            "the node is busy with your transactions; retry shortly"
        }
        "NO_PROOF_YET" => "the node has not committed a block yet; retry shortly",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebl_client::ebl_ledger::{ErrorCode, Hash, TxId};
    use ebl_client::{TxOutcome, TxState};

    #[test]
    fn outcomes_read_as_sentences() {
        let mut status = TxStatus {
            tx_id: TxId(Hash::ZERO),
            status: TxState::Committed,
            height: Some(9),
            outcome: Some(TxOutcome::Success),
        };
        assert_eq!(
            tx_outcome_line(&status, true),
            (format!("COMMITTED at height 9: SUCCESS (tx {})", Hash::ZERO), true)
        );
        status.outcome = Some(TxOutcome::Refused(ErrorCode::NotPossessor));
        let (line, ok) = tx_outcome_line(&status, true);
        assert!(
            !ok && line.starts_with("REFUSED at height 9: NOT_POSSESSOR: only the BL's possessor"),
            "{line}"
        );
        assert_eq!(tx_json(&status)["explanation"], "only the BL's possessor may do this");
        status.status = TxState::Pending;
        assert!(tx_outcome_line(&status, false).1);
        assert!(!tx_outcome_line(&status, true).1);
    }
}
