//! What the ledger and its users read from a TransportDocument.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::schema::{wrong_type, Path};
use super::DcsaError;

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
    /// the document: [`check_required_fields`](super::check_required_fields) does.
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::dcsa::check_required_fields;
    use crate::dcsa::test_examples::{example, missing, regular, remove, set, wrong, EXAMPLES};

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
}
