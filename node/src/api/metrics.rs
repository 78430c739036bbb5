//! `/metrics` in the Prometheus text exposition format (version 0.0.4): chain height, mempool,
//! consensus counters and the REST layer's own request counts.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ApiState;

/// Request counters by status class.
#[derive(Debug, Default)]
pub struct Metrics {
    responses: [AtomicU64; 5],
    rejected_signatures: AtomicU64,
    rate_limited: AtomicU64,
}

impl Metrics {
    fn record(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        if let Some(counter) = self.responses.get(class) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        match status {
            401 => self.rejected_signatures.fetch_add(1, Ordering::Relaxed),
            429 => self.rate_limited.fetch_add(1, Ordering::Relaxed),
            _ => 0,
        };
    }
}

/// Counts every response.
pub async fn count(State(state): State<ApiState>, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    state.metrics.record(response.status().as_u16());
    response
}

fn metric(out: &mut String, name: &str, kind: &str, help: &str, value: u64) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
}

/// The node's metrics, Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "node",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain", body = String)))]
pub async fn metrics(State(state): State<ApiState>) -> impl IntoResponse {
    let node = &state.node;
    let tip = node.tip();
    let stats = node.stats();
    let mut out = String::new();
    metric(&mut out, "ebl_height", "gauge", "Height of the last committed block.", tip.height);
    metric(
        &mut out,
        "ebl_block_time_ms",
        "gauge",
        "Time of the last committed block (ms since the epoch).",
        tip.time_ms,
    );
    metric(
        &mut out,
        "ebl_mempool_txs",
        "gauge",
        "Transactions waiting in the mempool.",
        node.mempool_len() as u64,
    );
    metric(&mut out, "ebl_blocks_decided_total", "counter", "Blocks this node committed.", stats.decided);
    metric(&mut out, "ebl_blocks_built_total", "counter", "Blocks this node proposed.", stats.blocks_built);
    metric(
        &mut out,
        "ebl_blocks_validated_total",
        "counter",
        "Proposals this node re-executed.",
        stats.blocks_validated,
    );
    metric(
        &mut out,
        "ebl_proposals_refused_total",
        "counter",
        "Proposals this node refused.",
        stats.proposals_refused,
    );
    metric(
        &mut out,
        "ebl_blocks_synced_total",
        "counter",
        "Blocks committed from sync.",
        stats.synced_blocks,
    );
    metric(
        &mut out,
        "ebl_txs_committed_total",
        "counter",
        "Transactions committed (since start).",
        stats.txs_committed,
    );
    metric(
        &mut out,
        "ebl_tx_batches_received_total",
        "counter",
        "Gossiped transaction batches received.",
        stats.tx_batches_received,
    );
    metric(
        &mut out,
        "ebl_signatures_reused_total",
        "counter",
        "Signatures verified once in the mempool and reused.",
        stats.signatures_reused,
    );
    metric(
        &mut out,
        "ebl_event_streams",
        "gauge",
        "Event streams open on this node.",
        state.streams.open() as u64,
    );
    metric(
        &mut out,
        "ebl_peers_dropped_total",
        "counter",
        "Times a peer's transaction batches were refused for a while (an oversized batch or a bad signature).",
        stats.peers_dropped,
    );
    metric(
        &mut out,
        "ebl_peer_batches_refused_total",
        "counter",
        "Peer transaction batches refused (a dropped peer, or a full verify pool).",
        stats.peer_batches_refused,
    );
    metric(
        &mut out,
        "ebl_proposal_streams_refused_total",
        "counter",
        "Proposal streams dropped unexecuted (not from the round's proposer, a third block for a round, over the early-block bounds).",
        stats.streams_refused,
    );
    metric(
        &mut out,
        "ebl_equivocations_total",
        "counter",
        "Second blocks streamed by one proposer for one round (each logged with the validator).",
        stats.equivocations,
    );
    metric(
        &mut out,
        "ebl_misbehaviour_evidence_total",
        "counter",
        "Heights at which consensus reported double votes or proposals.",
        stats.evidence_reported,
    );
    metric(
        &mut out,
        "ebl_sync_requests_refused_total",
        "counter",
        "Sync requests answered with nothing because the sync server was full.",
        stats.sync_requests_refused,
    );
    metric(
        &mut out,
        "ebl_txs_expired_total",
        "counter",
        "Mempool transactions dropped after waiting on a nonce gap too long.",
        stats.txs_expired,
    );
    let _ = writeln!(out, "# HELP ebl_http_responses_total REST responses by status class.\n# TYPE ebl_http_responses_total counter");
    for (i, counter) in state.metrics.responses.iter().enumerate() {
        let _ = writeln!(
            out,
            "ebl_http_responses_total{{class=\"{}xx\"}} {}",
            i + 1,
            counter.load(Ordering::Relaxed)
        );
    }
    metric(
        &mut out,
        "ebl_http_unauthorized_total",
        "counter",
        "Requests refused for their signature.",
        state.metrics.rejected_signatures.load(Ordering::Relaxed),
    );
    metric(
        &mut out,
        "ebl_http_rate_limited_total",
        "counter",
        "Requests refused by the rate limit.",
        state.metrics.rate_limited.load(Ordering::Relaxed),
    );
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
