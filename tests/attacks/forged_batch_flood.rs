//! (a) An anonymous client floods two validators with forged-signature batches: each request
//! is `POST /v1/transactions/batch` with 10,000 copies of one transaction in the name of a
//! public carrier, at its next nonce, signed by a stranger — it passes every cheap check and
//! costs a signature check. Several such requests at once on each of the two validators, over
//! and over, for the attack's whole time. No party key is needed, and the per-address limit
//! counts requests, not signatures.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use ebl_client::batch::encode_batch;
use ebl_ledger::tx::TxBody;
use ebl_ledger::{Action, BlId, Hash};

use crate::harness::{self, attacker_http, label, AttackCtx, Plan, Tally};

/// Copies of the forged transaction in one request (the API's batch limit).
const COPIES: usize = 10_000;
/// Requests in flight at once on each flooded validator.
const REQUESTS_PER_NODE: usize = 6;
/// The flooded validators: the bank and customs.
const FLOODED: [usize; 2] = [1, 2];
/// Timeout of one flood request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests one flood worker sends, at most.
const ROUNDS_MAX: usize = 10_000;

#[test]
fn forged_signature_batches_from_an_anonymous_client_leave_the_validators_committing() {
    harness::run(
        "forged-batch",
        Plan { attacked: &FLOODED, probe_node: FLOODED[0], duration: Duration::from_secs(20) },
        |_| Ok(()),
        flood,
    );
}

async fn flood(ctx: AttackCtx, (): ()) -> Result<String> {
    let target = &ctx.target;
    let stranger = ebl_client::keys::generate()?;
    let forged = TxBody {
        chain_id: target.chain_id.clone(),
        nonce: target.carrier_nonce,
        signers: vec![target.carrier],
        action: Action::Transfer {
            bl: BlId(Hash::digest(b"a BL the carrier never issued")),
            to: target.carrier,
        },
    }
    .sign(&[&stranger]);
    let body = Arc::new(encode_batch(&vec![forged; COPIES]));
    let tally = Tally::default();
    let mut workers = Vec::new();
    for (w, node) in FLOODED.iter().flat_map(|&n| std::iter::repeat_n(n, REQUESTS_PER_NODE)).enumerate() {
        let http = attacker_http(w)?;
        let url = format!("{}/v1/transactions/batch", target.urls[node]);
        let (body, tally, ctx) = (body.clone(), tally.clone(), ctx.clone());
        workers.push(tokio::spawn(async move {
            for _ in 0..ROUNDS_MAX {
                if ctx.stopped() {
                    break;
                }
                let request = http
                    .post(&url)
                    .header("Content-Type", "application/octet-stream")
                    .body(body.as_ref().clone())
                    .timeout(REQUEST_TIMEOUT);
                tally.add(label(request.send().await).await);
            }
        }));
    }
    ctx.engaged();
    ctx.until_stopped().await;
    for worker in &workers {
        worker.abort();
    }
    Ok(format!(
        "{} requests of {COPIES} forged copies ({} KiB each), {REQUESTS_PER_NODE} at a time on each of 2 validators: {}",
        tally.total(),
        body.len() >> 10,
        tally.summary()
    ))
}
