//! Errors of the ledger crate. Business refusals are not here: they are receipt codes
//! ([`crate::ErrorCode`]).

use thiserror::Error;

/// A text form (hex key, hash, code) that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("expected {expected} characters, found {found}")]
    Length { expected: usize, found: usize },
    #[error("not hexadecimal")]
    Hex,
    #[error("not a valid ed25519 public key")]
    Key,
    #[error("unknown value {0:?}")]
    Unknown(String),
}

/// Canonical bytes that could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("input of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error("malformed canonical encoding: {0}")]
    Malformed(String),
}

/// Why a transaction envelope is invalid. Such a transaction is never included in a block
/// (it has no valid signer whose nonce could be spent).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TxError {
    #[error("transaction has no signer")]
    NoSigner,
    #[error("transaction has {0} signers; at most {max} are allowed", max = crate::limits::TX_SIGNERS_MAX)]
    TooManySigners(usize),
    #[error("signer {0} appears twice")]
    DuplicateSigner(crate::PartyId),
    #[error("{signers} signers but {signatures} signatures")]
    SignatureCount { signers: usize, signatures: usize },
    #[error("signer {0} is not a valid ed25519 public key")]
    BadKey(crate::PartyId),
    #[error("signature of {0} does not verify")]
    BadSignature(crate::PartyId),
    #[error("transaction is for chain {found:?}, this is chain {expected:?}")]
    WrongChain { expected: String, found: String },
    #[error("nonce {found} is not the signer's next nonce {expected}")]
    BadNonce { expected: u64, found: u64 },
    #[error("signer {0} is not a registered party")]
    UnknownSigner(crate::PartyId),
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

impl TxError {
    /// Stable machine-readable code, as served by the API.
    pub fn code(&self) -> &'static str {
        match self {
            TxError::NoSigner => "NO_SIGNER",
            TxError::TooManySigners(_) => "TOO_MANY_SIGNERS",
            TxError::DuplicateSigner(_) => "DUPLICATE_SIGNER",
            TxError::SignatureCount { .. } => "SIGNATURE_COUNT",
            TxError::BadKey(_) => "BAD_KEY",
            TxError::BadSignature(_) => "BAD_SIGNATURE",
            TxError::WrongChain { .. } => "WRONG_CHAIN",
            TxError::BadNonce { .. } => "BAD_NONCE",
            TxError::UnknownSigner(_) => "UNKNOWN_SIGNER",
            TxError::Decode(DecodeError::TooLarge { .. }) => "TX_TOO_LARGE",
            TxError::Decode(DecodeError::Malformed(_)) => "MALFORMED_TX",
        }
    }
}

/// The authenticated state store failed (I/O, corruption, missing node). Never a business
/// outcome: execution stops and the block is not committed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StoreError {
    #[error("state store: {0}")]
    Backend(String),
    #[error("state store is corrupt: {0}")]
    Corrupt(String),
    #[error("version {version} is not newer than the latest version {latest}")]
    StaleVersion { version: u64, latest: u64 },
    #[error("the key is kept beside the state tree and has no proof of its own")]
    NotInTree,
    /// A read at `version` of a key written since, in a store that keeps only the newest value
    /// of each key (not an archive): a reader whose version a commit overtook reads again at
    /// the new tip.
    #[error("the value at version {version} is not kept: the key was written at {latest}")]
    Pruned { version: u64, latest: u64 },
}

/// A Merkle or state proof that does not check out against the expected root.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProofError {
    #[error("proof does not match the root: {0}")]
    Mismatch(String),
    #[error("leaf index {index} is outside a tree of {size} leaves")]
    OutOfRange { index: u64, size: u64 },
}
