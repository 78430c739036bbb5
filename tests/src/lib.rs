//! Cross-crate integration tests (`tests/`): multi-process networks run by `ebl-testnet` and
//! abused — SIGKILL under load, SIGSTOP, partitions, full restarts, a deleted database — and the
//! chain checker every scenario ends with.

pub mod check;
