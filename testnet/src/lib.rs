//! `ebl-testnet`: a local eBL Ledger network of named organisations on 127.0.0.1 — keys,
//! genesis and configurations made by `ebl-node` itself, one `ebl-node run` process per
//! validator with its own RocksDB, every link between validators through a relay that can cut
//! it — with the demo story, a steady transfer load, and the controls fault tests use (stop,
//! SIGKILL, SIGSTOP/SIGCONT, partition, wipe), the chain checker, and the network benchmark.

pub mod bench;
pub mod check;
pub mod control;
pub mod governance;
pub mod load;
pub mod net;
pub mod procfs;
pub mod relay;
pub mod replay;
pub mod report;
pub mod story;

pub use load::{Ack, Load, LoadReport};
pub use net::{find_node_binary, NetSpec, NodeInfo, NodeState, Testnet};
pub use relay::Relays;
