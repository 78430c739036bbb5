//! The DCSA eBL 3.0 TransportDocument as the ledger carries it.
//!
//! An ISSUE carries the document itself, as its RFC 8785 (JCS) canonical text: every node holds
//! the same bytes, the carrier's signature covers them, and the checksum is simply the SHA-256 of
//! that text. In JSON the document appears as the DCSA object; reading it canonicalises it, so a
//! transaction built by one client and relayed as JSON by another keeps its id and signatures.

use std::collections::BTreeSet;
use std::fmt;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use thiserror::Error;

use crate::checksum::canonical_json;
use crate::hash::Hash;

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

// ---------------------------------------------------------------------------------------------
// Required fields
// ---------------------------------------------------------------------------------------------

/// How deep (in JSON path segments) the check follows a document; only `innerPackagings` nests
/// without a bound in the schema, and no real document comes near this.
pub const DOCUMENT_NESTING_MAX: usize = 64;

/// Checks `document` against the DCSA eBL 3.0.4 `TransportDocument` schema
/// (`EBL_v3.0.4.yaml`, `components/schemas/TransportDocument` and every schema it references):
/// every member a `required:` list names is present, every member the schema defines has its
/// JSON type (`null` is no type the schema allows), the arrays the schema says have `minItems: 1`
/// are not empty, and the `oneOf`/`anyOf` alternatives (e.g. `invoicePayableAt` is a UN/LOCODE
/// or free text) hold. Members the schema does not define are let through, as are formats,
/// patterns, lengths, enumerations and the conditions the specification states in prose.
///
/// Members are checked in the schema's order and the first problem is returned, with its path
/// (`documentParties.shipper.partyName`, `consignmentItems[0].cargoItems[0].equipmentReference`).
pub fn check_required_fields(document: &Value) -> Result<(), DcsaError> {
    check_value(document, Ty::Object(&TRANSPORT_DOCUMENT), &Path::Root)
}

/// A JSON type the schema allows for a member.
#[derive(Clone, Copy)]
enum Ty {
    String,
    Boolean,
    /// A number without a fractional part.
    Integer,
    Number,
    Object(&'static Schema),
    /// An array of strings with at least this many items.
    Strings(usize),
    /// An array of objects with at least this many items.
    Objects(&'static Schema, usize),
}

/// A member of an object schema.
struct Member {
    name: &'static str,
    ty: Ty,
    required: bool,
}

/// `oneOf` (exclusive) or `anyOf` alternatives, each requiring one member.
struct Alternatives {
    exclusive: bool,
    members: &'static [&'static str],
}

/// An object schema: its members in the specification's order.
struct Schema {
    members: &'static [Member],
    alternatives: Option<Alternatives>,
}

const fn req(name: &'static str, ty: Ty) -> Member {
    Member { name, ty, required: true }
}

const fn opt(name: &'static str, ty: Ty) -> Member {
    Member { name, ty, required: false }
}

/// A JSON path, built on the stack while walking and rendered only for an error.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Member(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn depth(&self) -> usize {
        let mut depth = 0;
        let mut at = self;
        loop {
            match at {
                Path::Root => return depth,
                Path::Member(parent, _) | Path::Index(parent, _) => {
                    depth += 1;
                    at = parent;
                }
            }
        }
    }

    /// `a.b[0].c`; the document itself is `$`.
    fn render(&self) -> String {
        let mut segments = Vec::new();
        let mut at = self;
        while let Path::Member(parent, _) | Path::Index(parent, _) = at {
            segments.push(at);
            at = parent;
        }
        if segments.is_empty() {
            return "$".to_string();
        }
        let mut out = String::new();
        for segment in segments.iter().rev() {
            match segment {
                Path::Member(_, name) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(name);
                }
                Path::Index(_, index) => {
                    out.push('[');
                    out.push_str(&index.to_string());
                    out.push(']');
                }
                Path::Root => {}
            }
        }
        out
    }
}

fn wrong_type(path: &Path<'_>, expected: &'static str) -> DcsaError {
    DcsaError::WrongType { path: path.render(), expected }
}

fn is_integer(value: &Value) -> bool {
    value.is_i64()
        || value.is_u64()
        || value.as_f64().is_some_and(|f| f.is_finite() && f.trunc().to_bits() == f.to_bits())
}

fn check_value(value: &Value, ty: Ty, path: &Path<'_>) -> Result<(), DcsaError> {
    let ok = match ty {
        Ty::String => value.is_string(),
        Ty::Boolean => value.is_boolean(),
        Ty::Integer => is_integer(value),
        Ty::Number => value.is_number(),
        Ty::Object(schema) => {
            let object = value.as_object().ok_or_else(|| wrong_type(path, "object"))?;
            return check_object(object, schema, path);
        }
        Ty::Strings(min_items) => {
            let items = check_array(value, min_items, path)?;
            for (index, item) in items.iter().enumerate() {
                if !item.is_string() {
                    return Err(wrong_type(&Path::Index(path, index), "string"));
                }
            }
            return Ok(());
        }
        Ty::Objects(schema, min_items) => {
            let items = check_array(value, min_items, path)?;
            for (index, item) in items.iter().enumerate() {
                check_value(item, Ty::Object(schema), &Path::Index(path, index))?;
            }
            return Ok(());
        }
    };
    let expected = match ty {
        Ty::String => "string",
        Ty::Boolean => "boolean",
        Ty::Integer => "integer",
        _ => "number",
    };
    if ok {
        Ok(())
    } else {
        Err(wrong_type(path, expected))
    }
}

fn check_array<'v>(value: &'v Value, min_items: usize, path: &Path<'_>) -> Result<&'v [Value], DcsaError> {
    let items = value.as_array().ok_or_else(|| wrong_type(path, "array"))?;
    if items.len() < min_items {
        return Err(DcsaError::TooFewItems { path: path.render(), min: min_items });
    }
    Ok(items)
}

