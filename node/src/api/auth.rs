//! Who is calling: HTTP Message Signatures (RFC 9421, ed25519) by a registered party key, with a
//! time window and a replay cache, made for this node (the signature covers `@authority`, the
//! `Host` the request was sent to, which must be one of this node's names, `rpc.authorities`);
//! and how often: token buckets per party and per address.
//!
//! The signature scheme itself (signature base, header syntax) is `ebl_api::httpsig`, shared
//! with the SDK; this module adds what needs the node: its clock, its memory of nonces and the
//! party registry.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use ebl_api::httpsig::{self, RequestTarget};
use ebl_ledger::records::KeyStanding;
use ebl_ledger::{PartyId, PartyRecord, Role};

use super::ApiError;
use crate::node::NodeView;

/// Nonces of one party remembered at once: more than a party at its full request rate (100 a
/// second by default) signs in the window (300 s) plus [`CREATED_AHEAD_MAX_S`]. Beyond it that
/// party's signed requests wait for its own oldest nonces to age out; no other party's do.
pub const NONCES_PER_PARTY_MAX: usize = 40_000;
/// Nonces remembered at once, of all parties (about 100 bytes each).
pub const NONCES_MAX: usize = 1_000_000;
/// How far in the future a request signature's `created` may be. Past requests are accepted
/// for the whole window; a future `created` would keep its nonce remembered that much longer.
pub const CREATED_AHEAD_MAX_S: u64 = 30;
/// Callers (parties and addresses) whose request rate is tracked at once.
pub const RATE_KEYS_MAX: usize = 50_000;
/// Most names (`rpc.authorities`) one node may answer to.
pub const AUTHORITIES_MAX: usize = 64;

/// The names this node answers signed requests for: the `@authority` (the `Host`, lower-case)
/// a request signature must cover, so that a signed read made for another node — captured on
/// it, or by its operator — is refused here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnAuthorities {
    /// Any name: the node listens on an unspecified address (`0.0.0.0`, `[::]`) and
    /// `rpc.authorities` is not set, so it cannot know its names. Signatures still cover the
    /// authority, but a read signed for another node is not refused.
    Any,
    /// Only these (lower-case).
    Only(BTreeSet<String>),
}

impl OwnAuthorities {
    /// Exactly `names` (lower-cased); each must pass [`httpsig::check_authority`].
    pub fn only<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Result<Self, String> {
        let mut set = BTreeSet::new();
        for name in names {
            let name = name.as_ref().to_ascii_lowercase();
            httpsig::check_authority(&name).map_err(|e| format!("{name:?}: {e}"))?;
            set.insert(name);
        }
        if set.is_empty() {
            return Err("no name".into());
        }
        if set.len() > AUTHORITIES_MAX {
            return Err(format!("more than {AUTHORITIES_MAX} names"));
        }
        Ok(OwnAuthorities::Only(set))
    }

    /// The names of a node listening on `addr`: for a specific address `ip:port` (IPv6 in
    /// brackets), plus `localhost:port` on a loopback address, each also without the port when
    /// it is 80 or 443 (the `Host` of a URL on its scheme's default port); for an unspecified
    /// address, [`OwnAuthorities::Any`].
    pub fn of_listen_addr(addr: SocketAddr) -> Self {
        let ip = addr.ip();
        if ip.is_unspecified() {
            return OwnAuthorities::Any;
        }
        let host = match ip {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => format!("[{v6}]"),
        };
        let mut hosts = vec![host];
        if ip.is_loopback() {
            hosts.push("localhost".into());
        }
        let port = addr.port();
        let mut names = BTreeSet::new();
        for host in hosts {
            if port == 80 || port == 443 {
                names.insert(host.clone());
            }
            names.insert(format!("{host}:{port}"));
        }
        OwnAuthorities::Only(names)
    }

    /// The names from `rpc.authorities`, or when that is empty from `rpc.listen_addr` (an
    /// `ip:port`, or a `host:port` that is then the one name).
    pub fn from_config(authorities: &[String], listen_addr: &str) -> Result<Self, String> {
        if !authorities.is_empty() {
            return Self::only(authorities).map_err(|e| format!("rpc.authorities: {e}"));
        }
        match listen_addr.parse::<SocketAddr>() {
            Ok(addr) => Ok(Self::of_listen_addr(addr)),
            Err(_) => Self::only([listen_addr]).map_err(|e| {
                format!(
                    "rpc.listen_addr {listen_addr:?} is no ip:port and no name a request may be sent \
                     to ({e}): set rpc.authorities"
                )
            }),
        }
    }

