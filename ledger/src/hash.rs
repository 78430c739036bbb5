//! SHA-256 digests: the one hash of the system.

use std::fmt;
use std::str::FromStr;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::error::ParseError;

/// A SHA-256 digest. Displayed and serialised to JSON as 64 lowercase hex characters.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The all-zero hash: the parent of the first block, the head of an empty chain.
    pub const ZERO: Hash = Hash([0; 32]);

    /// SHA-256 of `data`.
    pub fn digest(data: &[u8]) -> Self {
        Hash(Sha256::digest(data).into())
    }

    /// SHA-256 of the concatenation of `parts`, without building the concatenation.
    pub fn digest_parts(parts: &[&[u8]]) -> Self {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part);
        }
        Hash(hasher.finalize().into())
    }

    /// SHA-256 of the canonical (borsh) encoding of `value`, prefixed by a domain tag so that
    /// values of different kinds can never hash alike.
    pub fn of<T: BorshSerialize>(domain: &[u8], value: &T) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(domain);
        // Writing into a hasher cannot fail; borsh only fails on its own writer errors.
        let mut writer = HashWriter(&mut hasher);
        let _ = value.serialize(&mut writer);
        Hash(hasher.finalize().into())
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", &self.to_hex()[..16])
    }
}

impl FromStr for Hash {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_hex32(s).map(Hash)
    }
}

impl Serialize for Hash {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Hash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses exactly 64 hex characters (either case) into 32 bytes.
pub(crate) fn parse_hex32(s: &str) -> Result<[u8; 32], ParseError> {
    if s.len() != 64 {
        return Err(ParseError::Length { expected: 64, found: s.len() });
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).map_err(|_| ParseError::Hex)?;
    Ok(out)
}

/// Domain tags for every hashed kind. One tag per kind; never reuse one.
pub mod domain {
    pub const BLOCK_HEADER: &[u8] = b"ebl/block-header/v1";
    pub const HISTORY_ENTRY: &[u8] = b"ebl/history-entry/v1";
    pub const BL_ID: &[u8] = b"ebl/bl-id/v1";
    pub const CONTAINER_ID: &[u8] = b"ebl/container-id/v1";
    pub const RECEIPT: &[u8] = b"ebl/receipt/v1";
    pub const TX_SIGNING: &[u8] = b"ebl/tx-signing/v1";
    pub const COMMIT_VOTE: &[u8] = b"ebl/commit-vote/v1";
    pub const PREVOTE: &[u8] = b"ebl/prevote/v1";
    pub const PROPOSAL: &[u8] = b"ebl/proposal/v1";
    pub const PROPOSAL_BLOCK: &[u8] = b"ebl/proposal-block/v1";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_matches_known_sha256_vectors() {
        // FIPS 180-2 test vectors.
        assert_eq!(
            Hash::digest(b"").to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            Hash::digest(b"abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(Hash::digest_parts(&[b"a", b"bc"]), Hash::digest(b"abc"));
    }

    #[test]
    fn hex_round_trip_and_strict_parsing() {
        let h = Hash::digest(b"x");
        assert_eq!(h.to_hex().parse::<Hash>(), Ok(h));
        assert_eq!(h.to_hex().to_uppercase().parse::<Hash>(), Ok(h));
        assert!(matches!("ab".parse::<Hash>(), Err(ParseError::Length { .. })));
        assert_eq!("zz".repeat(32).parse::<Hash>(), Err(ParseError::Hex));
        let json = serde_json::to_string(&h).expect("serialise");
        assert_eq!(serde_json::from_str::<Hash>(&json).expect("parse"), h);
    }

    #[test]
    fn domain_separates_equal_values() {
        assert_ne!(Hash::of(domain::BL_ID, &1u8), Hash::of(domain::CONTAINER_ID, &1u8));
    }
}
