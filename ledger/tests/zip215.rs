//! The ledger's one signature rule (`ebl_ledger::ed25519`, ADR 0015) against its reference,
//! `ed25519-consensus` (ZIP-215), on the inputs where ed25519 verifiers disagree: small-order and
//! non-canonical points, torsion components in `R` and in `A`, non-canonical `s`; then random
//! signatures and bit flips. And the property the rule was chosen for: a crafted signature gets
//! the same verdict alone and in every batch, where ed25519-dalek's `verify_batch` (the ledger's
//! batch check before ADR 0015) accepted it in some batches and refused it in others.

use curve25519_dalek::constants::ED25519_BASEPOINT_POINT;
use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use ebl_ledger::ed25519::{Batch, VerificationKey};
use ebl_ledger::records::BlId;
use ebl_ledger::tx::{signing_message, verify_batch, SIGNING_MESSAGE_BYTES};
use ebl_ledger::{Action, Keypair, PartyId, Signature, Transaction, TxBody, TxError};
use proptest::prelude::*;
use sha2::{Digest, Sha512};

/// The message of ZIP-215's small-order test vectors.
const ZIP215_MESSAGE: &[u8] = b"Zcash";

/// ed25519-consensus's verdict: the reference.
fn reference(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    ed25519_consensus::VerificationKey::try_from(*key)
        .and_then(|k| k.verify(&ed25519_consensus::Signature::from(*signature), message))
        .is_ok()
}

/// Ours, single.
fn ours(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    VerificationKey::from_bytes(key).is_some_and(|k| k.verify(message, signature))
}

/// Ours, as a batch of one.
fn ours_batched(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    VerificationKey::from_bytes(key).is_some_and(|k| {
        let mut batch = Batch::default();
        batch.queue(&k, message, signature);
        batch.verify()
    })
}

fn scalar_of(label: &str) -> Scalar {
    Scalar::from_bytes_mod_order_wide(&Sha512::digest(label.as_bytes()).into())
}

/// The torsion component of `point`: `point − [8⁻¹ mod ℓ][8]point`.
fn torsion_part(point: &EdwardsPoint) -> EdwardsPoint {
    let eighth = Scalar::from(8u8).invert();
    point - eighth * point.mul_by_cofactor()
}

/// A point of order exactly 8, found as the torsion component of some curve point.
fn order_8_point() -> EdwardsPoint {
    for y in 2u8..=255 {
        let mut bytes = [0u8; 32];
        bytes[0] = y;
        let Some(point) = CompressedEdwardsY(bytes).decompress() else { continue };
        let t = torsion_part(&point);
        let order_8 = t.mul_by_cofactor().is_identity() && !(t + t + t + t).is_identity();
        if order_8 {
            return t;
        }
    }
    panic!("no y below 256 has a point with torsion of order 8");
}

/// The 8 small-order points: multiples of a point of order 8.
fn small_order_points() -> Vec<EdwardsPoint> {
    let t = order_8_point();
    let mut points = vec![EdwardsPoint::default()];
    for _ in 1..8 {
        let next = points[points.len() - 1] + t;
        points.push(next);
    }
    points
}

