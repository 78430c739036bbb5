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
    Ok(ReceivedBlock { init, block, fin })
}
