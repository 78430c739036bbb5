//! (i) 2,000 SIGNs on one BL, then reads: the possessor of a BL signs it 2,000 times (each
//! SIGN is a title action that adds an entry to the BL's history), while five other parties
//! follow their event streams on the same validator; then it reads the BL's record as fast as
//! its request rate allows. Before issue 29 authorising a read or an event loaded the BL's
//! whole history: after 5,000 SIGNs a plain read took 8× longer, and with five streams open
//! another party's event arrived 12.7 s late while the node stopped answering `/healthz`.
//!
//! Now a possessor signs once per possession (the other 1,999 SIGNs are refused
//! `ALREADY_SIGNED`, and the history does not grow), authorising a read or an event is one
//! index read whatever the history's length, and the streams filter the events the commit
//! handed over instead of reading each block again.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ebl_client::batch::encode_batch;
use ebl_client::TxBuilder;
use ebl_ledger::{Action, BlId, Keypair, Transaction};

use crate::harness::{self, attacker_http, label, signed_get, AttackCtx, Plan, Setup, Tally};

/// SIGNs in all.
const SIGNS: u64 = 2_000;
/// SIGNs per round: `ebl-node init`'s nonce window and per-party quota are 1,000.
const SIGNS_PER_ROUND: u64 = 1_000;
/// Other parties following their events on the same validator.
const STREAMS: usize = 5;
/// Reads of the record in flight at once.
const READERS: usize = 4;
/// The validator attacked: the bank's.
const TARGET: usize = 1;
/// Timeout of one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one round of SIGNs may take to commit.
const ROUND_WAIT: Duration = Duration::from_secs(60);
/// Reads one reader sends, at most.
const READS_MAX: usize = 100_000;
/// Chunks one stream reads, at most.
const STREAM_CHUNKS_MAX: usize = 1_000_000;

#[test]
fn two_thousand_signs_on_one_bl_leave_reads_and_other_parties_events_flowing() {
    harness::run(
        "sign-flood",
        Plan { attacked: &[TARGET], probe_node: TARGET, duration: Duration::from_secs(30) },
        prepare,
        sign_and_read,
    );
}

struct Material {
    signer: Keypair,
    bl: BlId,
    watchers: Vec<Keypair>,
}

fn prepare(setup: &mut Setup) -> Result<Material> {
    let mut keys = setup.parties(1 + STREAMS, "Signer")?;
    let watchers = keys.split_off(1);
    let signer = keys.pop().context("the signer")?;
    let bl = setup.issue_to(&signer.party())?;
    Ok(Material { signer, bl, watchers })
}

/// The signer's committed nonce, by a signed read.
async fn committed_nonce(http: &reqwest::Client, url: &str, chain_id: &str, key: &Keypair) -> Result<u64> {
    let path = format!("/v1/parties/{}/nonce", key.party());
    let response = signed_get(http, url, chain_id, key, &path)?.timeout(REQUEST_TIMEOUT).send().await?;
    let body: serde_json::Value = response.json().await?;
    body["committed"].as_u64().context("no committed nonce in the answer")
}

