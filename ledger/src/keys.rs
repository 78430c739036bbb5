//! Party identities (ed25519 public keys), signing keys and signatures.

use std::fmt;
use std::str::FromStr;

use borsh::{BorshDeserialize, BorshSerialize};
use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::ed25519::VerificationKey;
use crate::error::ParseError;
use crate::hash::parse_hex32;

/// A party on the ledger: the 32 bytes of its ed25519 public key.
///
/// Text form: `ebl:` followed by the key in 64 lowercase hex characters, e.g.
/// `ebl:3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29`. Parsing also accepts
/// the bare hex, so keys can be pasted from tools that print raw ed25519 keys.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct PartyId(pub [u8; 32]);

/// The process's decompressed keys, by party. Bounded: when full it is emptied and refilled
/// by the keys still in use (a ledger's signers number in the thousands, not millions).
/// Only keys that decompressed are kept.
struct KeyCache;

/// Keys the cache holds at most (~200 bytes each).
const KEY_CACHE_MAX: usize = 16_384;

/// A decompressed key and whether it is weak (of small order), which costs three point
/// doublings to find out.
#[derive(Clone, Copy)]
struct CachedKey {
    key: VerificationKey,
    weak: bool,
}

static KEY_CACHE: std::sync::Mutex<std::collections::BTreeMap<PartyId, CachedKey>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

impl KeyCache {
    /// A poisoned lock only means a thread panicked while holding it; entries are inserted
    /// whole, so the map is still sound.
    fn lock() -> std::sync::MutexGuard<'static, std::collections::BTreeMap<PartyId, CachedKey>> {
        KEY_CACHE.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The party's key, decompressed once per process (while it stays in the cache).
    fn key(party: &PartyId) -> Result<CachedKey, ParseError> {
        if let Some(cached) = Self::lock().get(party) {
            return Ok(*cached);
        }
        let key = VerificationKey::from_bytes(&party.0).ok_or(ParseError::Key)?;
        let cached = CachedKey { key, weak: key.is_small_order() };
        let mut cache = Self::lock();
        if cache.len() >= KEY_CACHE_MAX {
            cache.clear();
        }
        cache.insert(*party, cached);
        Ok(cached)
    }
}

impl PartyId {
    pub const TEXT_PREFIX: &'static str = "ebl:";

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The ed25519 key, if these bytes decode to a point on the curve (canonically or not, as
    /// ZIP-215 reads keys: [`crate::ed25519`]).
    ///
    /// Decompressing a point costs about as much as a fifth of a signature check, and a ledger
    /// has few parties who sign again and again, so decompressed keys are kept (see
    /// [`KeyCache`]); the answer is the same with or without the cache.
    pub fn verifying_key(&self) -> Result<VerificationKey, ParseError> {
        KeyCache::key(self).map(|cached| cached.key)
    }

    /// The ed25519 key if it is fit to sign: on the curve and not of small order (a weak key
    /// would let one signature verify for many messages). Cached like [`Self::verifying_key`].
    pub fn strong_key(&self) -> Option<VerificationKey> {
        KeyCache::key(self).ok().filter(|cached| !cached.weak).map(|cached| cached.key)
    }

    /// A key fit to be registered: see [`Self::strong_key`]. The same rule refuses a signer in
    /// single and in batch verification.
    pub fn is_valid_key(&self) -> bool {
        self.strong_key().is_some()
    }

    /// Whether `signature` is a valid ZIP-215 signature of `message` under this key
    /// ([`crate::ed25519`], ADR 0015); false for a key that is not on the curve or is weak.
    ///
    /// The one signature rule of the network: transactions, consensus votes and proposals,
    /// commit certificates and signed reads are all checked with it, or with a
    /// [`crate::ed25519::Batch`], which gives the same verdicts.
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        self.strong_key().is_some_and(|key| key.verify(message, &signature.0))
    }

    /// First 8 hex characters, for logs and human-facing summaries.
    pub fn short(&self) -> String {
        hex::encode(&self.0[..4])
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", Self::TEXT_PREFIX, hex::encode(self.0))
    }
}

impl fmt::Debug for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartyId({})", self.short())
    }
}

