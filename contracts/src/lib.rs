//! # ebl-contracts
//!
//! The deterministic state machines of eBL Ledger: parties, eBL title (DCSA eBL 3.0 / PINT
//! 3.0 and MLETR), liens, and container release. Pure functions of (state, block context,
//! verified transaction): no clock (time is the block's), no randomness, ordered maps only.
//!
//! * [`apply_tx`] executes one transaction on top of the block's writes so far.
//! * [`execute_block`] executes a validator's block and fails on any transaction that may not
//!   be included; the proposer uses [`apply_tx`] and leaves such transactions out.
//!
//! A refused action yields a [`Receipt`] with a stable [`ErrorCode`] and changes nothing but
//! the submitter's nonce. Only an invalid envelope (wrong chain, wrong nonce, unknown
//! submitter) or a storage failure is an error.

mod exec;
pub mod genesis;
mod governance;
mod lien;
pub mod overlay;
mod parties;
mod release;
mod title;
mod validate;

#[cfg(any(test, feature = "test-utils"))]
pub mod testkit;

pub use exec::{apply_tx, execute_block, ApplyError, BlockCtx, Executed};
pub use genesis::{Genesis, GenesisError};
pub use overlay::{BlockReads, Overlay, WriteSet};

use ebl_ledger::{ErrorCode, StoreError};

/// Why an action handler stopped: a business refusal (becomes a failure receipt) or a storage
/// failure (stops the block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fail {
    Refused(ErrorCode),
    Store(StoreError),
}

impl From<ErrorCode> for Fail {
    fn from(code: ErrorCode) -> Self {
        Fail::Refused(code)
    }
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

/// Refuses with `code` unless `ok`.
pub(crate) fn require(ok: bool, code: ErrorCode) -> Result<(), Fail> {
    if ok {
        Ok(())
    } else {
        Err(Fail::Refused(code))
    }
}