/// p = 2²⁵⁵ − 19, little-endian.
fn p_bytes() -> [u8; 32] {
    let mut p = [0xff; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    p
}

/// `p + j` little-endian (j < 19, so it stays below 2²⁵⁵), with the sign bit `sign`.
fn p_plus(j: u8, sign: bool) -> [u8; 32] {
    let mut bytes = p_bytes();
    bytes[0] += j; // 0xed + 18 = 0xff: no carry
    if sign {
        bytes[31] |= 0x80;
    }
    bytes
}

/// Every 32-byte string that decodes to a small-order point: the 8 canonical encodings, and the
/// non-canonical ones — a `y ≥ p` (`y = p + j`, j < 19) or the sign bit set on `x = 0`.
fn small_order_encodings() -> Vec<[u8; 32]> {
    let mut candidates = Vec::new();
    for point in small_order_points() {
        let canonical = point.compress().to_bytes();
        let mut flipped = canonical;
        flipped[31] ^= 0x80;
        candidates.push(canonical);
        candidates.push(flipped);
    }
    for j in 0..19 {
        candidates.push(p_plus(j, false));
        candidates.push(p_plus(j, true));
    }
    let mut encodings: Vec<[u8; 32]> = candidates
        .into_iter()
        .filter(|bytes| CompressedEdwardsY(*bytes).decompress().is_some_and(|p| p.is_small_order()))
        .collect();
    encodings.sort();
    encodings.dedup();
    encodings
}

#[test]
fn the_small_order_points_have_fourteen_encodings_six_of_them_non_canonical() {
    let encodings = small_order_encodings();
    let canonical = encodings
        .iter()
        .filter(|b| CompressedEdwardsY(**b).decompress().is_some_and(|p| p.compress().to_bytes() == **b))
        .count();
    assert_eq!((encodings.len(), canonical), (14, 8));
}

/// ZIP-215's 196 cases: every small-order encoding as `A` and as `R`, `s = 0`. All are valid under
/// ZIP-215 (`[8]R` and `[8][k]A` are both the identity), and the ledger refuses them all as
/// signers only because of its key rule (no small-order key), which is the same alone and in a batch.
#[test]
fn the_196_small_order_cases_agree_with_ed25519_consensus_alone_and_batched() {
    let encodings = small_order_encodings();
    let mut batch = Batch::default();
    let mut cases = 0;
    for a in &encodings {
        let key = VerificationKey::from_bytes(a).expect("a small-order encoding decodes");
        assert!(key.is_small_order());
        for r in &encodings {
            let mut signature = [0u8; 64];
            signature[..32].copy_from_slice(r);
            assert!(reference(a, ZIP215_MESSAGE, &signature), "ZIP-215 accepts A={a:02x?} R={r:02x?}");
            assert!(ours(a, ZIP215_MESSAGE, &signature), "A={a:02x?} R={r:02x?}");
            assert!(ours_batched(a, ZIP215_MESSAGE, &signature));
            batch.queue(&key, ZIP215_MESSAGE, &signature);
            // The ledger's extra rule: a small-order key signs nothing, whatever the signature.
            assert!(!PartyId(*a).verify(ZIP215_MESSAGE, &Signature(signature)));
            // ed25519-dalek's verify_strict refused every one of them.
            assert!(!dalek_strict(a, ZIP215_MESSAGE, &signature));
            cases += 1;
        }
    }
    assert_eq!(cases, 196);
    assert!(batch.verify(), "all 196 in one batch");
}

fn dalek_strict(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    ed25519_dalek::VerifyingKey::from_bytes(key)
        .is_ok_and(|k| k.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature)).is_ok())
}

/// A signer who knows his secret scalar, to craft what honest signing code never makes.
struct Crafter {
    secret: Scalar,
    /// The public point signed under (may carry torsion).
    public: EdwardsPoint,
}

impl Crafter {
    fn new(label: &str) -> Self {
        let secret = scalar_of(label);
        Crafter { secret, public: EdwardsPoint::mul_base(&secret) }
    }

    /// The secret of a `Keypair::from_seed(seed)` (RFC 8032: the clamped first half of SHA-512 of
    /// the seed), so crafted signatures can be made for a registered party.
    fn of_seed(seed: [u8; 32]) -> Self {
        let mut h: [u8; 64] = Sha512::digest(seed).into();
        h[0] &= 248;
        h[31] &= 127;
        h[31] |= 64;
        let mut half = [0u8; 32];
        half.copy_from_slice(&h[..32]);
        let secret = Scalar::from_bytes_mod_order(half);
        Crafter { secret, public: EdwardsPoint::mul_base(&secret) }
    }

    fn key_bytes(&self) -> [u8; 32] {
        self.public.compress().to_bytes()
    }

    /// A signature of `message` whose `R` is `[r]B + torsion`, valid for the cofactored equation.
    fn sign_with_torsion_in_r(&self, message: &[u8], torsion: &EdwardsPoint) -> [u8; 64] {
        let r = scalar_of(&format!("nonce {}", hex::encode(message)));
        let big_r = (EdwardsPoint::mul_base(&r) + torsion).compress().to_bytes();
        let k = challenge(&big_r, &self.key_bytes(), message);
        let s = r + k * self.secret;
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&big_r);
        signature[32..].copy_from_slice(s.as_bytes());
        signature
    }
}

