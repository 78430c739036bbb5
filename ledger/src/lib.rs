//! # ebl-ledger
//!
//! The data and cryptography every eBL Ledger participant shares: SHA-256 hashes, party keys,
//! the ed25519 signature rule (ZIP-215: one predicate for single and batch checks), the
//! canonical (borsh) encoding of everything hashed or signed, transactions and their signature
//! checks, blocks, RFC 6962 Merkle roots, the JMT-authenticated state with its proofs, the
//! records that state holds, and the DCSA document checksum.
//!
//! No I/O, no clock, no randomness: every value here is computed the same on every node.
//! The rules that decide which actions are allowed live in `ebl-contracts`.

pub mod action;
pub mod block;
pub mod certificate;
pub mod checksum;
pub mod dcsa;
pub mod ed25519;
pub mod encoding;
pub mod error;
pub mod finance;
pub mod governance;
pub mod hash;
pub mod keys;
pub mod limits;
pub mod merkle;
pub mod proof;
pub mod receipt;
pub mod records;
pub mod state;
pub mod tx;

pub use action::Action;
pub use block::{Block, BlockHeader};
pub use certificate::{Certificate, CertificateError};
pub use dcsa::{DocumentFacts, TransportDocumentJson};
pub use error::{DecodeError, ParseError, ProofError, StoreError, TxError};
pub use finance::{LcTerms, TermCheck};
pub use hash::Hash;
pub use keys::{Keypair, PartyId, Signature};
pub use proof::{BundleError, ProofBundle};
pub use receipt::{ErrorCode, Outcome, Receipt};
pub use records::{
    BlId, BlRecord, BlStatus, ContainerRef, PartyRecord, ReleaseRecord, Role, RoleSet, StateKey,
};
pub use state::{MemStore, StateProof, StateRead, StateStore, StateTree, StateUpdate};
pub use tx::{Transaction, TxBody, TxId, VerifiedTx};

/// The `jmt` crate this ledger's state is built on, for stores implemented elsewhere.
pub use jmt;