fn check_object(
    object: &serde_json::Map<String, Value>,
    schema: &Schema,
    path: &Path<'_>,
) -> Result<(), DcsaError> {
    if path.depth() > DOCUMENT_NESTING_MAX {
        return Err(DcsaError::TooDeep { path: path.render() });
    }
    for member in schema.members {
        let at = Path::Member(path, member.name);
        match object.get(member.name) {
            Some(value) => check_value(value, member.ty, &at)?,
            None if member.required => return Err(DcsaError::MissingField { path: at.render() }),
            None => {}
        }
    }
    if let Some(alternatives) = &schema.alternatives {
        let present = alternatives.members.iter().filter(|name| object.contains_key(**name)).count();
        if present == 0 || (alternatives.exclusive && present > 1) {
            let quantifier = if alternatives.exclusive { "exactly one" } else { "at least one" };
            return Err(DcsaError::Alternatives {
                path: path.render(),
                expected: format!("{quantifier} of {}", alternatives.members.join(", ")),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

/// What the ledger and its users read from a TransportDocument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentFacts {
    pub transport_document_reference: String,
    /// `BOL` or `SWB`.
    pub transport_document_type_code: String,
    pub is_to_order: bool,
    /// `utilizedTransportEquipments[].equipment.equipmentReference`, in document order, each once.
    pub equipment_references: Vec<String>,
    /// `transports.portOfLoading.UNLocationCode` (a port may instead be given as a city).
    pub port_of_loading: Option<String>,
    /// `transports.portOfDischarge.UNLocationCode`.
    pub port_of_discharge: Option<String>,
    pub shipped_on_board_date: Option<String>,
    pub received_for_shipment_date: Option<String>,
    pub issue_date: Option<String>,
    pub carrier_code: Option<String>,
}

impl DocumentFacts {
    /// Reads the facts. The members read must have their schema types; the reference, the type
    /// code (`BOL` or `SWB`) and `isToOrder` must be present. This does not check the rest of
    /// the document: [`check_required_fields`] does.
    pub fn extract(document: &Value) -> Result<Self, DcsaError> {
        let root = Path::Root;
        let doc = document.as_object().ok_or_else(|| wrong_type(&root, "object"))?;
        let transport_document_reference = required(doc, &root, "transportDocumentReference", string)?;
        let transport_document_type_code = required(doc, &root, "transportDocumentTypeCode", string)?;
        if transport_document_type_code != "BOL" && transport_document_type_code != "SWB" {
            return Err(DcsaError::BadValue {
                path: "transportDocumentTypeCode".to_string(),
                expected: "BOL or SWB",
            });
        }
        let is_to_order = required(doc, &root, "isToOrder", boolean)?;

        let mut equipment_references = Vec::new();
        let mut seen = BTreeSet::new();
        let at = Path::Member(&root, "utilizedTransportEquipments");
        if let Some(value) = doc.get("utilizedTransportEquipments") {
            let items = value.as_array().ok_or_else(|| wrong_type(&at, "array"))?;
            for (index, item) in items.iter().enumerate() {
                let at = Path::Index(&at, index);
                let item = item.as_object().ok_or_else(|| wrong_type(&at, "object"))?;
                let equipment = required(item, &at, "equipment", object)?;
                let at = Path::Member(&at, "equipment");
                let reference = required(equipment, &at, "equipmentReference", string)?;
                if seen.insert(reference.clone()) {
                    equipment_references.push(reference);
                }
            }
        }

        let transports = optional(doc, &root, "transports", object)?;
        let at = Path::Member(&root, "transports");
        let port = |name: &str| -> Result<Option<String>, DcsaError> {
            let Some(transports) = transports else { return Ok(None) };
            let Some(port) = optional(transports, &at, name, object)? else { return Ok(None) };
            optional(port, &Path::Member(&at, name), "UNLocationCode", string)
        };

        Ok(DocumentFacts {
            transport_document_reference,
            transport_document_type_code,
            is_to_order,
            equipment_references,
            port_of_loading: port("portOfLoading")?,
            port_of_discharge: port("portOfDischarge")?,
            shipped_on_board_date: optional(doc, &root, "shippedOnBoardDate", string)?,
            received_for_shipment_date: optional(doc, &root, "receivedForShipmentDate", string)?,
            issue_date: optional(doc, &root, "issueDate", string)?,
            carrier_code: optional(doc, &root, "carrierCode", string)?,
        })
    }
}

type Object = serde_json::Map<String, Value>;

/// Reads a JSON value as one type: `Err` names that type.
type Reader<'v, T> = fn(&'v Value) -> Result<T, &'static str>;

fn string(value: &Value) -> Result<String, &'static str> {
    value.as_str().map(str::to_string).ok_or("string")
}

fn boolean(value: &Value) -> Result<bool, &'static str> {
    value.as_bool().ok_or("boolean")
}

fn object(value: &Value) -> Result<&Object, &'static str> {
    value.as_object().ok_or("object")
}

fn optional<'v, T>(
    object: &'v Object,
    path: &Path<'_>,
    name: &str,
    read: Reader<'v, T>,
) -> Result<Option<T>, DcsaError> {
    match object.get(name) {
        None => Ok(None),
        Some(value) => {
            read(value).map(Some).map_err(|expected| wrong_type(&Path::Member(path, name), expected))
        }
    }
}

