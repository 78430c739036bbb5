//! Wire and WAL encodings of every consensus type: borsh through local DTOs, decoded with a
//! size bound. A message that does not decode is the sender's fault and never a panic.
//!
//! Malachite's own types are generic over our context, so they cannot derive borsh here
//! (orphan rule); each is mapped to a plain struct of ledger types instead. Vote extensions are
//! disabled on this network, so none is ever encoded.

use std::ops::RangeInclusive;

use borsh::{BorshDeserialize, BorshSerialize};
use bytes::Bytes;
use ebl_ledger::{DecodeError, Hash, PartyId};
use malachitebft_app_channel::app::consensus::LivenessMsg;
use malachitebft_app_channel::app::streaming::{StreamContent, StreamId, StreamMessage};
use malachitebft_app_channel::app::types::codec::{Codec, HasEncodedLen};
use malachitebft_app_channel::app::types::core::{
    CommitSignature, ExtendedCommitCertificate, ExtendedCommitSignature, NilOrVal, PolkaCertificate,
    PolkaSignature, Round, RoundCertificate, RoundCertificateType, RoundSignature, SignedMessage,
    ValidatorProof, Validity, VoteType,
};
use malachitebft_app_channel::app::types::sync::{RawDecidedValue, Request, Response, Status};
use malachitebft_app_channel::app::types::{PeerId, ProposedValue, SignedConsensusMsg};
use malachitebft_sync::{ValueRequest, ValueResponse};

use super::context::{
    BlockHash, BlockHeight, ConsensusSignature, EblContext, Proposal, ProposalPart, ValidatorAddress, Vote,
};