    /// Whether `authority` (lower-case) is one of this node's names.
    pub fn contains(&self, authority: &str) -> bool {
        match self {
            OwnAuthorities::Any => true,
            OwnAuthorities::Only(names) => names.contains(authority),
        }
    }

    /// The names, for messages (`*` for any).
    fn describe(&self) -> String {
        match self {
            OwnAuthorities::Any => "*".into(),
            OwnAuthorities::Only(names) => {
                names.iter().map(|n| format!("{n:?}")).collect::<Vec<_>>().join(", ")
            }
        }
    }
}

/// The authority a request was sent to, lower-case: that of the request target when it has one
/// (HTTP/2's `:authority`, an HTTP/1.1 absolute-form target, which RFC 9112 §3.2.2 puts before
/// `Host`), else the one `Host` header. `400 BAD_HOST` if there is none, more than one `Host`,
/// or one that is not a plain `host[:port]`.
pub fn request_authority(uri: &Uri, headers: &HeaderMap) -> Result<String, ApiError> {
    let bad = |message: String| ApiError::new(StatusCode::BAD_REQUEST, "BAD_HOST", message);
    let authority = match uri.authority() {
        // No user info: it is not part of `Host` (RFC 9110 §7.2).
        Some(a) => a.as_str().rsplit_once('@').map_or(a.as_str(), |(_, host_port)| host_port).to_owned(),
        None => {
            let mut hosts = headers.get_all(header::HOST).iter();
            let (Some(host), None) = (hosts.next(), hosts.next()) else {
                return Err(bad(
                    "a signed request needs exactly one Host header: the node's host[:port], which the \
                     signature covers as @authority"
                        .into(),
                ));
            };
            let host = host.to_str().map_err(|_| bad("the Host header is not visible ASCII".into()))?;
            host.to_owned()
        }
    };
    let authority = authority.to_ascii_lowercase();
    httpsig::check_authority(&authority).map_err(|e| bad(e.to_string()))?;
    Ok(authority)
}

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

/// The node's memory of request nonces inside the signature window, per party: one party that
/// signs many requests fills only its own share.
#[derive(Debug, Default)]
pub struct ReplayCache {
    /// Per party: (created, nonce), oldest first.
    by_party: BTreeMap<PartyId, BTreeSet<(u64, String)>>,
    /// Entries in all.
    len: usize,
}

/// Why a nonce was not recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceRefusal {
    /// Seen already: a replayed request.
    Replayed,
    /// The party has [`NONCES_PER_PARTY_MAX`] nonces in the window.
    PartyFull,
    /// The node has [`NONCES_MAX`] nonces in the window.
    Full,
}

impl ReplayCache {
    /// Records a nonce of `party`, forgetting those older than the window first.
    fn insert(
        &mut self,
        now_s: u64,
        window_s: u64,
        created_s: u64,
        party: PartyId,
        nonce: &str,
    ) -> Result<(), NonceRefusal> {
        let horizon = now_s.saturating_sub(window_s);
        if self.len >= NONCES_MAX {
            self.forget_before(horizon);
        }
        let seen = self.by_party.entry(party).or_default();
        while seen.first().is_some_and(|first| first.0 < horizon) {
            seen.pop_first();
            self.len = self.len.saturating_sub(1);
        }
        if seen.contains(&(created_s, nonce.to_owned())) {
            return Err(NonceRefusal::Replayed);
        }
        if seen.len() >= NONCES_PER_PARTY_MAX {
            return Err(NonceRefusal::PartyFull);
        }
        if self.len >= NONCES_MAX {
            return Err(NonceRefusal::Full);
        }
        seen.insert((created_s, nonce.to_owned()));
        self.len += 1;
        Ok(())
    }

    /// Forgets every party's nonces older than `horizon` (a walk of every party: only when
    /// the cache is full).
    fn forget_before(&mut self, horizon: u64) {
        let mut len = 0;
        self.by_party.retain(|_, seen| {
            while seen.first().is_some_and(|first| first.0 < horizon) {
                seen.pop_first();
            }
            len += seen.len();
            !seen.is_empty()
        });
        self.len = len;
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
        self.allow_n(key, 1, now)
    }

