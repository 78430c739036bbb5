//! (d) An equivocating proposer: whenever it proposes, the Byzantine validator streams three
//! different valid blocks for the same `(height, round)`. The others must take two at most
//! (the second is equivocation: logged naming the validator, counted, and passed to consensus,
//! which keeps the evidence), drop the third unexecuted, and all decide the same block.

use std::time::Duration;

use anyhow::Result;

use crate::harness::{self, AttackCtx, Byzantine, Plan};

/// The Byzantine validator: the terminal (the legitimate party uses the bank).
const BYZANTINE: usize = 3;
const HONEST: [usize; 3] = [0, 1, 2];

#[test]
fn an_equivocating_proposer_is_recorded_and_the_others_keep_committing_the_same_blocks() {
    harness::run_with(
        "equivocation",
        Plan { attacked: &HONEST, probe_node: 1, duration: Duration::from_secs(20) },
        Some(Byzantine { validator: BYZANTINE, mode: "equivocate" }),
        |_| Ok(()),
        watch,
    );
}

async fn watch(ctx: AttackCtx, (): ()) -> Result<String> {
    harness::evidence(
        &ctx,
        BYZANTINE,
        &["ebl_equivocations_total", "ebl_proposal_streams_refused_total"],
        &["ebl_proposals_refused_total"],
    )
    .await
}