/// Largest consensus message, proposal part or WAL entry decoded, in bytes.
pub const MESSAGE_BYTES_MAX: usize = 8 * 1024 * 1024;
/// Largest sync response decoded, in bytes: a few blocks of the largest size with certificates.
pub const SYNC_RESPONSE_BYTES_MAX: usize = 128 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("cannot decode {what}: {error}")]
    Decode { what: &'static str, error: DecodeError },
    #[error("cannot decode {what}: {reason}")]
    Invalid { what: &'static str, reason: String },
    #[error("cannot encode {0}: vote extensions are disabled on this network")]
    Extension(&'static str),
}

/// One codec for the network, sync and the WAL.
#[derive(Debug, Clone, Copy, Default)]
pub struct BorshCodec;

fn decode<T: BorshDeserialize>(what: &'static str, bytes: &[u8], max: usize) -> Result<T, CodecError> {
    ebl_ledger::encoding::decode(bytes, max).map_err(|error| CodecError::Decode { what, error })
}

fn encode<T: BorshSerialize>(value: &T) -> Bytes {
    Bytes::from(ebl_ledger::encoding::encode(value))
}

type Sig = [u8; 64];

fn round_dto(round: Round) -> Option<u32> {
    round.as_u32()
}

fn round_of(round: Option<u32>) -> Round {
    round.map_or(Round::Nil, Round::new)
}

fn value_dto(value: &NilOrVal<BlockHash>) -> Option<Hash> {
    match value {
        NilOrVal::Nil => None,
        NilOrVal::Val(h) => Some(h.0),
    }
}

fn value_of(value: Option<Hash>) -> NilOrVal<BlockHash> {
    value.map_or(NilOrVal::Nil, |h| NilOrVal::Val(BlockHash(h)))
}

#[derive(BorshSerialize, BorshDeserialize)]
struct VoteDto {
    precommit: bool,
    height: u64,
    round: Option<u32>,
    value: Option<Hash>,
    validator: PartyId,
}

impl VoteDto {
    fn from(vote: &Vote) -> Result<Self, CodecError> {
        if vote.extension.is_some() {
            return Err(CodecError::Extension("vote"));
        }
        Ok(VoteDto {
            precommit: vote.kind == VoteType::Precommit,
            height: vote.height.0,
            round: round_dto(vote.round),
            value: value_dto(&vote.value),
            validator: vote.validator.0,
        })
    }

    fn into_vote(self) -> Vote {
        let kind = if self.precommit { VoteType::Precommit } else { VoteType::Prevote };
        Vote::new(
            kind,
            BlockHeight(self.height),
            round_of(self.round),
            value_of(self.value),
            ValidatorAddress(self.validator),
        )
    }
}

#[derive(BorshSerialize, BorshDeserialize)]
struct ProposalDto {
    height: u64,
    round: Option<u32>,
    value: Hash,
    pol_round: Option<u32>,
    proposer: PartyId,
}

impl ProposalDto {
    fn from(p: &Proposal) -> Self {
        ProposalDto {
            height: p.height.0,
            round: round_dto(p.round),
            value: p.value.0,
            pol_round: round_dto(p.pol_round),
            proposer: p.proposer.0,
        }
    }

    fn into_proposal(self) -> Proposal {
        Proposal {
            height: BlockHeight(self.height),
            round: round_of(self.round),
            value: BlockHash(self.value),
            pol_round: round_of(self.pol_round),
            proposer: ValidatorAddress(self.proposer),
        }
    }
}

#[derive(BorshSerialize, BorshDeserialize)]
enum SignedMsgDto {
    Vote(VoteDto, Sig),
    Proposal(ProposalDto, Sig),
}

impl SignedMsgDto {
    fn from(msg: &SignedConsensusMsg<EblContext>) -> Result<Self, CodecError> {
        Ok(match msg {
            SignedConsensusMsg::Vote(v) => SignedMsgDto::Vote(VoteDto::from(&v.message)?, v.signature.0),
            SignedConsensusMsg::Proposal(p) => {
                SignedMsgDto::Proposal(ProposalDto::from(&p.message), p.signature.0)
            }
        })
    }

    fn into_msg(self) -> SignedConsensusMsg<EblContext> {
        match self {
            SignedMsgDto::Vote(v, s) => {
                SignedConsensusMsg::Vote(SignedMessage::new(v.into_vote(), ConsensusSignature(s)))
            }
            SignedMsgDto::Proposal(p, s) => {
                SignedConsensusMsg::Proposal(SignedMessage::new(p.into_proposal(), ConsensusSignature(s)))
            }
        }
    }
}

#[derive(BorshSerialize, BorshDeserialize)]
struct PolkaDto {
    height: u64,
    round: Option<u32>,
    value: Hash,
    signatures: Vec<(PartyId, Sig)>,
}

impl PolkaDto {
    fn from(c: &PolkaCertificate<EblContext>) -> Self {
        PolkaDto {
            height: c.height.0,
            round: round_dto(c.round),
            value: c.value_id.0,
            signatures: c.polka_signatures.iter().map(|s| (s.address.0, s.signature.0)).collect(),
        }
    }

    fn into_cert(self) -> PolkaCertificate<EblContext> {
        PolkaCertificate {
            height: BlockHeight(self.height),
            round: round_of(self.round),
            value_id: BlockHash(self.value),
            polka_signatures: self
                .signatures
                .into_iter()
                .map(|(a, s)| PolkaSignature {
                    address: ValidatorAddress(a),
                    signature: ConsensusSignature(s),
                })
                .collect(),
        }
    }
}

#[derive(BorshSerialize, BorshDeserialize)]
struct RoundSignatureDto {
    precommit: bool,
    value: Option<Hash>,
    address: PartyId,
    signature: Sig,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct RoundCertificateDto {
    height: u64,
    round: Option<u32>,
    precommit_type: bool,
    signatures: Vec<RoundSignatureDto>,
}

impl RoundCertificateDto {
    fn from(c: &RoundCertificate<EblContext>) -> Self {
        RoundCertificateDto {
            height: c.height.0,
            round: round_dto(c.round),
            precommit_type: c.cert_type == RoundCertificateType::Precommit,
            signatures: c
                .round_signatures
                .iter()
                .map(|s| RoundSignatureDto {
                    precommit: s.vote_type == VoteType::Precommit,
                    value: value_dto(&s.value_id),
                    address: s.address.0,
                    signature: s.signature.0,
                })
                .collect(),
        }
    }

    fn into_cert(self) -> RoundCertificate<EblContext> {
        RoundCertificate {
            height: BlockHeight(self.height),
            round: round_of(self.round),
            cert_type: if self.precommit_type {
                RoundCertificateType::Precommit
            } else {
                RoundCertificateType::Skip
            },
            round_signatures: self
                .signatures
                .into_iter()
                .map(|s| RoundSignature {
                    vote_type: if s.precommit { VoteType::Precommit } else { VoteType::Prevote },
                    value_id: value_of(s.value),
                    address: ValidatorAddress(s.address),
                    signature: ConsensusSignature(s.signature),
                })
                .collect(),
        }
    }
}

#[derive(BorshSerialize, BorshDeserialize)]
enum LivenessDto {
    Vote(VoteDto, Sig),
    Polka(PolkaDto),
    SkipRound(RoundCertificateDto),
}

#[derive(BorshSerialize, BorshDeserialize)]
struct StreamDto {
    stream_id: Vec<u8>,
    sequence: u64,
    /// `None` is the end of the stream.
    content: Option<ProposalPart>,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct ProofDto {
    public_key: Vec<u8>,
    peer_id: Vec<u8>,
    signature: Sig,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct StatusDto {
    peer_id: Vec<u8>,
    tip_height: u64,
    history_min_height: u64,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct RequestDto {
    start: u64,
    end: u64,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct CertificateDto {
    height: u64,
    round: Option<u32>,
    value: Hash,
    signatures: Vec<(PartyId, Sig)>,
}

impl CertificateDto {
    fn from(c: &ExtendedCommitCertificate<EblContext>) -> Result<Self, CodecError> {
        let mut signatures = Vec::with_capacity(c.commit_signatures.len());
        for s in &c.commit_signatures {
            if s.extension.is_some() {
                return Err(CodecError::Extension("certificate"));
            }
            signatures.push((s.address.0, s.signature.0));
        }
        Ok(CertificateDto { height: c.height.0, round: round_dto(c.round), value: c.value_id.0, signatures })
    }

    fn into_cert(self) -> ExtendedCommitCertificate<EblContext> {
        ExtendedCommitCertificate {
            height: BlockHeight(self.height),
            round: round_of(self.round),
            value_id: BlockHash(self.value),
            commit_signatures: self
                .signatures
                .into_iter()
                .map(|(a, s)| ExtendedCommitSignature {
                    address: ValidatorAddress(a),
                    signature: ConsensusSignature(s),
                    extension: None,
                })
                .collect(),
        }
    }
}

#[derive(BorshSerialize, BorshDeserialize)]
struct ResponseDto {
    start_height: u64,
    values: Vec<(Vec<u8>, CertificateDto)>,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct ProposedValueDto {
    height: u64,
    round: Option<u32>,
    valid_round: Option<u32>,
    proposer: PartyId,
    value: Hash,
    valid: bool,
}

impl Codec<ProposalPart> for BorshCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<ProposalPart, CodecError> {
        decode("proposal part", &bytes, MESSAGE_BYTES_MAX)
    }

    fn encode(&self, part: &ProposalPart) -> Result<Bytes, CodecError> {
        Ok(encode(part))
    }
}

impl Codec<SignedConsensusMsg<EblContext>> for BorshCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<SignedConsensusMsg<EblContext>, CodecError> {
        decode::<SignedMsgDto>("consensus message", &bytes, MESSAGE_BYTES_MAX).map(SignedMsgDto::into_msg)
    }

    fn encode(&self, msg: &SignedConsensusMsg<EblContext>) -> Result<Bytes, CodecError> {
        Ok(encode(&SignedMsgDto::from(msg)?))
    }
}

impl Codec<LivenessMsg<EblContext>> for BorshCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<LivenessMsg<EblContext>, CodecError> {
        Ok(match decode::<LivenessDto>("liveness message", &bytes, MESSAGE_BYTES_MAX)? {
            LivenessDto::Vote(v, s) => {
                LivenessMsg::Vote(SignedMessage::new(v.into_vote(), ConsensusSignature(s)))
            }
            LivenessDto::Polka(p) => LivenessMsg::PolkaCertificate(p.into_cert()),
            LivenessDto::SkipRound(c) => LivenessMsg::SkipRoundCertificate(c.into_cert()),
        })
    }

    fn encode(&self, msg: &LivenessMsg<EblContext>) -> Result<Bytes, CodecError> {
        let dto = match msg {
            LivenessMsg::Vote(v) => LivenessDto::Vote(VoteDto::from(&v.message)?, v.signature.0),
            LivenessMsg::PolkaCertificate(c) => LivenessDto::Polka(PolkaDto::from(c)),
            LivenessMsg::SkipRoundCertificate(c) => LivenessDto::SkipRound(RoundCertificateDto::from(c)),
        };
        Ok(encode(&dto))
    }
}

impl Codec<StreamMessage<ProposalPart>> for BorshCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<StreamMessage<ProposalPart>, CodecError> {
        let dto: StreamDto = decode("stream message", &bytes, MESSAGE_BYTES_MAX)?;
        let content = dto.content.map_or(StreamContent::Fin, StreamContent::Data);
        Ok(StreamMessage::new(StreamId::new(Bytes::from(dto.stream_id)), dto.sequence, content))
    }

    fn encode(&self, msg: &StreamMessage<ProposalPart>) -> Result<Bytes, CodecError> {
        let content = match &msg.content {
            StreamContent::Data(part) => Some(part.clone()),
            StreamContent::Fin => None,
        };
        Ok(encode(&StreamDto {
            stream_id: msg.stream_id.to_bytes().to_vec(),
            sequence: msg.sequence,
            content,
        }))
    }
}

impl Codec<ValidatorProof<EblContext>> for BorshCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<ValidatorProof<EblContext>, CodecError> {
        let dto: ProofDto = decode("validator proof", &bytes, 4096)?;
        Ok(ValidatorProof::new(dto.public_key, dto.peer_id, ConsensusSignature(dto.signature)))
    }

    fn encode(&self, proof: &ValidatorProof<EblContext>) -> Result<Bytes, CodecError> {
        Ok(encode(&ProofDto {
            public_key: proof.public_key.clone(),
            peer_id: proof.peer_id.clone(),
            signature: proof.signature.0,
        }))
    }
}

impl Codec<Status<EblContext>> for BorshCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<Status<EblContext>, CodecError> {
        let dto: StatusDto = decode("sync status", &bytes, 4096)?;
        let peer_id = PeerId::from_bytes(&dto.peer_id)
            .map_err(|e| CodecError::Invalid { what: "sync status", reason: e.to_string() })?;
        Ok(Status {
            peer_id,
            tip_height: BlockHeight(dto.tip_height),
            history_min_height: BlockHeight(dto.history_min_height),
        })
    }

    fn encode(&self, status: &Status<EblContext>) -> Result<Bytes, CodecError> {
        Ok(encode(&StatusDto {
            peer_id: status.peer_id.to_bytes(),
            tip_height: status.tip_height.0,
            history_min_height: status.history_min_height.0,
        }))
    }
}

impl Codec<Request<EblContext>> for BorshCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<Request<EblContext>, CodecError> {
        let dto: RequestDto = decode("sync request", &bytes, 64)?;
        let range: RangeInclusive<BlockHeight> = BlockHeight(dto.start)..=BlockHeight(dto.end);
        Ok(Request::ValueRequest(ValueRequest::new(range)))
    }

    fn encode(&self, request: &Request<EblContext>) -> Result<Bytes, CodecError> {
        let Request::ValueRequest(r) = request;
        Ok(encode(&RequestDto { start: r.range.start().0, end: r.range.end().0 }))
    }
}

impl BorshCodec {
    fn response_dto(response: &Response<EblContext>) -> Result<ResponseDto, CodecError> {
        let Response::ValueResponse(r) = response;
        let mut values = Vec::with_capacity(r.values.len());
        for v in &r.values {
            values.push((v.value_bytes.to_vec(), CertificateDto::from(&v.certificate)?));
        }
        Ok(ResponseDto { start_height: r.start_height.0, values })
    }

    /// A stored certificate in the form sync serves it.
    pub fn extended_certificate(
        height: u64,
        round: u32,
        block_hash: Hash,
        signatures: &[(PartyId, ebl_ledger::Signature)],
    ) -> ExtendedCommitCertificate<EblContext> {
        CertificateDto {
            height,
            round: Some(round),
            value: block_hash,
            signatures: signatures.iter().map(|(p, s)| (*p, s.0)).collect(),
        }
        .into_cert()
    }
}

impl Codec<Response<EblContext>> for BorshCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<Response<EblContext>, CodecError> {
        let dto: ResponseDto = decode("sync response", &bytes, SYNC_RESPONSE_BYTES_MAX)?;
        let values = dto
            .values
            .into_iter()
            .map(|(bytes, cert)| RawDecidedValue::new(Bytes::from(bytes), cert.into_cert()))
            .collect();
        Ok(Response::ValueResponse(ValueResponse::new(BlockHeight(dto.start_height), values)))
    }

    fn encode(&self, response: &Response<EblContext>) -> Result<Bytes, CodecError> {
        Ok(encode(&Self::response_dto(response)?))
    }
}

