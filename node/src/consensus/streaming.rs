//! A block as a stream of proposal parts, and their reassembly (ADR 0005 §6).
//!
//! `seq 0: Init`, `seq 1..=k: Chunk` (slices of `borsh(Block)`), `seq k+1: Fin` (block hash and
//! the builder's signature), then the stream's end marker. One signature over the hash covers
//! the whole block, so the block is bounded by the chain's block limit, not by one gossip
//! message. Parts may arrive out of order and more than once; a receiver keeps a bounded number
//! of open streams per publisher and a bounded number of bytes per stream.

use std::collections::BTreeMap;

use bytes::Bytes;
use ebl_ledger::certificate::proposal_block_signing_bytes;
use ebl_ledger::{Block, Keypair};
use malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::PeerId;

use super::context::{PartFin, PartInit, ProposalPart, ValidatorSet};
use crate::storage::layout::BLOCK_BYTES_MAX;

/// Bytes of block per chunk part.
pub const CHUNK_BYTES: usize = 1024 * 1024;
/// Open (incomplete) streams kept per publisher; the oldest is dropped beyond this.
pub const STREAMS_PER_PUBLISHER_MAX: usize = 8;

/// The stream messages of `block` for `(height, round)`, built by `builder` whose signature is
/// `fin`. `stream_id` must be unique among this publisher's streams.
pub fn stream_block(
    stream_id: StreamId,
    init: PartInit,
    block_bytes: &[u8],
    fin: PartFin,
) -> Vec<StreamMessage<ProposalPart>> {
    let mut parts = vec![ProposalPart::Init(init)];
    parts.extend(block_bytes.chunks(CHUNK_BYTES).map(|c| ProposalPart::Chunk(c.to_vec())));
    parts.push(ProposalPart::Fin(fin));
    let mut messages: Vec<StreamMessage<ProposalPart>> = parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| StreamMessage::new(stream_id.clone(), i as u64, StreamContent::Data(part)))
        .collect();
    let end = messages.len() as u64;
    messages.push(StreamMessage::new(stream_id, end, StreamContent::Fin));
    messages
}

/// The builder's Fin part for `block`.
pub fn sign_fin(chain_id: &str, key: &Keypair, block: &Block) -> PartFin {
    let hash = block.hash();
    let signature = key.sign(&proposal_block_signing_bytes(chain_id, block.header.height, &hash));
    PartFin { block_hash: hash, builder: key.party(), builder_signature: signature }
}

/// A stream id unique to this publisher: `(height, round, counter)`.
pub fn stream_id(height: u64, round: u32, counter: u64) -> StreamId {
    let mut bytes = Vec::with_capacity(20);
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&round.to_be_bytes());
    bytes.extend_from_slice(&counter.to_be_bytes());
    StreamId::new(Bytes::from(bytes))
}

/// A streamed block received whole, its hash and builder signature checked.
#[derive(Debug, Clone)]
pub struct ReceivedBlock {
    pub init: PartInit,
    pub block: Block,
    pub fin: PartFin,
    /// The block's encoded size, as streamed.
    pub bytes: usize,
}

/// Why a complete stream was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    #[error("stream exceeds the block size limit")]
    TooLarge,
    #[error("block bytes do not decode: {0}")]
    Decode(String),
    #[error("Fin names block {fin}, the parts hash to {parts}")]
    HashMismatch { fin: ebl_ledger::Hash, parts: ebl_ledger::Hash },
    #[error("builder {0} is not the block's proposer or not a validator")]
    WrongBuilder(ebl_ledger::PartyId),
    #[error("builder signature does not verify")]
    BadBuilderSignature,
}

#[derive(Debug, Default)]
struct OpenStream {
    init: Option<PartInit>,
    chunks: BTreeMap<u64, Vec<u8>>,
    fin: Option<(u64, PartFin)>,
    bytes: usize,
    opened: u64,
}

/// Reassembles the streams of every publisher.
#[derive(Debug, Default)]
pub struct Reassembler {
    open: BTreeMap<(PeerId, Bytes), OpenStream>,
    counter: u64,
}

