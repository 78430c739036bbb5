//! Ed25519 verification under ZIP-215 rules: one predicate, whether a signature is checked
//! alone or inside a batch of any size and composition (ADR 0015).
//!
//! A signature `(R, s)` by the key `A` over the message `M` is valid iff
//!
//! * `A` and `R` decode from their 32 bytes as curve points — non-canonical encodings (a
//!   `y ≥ p`, or `x = 0` with the sign bit set) are accepted, as ZIP-215 requires;
//! * `s`, read as a little-endian integer, is canonical: `s < ℓ`;
//! * the cofactored equation `[8][s]B = [8]R + [8][k]A` holds, with
//!   `k = SHA-512(R_bytes ‖ A_bytes ‖ M) mod ℓ` over the bytes exactly as given.
//!
//! This is the rule `ed25519-consensus` implements (Zcash's ZIP-215), written here on
//! curve25519-dalek 5 so that it runs on the same vector backends (AVX-512 IFMA where the CPU
//! has it, ADR 0013) as the rest of our curve arithmetic.
//!
//! **Why single and batch agree.** Because of the factor 8, each signature contributes to the
//! equation an element `[8]([s]B − R − [k]A)` of the prime-order subgroup: the identity if and
//! only if the signature is valid, whatever torsion `A` or `R` carry. A batch checks
//! `[8] Σ zᵢ([sᵢ]B − Rᵢ − [kᵢ]Aᵢ) = 0` with 128-bit coefficients `zᵢ`:
//!
//! * if every signature is valid every term is the identity, so the batch passes — exactly, for
//!   every choice of `zᵢ`;
//! * if one is not, its term is a non-zero element of a group of prime order ℓ > 2²⁵², and the
//!   sum vanishes only if the `zᵢ` fall on a relation the inputs fixed before the `zᵢ` were drawn:
//!   probability about 2⁻¹²⁷ per batch.
//!
//! The cofactorless batch of ed25519-dalek lacks the first property: a term `zᵢ·T` from a
//! torsion point `T` in `R` vanishes when `zᵢ` is a multiple of T's order, so a crafted signature
//! passes one batch in eight and fails the others (ADR 0002 — superseded).
//!
//! The `zᵢ` are drawn deterministically from SHA-512 of the whole batch (every signature's
//! `SHA-512(R ‖ A ‖ M)` and `s`), so the ledger needs no random number generator; a forger who
//! wants a relation among them must find it in a hash output he cannot choose, which the
//! cofactored equation makes as hard as for random coefficients (see ADR 0015).

use std::collections::BTreeMap;
use std::fmt;

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

/// Bytes of an encoded public key, and of each half of a signature.
pub const KEY_BYTES: usize = 32;
/// Bytes of a signature: the encoding of `R`, then `s` little-endian.
pub const SIGNATURE_BYTES: usize = 64;

/// Domain tag of the batch transcript the coefficients are drawn from (ours, not ZIP-215's:
/// the coefficients are internal to a verifier and change no verdict).
const BATCH_TRANSCRIPT_TAG: &[u8] = b"ebl-ledger/ed25519-zip215-batch/v1";

/// Coefficients drawn from one SHA-512 output: 64 bytes, 16 per coefficient.
const COEFFICIENTS_PER_HASH: usize = 4;

/// A public key as ZIP-215 reads it: the 32 bytes as given (they are hashed into `k`) and the
/// point they decode to.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VerificationKey {
    bytes: [u8; KEY_BYTES],
    point: EdwardsPoint,
}

impl VerificationKey {
    /// The key, if `bytes` decode to a curve point (canonically or not). `None` for a `y` that
    /// is on no point of the curve.
    pub fn from_bytes(bytes: &[u8; KEY_BYTES]) -> Option<Self> {
        decode_point(bytes).map(|point| VerificationKey { bytes: *bytes, point })
    }

    pub fn as_bytes(&self) -> &[u8; KEY_BYTES] {
        &self.bytes
    }

    /// Whether the key is of small order (one of the 8 torsion points): such a key "signs"
    /// with `s = 0` every message, and the ledger refuses it as a signer (our rule on top of
    /// ZIP-215, which accepts it).
    pub fn is_small_order(&self) -> bool {
        self.point.is_small_order()
    }

