//! Who is calling: HTTP Message Signatures (RFC 9421, ed25519) by a registered party key, with a
//! time window and a replay cache; and how often: token buckets per party and per address.
//!
//! The signature scheme itself (signature base, header syntax) is `ebl_ledger::httpsig`, shared
//! with the SDK; this module adds what needs the node: its clock, its memory of nonces and the
//! party registry.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use ebl_ledger::httpsig::{self, RequestTarget};
use ebl_ledger::{PartyId, PartyRecord, Role, StateKey};

use super::ApiError;
use crate::node::NodeView;

/// Nonces remembered at once; beyond this, signed requests wait for the window to move on.
pub const NONCES_MAX: usize = 200_000;
/// Callers (parties and addresses) whose request rate is tracked at once.
pub const RATE_KEYS_MAX: usize = 50_000;

/// A caller whose request signature checked out: a registered, active party.
#[derive(Debug, Clone)]
pub struct Caller {
    pub party: PartyId,
    pub record: PartyRecord,
}

impl Caller {
    /// Customs and the registrar may read every BL (DESIGN §7).
    pub fn reads_everything(&self) -> bool {
        self.record.has_role(Role::Customs) || self.record.has_role(Role::Registrar)
    }
}

/// The node's memory of request nonces inside the signature window.
#[derive(Debug, Default)]
pub struct ReplayCache {
    /// (created, party, nonce), oldest first.
    seen: BTreeSet<(u64, PartyId, String)>,
}

impl ReplayCache {
    /// Records a nonce; false if it was seen already (a replay) or the cache is full.
    fn insert(&mut self, now_s: u64, window_s: u64, created_s: u64, party: PartyId, nonce: &str) -> bool {
        let horizon = now_s.saturating_sub(window_s);
        while let Some(first) = self.seen.first() {
            if first.0 >= horizon {
                break;
            }
            self.seen.pop_first();
        }
        if self.seen.len() >= NONCES_MAX {
            return false;
        }
        self.seen.insert((created_s, party, nonce.to_owned()))
    }
}

/// The key a request is counted under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RateKey {
    Party(PartyId),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Token buckets: `per_s` requests a second, bursts of twice that. `per_s` 0 = no limit.
#[derive(Debug)]
pub struct RateLimiter {
    per_s: u32,
    buckets: BTreeMap<RateKey, Bucket>,
}

impl RateLimiter {
    pub fn new(per_s: u32) -> Self {
        RateLimiter { per_s, buckets: BTreeMap::new() }
    }

    /// Takes one token for `key` at `now`; false if the bucket is empty.
    pub fn allow(&mut self, key: RateKey, now: Instant) -> bool {
        if self.per_s == 0 {
            return true;
        }
        let burst = f64::from(self.per_s) * 2.0;
        if self.buckets.len() >= RATE_KEYS_MAX && !self.buckets.contains_key(&key) {
            // Forget callers that have been quiet long enough to be full again.
            let refill = Duration::from_secs_f64(burst / f64::from(self.per_s));
            self.buckets.retain(|_, b| now.saturating_duration_since(b.last) < refill);
            if self.buckets.len() >= RATE_KEYS_MAX {
                return false;
            }
        }
        let bucket = self.buckets.entry(key).or_insert(Bucket { tokens: burst, last: now });
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * f64::from(self.per_s)).min(burst);
        bucket.last = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Authentication settings and state, shared by every request.
#[derive(Debug)]
pub struct Auth {
    pub window_s: u64,
    pub replay: Mutex<ReplayCache>,
    pub parties: Mutex<RateLimiter>,
    pub addresses: Mutex<RateLimiter>,
}

impl Auth {
    pub fn new(window_s: u64, party_requests_per_s: u32, address_requests_per_s: u32) -> Self {
        Auth {
            window_s,
            replay: Mutex::new(ReplayCache::default()),
            parties: Mutex::new(RateLimiter::new(party_requests_per_s)),
            addresses: Mutex::new(RateLimiter::new(address_requests_per_s)),
        }
    }

