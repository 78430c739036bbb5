//! # ebl-node
//!
//! The validator (or any node): RocksDB storage with one atomic batch per block and start-up
//! invariants ([`storage`]), the [`mempool`], the application core that builds, validates and
//! commits blocks ([`app`]), Malachite BFT over libp2p ([`consensus`]), the REST API and the
//! portal it serves ([`api`]), the node's [`config`], [`genesis`] and [`keys`] files, and
//! [`node`], which starts and stops it all.
//!
//! Features: `local-net` adds [`ports`] (loopback ports for a local network, used by
//! `ebl-testnet`); `test-utils` adds those, the in-process network of [`testkit`] and the
//! Byzantine faults of `consensus::Tamper`. A production build has neither.

pub mod api;
pub mod app;
pub mod config;
pub mod consensus;
pub mod genesis;
pub mod keys;
pub mod mempool;
pub mod node;
#[cfg(any(feature = "local-net", feature = "test-utils"))]
pub mod ports;
pub mod storage;
#[cfg(feature = "test-utils")]
pub mod testkit;
pub mod verifier;
