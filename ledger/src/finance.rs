//! The trade-finance verdict on a BL, as a pure function of its record (DESIGN §1, a bank's
//! job "run trade-finance checks").
//!
//! The node computes it for `POST /v1/bls/{bl}/finance-check`, and a client computes it again
//! from the record it verified itself (the record under a certified state root, the checksum of
//! the document it holds, the LC terms against that document), so a bank never takes a verdict
//! on a node's word: the same function, the same inputs, the same answer — or the node lied.
//! Time is the block time of the header the record is read at; nothing here reads a clock.
//!
//! The letter-of-credit terms ([`LcTerms`], [`check_lc_terms`]) are checked here too, against the
//! facts of the ledger's document: the node's `finance-check` handler and the SDK both take every
//! finance rule from this module, so they cannot disagree.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::dcsa::DocumentFacts;
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
    #[error("bad LC terms: {term} {value:?} is not a date of the form YYYY-MM-DD")]
    BadDate { term: &'static str, value: String },
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
            check_lc_terms(terms, facts, record, inputs.bank)?
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

// ---------------------------------------------------------------------------------------------
// Letter-of-credit terms
// ---------------------------------------------------------------------------------------------

/// Terms of a documentary credit that a bank checks against a BL before financing it. A term
/// left out is not checked.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LcTerms {
    /// `true`: the BL must be to order, endorsed to the checking bank. `false`: it must not be.
    pub to_order_of_bank: Option<bool>,
    /// `YYYY-MM-DD`: the shipment date may not be later.
    pub latest_shipment_date: Option<String>,
    /// UN/LOCODE.
    pub port_of_loading: Option<String>,
    /// UN/LOCODE.
    pub port_of_discharge: Option<String>,
}

/// The outcome of one term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TermCheck {
    /// `toOrderOfBank`, `latestShipmentDate`, `portOfLoading` or `portOfDischarge`.
    pub term: String,
    pub met: bool,
    /// What was found, in a sentence.
    pub detail: String,
}

/// Checks each term given in `terms` against the document's facts and the ledger record, for
/// the bank `bank`. The shipment date is `shippedOnBoardDate`, else `receivedForShipmentDate`;
/// ports are compared as UN/LOCODEs, ignoring case. A `latestShipmentDate` that is not a
/// `YYYY-MM-DD` calendar date is an error ([`FinanceError::BadDate`]).
pub fn check_lc_terms(
    terms: &LcTerms,
    facts: &DocumentFacts,
    record: &BlRecord,
    bank: &PartyId,
) -> Result<Vec<TermCheck>, FinanceError> {
    let latest = match &terms.latest_shipment_date {
        Some(text) => Some((
            text.as_str(),
            parse_date(text)
                .ok_or_else(|| FinanceError::BadDate { term: "latestShipmentDate", value: text.clone() })?,
        )),
        None => None,
    };
    let mut checks = Vec::new();
    if let Some(required) = terms.to_order_of_bank {
        checks.push(to_order_of_bank(required, facts, record, bank));
    }
    if let Some((text, date)) = latest {
        checks.push(latest_shipment_date(text, date, facts));
    }
    if let Some(want) = &terms.port_of_loading {
        checks.push(port("portOfLoading", "port of loading", want, facts.port_of_loading.as_deref()));
    }
    if let Some(want) = &terms.port_of_discharge {
        checks.push(port("portOfDischarge", "port of discharge", want, facts.port_of_discharge.as_deref()));
    }
    Ok(checks)
}

fn to_order_of_bank(required: bool, facts: &DocumentFacts, record: &BlRecord, bank: &PartyId) -> TermCheck {
    let (is, found) = if record.is_to_order != facts.is_to_order {
        (false, "the ledger record and the document disagree on whether the BL is to order".to_string())
    } else if !record.is_to_order {
        let kind =
            if facts.transport_document_type_code == "SWB" { "a sea waybill" } else { "a straight BL" };
        (false, format!("the document is {kind}, not to order"))
    } else {
        match &record.endorsee {
            Some(endorsee) if endorsee == bank => {
                (true, format!("the BL is to the order of the bank {bank}"))
            }
            Some(endorsee) => {
                (false, format!("the BL is to the order of {endorsee}, not of the bank {bank}"))
            }
            None => (false, "the BL is endorsed in blank, not to the order of the bank".to_string()),
        }
    };
    let requirement =
        if required { "the credit requires it to be" } else { "the credit requires it not to be" };
    let detail = if is == required {
        format!("{found}, as the credit requires")
    } else {
        format!("{found}; {requirement} to the order of the bank")
    };
    TermCheck { term: "toOrderOfBank".to_string(), met: is == required, detail }
}

