//! # ebl-node
//!
//! The only crate with I/O. This first part holds what a validator needs besides consensus and
//! networking: RocksDB storage with one atomic batch per block and start-up invariants
//! ([`storage`]), the [`mempool`], the application core that builds, validates and commits blocks
//! ([`app`]), and the node's [`config`], [`genesis`] and [`keys`] files.

pub mod api;
pub mod app;
pub mod config;
pub mod consensus;
pub mod genesis;
pub mod keys;
pub mod mempool;
pub mod node;
pub mod ports;
pub mod storage;
#[cfg(feature = "test-utils")]
pub mod testkit;
pub mod verifier;
