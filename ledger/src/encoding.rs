//! Canonical binary encoding: borsh, which gives every value exactly one encoding (fixed-width
//! little-endian integers, length-prefixed sequences, no maps with free ordering). Everything
//! hashed or signed goes through here.

use borsh::{BorshDeserialize, BorshSerialize};

use crate::error::DecodeError;

/// The canonical bytes of `value`.
pub fn encode<T: BorshSerialize + ?Sized>(value: &T) -> Vec<u8> {
    // Most values (records, nodes, transactions) take a few hundred bytes: start there rather
    // than growing from 8 through every power of two.
    let mut out = Vec::with_capacity(256);
    // Writing into a Vec cannot fail, and none of our types has a fallible serialiser.
    let _ = value.serialize(&mut out);
    out
}

/// Decodes canonical bytes, refusing input over `max_bytes` before reading it and refusing
/// trailing bytes after the value (so one value has one encoding).
pub fn decode<T: BorshDeserialize>(bytes: &[u8], max_bytes: usize) -> Result<T, DecodeError> {
    if bytes.len() > max_bytes {
        return Err(DecodeError::TooLarge { len: bytes.len(), max: max_bytes });
    }
    borsh::from_slice(bytes).map_err(|e| DecodeError::Malformed(e.to_string()))
}
