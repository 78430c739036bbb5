//! The DCSA document checksum of a real DCSA example, checked against an independent computation.
//!
//! The fixture `fixtures/dcsa/regularSTDExample.json` is the `regularSTDExample` response body of
//! `GET /v3/transport-documents/{transportDocumentReference}` in DCSA `EBL_v3.0.4.yaml`
//! (Apache-2.0), converted to JSON as extracted (see `fixtures/dcsa/README.md`).

use ebl_ledger::checksum::{canonical_json, document_checksum_of_text};
use serde_json::Value;

const REGULAR_STD_EXAMPLE: &str = include_str!("fixtures/dcsa/regularSTDExample.json");

/// SHA-256 of the RFC 8785 form of the fixture, computed without any Rust code, from the
/// workspace root:
///
/// ```text
/// python3 scripts/dcsa_checksum.py ledger/tests/fixtures/dcsa/regularSTDExample.json
/// ```
///
/// `scripts/dcsa_checksum.py` is a standard-library-only RFC 8785 canonicalisation (members
/// sorted by UTF-16 code units, `json.dumps(..., ensure_ascii=False)` string escaping, numbers
/// as ECMAScript `Number.prototype.toString` of the double) followed by `hashlib.sha256`. It
/// checks itself against the RFC 8785 examples first. Its canonical text is 3,563 bytes.
const EXPECTED_CHECKSUM_HEX: &str = "1671335d068cd6efbd472e8e8ee49a1de82908beab7676687d00914dfb596643";

#[test]
fn the_checksum_of_the_dcsa_regular_std_example_matches_the_independent_computation() {
    let checksum = document_checksum_of_text(REGULAR_STD_EXAMPLE).expect("the DCSA example is valid JSON");
    assert_eq!(checksum.to_hex(), EXPECTED_CHECKSUM_HEX);
}

#[test]
fn the_canonical_form_is_sorted_compact_utf8() {
    let document: Value = serde_json::from_str(REGULAR_STD_EXAMPLE).expect("valid JSON");
    let canonical = String::from_utf8(canonical_json(&document).expect("canonical")).expect("UTF-8");
    assert_eq!(canonical.len(), 3_563);
    assert!(canonical
        .starts_with(r#"{"cargoMovementTypeAtDestination":"FCL","cargoMovementTypeAtOrigin":"FCL","#));
    // Non-ASCII is written as itself, integers without a fraction, no white space between tokens.
    assert!(canonical.contains(r#""vesselName":"MSC Gülsün""#));
    assert!(canonical.contains(r#""cargoGrossWeight":{"unit":"KGM","value":12000}"#));
    assert!(canonical.contains(r#"{"calculationBasis":"Per transport document","chargeName":"#));
}

/// Writes `value` as JSON with the members of every object in reverse order, tabs and new
/// lines between tokens, every non-ASCII character as a `\u` escape and every number in
/// exponent notation with a fraction: the same document, spelled as differently as JSON allows.
fn respell(value: &Value, out: &mut String) {
    match value {
        Value::Null | Value::Bool(_) => out.push_str(&value.to_string()),
        Value::Number(n) => {
            let f = n.as_f64().expect("a finite number");
            out.push_str(&format!("{:.3e}", f).replace('e', "E+").replace("E+-", "E-"));
        }
        Value::String(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\u000A"),
                    c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
                    c => {
                        let mut units = [0u16; 2];
                        for unit in c.encode_utf16(&mut units) {
                            out.push_str(&format!("\\u{unit:04X}"));
                        }
                    }
                }
            }
            out.push('"');
        }
        Value::Array(items) => {
            out.push_str("[\n\t");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(" ,\r\n\t");
                }
                respell(item, out);
            }
            out.push_str("\n]");
        }
        Value::Object(members) => {
            out.push_str("{ ");
            let mut members: Vec<(&String, &Value)> = members.iter().collect();
            members.reverse();
            for (i, (name, member)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(",\n  ");
                }
                respell(&Value::String(name.clone()), out);
                out.push_str(" :\t");
                respell(member, out);
            }
            out.push_str(" }");
        }
    }
}

#[test]
fn key_order_white_space_and_spelling_do_not_change_the_checksum() {
    let document: Value = serde_json::from_str(REGULAR_STD_EXAMPLE).expect("valid JSON");
    let mut respelled = String::new();
    respell(&document, &mut respelled);
    assert_ne!(respelled, REGULAR_STD_EXAMPLE);
    assert!(respelled.contains(r#""MSC G\u00FCls\u00FCn""#), "non-ASCII is escaped");
    assert!(respelled.contains("1.200E+4"), "12000 is spelled in exponent form");
    assert!(
        respelled.find("\"utilizedTransportEquipments\"") < respelled.find("\"transportDocumentReference\"")
    );

    let compact = serde_json::to_string(&document).expect("serialise");
    for text in [respelled.as_str(), compact.as_str()] {
        let checksum = document_checksum_of_text(text).expect("still valid JSON");
        assert_eq!(checksum.to_hex(), EXPECTED_CHECKSUM_HEX);
    }
}

#[test]
fn changing_one_character_of_one_value_changes_the_checksum() {
    let original = document_checksum_of_text(REGULAR_STD_EXAMPLE).expect("checksum");
    for (from, to) in [
        // The transport document reference, last character.
        (r#""62CD536BA8D34C469AFD""#, r#""62CD536BA8D34C469AFE""#),
        // One digit of the gross weight.
        (r#""value": 12000"#, r#""value": 12001"#),
        // One letter of the vessel name.
        ("MSC Gülsün", "MSC Gulsün"),
    ] {
        assert_eq!(REGULAR_STD_EXAMPLE.matches(from).count(), 1, "{from} occurs once");
        let changed = REGULAR_STD_EXAMPLE.replacen(from, to, 1);
        let checksum = document_checksum_of_text(&changed).expect("still valid JSON");
        assert_ne!(checksum, original, "changing {from} to {to}");
    }
}
