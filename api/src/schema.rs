//! OpenAPI schemas of the ledger's types, for `#[schema(value_type = ...)]`: each a marker type
//! whose schema is built from the ledger's own values, so that a code or a kind added to the
//! ledger appears in `/openapi.json` without an edit here.

use borsh::BorshDeserialize;
use ebl_ledger::action::EventKind;
use ebl_ledger::{BlStatus, ErrorCode};
use serde::Serialize;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

/// A string schema with these values.
fn names(description: &str, values: impl IntoIterator<Item = String>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(values.into_iter().collect::<Vec<_>>()))
        .into()
}

/// The JSON string of a fieldless enum value (empty if it is not one).
fn wire_name(value: impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Every value of a fieldless borsh enum, in declaration order: its variants are the tags
/// `0, 1, …` up to the first that does not decode.
fn every_borsh_variant<T: BorshDeserialize>() -> Vec<T> {
    (0..=u8::MAX).map_while(|tag| T::try_from_slice(&[tag]).ok()).collect()
}

macro_rules! name_schema {
    ($(#[$doc:meta])* $marker:ident, $description:expr, $values:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub struct $marker;

        impl PartialSchema for $marker {
            fn schema() -> RefOr<Schema> {
                names($description, $values)
            }
        }

        impl ToSchema for $marker {}
    };
}

/// The refusal codes of the ledger (`ErrorCode::code`).
pub fn error_codes() -> impl Iterator<Item = String> {
    ErrorCode::ALL.into_iter().map(|c| c.code().to_string())
}

/// The release statuses of DESIGN §6 (`ebl_ledger::records::ReleaseStatus`).
pub const RELEASE_STATUSES: [&str; 8] = [
    "RELEASE_ORDERED",
    "HELD",
    "AVAILABLE",
    "PICKUP_ASSIGNED",
    "GATED_OUT",
    "EMPTY_RETURNED",
    "REVOKED",
    "EXPIRED",
];

/// The lien statuses of a finance check (`ebl_ledger::finance::LienStatus`).
pub const LIEN_STATUSES: [&str; 3] = ["NONE", "HELD_BY_THIS_BANK", "HELD_BY_OTHER_BANK"];

name_schema!(
    /// `ebl_ledger::ErrorCode`.
    ErrorCodeName,
    "the stable code of a refusal by the ledger",
    error_codes()
);
name_schema!(
    /// `ebl_ledger::action::EventKind`.
    EventKindName,
    "the kind of an event",
    EventKind::ALL.into_iter().map(|k| k.as_str().to_string())
);
name_schema!(
    /// `ebl_ledger::BlStatus`.
    BlStatusName,
    "the eBL status (DESIGN §5)",
    every_borsh_variant::<BlStatus>().into_iter().map(wire_name)
);
name_schema!(
    /// `ebl_ledger::records::ReleaseStatus`.
    ReleaseStatusName,
    "a container's release status (DESIGN §6)",
    RELEASE_STATUSES.map(String::from)
);
name_schema!(
    /// `ebl_ledger::finance::LienStatus`.
    LienStatusName,
    "whether the BL carries a binding lien, and whose",
    LIEN_STATUSES.map(String::from)
);
name_schema!(
    /// [`crate::TxOutcome`]: `SUCCESS` or a refusal code.
    TxOutcomeName,
    "`SUCCESS`, or the stable code of the ledger's refusal",
    std::iter::once("SUCCESS".to_string()).chain(error_codes())
);
name_schema!(
    /// [`crate::ContainerState`]: `NOT_RELEASED` or a release status.
    ContainerStateName,
    "`NOT_RELEASED`, or the container's release status (DESIGN §6)",
    std::iter::once("NOT_RELEASED".to_string()).chain(RELEASE_STATUSES.map(String::from))
);

#[cfg(test)]
mod tests {
    use super::*;
    use ebl_ledger::finance::LienStatus;
    use ebl_ledger::records::ReleaseStatus;

    fn values(schema: RefOr<Schema>) -> Vec<String> {
        let json = serde_json::to_value(schema).expect("serialises");
        serde_json::from_value(json["enum"].clone()).expect("an enum of strings")
    }

    #[test]
    fn the_listed_names_are_the_ledgers() {
        for name in RELEASE_STATUSES {
            let parsed: ReleaseStatus = serde_json::from_value(name.into()).expect(name);
            assert_eq!(wire_name(parsed), name);
        }
        for name in LIEN_STATUSES {
            let parsed: LienStatus = serde_json::from_value(name.into()).expect(name);
            assert_eq!(wire_name(parsed), name);
        }
        let statuses = values(BlStatusName::schema());
        assert_eq!(statuses.first().map(String::as_str), Some("ISSUED"));
        assert!(statuses.len() >= 6 && statuses.iter().all(|s| !s.is_empty()), "{statuses:?}");
        assert_eq!(values(ErrorCodeName::schema()).len(), ErrorCode::ALL.len());
        assert_eq!(values(EventKindName::schema()).len(), EventKind::ALL.len());
        assert_eq!(values(TxOutcomeName::schema())[0], "SUCCESS");
        assert_eq!(values(ContainerStateName::schema()).len(), 1 + RELEASE_STATUSES.len());
    }
}
