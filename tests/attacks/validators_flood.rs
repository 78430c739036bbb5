//! (k) Anonymous clients flood the public validator-set routes of one validator: unsigned
//! `GET /v1/validators` (the set's epochs: up to 128 epoch reads per request) and
//! `GET /v1/validators/chain?from=1&limit=16` (a proof bundle per validator-set change), as
//! fast as the node answers, for the attack's whole time, after a round of malformed chain
//! queries that must be refused `400 BAD_QUERY`.
//!
//! Most addresses send through an ordinary HTTP client, each within the per-address limit
//! (`address_requests_per_s`, 2,000 a second by default): they must keep getting well-formed
//! answers. One address pipelines its requests over many connections, more than the limit
//! lets through: it must be answered `429 RATE_LIMITED`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use ebl_client::ebl_api::{EpochChainResponse, ValidatorsResponse};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{self, attacker_http, connect_from, label, AttackCtx, Plan, Tally};

/// The validator attacked: the bank's.
const TARGET: usize = 1;
/// How long the flood lasts (the harness's plan).
const DURATION: Duration = Duration::from_secs(20);
/// Requests in flight at once through the HTTP client, spread over [`ADDRESSES`].
const WORKERS: usize = 16;
/// Addresses the HTTP client sends from (attacker addresses 1 to 15).
const ADDRESSES: usize = 15;
/// The address that pipelines (attacker address 0), and its connections.
const HOT: usize = 0;
const HOT_CONNECTIONS: usize = 16;
/// Requests one pipelined connection sends (in one write) before it closes.
const PIPELINE: usize = 64;
/// The bytes read back from one pipelined connection, at most.
const PIPELINE_ANSWER_MAX: u64 = 4 << 20;
/// The address the malformed queries come from.
const PROBER: usize = ADDRESSES + 1;
/// Timeout of one request, or of one pipelined connection's answers.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Requests (or pipelined connections) one worker sends, at most.
const ROUNDS_MAX: usize = 1_000_000;
/// A worker stops after this long even if the harness has not told it to.
const FLOOD_MAX: Duration = Duration::from_secs(120);
/// The attack counts as engaged once the rate limit has answered, or after this long.
const ENGAGED_AFTER: Duration = Duration::from_secs(5);
/// The flooded routes: a label for the tally, and the path.
const ROUTES: [(&str, &str); 2] =
    [("validators", "/v1/validators"), ("chain", "/v1/validators/chain?from=1&limit=16")];
/// Chain queries the node must refuse `400 BAD_QUERY`, each asked once before the flood.
const MALFORMED: [&str; 6] = [
    "from=0",
    "limit=0",
    "limit=17",
    // One past u64::MAX: not a number the query holds (u64::MAX itself is a well-formed epoch
    // past the newest: `200` with no links, checked below).
    "from=18446744073709551616",
    "limit=abc",
    "from=1&limit=16&depth=9",
];

#[test]
fn anonymous_floods_of_the_validator_set_routes_leave_the_validators_committing() {
    harness::run(
        "validators-flood",
        Plan { attacked: &[TARGET], probe_node: TARGET, duration: DURATION },
        |_| Ok(()),
        flood,
    );
}

/// Asks each malformed chain query once and checks it is refused `400 BAD_QUERY`.
async fn malformed(url: &str) -> Result<()> {
    let http = attacker_http(PROBER)?;
    for query in MALFORMED {
        let sent =
            http.get(format!("{url}/v1/validators/chain?{query}")).timeout(REQUEST_TIMEOUT).send().await;
        let outcome = label(sent).await;
        ensure!(outcome == "400 BAD_QUERY", "chain?{query} answered {outcome}, not 400 BAD_QUERY");
    }
    let past: EpochChainResponse = http
        .get(format!("{url}/v1/validators/chain?from={}", u64::MAX))
        .timeout(REQUEST_TIMEOUT)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await
        .context("chain?from=u64::MAX")?;
    ensure!(past.links.is_empty(), "chain?from=u64::MAX served {} links", past.links.len());
    Ok(())
}

/// The label of each answer in `answers` (HTTP/1.1 answers back to back, in request order):
/// its status, and the `code` of an error body.
fn pipelined_labels(answers: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(answers);
    text.split("HTTP/1.1 ")
        .skip(1)
        .map(|answer| {
            let status = answer.get(..3).unwrap_or("?");
            match answer.split_once("\"code\":\"").and_then(|(_, rest)| rest.split_once('"')) {
                Some((code, _)) if status != "200" => format!("{status} {code}"),
                _ => status.to_string(),
            }
        })
        .collect()
}

/// One pipelined connection from the hot address: [`PIPELINE`] requests in one write, the last
/// closing the connection; the answers tallied.
async fn pipeline(port: u16, tally: &Tally, server_errors: &AtomicU64) -> std::io::Result<()> {
    let mut stream = connect_from(HOT, port).await?;
    let mut head = String::new();
    for i in 0..PIPELINE {
        let close = if i + 1 == PIPELINE { "Connection: close\r\n" } else { "" };
        head.push_str(&format!("GET {} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{close}\r\n", ROUTES[i % 2].1));
    }
    stream.write_all(head.as_bytes()).await?;
    let mut answers = Vec::new();
    let mut limited = stream.take(PIPELINE_ANSWER_MAX);
    let read = limited.read_to_end(&mut answers);
    let complete = matches!(tokio::time::timeout(REQUEST_TIMEOUT, read).await, Ok(Ok(_)));
    let labels = pipelined_labels(&answers);
    for (i, outcome) in labels.iter().enumerate() {
        if outcome.starts_with('5') {
            server_errors.fetch_add(1, Ordering::SeqCst);
        }
        tally.add(format!("hot {} {outcome}", ROUTES[i % 2].0));
    }
    if labels.len() < PIPELINE {
        let why = if complete { "unanswered" } else { "unanswered (timeout)" };
        tally.add_n(format!("hot {why}"), (PIPELINE - labels.len()) as u64);
    }
    Ok(())
}

