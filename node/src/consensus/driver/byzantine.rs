//! The Byzantine validator of the attack suite (issue 29, attacks (b)–(e)): what a driver does
//! on top of its honest work when its [`Tamper`] says so. Only with the `test-utils` feature; the
//! attack suite runs it in its own binary (`tests/src/bin/ebl-byzantine.rs`), never in `ebl-node`.
//!
//! Every block it streams is valid in itself (built by [`App::build_block`] on this node's tip,
//! signed as its builder): what the others must withstand is how many, for which rounds and
//! heights, and that a proposer streams more than one per round.

use ebl_ledger::ed25519::crafted::torsion_in_r;
use ebl_ledger::tx::signing_message;
use ebl_ledger::{Action, BlId, Block, Signature, Transaction, TxBody};

use malachitebft_app_channel::app::streaming::StreamId;

use super::*;
use crate::consensus::context::PartFin;

/// Blocks of the next height the alternative-block flood builds each round, with varied times.
pub const FLOOD_VARIANTS: u64 = 3;
/// Rounds from the current one that the flood streams each of them for (a quarter of them its
/// own, the rest claimed whether or not it is their proposer).
pub const FLOOD_ROUNDS: u32 = 40;
/// Rounds of each later height (up to [`LOOKAHEAD_HEIGHTS`]) that relabelled copies of them are
/// streamed for, where this validator is the proposer.
pub const FLOOD_EARLY_ROUNDS: u32 = 16;
/// Distinct blocks an equivocating proposer streams for each `(height, round)` it proposes.
pub const EQUIVOCATION_BLOCKS: u64 = 3;
/// Torsion-signed transactions put at the head of each block the torsion proposer builds.
pub const TORSION_TXS: u64 = 2;
/// Transactions of the forged batch: as many as an honest batch may carry, each signature bad.
pub const FORGED_BATCH_TXS: usize = PEER_BATCH_TXS_MAX;
/// Transactions of the oversized batch (copies of one, so it costs the attacker nothing).
pub const OVERSIZED_BATCH_TXS: usize = 4 * PEER_BATCH_TXS_MAX;

impl Driver {
    /// After each `StartedRound`: the flooding behaviours.
    pub(super) fn byzantine_round(&mut self, height: u64, round: u32) {
        match self.tamper {
            Some(Tamper::FloodAlternatives) => self.flood_alternatives(height, round),
            Some(Tamper::FloodBatches) => self.flood_batches(),
            _ => {}
        }
    }

    /// After this node streamed its proposal for `(height, round)`: an equivocating proposer
    /// streams more blocks for the same round, each valid, each kept here so that whichever is
    /// decided commits.
    pub(super) fn byzantine_proposed(&mut self, height: u64, round: u32) {
        if self.tamper != Some(Tamper::Equivocate) {
            return;
        }
        for k in 1..EQUIVOCATION_BLOCKS {
            let Some(prepared) = self.build_at(height, now_ms() + k) else { return };
            let hash = prepared.block().hash();
            let fin = streaming::sign_fin(self.ctx.chain_id(), &self.key, prepared.block());
            let block = prepared.block().clone();
            self.prepared.insert(hash, prepared);
            self.fins.insert(hash, fin.clone());
            warn!(height, round, %hash, "byzantine: streaming another block for a round already proposed");
            self.publish(height, round, self.key.party(), &block, fin);
        }
    }

    /// The torsion proposer's own transactions, at the head of the block it builds: valid under
    /// the ledger's rule (the cofactor removes the torsion), each at its next nonce.
    pub(super) fn byzantine_candidates(&self, candidates: &mut Vec<VerifiedTx>) {
        let Some(Tamper::TorsionSignature { party_seed: seed }) = self.tamper else {
            return;
        };
        let me = ebl_ledger::Keypair::from_seed(seed).party();
        let Some(next) = self.nonces().next_nonce(&me) else { return };
        let mut crafted = Vec::new();
        for nonce in next..next + TORSION_TXS {
            let body = TxBody {
                chain_id: self.ctx.chain_id().into(),
                nonce,
                signers: vec![me],
                action: Action::BlankEndorse { bl: BlId(Hash::digest(&nonce.to_be_bytes())) },
            };
            let signature = torsion_in_r(&seed, &signing_message(&body.id()));
            match (Transaction { body, signatures: vec![Signature(signature)] }).verify() {
                Ok(tx) => crafted.push(tx),
                Err(e) => warn!(error = %e, "byzantine: the torsion-signed transaction does not verify here"),
            }
        }
        debug!(txs = crafted.len(), "byzantine: torsion-signed transactions in the block");
        candidates.splice(0..0, crafted);
    }