fn required<'v, T>(
    object: &'v Object,
    path: &Path<'_>,
    name: &str,
    read: Reader<'v, T>,
) -> Result<T, DcsaError> {
    optional(object, path, name, read)?
        .ok_or_else(|| DcsaError::MissingField { path: Path::Member(path, name).render() })
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

// ---------------------------------------------------------------------------------------------
// The schema tables, transcribed from `EBL_v3.0.4.yaml` (`components/schemas`): for each schema
// reachable from `TransportDocument`, its `properties` in order with their types, `required`
// marked `req`, and `minItems: 1` as the array minimum. Schemas with identical members share
// one table. The same schemas in `EBL_ISS_v3.0.4.yaml` and `EBL_PINT_v3.0.0.yaml` differ from
// these only in their descriptions (and in not defining `feedbacks`).
// ---------------------------------------------------------------------------------------------

/// `TransportDocument`.
static TRANSPORT_DOCUMENT: Schema = Schema {
    members: &[
        req("transportDocumentReference", Ty::String),
        opt("transportDocumentSubReference", Ty::String),
        opt("shippingInstructionsReference", Ty::String),
        req("transportDocumentStatus", Ty::String),
        req("transportDocumentTypeCode", Ty::String),
        req("isShippedOnBoardType", Ty::Boolean),
        opt("freightPaymentTermCode", Ty::String),
        req("isElectronic", Ty::Boolean),
        req("isToOrder", Ty::Boolean),
        opt("numberOfCopiesWithCharges", Ty::Integer),
        opt("numberOfCopiesWithoutCharges", Ty::Integer),
        opt("numberOfOriginalsWithCharges", Ty::Integer),
        opt("numberOfOriginalsWithoutCharges", Ty::Integer),
        opt("displayedNameForPlaceOfReceipt", Ty::Strings(0)),
        opt("displayedNameForPortOfLoad", Ty::Strings(0)),
        opt("displayedNameForPortOfDischarge", Ty::Strings(0)),
        opt("displayedNameForPlaceOfDelivery", Ty::Strings(0)),
        opt("shippedOnBoardDate", Ty::String),
        opt("displayedShippedOnBoardReceivedForShipment", Ty::String),
        req("termsAndConditions", Ty::String),
        req("receiptTypeAtOrigin", Ty::String),
        req("deliveryTypeAtDestination", Ty::String),
        req("cargoMovementTypeAtOrigin", Ty::String),
        req("cargoMovementTypeAtDestination", Ty::String),
        opt("issueDate", Ty::String),
        opt("receivedForShipmentDate", Ty::String),
        opt("serviceContractReference", Ty::String),
        opt("contractQuotationReference", Ty::String),
        opt("extendedContractQuotationReference", Ty::String),
        opt("declaredValue", Ty::Number),
        opt("declaredValueCurrency", Ty::String),
        req("carrierCode", Ty::String),
        req("carrierCodeListProvider", Ty::String),
        opt("carrierClauses", Ty::Strings(0)),
        opt("numberOfRiderPages", Ty::Integer),
        req("transports", Ty::Object(&TRANSPORTS)),
        opt("charges", Ty::Objects(&CHARGE, 0)),
        opt("placeOfIssue", Ty::Object(&PLACE_OF_ISSUE)),
        req("invoicePayableAt", Ty::Object(&INVOICE_PAYABLE_AT)),
        req("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 1)),
        req("documentParties", Ty::Object(&DOCUMENT_PARTIES)),
        req("consignmentItems", Ty::Objects(&CONSIGNMENT_ITEM, 1)),
        req("utilizedTransportEquipments", Ty::Objects(&UTILIZED_TRANSPORT_EQUIPMENT, 1)),
        opt("exportLicense", Ty::Object(&LICENSE)),
        opt("importLicense", Ty::Object(&LICENSE)),
        opt("references", Ty::Objects(&REFERENCE, 0)),
        opt("customsReferences", Ty::Objects(&CUSTOMS_REFERENCE, 0)),
        opt("feedbacks", Ty::Objects(&FEEDBACK, 0)),
    ],
    alternatives: None,
};

/// `Transports`.
static TRANSPORTS: Schema = Schema {
    members: &[
        req("plannedArrivalDate", Ty::String),
        req("plannedDepartureDate", Ty::String),
        opt("preCarriageBy", Ty::String),
        opt("onCarriageBy", Ty::String),
        opt("placeOfReceipt", Ty::Object(&PLACE)),
        req("portOfLoading", Ty::Object(&PORT)),
        req("portOfDischarge", Ty::Object(&PORT)),
        opt("placeOfDelivery", Ty::Object(&PLACE)),
        opt("onwardInlandRouting", Ty::Object(&ONWARD_INLAND_ROUTING)),
        req("vesselVoyages", Ty::Objects(&VESSEL_VOYAGE, 1)),
    ],
    alternatives: None,
};

/// `PlaceOfReceipt`, `PlaceOfDelivery`.
static PLACE: Schema = Schema {
    members: &[
        opt("locationName", Ty::String),
        opt("facilityName", Ty::String),
        opt("address", Ty::Object(&ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("facility", Ty::Object(&FACILITY)),
        opt("UNLocationCode", Ty::String),
        opt("geoCoordinate", Ty::Object(&GEO_COORDINATE)),
    ],
    alternatives: None,
};

/// `Address`.
static ADDRESS: Schema = Schema {
    members: &[
        req("street", Ty::String),
        opt("streetNumber", Ty::String),
        opt("floor", Ty::String),
        opt("postCode", Ty::String),
        opt("POBox", Ty::String),
        req("city", Ty::String),
        opt("stateRegion", Ty::String),
        req("countryCode", Ty::String),
    ],
    alternatives: None,
};

/// `Facility`.
static FACILITY: Schema = Schema {
    members: &[req("facilityCode", Ty::String), req("facilityCodeListProvider", Ty::String)],
    alternatives: None,
};

/// `GeoCoordinate`.
static GEO_COORDINATE: Schema =
    Schema { members: &[req("latitude", Ty::String), req("longitude", Ty::String)], alternatives: None };

/// `PortOfLoading`, `PortOfDischarge`.
static PORT: Schema = Schema {
    members: &[
        opt("locationName", Ty::String),
        opt("city", Ty::Object(&CITY)),
        opt("UNLocationCode", Ty::String),
    ],
    alternatives: None,
};

/// `City`.
static CITY: Schema = Schema {
    members: &[req("city", Ty::String), opt("stateRegion", Ty::String), req("countryCode", Ty::String)],
    alternatives: None,
};

/// `OnwardInlandRouting`.
static ONWARD_INLAND_ROUTING: Schema = Schema {
    members: &[
        opt("locationName", Ty::String),
        opt("facilityName", Ty::String),
        opt("address", Ty::Object(&ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("facility", Ty::Object(&FACILITY)),
        opt("UNLocationCode", Ty::String),
    ],
    alternatives: None,
};

/// `VesselVoyage`.
static VESSEL_VOYAGE: Schema = Schema {
    members: &[
        req("vesselName", Ty::String),
        req("carrierExportVoyageNumber", Ty::String),
        opt("universalExportVoyageReference", Ty::String),
        opt("role", Ty::String),
    ],
    alternatives: None,
};

/// `Charge`.
static CHARGE: Schema = Schema {
    members: &[
        req("chargeName", Ty::String),
        opt("extendedChargeName", Ty::String),
        req("currencyAmount", Ty::Number),
        req("currencyCode", Ty::String),
        req("paymentTermCode", Ty::String),
        req("calculationBasis", Ty::String),
        req("unitPrice", Ty::Number),
        req("quantity", Ty::Number),
    ],
    alternatives: None,
};

/// `PlaceOfIssue`.
static PLACE_OF_ISSUE: Schema = Schema {
    members: &[
        opt("locationName", Ty::String),
        opt("UNLocationCode", Ty::String),
        opt("countryCode", Ty::String),
    ],
    alternatives: Some(Alternatives { exclusive: true, members: &["UNLocationCode", "countryCode"] }),
};

/// `InvoicePayableAt`.
static INVOICE_PAYABLE_AT: Schema = Schema {
    members: &[opt("UNLocationCode", Ty::String), opt("freeText", Ty::String)],
    alternatives: Some(Alternatives { exclusive: true, members: &["UNLocationCode", "freeText"] }),
};

/// `PartyContactDetail`.
static PARTY_CONTACT_DETAIL: Schema = Schema {
    members: &[req("name", Ty::String), opt("phone", Ty::String), opt("email", Ty::String)],
    alternatives: Some(Alternatives { exclusive: false, members: &["phone", "email"] }),
};

/// `DocumentParties`.
static DOCUMENT_PARTIES: Schema = Schema {
    members: &[
        req("shipper", Ty::Object(&SHIPPER)),
        opt("onBehalfOfShipper", Ty::Object(&ON_BEHALF_OF_SHIPPER)),
        opt("consignee", Ty::Object(&CONSIGNEE)),
        opt("onBehalfOfConsignee", Ty::Object(&ON_BEHALF_OF_CONSIGNEE)),
        opt("endorsee", Ty::Object(&ENDORSEE)),
        req("issuingParty", Ty::Object(&ISSUING_PARTY)),
        opt("carriersAgentAtDestination", Ty::Object(&CARRIERS_AGENT_AT_DESTINATION)),
        opt("notifyParties", Ty::Objects(&NOTIFY_PARTY, 0)),
        opt("other", Ty::Objects(&OTHER_DOCUMENT_PARTY, 0)),
    ],
    alternatives: None,
};

/// `Shipper`.
static SHIPPER: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        opt("eblPlatform", Ty::String),
        opt("typeOfPerson", Ty::String),
        opt("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("displayedAddress", Ty::Strings(0)),
        opt("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 0)),
        opt("taxLegalReferences", Ty::Objects(&TAX_LEGAL_REFERENCE, 0)),
        opt("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 0)),
        opt("reference", Ty::String),
        opt("purchaseOrderReferences", Ty::Strings(0)),
    ],
    alternatives: None,
};

/// `PartyAddress`.
static PARTY_ADDRESS: Schema = Schema {
    members: &[
        req("street", Ty::String),
        opt("streetNumber", Ty::String),
        opt("floor", Ty::String),
        opt("postCode", Ty::String),
        opt("POBox", Ty::String),
        req("city", Ty::String),
        opt("UNLocationCode", Ty::String),
        opt("stateRegion", Ty::String),
        req("countryCode", Ty::String),
    ],
    alternatives: None,
};

/// `IdentifyingCode`.
static IDENTIFYING_CODE: Schema = Schema {
    members: &[
        req("codeListProvider", Ty::String),
        req("partyCode", Ty::String),
        opt("codeListName", Ty::String),
    ],
    alternatives: None,
};

/// `TaxLegalReference`.
static TAX_LEGAL_REFERENCE: Schema = Schema {
    members: &[req("type", Ty::String), req("countryCode", Ty::String), req("value", Ty::String)],
    alternatives: None,
};

/// `OnBehalfOfShipper`.
static ON_BEHALF_OF_SHIPPER: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        opt("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 0)),
    ],
    alternatives: None,
};

/// `Consignee`.
static CONSIGNEE: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        opt("eblPlatform", Ty::String),
        opt("typeOfPerson", Ty::String),
        opt("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("displayedAddress", Ty::Strings(0)),
        req("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 1)),
        opt("taxLegalReferences", Ty::Objects(&TAX_LEGAL_REFERENCE, 0)),
        opt("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 0)),
        opt("reference", Ty::String),
        opt("purchaseOrderReferences", Ty::Strings(0)),
        opt("isNotifyParty", Ty::Boolean),
    ],
    alternatives: None,
};

/// `OnBehalfOfConsignee`.
static ON_BEHALF_OF_CONSIGNEE: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        opt("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 1)),
    ],
    alternatives: None,
};

/// `Endorsee`.
static ENDORSEE: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        opt("eblPlatform", Ty::String),
        opt("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("displayedAddress", Ty::Strings(0)),
        req("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 1)),
        opt("taxLegalReferences", Ty::Objects(&TAX_LEGAL_REFERENCE, 0)),
        opt("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 0)),
        opt("isNotifyParty", Ty::Boolean),
    ],
    alternatives: None,
};

/// `IssuingParty`.
static ISSUING_PARTY: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        req("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 0)),
        opt("taxLegalReferences", Ty::Objects(&TAX_LEGAL_REFERENCE, 0)),
        opt("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 0)),
    ],
    alternatives: None,
};

/// `CarriersAgentAtDestination`.
static CARRIERS_AGENT_AT_DESTINATION: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        req("address", Ty::Object(&ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        req("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 0)),
    ],
    alternatives: None,
};

/// `NotifyParty`.
static NOTIFY_PARTY: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        opt("typeOfPerson", Ty::String),
        opt("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("displayedAddress", Ty::Strings(0)),
        opt("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 0)),
        opt("taxLegalReferences", Ty::Objects(&TAX_LEGAL_REFERENCE, 0)),
        opt("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 0)),
        opt("reference", Ty::String),
    ],
    alternatives: None,
};

/// `OtherDocumentParty`.
static OTHER_DOCUMENT_PARTY: Schema = Schema {
    members: &[req("party", Ty::Object(&PARTY)), req("partyFunction", Ty::String)],
    alternatives: None,
};

/// `Party`.
static PARTY: Schema = Schema {
    members: &[
        req("partyName", Ty::String),
        opt("address", Ty::Object(&PARTY_ADDRESS)),
        opt("addressLines", Ty::Strings(0)),
        opt("identifyingCodes", Ty::Objects(&IDENTIFYING_CODE, 0)),
        opt("taxLegalReferences", Ty::Objects(&TAX_LEGAL_REFERENCE, 0)),
        opt("partyContactDetails", Ty::Objects(&PARTY_CONTACT_DETAIL, 0)),
        opt("reference", Ty::String),
    ],
    alternatives: None,
};

/// `ConsignmentItem`.
static CONSIGNMENT_ITEM: Schema = Schema {
    members: &[
        req("carrierBookingReference", Ty::String),
        req("descriptionOfGoods", Ty::Strings(0)),
        req("HSCodes", Ty::Strings(1)),
        opt("extendedHSCodes", Ty::Strings(0)),
        opt("nationalCommodityCodes", Ty::Objects(&NATIONAL_COMMODITY_CODE, 0)),
        opt("extendedNationalCommodityCodes", Ty::Objects(&NATIONAL_COMMODITY_CODE, 0)),
        opt("shippingMarks", Ty::Strings(0)),
        req("cargoItems", Ty::Objects(&CARGO_ITEM, 1)),
        opt("exportLicense", Ty::Object(&LICENSE)),
        opt("importLicense", Ty::Object(&LICENSE)),
        opt("references", Ty::Objects(&REFERENCE_CONSIGNMENT_ITEM, 0)),
        opt("customsReferences", Ty::Objects(&CUSTOMS_REFERENCE, 0)),
    ],
    alternatives: None,
};

/// `NationalCommodityCode`, `ExtendedNationalCommodityCode`.
static NATIONAL_COMMODITY_CODE: Schema = Schema {
    members: &[req("type", Ty::String), opt("countryCode", Ty::String), req("values", Ty::Strings(1))],
    alternatives: None,
};

/// `CargoItem`.
static CARGO_ITEM: Schema = Schema {
    members: &[
        req("equipmentReference", Ty::String),
        req("cargoGrossWeight", Ty::Object(&MEASURE)),
        opt("cargoGrossVolume", Ty::Object(&MEASURE)),
        opt("cargoNetWeight", Ty::Object(&MEASURE)),
        opt("cargoNetVolume", Ty::Object(&MEASURE)),
        opt("exportLicense", Ty::Object(&LICENSE)),
        opt("importLicense", Ty::Object(&LICENSE)),
        req("outerPackaging", Ty::Object(&OUTER_PACKAGING)),
        opt("nationalCommodityCodes", Ty::Objects(&NATIONAL_COMMODITY_CODE, 0)),
        opt("extendedNationalCommodityCodes", Ty::Objects(&NATIONAL_COMMODITY_CODE, 0)),
        opt("customsReferences", Ty::Objects(&CUSTOMS_REFERENCE, 0)),
    ],
    alternatives: None,
};

/// `CargoGrossWeight`, `CargoGrossVolume`, `CargoNetWeight`, `CargoNetVolume`, `GrossWeight`,
/// `NetWeight`, `NetExplosiveContent`, `NetVolume`, `TareWeight`.
static MEASURE: Schema =
    Schema { members: &[req("value", Ty::Number), req("unit", Ty::String)], alternatives: None };

/// `ExportLicense`, `ImportLicense`.
static LICENSE: Schema = Schema {
    members: &[
        opt("isRequired", Ty::Boolean),
        opt("reference", Ty::String),
        opt("issueDate", Ty::String),
        opt("expiryDate", Ty::String),
    ],
    alternatives: None,
};

/// `OuterPackaging`.
static OUTER_PACKAGING: Schema = Schema {
    members: &[
        opt("packageCode", Ty::String),
        opt("imoPackagingCode", Ty::String),
        req("numberOfPackages", Ty::Integer),
        req("description", Ty::String),
        opt("woodDeclaration", Ty::String),
        opt("dangerousGoods", Ty::Objects(&DANGEROUS_GOODS, 0)),
    ],
    alternatives: None,
};

/// `DangerousGoods`.
static DANGEROUS_GOODS: Schema = Schema {
    members: &[
        opt("codedVariantList", Ty::String),
        req("properShippingName", Ty::String),
        opt("technicalName", Ty::String),
        req("imoClass", Ty::String),
        opt("subsidiaryRisk1", Ty::String),
        opt("subsidiaryRisk2", Ty::String),
        opt("isMarinePollutant", Ty::Boolean),
        opt("packingGroup", Ty::Integer),
        opt("isLimitedQuantity", Ty::Boolean),
        opt("isExceptedQuantity", Ty::Boolean),
        opt("isSalvagePackings", Ty::Boolean),
        opt("isEmptyUncleanedResidue", Ty::Boolean),
        opt("isWaste", Ty::Boolean),
        opt("isHot", Ty::Boolean),
        opt("isCompetentAuthorityApprovalRequired", Ty::Boolean),
        opt("competentAuthorityApproval", Ty::String),
        opt("segregationGroups", Ty::Strings(0)),
        opt("innerPackagings", Ty::Objects(&INNER_PACKAGING, 0)),
        opt("emergencyContactDetails", Ty::Object(&EMERGENCY_CONTACT_DETAILS)),
        opt("EMSNumber", Ty::String),
        opt("endOfHoldingTime", Ty::String),
        opt("fumigationDateTime", Ty::String),
        opt("isReportableQuantity", Ty::Boolean),
        opt("inhalationZone", Ty::String),
        opt("grossWeight", Ty::Object(&MEASURE)),
        opt("netWeight", Ty::Object(&MEASURE)),
        opt("netExplosiveContent", Ty::Object(&MEASURE)),
        opt("netVolume", Ty::Object(&MEASURE)),
        opt("limits", Ty::Object(&LIMITS)),
        opt("UNNumber", Ty::String),
        opt("NANumber", Ty::String),
    ],
    alternatives: Some(Alternatives { exclusive: true, members: &["UNNumber", "NANumber"] }),
};

/// `InnerPackaging`.
static INNER_PACKAGING: Schema = Schema {
    members: &[
        req("quantity", Ty::Integer),
        req("material", Ty::String),
        req("description", Ty::String),
        opt("innerPackagings", Ty::Objects(&INNER_PACKAGING, 0)),
    ],
    alternatives: None,
};

/// `EmergencyContactDetails`.
static EMERGENCY_CONTACT_DETAILS: Schema = Schema {
    members: &[
        req("contact", Ty::String),
        opt("provider", Ty::String),
        req("phone", Ty::String),
        opt("referenceNumber", Ty::String),
    ],
    alternatives: None,
};

/// `Limits`.
static LIMITS: Schema = Schema {
    members: &[
        req("temperatureUnit", Ty::String),
        opt("flashPoint", Ty::Number),
        opt("transportControlTemperature", Ty::Number),
        opt("transportEmergencyTemperature", Ty::Number),
        opt("SADT", Ty::Number),
        opt("SAPT", Ty::Number),
    ],
    alternatives: None,
};

/// `CustomsReference`.
static CUSTOMS_REFERENCE: Schema = Schema {
    members: &[req("type", Ty::String), req("countryCode", Ty::String), req("values", Ty::Strings(1))],
    alternatives: None,
};

/// `ReferenceConsignmentItem`.
static REFERENCE_CONSIGNMENT_ITEM: Schema =
    Schema { members: &[req("type", Ty::String), req("values", Ty::Strings(1))], alternatives: None };

/// `UtilizedTransportEquipment`.
static UTILIZED_TRANSPORT_EQUIPMENT: Schema = Schema {
    members: &[
        req("equipment", Ty::Object(&EQUIPMENT)),
        req("isShipperOwned", Ty::Boolean),
        opt("isNonOperatingReefer", Ty::Boolean),
        opt("activeReeferSettings", Ty::Object(&ACTIVE_REEFER_SETTINGS)),
        opt("shippingMarks", Ty::Strings(0)),
        req("seals", Ty::Objects(&SEAL, 1)),
        opt("references", Ty::Objects(&REFERENCE, 0)),
        opt("customsReferences", Ty::Objects(&CUSTOMS_REFERENCE, 0)),
    ],
    alternatives: None,
};

/// `Equipment`.
static EQUIPMENT: Schema = Schema {
    members: &[
        req("equipmentReference", Ty::String),
        opt("ISOEquipmentCode", Ty::String),
        opt("tareWeight", Ty::Object(&MEASURE)),
    ],
    alternatives: None,
};

/// `ActiveReeferSettings`.
static ACTIVE_REEFER_SETTINGS: Schema = Schema {
    members: &[
        opt("temperatureSetpoint", Ty::Number),
        opt("temperatureUnit", Ty::String),
        opt("o2Setpoint", Ty::Number),
        opt("co2Setpoint", Ty::Number),
        opt("humiditySetpoint", Ty::Number),
        opt("airExchangeSetpoint", Ty::Number),
        opt("airExchangeUnit", Ty::String),
        opt("isVentilationOpen", Ty::Boolean),
        opt("isDrainholesOpen", Ty::Boolean),
        opt("isBulbMode", Ty::Boolean),
        opt("isColdTreatmentRequired", Ty::Boolean),
        opt("isControlledAtmosphereRequired", Ty::Boolean),
    ],
    alternatives: None,
};

/// `Seal`.
static SEAL: Schema =
    Schema { members: &[req("number", Ty::String), opt("source", Ty::String)], alternatives: None };

/// `Reference`.
static REFERENCE: Schema =
    Schema { members: &[req("type", Ty::String), req("value", Ty::String)], alternatives: None };

/// `Feedback`.
static FEEDBACK: Schema = Schema {
    members: &[
        req("severity", Ty::String),
        req("code", Ty::String),
        req("message", Ty::String),
        opt("jsonPath", Ty::String),
        opt("property", Ty::String),
    ],
    alternatives: None,
};

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::json;

    use crate::hash::Hash;
    use crate::keys::PartyId;
    use crate::records::{BlId, BlRecord, BlStatus, TransportDocumentType};

    const REGULAR_STD: &str = include_str!("../tests/fixtures/dcsa/regularSTDExample.json");

    /// Every TransportDocument example of the DCSA specifications (see the fixtures' README).
    const EXAMPLES: &[(&str, &str)] = &[
        ("regularSTDExample", REGULAR_STD),
        ("reeferExample", include_str!("../tests/fixtures/dcsa/reeferExample.json")),
        ("dgExample", include_str!("../tests/fixtures/dcsa/dgExample.json")),
        ("amendmentReeferExample", include_str!("../tests/fixtures/dcsa/amendmentReeferExample.json")),
        ("amendmentDgExample", include_str!("../tests/fixtures/dcsa/amendmentDgExample.json")),
        ("amendedReeferExample", include_str!("../tests/fixtures/dcsa/amendedReeferExample.json")),
        ("amendedDgExample", include_str!("../tests/fixtures/dcsa/amendedDgExample.json")),
        (
            "draftFullStateTransferExample",
            include_str!("../tests/fixtures/dcsa/draftFullStateTransferExample.json"),
        ),
        (
            "issuedFullStateTransferExample",
            include_str!("../tests/fixtures/dcsa/issuedFullStateTransferExample.json"),
        ),
        ("issuanceRegularSTDExample", include_str!("../tests/fixtures/dcsa/issuanceRegularSTDExample.json")),
        ("envelopeRegularSTDExample", include_str!("../tests/fixtures/dcsa/envelopeRegularSTDExample.json")),
    ];

    fn example(text: &str) -> Value {
        serde_json::from_str(text).expect("fixture is JSON")
    }

    fn regular() -> Value {
        example(REGULAR_STD)
    }

    /// `a.b[0].c` as a JSON pointer, `/a/b/0/c`.
    fn pointer(path: &str) -> String {
        path.split('.')
            .flat_map(|part| part.split('['))
            .map(|s| format!("/{}", s.trim_end_matches(']')))
            .collect()
    }

    /// Removes the member at `path` (which must end with a member name).
    fn remove(document: &mut Value, path: &str) {
        let (parent, name) = path.rsplit_once('.').map_or(("", path), |(p, n)| (p, n));
        let parent =
            if parent.is_empty() { document } else { document.pointer_mut(&pointer(parent)).expect(path) };
        parent.as_object_mut().expect(path).remove(name).expect(path);
    }

    /// Replaces the value at `path`, or adds the member if its object exists.
    fn set(document: &mut Value, path: &str, value: Value) {
        if let Some(slot) = document.pointer_mut(&pointer(path)) {
            *slot = value;
            return;
        }
        let (parent, name) = path.rsplit_once('.').expect(path);
        let parent = document.pointer_mut(&pointer(parent)).expect(path);
        parent.as_object_mut().expect(path).insert(name.to_string(), value);
    }

    fn missing(path: &str) -> DcsaError {
        DcsaError::MissingField { path: path.to_string() }
    }

    fn wrong(path: &str, expected: &'static str) -> DcsaError {
        DcsaError::WrongType { path: path.to_string(), expected }
    }

    #[test]
    fn every_dcsa_example_has_the_required_fields() {
        for (name, text) in EXAMPLES {
            let document = example(text);
            assert_eq!(check_required_fields(&document), Ok(()), "{name}");
            let facts = DocumentFacts::extract(&document).expect(name);
            assert!(!facts.equipment_references.is_empty(), "{name}");
            let canonical = TransportDocumentJson::from_value(&document).expect(name);
            assert_eq!(check_required_fields(&canonical.to_value().expect(name)), Ok(()), "{name}");
        }
    }

    #[test]
    fn facts_of_the_regular_example() {
        let facts = DocumentFacts::extract(&regular()).expect("facts");
        assert_eq!(
            facts,
            DocumentFacts {
                transport_document_reference: "62CD536BA8D34C469AFD".to_string(),
                transport_document_type_code: "BOL".to_string(),
                is_to_order: true,
                equipment_references: vec!["NARU3472484".to_string()],
                port_of_loading: Some("DKAAR".to_string()),
                port_of_discharge: Some("DEBRV".to_string()),
                shipped_on_board_date: Some("2023-12-20".to_string()),
                received_for_shipment_date: None,
                issue_date: None,
                carrier_code: Some("MSC".to_string()),
            }
        );
        let json = serde_json::to_value(&facts).expect("json");
        assert_eq!(json["transportDocumentReference"], "62CD536BA8D34C469AFD");
        assert_eq!(json["isToOrder"], true);
        assert_eq!(json["equipmentReferences"], json!(["NARU3472484"]));
        let back: DocumentFacts = serde_json::from_value(json).expect("back");
        assert_eq!(back, facts);

        let dg = DocumentFacts::extract(&example(EXAMPLES[2].1)).expect("dg facts");
        assert_eq!(dg.equipment_references, ["HLXU1234567"]);
        assert_eq!(dg.carrier_code.as_deref(), Some("HLC"));
    }

    #[test]
    fn equipment_references_keep_document_order_without_repeats() {
        let mut document = regular();
        let first = document["utilizedTransportEquipments"][0].clone();
        let mut other = first.clone();
        other["equipment"]["equipmentReference"] = json!("MSKU0000001");
        let list = document["utilizedTransportEquipments"].as_array_mut().expect("array");
        list.insert(0, other.clone());
        list.push(first);
        list.push(other);
        assert_eq!(check_required_fields(&document), Ok(()));
        let facts = DocumentFacts::extract(&document).expect("facts");
        assert_eq!(facts.equipment_references, ["MSKU0000001", "NARU3472484"]);
    }

    #[test]
    fn facts_need_their_own_members() {
        let mut document = regular();
        remove(&mut document, "transportDocumentReference");
        assert_eq!(DocumentFacts::extract(&document), Err(missing("transportDocumentReference")));
        let mut document = regular();
        set(&mut document, "transportDocumentTypeCode", json!("XYZ"));
        assert!(matches!(DocumentFacts::extract(&document), Err(DcsaError::BadValue { .. })));
        let mut document = regular();
        set(&mut document, "transports.portOfLoading.UNLocationCode", json!(7));
        assert_eq!(
            DocumentFacts::extract(&document),
            Err(wrong("transports.portOfLoading.UNLocationCode", "string"))
        );
        let mut document = regular();
        remove(&mut document, "utilizedTransportEquipments[0].equipment.equipmentReference");
        assert_eq!(
            DocumentFacts::extract(&document),
            Err(missing("utilizedTransportEquipments[0].equipment.equipmentReference"))
        );
        // A port given as a city has no UN/LOCODE.
        let mut document = regular();
        set(
            &mut document,
            "transports.portOfDischarge",
            json!({"city": {"city": "Bremerhaven", "countryCode": "DE"}}),
        );
        assert_eq!(check_required_fields(&document), Ok(()));
        assert_eq!(DocumentFacts::extract(&document).expect("facts").port_of_discharge, None);
        assert_eq!(DocumentFacts::extract(&json!([])), Err(wrong("$", "object")));
    }

    #[test]
    fn each_missing_required_member_is_named_by_its_path() {
        let cases = [
            // Top level.
            "transportDocumentReference",
            "transportDocumentStatus",
            "isToOrder",
            "invoicePayableAt",
            "partyContactDetails",
            "termsAndConditions",
            "carrierCodeListProvider",
            "consignmentItems",
            // Parties.
            "documentParties.shipper",
            "documentParties.issuingParty",
            "documentParties.shipper.partyName",
            "documentParties.issuingParty.partyName",
            "documentParties.issuingParty.address",
            "documentParties.issuingParty.address.street",
            "documentParties.issuingParty.address.city",
            "documentParties.issuingParty.address.countryCode",
            "documentParties.issuingParty.identifyingCodes[0].codeListProvider",
            "documentParties.issuingParty.identifyingCodes[0].partyCode",
            "partyContactDetails[0].name",
            "documentParties.shipper.partyContactDetails[0].name",
            // Goods and equipment.
            "consignmentItems[0].carrierBookingReference",
            "consignmentItems[0].descriptionOfGoods",
            "consignmentItems[0].HSCodes",
            "consignmentItems[0].cargoItems",
            "consignmentItems[0].cargoItems[0].equipmentReference",
            "consignmentItems[0].cargoItems[0].cargoGrossWeight",
            "consignmentItems[0].cargoItems[0].cargoGrossWeight.unit",
            "consignmentItems[0].cargoItems[0].outerPackaging.numberOfPackages",
            "consignmentItems[0].cargoItems[0].outerPackaging.description",
            "utilizedTransportEquipments[0].equipment",
            "utilizedTransportEquipments[0].equipment.equipmentReference",
            "utilizedTransportEquipments[0].isShipperOwned",
            "utilizedTransportEquipments[0].seals",
            "utilizedTransportEquipments[0].seals[0].number",
            "charges[0].currencyAmount",
            // Transports.
            "transports",
            "transports.plannedArrivalDate",
            "transports.plannedDepartureDate",
            "transports.portOfLoading",
            "transports.portOfDischarge",
            "transports.vesselVoyages",
            "transports.vesselVoyages[0].vesselName",
            "transports.vesselVoyages[0].carrierExportVoyageNumber",
        ];
        for path in cases {
            let mut document = regular();
            remove(&mut document, path);
            assert_eq!(check_required_fields(&document), Err(missing(path)), "{path}");
        }
    }

    #[test]
    fn optional_parties_have_their_own_required_members() {
        let mut document = regular();
        set(&mut document, "documentParties.endorsee", json!({"partyName": "Bank"}));
        assert_eq!(
            check_required_fields(&document),
            Err(missing("documentParties.endorsee.identifyingCodes"))
        );
        set(&mut document, "documentParties.endorsee.identifyingCodes", json!([]));
        assert_eq!(
            check_required_fields(&document),
            Err(DcsaError::TooFewItems { path: "documentParties.endorsee.identifyingCodes".into(), min: 1 })
        );
        set(
            &mut document,
            "documentParties.endorsee.identifyingCodes",
            json!([{"codeListProvider": "W3C", "partyCode": "did:web:bank.example"}]),
        );
        assert_eq!(check_required_fields(&document), Ok(()));

        set(&mut document, "documentParties.consignee", json!({"identifyingCodes": []}));
        assert_eq!(check_required_fields(&document), Err(missing("documentParties.consignee.partyName")));
        set(&mut document, "documentParties.consignee", json!({"partyName": "Buyer"}));
        assert_eq!(
            check_required_fields(&document),
            Err(missing("documentParties.consignee.identifyingCodes"))
        );
        set(
            &mut document,
            "documentParties.consignee",
            json!({"partyName": "Buyer", "identifyingCodes": [{"codeListProvider": "GLEIF"}]}),
        );
        assert_eq!(
            check_required_fields(&document),
            Err(missing("documentParties.consignee.identifyingCodes[0].partyCode"))
        );
        set(&mut document, "documentParties.notifyParties", json!([{"partyName": "N"}, {}]));
        assert_eq!(
            check_required_fields(&document),
            Err(missing("documentParties.consignee.identifyingCodes[0].partyCode"))
        );
        remove(&mut document, "documentParties.consignee");
        assert_eq!(
            check_required_fields(&document),
            Err(missing("documentParties.notifyParties[1].partyName"))
        );
    }

    #[test]
    fn wrong_types_are_named_by_their_path() {
        let cases: &[(&str, Value, &str)] = &[
            ("isToOrder", json!("true"), "boolean"),
            ("transportDocumentReference", json!(null), "string"),
            ("documentParties", json!([]), "object"),
            ("documentParties.shipper.partyName", json!(42), "string"),
            ("consignmentItems", json!({}), "array"),
            ("consignmentItems[0].descriptionOfGoods[0]", json!(1), "string"),
            ("consignmentItems[0].cargoItems[0].cargoGrossWeight.value", json!("12000"), "number"),
            ("consignmentItems[0].cargoItems[0].outerPackaging.numberOfPackages", json!(1.5), "integer"),
            ("utilizedTransportEquipments[0].isShipperOwned", json!(0), "boolean"),
            ("utilizedTransportEquipments[0].equipment", json!("NARU3472484"), "object"),
            ("transports.portOfLoading.UNLocationCode", json!(["DKAAR"]), "string"),
            ("transports.vesselVoyages[0]", json!(null), "object"),
            ("shippedOnBoardDate", json!(20231220), "string"),
        ];
        for (path, value, expected) in cases {
            let mut document = regular();
            set(&mut document, path, value.clone());
            assert_eq!(check_required_fields(&document), Err(wrong(path, expected)), "{path}");
        }
        assert_eq!(check_required_fields(&json!("document")), Err(wrong("$", "object")));
        // An integer may be written with a zero fraction.
        let mut document = regular();
        set(&mut document, "consignmentItems[0].cargoItems[0].outerPackaging.numberOfPackages", json!(400.0));
        assert_eq!(check_required_fields(&document), Ok(()));
    }

    #[test]
    fn alternatives_and_empty_arrays() {
        let mut document = regular();
        set(&mut document, "invoicePayableAt", json!({}));
        let err = check_required_fields(&document);
        assert_eq!(
            err,
            Err(DcsaError::Alternatives {
                path: "invoicePayableAt".into(),
                expected: "exactly one of UNLocationCode, freeText".into()
            })
        );
        set(&mut document, "invoicePayableAt", json!({"UNLocationCode": "DKAAR", "freeText": "Aarhus"}));
        assert!(matches!(check_required_fields(&document), Err(DcsaError::Alternatives { .. })));
        set(&mut document, "invoicePayableAt", json!({"freeText": "Aarhus"}));
        assert_eq!(check_required_fields(&document), Ok(()));

        set(&mut document, "partyContactDetails[0]", json!({"name": "A", "phone": "+45", "email": "a@b.c"}));
        assert_eq!(check_required_fields(&document), Ok(()));
        set(&mut document, "partyContactDetails[0]", json!({"name": "A"}));
        assert!(matches!(
            check_required_fields(&document),
            Err(DcsaError::Alternatives { path, .. }) if path == "partyContactDetails[0]"
        ));

        let mut document = regular();
        set(&mut document, "utilizedTransportEquipments", json!([]));
        assert_eq!(
            check_required_fields(&document),
            Err(DcsaError::TooFewItems { path: "utilizedTransportEquipments".into(), min: 1 })
        );
    }

    #[test]
    fn dangerous_goods_nesting_is_bounded() {
        let mut document = example(EXAMPLES[2].1);
        let dg = "consignmentItems[0].cargoItems[0].outerPackaging.dangerousGoods[0]";
        let mut inner = json!({"quantity": 1, "material": "Plastic", "description": "Bottle"});
        for _ in 0..1000 {
            inner = json!({
                "quantity": 1, "material": "Plastic", "description": "Box", "innerPackagings": [inner]
            });
        }
        set(&mut document, &format!("{dg}.innerPackagings"), json!([inner]));
        assert!(matches!(check_required_fields(&document), Err(DcsaError::TooDeep { .. })));
        let incomplete = json!([{"quantity": 1, "material": "Plastic"}]);
        set(&mut document, &format!("{dg}.innerPackagings"), incomplete);
        assert_eq!(
            check_required_fields(&document),
            Err(missing(&format!("{dg}.innerPackagings[0].description")))
        );
        remove(&mut document, &format!("{dg}.UNNumber"));
        set(&mut document, &format!("{dg}.innerPackagings"), json!([]));
        let result = check_required_fields(&document);
        assert!(matches!(&result, Err(DcsaError::Alternatives { path, .. }) if path == dg), "{result:?}");
    }

    /// Every node of every example replaced by values of other types, or removed: nothing
    /// panics, and a document that still passes the check still yields its facts.
    #[test]
    fn mutations_never_panic() {
        fn paths(value: &Value, at: String, out: &mut Vec<String>) {
            match value {
                Value::Object(map) => map.iter().for_each(|(k, v)| {
                    let next = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                    out.push(next.clone());
                    paths(v, next, out);
                }),
                Value::Array(items) => items.iter().enumerate().for_each(|(i, v)| {
                    out.push(format!("{at}/{i}"));
                    paths(v, format!("{at}/{i}"), out);
                }),
                _ => {}
            }
        }
        let replacements = [
            json!(null),
            json!(0),
            json!(-1.5),
            json!("x"),
            json!(true),
            json!([]),
            json!({}),
            json!([null]),
        ];
        let mut checked = 0;
        for (name, text) in EXAMPLES {
            let original = example(text);
            let mut all = Vec::new();
            paths(&original, String::new(), &mut all);
            for pointer in &all {
                let mut variants = Vec::new();
                for replacement in &replacements {
                    let mut document = original.clone();
                    *document.pointer_mut(pointer).expect("path") = replacement.clone();
                    variants.push(document);
                }
                let (parent, last) = pointer.rsplit_once('/').expect("pointer");
                let mut document = original.clone();
                match document.pointer_mut(parent) {
                    Some(Value::Object(map)) => {
                        map.remove(last);
                    }
                    Some(Value::Array(items)) => {
                        items.remove(last.parse::<usize>().expect("index"));
                    }
                    _ => unreachable!("{pointer} has a parent"),
                }
                variants.push(document);
                for document in variants {
                    let passes = check_required_fields(&document).is_ok();
                    let facts = DocumentFacts::extract(&document);
                    if passes && pointer != "/transportDocumentTypeCode" {
                        assert!(facts.is_ok(), "{name} {pointer}: {facts:?}");
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 5_000, "{checked}");
    }

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