    /// Counts a request of `key`; `429 RATE_LIMITED` when over the limit.
    pub fn rate(&self, key: RateKey) -> Result<(), ApiError> {
        let limiter = match key {
            RateKey::Party(_) => &self.parties,
            RateKey::Address(_) => &self.addresses,
        };
        #[allow(clippy::disallowed_methods)] // the API's clock, outside the state machine
        let now = Instant::now();
        let allowed = limiter.lock().unwrap_or_else(|p| p.into_inner()).allow(key, now);
        if allowed {
            Ok(())
        } else {
            Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "too many requests; slow down"))
        }
    }

    /// Checks the request's signature and returns the registered party that made it.
    pub fn authenticate(
        &self,
        node: &NodeView,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
        body: Option<&[u8]>,
    ) -> Result<Caller, ApiError> {
        let unauthorized =
            |code: &'static str, message: String| ApiError::new(StatusCode::UNAUTHORIZED, code, message);
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let (Some(input), Some(signature)) = (header("signature-input"), header("signature")) else {
            return Err(unauthorized(
                "UNSIGNED",
                "this route needs an RFC 9421 request signature by a registered party key \
                 (Signature-Input and Signature headers; the ebl SDK and CLI add them)"
                    .into(),
            ));
        };
        let body = body.filter(|b| !b.is_empty());
        let digest = match body {
            Some(bytes) => {
                let Some(digest) = header("content-digest") else {
                    return Err(unauthorized(
                        "BAD_REQUEST_SIGNATURE",
                        "a request with a body needs Content-Digest".into(),
                    ));
                };
                if !httpsig::digest_matches(digest, bytes) {
                    return Err(unauthorized(
                        "BAD_REQUEST_SIGNATURE",
                        "Content-Digest does not match the body".into(),
                    ));
                }
                Some(digest)
            }
            None => None,
        };
        let target = RequestTarget {
            method: method.as_str(),
            path: uri.path(),
            query: uri.query(),
            content_digest: digest,
        };
        let params = httpsig::verify(&target, input, signature)
            .map_err(|e| unauthorized("BAD_REQUEST_SIGNATURE", e.to_string()))?;
        if params.tag != node.chain_id() {
            return Err(unauthorized(
                "WRONG_CHAIN",
                format!("the request was signed for chain {:?}, this is {:?}", params.tag, node.chain_id()),
            ));
        }
        let now_s = unix_now_s();
        if params.created_s.abs_diff(now_s) > self.window_s {
            return Err(unauthorized(
                "SIGNATURE_EXPIRED",
                format!(
                    "the signature was created at {} and this node's clock reads {now_s}: more than {} s apart",
                    params.created_s, self.window_s
                ),
            ));
        }
        let party = params.keyid;
        let record: PartyRecord = node.state(&StateKey::Party(party)).ok_or_else(|| {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "UNKNOWN_PARTY",
                format!("{party} is not a registered party"),
            )
        })?;
        if !record.is_active() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "UNKNOWN_PARTY",
                format!("{party} is suspended"),
            ));
        }
        self.rate(RateKey::Party(party))?;
        let fresh = self.replay.lock().unwrap_or_else(|p| p.into_inner()).insert(
            now_s,
            self.window_s,
            params.created_s,
            party,
            &params.nonce,
        );
        if !fresh {
            return Err(unauthorized(
                "REPLAYED_REQUEST",
                "this request signature (its nonce) was used already".into(),
            ));
        }
        Ok(Caller { party, record })
    }
}

/// Seconds since the Unix epoch by this node's clock.
fn unix_now_s() -> u64 {
    #[allow(clippy::disallowed_methods)] // the API's clock, outside the state machine
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_accepted_once_within_the_window() {
        let mut cache = ReplayCache::default();
        let party = PartyId([1; 32]);
        assert!(cache.insert(1_000, 300, 1_000, party, "n1"));
        assert!(!cache.insert(1_001, 300, 1_000, party, "n1"));
        assert!(cache.insert(1_001, 300, 1_000, PartyId([2; 32]), "n1"));
        // Old entries leave the cache as the window moves on.
        assert!(cache.insert(2_000, 300, 2_000, party, "n2"));
        assert_eq!(cache.seen.len(), 1);
    }

    #[test]
    fn a_bucket_allows_a_burst_then_the_rate() {
        let mut limiter = RateLimiter::new(5);
        let key = RateKey::Party(PartyId([1; 32]));
        #[allow(clippy::disallowed_methods)]
        let start = Instant::now();
        let allowed = (0..20).filter(|_| limiter.allow(key, start)).count();
        assert_eq!(allowed, 10, "a burst of twice the rate");
        assert!(!limiter.allow(key, start));
        assert!(limiter.allow(key, start + Duration::from_millis(200)), "one token after 1/5 s");
        assert!(RateLimiter::new(0).allow(key, start), "0 means no limit");
    }
}
