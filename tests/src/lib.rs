//! Cross-crate integration tests (`tests/`): multi-process networks run by `ebl-testnet` and
//! abused — SIGKILL under load, SIGSTOP, partitions, full restarts, a deleted database — and the
//! chain checker every scenario ends with (it lives in `ebl-testnet`, which the benchmark also
//! ends with).

pub use ebl_testnet::check;
pub mod webdriver;
