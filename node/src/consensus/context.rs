//! The consensus [`Context`]: what Malachite's Tendermint agrees on, in our types.
//!
//! * the value is the **block hash** ([`BlockHash`]); the block itself travels as proposal parts
//!   (`streaming.rs`), so a signed proposal stays small whatever the block's size;
//! * validators are the genesis validators, identified by their party key;
//! * the proposer of `(height, round)` is `validators[(height + round) mod n]` over the set in its
//!   canonical order (power descending, then party ascending): the same on every node.
//!
//! Every type is a local newtype because the traits are Malachite's and the inner types ours
//! (orphan rule).

use std::fmt;
use std::sync::Arc;

use borsh::{BorshDeserialize, BorshSerialize};
use ebl_ledger::{Hash, PartyId, Transaction};
use malachitebft_app_channel::app::types::core::{
    self as mcore, LinearTimeouts, NilOrVal, Round, SignedExtension, VoteType, VotingPower,
};

use crate::genesis::GenesisFile;

/// The consensus context of one network: only its chain id, which every signature binds.
#[derive(Debug, Clone)]
pub struct EblContext {
    chain_id: Arc<str>,
}

impl EblContext {
    pub fn new(chain_id: &str) -> Self {
        EblContext { chain_id: chain_id.into() }
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }
}

/// A block height; 0 is the genesis, 1 the first block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockHeight(pub u64);

impl fmt::Display for BlockHeight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mcore::Height for BlockHeight {
    const ZERO: Self = BlockHeight(0);
    const INITIAL: Self = BlockHeight(1);

