//! The trade-finance check a bank can rely on: the verdict computed here, from the record the
//! genesis validators certified, by the ledger's own pure function (`ebl_ledger::finance`), with
//! the checksum of the presented document computed here and the LC terms checked against the
//! ledger's document (the presented one when its checksum is the proven one, else the node's
//! copy, accepted only if its checksum is the proven one). The node's report is kept only as
//! what "the node says"; where it differs from the proof or from this verdict, the node lied.

use ebl_ledger::dcsa::DocumentFacts;
use ebl_ledger::finance::{finance_verdict, FinanceInputs, FinanceVerdict, LcTerms};
use ebl_ledger::{Hash, PartyId};
use serde::{Deserialize, Serialize};

use crate::error::{ClientError, Disagreement, Result};
use crate::trust::VerifiedTitle;
use ebl_api::FinanceReport;

/// A finance check whose verdict this client computed itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckedFinance {
    /// The record as the validators certified it, with the block's height and time.
    pub title: VerifiedTitle,
    /// How old the proof's block was when checked (ms, by this machine's clock).
    pub proof_age_ms: u64,
    /// The verdict computed here.
    pub verdict: FinanceVerdict,
    /// What the node answered; shown, never trusted.
    pub node_says: FinanceReport,
}

/// What the verdict is computed from, besides the proven record.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    /// The bank running the check (the client's key).
    pub bank: &'a PartyId,
    /// The checksum of the document presented, computed here.
    pub checksum: Option<Hash>,
    /// The facts of the ledger's document (checksum = the proven record's), for LC terms.
    pub facts: Option<&'a DocumentFacts>,
    pub lc_terms: Option<&'a LcTerms>,
}

/// Computes the verdict on the proven `title` and compares the node's `report` with it and
/// with the proven record; any difference is [`ClientError::NodeLied`].
pub fn judge(
    report: FinanceReport,
    title: VerifiedTitle,
    proof_age_ms: u64,
    presented: Presented<'_>,
) -> Result<CheckedFinance> {
    let verdict = finance_verdict(&FinanceInputs {
        record: &title.record,
        bank: presented.bank,
        // The lien binds or not at the certified block's time, not at a node's say-so.
        time_ms: title.time_ms,
        presented_checksum: presented.checksum,
        facts: presented.facts,
        lc_terms: presented.lc_terms,
        // The record is under a certified state root, and only an ISSUE (or REISSUE) signed by
        // the issuing carrier creates one: the validators checked that signature.
        carrier_signature_valid: true,
    })
    .map_err(|e| ClientError::Input(e.to_string()))?;
    let disagreements = compare(&report, &title, &verdict, presented.bank);
    if !disagreements.is_empty() {
        return Err(ClientError::NodeLied { bl: title.bl, disagreements });
    }
    Ok(CheckedFinance { title, proof_age_ms, verdict, node_says: report })
}

fn text<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "?".into())
}

/// Every field of the node's report that the proof or the verdict computed here contradicts.
pub fn compare(
    report: &FinanceReport,
    title: &VerifiedTitle,
    verdict: &FinanceVerdict,
    bank: &PartyId,
) -> Vec<Disagreement> {
    let record = &title.record;
    let mut out = Vec::new();
    let mut check = |field: &str, node: String, proof: String| {
        if node != proof {
            out.push(Disagreement { field: field.to_string(), node_says: node, proof_says: proof });
        }
    };
    check("blId", text(&report.bl_id), text(&title.bl));
    check("bank", text(&report.bank), text(bank));
    check("height", text(&report.height), text(&title.height));
    check("status", text(&report.status), text(&record.status));
    check("possessor", text(&report.possessor), text(&record.possessor));
    check("endorsee", text(&report.endorsee), text(&record.endorsee));
    check("passed", text(&report.passed), text(&verdict.passed));
    check(
        "carrierSignatureValid",
        text(&report.carrier_signature_valid),
        text(&verdict.carrier_signature_valid),
    );
    check("checksumMatches", text(&report.checksum_matches), text(&verdict.checksum_matches));
    check("oneLiveOriginal", text(&report.one_live_original), text(&verdict.one_live_original));
    check("lien", text(&report.lien), text(&verdict.lien));
    check("lienStatus", text(&report.lien_status), text(&verdict.lien_status));
    check("terms", text(&report.terms), text(&verdict.terms));
    out
}
