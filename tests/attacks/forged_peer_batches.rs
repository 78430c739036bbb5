//! (c) A Byzantine validator sends oversized and forged transaction batches over mempool
//! gossip: every round a batch of 2,000 transactions in the other validators' names at their
//! next nonces, signed with its own key (each signature bad), and one of 8,000 copies of one
//! (four times what an honest validator gossips). The others must check peer batches off the
//! consensus thread, refuse an oversized one unverified, and drop the peer that sent either.

use std::time::Duration;

use anyhow::Result;

use crate::harness::{self, AttackCtx, Byzantine, Plan};

/// The Byzantine validator: the terminal (the legitimate party uses the bank).
const BYZANTINE: usize = 3;
const HONEST: [usize; 3] = [0, 1, 2];

#[test]
fn a_validator_gossiping_oversized_and_forged_batches_is_dropped_and_the_others_keep_committing() {
    harness::run_with(
        "peer-batches",
        Plan { attacked: &HONEST, probe_node: 1, duration: Duration::from_secs(20) },
        Some(Byzantine { validator: BYZANTINE, mode: "flood-batches" }),
        |_| Ok(()),
        watch,
    );
}

async fn watch(ctx: AttackCtx, (): ()) -> Result<String> {
    // Dropped (for ten minutes) at its first offence, the peer's later batches are refused
    // whole without a look.
    harness::evidence(
        &ctx,
        BYZANTINE,
        &["ebl_peers_dropped_total", "ebl_peer_batches_refused_total"],
        &["ebl_proposals_refused_total"],
    )
    .await
}