fn latest_shipment_date(latest_text: &str, latest: Date, facts: &DocumentFacts) -> TermCheck {
    let shipped = match (&facts.shipped_on_board_date, &facts.received_for_shipment_date) {
        (Some(date), _) => Some(("shipped on board", date)),
        (None, Some(date)) => Some(("received for shipment", date)),
        (None, None) => None,
    };
    let (met, detail) = match shipped {
        None => (
            false,
            format!(
                "the document has no shipped-on-board or received-for-shipment date \
                 (latest shipment date {latest_text})"
            ),
        ),
        Some((what, text)) => match parse_date(text) {
            None => (false, format!("the document's {what} date {text:?} is not a valid date")),
            Some(date) if date <= latest => (true, format!("{what} {text}, on or before {latest_text}")),
            Some(_) => (false, format!("{what} {text}, after the latest shipment date {latest_text}")),
        },
    };
    TermCheck { term: "latestShipmentDate".to_string(), met, detail }
}

fn port(term: &str, name: &str, want: &str, found: Option<&str>) -> TermCheck {
    let (met, detail) = match found {
        None => {
            (false, format!("the document gives no UN/LOCODE for the {name}; the credit requires {want}"))
        }
        Some(code) if code.eq_ignore_ascii_case(want) => {
            (true, format!("{name} {code}, as the credit requires"))
        }
        Some(code) => (false, format!("{name} {code}; the credit requires {want}")),
    };
    TermCheck { term: term.to_string(), met, detail }
}

/// A calendar date as (year, month, day), ordered chronologically.
type Date = (u16, u8, u8);