    /// Whether `signature` is a valid ZIP-215 signature of `message` under this key.
    pub fn verify(&self, message: &[u8], signature: &[u8; SIGNATURE_BYTES]) -> bool {
        let Some((r, s)) = decode_signature(signature) else {
            return false;
        };
        let k = challenge(signature_r_bytes(signature), &self.bytes, message);
        // [s]B − [k]A − R, times the cofactor.
        let minus_a = -self.point;
        let check = EdwardsPoint::vartime_double_scalar_mul_basepoint(&k, &minus_a, &s) - r;
        check.mul_by_cofactor().is_identity()
    }
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerificationKey({})", hex::encode(self.bytes))
    }
}

/// The point `bytes` encode, canonical or not (curve25519-dalek's decompression reduces `y`
/// modulo p and takes the sign bit of `x = 0` as it comes, which is ZIP-215's rule).
fn decode_point(bytes: &[u8; KEY_BYTES]) -> Option<EdwardsPoint> {
    CompressedEdwardsY(*bytes).decompress()
}

/// The first half of a signature: `R`'s encoding.
fn signature_r_bytes(signature: &[u8; SIGNATURE_BYTES]) -> &[u8; KEY_BYTES] {
    signature.first_chunk().unwrap_or(&[0; KEY_BYTES])
}

/// The second half of a signature: `s`, little-endian.
fn signature_s_bytes(signature: &[u8; SIGNATURE_BYTES]) -> &[u8; KEY_BYTES] {
    signature.last_chunk().unwrap_or(&[0; KEY_BYTES])
}

/// `R` and `s`, if `R` decodes and `s < ℓ`.
fn decode_signature(signature: &[u8; SIGNATURE_BYTES]) -> Option<(EdwardsPoint, Scalar)> {
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(*signature_s_bytes(signature)))?;
    let r = decode_point(signature_r_bytes(signature))?;
    Some((r, s))
}

/// `SHA-512(R ‖ A ‖ M)`, the 64 bytes (the batch transcript takes them whole).
fn challenge_digest(r: &[u8; KEY_BYTES], a: &[u8; KEY_BYTES], message: &[u8]) -> [u8; 64] {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(message);
    h.finalize().into()
}

/// `k = SHA-512(R ‖ A ‖ M) mod ℓ`.
fn challenge(r: &[u8; KEY_BYTES], a: &[u8; KEY_BYTES], message: &[u8]) -> Scalar {
    Scalar::from_bytes_mod_order_wide(&challenge_digest(r, a, message))
}

/// One queued signature: its key (an index into the batch's distinct keys), `k`, `R`, `s`.
struct Entry {
    key: usize,
    k: Scalar,
    r: EdwardsPoint,
    s: Scalar,
}

/// Many signatures checked with one multiscalar multiplication. [`Batch::verify`] is true iff
/// [`VerificationKey::verify`] is true for every queued signature (up to the 2⁻¹²⁷ above); on
/// false, check them one by one to find which.
///
/// Memory is linear in the signatures queued; the callers bound them (a block holds at most
/// `BLOCK_TXS_MAX` transactions of at most `TX_SIGNERS_MAX` signers).
pub struct Batch {
    entries: Vec<Entry>,
    /// Distinct keys by their bytes: signatures by one key share one point of the
    /// multiplication, its coefficient the sum of theirs. A `BTreeMap`, so nothing depends on
    /// a hasher's seed.
    key_index: BTreeMap<[u8; KEY_BYTES], usize>,
    keys: Vec<EdwardsPoint>,
    /// Every queued `SHA-512(R ‖ A ‖ M)` and `s`, in order: the coefficients are drawn from it.
    transcript: Sha512,
    /// A signature whose `R` does not decode or whose `s` is not canonical was queued: the
    /// batch fails whatever else it holds, as that signature fails alone.
    malformed: bool,
}

impl fmt::Debug for Batch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("signatures", &self.entries.len())
            .field("keys", &self.keys.len())
            .field("malformed", &self.malformed)
            .finish()
    }
}

impl Default for Batch {
    fn default() -> Self {
        Batch::with_capacity(0)
    }
}

