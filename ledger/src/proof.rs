//! The proof bundle (DESIGN §4): what lets a client check "this state key holds this value at
//! height H" without trusting the node that answered — the value, its JMT proof against the
//! header's state root, the header, and the commit certificate that makes the header final for
//! the validator set the client trusts (the genesis set).

use borsh::{BorshDeserialize, BorshSerialize};
use thiserror::Error;

use crate::block::BlockHeader;
use crate::certificate::{Certificate, CertificateError};
use crate::error::ProofError;
use crate::keys::PartyId;
use crate::records::StateKey;
use crate::state::StateProof;

/// Largest bundle decoded, in bytes (a record, a proof of 256 siblings at most, a header and a
/// certificate of at most 128 signatures).
pub const PROOF_BUNDLE_BYTES_MAX: usize = 8 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, BorshSerialize, BorshDeserialize)]
pub struct ProofBundle {
    pub key: StateKey,
    /// The canonical bytes stored under `key`; `None` proves the key holds nothing.
    pub value: Option<Vec<u8>>,
    pub proof: StateProof,
    pub header: BlockHeader,
    pub certificate: Certificate,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BundleError {
    #[error("the header is not final for the trusted validators: {0}")]
    Certificate(#[from] CertificateError),
    #[error("the value is not proven under the header's state root: {0}")]
    Proof(#[from] ProofError),
}

impl ProofBundle {
    /// Checks the whole chain of evidence: certificate → header → state root → value.
    pub fn verify(&self, chain_id: &str, validators: &[(PartyId, u64)]) -> Result<(), BundleError> {
        self.certificate.verify(chain_id, validators, &self.header)?;
        self.proof.verify(&self.header.state_root, &self.key, self.value.as_deref())?;
        Ok(())
    }

    /// The proven value decoded as `T` (call after [`ProofBundle::verify`]).
    pub fn decode<T: BorshDeserialize>(&self) -> Option<T> {
        let bytes = self.value.as_deref()?;
        crate::encoding::decode(bytes, PROOF_BUNDLE_BYTES_MAX).ok()
    }
}
