//! Consensus signatures and the commit certificate (DESIGN §4: the finality proof).
//!
//! Every message a validator signs for consensus is a domain tag followed by the borsh encoding
//! of what it binds, and always binds the chain id, so a vote of one network is worthless on
//! another. The same bytes are built here for the node (which signs and verifies votes) and
//! for a client (which checks a certificate without trusting the node it asked).
//!
//! A [`Certificate`] is the set of precommits for one block hash at one `(height, round)`.
//! It proves the block final when the signers hold more than two thirds of the voting power of
//! the validator set the client trusts (the genesis set).

use borsh::{BorshDeserialize, BorshSerialize};
use thiserror::Error;

use crate::block::BlockHeader;
use crate::hash::{domain, Hash};
use crate::keys::{PartyId, Signature};

/// Most signatures one certificate may carry (the validator cap of a genesis file).
pub const CERTIFICATE_SIGNATURES_MAX: usize = 128;

/// The kind of a consensus vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteKind {
    Prevote,
    Precommit,
}

/// The bytes a validator signs for a vote: `value` is `None` for a vote for nil.
pub fn vote_signing_bytes(
    kind: VoteKind,
    chain_id: &str,
    height: u64,
    round: u32,
    value: Option<&Hash>,
    validator: &PartyId,
) -> Vec<u8> {
    let tag = match kind {
        VoteKind::Prevote => domain::PREVOTE,
        VoteKind::Precommit => domain::COMMIT_VOTE,
    };
    tagged(tag, &(chain_id, height, round, value, validator))
}

/// The bytes a proposer signs for a proposal of `block_hash` at `(height, round)`.
pub fn proposal_signing_bytes(
    chain_id: &str,
    height: u64,
    round: u32,
    pol_round: Option<u32>,
    block_hash: &Hash,
    proposer: &PartyId,
) -> Vec<u8> {
    tagged(domain::PROPOSAL, &(chain_id, height, round, pol_round, block_hash, proposer))
}

/// The bytes a block's builder signs so that its streamed parts can be attributed to it: no
/// round, so any validator may restream the block verbatim in a later round.
pub fn proposal_block_signing_bytes(chain_id: &str, height: u64, block_hash: &Hash) -> Vec<u8> {
    tagged(domain::PROPOSAL_BLOCK, &(chain_id, height, block_hash))
}

fn tagged<T: BorshSerialize>(tag: &[u8], value: &T) -> Vec<u8> {
    let mut bytes = tag.to_vec();
    bytes.extend(crate::encoding::encode(value));
    bytes
}

/// Precommits for `block_hash` at `(height, round)`, sorted by party.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Certificate {
    pub height: u64,
    pub round: u32,
    pub block_hash: Hash,
    pub signatures: Vec<(PartyId, Signature)>,
}

/// Why a certificate does not prove a block final.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CertificateError {
    #[error("certificate is for height {certificate}, the header is at {header}")]
    WrongHeight { certificate: u64, header: u64 },
    #[error("certificate is for block {certificate}, the header hashes to {header}")]
    WrongBlock { certificate: Hash, header: Hash },
    #[error("certificate carries {0} signatures; at most {CERTIFICATE_SIGNATURES_MAX}")]
    TooManySignatures(usize),
    #[error("{0} signed twice")]
    DuplicateSigner(PartyId),
    #[error("{0} is not a validator of the trusted set")]
    UnknownSigner(PartyId),
    #[error("the signature of {0} does not verify")]
    BadSignature(PartyId),
    #[error("signers hold {signed} of {total} voting power; more than two thirds are needed")]
    InsufficientPower { signed: u64, total: u64 },
    /// The trusted validators' voting powers do not add up in a u64: such a set is refused,
    /// never summed with saturation (which would let one huge validator make a block final).
    #[error("the trusted validators' voting powers overflow a 64-bit sum")]
    PowerOverflow,
    /// No trusted validator has voting power: nothing can be final for such a set.
    #[error("the trusted validators hold no voting power")]
    NoVotingPower,
}

/// The total voting power of `validators`, refused if it overflows or is zero.
pub fn total_power(validators: &[(PartyId, u64)]) -> Result<u64, CertificateError> {
    let total = validators
        .iter()
        .try_fold(0u64, |sum, (_, power)| sum.checked_add(*power))
        .ok_or(CertificateError::PowerOverflow)?;
    if total == 0 {
        return Err(CertificateError::NoVotingPower);
    }
    Ok(total)
}

impl Certificate {
    /// Checks that this certificate makes `header` final for a client that trusts
    /// `validators` (party, voting power) on `chain_id`.
    pub fn verify(
        &self,
        chain_id: &str,
        validators: &[(PartyId, u64)],
        header: &BlockHeader,
    ) -> Result<(), CertificateError> {
        if self.height != header.height {
            return Err(CertificateError::WrongHeight { certificate: self.height, header: header.height });
        }
        let header_hash = header.hash();
        if self.block_hash != header_hash || header.chain_id != chain_id {
            return Err(CertificateError::WrongBlock { certificate: self.block_hash, header: header_hash });
        }
        self.verify_signatures(chain_id, validators)
    }

