//! The trade-finance verdict on a BL, as a pure function of its record (DESIGN §1, a bank's
//! job "run trade-finance checks").
//!
//! The node computes it for `POST /v1/bls/{bl}/finance-check`, and a client computes it again
//! from the record it verified itself (the record under a certified state root, the checksum of
//! the document it holds, the LC terms against that document), so a bank never takes a verdict
//! on a node's word: the same function, the same inputs, the same answer — or the node lied.
//! Time is the block time of the header the record is read at; nothing here reads a clock.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::dcsa::{self, DcsaError, DocumentFacts, LcTerms, TermCheck};
use crate::hash::Hash;
use crate::keys::PartyId;
use crate::records::{BlRecord, BlStatus, Lien};

/// Whether the BL carries a binding lien, and whose (the double-financing check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LienStatus {
    None,
    HeldByThisBank,
    HeldByOtherBank,
}

/// What the verdict is computed from.
#[derive(Debug, Clone, Copy)]
pub struct FinanceInputs<'a> {
    /// The BL's record, as the ledger holds it at `time_ms`.
    pub record: &'a BlRecord,
    /// The bank that runs the check.
    pub bank: &'a PartyId,
    /// Block time (ms) of the block whose state holds `record`: decides whether a lien binds.
    pub time_ms: u64,
    /// The checksum of the document presented to the bank, computed by whoever checks (none:
    /// no document presented).
    pub presented_checksum: Option<Hash>,
    /// The facts of the ledger's document (the one whose checksum `record` holds); needed only
    /// when `lc_terms` are given.
    pub facts: Option<&'a DocumentFacts>,
    pub lc_terms: Option<&'a LcTerms>,
    /// The ISSUE that created the record is signed by the issuing carrier.
    pub carrier_signature_valid: bool,
}

/// The verdict: each check, and why it did not pass.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinanceVerdict {
    pub passed: bool,
    pub carrier_signature_valid: bool,
    /// The presented document's checksum is the ledger's (`None`: none presented).
    pub checksum_matches: Option<bool>,
    /// The BL is ISSUED: one live original, not surrendered, voided, switched or pending.
    pub one_live_original: bool,
    /// The lien that binds at `time_ms`, if any.
    pub lien: Option<Lien>,
    pub lien_status: LienStatus,
    pub terms: Vec<TermCheck>,
    /// Why it did not pass, one sentence each.
    pub failures: Vec<String>,
}

/// Why no verdict can be given.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FinanceError {
    #[error("bad LC terms: {0}")]
    BadLcTerms(#[from] DcsaError),
    #[error("LC terms are checked against the ledger's document, and its facts were not given")]
    NoDocumentFacts,
}