async fn sign_and_read(ctx: AttackCtx, material: Material) -> Result<String> {
    let target = ctx.target.clone();
    let url = target.urls[TARGET].clone();
    let chain_id = target.chain_id.clone();
    let tally = Tally::default();
    let mut tasks = Vec::new();

    // Five other parties follow their events, reading every chunk.
    for (w, key) in material.watchers.iter().enumerate() {
        let http = attacker_http(w)?;
        let request = signed_get(&http, &url, &chain_id, key, "/v1/events")?;
        let (tally, ctx) = (tally.clone(), ctx.clone());
        tasks.push(tokio::spawn(async move {
            let mut response = match tokio::time::timeout(REQUEST_TIMEOUT, request.send()).await {
                Ok(Ok(r)) if r.status().is_success() => r,
                Ok(other) => return tally.add(format!("stream {}", label(other).await)),
                Err(_) => return tally.add("stream timeout"),
            };
            tally.add("stream open");
            for _ in 0..STREAM_CHUNKS_MAX {
                if ctx.stopped() {
                    break;
                }
                match tokio::time::timeout(Duration::from_millis(500), response.chunk()).await {
                    Ok(Ok(Some(_))) | Err(_) => {}
                    Ok(_) => return tally.add("stream ended"),
                }
            }
        }));
    }

    // 2,000 SIGNs, a round at a time.
    let http = attacker_http(STREAMS)?;
    let signer = &material.signer;
    let mut rounds = Vec::new();
    for round in 0..SIGNS / SIGNS_PER_ROUND {
        let first = round * SIGNS_PER_ROUND;
        let txs: Vec<Transaction> = (first..first + SIGNS_PER_ROUND)
            .map(|nonce| {
                TxBuilder::new(&chain_id, signer.party(), Action::Sign { bl: material.bl })
                    .nonce(nonce)
                    .sign(&[signer])
            })
            .collect::<Result<_, _>>()?;
        let start = Instant::now();
        let response = http
            .post(format!("{url}/v1/transactions/batch"))
            .header("Content-Type", "application/octet-stream")
            .body(encode_batch(&txs))
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await?;
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        let admitted = body["accepted"].as_u64().unwrap_or(0);
        ctx.engaged();
        let deadline = start + ROUND_WAIT;
        loop {
            if ctx.stopped() {
                bail!("stopped before round {round} of SIGNs committed");
            }
            if committed_nonce(&http, &url, &chain_id, signer)
                .await
                .is_ok_and(|n| n >= first + SIGNS_PER_ROUND)
            {
                break;
            }
            if Instant::now() >= deadline {
                bail!("round {round} of SIGNs ({admitted} admitted) not committed within {ROUND_WAIT:?}");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        rounds.push(format!("{admitted} admitted, committed in {:.1} s", start.elapsed().as_secs_f64()));
    }

    // One SIGN per possession: the history holds the ISSUE and one SIGN.
    let path = format!("/v1/bls/{}", material.bl);
    let record: serde_json::Value = signed_get(&http, &url, &chain_id, signer, &path)?
        .timeout(REQUEST_TIMEOUT)
        .send()
        .await?
        .json()
        .await?;
    let history_len = record["historyLen"].as_u64().context("no historyLen in the record")?;
    if history_len != 2 {
        bail!("after {SIGNS} SIGNs the BL's history holds {history_len} entries, not the ISSUE and one SIGN");
    }

    // Then reads of the BL's record, as fast as the signer's request rate allows.
    let latencies = Arc::new(Mutex::new(Vec::new()));
    for r in 0..READERS {
        let http = attacker_http(STREAMS + 1 + r)?;
        let (tally, ctx, latencies, url, chain_id) =
            (tally.clone(), ctx.clone(), latencies.clone(), url.clone(), chain_id.clone());
        let (signer, bl) = (ebl_testnet::net::copy(signer), material.bl);
        tasks.push(tokio::spawn(async move {
            for _ in 0..READS_MAX {
                if ctx.stopped() {
                    break;
                }
                let Ok(request) = signed_get(&http, &url, &chain_id, &signer, &format!("/v1/bls/{bl}"))
                else {
                    break;
                };
                let start = Instant::now();
                let outcome = label(request.timeout(REQUEST_TIMEOUT).send().await).await;
                if outcome == "200" {
                    latencies.lock().unwrap_or_else(PoisonError::into_inner).push(start.elapsed());
                }
                tally.add(format!("read {outcome}"));
            }
        }));
    }
    ctx.until_stopped().await;
    for task in &tasks {
        task.abort();
    }
    let mut latencies = latencies.lock().unwrap_or_else(PoisonError::into_inner).clone();
    latencies.sort();
    let at =
        |q: f64| latencies.get(((latencies.len() as f64 - 1.0) * q) as usize).map_or(0, |d| d.as_millis());
    Ok(format!(
        "{SIGNS} SIGNs in rounds of {SIGNS_PER_ROUND} ({}), history {history_len} entries; record reads ms p50 {} p99 {} max {}; {}",
        rounds.join("; "),
        at(0.5),
        at(0.99),
        at(1.0),
        tally.summary()
    ))
}
