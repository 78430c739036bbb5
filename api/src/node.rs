//! The node itself: errors, health, status and blocks.

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

/// One validator of the genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidatorEntry {
    #[schema(value_type = String)]
    pub party: PartyId,
    pub voting_power: u64,
    /// The operator's legal name, when the validator is also a registered party.
    pub legal_name: Option<String>,
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
