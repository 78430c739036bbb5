//! The DCSA eBL 3.0 TransportDocument as the ledger carries it.
//!
//! An ISSUE carries the document itself, as its RFC 8785 (JCS) canonical text: every node holds
//! the same bytes, the carrier's signature covers them, and the checksum is simply the SHA-256 of
//! that text. In JSON the document appears as the DCSA object; reading it canonicalises it, so a
//! transaction built by one client and relayed as JSON by another keeps its id and signatures.
//!
//! - `schema`: [`check_required_fields`], the check against the DCSA `TransportDocument` schema,
//!   driven by the tables in `schema_tables`;
//! - `facts`: [`DocumentFacts`], what the ledger reads from a document.

use std::fmt;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use thiserror::Error;

use crate::checksum::canonical_json;
use crate::hash::Hash;

mod facts;
mod schema;
mod schema_tables;
#[cfg(test)]
pub(crate) mod test_examples;

pub use facts::DocumentFacts;
pub use schema::{check_required_fields, DOCUMENT_NESTING_MAX};

/// Largest TransportDocument a transaction may carry, in bytes of canonical JSON (a transaction
/// is at most `TX_BYTES_MAX`, 64 KiB).
pub const TRANSPORT_DOCUMENT_BYTES_MAX: usize = 48 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DcsaError {
    #[error("the document is not valid JSON: {0}")]
    Json(String),
    #[error("the document of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error("the document text is not in RFC 8785 canonical form")]
    NotCanonical,
    #[error("the document lacks the required member `{path}`")]
    MissingField { path: String },
    #[error("`{path}` must be of type {expected}")]
    WrongType { path: String, expected: &'static str },
    #[error("`{path}` must have at least {min} item(s)")]
    TooFewItems { path: String, min: usize },
    #[error("`{path}` must have {expected}")]
    Alternatives { path: String, expected: String },
    #[error("`{path}` is nested too deeply")]
    TooDeep { path: String },
    #[error("`{path}` must be {expected}")]
    BadValue { path: String, expected: &'static str },
    #[error("{term} {value:?} is not a date of the form YYYY-MM-DD")]
    BadDate { term: &'static str, value: String },
}

/// A TransportDocument in RFC 8785 canonical form (a JSON object).
#[derive(Clone, PartialEq, Eq, BorshSerialize)]
pub struct TransportDocumentJson(String);

impl TransportDocumentJson {
    /// The canonical form of `document`.
    pub fn from_value(document: &Value) -> Result<Self, DcsaError> {
        let bytes = canonical_json(document).map_err(|e| DcsaError::Json(e.to_string()))?;
        let text = String::from_utf8(bytes).map_err(|e| DcsaError::Json(e.to_string()))?;
        if text.len() > TRANSPORT_DOCUMENT_BYTES_MAX {
            return Err(DcsaError::TooLarge { len: text.len(), max: TRANSPORT_DOCUMENT_BYTES_MAX });
        }
        Ok(TransportDocumentJson(text))
    }

    /// The canonical form of a document given as JSON text (any key order or spacing).
    pub fn parse(json: &str) -> Result<Self, DcsaError> {
        if json.len() > crate::checksum::DOCUMENT_BYTES_MAX {
            return Err(DcsaError::TooLarge { len: json.len(), max: TRANSPORT_DOCUMENT_BYTES_MAX });
        }
        let value: Value = serde_json::from_str(json).map_err(|e| DcsaError::Json(e.to_string()))?;
        Self::from_value(&value)
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The document checksum: SHA-256 of the canonical text.
    pub fn checksum(&self) -> Hash {
        Hash::digest(self.0.as_bytes())
    }

    /// The document as a JSON value.
    pub fn to_value(&self) -> Result<Value, DcsaError> {
        serde_json::from_str(&self.0).map_err(|e| DcsaError::Json(e.to_string()))
    }

    /// Whether the text is canonical, as every document reaching the ledger through serde is;
    /// borsh bytes from a peer are checked with this before they are trusted.
    pub fn is_canonical(&self) -> bool {
        self.to_value().ok().and_then(|v| canonical_json(&v).ok()).is_some_and(|c| c == self.0.as_bytes())
    }
}

impl fmt::Debug for TransportDocumentJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TransportDocumentJson({} bytes, {})", self.0.len(), self.checksum())
    }
}

impl BorshDeserialize for TransportDocumentJson {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        let text = String::deserialize_reader(reader)?;
        if text.len() > TRANSPORT_DOCUMENT_BYTES_MAX {
            return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "document too large"));
        }
        Ok(TransportDocumentJson(text))
    }
}

