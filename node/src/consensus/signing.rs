//! The validator's signer and every node's verifier of consensus messages. The bytes signed are
//! built by `ebl_ledger::certificate`, shared with clients that check commit certificates.

use std::sync::{Arc, RwLock};

use async_trait::async_trait;
use ebl_ledger::certificate::{proposal_signing_bytes, vote_signing_bytes, VoteKind};
use ebl_ledger::{Keypair, PartyId};
use malachitebft_app_channel::app::types::core::{
    NilOrVal, SignedMessage, ValidatorProof, VoteExtensionScope, VoteType,
};
use malachitebft_signing::{Error as SigningError, Signer, VerificationResult, Verifier};

use super::context::{ConsensusSignature, EblContext, Proposal, ValidatorSet, Vote};

/// The bytes signed for `vote` on `chain_id`.
pub fn vote_bytes(chain_id: &str, vote: &Vote) -> Vec<u8> {
    let kind = match vote.kind {
        VoteType::Prevote => VoteKind::Prevote,
        VoteType::Precommit => VoteKind::Precommit,
    };
    let value = match &vote.value {
        NilOrVal::Nil => None,
        NilOrVal::Val(hash) => Some(&hash.0),
    };
    vote_signing_bytes(kind, chain_id, vote.height.0, round_u32(vote.round), value, &vote.validator.0)
}

/// The bytes signed for `proposal` on `chain_id`.
pub fn proposal_bytes(chain_id: &str, proposal: &Proposal) -> Vec<u8> {
    proposal_signing_bytes(
        chain_id,
        proposal.height.0,
        round_u32(proposal.round),
        proposal.pol_round.as_u32(),
        &proposal.value.0,
        &proposal.proposer.0,
    )
}

/// Votes and proposals always carry a defined round; a nil round signs as `u32::MAX`, which no
/// honest message uses.
fn round_u32(round: malachitebft_app_channel::app::types::core::Round) -> u32 {
    round.as_u32().unwrap_or(u32::MAX)
}

/// Signs with this validator's key.
pub struct EblSigner {
    chain_id: String,
    key: Keypair,
}

impl std::fmt::Debug for EblSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EblSigner({})", self.key.party())
    }
}

impl EblSigner {
    pub fn new(chain_id: &str, seed: [u8; 32]) -> Self {
        EblSigner { chain_id: chain_id.into(), key: Keypair::from_seed(seed) }
    }

    pub fn party(&self) -> PartyId {
        self.key.party()
    }

    fn sign(&self, bytes: &[u8]) -> ConsensusSignature {
        ConsensusSignature(self.key.sign(bytes).0)
    }
}

#[async_trait]
impl Signer<EblContext> for EblSigner {
    async fn sign_vote(&self, vote: Vote) -> Result<SignedMessage<EblContext, Vote>, SigningError> {
        let signature = self.sign(&vote_bytes(&self.chain_id, &vote));
        Ok(SignedMessage::new(vote, signature))
    }

    async fn sign_proposal(
        &self,
        proposal: Proposal,
    ) -> Result<SignedMessage<EblContext, Proposal>, SigningError> {
        let signature = self.sign(&proposal_bytes(&self.chain_id, &proposal));
        Ok(SignedMessage::new(proposal, signature))
    }

    async fn sign_vote_extension(
        &self,
        _scope: VoteExtensionScope<EblContext>,
        _extension: (),
    ) -> Result<SignedMessage<EblContext, ()>, SigningError> {
        // Vote extensions are disabled on this network.
        Err(SigningError::new())
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<EblContext>, SigningError> {
        let signature = self.sign(&ValidatorProof::<EblContext>::signing_bytes(&public_key, &peer_id));
        Ok(ValidatorProof::new(public_key, peer_id, signature))
    }
}

/// Verifies consensus messages — votes, proposals, validator proofs — with the ledger's one
/// signature rule (`PartyId::verify`: ZIP-215, ADR 0015), the rule clients apply to the commit
/// certificates these votes make. Votes and proposals are checked against the key the engine
/// found in the set of their height; validator proofs against the validators of the newest two
/// epochs, which the driver keeps current ([`EblVerifier::validators`]).
#[derive(Debug, Clone)]
pub struct EblVerifier {
    chain_id: String,
    validators: Arc<RwLock<ValidatorSet>>,
}

impl EblVerifier {
    pub fn new(chain_id: &str, validators: ValidatorSet) -> Self {
        EblVerifier { chain_id: chain_id.into(), validators: Arc::new(RwLock::new(validators)) }
    }