fn challenge(r: &[u8; 32], a: &[u8; 32], message: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(message);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

#[test]
fn torsion_in_r_is_accepted_as_ed25519_consensus_does_and_verify_strict_did_not() {
    let signer = Crafter::new("torsion in R");
    let key = signer.key_bytes();
    for (i, torsion) in small_order_points().iter().enumerate() {
        let message = format!("message {i}");
        let signature = signer.sign_with_torsion_in_r(message.as_bytes(), torsion);
        assert!(reference(&key, message.as_bytes(), &signature), "torsion {i}");
        assert!(ours(&key, message.as_bytes(), &signature), "torsion {i}");
        assert!(ours_batched(&key, message.as_bytes(), &signature), "torsion {i}");
        assert!(PartyId(key).verify(message.as_bytes(), &Signature(signature)));
        // Cofactorless: only the torsion-free R (i = 0) passed verify_strict.
        assert_eq!(dalek_strict(&key, message.as_bytes(), &signature), i == 0, "torsion {i}");
        // A changed message fails under every rule.
        assert!(!ours(&key, b"other", &signature) && !reference(&key, b"other", &signature));
    }
}

#[test]
fn torsion_in_a_is_accepted_as_ed25519_consensus_does() {
    let honest = Crafter::new("torsion in A");
    for (i, torsion) in small_order_points().iter().enumerate() {
        // The same secret, its public point shifted by a torsion point: a mixed-order key, which
        // the ledger's key rule admits (it is not of small order).
        let signer = Crafter { secret: honest.secret, public: honest.public + torsion };
        let key = signer.key_bytes();
        let message = format!("message {i}");
        let signature = signer.sign_with_torsion_in_r(message.as_bytes(), &EdwardsPoint::default());
        assert!(reference(&key, message.as_bytes(), &signature), "torsion {i}");
        assert!(ours(&key, message.as_bytes(), &signature), "torsion {i}");
        assert!(ours_batched(&key, message.as_bytes(), &signature), "torsion {i}");
        assert!(
            PartyId(key).is_valid_key() && PartyId(key).verify(message.as_bytes(), &Signature(signature))
        );
        assert!(!ours(&key, b"other", &signature) && !reference(&key, b"other", &signature));
    }
}

/// `s + ℓ` is the same residue but not canonical: refused by both, alone and in a batch.
#[test]
fn a_non_canonical_s_is_refused_as_ed25519_consensus_refuses_it() {
    let keypair = Keypair::from_seed([3; 32]);
    let key = *keypair.party().as_bytes();
    let signature = keypair.sign(b"pay").0;
    assert!(reference(&key, b"pay", &signature) && ours(&key, b"pay", &signature));
    let ell_minus_one = (Scalar::ZERO - Scalar::ONE).to_bytes();
    let mut bumped = signature;
    let mut carry = 1u16;
    for (byte, l) in bumped[32..].iter_mut().zip(ell_minus_one) {
        let sum = u16::from(*byte) + u16::from(l) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "s + ℓ fits in 32 bytes");
    assert!(!reference(&key, b"pay", &bumped));
    assert!(!ours(&key, b"pay", &bumped));
    assert!(!ours_batched(&key, b"pay", &bumped));
    // And so are s with the top bits set, which no reduction makes canonical.
    let mut high = signature;
    high[63] |= 0xe0;
    assert!(!reference(&key, b"pay", &high) && !ours(&key, b"pay", &high));
}

/// Keys with a non-canonical `y ≥ p` that are not of small order decode under both rules, and
/// a signature that does not hold is refused by both.
#[test]
fn non_canonical_keys_of_large_order_decode_and_agree() {
    let mut decoded = 0;
    for j in 0..19 {
        for sign in [false, true] {
            let a = p_plus(j, sign);
            let ours_key = VerificationKey::from_bytes(&a);
            let theirs = ed25519_consensus::VerificationKey::try_from(a).is_ok();
            assert_eq!(ours_key.is_some(), theirs, "y = p + {j}, sign {sign}");
            let Some(key) = ours_key else { continue };
            decoded += 1;
            let mut signature = [0u8; 64];
            signature[..32].copy_from_slice(&small_order_encodings()[0]);
            assert_eq!(key.verify(b"m", &signature), reference(&a, b"m", &signature));
            assert_eq!(key.verify(b"m", &signature), key.is_small_order());
        }
    }
    // At least y = 0 and y = 1 (small order), each with either sign bit.
    assert!(decoded >= 4, "{decoded} keys with y ≥ p decode");
}

/// A transaction whose signer crafted torsion into `R`.
fn crafted_transaction(torsion: &EdwardsPoint) -> Transaction {
    let seed = [42; 32];
    let keypair = Keypair::from_seed(seed);
    let crafter = Crafter::of_seed(seed);
    assert_eq!(crafter.key_bytes(), *keypair.party().as_bytes(), "the RFC 8032 secret of the seed");
    let body = transfer(&keypair, 0);
    let signature = crafter.sign_with_torsion_in_r(&signing_message(&body.id()), torsion);
    Transaction { body, signatures: vec![Signature(signature)] }
}

fn transfer(from: &Keypair, nonce: u64) -> TxBody {
    let carrier = Keypair::from_seed([1; 32]).party();
    TxBody {
        chain_id: "ebl-zip215".into(),
        nonce,
        signers: vec![from.party()],
        action: Action::Transfer { bl: BlId::new(&carrier, &format!("ZIP{nonce:07}")), to: carrier },
    }
}

fn honest_transactions(count: usize) -> Vec<Transaction> {
    let keys: Vec<Keypair> = (0..4u8).map(|i| Keypair::from_seed([100 + i; 32])).collect();
    (0..count).map(|i| transfer(&keys[i % keys.len()], i as u64).sign(&[&keys[i % keys.len()]])).collect()
}

/// Issue 29, attack (e)'s precondition: a torsion signature must get one verdict whatever batch
/// it is checked in. Under ADR 0015 it is accepted alone and in every batch tried (sizes 1 to 64,
/// at every position); under the old rule (`verify_strict` alone, ed25519-dalek's `verify_batch`
/// on the fast path) it was refused alone and accepted by some batches — which is what let
/// honest validators that batch differently judge one proposal differently.
#[test]
fn a_torsion_signature_gets_one_verdict_alone_and_in_every_batch() {
    let torsion = order_8_point();
    let crafted = crafted_transaction(&torsion);
    let signer = crafted.body.signers[0];
    assert!(crafted.clone().verify().is_ok(), "accepted alone (cofactored)");
    let honest = honest_transactions(63);

    let old_key = ed25519_dalek::VerifyingKey::from_bytes(signer.as_bytes()).expect("a key");
    let old_signature = ed25519_dalek::Signature::from_bytes(&crafted.signatures[0].0);
    let crafted_message = signing_message(&crafted.id());
    assert!(old_key.verify_strict(&crafted_message, &old_signature).is_err(), "verify_strict refused it");
    let (mut old_passed, mut old_failed) = (0, 0);

    for size in 1..=64usize {
        let position = size / 3;
        let mut batch: Vec<Transaction> = honest[..size - 1].to_vec();
        batch.insert(position, crafted.clone());
        let verdicts = verify_batch(batch.clone());
        assert!(verdicts.iter().all(Result::is_ok), "size {size}: every verdict is the single verdict");

        // The old batch check over the same signatures.
        let messages: Vec<[u8; SIGNING_MESSAGE_BYTES]> =
            batch.iter().map(|tx| signing_message(&tx.id())).collect();
        let message_refs: Vec<&[u8]> = messages.iter().map(|m| m.as_slice()).collect();
        let signatures: Vec<ed25519_dalek::Signature> =
            batch.iter().map(|tx| ed25519_dalek::Signature::from_bytes(&tx.signatures[0].0)).collect();
        let keys: Vec<ed25519_dalek::VerifyingKey> = batch
            .iter()
            .map(|tx| ed25519_dalek::VerifyingKey::from_bytes(tx.body.signers[0].as_bytes()).expect("key"))
            .collect();
        if ed25519_dalek::verify_batch(&message_refs, &signatures, &keys).is_ok() {
            old_passed += 1;
        } else {
            old_failed += 1;
        }
    }
    // Each batch passed iff its (transcript-drawn) coefficient for the crafted signature was a
    // multiple of 8: about one batch in eight.
    assert!(old_passed > 0 && old_failed > 0, "old rule: {old_passed} batches passed, {old_failed} failed");
    eprintln!("ed25519-dalek verify_batch accepted the torsion signature in {old_passed} of 64 batches");
}

/// The other side of agreement: a signature that is invalid under the rule is refused alone
/// and in every batch, and never takes a valid neighbour down with it.
#[test]
fn an_invalid_signature_is_refused_in_every_batch_and_only_it() {
    let mut forged = honest_transactions(1).remove(0);
    forged.signatures[0].0[10] ^= 4;
    let signer = forged.body.signers[0];
    let honest = honest_transactions(40);
    for size in [1usize, 2, 3, 17, 40] {
        let mut batch = honest[..size - 1].to_vec();
        let position = size / 2;
        batch.insert(position, forged.clone());
        let verdicts = verify_batch(batch);
        for (i, verdict) in verdicts.iter().enumerate() {
            if i == position {
                assert_eq!(verdict, &Err(TxError::BadSignature(signer)));
            } else {
                assert!(verdict.is_ok(), "size {size}, position {i}");
            }
        }
    }
}

#[test]
fn a_small_order_key_is_refused_as_a_signer_alone_and_in_a_batch() {
    let weak = PartyId(small_order_encodings()[0]);
    assert!(!weak.is_valid_key());
    let mut tx = honest_transactions(1).remove(0);
    tx.body.signers = vec![weak];
    tx.signatures = vec![Signature([0; 64])];
    assert_eq!(tx.clone().verify(), Err(TxError::BadKey(weak)));
    let mut batch = honest_transactions(3);
    batch.insert(1, tx);
    let verdicts = verify_batch(batch);
    assert_eq!(verdicts[1], Err(TxError::BadKey(weak)));
    assert!(verdicts[0].is_ok() && verdicts[2].is_ok() && verdicts[3].is_ok());
}

/// What the ledger signs (the domain-tagged transaction id) verifies under both.
#[test]
fn the_ledger_signature_of_a_transaction_agrees_with_ed25519_consensus() {
    let tx = honest_transactions(1).remove(0);
    let message = signing_message(&tx.id());
    let key = *tx.body.signers[0].as_bytes();
    assert!(reference(&key, &message, &tx.signatures[0].0));
    assert!(ours(&key, &message, &tx.signatures[0].0));
    assert!(tx.verify().is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    /// Honest signatures are valid under both rules; after any one bit flip in the key, the
    /// signature or the message, both rules (and our batch) still give one verdict.
    #[test]
    fn random_signatures_and_bit_flips_agree_with_ed25519_consensus(
        seed in any::<[u8; 32]>(),
        message in proptest::collection::vec(any::<u8>(), 0..96),
        flip in 0usize..(32 + 64 + 96) * 8,
    ) {
        let keypair = Keypair::from_seed(seed);
        let mut key = *keypair.party().as_bytes();
        let mut signature = keypair.sign(&message).0;
        prop_assert!(reference(&key, &message, &signature));
        prop_assert!(ours(&key, &message, &signature));
        prop_assert!(ours_batched(&key, &message, &signature));

        let mut message = message;
        let (byte, bit) = (flip / 8, flip % 8);
        if byte < 32 {
            key[byte] ^= 1 << bit;
        } else if byte < 96 {
            signature[byte - 32] ^= 1 << bit;
        } else if byte - 96 < message.len() {
            message[byte - 96] ^= 1 << bit;
        } else {
            message.push(1 << bit);
        }
        let expected = reference(&key, &message, &signature);
        prop_assert_eq!(ours(&key, &message, &signature), expected);
        prop_assert_eq!(ours_batched(&key, &message, &signature), expected);
        // An honest key has x ≠ 0 and an honest s < 2²⁵³, so no flip leaves an encoding of the
        // same values: every flip is a forgery, refused.
        prop_assert!(!expected);
    }

    /// Batches of random honest signatures pass, and with one of them broken fail, as the
    /// signatures one by one say.
    #[test]
    fn random_batches_give_the_verdict_of_their_signatures(
        seeds in proptest::collection::vec(any::<[u8; 32]>(), 1..24),
        broken in proptest::option::of(any::<proptest::sample::Index>()),
    ) {
        let mut batch = Batch::default();
        let mut all_valid = true;
        for (i, seed) in seeds.iter().enumerate() {
            let keypair = Keypair::from_seed(*seed);
            let key = VerificationKey::from_bytes(keypair.party().as_bytes()).expect("a key");
            let mut signature = keypair.sign(seed).0;
            if broken.as_ref().is_some_and(|b| b.index(seeds.len()) == i) {
                signature[33] ^= 0x10;
            }
            let single = key.verify(seed, &signature);
            prop_assert_eq!(single, reference(key.as_bytes(), seed, &signature));
            all_valid &= single;
            batch.queue(&key, seed, &signature);
        }
        prop_assert_eq!(batch.verify(), all_valid);
        prop_assert_eq!(all_valid, broken.is_none());
    }
}

#[test]
fn the_basepoint_has_no_torsion() {
    assert!(torsion_part(&ED25519_BASEPOINT_POINT).is_identity());
}