impl FromStr for PartyId {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hex = s.strip_prefix(Self::TEXT_PREFIX).unwrap_or(s);
        parse_hex32(hex).map(PartyId)
    }
}

impl Serialize for PartyId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PartyId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as Deserialize>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An ed25519 signature (64 bytes). JSON: 128 hex characters.
#[derive(Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Signature(pub [u8; 64]);

impl Signature {
    pub fn to_dalek(&self) -> ed25519_dalek::Signature {
        ed25519_dalek::Signature::from_bytes(&self.0)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({}…)", hex::encode(&self.0[..8]))
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as Deserialize>::deserialize(d)?;
        let mut out = [0u8; 64];
        if s.len() != 128 {
            return Err(serde::de::Error::custom(ParseError::Length { expected: 128, found: s.len() }));
        }
        hex::decode_to_slice(s.as_bytes(), &mut out)
            .map_err(|_| serde::de::Error::custom(ParseError::Hex))?;
        Ok(Signature(out))
    }
}

/// A party's signing key. Created from 32 secret bytes; this crate never generates randomness,
/// so callers (the CLI, the testnet) draw the seed from the OS.
pub struct Keypair(SigningKey);

impl Keypair {
    pub fn from_seed(seed: [u8; 32]) -> Self {
        Keypair(SigningKey::from_bytes(&seed))
    }

    /// The secret seed, for writing a key file. Handle with care.
    pub fn seed(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub fn party(&self) -> PartyId {
        PartyId(self.0.verifying_key().to_bytes())
    }

    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message).to_bytes())
    }

    /// A deterministic key for tests and fixtures: the seed is SHA-256 of `label`.
    #[cfg(any(test, feature = "test-utils"))]
    pub fn for_test(label: &str) -> Self {
        Keypair::from_seed(crate::Hash::digest(label.as_bytes()).0)
    }
}

impl fmt::Debug for Keypair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Keypair({:?}, secret redacted)", self.party())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn party_text_form_round_trips_with_and_without_prefix() {
        let party = Keypair::for_test("carrier").party();
        let text = party.to_string();
        assert!(text.starts_with("ebl:") && text.len() == 68);
        assert_eq!(text.parse::<PartyId>(), Ok(party));
        assert_eq!(text["ebl:".len()..].parse::<PartyId>(), Ok(party));
        assert!("ebl:123".parse::<PartyId>().is_err());
        let json = serde_json::to_string(&party).expect("serialise");
        assert_eq!(serde_json::from_str::<PartyId>(&json).expect("parse"), party);
    }

    #[test]
    fn generated_keys_are_valid_and_small_order_keys_are_not() {
        assert!(Keypair::for_test("a").party().is_valid_key());
        // The identity point (y = 1) has small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(!PartyId(identity).is_valid_key());
        // y = 2 is not on the curve.
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        assert!(!PartyId(off_curve).is_valid_key());
    }

    #[test]
    fn cached_keys_answer_as_decompression_does() {
        let party = Keypair::for_test("cached").party();
        let direct = VerificationKey::from_bytes(party.as_bytes()).expect("on the curve");
        // First call decompresses and keeps the key, the second reads it back: same key.
        assert_eq!(party.verifying_key(), Ok(direct));
        assert_eq!(party.verifying_key(), Ok(direct));
        // A key that does not decompress is refused every time (never kept).
        let mut off_curve = [0u8; 32];
        off_curve[0] = 2;
        assert_eq!(PartyId(off_curve).verifying_key(), Err(ParseError::Key));
        assert_eq!(PartyId(off_curve).verifying_key(), Err(ParseError::Key));
        // A weak key decompresses, and is kept with its verdict: refused as a signer every time.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        for _ in 0..2 {
            assert!(PartyId(identity).verifying_key().is_ok_and(|k| k.is_small_order()));
            assert_eq!(PartyId(identity).strong_key(), None);
            assert_eq!(party.strong_key(), Some(direct));
        }
        // A full cache is emptied, not grown.
        for i in 0..KEY_CACHE_MAX + 10 {
            let p = Keypair::for_test(&format!("filler {i}")).party();
            assert!(p.verifying_key().is_ok());
        }
        assert!(KeyCache::lock().len() <= KEY_CACHE_MAX);
        assert_eq!(party.verifying_key(), Ok(direct));
    }
}
