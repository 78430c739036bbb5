//! The SDK's errors: one enum, a `Result` alias, and messages a person can act on.

use ebl_ledger::{BlId, BundleError, PartyId};
use thiserror::Error;

/// Everything an SDK call can fail with.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The node could not be reached at all (refused, DNS, timeout before an answer).
    #[error("cannot reach node at {url}: {reason}; is it running?")]
    Unreachable { url: String, reason: String },
    /// The HTTP exchange failed after the connection was made.
    #[error("HTTP error talking to {url}: {reason}")]
    Http { url: String, reason: String },
    /// The node answered with an error body `{code, message}` (docs/rest-api.md lists the codes).
    #[error("{status} {code}: {message}")]
    Api { status: u16, code: String, message: String },
    /// The node's answer could not be decoded.
    #[error("cannot decode the node's answer: {0}")]
    Decode(String),
    /// A proof bundle does not check out against the trusted validator set.
    #[error("proof does not verify: {0}")]
    Proof(#[from] BundleError),
    /// A link of the node's epoch chain does not check out: the client learns no set from it.
    #[error("validator set {epoch} is not proven: {reason}")]
    EpochChain { epoch: u64, reason: crate::trust::EpochError },
    /// A proof bundle checks out, but does not prove what was asked.
    #[error("proof does not prove the title asked for: {0}")]
    Title(#[from] TitleError),
    /// The proof is of a block on another chain than the trusted genesis names.
    #[error("the proof is of chain {found:?}; the trusted genesis is of chain {trusted:?}")]
    OtherChain { trusted: String, found: String },
    /// A genuine proof, but of a block older than the client accepts: a node may be replaying
    /// the title as it was (before a transfer, a surrender or a lien).
    #[error(
        "stale proof: block {height} of {block_time} is {age_ms} ms old, more than the {max_age_ms} ms          accepted (--max-proof-age); the node may be replaying an old state"
    )]
    StaleProof { height: u64, time_ms: u64, block_time: String, age_ms: u64, max_age_ms: u64 },
    /// The node's answer contradicts what its own proof proves, or the verdict computed here
    /// from the proven record: it lied.
    #[error("the node lied about BL {bl}: {}", lies(.disagreements))]
    NodeLied { bl: BlId, disagreements: Vec<Disagreement> },
    /// The call needs a party key (a signed read or a transaction) and the client has none.
    #[error("this call needs a party key: give one with --key FILE (or EBL_KEY), or Client::with_key")]
    NoKey,
    #[error("key file {path}: {reason}")]
    KeyFile { path: String, reason: String },
    #[error("genesis file {path}: {reason}")]
    Genesis { path: String, reason: String },
    #[error("cannot read or write {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    /// A DCSA TransportDocument that cannot be used.
    #[error("document: {0}")]
    Document(String),
    /// A transaction cannot be built, signed or completed as asked.
    #[error("transaction: {0}")]
    Build(#[from] BuildError),
    /// The transaction was not committed within the wait.
    #[error(
        "transaction {tx_id} not committed after {waited_ms} ms; it may still commit (ebl tx status {tx_id})"
    )]
    Timeout { tx_id: String, waited_ms: u64 },
    /// An input given by the caller (id, reference, party) is malformed.
    #[error("{0}")]
    Input(String),
}

/// Why a proof bundle that verifies does not prove the title of the BL asked for.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TitleError {
    #[error("the bundle proves another state key ({found}), not the record of BL {asked}")]
    WrongKey { asked: BlId, found: String },
    #[error("the ledger holds no record of BL {0} (the bundle proves its absence)")]
    Absent(BlId),
    #[error("the proven value is not a BL record")]
    Undecodable,
    #[error("the proven record is of BL {found}, not of BL {asked}")]
    WrongBl { asked: BlId, found: BlId },
}

/// Why a transaction cannot be built or completed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BuildError {
    #[error("no nonce: give one, or resolve it from the node")]
    NoNonce,
    #[error("{0} is not a signer of this transaction")]
    NotASigner(PartyId),
    #[error("{0} appears twice among the signers")]
    DuplicateSigner(PartyId),
    #[error("{n} signers; a transaction has at most {max}", max = ebl_ledger::limits::TX_SIGNERS_MAX)]
    TooManySigners { n: usize },
    #[error("still missing the signature of {}", list(.0))]
    MissingSignatures(Vec<PartyId>),
    #[error("the signature of {0} does not verify over this transaction")]
    BadSignature(PartyId),
    #[error("the transaction is for chain {found:?}, this client is on {expected:?}")]
    WrongChain { expected: String, found: String },
    #[error("malformed transaction file: {0}")]
    Malformed(String),
}

/// One field on which a node's answer and the proven record (or the verdict computed from it)
/// differ.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Disagreement {
    /// The field of the node's answer (`passed`, `lienStatus`, `status`, …).
    pub field: String,
    pub node_says: String,
    pub proof_says: String,
}

fn lies(disagreements: &[Disagreement]) -> String {
    disagreements
        .iter()
        .map(|d| format!("{} is {} by the proof, the node says {}", d.field, d.proof_says, d.node_says))
        .collect::<Vec<_>>()
        .join("; ")
}

fn list(parties: &[PartyId]) -> String {
    parties.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
}

impl ClientError {
    /// The node's stable error code, when the node refused the request.
    pub fn api_code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// A stable code for each way a node's answer is refused (the node may have lied), for
    /// scripts (`ebl --json` prints it as `code`).
    pub fn trust_code(&self) -> Option<&'static str> {
        Some(match self {
            ClientError::Proof(_) => "PROOF_INVALID",
            ClientError::EpochChain { .. } => "EPOCH_CHAIN_INVALID",
            ClientError::Title(_) => "PROOF_OF_OTHER_TITLE",
            ClientError::OtherChain { .. } => "OTHER_CHAIN",
            ClientError::StaleProof { .. } => "STALE_PROOF",
            ClientError::NodeLied { .. } => "NODE_LIED",
            _ => return None,
        })
    }
}

/// The SDK's result.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;
