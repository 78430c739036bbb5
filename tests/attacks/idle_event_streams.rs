//! (f) 500 idle event streams on one validator: a few registered parties each open a hundred
//! `GET /v1/events` streams (signed, within their request rate) and never read them. Every
//! stream wakes at every commit and works out which of the block's events its party may see.

use std::time::Duration;

use anyhow::Result;
use ebl_ledger::Keypair;

use crate::harness::{self, attacker_http, label, signed_get, AttackCtx, Plan, Setup, Tally};

/// Streams opened.
const STREAMS: usize = 500;
/// Parties that sign them (a hundred streams each: within a party's burst of requests).
const PARTIES: usize = 5;
/// The validator they are opened on: the bank's.
const TARGET: usize = 1;
/// Timeout of opening one stream.
const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

#[test]
fn five_hundred_idle_event_streams_leave_the_validators_committing() {
    harness::run(
        "idle-streams",
        Plan { attacked: &[TARGET], probe_node: TARGET, duration: Duration::from_secs(20) },
        prepare,
        streams,
    );
}

fn prepare(setup: &mut Setup) -> Result<Vec<Keypair>> {
    setup.parties(PARTIES, "Stream holder")
}

async fn streams(ctx: AttackCtx, parties: Vec<Keypair>) -> Result<String> {
    let target = ctx.target.clone();
    let url = target.urls[TARGET].clone();
    let tally = Tally::default();
    let mut holders = Vec::new();
    for (p, key) in parties.into_iter().enumerate() {
        let http = attacker_http(p)?;
        let mut requests = Vec::new();
        for _ in 0..STREAMS / PARTIES {
            requests.push(signed_get(&http, &url, &target.chain_id, &key, "/v1/events")?);
        }
        let (tally, ctx) = (tally.clone(), ctx.clone());
        holders.push(tokio::spawn(async move {
            let mut open = Vec::new();
            for request in requests {
                if ctx.stopped() {
                    break;
                }
                match tokio::time::timeout(OPEN_TIMEOUT, request.send()).await {
                    Err(_) => tally.add("timeout"),
                    Ok(Ok(response)) if response.status().is_success() => {
                        tally.add("open");
                        // Held, never read.
                        open.push(response);
                    }
                    Ok(result) => tally.add(label(result).await),
                }
            }
            ctx.until_stopped().await;
            drop(open);
        }));
    }
    // Taken hold once every party has tried all its streams.
    let deadline = tokio::time::Instant::now() + OPEN_TIMEOUT * 2;
    while tally.total() < STREAMS as u64 && tokio::time::Instant::now() < deadline && !ctx.stopped() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ctx.engaged();
    ctx.until_stopped().await;
    for holder in &holders {
        holder.abort();
    }
    Ok(format!("{STREAMS} event streams by {PARTIES} parties on one validator: {}", tally.summary()))
}