/// The finance verdict on `inputs.record` for `inputs.bank`.
pub fn finance_verdict(inputs: &FinanceInputs<'_>) -> Result<FinanceVerdict, FinanceError> {
    let record = inputs.record;
    let checksum_matches = inputs.presented_checksum.map(|c| c == record.document_checksum);
    // MLETR singularity: only an ISSUED record is the one live original.
    let one_live_original = record.status == BlStatus::Issued;
    let lien = record.active_lien(inputs.time_ms).cloned();
    let lien_status = match &lien {
        None => LienStatus::None,
        Some(l) if l.bank == *inputs.bank => LienStatus::HeldByThisBank,
        Some(_) => LienStatus::HeldByOtherBank,
    };
    let terms = match inputs.lc_terms {
        None => Vec::new(),
        Some(terms) => {
            let facts = inputs.facts.ok_or(FinanceError::NoDocumentFacts)?;
            dcsa::check_lc_terms(terms, facts, record, inputs.bank)?
        }
    };
    let mut failures = Vec::new();
    if !inputs.carrier_signature_valid {
        failures.push("the ISSUE transaction is not validly signed by the issuing carrier".to_string());
    }
    if checksum_matches == Some(false) {
        failures.push("the presented document is not the one on the ledger (checksum differs)".to_string());
    }
    if !one_live_original {
        failures
            .push(format!("the BL is {:?}, not ISSUED: there is no live original to finance", record.status));
    }
    if lien_status == LienStatus::HeldByOtherBank {
        failures.push("another bank holds an active lien on this BL (double financing)".to_string());
    }
    failures.extend(terms.iter().filter(|t| !t.met).map(|t| format!("LC term {}: {}", t.term, t.detail)));
    Ok(FinanceVerdict {
        passed: failures.is_empty(),
        carrier_signature_valid: inputs.carrier_signature_valid,
        checksum_matches,
        one_live_original,
        lien,
        lien_status,
        terms,
        failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keypair;
    use crate::records::{BlId, TransportDocumentType};

    fn party(name: &str) -> PartyId {
        Keypair::for_test(name).party()
    }

    fn record(status: BlStatus, lien: Option<Lien>) -> BlRecord {
        let carrier = party("carrier");
        BlRecord {
            id: BlId::new(&carrier, "REF1"),
            transport_document_reference: "REF1".into(),
            transport_document_type: TransportDocumentType::Bol,
            is_to_order: true,
            carrier,
            document_checksum: Hash::digest(b"doc"),
            status,
            possessor: party("bank"),
            endorsee: Some(party("bank")),
            endorsee_may_endorse: true,
            shipper: party("shipper"),
            consignee: None,
            agents: Vec::new(),
            transfer_from: None,
            surrender: None,
            surrendered_by: None,
            lien,
            replaces: Vec::new(),
            replaced_by: Vec::new(),
            paper_bl_number: None,
            issued_height: 1,
            updated_height: 2,
            history_len: 2,
            history_head: Hash::ZERO,
            possessor_signed: false,
        }
    }

    fn lien(bank: &str, expires_at_ms: u64) -> Lien {
        Lien {
            bank: party(bank),
            amount_minor: 100,
            currency: "USD".into(),
            expires_at_ms,
            finance_reference: "LC".into(),
            created_height: 2,
        }
    }

    fn inputs<'a>(record: &'a BlRecord, bank: &'a PartyId, presented: Option<Hash>) -> FinanceInputs<'a> {
        FinanceInputs {
            record,
            bank,
            time_ms: 1_000,
            presented_checksum: presented,
            facts: None,
            lc_terms: None,
            carrier_signature_valid: true,
        }
    }

    #[test]
    fn a_live_unpledged_bl_with_its_own_document_passes() {
        let (r, bank) = (record(BlStatus::Issued, None), party("bank"));
        let v = finance_verdict(&inputs(&r, &bank, Some(Hash::digest(b"doc")))).expect("verdict");
        assert!(v.passed, "{v:?}");
        assert_eq!((v.checksum_matches, v.lien_status), (Some(true), LienStatus::None));
    }

    #[test]
    fn each_failure_is_named() {
        let bank = party("bank");
        let surrendered = record(BlStatus::SurrenderedForDelivery, None);
        let v = finance_verdict(&inputs(&surrendered, &bank, None)).expect("verdict");
        assert!(!v.passed && !v.one_live_original, "{v:?}");
        let other = record(BlStatus::Issued, Some(lien("bank2", 2_000)));
        let v = finance_verdict(&inputs(&other, &bank, Some(Hash::digest(b"forged")))).expect("verdict");
        assert_eq!((v.lien_status, v.checksum_matches), (LienStatus::HeldByOtherBank, Some(false)));
        assert_eq!(v.failures.len(), 2, "{v:?}");
        // A lien that expired by the block time no longer binds.
        let expired = record(BlStatus::Issued, Some(lien("bank2", 1_000)));
        let v = finance_verdict(&inputs(&expired, &bank, None)).expect("verdict");
        assert_eq!((v.passed, v.lien_status, v.lien), (true, LienStatus::None, None));
        let own = record(BlStatus::Issued, Some(lien("bank", 2_000)));
        assert_eq!(
            finance_verdict(&inputs(&own, &bank, None)).expect("verdict").lien_status,
            LienStatus::HeldByThisBank
        );
    }

    #[test]
    fn lc_terms_need_the_documents_facts() {
        let (r, bank) = (record(BlStatus::Issued, None), party("bank"));
        let terms = LcTerms { to_order_of_bank: Some(true), ..LcTerms::default() };
        let mut i = inputs(&r, &bank, None);
        i.lc_terms = Some(&terms);
        assert_eq!(finance_verdict(&i), Err(FinanceError::NoDocumentFacts));
    }
}
