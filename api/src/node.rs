//! The node itself: errors, health, status and blocks.

use ebl_ledger::governance::{ValidatorEpoch, ValidatorProposal};
use ebl_ledger::{BlockHeader, Hash, PartyId, TxId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::tx::TxOutcome;

/// The `{code, message}` body of every error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable: clients match on it (docs/rest-api.md lists them).
    pub code: String,
    pub message: String,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
    pub height: u64,
}

/// `GET /v1/status`: the node's chain and committed tip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusResponse {
    pub chain_id: String,
    pub height: u64,
    #[schema(value_type = String)]
    pub block_hash: Hash,
    #[schema(value_type = String)]
    pub state_root: Hash,
    pub time_ms: u64,
    pub mempool_txs: u64,
    /// The genesis validators and their voting power (empty from a node older than this field).
    #[serde(default)]
    pub validators: Vec<ValidatorEntry>,
}

/// One validator of the genesis: three keys of its own (ADR 0019).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidatorEntry {
    pub name: String,
    /// Signs its votes: the key certificates name and a block header's `proposer` is.
    #[schema(value_type = String)]
    pub consensus_key: PartyId,
    /// Its libp2p identity.
    #[schema(value_type = String)]
    pub node_key: PartyId,
    /// The registered party that runs it.
    #[schema(value_type = String)]
    pub operator: PartyId,
    pub voting_power: u64,
    /// The operator's legal name, from the party registry.
    pub legal_name: Option<String>,
}

/// Most epochs `GET /v1/validators` serves: the newest ones.
pub const EPOCHS_SERVED_MAX: usize = 128;

/// `GET /v1/validators`: the validator set's history (ADR 0019) and the proposals open to change
/// it, from the committed state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidatorsResponse {
    /// The committed height read.
    pub height: u64,
    /// The epoch that runs the next height.
    pub current_epoch: u64,
    /// The newest epochs, oldest first (at most [`EPOCHS_SERVED_MAX`]): each set, the height it
    /// runs from, the height that approved it and the proposal that made it.
    #[schema(value_type = Vec<Object>)]
    pub epochs: Vec<ValidatorEpoch>,
    /// Proposals open against the newest epoch, with their approvals.
    #[schema(value_type = Vec<Object>)]
    pub open_proposals: Vec<ValidatorProposal>,
}

/// Most links `GET /v1/validators/chain` serves in one answer (each up to about 60 KB of hex at
/// 100 validators: the set, a proof, a header and a certificate).
pub const EPOCH_LINKS_SERVED_MAX: u64 = 16;

/// `GET /v1/validators/chain?from=K&limit=N`: query.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EpochChainQuery {
    /// The first epoch wanted (default 1: epoch 0 is the genesis file's set).
    pub from: Option<u64>,
    /// At most this many links (default and most [`EPOCH_LINKS_SERVED_MAX`]).
    pub limit: Option<u64>,
}

/// `GET /v1/validators/chain`: the validator-set changes since genesis, each with the proof a
/// light client checks it by (ADR 0019). Link `k` is a proof bundle of state key
/// `ValidatorEpoch(k)` at the height that approved it, certified by epoch `k − 1`: a client that
/// trusts epoch `k − 1` learns epoch `k` from it, and so, link by link, holding only the genesis
/// file, the set of any height.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EpochChainResponse {
    /// The committed height read.
    pub height: u64,
    /// The newest epoch the node knows (links past this one do not exist yet).
    pub latest_epoch: u64,
    /// Epochs `from`, `from + 1`, … in order, at most `limit` of them.
    pub links: Vec<EpochLink>,
}

/// One link of the epoch chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EpochLink {
    pub epoch: u64,
    /// The height of the block that approved it: the bundle's header is that block's.
    pub approved_height: u64,
    /// Hex of the borsh `ProofBundle` of `ValidatorEpoch(epoch)` at `approved_height`.
    pub bundle: String,
}

/// `GET /v1/blocks/{height}`: header, transaction ids and outcomes (no transaction bodies).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BlockSummary {
    pub height: u64,
    #[schema(value_type = String)]
    pub block_hash: Hash,
    #[schema(value_type = Object)]
    pub header: BlockHeader,
    #[schema(value_type = Vec<String>)]
    pub tx_ids: Vec<TxId>,
    /// `SUCCESS` or the refusal code, per transaction.
    pub outcomes: Vec<TxOutcome>,
}
