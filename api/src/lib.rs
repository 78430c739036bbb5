//! # ebl-api
//!
//! The REST API of eBL Ledger (`docs/rest-api.md`) as types: every request and response body,
//! query and error of every route, in one place that the node serves them from and the client
//! SDK and the `ebl` CLI read them with, so the two cannot drift. With them, the HTTP parts both
//! sides share: RFC 9421 request signatures ([`httpsig`]) and the Server-Sent Events parser of
//! the event stream ([`sse`]).
//!
//! No server, runtime or storage here (no axum, tokio, RocksDB or `ebl-node`): the client uses
//! this crate without building RocksDB.
//!
//! ## The wire
//! JSON field names are camelCase. Where a value is one of a known set it is a typed enum that
//! serialises to the very string the API has always sent: a transaction's state
//! ([`TxState`]), its outcome ([`TxOutcome`]: `SUCCESS` or the ledger's [`ErrorCode`]), a
//! container's release status ([`ContainerState`]), an event's kind (the ledger's
//! [`EventKind`]) and action ([`ActionName`]), a BL's status and lien status (the ledger's
//! `BlStatus` and `LienStatus`).
//!
//! ## OpenAPI
//! Every type derives `utoipa::ToSchema`; the node builds `/openapi.json` from them. The
//! ledger's types (records, ids, hashes, its enums) are described with
//! `#[schema(value_type = ...)]` rather than by a `utoipa` feature of `ebl-ledger`: the ledger is
//! what every node hashes and signs, with no I/O and few dependencies, and how an HTTP API
//! documents it is this crate's business. The ledger's enums that are sets of names
//! ([`ErrorCode`], [`EventKind`], `BlStatus`, `LienStatus`, `ReleaseStatus`) get their
//! schema from the ledger's own values at run time (see [`schema`]), so that they cannot
//! drift either.
//!
//! [`ErrorCode`]: ebl_ledger::ErrorCode
//! [`EventKind`]: ebl_ledger::action::EventKind

pub mod bls;
pub mod events;
pub mod httpsig;
pub mod node;
pub mod schema;
pub mod sse;
pub mod tx;

pub use bls::{
    CarrierEntry, CarrierList, ContainerState, ContainerStatus, Containers, Disclosure, FinanceCheckRequest,
    FinanceReport, History, HistoryQuery, NamedParty, Nonces, PartyList, ProofResponse, PublicVerification,
    VerifyQuery, HISTORY_PAGE_MAX,
};
pub use events::{ActionName, EventsQuery, LedgerEvent};
pub use node::{
    BlockSummary, EpochChainQuery, EpochChainResponse, EpochLink, ErrorBody, Health, StatusResponse,
    ValidatorEntry, ValidatorsResponse, EPOCHS_SERVED_MAX, EPOCH_LINKS_SERVED_MAX,
};
pub use tx::{BatchResponse, BatchResult, SubmitQuery, TxOutcome, TxState, TxStatus};

/// The ledger's enums the API speaks in.
pub use ebl_ledger::action::EventKind;
pub use ebl_ledger::finance::LienStatus;
pub use ebl_ledger::records::ReleaseStatus;
pub use ebl_ledger::{BlStatus, ErrorCode};