/// `YYYY-MM-DD` with a month of 1-12 and a day that exists in that month (Gregorian calendar).
fn parse_date(text: &str) -> Option<Date> {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let number = |from: usize, to: usize| -> Option<u16> {
        bytes
            .get(from..to)?
            .iter()
            .try_fold(0u16, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + u16::from(c - b'0')))
    };
    let year = number(0, 4)?;
    let month = u8::try_from(number(5, 7)?).ok()?;
    let day = u8::try_from(number(8, 10)?).ok()?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&day).then_some((year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dcsa::test_examples::regular;
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

    fn bank() -> PartyId {
        party("bank")
    }

    /// An ISSUED BL, to order (`endorsee`) or straight.
    fn bl(is_to_order: bool, endorsee: Option<PartyId>) -> BlRecord {
        BlRecord { is_to_order, endorsee, ..record(BlStatus::Issued, None) }
    }

    fn regular_facts() -> DocumentFacts {
        DocumentFacts::extract(&regular()).expect("facts")
    }

    fn check(terms: LcTerms, facts: &DocumentFacts, record: &BlRecord) -> Vec<TermCheck> {
        check_lc_terms(&terms, facts, record, &bank()).expect("terms check")
    }

    fn one(terms: LcTerms, facts: &DocumentFacts, record: &BlRecord) -> TermCheck {
        let mut checks = check(terms, facts, record);
        assert_eq!(checks.len(), 1);
        checks.remove(0)
    }

    #[test]
    fn no_terms_no_checks_and_terms_in_order() {
        let facts = regular_facts();
        let record = bl(true, Some(bank()));
        assert!(check(LcTerms::default(), &facts, &record).is_empty());
        let all = LcTerms {
            to_order_of_bank: Some(true),
            latest_shipment_date: Some("2024-01-31".into()),
            port_of_loading: Some("DKAAR".into()),
            port_of_discharge: Some("DEBRV".into()),
        };
        let checks = check(all, &facts, &record);
        let names: Vec<_> = checks.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(names, ["toOrderOfBank", "latestShipmentDate", "portOfLoading", "portOfDischarge"]);
        assert!(checks.iter().all(|c| c.met), "{checks:?}");
        let json: LcTerms =
            serde_json::from_str(r#"{"toOrderOfBank":true,"latestShipmentDate":"2024-01-31"}"#)
                .expect("json");
        assert_eq!(json.to_order_of_bank, Some(true));
        assert!(serde_json::from_str::<LcTerms>(r#"{"toOrderOfTheBank":true}"#).is_err());
    }

    #[test]
    fn to_order_of_bank() {
        let facts = regular_facts();
        let terms = || LcTerms { to_order_of_bank: Some(true), ..LcTerms::default() };
        let met = one(terms(), &facts, &bl(true, Some(bank())));
        assert!(met.met, "{met:?}");
        assert!(met.detail.contains(&bank().to_string()), "{met:?}");

        let other = one(terms(), &facts, &bl(true, Some(party("other"))));
        assert!(!other.met);
        assert!(other.detail.contains(&party("other").to_string()), "{other:?}");
        let blank = one(terms(), &facts, &bl(true, None));
        assert!(!blank.met);
        assert!(blank.detail.contains("blank"), "{blank:?}");

        let straight_facts = DocumentFacts { is_to_order: false, ..facts.clone() };
        let straight = one(terms(), &straight_facts, &bl(false, None));
        assert!(!straight.met);
        assert!(straight.detail.contains("straight"), "{straight:?}");
        let disagree = one(terms(), &straight_facts, &bl(true, Some(bank())));
        assert!(!disagree.met);

        let not_required = LcTerms { to_order_of_bank: Some(false), ..LcTerms::default() };
        assert!(one(not_required.clone(), &straight_facts, &bl(false, None)).met);
        assert!(!one(not_required, &facts, &bl(true, Some(bank()))).met);
    }

    #[test]
    fn latest_shipment_date() {
        let facts = regular_facts();
        let record = bl(true, None);
        let terms =
            |date: &str| LcTerms { latest_shipment_date: Some(date.to_string()), ..LcTerms::default() };

        let on_time = one(terms("2023-12-31"), &facts, &record);
        assert_eq!(
            on_time,
            TermCheck {
                term: "latestShipmentDate".into(),
                met: true,
                detail: "shipped on board 2023-12-20, on or before 2023-12-31".into()
            }
        );
        assert!(one(terms("2023-12-20"), &facts, &record).met);
        let late = one(terms("2023-12-19"), &facts, &record);
        assert!(!late.met);
        assert_eq!(late.detail, "shipped on board 2023-12-20, after the latest shipment date 2023-12-19");

        let received = DocumentFacts {
            shipped_on_board_date: None,
            received_for_shipment_date: Some("2024-02-29".into()),
            ..facts.clone()
        };
        let check = one(terms("2024-03-01"), &received, &record);
        assert!(check.met);
        assert_eq!(check.detail, "received for shipment 2024-02-29, on or before 2024-03-01");
        assert!(!one(terms("2024-02-28"), &received, &record).met);

        let undated = DocumentFacts { shipped_on_board_date: None, ..facts.clone() };
        let check = one(terms("2024-03-01"), &undated, &record);
        assert!(!check.met);
        assert!(check.detail.contains("no shipped-on-board"), "{check:?}");

        let garbled = DocumentFacts { shipped_on_board_date: Some("20/12/2023".into()), ..facts.clone() };
        assert!(!one(terms("2024-03-01"), &garbled, &record).met);

        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-04-31",
            "2024-1-01",
            "24-01-01",
            "2024/01/01",
            "",
            "２０２４-01-01",
            "2024-01-01T00:00:00Z",
            "+024-01-01",
        ] {
            assert_eq!(
                check_lc_terms(&terms(bad), &facts, &record, &bank()),
                Err(FinanceError::BadDate { term: "latestShipmentDate", value: bad.to_string() }),
                "{bad:?}"
            );
        }
        assert!(
            one(
                terms("2000-02-29"),
                &DocumentFacts { shipped_on_board_date: Some("1999-12-31".into()), ..facts },
                &record
            )
            .met
        );
    }

    #[test]
    fn ports_compare_un_locodes_ignoring_case() {
        let facts = regular_facts();
        let record = bl(true, None);
        let loading = |code: &str| LcTerms { port_of_loading: Some(code.to_string()), ..LcTerms::default() };
        let discharge =
            |code: &str| LcTerms { port_of_discharge: Some(code.to_string()), ..LcTerms::default() };

        let check = one(loading("dkaar"), &facts, &record);
        assert!(check.met, "{check:?}");
        assert_eq!(check.term, "portOfLoading");
        let check = one(loading("NLRTM"), &facts, &record);
        assert!(!check.met);
        assert_eq!(check.detail, "port of loading DKAAR; the credit requires NLRTM");

        let check = one(discharge("DEBRV"), &facts, &record);
        assert!(check.met);
        assert_eq!(check.term, "portOfDischarge");
        assert!(!one(discharge("DEHAM"), &facts, &record).met);
        let unnamed = DocumentFacts { port_of_discharge: None, ..facts };
        let check = one(discharge("DEBRV"), &unnamed, &record);
        assert!(!check.met);
        assert!(check.detail.contains("no UN/LOCODE"), "{check:?}");
    }
}