impl HasEncodedLen<Response<EblContext>> for BorshCodec {
    fn encoded_len(&self, response: &Response<EblContext>) -> Result<usize, CodecError> {
        Ok(borsh::object_length(&Self::response_dto(response)?).unwrap_or(usize::MAX))
    }
}

impl Codec<ProposedValue<EblContext>> for BorshCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<ProposedValue<EblContext>, CodecError> {
        let dto: ProposedValueDto = decode("proposed value", &bytes, 4096)?;
        Ok(ProposedValue {
            height: BlockHeight(dto.height),
            round: round_of(dto.round),
            valid_round: round_of(dto.valid_round),
            proposer: ValidatorAddress(dto.proposer),
            value: BlockHash(dto.value),
            validity: Validity::from_bool(dto.valid),
        })
    }

    fn encode(&self, v: &ProposedValue<EblContext>) -> Result<Bytes, CodecError> {
        Ok(encode(&ProposedValueDto {
            height: v.height.0,
            round: round_dto(v.round),
            valid_round: round_dto(v.valid_round),
            proposer: v.proposer.0,
            value: v.value.0,
            valid: v.validity.is_valid(),
        }))
    }
}

impl Codec<PolkaCertificate<EblContext>> for BorshCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<PolkaCertificate<EblContext>, CodecError> {
        decode::<PolkaDto>("polka certificate", &bytes, MESSAGE_BYTES_MAX).map(PolkaDto::into_cert)
    }

    fn encode(&self, c: &PolkaCertificate<EblContext>) -> Result<Bytes, CodecError> {
        Ok(encode(&PolkaDto::from(c)))
    }
}