async fn flood(ctx: AttackCtx, (): ()) -> Result<String> {
    let url = ctx.target.urls[TARGET].clone();
    let port = ctx.target.ports[TARGET];
    malformed(&url).await.context("the malformed queries")?;

    let tally = Tally::default();
    let server_errors = Arc::new(AtomicU64::new(0));
    // The first 200 answer of each route to the HTTP client, parsed once the flood is over.
    let samples: Arc<[OnceLock<Vec<u8>>; 2]> = Arc::new([OnceLock::new(), OnceLock::new()]);
    let limited =
        || tally.count("hot validators 429 RATE_LIMITED") + tally.count("hot chain 429 RATE_LIMITED");
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..WORKERS {
        let http = attacker_http(1 + w % ADDRESSES)?;
        let (tally, samples, server_errors, ctx, url) =
            (tally.clone(), samples.clone(), server_errors.clone(), ctx.clone(), url.clone());
        workers.push(tokio::spawn(async move {
            for round in 0..ROUNDS_MAX {
                if ctx.stopped() || started.elapsed() >= FLOOD_MAX {
                    break;
                }
                let r = (w + round) % ROUTES.len();
                let (name, path) = ROUTES[r];
                let outcome = match http.get(format!("{url}{path}")).timeout(REQUEST_TIMEOUT).send().await {
                    Ok(response) if response.status() == reqwest::StatusCode::OK => {
                        match response.bytes().await {
                            Ok(body) => {
                                if samples[r].get().is_none() {
                                    let _ = samples[r].set(body.to_vec());
                                }
                                "200".to_string()
                            }
                            Err(_) => "200 body lost".to_string(),
                        }
                    }
                    Ok(response) => {
                        if response.status().is_server_error() {
                            server_errors.fetch_add(1, Ordering::SeqCst);
                        }
                        label(Ok(response)).await
                    }
                    Err(e) => label(Err(e)).await,
                };
                tally.add(format!("{name} {outcome}"));
            }
        }));
    }
    for _ in 0..HOT_CONNECTIONS {
        let (tally, server_errors, ctx) = (tally.clone(), server_errors.clone(), ctx.clone());
        workers.push(tokio::spawn(async move {
            for _ in 0..ROUNDS_MAX {
                if ctx.stopped() || started.elapsed() >= FLOOD_MAX {
                    break;
                }
                if let Err(e) = pipeline(port, &tally, &server_errors).await {
                    tally.add(format!("hot connection failed: {}", e.kind()));
                }
            }
        }));
    }
    while !ctx.stopped() && limited() == 0 && started.elapsed() < ENGAGED_AFTER {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ctx.engaged();
    ctx.until_stopped().await;
    for worker in &workers {
        worker.abort();
    }
    let elapsed = started.elapsed().as_secs_f64();
    let summary = format!(
        "{} unsigned requests in {elapsed:.0} s ({:.0}/s), {WORKERS} at a time from {ADDRESSES} addresses and \
         {HOT_CONNECTIONS} connections of {PIPELINE} pipelined requests from one more; {} malformed queries refused \
         400: {}",
        tally.total(),
        tally.total() as f64 / elapsed,
        MALFORMED.len(),
        tally.summary()
    );

    // The defence fired: the address sending more than its share was told to slow down.
    ensure!(limited() > 0, "the per-address rate limit never answered: {summary}");
    ensure!(server_errors.load(Ordering::SeqCst) == 0, "server errors under the flood: {summary}");
    // And the routes kept working under the flood for the addresses within their share.
    let sample = |r: usize| {
        samples[r].get().with_context(|| format!("no 200 from {} under the flood: {summary}", ROUTES[r].1))
    };
    let validators: ValidatorsResponse =
        serde_json::from_slice(sample(0)?).context("a /v1/validators answer under the flood")?;
    ensure!(
        validators.current_epoch == 0
            && validators.epochs.len() == 1
            && validators.epochs[0].validators.len() == harness::ALL.len(),
        "/v1/validators under the flood: current epoch {}, {} epochs, {:?} validators in the first",
        validators.current_epoch,
        validators.epochs.len(),
        validators.epochs.first().map(|e| e.validators.len())
    );
    let chain: EpochChainResponse =
        serde_json::from_slice(sample(1)?).context("a /v1/validators/chain answer under the flood")?;
    // This network's set never changed: epoch 0 (the genesis file's) is the newest, and the
    // chain from epoch 1 has no link, so every flooded chain answer here was cheap. Where the
    // set did change, a link is a proof bundle (a state proof at its approving height, its
    // header and certificate): at most `EPOCH_LINKS_SERVED_MAX` of them per answer, and the
    // answers per address bounded by the rate limit.
    ensure!(
        chain.latest_epoch == 0 && chain.links.is_empty(),
        "/v1/validators/chain under the flood: latest epoch {}, {} links",
        chain.latest_epoch,
        chain.links.len()
    );
    Ok(summary)
}