    /// Takes `n` tokens for `key` at `now` (a batch of `n` transactions): allowed while the
    /// bucket holds a token, which may leave it in debt, so a batch larger than the burst is
    /// served once and the caller then waits until the bucket has refilled. False (nothing
    /// taken) if the bucket is empty.
    pub fn allow_n(&mut self, key: RateKey, n: u32, now: Instant) -> bool {
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
            bucket.tokens -= f64::from(n.max(1));
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
    /// The authorities signatures must be made for.
    pub authorities: OwnAuthorities,
    pub replay: Mutex<ReplayCache>,
    pub parties: Mutex<RateLimiter>,
    pub addresses: Mutex<RateLimiter>,
}

impl Auth {
    pub fn new(
        window_s: u64,
        authorities: OwnAuthorities,
        party_requests_per_s: u32,
        address_requests_per_s: u32,
    ) -> Self {
        Auth {
            window_s,
            authorities,
            replay: Mutex::new(ReplayCache::default()),
            parties: Mutex::new(RateLimiter::new(party_requests_per_s)),
            addresses: Mutex::new(RateLimiter::new(address_requests_per_s)),
        }
    }

    /// Counts a request of `key`; `429 RATE_LIMITED` when over the limit.
    pub fn rate(&self, key: RateKey) -> Result<(), ApiError> {
        self.rate_n(key, 1)
    }

    /// Counts `n` units (transactions) of `key`; `429 RATE_LIMITED` when over the limit.
    pub fn rate_n(&self, key: RateKey, n: u32) -> Result<(), ApiError> {
        let limiter = match key {
            RateKey::Party(_) => &self.parties,
            RateKey::Address(_) => &self.addresses,
        };
        #[allow(clippy::disallowed_methods)] // the API's clock, outside the state machine
        let now = Instant::now();
        let allowed = limiter.lock().unwrap_or_else(|p| p.into_inner()).allow_n(key, n, now);
        if allowed {
            Ok(())
        } else {
            Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", "too many requests; slow down"))
        }
    }