/// Commit signatures in the stored certificate's form: sorted by party.
pub fn ledger_certificate(
    height: u64,
    round: Round,
    block_hash: Hash,
    signatures: &[CommitSignature<EblContext>],
) -> ebl_ledger::Certificate {
    let mut signatures: Vec<(PartyId, ebl_ledger::Signature)> =
        signatures.iter().map(|s| (s.address.0, s.signature.to_ledger())).collect();
    signatures.sort_by_key(|s| s.0);
    ebl_ledger::Certificate { height, round: round.as_u32().unwrap_or(0), block_hash, signatures }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn codec_round_trip<T: Clone + PartialEq + std::fmt::Debug>(value: T)
    where
        BorshCodec: Codec<T>,
    {
        let bytes = BorshCodec.encode(&value).expect("encode");
        assert_eq!(BorshCodec.decode(bytes).expect("decode"), value);
    }

    fn party(b: u8) -> PartyId {
        PartyId([b; 32])
    }

    proptest! {
        #[test]
        fn votes_and_proposals_round_trip(h in any::<u64>(), r in proptest::option::of(0u32..1000),
                                          v in proptest::option::of(any::<[u8; 32]>()), pre in any::<bool>()) {
            let vote = Vote {
                kind: if pre { VoteType::Prevote } else { VoteType::Precommit },
                height: BlockHeight(h),
                round: round_of(r),
                value: value_of(v.map(Hash)),
                validator: ValidatorAddress(party(1)),
                extension: None,
            };
            codec_round_trip(SignedConsensusMsg::Vote(SignedMessage::new(vote, ConsensusSignature([3; 64]))));
            let proposal = Proposal {
                height: BlockHeight(h),
                round: round_of(r),
                value: BlockHash(Hash(v.unwrap_or([0; 32]))),
                pol_round: Round::Nil,
                proposer: ValidatorAddress(party(2)),
            };
            codec_round_trip(SignedConsensusMsg::Proposal(SignedMessage::new(proposal, ConsensusSignature([4; 64]))));
        }

        #[test]
        fn junk_never_panics_the_decoders(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let b = Bytes::from(bytes);
            let _ = Codec::<SignedConsensusMsg<EblContext>>::decode(&BorshCodec, b.clone());
            let _ = Codec::<LivenessMsg<EblContext>>::decode(&BorshCodec, b.clone());
            let _ = Codec::<StreamMessage<ProposalPart>>::decode(&BorshCodec, b.clone());
            let _ = Codec::<Response<EblContext>>::decode(&BorshCodec, b.clone());
            let _ = Codec::<Status<EblContext>>::decode(&BorshCodec, b.clone());
            let _ = Codec::<ProposedValue<EblContext>>::decode(&BorshCodec, b);
        }
    }

    #[test]
    fn stream_messages_certificates_and_sync_round_trip() {
        let part = ProposalPart::Chunk(vec![1, 2, 3]);
        codec_round_trip(StreamMessage::new(
            StreamId::new(Bytes::from_static(b"id")),
            3,
            StreamContent::Data(part),
        ));
        codec_round_trip(StreamMessage::<ProposalPart>::new(
            StreamId::new(Bytes::new()),
            9,
            StreamContent::Fin,
        ));
        let cert = BorshCodec::extended_certificate(
            5,
            1,
            Hash([8; 32]),
            &[(party(1), ebl_ledger::Signature([2; 64]))],
        );
        let response = Response::ValueResponse(ValueResponse::new(
            BlockHeight(5),
            vec![RawDecidedValue::new(Bytes::from_static(b"block"), cert)],
        ));
        codec_round_trip(response.clone());
        assert!(BorshCodec.encoded_len(&response).expect("len") > 0);
        codec_round_trip(Request::<EblContext>::ValueRequest(ValueRequest::new(
            BlockHeight(2)..=BlockHeight(9),
        )));
        codec_round_trip(ProposedValue::<EblContext> {
            height: BlockHeight(4),
            round: Round::new(0),
            valid_round: Round::Nil,
            proposer: ValidatorAddress(party(5)),
            value: BlockHash(Hash([6; 32])),
            validity: Validity::Invalid,
        });
    }
}
