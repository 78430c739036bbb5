//! The check of a document against the DCSA eBL 3.0.4 `TransportDocument` schema, driven by the
//! tables in `schema_tables` (generated from `EBL_v3.0.4.yaml`).

use serde_json::Value;

use super::schema_tables::TRANSPORT_DOCUMENT;
use super::DcsaError;

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
pub(super) enum Ty {
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
pub(super) struct Member {
    pub(super) name: &'static str,
    pub(super) ty: Ty,
    pub(super) required: bool,
}

/// `oneOf` (exclusive) or `anyOf` alternatives, each requiring one member.
pub(super) struct Alternatives {
    pub(super) exclusive: bool,
    pub(super) members: &'static [&'static str],
}

/// An object schema: its members in the specification's order.
pub(super) struct Schema {
    pub(super) members: &'static [Member],
    pub(super) alternatives: Option<Alternatives>,
}

pub(super) const fn req(name: &'static str, ty: Ty) -> Member {
    Member { name, ty, required: true }
}

pub(super) const fn opt(name: &'static str, ty: Ty) -> Member {
    Member { name, ty, required: false }
}

/// A JSON path, built on the stack while walking and rendered only for an error.
#[derive(Clone, Copy)]
pub(super) enum Path<'a> {
    Root,
    Member(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    pub(super) fn depth(&self) -> usize {
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
    pub(super) fn render(&self) -> String {
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

pub(super) fn wrong_type(path: &Path<'_>, expected: &'static str) -> DcsaError {
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::dcsa::test_examples::{example, missing, regular, remove, set, wrong, EXAMPLES};
    use crate::dcsa::{DocumentFacts, TransportDocumentJson};

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
}