    /// Checks the request's signature and returns the registered party that made it: made for
    /// this node (the authority the request was sent to, one of [`Auth::authorities`]), this
    /// chain, within the window, not seen before, by an active registered party.
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
        let authority = request_authority(uri, headers)?;
        let target = RequestTarget {
            method: method.as_str(),
            authority: &authority,
            path: uri.path(),
            query: uri.query(),
            content_digest: digest,
        };
        let params = httpsig::verify(&target, input, signature)
            .map_err(|e| unauthorized("BAD_REQUEST_SIGNATURE", e.to_string()))?;
        // The signature is good for the authority it was sent to: it must be this node's.
        if !self.authorities.contains(&authority) {
            return Err(unauthorized(
                "WRONG_AUTHORITY",
                format!(
                    "the request was signed for {authority:?}, which is not this node: it answers signed \
                     requests for {} only (rpc.authorities); sign for the node you send to",
                    self.authorities.describe()
                ),
            ));
        }
        if params.tag != node.chain_id() {
            return Err(unauthorized(
                "WRONG_CHAIN",
                format!("the request was signed for chain {:?}, this is {:?}", params.tag, node.chain_id()),
            ));
        }
        let now_s = unix_now_s();
        if params.created_s > now_s.saturating_add(CREATED_AHEAD_MAX_S) {
            return Err(unauthorized(
                "SIGNATURE_EXPIRED",
                format!(
                    "the signature was created at {}, more than {CREATED_AHEAD_MAX_S} s after this node's clock ({now_s})",
                    params.created_s
                ),
            ));
        }
        if params.created_s.abs_diff(now_s) > self.window_s {
            return Err(unauthorized(
                "SIGNATURE_EXPIRED",
                format!(
                    "the signature was created at {} and this node's clock reads {now_s}: more than {} s apart",
                    params.created_s, self.window_s
                ),
            ));
        }
        // The key resolves to the party it signs for (ADR 0019: a party that rotated its key
        // signs with the new one; the old one signs nothing more).
        let key = params.keyid;
        let record: PartyRecord = match node.key_standing(&key) {
            Err(e) => {
                return Err(ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL", e.to_string()));
            }
            Ok(KeyStanding::Signs(record)) => record,
            Ok(KeyStanding::Retired(party)) => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "KEY_ROTATED",
                    format!("{key} no longer signs for {party}: the party rotated to another key"),
                ));
            }
            Ok(KeyStanding::Unknown) => {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "UNKNOWN_PARTY",
                    format!("{key} is not a registered party's key"),
                ));
            }
        };
        let party = record.party;
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
        match fresh {
            Ok(()) => Ok(Caller { party, record }),
            Err(NonceRefusal::Replayed) => Err(unauthorized(
                "REPLAYED_REQUEST",
                "this request signature (its nonce) was used already".into(),
            )),
            Err(NonceRefusal::PartyFull) => Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "RATE_LIMITED",
                format!("this party has {NONCES_PER_PARTY_MAX} signed requests in the signature window; slow down"),
            )),
            Err(NonceRefusal::Full) => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "BUSY",
                "this node remembers too many signed requests; try again shortly".to_string(),
            )),
        }
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
    fn the_request_authority_is_the_targets_else_the_one_host_lower_case() {
        let headers = |hosts: &[&str]| {
            let mut map = HeaderMap::new();
            for host in hosts {
                map.append(header::HOST, host.parse().expect("header value"));
            }
            map
        };
        let path: Uri = "/v1/parties".parse().expect("uri");
        let absolute: Uri = "http://user:pw@Node1.Example:8443/v1/parties".parse().expect("uri");
        let code = |r: Result<String, ApiError>| r.map_err(|e| e.code);
        assert_eq!(
            code(request_authority(&path, &headers(&["Node1.Example:8443"]))),
            Ok("node1.example:8443".into())
        );
        // HTTP/2's :authority or an absolute-form target wins over Host (RFC 9112 §3.2.2).
        assert_eq!(
            code(request_authority(&absolute, &headers(&["other:1"]))),
            Ok("node1.example:8443".into())
        );
        assert_eq!(code(request_authority(&absolute, &headers(&[]))), Ok("node1.example:8443".into()));
        for hosts in [&[][..], &["a:1", "b:1"][..], &[""][..], &["a b"][..], &["a\"b"][..]] {
            assert_eq!(code(request_authority(&path, &headers(hosts))), Err("BAD_HOST"), "{hosts:?}");
        }
    }

    #[test]
    fn a_nonce_is_accepted_once_within_the_window() {
        let mut cache = ReplayCache::default();
        let party = PartyId([1; 32]);
        assert_eq!(cache.insert(1_000, 300, 1_000, party, "n1"), Ok(()));
        assert_eq!(cache.insert(1_001, 300, 1_000, party, "n1"), Err(NonceRefusal::Replayed));
        assert_eq!(cache.insert(1_001, 300, 1_000, PartyId([2; 32]), "n1"), Ok(()));
        // Old entries leave the cache as the window moves on.
        assert_eq!(cache.insert(2_000, 300, 2_000, party, "n2"), Ok(()));
        assert_eq!(cache.by_party.get(&party).map(BTreeSet::len), Some(1));
    }

    #[test]
    fn one_party_filling_its_nonces_does_not_lock_out_another() {
        let mut cache = ReplayCache::default();
        let (greedy, other) = (PartyId([1; 32]), PartyId([2; 32]));
        for i in 0..NONCES_PER_PARTY_MAX {
            assert_eq!(cache.insert(1_000, 300, 1_000 + 30, greedy, &i.to_string()), Ok(()));
        }
        assert_eq!(cache.insert(1_000, 300, 1_000, greedy, "more"), Err(NonceRefusal::PartyFull));
        assert_eq!(cache.insert(1_000, 300, 1_000, other, "mine"), Ok(()), "another party is served");
        // The greedy party's nonces age out with the window, and it is served again.
        assert_eq!(cache.insert(1_331, 300, 1_331, greedy, "later"), Ok(()));
        assert_eq!(cache.len, 2);
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

    #[test]
    fn a_batch_is_charged_per_transaction_and_leaves_the_bucket_in_debt() {
        let mut limiter = RateLimiter::new(100);
        let key = RateKey::Address(IpAddr::from([127, 0, 0, 1]));
        #[allow(clippy::disallowed_methods)]
        let start = Instant::now();
        // A batch of 1,000 is larger than the burst (200): served once, then the bucket owes.
        assert!(limiter.allow_n(key, 1_000, start));
        assert!(!limiter.allow(key, start + Duration::from_secs(5)), "800 owed: 8 s to pay back");
        assert!(limiter.allow(key, start + Duration::from_secs(9)));
        // Another caller is not affected.
        assert!(limiter.allow_n(RateKey::Address(IpAddr::from([127, 0, 0, 2])), 10, start));
    }
}
