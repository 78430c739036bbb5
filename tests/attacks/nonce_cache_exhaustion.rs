//! (g) Exhausting a validator's memory of request nonces: registered parties send signed
//! reads as fast as the node answers, each within its party's request rate and from several
//! addresses, each signature `created` as far in the future as the node accepts — so every
//! nonce stays remembered for twice the signature window. Before issue 29 the cache was one
//! pool of 200,000 for all parties: once full, a third party's legitimate signed read was
//! refused `401 REPLAYED_REQUEST` for minutes. Now a signature may be `created` at most 30 s
//! ahead of the node's clock, and the nonces are kept per party (40,000 each, a million in
//! all): the attackers fill only their own parties' memories.

use std::time::Duration;

use anyhow::Result;
use ebl_client::signing::{authority_of, fresh_nonce, now_s, sign_request_at};
use ebl_ledger::Keypair;

use crate::harness::{self, attacker_http, label, AttackCtx, Plan, Setup, Tally};

/// Parties sending the reads: at `ebl-node init`'s 100 signed requests per second per party,
/// 100 parties may send 10,000 a second.
const PARTIES: usize = 100;
/// Addresses they send from: at the default 2,000 requests per second per address.
const ADDRESSES: usize = 8;
/// Reads in flight at once.
const WORKERS: usize = 48;
/// How far ahead of the node's clock each signature is `created`, s: just inside the node's
/// 30 s bound (`CREATED_AHEAD_MAX_S`).
const CREATED_AHEAD_S: u64 = 25;
/// The validator attacked: the bank's.
const TARGET: usize = 1;
/// Timeout of one read.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Reads one worker sends, at most.
const ROUNDS_MAX: usize = 100_000;
/// Nonces the node remembered for all parties together before issue 29: once this many reads
/// were answered, the attack has taken hold (or earlier, when a fresh nonce is refused) ...
const GLOBAL_NONCES_MAX: u64 = 200_000;
/// ... or after this long, on a machine slower to answer.
const ENGAGED_AFTER: Duration = Duration::from_secs(40);

#[test]
fn far_future_signed_reads_do_not_lock_other_parties_out_of_a_validator() {
    harness::run(
        "nonce-cache",
        // Until the attacker has had 200,000 reads answered: about 50 s at the 4,000 a second
        // this 2-core machine answers while it also runs the network and the load.
        Plan { attacked: &[TARGET], probe_node: TARGET, duration: Duration::from_secs(70) },
        prepare,
        exhaust,
    );
}

fn prepare(setup: &mut Setup) -> Result<Vec<Keypair>> {
    setup.parties(PARTIES, "Nonce spender")
}

async fn exhaust(ctx: AttackCtx, parties: Vec<Keypair>) -> Result<String> {
    let target = ctx.target.clone();
    let url = target.urls[TARGET].clone();
    let authority = authority_of(&url)?;
    let parties = std::sync::Arc::new(parties);
    let tally = Tally::default();
    let started = std::time::Instant::now();
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let http = attacker_http(w % ADDRESSES)?;
        let (parties, tally, ctx, url, authority, chain_id) = (
            parties.clone(),
            tally.clone(),
            ctx.clone(),
            url.clone(),
            authority.clone(),
            target.chain_id.clone(),
        );
        workers.push(tokio::spawn(async move {
            for round in 0..ROUNDS_MAX {
                if ctx.stopped() {
                    break;
                }
                let key = &parties[(w + round * WORKERS) % parties.len()];
                let path = format!("/v1/parties/{}/nonce", key.party());
                let Ok(nonce) = fresh_nonce() else { break };
                let headers = sign_request_at(
                    key,
                    &chain_id,
                    "GET",
                    &authority,
                    &path,
                    None,
                    None,
                    now_s() + CREATED_AHEAD_S,
                    nonce,
                );
                let mut request = http.get(format!("{url}{path}")).timeout(REQUEST_TIMEOUT);
                for (name, value) in headers.pairs() {
                    request = request.header(name, value);
                }
                let outcome = label(request.send().await).await;
                // A fresh nonce refused: the node's memory of nonces is full.
                let full = outcome.contains("REPLAYED_REQUEST");
                tally.add(outcome);
                if full || tally.count("200") >= GLOBAL_NONCES_MAX || started.elapsed() >= ENGAGED_AFTER {
                    ctx.engaged();
                }
            }
        }));
    }
    ctx.until_stopped().await;
    for worker in &workers {
        worker.abort();
    }
    Ok(format!(
        "{} signed reads by {PARTIES} parties from {ADDRESSES} addresses, created {CREATED_AHEAD_S} s ahead: {}",
        tally.total(),
        tally.summary()
    ))
}
