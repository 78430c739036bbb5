//! The per-party event stream (Server-Sent Events): what happened to my BLs and containers,
//! block by block, from the committed chain. A stream follows heights, not the commit
//! broadcast itself, so a slow reader misses nothing: when it falls behind it reads the blocks
//! it missed from storage.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use ebl_api::{EventsQuery, LedgerEvent, TxOutcome};
use ebl_ledger::action::EventKind;
use ebl_ledger::PartyId;
use futures::stream::{self, Stream};
use tokio::sync::broadcast;

use super::auth::Caller;
use super::bls::{may_read_bl, release_party};
use super::{ApiError, ApiState, Signed};
use crate::node::NodeView;

/// Blocks a stream replays before it answers live (a reader asking for older history pages
/// with `fromHeight`).
pub const REPLAY_BLOCKS_MAX: u64 = 100_000;

/// Event streams one party may hold open on a node at once.
pub const STREAMS_PER_PARTY_MAX: usize = 4;
/// Event streams a node serves at once, of all parties.
pub const STREAMS_MAX: usize = 256;
/// How long one stream lives; then it ends and the reader reconnects with `fromHeight` (the
/// `id` of the last event it saw tells it where), so no stream holds a slot for ever.
pub const STREAM_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// The open event streams, per party and in all.
#[derive(Debug, Default)]
pub struct StreamSlots(std::sync::Mutex<std::collections::BTreeMap<PartyId, usize>>);

/// One open stream's slot, given back when the stream ends (or its reader goes away).
#[derive(Debug)]
struct StreamSlot {
    slots: std::sync::Arc<StreamSlots>,
    party: PartyId,
}

impl StreamSlots {
    fn take(slots: &std::sync::Arc<StreamSlots>, party: PartyId) -> Result<StreamSlot, ApiError> {
        let mut open = slots.0.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = open.values().sum();
        let mine = open.get(&party).copied().unwrap_or(0);
        if mine >= STREAMS_PER_PARTY_MAX {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "TOO_MANY_STREAMS",
                format!("this party already has {STREAMS_PER_PARTY_MAX} event streams open on this node"),
            ));
        }
        if total >= STREAMS_MAX {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "TOO_MANY_STREAMS",
                format!("this node serves {STREAMS_MAX} event streams already; try another node or later"),
            ));
        }
        open.insert(party, mine + 1);
        Ok(StreamSlot { slots: slots.clone(), party })
    }

    /// Streams open now, in all.
    pub fn open(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).values().sum()
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.slots.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.party) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.party);
            }
        }
    }
}

/// The events of block `height` that `caller` may see: its own transactions (refusals too),
/// and the successful ones on BLs it may read, naming it, or on containers whose release it
/// takes part in (their terminal, right holder, earlier right holders). Filtered from what the
/// commit handed over ([`NodeView::block_events`]): no block is read or decoded per stream
/// while it keeps up, and a BL's readability is one index read.
pub fn events_of_block(node: &NodeView, height: u64, caller: &Caller) -> Vec<LedgerEvent> {
    let Some(block) = node.block_events(height) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for tx in &block.txs {
        let t = &tx.touched;
        let visible = tx.signed_by(&caller.party)
            || (tx.success()
                && (t.parties.contains(&caller.party)
                    || t.bls.iter().any(|bl| may_read_bl(node, *bl, caller))
                    || t.containers.iter().any(|c| release_party(node, c, &caller.party))
                    || (t.bls.is_empty() && caller.reads_everything())));
        if !visible {
            continue;
        }
        out.push(LedgerEvent {
            kind: if tx.success() { tx.kind } else { EventKind::Refused },
            height,
            index: tx.index,
            tx_id: tx.tx_id,
            action: tx.action,
            actor: tx.actor().unwrap_or(caller.party),
            bl_id: t.bls.first().copied(),
            equipment_reference: t.containers.first().map(|c| c.equipment_reference.clone()),
            equipment_references: t.containers.iter().map(|c| c.equipment_reference.clone()).collect(),
            outcome: TxOutcome::from(tx.refused),
        });
    }
    out
}

struct Follow {
    node: NodeView,
    caller: Caller,
    next_height: u64,
    commits: broadcast::Receiver<crate::consensus::CommitEvent>,
    pending: std::collections::VecDeque<LedgerEvent>,
    /// The stream ends here ([`STREAM_LIFETIME`]).
    until: tokio::time::Instant,
    _slot: StreamSlot,
}

/// Server-Sent Events for the signing party: one message per event, `event:` the kind, `id:`
/// `height.index`, `data:` the JSON [`LedgerEvent`]. At most [`STREAMS_PER_PARTY_MAX`] per
/// party and [`STREAMS_MAX`] per node (`429`/`503 TOO_MANY_STREAMS`); each ends after
/// [`STREAM_LIFETIME`].
#[utoipa::path(get, path = "/v1/events", tag = "events", params(EventsQuery),
    responses((status = 200, description = "text/event-stream of LedgerEvent", content_type = "text/event-stream", body = LedgerEvent),
              (status = 401, body = super::ErrorBody), (status = 429, body = super::ErrorBody), (status = 503, body = super::ErrorBody)))]
pub async fn events(
    State(state): State<ApiState>,
    Signed(caller): Signed,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let Query(query) =
        query.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "BAD_QUERY", e.body_text()))?;
    let slot = StreamSlots::take(&state.streams, caller.party)?;
    let commits = state.node.subscribe();
    let tip = state.node.tip().height;
    let next_height = match query.from_height {
        Some(h) => h.max(1).max(tip.saturating_sub(REPLAY_BLOCKS_MAX)),
        None => tip + 1,
    };
    let until = tokio::time::Instant::now() + STREAM_LIFETIME;
    let follow = Follow {
        node: state.node.clone(),
        caller,
        next_height,
        commits,
        pending: Default::default(),
        until,
        _slot: slot,
    };
    let stream = stream::unfold(follow, |mut f| async move {
        loop {
            if let Some(event) = f.pending.pop_front() {
                let message = Event::default()
                    .event(event.kind.as_str())
                    .id(format!("{}.{}", event.height, event.index))
                    .json_data(&event)
                    .unwrap_or_else(|_| Event::default().comment("unencodable event"));
                return Some((Ok(message), f));
            }
            if f.next_height <= f.node.tip().height {
                let height = f.next_height;
                f.next_height += 1;
                f.pending.extend(events_of_block(&f.node, height, &f.caller));
                continue;
            }
            match tokio::time::timeout_at(f.until, f.commits.recv()).await {
                Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
                Ok(Err(broadcast::error::RecvError::Closed)) | Err(_) => return None,
            }
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
