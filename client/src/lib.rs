//! ebl-client: the REST SDK of eBL Ledger. Builds and signs transactions locally, signs reads
//! (RFC 9421), and verifies proof bundles against the validator set of their height — learned
//! from the genesis file link by link (ADR 0019) — without trusting the node it asked: a proof must be fresh (at most two minutes old by default), and a finance
//! check's verdict is computed here from the proven record (ADR 0017). Speaks `https://`.
//!
//! ```no_run
//! # async fn demo() -> ebl_client::Result<()> {
//! use ebl_client::{keys, BlRef, Client, Trust};
//! let key = keys::load("me.pem".as_ref())?;
//! let mut trust = Trust::from_genesis_file("genesis.json".as_ref())?;
//! let client = Client::new("http://127.0.0.1:27200", trust.chain_id.clone())?.with_key(key);
//! let bl: BlRef = "MAEU123@ebl:3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29".parse()?;
//! let title = client.verify_title(&mut trust, &bl.id()).await?;
//! println!("held by {} at height {}", title.record.possessor, title.height);
//! # Ok(()) }
//! ```

pub mod actions;
pub mod batch;
pub mod builder;
pub mod client;
pub mod error;
pub mod finance;
pub mod keys;
pub mod signing;
#[cfg(feature = "test-utils")]
pub mod testkit;
pub mod time;
pub mod trust;

pub use actions::{explain_refusal, issue_from, issue_from_document, secret_hash, BlRef, IssueParties};
pub use builder::{PartialTx, TxBuilder};
pub use client::{typed_events, Client, EventStream};
/// The REST API's bodies (`ebl-api`, shared with the node), as the SDK reads and the CLI's
/// `--json` prints them.
pub use ebl_api::{
    ActionName, BatchResponse, BatchResult, BlockSummary, CarrierEntry, CarrierList, ContainerState,
    ContainerStatus, Containers, Disclosure, ErrorBody, FinanceCheckRequest, FinanceReport, Health, History,
    LedgerEvent, NamedParty, Nonces, PartyList, ProofResponse, PublicVerification, StatusResponse, TxOutcome,
    TxState, TxStatus, ValidatorEntry, ValidatorsResponse,
};
pub use error::{BuildError, ClientError, Disagreement, Result, TitleError};
pub use finance::CheckedFinance;
pub use trust::{
    check_fresh, decode_bundle, EpochError, Trust, TrustedEpoch, VerifiedTitle, PROOF_AGE_MAX_MS,
};

/// The REST API's types, request signatures (`httpsig`) and event-stream parser (`sse`).
pub use ebl_api;
/// The ledger types the SDK speaks in.
pub use ebl_ledger;