    /// The set validator proofs are checked against, shared with the driver that updates it.
    pub fn validators(&self) -> Arc<RwLock<ValidatorSet>> {
        self.validators.clone()
    }
}

fn verdict(key: &PartyId, bytes: &[u8], signature: &ConsensusSignature) -> VerificationResult {
    VerificationResult::from_bool(key.verify(bytes, &signature.to_ledger()))
}

#[async_trait]
impl Verifier<EblContext> for EblVerifier {
    async fn verify_signed_vote(
        &self,
        vote: &Vote,
        signature: &ConsensusSignature,
        public_key: &PartyId,
    ) -> Result<VerificationResult, SigningError> {
        Ok(verdict(public_key, &vote_bytes(&self.chain_id, vote), signature))
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &ConsensusSignature,
        public_key: &PartyId,
    ) -> Result<VerificationResult, SigningError> {
        Ok(verdict(public_key, &proposal_bytes(&self.chain_id, proposal), signature))
    }

    async fn verify_signed_vote_extension(
        &self,
        _scope: &VoteExtensionScope<EblContext>,
        _extension: &(),
        _signature: &ConsensusSignature,
        _public_key: &PartyId,
    ) -> Result<VerificationResult, SigningError> {
        Ok(VerificationResult::Invalid)
    }