    /// Valid alternatives of the next block, with varied times, streamed for the coming
    /// [`FLOOD_ROUNDS`] rounds as if this node proposed each; relabelled copies for the heights
    /// after it, for the rounds of those it does propose.
    fn flood_alternatives(&mut self, height: u64, round: u32) {
        if height != self.next_height() {
            return;
        }
        let me = self.key.party();
        let mut blocks = Vec::new();
        for k in 0..FLOOD_VARIANTS {
            let Some(prepared) = self.build_at(height, now_ms() + 1 + k) else { return };
            let block = prepared.into_block();
            let fin = streaming::sign_fin(self.ctx.chain_id(), &self.key, &block);
            blocks.push((block, fin));
        }
        for r in round..round.saturating_add(FLOOD_ROUNDS) {
            for (block, fin) in &blocks {
                self.publish(height, r, me, block, fin.clone());
            }
        }
        for h in height + 1..=height + LOOKAHEAD_HEIGHTS {
            for (block, _) in &blocks {
                let mut block = block.clone();
                block.header.height = h;
                let fin = streaming::sign_fin(self.ctx.chain_id(), &self.key, &block);
                for r in 0..FLOOD_EARLY_ROUNDS {
                    let proposer =
                        self.ctx.select_proposer(&self.validators, BlockHeight(h), Round::new(r)).public_key;
                    if proposer == me {
                        self.publish(h, r, me, &block, fin.clone());
                    }
                }
            }
        }
        debug!(height, round, "byzantine: alternative blocks streamed");
    }

    /// A forged batch (transactions in the other validators' names at their next nonces, signed
    /// with this node's key) and an oversized one, over mempool gossip.
    fn flood_batches(&mut self) {
        let me = self.key.party();
        let view = self.nonces();
        let others: Vec<PartyId> =
            self.validators.validators().iter().map(|v| v.public_key).filter(|p| *p != me).collect();
        if others.is_empty() {
            return;
        }
        let forged: Vec<Transaction> = (0..FORGED_BATCH_TXS)
            .map(|i| {
                let party = others[i % others.len()];
                let body = TxBody {
                    chain_id: self.ctx.chain_id().into(),
                    nonce: view.next_nonce(&party).unwrap_or(0) + (i / others.len()) as u64,
                    signers: vec![party],
                    action: Action::BlankEndorse { bl: BlId(Hash::digest(&i.to_be_bytes())) },
                };
                body.sign(&[&self.key])
            })
            .collect();
        let oversized = vec![forged[0].clone(); OVERSIZED_BATCH_TXS];
        self.publish_batch(forged);
        self.publish_batch(oversized);
    }

    fn publish_batch(&mut self, txs: Vec<Transaction>) {
        self.stream_counter += 1;
        let id =
            StreamId::new(Bytes::from([b"byz/".as_slice(), &self.stream_counter.to_be_bytes()].concat()));
        let message = StreamMessage::new(id, 0, StreamContent::Data(ProposalPart::TxBatch(txs)));
        let _ = self.network.blocking_send(NetworkMsg::PublishProposalPart(message));
    }

    /// Streams `block` for `(height, round)` naming `proposer`.
    fn publish(&mut self, height: u64, round: u32, proposer: PartyId, block: &Block, fin: PartFin) {
        let bytes = ebl_ledger::encoding::encode(block);
        let init = PartInit { height, round, pol_round: None, proposer, block_bytes: bytes.len() as u32 };
        self.stream_counter += 1;
        let id = streaming::stream_id(height, round, self.stream_counter);
        for message in streaming::stream_block(id, init, &bytes, fin) {
            if self.network.blocking_send(NetworkMsg::PublishProposalPart(message)).is_err() {
                return;
            }
        }
    }
}
