//! (h) Mempools filled with transactions that can never be included: several registered
//! parties each send 999 transactions of about 64 KiB whose nonces start one past their next
//! nonce (the gap is never filled), to every validator. Before issue 29 five parties filled
//! every pool's 256 MiB and a valid transaction was refused `MEMPOOL_FULL` on every node until
//! restart — and the proposers, seeing a pool that was not empty, made empty blocks without
//! pause.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use ebl_client::batch::encode_batch;
use ebl_client::{issue_from_document, IssueParties, TxBuilder};
use ebl_ledger::action::Reissue;
use ebl_ledger::{Action, Keypair, Transaction};
use ebl_testnet::story::DOCUMENT;

use crate::harness::{self, attacker_http, AttackCtx, Plan, Setup, Tally};

/// Parties sending them.
const PARTIES: usize = 5;
/// Transactions per party, nonces `next + 1 ..= next + 999`: inside `ebl-node init`'s nonce
/// window and per-party quota of 1,000.
const GAP_TXS_PER_PARTY: u64 = 999;
/// Encoded size aimed at, bytes (the ledger's limit is 64 KiB).
const TX_BYTES_TARGET: usize = 64_000;
/// Transactions per request: under `ebl-node init`'s 4 MiB request body limit.
const BATCH_TXS: usize = 60;
/// Timeout of one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The validator the legitimate party uses: the bank's (every validator is filled).
const PROBE_NODE: usize = 1;

#[test]
fn mempools_stuffed_with_nonce_gap_transactions_still_admit_a_valid_one() {
    harness::run(
        "nonce-gap",
        // Signing and sending 1.3 GB takes 12–25 s on this 2-core machine.
        Plan { attacked: &harness::ALL, probe_node: PROBE_NODE, duration: Duration::from_secs(40) },
        prepare,
        stuff,
    );
}

fn prepare(setup: &mut Setup) -> Result<Vec<Keypair>> {
    setup.parties(PARTIES, "Gap filler")
}

/// A REISSUE of two padded documents: large, and never executed (its nonce is never reached).
fn padded_action(padding: usize) -> Result<Action> {
    let mut document: serde_json::Value = serde_json::from_str(DOCUMENT)?;
    document["attackPadding"] = "x".repeat(padding).into();
    let issue = issue_from_document(
        &document.to_string(),
        &IssueParties {
            issue_to: ebl_ledger::PartyId([7; 32]),
            shipper: ebl_ledger::PartyId([7; 32]),
            consignee: None,
            endorsee: None,
            agents: Vec::new(),
        },
    )?;
    Ok(Action::Reissue(Reissue { voided: Vec::new(), replacements: vec![issue.clone(), issue] }))
}

/// Every party's gap transactions, signed, as encoded batches.
fn batches(chain_id: &str, parties: &[Keypair]) -> Result<Vec<Vec<u8>>> {
    let sign = |key: &Keypair, nonce: u64, action: &Action| -> Result<Transaction> {
        Ok(TxBuilder::new(chain_id, key.party(), action.clone()).nonce(nonce).sign(&[key])?)
    };
    let first = parties.first().context("no parties")?;
    // Two documents per transaction: each byte of padding counts twice.
    let trial = 20_000;
    let size = sign(first, 1, &padded_action(trial)?)?.encode().len();
    let action = padded_action((trial + TX_BYTES_TARGET.saturating_sub(size) / 2).max(1))?;
    let mut out = Vec::new();
    for key in parties {
        let txs: Vec<Transaction> =
            (1..=GAP_TXS_PER_PARTY).map(|nonce| sign(key, nonce, &action)).collect::<Result<_>>()?;
        out.extend(txs.chunks(BATCH_TXS).map(encode_batch));
    }
    Ok(out)
}

async fn stuff(ctx: AttackCtx, parties: Vec<Keypair>) -> Result<String> {
    let target = ctx.target.clone();
    let chain_id = target.chain_id.clone();
    let batches = Arc::new(tokio::task::spawn_blocking(move || batches(&chain_id, &parties)).await??);
    let tally = Tally::default();
    let mut senders = Vec::new();
    for (node, url) in target.urls.iter().enumerate() {
        let http = attacker_http(node)?;
        let url = format!("{url}/v1/transactions/batch");
        let (batches, tally, ctx) = (batches.clone(), tally.clone(), ctx.clone());
        senders.push(tokio::spawn(async move {
            for batch in batches.iter() {
                if ctx.stopped() {
                    break;
                }
                let request = http
                    .post(&url)
                    .header("Content-Type", "application/octet-stream")
                    .body(batch.clone())
                    .timeout(REQUEST_TIMEOUT);
                match request.send().await {
                    Ok(response) if response.status().is_success() => {
                        let body: serde_json::Value = response.json().await.unwrap_or_default();
                        tally.add_n("admitted", body["accepted"].as_u64().unwrap_or(0));
                        for result in body["results"].as_array().into_iter().flatten() {
                            if let Some(code) = result["code"].as_str() {
                                tally.add(code.to_string());
                            }
                        }
                    }
                    other => tally.add(harness::label(other).await),
                }
            }
        }));
    }
    for sender in senders {
        let _ = sender.await;
    }
    // What each pool holds now (`/v1/status` is public).
    let mut pools = Vec::new();
    for url in &target.urls {
        let status =
            reqwest::Client::new().get(format!("{url}/v1/status")).timeout(REQUEST_TIMEOUT).send().await;
        let body: serde_json::Value = match status {
            Ok(r) => r.json().await.unwrap_or_default(),
            Err(_) => serde_json::Value::Null,
        };
        pools.push(body["mempoolTxs"].as_u64());
    }
    ctx.engaged();
    ctx.until_stopped().await;
    Ok(format!(
        "{PARTIES} parties × {GAP_TXS_PER_PARTY} gap transactions of ~{} KiB to each of 4 validators in {} requests: {}; pools then held {pools:?} transactions",
        TX_BYTES_TARGET >> 10,
        batches.len() * target.urls.len(),
        tally.summary()
    ))
}
