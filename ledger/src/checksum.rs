//! The DCSA document checksum: SHA-256 of the RFC 8785 (JSON Canonicalization Scheme) form of
//! a TransportDocument. Two parties holding the same document compute the same checksum
//! whatever the key order, white space or number spelling of their copies.

use serde_json::Value;
use thiserror::Error;

use crate::hash::Hash;

/// Largest document accepted, in bytes of JSON text.
pub const DOCUMENT_BYTES_MAX: usize = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChecksumError {
    #[error("document of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error("document is not valid JSON: {0}")]
    Json(String),
    #[error("document cannot be canonicalised: {0}")]
    Canonical(String),
}

/// The RFC 8785 canonical bytes of a JSON value.
pub fn canonical_json(document: &Value) -> Result<Vec<u8>, ChecksumError> {
    serde_jcs::to_vec(document).map_err(|e| ChecksumError::Canonical(e.to_string()))
}

/// The checksum of a parsed document.
pub fn document_checksum(document: &Value) -> Result<Hash, ChecksumError> {
    Ok(Hash::digest(&canonical_json(document)?))
}

/// The checksum of a document given as JSON text.
pub fn document_checksum_of_text(json: &str) -> Result<Hash, ChecksumError> {
    if json.len() > DOCUMENT_BYTES_MAX {
        return Err(ChecksumError::TooLarge { len: json.len(), max: DOCUMENT_BYTES_MAX });
    }
    let value: Value = serde_json::from_str(json).map_err(|e| ChecksumError::Json(e.to_string()))?;
    document_checksum(&value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_and_white_space_do_not_change_the_checksum() {
        let a = document_checksum_of_text(r#"{"b": 1, "a": [true, null, "x"]}"#).expect("checksum");
        let b = document_checksum_of_text("{\"a\":[true,null,\"x\"],\n \"b\":1.0}").expect("checksum");
        assert_eq!(a, b);
        assert_eq!(
            canonical_json(&serde_json::json!({"b": 1, "a": "é"})).expect("jcs"),
            "{\"a\":\"é\",\"b\":1}".as_bytes()
        );
    }

    #[test]
    fn malformed_documents_are_refused() {
        assert!(matches!(document_checksum_of_text("{"), Err(ChecksumError::Json(_))));
        let big = format!("\"{}\"", "x".repeat(DOCUMENT_BYTES_MAX));
        assert!(matches!(document_checksum_of_text(&big), Err(ChecksumError::TooLarge { .. })));
    }
}
