//! ebl-client: the REST SDK of eBL Ledger. Builds and signs transactions locally, signs reads
//! (RFC 9421), and verifies proof bundles against the genesis validator set without trusting
//! the node it asked.
//!
//! ```no_run
//! # async fn demo() -> ebl_client::Result<()> {
//! use ebl_client::{keys, BlRef, Client, Trust};
//! let key = keys::load("me.pem".as_ref())?;
//! let trust = Trust::from_genesis_file("genesis.json".as_ref())?;
//! let client = Client::new("http://127.0.0.1:27200", trust.chain_id.clone())?.with_key(key);
//! let bl: BlRef = "MAEU123@ebl:3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29".parse()?;
//! let title = client.verify_title(&trust, &bl.id()).await?;
//! println!("held by {} at height {}", title.record.possessor, title.height);
//! # Ok(()) }
//! ```

pub mod actions;
pub mod batch;
pub mod builder;
pub mod client;
pub mod error;
pub mod keys;
pub mod signing;
pub mod sse;
pub mod trust;
pub mod types;

pub use actions::{explain_refusal, issue_from, issue_from_document, secret_hash, BlRef, IssueParties};
pub use builder::{PartialTx, TxBuilder};
pub use client::{typed_events, Client, EventStream};
pub use error::{BuildError, ClientError, Result, TitleError};
pub use trust::{decode_bundle, Trust, VerifiedTitle};
pub use types::*;

/// The ledger types the SDK speaks in.
pub use ebl_ledger;
