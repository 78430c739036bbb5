//! Relays: every link between two validators goes through a TCP relay this process owns, so a
//! partition cuts real traffic between the node processes.
//!
//! Each validator `i` dials each other validator `j` at the relay `i→j` (its `p2p.persistent_peers`
//! name the relay ports instead of the genesis addresses), and the relay forwards bytes to `j`'s
//! real listen address. Relays are directed, so the testnet knows which pair each connection joins
//! although libp2p sees only loopback addresses. Cutting a pair closes its open connections (both
//! directions) and refuses new ones until the pair is healed; the nodes see the connection drop
//! and keep redialling, exactly as across a failed WAN link.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Which unordered pairs `(low, high)` of validators are cut.
#[derive(Debug, Default)]
struct Cuts {
    pairs: BTreeSet<(usize, usize)>,
}

fn pair(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

/// The relays of one network, with the cut pairs.
#[derive(Debug)]
pub struct Relays {
    /// `ports[i][j]`: the loopback port where `i` reaches `j` (0 on the diagonal).
    ports: Vec<Vec<u16>>,
    cuts: Arc<Mutex<Cuts>>,
    /// Bumped on every change of the cuts; open connections recheck their pair.
    changed: watch::Sender<u64>,
    tasks: Vec<JoinHandle<()>>,
}

impl Relays {
    /// Binds one relay for each ordered pair of the `targets` (validator `j` listens at
    /// `targets[j]`), on ports the system picks.
    pub async fn start(targets: &[SocketAddr]) -> std::io::Result<Self> {
        let n = targets.len();
        let cuts = Arc::new(Mutex::new(Cuts::default()));
        let (changed, _) = watch::channel(0u64);
        let mut ports = vec![vec![0u16; n]; n];
        let mut tasks = Vec::new();
        for (i, row) in ports.iter_mut().enumerate() {
            for (j, port) in row.iter_mut().enumerate() {
                if i == j {
                    continue;
                }
                let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
                *port = listener.local_addr()?.port();
                let link =
                    Link { from: i, to: j, target: targets[j], cuts: cuts.clone(), changed: changed.clone() };
                tasks.push(tokio::spawn(link.serve(listener)));
            }
        }
        Ok(Relays { ports, cuts, changed, tasks })
    }

    /// The port where validator `from` reaches validator `to`.
    pub fn port(&self, from: usize, to: usize) -> u16 {
        self.ports[from][to]
    }

    /// Cuts every link between a node of `a` and a node of `b`; links inside each side stay.
    pub fn partition(&self, a: &[usize], b: &[usize]) {
        let mut cuts = self.cuts.lock().unwrap_or_else(PoisonError::into_inner);
        for &x in a {
            for &y in b {
                if x != y {
                    cuts.pairs.insert(pair(x, y));
                }
            }
        }
        drop(cuts);
        self.changed.send_modify(|v| *v += 1);
    }

    /// Cuts every link of `node`: it is isolated from all others.
    pub fn isolate(&self, node: usize) {
        let others: Vec<usize> = (0..self.ports.len()).filter(|&j| j != node).collect();
        self.partition(&[node], &others);
    }

    /// Restores every link.
    pub fn heal(&self) {
        self.cuts.lock().unwrap_or_else(PoisonError::into_inner).pairs.clear();
        self.changed.send_modify(|v| *v += 1);
    }

    /// The cut pairs, lowest index first.
    pub fn cut_pairs(&self) -> Vec<(usize, usize)> {
        self.cuts.lock().unwrap_or_else(PoisonError::into_inner).pairs.iter().copied().collect()
    }
}

impl Drop for Relays {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// One directed relay `from → to`.
#[derive(Debug, Clone)]
struct Link {
    from: usize,
    to: usize,
    target: SocketAddr,
    cuts: Arc<Mutex<Cuts>>,
    changed: watch::Sender<u64>,
}

impl Link {
    fn is_cut(&self) -> bool {
        self.cuts.lock().unwrap_or_else(PoisonError::into_inner).pairs.contains(&pair(self.from, self.to))
    }

    async fn serve(self, listener: TcpListener) {
        loop {
            let Ok((inbound, _)) = listener.accept().await else { continue };
            if self.is_cut() {
                drop(inbound);
                continue;
            }
            let link = self.clone();
            tokio::spawn(async move { link.forward(inbound).await });
        }
    }

    /// Copies bytes both ways until either side closes or the pair is cut.
    async fn forward(self, mut inbound: TcpStream) {
        let Ok(mut outbound) = TcpStream::connect(self.target).await else { return };
        let _ = inbound.set_nodelay(true);
        let _ = outbound.set_nodelay(true);
        let mut changed = self.changed.subscribe();
        let cut = async {
            loop {
                if changed.changed().await.is_err() {
                    // The relays are gone: stop forwarding.
                    return;
                }
                if self.is_cut() {
                    return;
                }
            }
        };
        tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
            _ = cut => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// An echo server standing in for a node.
    async fn echo() -> SocketAddr {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 || s.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    async fn round_trip(stream: &mut TcpStream) -> bool {
        if stream.write_all(b"ping").await.is_err() {
            return false;
        }
        let mut buf = [0u8; 4];
        matches!(tokio::time::timeout(Duration::from_secs(2), stream.read_exact(&mut buf)).await, Ok(Ok(_)))
            && &buf == b"ping"
    }

    #[tokio::test]
    async fn a_cut_closes_open_connections_refuses_new_ones_and_heal_restores_them() {
        let targets = vec![echo().await, echo().await, echo().await];
        let relays = Relays::start(&targets).await.expect("relays");
        let mut zero_to_one = TcpStream::connect(("127.0.0.1", relays.port(0, 1))).await.expect("connect");
        let mut one_to_two = TcpStream::connect(("127.0.0.1", relays.port(1, 2))).await.expect("connect");
        assert!(round_trip(&mut zero_to_one).await);
        assert!(round_trip(&mut one_to_two).await);

        relays.partition(&[0], &[1, 2]);
        assert_eq!(relays.cut_pairs(), vec![(0, 1), (0, 2)]);
        assert!(!round_trip(&mut zero_to_one).await, "the open connection 0→1 is cut");
        assert!(round_trip(&mut one_to_two).await, "1→2 is on one side and stays");
        // The reverse direction is cut too, and a new connection is closed at once.
        let mut one_to_zero = TcpStream::connect(("127.0.0.1", relays.port(1, 0))).await.expect("accepts");
        assert!(!round_trip(&mut one_to_zero).await);

        relays.heal();
        assert!(relays.cut_pairs().is_empty());
        let mut again = TcpStream::connect(("127.0.0.1", relays.port(0, 1))).await.expect("connect");
        assert!(round_trip(&mut again).await);
    }
}