impl Reassembler {
    /// Adds one part; returns the block when this part completes its stream (`Some(Err)` when
    /// the complete stream is not a well-formed, correctly signed block).
    pub fn add(
        &mut self,
        chain_id: &str,
        validators: &ValidatorSet,
        publisher: PeerId,
        message: StreamMessage<ProposalPart>,
    ) -> Option<Result<ReceivedBlock, StreamError>> {
        let key = (publisher, message.stream_id.to_bytes());
        let StreamContent::Data(part) = message.content else { return None };
        self.counter += 1;
        if !self.open.contains_key(&key) {
            self.evict(&publisher);
        }
        let counter = self.counter;
        let stream = self
            .open
            .entry(key.clone())
            .or_insert_with(|| OpenStream { opened: counter, ..Default::default() });
        match part {
            ProposalPart::Init(init) => stream.init = Some(init),
            ProposalPart::Chunk(bytes) => {
                if stream.chunks.contains_key(&message.sequence) {
                    return None;
                }
                stream.bytes = stream.bytes.saturating_add(bytes.len());
                if stream.bytes > BLOCK_BYTES_MAX {
                    self.open.remove(&key);
                    return Some(Err(StreamError::TooLarge));
                }
                stream.chunks.insert(message.sequence, bytes);
            }
            ProposalPart::Fin(fin) => stream.fin = Some((message.sequence, fin)),
            ProposalPart::TxBatch(_) => return None,
        }
        let complete = match (&stream.init, &stream.fin) {
            (Some(_), Some((fin_seq, _))) => {
                stream.chunks.len() as u64 == fin_seq.saturating_sub(1)
                    && stream.chunks.keys().copied().eq(1..*fin_seq)
            }
            _ => false,
        };
        if !complete {
            return None;
        }
        let stream = self.open.remove(&key)?;
        let (init, (_, fin)) = (stream.init?, stream.fin?);
        let bytes: Vec<u8> = stream.chunks.into_values().flatten().collect();
        Some(check(chain_id, validators, init, &bytes, fin))
    }

    fn evict(&mut self, publisher: &PeerId) {
        let mut of_publisher: Vec<(u64, (PeerId, Bytes))> = self
            .open
            .iter()
            .filter(|((p, _), _)| p == publisher)
            .map(|(k, s)| (s.opened, k.clone()))
            .collect();
        if of_publisher.len() >= STREAMS_PER_PUBLISHER_MAX {
            of_publisher.sort();
            for (_, key) in of_publisher.iter().take(of_publisher.len() + 1 - STREAMS_PER_PUBLISHER_MAX) {
                self.open.remove(key);
            }
        }
    }

    /// Drops every open stream for a height below `height`.
    pub fn prune_below(&mut self, height: u64) {
        self.open.retain(|_, s| s.init.as_ref().is_none_or(|i| i.height >= height));
    }

    pub fn open_streams(&self) -> usize {
        self.open.len()
    }
}

