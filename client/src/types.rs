//! The JSON shapes of the REST API (docs/rest-api.md), as the SDK reads them. They also
//! serialise back, so the CLI's `--json` prints what the node said.

use ebl_ledger::finance::{LcTerms, TermCheck};
use ebl_ledger::records::{HistoryEntry, Lien};
use ebl_ledger::{BlId, BlStatus, BlockHeader, Hash, PartyId, ReleaseRecord, TxId};
use serde::{Deserialize, Serialize};

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub height: u64,
}

/// `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeStatus {
    pub chain_id: String,
    pub height: u64,
    pub block_hash: Hash,
    pub state_root: Hash,
    pub time_ms: u64,
    pub mempool_txs: u64,
}

/// A transaction's state: `PENDING` or `COMMITTED` (then with height and outcome).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxStatus {
    pub tx_id: TxId,
    pub status: String,
    #[serde(default)]
    pub height: Option<u64>,
    /// `SUCCESS`, or the stable code of the refusal (e.g. `NOT_POSSESSOR`).
    #[serde(default)]
    pub outcome: Option<String>,
}

impl TxStatus {
    pub fn is_committed(&self) -> bool {
        self.status == "COMMITTED"
    }
    /// Committed with outcome `SUCCESS`.
    pub fn is_success(&self) -> bool {
        self.is_committed() && self.outcome.as_deref() == Some("SUCCESS")
    }
    /// The refusal code of a committed, refused transaction.
    pub fn refusal(&self) -> Option<&str> {
        match self.outcome.as_deref() {
            Some("SUCCESS") | None => None,
            Some(code) => Some(code),
        }
    }
}

/// `GET /v1/blocks/{height}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockSummary {
    pub height: u64,
    pub block_hash: Hash,
    pub header: BlockHeader,
    pub tx_ids: Vec<TxId>,
    pub outcomes: Vec<String>,
}

/// One transaction of a batch: admitted (`status` = `PENDING`) or refused (`code`, `message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResult {
    pub tx_id: TxId,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl BatchResult {
    pub fn is_accepted(&self) -> bool {
        self.status.is_some() && self.code.is_none()
    }
}

/// `POST /v1/transactions/batch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub accepted: usize,
    pub results: Vec<BatchResult>,
}

/// `GET /v1/verify/{blId}`: checksum-level facts (and names, to the document's holder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicVerification {
    pub bl_id: BlId,
    pub found: bool,
    #[serde(default)]
    pub status: Option<BlStatus>,
    /// Whether the presented checksum is the ledger's; the ledger's own is never told.
    #[serde(default)]
    pub checksum_matches: Option<bool>,
    pub height: u64,
    /// Only when the presented checksum matched: who the BL names and where it stands.
    #[serde(default)]
    pub disclosed: Option<serde_json::Value>,
}

/// `GET /v1/parties/{party}/nonce`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Nonces {
    pub party: PartyId,
    pub committed: u64,
    /// What to sign next (counts this node's pending transactions).
    pub next: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PartyList {
    pub parties: Vec<ebl_ledger::PartyRecord>,
}

/// `GET /v1/bls/{blId}/history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    pub bl_id: BlId,
    /// Entries in the whole history.
    #[serde(default)]
    pub history_len: u32,
    /// Oldest first, from the page's `fromSeq`.
    pub entries: Vec<HistoryEntry>,
    /// The `fromSeq` of the next page; `None` on the last.
    #[serde(default)]
    pub next_seq: Option<u32>,
}

/// `GET /v1/bls/{blId}/proof`: hex of the borsh `ProofBundle`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofResponse {
    pub height: u64,
    pub bundle: String,
}

/// The release status of one container of a BL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerStatus {
    pub equipment_reference: String,
    pub container_id: Hash,
    /// `NOT_RELEASED`, or a DESIGN §6 state (`HELD`, `AVAILABLE`, `GATED_OUT`, …).
    pub status: String,
    #[serde(default)]
    pub release: Option<ReleaseRecord>,
}

/// `GET /v1/bls/{blId}/containers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Containers {
    pub bl_id: BlId,
    pub containers: Vec<ContainerStatus>,
}

/// The body of `POST /v1/bls/{blId}/finance-check`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinanceCheckRequest {
    /// The DCSA TransportDocument presented to the bank.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lc_terms: Option<LcTerms>,
}

/// The answer of a finance check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinanceReport {
    pub bl_id: BlId,
    pub bank: PartyId,
    pub height: u64,
    pub passed: bool,
    pub carrier_signature_valid: bool,
    #[serde(default)]
    pub checksum_matches: Option<bool>,
    pub one_live_original: bool,
    pub status: BlStatus,
    pub possessor: PartyId,
    #[serde(default)]
    pub endorsee: Option<PartyId>,
    #[serde(default)]
    pub lien: Option<Lien>,
    /// `NONE`, `HELD_BY_THIS_BANK` or `HELD_BY_OTHER_BANK`.
    pub lien_status: String,
    #[serde(default)]
    pub terms: Vec<TermCheck>,
    #[serde(default)]
    pub failures: Vec<String>,
    /// Hex of the borsh `ProofBundle` of the record.
    pub proof: String,
}

/// One event of `GET /v1/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEvent {
    /// `ISSUED`, `TRANSFERRED`, …, `ACTION` or `REFUSED`.
    pub kind: String,
    pub height: u64,
    #[serde(default)]
    pub index: u32,
    pub tx_id: TxId,
    pub action: String,
    pub actor: PartyId,
    #[serde(default)]
    pub bl_id: Option<BlId>,
    #[serde(default)]
    pub equipment_reference: Option<String>,
    /// Every container the action names.
    #[serde(default)]
    pub equipment_references: Vec<String>,
    pub outcome: String,
}

/// The `{code, message}` body of every API error.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ErrorBody {
    pub code: String,
    pub message: String,
}
