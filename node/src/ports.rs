//! Loopback ports for local networks (the testnet tool, the multi-node tests) that stay free
//! until the node that is to listen on them starts.
//!
//! Asking the kernel for port 0 and releasing it is not enough: the port comes from the
//! ephemeral range, from which every outgoing connection also takes its local port, so between
//! the release and a node's bind another connection can take it — and Malachite's network, unable
//! to listen, ends without stopping the node (see `consensus::Halt::Network`). A
//! [`PortReservation`] picks a port *below* the ephemeral range, where the kernel never assigns one
//! by itself, and keeps a listener on it until [`PortReservation::release`].

use std::hash::{BuildHasher, Hasher};
use std::net::TcpListener;

/// The kernel's ephemeral range when `/proc` does not say (Linux's default).
const EPHEMERAL_DEFAULT: (u16, u16) = (32_768, 60_999);
/// Lowest port handed out: above the registered services most machines run.
const LOW: u16 = 10_000;

/// A port on 127.0.0.1 held by a listener of this process until released.
#[derive(Debug)]
pub struct PortReservation {
    port: u16,
    listener: Option<TcpListener>,
}

impl PortReservation {
    /// Reserves a free port outside the kernel's ephemeral range, starting the search at a
    /// random point so that concurrent networks rarely try the same ports.
    pub fn new() -> std::io::Result<Self> {
        let (low, high) = candidate_range(ephemeral_range());
        let span = u32::from(high - low) + 1;
        let start = random_u32() % span;
        for step in 0..span {
            let port = low + ((start + step) % span) as u16;
            if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
                return Ok(PortReservation { port, listener: Some(listener) });
            }
        }
        // Every candidate is taken: fall back to a port the kernel picks.
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        Ok(PortReservation { port: listener.local_addr()?.port(), listener: Some(listener) })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Frees the port for the process about to listen on it.
    pub fn release(&mut self) {
        self.listener = None;
    }

    /// Whether the port is still held.
    pub fn is_held(&self) -> bool {
        self.listener.is_some()
    }
}

/// `/proc/sys/net/ipv4/ip_local_port_range`, or Linux's default.
fn ephemeral_range() -> (u16, u16) {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|text| {
            let mut parts = text.split_whitespace().map(|p| p.parse::<u16>().ok());
            Some((parts.next()??, parts.next()??))
        })
        .unwrap_or(EPHEMERAL_DEFAULT)
}

/// The ports to pick from, given the ephemeral range: below it when there is room, else above.
fn candidate_range((first, last): (u16, u16)) -> (u16, u16) {
    if first > LOW + 1_000 {
        (LOW, first - 1)
    } else if last < u16::MAX - 1_000 {
        (last + 1, u16::MAX)
    } else {
        // The whole space is ephemeral: nothing is safe, take what is free.
        (LOW, u16::MAX)
    }
}

/// A random number from the standard library's per-process hash keys (no clock, no extra crate).
fn random_u32() -> u32 {
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u32(std::process::id());
    hasher.finish() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_picked_outside_the_ephemeral_range() {
        assert_eq!(candidate_range((32_768, 60_999)), (10_000, 32_767));
        assert_eq!(candidate_range((1_024, 50_000)), (50_001, u16::MAX));
        assert_eq!(candidate_range((1_024, 65_000)), (10_000, u16::MAX));
        let (first, last) = ephemeral_range();
        let reservation = PortReservation::new().expect("a port");
        let port = reservation.port();
        assert!(port < first || port > last, "{port} in the ephemeral range {first}–{last}");
    }

    #[test]
    fn a_reserved_port_cannot_be_bound_until_released() {
        let mut reservation = PortReservation::new().expect("a port");
        let port = reservation.port();
        assert!(reservation.is_held());
        assert!(TcpListener::bind(("127.0.0.1", port)).is_err(), "{port} is held");
        let other = PortReservation::new().expect("another port");
        assert_ne!(other.port(), port);
        reservation.release();
        assert!(!reservation.is_held());
        TcpListener::bind(("127.0.0.1", port)).expect("a released port is free");
    }
}
