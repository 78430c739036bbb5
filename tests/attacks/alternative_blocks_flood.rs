//! (b) A Byzantine validator floods valid alternative blocks for many rounds: every round it
//! builds three valid blocks of the next height with varied times and streams each for the
//! next 40 rounds, naming itself as their proposer whether it is or not (three rounds in four
//! it is not); relabelled copies go to the heights after, for the rounds it does propose. The
//! others must take a stream only from the round's proposer (peer id checked), at most two
//! blocks per round, and hold only a bounded number of executed and early blocks.

use std::time::Duration;

use anyhow::Result;

use crate::harness::{self, AttackCtx, Byzantine, Plan};

/// The Byzantine validator: the terminal (the legitimate party uses the bank).
const BYZANTINE: usize = 3;
const HONEST: [usize; 3] = [0, 1, 2];

#[test]
fn a_validator_flooding_alternative_blocks_for_many_rounds_leaves_the_others_committing() {
    harness::run_with(
        "alt-blocks",
        Plan { attacked: &HONEST, probe_node: 1, duration: Duration::from_secs(30) },
        Some(Byzantine { validator: BYZANTINE, mode: "flood-alternatives" }),
        |_| Ok(()),
        watch,
    );
}

async fn watch(ctx: AttackCtx, (): ()) -> Result<String> {
    // The relabelled blocks of later heights are refused when their height comes (their parent
    // is not the committed block), so refused proposals are no fault of the honest validators.
    harness::evidence(&ctx, BYZANTINE, &["ebl_proposal_streams_refused_total"], &[]).await
}