    fn increment_by(&self, n: u64) -> Self {
        BlockHeight(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(BlockHeight)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A validator's address: its party key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ValidatorAddress(pub PartyId);

impl fmt::Display for ValidatorAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mcore::Address for ValidatorAddress {}

/// The value consensus decides: a block hash. Its id is itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlockHash(pub Hash);

impl fmt::Display for BlockHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mcore::Value for BlockHash {
    type Id = BlockHash;

    fn id(&self) -> BlockHash {
        *self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validator {
    pub address: ValidatorAddress,
    /// Its consensus key (the address is the same key).
    pub public_key: PartyId,
    pub voting_power: VotingPower,
    /// Its node key: the libp2p identity its messages come from.
    pub node_key: PartyId,
}

impl mcore::Validator<EblContext> for Validator {
    fn address(&self) -> &ValidatorAddress {
        &self.address
    }

    fn public_key(&self) -> &PartyId {
        &self.public_key
    }

    fn voting_power(&self) -> VotingPower {
        self.voting_power
    }
}

/// The validators in canonical order: voting power descending, then party ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: Arc<Vec<Validator>>,
}

impl ValidatorSet {
    pub fn new(mut validators: Vec<Validator>) -> Self {
        validators.sort_by(|a, b| b.voting_power.cmp(&a.voting_power).then(a.address.cmp(&b.address)));
        validators.dedup_by(|a, b| a.address == b.address);
        ValidatorSet { validators: Arc::new(validators) }
    }

    pub fn from_genesis(genesis: &GenesisFile) -> Self {
        Self::of(&genesis.validators)
    }

    /// The set of a ledger epoch's validators.
    pub fn of(validators: &[ebl_ledger::governance::ValidatorInfo]) -> Self {
        Self::new(
            validators
                .iter()
                .map(|v| Validator {
                    address: ValidatorAddress(v.consensus_key),
                    public_key: v.consensus_key,
                    voting_power: v.voting_power,
                    node_key: v.node_key,
                })
                .collect(),
        )
    }

    /// Every validator of `self` and of `other` (once each).
    pub fn union(&self, other: &ValidatorSet) -> Self {
        Self::new(self.validators.iter().chain(other.validators.iter()).cloned().collect())
    }

    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    pub fn get(&self, party: &PartyId) -> Option<&Validator> {
        self.validators.iter().find(|v| v.public_key == *party)
    }

    /// (party, voting power) pairs, as a client's certificate check takes them.
    pub fn powers(&self) -> Vec<(PartyId, u64)> {
        self.validators.iter().map(|v| (v.public_key, v.voting_power)).collect()
    }
}

impl mcore::ValidatorSet<EblContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators.len()
    }

    fn total_voting_power(&self) -> VotingPower {
        self.validators.iter().map(|v| v.voting_power).sum()
    }

    fn get_by_address(&self, address: &ValidatorAddress) -> Option<&Validator> {
        self.validators.iter().find(|v| v.address == *address)
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}

/// A proposal: the hash of the block proposed at `(height, round)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub height: BlockHeight,
    pub round: Round,
    pub value: BlockHash,
    pub pol_round: Round,
    pub proposer: ValidatorAddress,
}

impl mcore::Proposal<EblContext> for Proposal {
    fn height(&self) -> BlockHeight {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &BlockHash {
        &self.value
    }

    fn take_value(self) -> BlockHash {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &ValidatorAddress {
        &self.proposer
    }
}

/// A prevote or precommit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    pub kind: VoteType,
    pub height: BlockHeight,
    pub round: Round,
    pub value: NilOrVal<BlockHash>,
    pub validator: ValidatorAddress,
    pub extension: Option<SignedExtension<EblContext>>,
}

impl Vote {
    pub fn new(
        kind: VoteType,
        height: BlockHeight,
        round: Round,
        value: NilOrVal<BlockHash>,
        validator: ValidatorAddress,
    ) -> Self {
        Vote { kind, height, round, value, validator, extension: None }
    }
}

impl mcore::Vote<EblContext> for Vote {
    fn height(&self) -> BlockHeight {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<BlockHash> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<BlockHash> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.kind
    }

    fn validator_address(&self) -> &ValidatorAddress {
        &self.validator
    }

    fn extension(&self) -> Option<&SignedExtension<EblContext>> {
        self.extension.as_ref()
    }

    fn take_extension(&mut self) -> Option<SignedExtension<EblContext>> {
        self.extension.take()
    }

    fn extend(self, extension: SignedExtension<EblContext>) -> Self {
        Vote { extension: Some(extension), ..self }
    }
}

/// The first part of a streamed block: where it belongs and who built it.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PartInit {
    pub height: u64,
    pub round: u32,
    pub pol_round: Option<u32>,
    /// The proposer of `(height, round)` (for a restream, the proposer of the later round).
    pub proposer: PartyId,
    /// Total length of the block's encoding, so the receiver can bound what it buffers.
    pub block_bytes: u32,
}

/// The last part: the block hash and its builder's signature over
/// `proposal_block_signing_bytes(chain, height, hash)`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PartFin {
    pub block_hash: Hash,
    pub builder: PartyId,
    pub builder_signature: ebl_ledger::Signature,
}

/// What travels on the proposal-parts channel: the parts of a streamed block, and batches of
/// mempool transactions (ADR 0006: the mempool is gossiped on the same permissioned channel).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ProposalPart {
    Init(PartInit),
    /// A slice of `borsh(Block)`.
    Chunk(Vec<u8>),
    Fin(PartFin),
    /// Signed transactions a validator's clients submitted, for the other validators' pools.
    TxBatch(Vec<Transaction>),
}

impl mcore::ProposalPart<EblContext> for ProposalPart {
    fn is_first(&self) -> bool {
        matches!(self, ProposalPart::Init(_))
    }

    fn is_last(&self) -> bool {
        matches!(self, ProposalPart::Fin(_))
    }
}

/// An ed25519 signature, ordered so that Malachite can keep it in sets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConsensusSignature(pub [u8; 64]);

impl ConsensusSignature {
    pub fn to_ledger(&self) -> ebl_ledger::Signature {
        ebl_ledger::Signature(self.0)
    }
}

/// The secret of a validator key. Only its length is ever relied upon by Malachite.
#[derive(Clone)]
pub struct ConsensusSecret(pub [u8; 32]);

impl fmt::Debug for ConsensusSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ConsensusSecret(..)")
    }
}

/// Why a key or signature from the wire is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected} bytes, found {found}")]
pub struct KeyDecodeError {
    pub expected: usize,
    pub found: usize,
}

/// Exactly `N` bytes.
fn fixed<const N: usize>(bytes: &[u8]) -> Result<[u8; N], KeyDecodeError> {
    bytes.try_into().map_err(|_| KeyDecodeError { expected: N, found: bytes.len() })
}