impl Batch {
    /// An empty batch with room for `signatures` (most transactions have one signer).
    pub fn with_capacity(signatures: usize) -> Self {
        let mut transcript = Sha512::new();
        transcript.update(BATCH_TRANSCRIPT_TAG);
        Batch {
            entries: Vec::with_capacity(signatures),
            key_index: BTreeMap::new(),
            keys: Vec::new(),
            transcript,
            malformed: false,
        }
    }

    /// Signatures queued so far.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Queues `signature` of `message` by `key`.
    pub fn queue(&mut self, key: &VerificationKey, message: &[u8], signature: &[u8; SIGNATURE_BYTES]) {
        let Some((r, s)) = decode_signature(signature) else {
            self.malformed = true;
            return;
        };
        let digest = challenge_digest(signature_r_bytes(signature), &key.bytes, message);
        self.transcript.update(digest);
        self.transcript.update(signature_s_bytes(signature));
        let next = self.keys.len();
        let index = *self.key_index.entry(key.bytes).or_insert(next);
        if index == next {
            self.keys.push(key.point);
        }
        self.entries.push(Entry { key: index, k: Scalar::from_bytes_mod_order_wide(&digest), r, s });
    }

    /// Whether every queued signature is valid (true for an empty batch).
    pub fn verify(self) -> bool {
        if self.malformed {
            return false;
        }
        if self.entries.is_empty() {
            return true;
        }
        let Batch { entries, keys, mut transcript, .. } = self;
        transcript.update((entries.len() as u64).to_le_bytes());
        let seed: [u8; 64] = transcript.finalize().into();

        // [8]( [−Σ zᵢsᵢ]B + Σ [zᵢ]Rᵢ + Σ_A [Σ_{i: Aᵢ = A} zᵢkᵢ]A ) = 0 ⇔ Σ zᵢ[8](Rᵢ + [kᵢ]Aᵢ − [sᵢ]B) = 0.
        let mut scalars = Vec::with_capacity(1 + entries.len() + keys.len());
        let mut points = Vec::with_capacity(1 + entries.len() + keys.len());
        scalars.push(Scalar::ZERO);
        points.push(ED25519_BASEPOINT_POINT);
        let mut b_coefficient = Scalar::ZERO;
        let mut key_coefficients = vec![Scalar::ZERO; keys.len()];
        for (chunk_index, chunk) in entries.chunks(COEFFICIENTS_PER_HASH).enumerate() {
            let mut h = Sha512::new();
            h.update(seed);
            h.update((chunk_index as u64).to_le_bytes());
            let block: [u8; 64] = h.finalize().into();
            for (entry, z_bytes) in chunk.iter().zip(block.chunks_exact(16)) {
                let mut z = [0u8; 16];
                z.copy_from_slice(z_bytes);
                // Never zero, so no signature can drop out of the sum.
                let z = Scalar::from(u128::from_le_bytes(z) | 1);
                b_coefficient += z * entry.s;
                if let Some(coefficient) = key_coefficients.get_mut(entry.key) {
                    *coefficient += z * entry.k;
                }
                scalars.push(z);
                points.push(entry.r);
            }
        }
        scalars[0] = -b_coefficient;
        scalars.extend(key_coefficients);
        points.extend(keys);
        EdwardsPoint::vartime_multiscalar_mul(&scalars, &points).mul_by_cofactor().is_identity()
    }
}

/// Signatures that honest signing code never makes, for tests of this rule and for the attack
/// tests of the node (issue 29, attack (e)). Only with the `test-utils` feature.
#[cfg(any(test, feature = "test-utils"))]
pub mod crafted {
    use super::*;
    use curve25519_dalek::constants::EIGHT_TORSION;

