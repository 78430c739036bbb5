//! The DCSA examples (`tests/fixtures/dcsa`) and helpers to edit them, shared by the unit tests.

use serde_json::Value;

use super::DcsaError;

pub(crate) const REGULAR_STD: &str = include_str!("../../tests/fixtures/dcsa/regularSTDExample.json");

/// Every TransportDocument example of the DCSA specifications (see the fixtures' README).
pub(crate) const EXAMPLES: &[(&str, &str)] = &[
    ("regularSTDExample", REGULAR_STD),
    ("reeferExample", include_str!("../../tests/fixtures/dcsa/reeferExample.json")),
    ("dgExample", include_str!("../../tests/fixtures/dcsa/dgExample.json")),
    ("amendmentReeferExample", include_str!("../../tests/fixtures/dcsa/amendmentReeferExample.json")),
    ("amendmentDgExample", include_str!("../../tests/fixtures/dcsa/amendmentDgExample.json")),
    ("amendedReeferExample", include_str!("../../tests/fixtures/dcsa/amendedReeferExample.json")),
    ("amendedDgExample", include_str!("../../tests/fixtures/dcsa/amendedDgExample.json")),
    (
        "draftFullStateTransferExample",
        include_str!("../../tests/fixtures/dcsa/draftFullStateTransferExample.json"),
    ),
    (
        "issuedFullStateTransferExample",
        include_str!("../../tests/fixtures/dcsa/issuedFullStateTransferExample.json"),
    ),
    ("issuanceRegularSTDExample", include_str!("../../tests/fixtures/dcsa/issuanceRegularSTDExample.json")),
    ("envelopeRegularSTDExample", include_str!("../../tests/fixtures/dcsa/envelopeRegularSTDExample.json")),
];

pub(crate) fn example(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

pub(crate) fn regular() -> Value {
    example(REGULAR_STD)
}

/// `a.b[0].c` as a JSON pointer, `/a/b/0/c`.
pub(crate) fn pointer(path: &str) -> String {
    path.split('.')
        .flat_map(|part| part.split('['))
        .map(|s| format!("/{}", s.trim_end_matches(']')))
        .collect()
}

/// Removes the member at `path` (which must end with a member name).
pub(crate) fn remove(document: &mut Value, path: &str) {
    let (parent, name) = path.rsplit_once('.').map_or(("", path), |(p, n)| (p, n));
    let parent =
        if parent.is_empty() { document } else { document.pointer_mut(&pointer(parent)).expect(path) };
    parent.as_object_mut().expect(path).remove(name).expect(path);
}

/// Replaces the value at `path`, or adds the member if its object exists.
pub(crate) fn set(document: &mut Value, path: &str, value: Value) {
    if let Some(slot) = document.pointer_mut(&pointer(path)) {
        *slot = value;
        return;
    }
    let (parent, name) = path.rsplit_once('.').expect(path);
    let parent = document.pointer_mut(&pointer(parent)).expect(path);
    parent.as_object_mut().expect(path).insert(name.to_string(), value);
}

pub(crate) fn missing(path: &str) -> DcsaError {
    DcsaError::MissingField { path: path.to_string() }
}

pub(crate) fn wrong(path: &str, expected: &'static str) -> DcsaError {
    DcsaError::WrongType { path: path.to_string(), expected }
}