/// ed25519 verified under the ledger's one rule (`PartyId::verify`: ZIP-215, ADR 0015), as the
/// ledger and the client verify, so that a certificate consensus accepts also verifies for a
/// client, and no vote's verdict depends on how it was batched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EblEd25519;

impl mcore::SigningScheme for EblEd25519 {
    type DecodingError = KeyDecodeError;
    type Signature = ConsensusSignature;
    type PublicKey = PartyId;
    type PrivateKey = ConsensusSecret;

    fn decode_signature(bytes: &[u8]) -> Result<ConsensusSignature, KeyDecodeError> {
        fixed(bytes).map(ConsensusSignature)
    }

    fn encode_signature(signature: &ConsensusSignature) -> Vec<u8> {
        signature.0.to_vec()
    }

    fn decode_public_key(bytes: &[u8]) -> Result<PartyId, KeyDecodeError> {
        fixed(bytes).map(PartyId)
    }

    fn encode_public_key(public_key: &PartyId) -> Vec<u8> {
        public_key.0.to_vec()
    }
}

impl mcore::Context for EblContext {
    type Address = ValidatorAddress;
    type Height = BlockHeight;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = LinearTimeouts;
    type Value = BlockHash;
    type Vote = Vote;
    type Extension = ();
    type SigningScheme = EblEd25519;

    fn select_proposer<'a>(&self, set: &'a ValidatorSet, height: BlockHeight, round: Round) -> &'a Validator {
        let n = set.validators.len().max(1) as u64;
        let round = u64::from(round.as_u32().unwrap_or(0));
        let index = (height.0.wrapping_add(round) % n) as usize;
        // A validator set is never empty (the genesis file refuses one), so index 0 exists.
        &set.validators[index.min(set.validators.len().saturating_sub(1))]
    }

    fn new_proposal(
        &self,
        height: BlockHeight,
        round: Round,
        value: BlockHash,
        pol_round: Round,
        address: ValidatorAddress,
    ) -> Proposal {
        Proposal { height, round, value, pol_round, proposer: address }
    }

    fn new_prevote(
        &self,
        height: BlockHeight,
        round: Round,
        value_id: NilOrVal<BlockHash>,
        address: ValidatorAddress,
    ) -> Vote {
        Vote { kind: VoteType::Prevote, height, round, value: value_id, validator: address, extension: None }
    }

    fn new_precommit(
        &self,
        height: BlockHeight,
        round: Round,
        value_id: NilOrVal<BlockHash>,
        address: ValidatorAddress,
    ) -> Vote {
        Vote {
            kind: VoteType::Precommit,
            height,
            round,
            value: value_id,
            validator: address,
            extension: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use malachitebft_app_channel::app::types::core::Context;

    fn set(powers: &[(u8, u64)]) -> ValidatorSet {
        ValidatorSet::new(
            powers
                .iter()
                .map(|(b, p)| Validator {
                    address: ValidatorAddress(PartyId([*b; 32])),
                    public_key: PartyId([*b; 32]),
                    voting_power: *p,
                    node_key: PartyId([!*b; 32]),
                })
                .collect(),
        )
    }

    #[test]
    fn the_set_is_ordered_by_power_then_party_whatever_the_input_order() {
        let a = set(&[(3, 1), (1, 1), (2, 5)]);
        let b = set(&[(1, 1), (2, 5), (3, 1)]);
        assert_eq!(a, b);
        let order: Vec<u8> = a.validators().iter().map(|v| v.public_key.0[0]).collect();
        assert_eq!(order, vec![2, 1, 3]);
    }

    #[test]
    fn proposers_rotate_over_heights_and_rounds() {
        let ctx = EblContext::new("test");
        let s = set(&[(1, 1), (2, 1), (3, 1), (4, 1)]);
        let pick = |h: u64, r: u32| ctx.select_proposer(&s, BlockHeight(h), Round::new(r)).public_key.0[0];
        assert_eq!(pick(1, 0), 2);
        assert_eq!(pick(2, 0), 3);
        assert_eq!(pick(1, 1), 3);
        let all: std::collections::BTreeSet<u8> = (0..4).map(|h| pick(h, 0)).collect();
        assert_eq!(all.len(), 4, "every validator proposes once in n heights");
    }
}
