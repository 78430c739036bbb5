//! (e) A torsion signature: the Byzantine proposer heads every block it builds with two
//! transactions of its own whose signatures carry a point of order 8 in `R`
//! (`ebl_ledger::ed25519::crafted::torsion_in_r`). Under a cofactorless check such a signature
//! passes in some batch compositions and fails in others, so validators batching differently
//! would judge one proposal differently. Under the ledger's one rule (ZIP-215, cofactored) it is
//! valid alone and in any batch: every honest validator must accept every such proposal (none
//! refused), the crafted transactions must be committed, and all must hold the same blocks (the
//! chain checker).

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use ebl_client::Client;
use ebl_testnet::net::copy;

use crate::harness::{self, AttackCtx, Byzantine, Plan};

/// The Byzantine validator: the terminal (the legitimate party uses the bank).
const BYZANTINE: usize = 3;
const HONEST: [usize; 3] = [0, 1, 2];

#[test]
fn torsion_signed_transactions_in_a_proposers_blocks_are_judged_alike_by_every_validator() {
    harness::run_with(
        "torsion",
        Plan { attacked: &HONEST, probe_node: 1, duration: Duration::from_secs(20) },
        Some(Byzantine { validator: BYZANTINE, mode: "torsion-signature" }),
        |_| Ok(()),
        watch,
    );
}

/// The Byzantine validator's next nonce as honest validator `node` has it: every crafted
/// transaction committed spends one (nobody else signs for that party).
async fn nonce(ctx: &AttackCtx, node: usize) -> Result<u64> {
    let key = ctx.byzantine_key.as_deref().context("the Byzantine validator's key")?;
    let client = Client::new(&ctx.target.urls[node], &ctx.target.chain_id)?.with_key(copy(key));
    Ok(client.nonce(&key.party()).await?.next)
}

async fn watch(ctx: AttackCtx, (): ()) -> Result<String> {
    let before = nonce(&ctx, HONEST[0]).await?;
    // No honest validator refuses a proposal; blocks it validated rise (the proposer's among them).
    let summary =
        harness::evidence(&ctx, BYZANTINE, &["ebl_blocks_validated_total"], &["ebl_proposals_refused_total"])
            .await?;
    let mut after = Vec::new();
    for node in HONEST {
        after.push(nonce(&ctx, node).await?);
    }
    ensure!(
        after.iter().all(|&n| n > before),
        "no torsion-signed transaction was committed: the Byzantine validator's nonce {before} → {after:?}"
    );
    Ok(format!("{} torsion-signed transactions committed; {summary}", after[0] - before))
}