impl Serialize for TransportDocumentJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = self.to_value().map_err(serde::ser::Error::custom)?;
        value.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for TransportDocumentJson {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if !value.is_object() {
            return Err(serde::de::Error::custom("a TransportDocument must be a JSON object"));
        }
        Self::from_value(&value).map_err(serde::de::Error::custom)
    }
}

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
/// `YYYY-MM-DD` calendar date is an error ([`DcsaError::BadDate`]).
pub fn check_lc_terms(
    terms: &LcTerms,
    facts: &DocumentFacts,
    record: &crate::records::BlRecord,
    bank: &crate::keys::PartyId,
) -> Result<Vec<TermCheck>, DcsaError> {
    let latest = match &terms.latest_shipment_date {
        Some(text) => Some((
            text.as_str(),
            parse_date(text)
                .ok_or_else(|| DcsaError::BadDate { term: "latestShipmentDate", value: text.clone() })?,
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

fn to_order_of_bank(
    required: bool,
    facts: &DocumentFacts,
    record: &crate::records::BlRecord,
    bank: &crate::keys::PartyId,
) -> TermCheck {
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

    use crate::hash::Hash;
    use crate::keys::PartyId;
    use crate::records::{BlId, BlRecord, BlStatus, TransportDocumentType};

    use super::test_examples::regular;

    fn party(n: u8) -> PartyId {
        PartyId([n; 32])
    }

    fn record(is_to_order: bool, endorsee: Option<PartyId>) -> BlRecord {
        BlRecord {
            id: BlId(Hash::ZERO),
            transport_document_reference: "62CD536BA8D34C469AFD".to_string(),
            transport_document_type: TransportDocumentType::Bol,
            is_to_order,
            carrier: party(1),
            document_checksum: Hash::ZERO,
            status: BlStatus::Issued,
            possessor: party(2),
            endorsee,
            endorsee_may_endorse: true,
            shipper: party(2),
            consignee: None,
            agents: Vec::new(),
            transfer_from: None,
            surrender: None,
            surrendered_by: None,
            lien: None,
            replaces: Vec::new(),
            replaced_by: Vec::new(),
            paper_bl_number: None,
            issued_height: 1,
            updated_height: 1,
            history_len: 1,
            history_head: Hash::ZERO,
            possessor_signed: false,
        }
    }

    const BANK: u8 = 9;

    fn regular_facts() -> DocumentFacts {
        DocumentFacts::extract(&regular()).expect("facts")
    }

    fn check(terms: LcTerms, facts: &DocumentFacts, record: &BlRecord) -> Vec<TermCheck> {
        check_lc_terms(&terms, facts, record, &party(BANK)).expect("terms check")
    }

    fn one(terms: LcTerms, facts: &DocumentFacts, record: &BlRecord) -> TermCheck {
        let mut checks = check(terms, facts, record);
        assert_eq!(checks.len(), 1);
        checks.remove(0)
    }

    #[test]
    fn no_terms_no_checks_and_terms_in_order() {
        let facts = regular_facts();
        let record = record(true, Some(party(BANK)));
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
        let met = one(terms(), &facts, &record(true, Some(party(BANK))));
        assert!(met.met, "{met:?}");
        assert!(met.detail.contains(&party(BANK).to_string()), "{met:?}");

        let other = one(terms(), &facts, &record(true, Some(party(3))));
        assert!(!other.met);
        assert!(other.detail.contains(&party(3).to_string()), "{other:?}");
        let blank = one(terms(), &facts, &record(true, None));
        assert!(!blank.met);
        assert!(blank.detail.contains("blank"), "{blank:?}");

        let straight_facts = DocumentFacts { is_to_order: false, ..facts.clone() };
        let straight = one(terms(), &straight_facts, &record(false, None));
        assert!(!straight.met);
        assert!(straight.detail.contains("straight"), "{straight:?}");
        let disagree = one(terms(), &straight_facts, &record(true, Some(party(BANK))));
        assert!(!disagree.met);

        let not_required = LcTerms { to_order_of_bank: Some(false), ..LcTerms::default() };
        assert!(one(not_required.clone(), &straight_facts, &record(false, None)).met);
        assert!(!one(not_required, &facts, &record(true, Some(party(BANK)))).met);
    }

    #[test]
    fn latest_shipment_date() {
        let facts = regular_facts();
        let record = record(true, None);
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
                check_lc_terms(&terms(bad), &facts, &record, &party(BANK)),
                Err(DcsaError::BadDate { term: "latestShipmentDate", value: bad.to_string() }),
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
        let record = record(true, None);
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

    #[test]
    fn json_round_trip_keeps_the_canonical_bytes() {
        let doc = TransportDocumentJson::parse(r#"{ "b": 1.0, "a": {"y": [1, 2], "x": "é"} }"#).expect("doc");
        assert_eq!(doc.as_str(), r#"{"a":{"x":"é","y":[1,2]},"b":1}"#);
        assert!(doc.is_canonical());
        let json = serde_json::to_string(&doc).expect("json");
        let back: TransportDocumentJson = serde_json::from_str(&json).expect("back");
        assert_eq!(back, doc);
        let borsh = crate::encoding::encode(&doc);
        let back: TransportDocumentJson = crate::encoding::decode(&borsh, 1 << 20).expect("borsh");
        assert_eq!(back.checksum(), doc.checksum());
    }

    #[test]
    fn non_canonical_borsh_text_is_detected() {
        let raw = crate::encoding::encode(&"{ \"a\": 1 }".to_string());
        let doc: TransportDocumentJson = crate::encoding::decode(&raw, 1 << 20).expect("decodes");
        assert!(!doc.is_canonical());
        assert!(serde_json::from_str::<TransportDocumentJson>("[1]").is_err());
    }
}