fn check(
    chain_id: &str,
    validators: &ValidatorSet,
    init: PartInit,
    bytes: &[u8],
    fin: PartFin,
) -> Result<ReceivedBlock, StreamError> {
    let block: Block = ebl_ledger::encoding::decode(bytes, BLOCK_BYTES_MAX)
        .map_err(|e| StreamError::Decode(e.to_string()))?;
    let hash = block.hash();
    if hash != fin.block_hash {
        return Err(StreamError::HashMismatch { fin: fin.block_hash, parts: hash });
    }
    if fin.builder != block.header.proposer || validators.get(&fin.builder).is_none() {
        return Err(StreamError::WrongBuilder(fin.builder));
    }
    let signed = proposal_block_signing_bytes(chain_id, block.header.height, &hash);
    if !fin.builder.verify(&signed, &fin.builder_signature) {
        return Err(StreamError::BadBuilderSignature);
    }
    Ok(ReceivedBlock { init, block, fin, bytes: bytes.len() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consensus::context::{Validator, ValidatorAddress};
    use ebl_ledger::{BlockHeader, Hash};

    fn key(label: u8) -> Keypair {
        Keypair::from_seed([label; 32])
    }

    fn set(keys: &[&Keypair]) -> ValidatorSet {
        ValidatorSet::new(
            keys.iter()
                .map(|k| Validator {
                    address: ValidatorAddress(k.party()),
                    public_key: k.party(),
                    voting_power: 1,
                    node_key: k.party(),
                })
                .collect(),
        )
    }

    /// A block of about `bytes` bytes built by `builder` (its transactions are junk, which is all
    /// the streaming layer may assume: it never executes anything).
    fn block(builder: &Keypair, bytes: usize) -> Block {
        let header = BlockHeader {
            chain_id: "c".into(),
            height: 3,
            parent_hash: Hash::digest(b"parent"),
            time_ms: 1,
            proposer: builder.party(),
            tx_root: Hash::ZERO,
            state_root: Hash::ZERO,
            receipts_root: Hash::ZERO,
        };
        let tx = ebl_ledger::TxBody {
            chain_id: "c".into(),
            nonce: 0,
            signers: vec![builder.party()],
            action: ebl_ledger::Action::BlankEndorse { bl: ebl_ledger::BlId(Hash::digest(&[0; 8])) },
        }
        .sign(&[builder]);
        let per_tx = tx.encode().len();
        Block { header, txs: vec![tx; bytes / per_tx + 1] }
    }

    fn messages(builder: &Keypair, b: &Block) -> Vec<StreamMessage<ProposalPart>> {
        let bytes = ebl_ledger::encoding::encode(b);
        let init = PartInit {
            height: 3,
            round: 0,
            pol_round: None,
            proposer: builder.party(),
            block_bytes: bytes.len() as u32,
        };
        stream_block(stream_id(3, 0, 1), init, &bytes, sign_fin("c", builder, b))
    }

    /// A distinct publisher per call.
    fn peer() -> PeerId {
        static NEXT: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(1);
        let seed = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let key = libp2p_identity::Keypair::ed25519_from_bytes([seed; 32]).expect("key");
        PeerId::from_bytes(&key.public().to_peer_id().to_bytes()).expect("peer id")
    }

    #[test]
    fn a_multi_chunk_block_reassembles_out_of_order_and_despite_duplicates() {
        let builder = key(1);
        let b = block(&builder, 3 * CHUNK_BYTES);
        let mut parts = messages(&builder, &b);
        assert!(parts.len() >= 6, "init, at least 3 chunks, fin, end");
        parts.reverse();
        let duplicate = parts[2].clone();
        parts.insert(1, duplicate);
        let mut r = Reassembler::default();
        let from = peer();
        let mut done = Vec::new();
        for part in parts {
            if let Some(result) = r.add("c", &set(&[&builder]), from, part) {
                done.push(result);
            }
        }
        assert_eq!(done.len(), 1);
        let received = done.pop().expect("one block").expect("valid");
        assert_eq!(received.block, b);
        assert_eq!(r.open_streams(), 0);
    }

    #[test]
    fn a_block_from_a_non_validator_or_with_a_forged_fin_is_dropped() {
        let builder = key(1);
        let outsider = key(2);
        let b = block(&outsider, 1000);
        let mut r = Reassembler::default();
        let results: Vec<_> = messages(&outsider, &b)
            .into_iter()
            .filter_map(|m| r.add("c", &set(&[&builder]), peer(), m))
            .collect();
        assert!(results.is_empty(), "parts from different publishers never mix");
        let from = peer();
        let results: Vec<_> = messages(&outsider, &b)
            .into_iter()
            .filter_map(|m| r.add("c", &set(&[&builder]), from, m))
            .collect();
        assert!(matches!(results.as_slice(), [Err(StreamError::WrongBuilder(_))]));

        let b = block(&builder, 1000);
        let mut forged = messages(&builder, &b);
        for m in &mut forged {
            if let StreamContent::Data(ProposalPart::Fin(fin)) = &mut m.content {
                fin.builder_signature.0[0] ^= 1;
            }
        }
        let results: Vec<_> =
            forged.into_iter().filter_map(|m| r.add("c", &set(&[&builder]), from, m)).collect();
        assert!(matches!(results.as_slice(), [Err(StreamError::BadBuilderSignature)]));
    }

    #[test]
    fn open_streams_per_publisher_are_bounded() {
        let builder = key(1);
        let mut r = Reassembler::default();
        let from = peer();
        for i in 0..(STREAMS_PER_PUBLISHER_MAX as u64 * 3) {
            let init =
                PartInit { height: 3, round: 0, pol_round: None, proposer: builder.party(), block_bytes: 10 };
            let m = StreamMessage::new(stream_id(3, 0, i), 0, StreamContent::Data(ProposalPart::Init(init)));
            assert!(r.add("c", &set(&[&builder]), from, m).is_none());
        }
        assert_eq!(r.open_streams(), STREAMS_PER_PUBLISHER_MAX);
    }
}