    /// A validator proof binds a validator's consensus key to the libp2p peer id of its node key
    /// (both in the validator set); a proof naming a validator's key from another peer is refused
    /// and the peer disconnected. A key in no recent set (a node that will validate once a change
    /// adds it) is only checked for its signature: the proof gives it no vote, and who may
    /// connect at all is the allow-list's decision (`persistent_peers_only`).
    async fn verify_validator_proof(
        &self,
        proof: &ValidatorProof<EblContext>,
    ) -> Result<VerificationResult, SigningError> {
        let Ok(key) = <[u8; 32]>::try_from(proof.public_key.as_slice()) else {
            return Ok(VerificationResult::Invalid);
        };
        let party = PartyId(key);
        let node_key = {
            let set = self.validators.read().unwrap_or_else(|p| p.into_inner());
            set.get(&party).map(|v| v.node_key)
        };
        if let Some(node_key) = node_key {
            let expected = peer_id_of(&node_key).map(|p| p.to_bytes());
            if expected.as_deref() != Some(proof.peer_id.as_slice()) {
                return Ok(VerificationResult::Invalid);
            }
        }
        Ok(verdict(&party, &proof.preimage(), &proof.signature))
    }
}

/// The libp2p peer id of a party key (its ed25519 public key, identity-hashed); `None` for bytes
/// that are not a curve point.
pub fn peer_id_of(party: &PartyId) -> Option<libp2p_identity::PeerId> {
    let key = libp2p_identity::ed25519::PublicKey::try_from_bytes(&party.0).ok()?;
    Some(libp2p_identity::PublicKey::from(key).to_peer_id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::context::{BlockHash, BlockHeight, Validator, ValidatorAddress};
    use ebl_ledger::Hash;
    use malachitebft_app_channel::app::types::core::Round;

    fn vote(party: PartyId, value: Option<Hash>) -> Vote {
        Vote {
            kind: VoteType::Precommit,
            height: BlockHeight(7),
            round: Round::new(1),
            value: value.map(BlockHash).map_or(NilOrVal::Nil, NilOrVal::Val),
            validator: ValidatorAddress(party),
            extension: None,
        }
    }

    fn rt() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().build().expect("runtime")
    }

    #[test]
    fn a_signed_vote_verifies_only_on_its_chain_and_unchanged() {
        let signer = EblSigner::new("chain-a", [7; 32]);
        let party = signer.party();
        let set = ValidatorSet::new(vec![Validator {
            address: ValidatorAddress(party),
            public_key: party,
            voting_power: 1,
            node_key: Keypair::from_seed([8; 32]).party(),
        }]);
        let ours = EblVerifier::new("chain-a", set.clone());
        let theirs = EblVerifier::new("chain-b", set);
        rt().block_on(async {
            let signed = signer.sign_vote(vote(party, Some(Hash::digest(b"block")))).await.expect("sign");
            let ok =
                ours.verify_signed_vote(&signed.message, &signed.signature, &party).await.expect("verify");
            assert!(ok.is_valid());
            let other_chain =
                theirs.verify_signed_vote(&signed.message, &signed.signature, &party).await.expect("verify");
            assert!(other_chain.is_invalid());
            let nil = vote(party, None);
            let changed = ours.verify_signed_vote(&nil, &signed.signature, &party).await.expect("verify");
            assert!(changed.is_invalid());
        });
    }

    #[test]
    fn validator_proofs_bind_a_consensus_key_to_the_peer_id_of_its_node_key() {
        let signer = EblSigner::new("c", [9; 32]);
        let party = signer.party();
        let node = Keypair::from_seed([11; 32]).party();
        let set = ValidatorSet::new(vec![Validator {
            address: ValidatorAddress(party),
            public_key: party,
            voting_power: 1,
            node_key: node,
        }]);
        let verifier = EblVerifier::new("c", set);
        let stranger = EblSigner::new("c", [10; 32]);
        rt().block_on(async {
            let peer = peer_id_of(&node).expect("key").to_bytes();
            let proof = signer.sign_validator_proof(party.0.to_vec(), peer.clone()).await.expect("sign");
            assert!(verifier.verify_validator_proof(&proof).await.expect("verify").is_valid());
            let wrong_peer = peer_id_of(&stranger.party()).expect("key").to_bytes();
            let proof = signer.sign_validator_proof(party.0.to_vec(), wrong_peer).await.expect("sign");
            assert!(verifier.verify_validator_proof(&proof).await.expect("verify").is_invalid());
            // The peer id of the consensus key itself is not the validator's node.
            let own_peer = peer_id_of(&party).expect("key").to_bytes();
            let proof = signer.sign_validator_proof(party.0.to_vec(), own_peer).await.expect("sign");
            assert!(verifier.verify_validator_proof(&proof).await.expect("verify").is_invalid());
            let outsider = stranger
                .sign_validator_proof(
                    stranger.party().0.to_vec(),
                    peer_id_of(&stranger.party()).expect("key").to_bytes(),
                )
                .await
                .expect("sign");
            // A key in no set: its own signature is all there is to check (it gets no vote).
            assert!(verifier.verify_validator_proof(&outsider).await.expect("verify").is_valid());
            let forged = signer
                .sign_validator_proof(
                    stranger.party().0.to_vec(),
                    peer_id_of(&stranger.party()).expect("key").to_bytes(),
                )
                .await
                .expect("sign");
            assert!(verifier.verify_validator_proof(&forged).await.expect("verify").is_invalid());
            // Once a change adds it with another node key, its old peer is refused.
            let newcomer = Validator {
                address: ValidatorAddress(stranger.party()),
                public_key: stranger.party(),
                voting_power: 1,
                node_key: Keypair::from_seed([12; 32]).party(),
            };
            let shared = verifier.validators();
            let grown = shared.read().expect("set").union(&ValidatorSet::new(vec![newcomer]));
            *shared.write().expect("set") = grown;
            assert!(verifier.verify_validator_proof(&outsider).await.expect("verify").is_invalid());
        });
    }
}