    /// A signature of `message` by the key of `seed` (the key of `Keypair::from_seed(seed)`) whose
    /// `R` is `[r]B + T`, with `T` a point of order 8. Valid under this rule (the cofactor removes
    /// `T`); refused by ed25519-dalek's `verify_strict`; accepted by its cofactorless
    /// `verify_batch` in about one batch in eight — the signature that let validators batching
    /// differently disagree before ADR 0015.
    pub fn torsion_in_r(seed: &[u8; 32], message: &[u8]) -> [u8; SIGNATURE_BYTES] {
        // RFC 8032 §5.1.5: the secret scalar is the clamped first half of SHA-512(seed).
        let expanded: [u8; 64] = Sha512::digest(seed).into();
        let mut half = [0u8; 32];
        half.copy_from_slice(&expanded[..32]);
        half[0] &= 248;
        half[31] &= 127;
        half[31] |= 64;
        let secret = Scalar::from_bytes_mod_order(half);
        let public = EdwardsPoint::mul_base(&secret).compress().to_bytes();
        let mut nonce = Sha512::new();
        nonce.update(b"ebl-ledger/crafted-torsion-nonce");
        nonce.update(&expanded[32..]);
        nonce.update(message);
        let r = Scalar::from_bytes_mod_order_wide(&nonce.finalize().into());
        let big_r = (EdwardsPoint::mul_base(&r) + EIGHT_TORSION[1]).compress().to_bytes();
        let s = r + challenge(&big_r, &public, message) * secret;
        let mut signature = [0u8; SIGNATURE_BYTES];
        signature[..32].copy_from_slice(&big_r);
        signature[32..].copy_from_slice(s.as_bytes());
        signature
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_and_signature(label: &str, message: &[u8]) -> (VerificationKey, [u8; 64]) {
        let keypair = crate::Keypair::for_test(label);
        let key = VerificationKey::from_bytes(keypair.party().as_bytes()).expect("a curve point");
        (key, keypair.sign(message).0)
    }

    #[test]
    fn a_dalek_signature_verifies_alone_and_in_a_batch_and_a_changed_one_does_not() {
        let (key, signature) = key_and_signature("a", b"message");
        assert!(key.verify(b"message", &signature));
        assert!(!key.verify(b"massage", &signature));
        let mut batch = Batch::default();
        batch.queue(&key, b"message", &signature);
        batch.queue(&key, b"message", &signature);
        assert_eq!(batch.len(), 2);
        assert!(batch.verify());
        let mut bad = signature;
        bad[40] ^= 1;
        assert!(!key.verify(b"message", &bad));
        let mut batch = Batch::default();
        batch.queue(&key, b"message", &signature);
        batch.queue(&key, b"message", &bad);
        assert!(!batch.verify());
        assert!(Batch::default().verify(), "an empty batch has nothing wrong in it");
    }

    #[test]
    fn a_crafted_torsion_signature_is_valid_here_and_refused_by_verify_strict() {
        let seed = [5u8; 32];
        let keypair = crate::Keypair::from_seed(seed);
        let signature = crafted::torsion_in_r(&seed, b"crafted");
        assert!(keypair.party().verify(b"crafted", &crate::Signature(signature)));
        assert!(!keypair.party().verify(b"other", &crate::Signature(signature)));
        let dalek = ed25519_dalek::VerifyingKey::from_bytes(keypair.party().as_bytes()).expect("a key");
        let strict = dalek.verify_strict(b"crafted", &ed25519_dalek::Signature::from_bytes(&signature));
        assert!(strict.is_err(), "R carries a torsion point");
        // R has order 8ℓ: its torsion part is of order 8, not less.
        let r = decode_point(signature_r_bytes(&signature)).expect("R decodes");
        let r4 = r + r + r + r;
        assert!(!r.is_torsion_free() && !r4.is_torsion_free());
    }

    #[test]
    fn a_non_canonical_s_is_refused_alone_and_in_a_batch() {
        let (key, signature) = key_and_signature("b", b"m");
        let mut bumped = signature;
        // s + ℓ: the same residue, not canonical (s of a real signature is < ℓ < 2²⁵³, so it fits).
        let ell = Scalar::ZERO - Scalar::ONE;
        let mut carry = 1u16;
        for (byte, l) in bumped[32..].iter_mut().zip(ell.to_bytes()) {
            let sum = u16::from(*byte) + u16::from(l) + carry;
            *byte = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0);
        assert!(!key.verify(b"m", &bumped));
        let mut batch = Batch::default();
        batch.queue(&key, b"m", &bumped);
        assert!(!batch.verify());
    }
}
