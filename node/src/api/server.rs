//! The REST server's front door: connections accepted under a cap (in all and per client
//! address), HTTP/1.1 with a header-read timeout that also ends idle keep-alive connections,
//! and a graceful stop. `axum::serve` has none of these bounds: 2,000 idle TCP connections
//! were held open indefinitely.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;
use tracing::{debug, warn};

/// The bounds of the front door. Units last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Open connections in all; one more is closed as soon as it is accepted.
    pub connections_max: usize,
    /// Open connections from one client address.
    pub address_connections_max: usize,
    /// How long a connection may take to send a request's headers, and how long it may stay
    /// idle between requests, before it is closed.
    pub header_read_timeout: Duration,
    /// How long open requests (event streams) get to finish when the server stops.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            connections_max: 4_096,
            address_connections_max: 256,
            header_read_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Connections open per client address; an address leaves the map with its last connection,
/// so the map holds at most `connections_max` entries.
#[derive(Debug, Default)]
struct PerAddress(Mutex<BTreeMap<IpAddr, usize>>);

/// One accepted connection's places in the two counts; both freed when it is dropped.
struct Admitted {
    _permit: OwnedSemaphorePermit,
    ip: IpAddr,
    per_address: Arc<PerAddress>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.per_address.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

fn admit(
    permits: &Arc<Semaphore>,
    per_address: &Arc<PerAddress>,
    ip: IpAddr,
    address_max: usize,
) -> Option<Admitted> {
    let permit = permits.clone().try_acquire_owned().ok()?;
    let mut open = per_address.0.lock().unwrap_or_else(|p| p.into_inner());
    let n = open.entry(ip).or_insert(0);
    if *n >= address_max {
        if *n == 0 {
            open.remove(&ip);
        }
        return None;
    }
    *n += 1;
    Some(Admitted { _permit: permit, ip, per_address: per_address.clone() })
}

/// Serves `router` on `listener` until `shutdown` resolves, then lets open requests finish for
/// at most `limits.shutdown_grace`. Each request carries its client's address as
/// `ConnectInfo<SocketAddr>`, as `axum::serve` with connect info gives it.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) {
    let permits = Arc::new(Semaphore::new(limits.connections_max.max(1)));
    let per_address = Arc::new(PerAddress::default());
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    tokio::pin!(shutdown);
    loop {
        let (stream, address) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    warn!(error = %e, "accepting a REST connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(admitted) = admit(&permits, &per_address, address.ip(), limits.address_connections_max)
        else {
            debug!(%address, "connection refused: too many open connections");
            drop(stream);
            continue;
        };
        let service = router.clone().map_request(move |request: hyper::Request<hyper::body::Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(address));
            request
        });
        let connection = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                debug!(%address, error = %e, "REST connection ended");
            }
            drop(admitted);
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        debug!("REST connections still open at the end of the grace period");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_counted_in_all_and_per_address_and_freed_when_dropped() {
        let permits = Arc::new(Semaphore::new(3));
        let per_address = Arc::new(PerAddress::default());
        let a = IpAddr::from([127, 0, 0, 2]);
        let b = IpAddr::from([127, 0, 0, 3]);
        let first = admit(&permits, &per_address, a, 2).expect("room");
        let second = admit(&permits, &per_address, a, 2).expect("room");
        assert!(admit(&permits, &per_address, a, 2).is_none(), "two per address");
        let third = admit(&permits, &per_address, b, 2).expect("another address");
        assert!(admit(&permits, &per_address, b, 2).is_none(), "three in all");
        drop(first);
        assert!(admit(&permits, &per_address, a, 2).is_some(), "a closed connection frees its places");
        drop((second, third));
        assert!(per_address.0.lock().is_ok_and(|m| m.is_empty()), "no address is left counted");
    }
}