    /// Checks the signatures and the voting power, for `self.block_hash`.
    pub fn verify_signatures(
        &self,
        chain_id: &str,
        validators: &[(PartyId, u64)],
    ) -> Result<(), CertificateError> {
        if self.signatures.len() > CERTIFICATE_SIGNATURES_MAX {
            return Err(CertificateError::TooManySignatures(self.signatures.len()));
        }
        let total = total_power(validators)?;
        let mut signed: u64 = 0;
        for (i, (party, signature)) in self.signatures.iter().enumerate() {
            if self.signatures[..i].iter().any(|(p, _)| p == party) {
                return Err(CertificateError::DuplicateSigner(*party));
            }
            let power = validators
                .iter()
                .find(|(p, _)| p == party)
                .map(|(_, power)| *power)
                .ok_or(CertificateError::UnknownSigner(*party))?;
            let bytes = vote_signing_bytes(
                VoteKind::Precommit,
                chain_id,
                self.height,
                self.round,
                Some(&self.block_hash),
                party,
            );
            if !party.verify(&bytes, signature) {
                return Err(CertificateError::BadSignature(*party));
            }
            // Cannot overflow: the signers are distinct members of a set whose sum fits.
            signed = signed.checked_add(power).ok_or(CertificateError::PowerOverflow)?;
        }
        // More than two thirds: 3 × signed > 2 × total, in u128 so nothing overflows.
        if 3 * u128::from(signed) > 2 * u128::from(total) {
            Ok(())
        } else {
            Err(CertificateError::InsufficientPower { signed, total })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keypair;

    fn header(height: u64) -> BlockHeader {
        BlockHeader {
            chain_id: "c".into(),
            height,
            parent_hash: Hash::digest(b"parent"),
            time_ms: 1,
            proposer: Keypair::for_test("v0").party(),
            tx_root: Hash::ZERO,
            state_root: Hash::digest(b"state"),
            receipts_root: Hash::ZERO,
        }
    }

    fn keys() -> Vec<Keypair> {
        (0..4).map(|i| Keypair::for_test(&format!("v{i}"))).collect()
    }

    fn certify(signers: &[&Keypair], header: &BlockHeader, chain: &str) -> Certificate {
        let hash = header.hash();
        let mut signatures: Vec<(PartyId, Signature)> = signers
            .iter()
            .map(|k| {
                let bytes =
                    vote_signing_bytes(VoteKind::Precommit, chain, header.height, 0, Some(&hash), &k.party());
                (k.party(), k.sign(&bytes))
            })
            .collect();
        signatures.sort_by_key(|s| s.0);
        Certificate { height: header.height, round: 0, block_hash: hash, signatures }
    }

    #[test]
    fn three_of_four_validators_make_a_block_final_and_two_do_not() {
        let keys = keys();
        let set: Vec<(PartyId, u64)> = keys.iter().map(|k| (k.party(), 1)).collect();
        let h = header(5);
        let cert = certify(&[&keys[0], &keys[1], &keys[2]], &h, "c");
        assert_eq!(cert.verify("c", &set, &h), Ok(()));
        let two = certify(&[&keys[0], &keys[1]], &h, "c");
        assert_eq!(
            two.verify("c", &set, &h),
            Err(CertificateError::InsufficientPower { signed: 2, total: 4 })
        );
    }

    #[test]
    fn an_overflowing_or_powerless_validator_set_is_refused() {
        let keys = keys();
        let h = header(5);
        // With saturation, one validator of u64::MAX power in a set summing past u64::MAX
        // would pass alone (3 × MAX > 2 × MAX); the sum is refused instead.
        let huge: Vec<(PartyId, u64)> =
            vec![(keys[0].party(), u64::MAX), (keys[1].party(), u64::MAX), (keys[2].party(), 1)];
        let one = certify(&[&keys[0]], &h, "c");
        assert_eq!(one.verify("c", &huge, &h), Err(CertificateError::PowerOverflow));
        let powerless: Vec<(PartyId, u64)> = keys.iter().map(|k| (k.party(), 0)).collect();
        assert_eq!(one.verify("c", &powerless, &h), Err(CertificateError::NoVotingPower));
        assert_eq!(one.verify("c", &[], &h), Err(CertificateError::NoVotingPower));
        assert_eq!(total_power(&[(keys[0].party(), u64::MAX)]), Ok(u64::MAX));
    }

    #[test]
    fn a_changed_header_another_chain_a_forged_signature_or_a_stale_set_is_refused() {
        let keys = keys();
        let set: Vec<(PartyId, u64)> = keys.iter().map(|k| (k.party(), 1)).collect();
        let h = header(5);
        let cert = certify(&[&keys[0], &keys[1], &keys[2]], &h, "c");
        let mut changed = h.clone();
        changed.state_root = Hash::digest(b"other state");
        assert!(matches!(cert.verify("c", &set, &changed), Err(CertificateError::WrongBlock { .. })));
        let other_chain = certify(&[&keys[0], &keys[1], &keys[2]], &h, "d");
        assert!(matches!(other_chain.verify("c", &set, &h), Err(CertificateError::BadSignature(_))));
        let mut forged = cert.clone();
        forged.signatures[1].1 .0[5] ^= 1;
        assert!(matches!(forged.verify("c", &set, &h), Err(CertificateError::BadSignature(_))));
        let mut twice = cert.clone();
        twice.signatures[1] = twice.signatures[0];
        assert!(matches!(twice.verify("c", &set, &h), Err(CertificateError::DuplicateSigner(_))));
        let stale: Vec<(PartyId, u64)> =
            (4..8).map(|i| (Keypair::for_test(&format!("v{i}")).party(), 1)).collect();
        assert!(matches!(cert.verify("c", &stale, &h), Err(CertificateError::UnknownSigner(_))));
        let mut wrong_height = cert;
        wrong_height.height = 6;
        assert!(matches!(wrong_height.verify("c", &set, &h), Err(CertificateError::WrongHeight { .. })));
    }
}
