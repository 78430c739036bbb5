//! Consensus: Malachite's Tendermint (`arc-malachitebft-app-channel` 0.8) behind one module
//! (DESIGN §3, ADR 0005). Nothing outside this module names a Malachite type.
//!
//! [`start`] opens the engine (network, WAL, sync) for a validator and runs the [`driver`] on
//! its own thread; [`ConsensusHandle::stop`] stops both and releases the port.

pub mod codec;
pub mod config;
pub mod context;
pub mod driver;
pub mod signing;
pub mod streaming;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ebl_ledger::Keypair;
#[cfg(feature = "test-utils")]
use ebl_ledger::{Hash, TxBody};
use malachitebft_app_channel::app::net::PeerId as NetPeerId;
use malachitebft_app_channel::app::streaming::{StreamContent, StreamMessage};
use malachitebft_app_channel::app::types::Keypair as NetKeypair;
use malachitebft_app_channel::{
    start_engine, ConsensusContext, EngineHandle, NetworkContext, NetworkMsg, NetworkRequest, RequestContext,
    SyncContext, WalContext,
};
use tokio::sync::mpsc;

use crate::app::{App, PreparedBlock};
use codec::BorshCodec;
use context::{EblContext, ProposalPart, ValidatorAddress, ValidatorSet};
use driver::{Driver, Shared};
use signing::{EblSigner, EblVerifier};

pub use config::EngineConfig;
pub use driver::{CommitEvent, DriverSettings, DriverStats};

/// A Byzantine validator's fault, for the fault tests and the attack suite (`tests/attacks`,
/// which runs it in a test-only binary: `ebl-node` has no switch for any of these). Only with
/// the `test-utils` feature; without it `Tamper` has no values (below).
#[cfg(feature = "test-utils")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// The header claims a state root that execution does not give (every block it builds).
    WrongStateRoot,
    /// One transaction carries a signature that does not verify (the tx root is recomputed, so
    /// the signature is the only fault; every block it builds).
    BadSignature,
    /// Every round, valid alternative blocks for the next height (and relabelled ones for the
    /// heights after it), with varied times, streamed for the rounds ahead whether or not it is
    /// their proposer (issue 29, attack (b)).
    FloodAlternatives,
    /// Every round, a forged transaction batch (signatures that do not verify) and an oversized
    /// one over mempool gossip (attack (c)).
    FloodBatches,
    /// Streams more than one valid block for each `(height, round)` it proposes (attack (d)).
    Equivocate,
    /// Puts transactions of its own signed with a torsion component in `R` into every block it
    /// builds: valid under the ledger's rule, accepted by a cofactorless batch check only in some
    /// compositions (attack (e)). They are signed by the party whose key seed this is — the
    /// validator's operator: a consensus key is no party (ADR 0019), so its transactions would
    /// never be included.
    TorsionSignature { party_seed: [u8; 32] },
}

/// A production build has no fault to apply: no value of `Tamper` exists, so every
/// `Option<Tamper>` a node is started with is `None` and no code that applies one is compiled.
#[cfg(not(feature = "test-utils"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {}

/// Nothing to apply in a production build (no `Tamper` exists).
#[cfg(not(feature = "test-utils"))]
fn tamper(fault: Tamper, _: &Keypair, _: &str, _: PreparedBlock) -> PreparedBlock {
    match fault {}
}

/// Applies `tamper` to a block this node built; the header is made consistent with the change
/// everywhere but in the fault itself.
#[cfg(feature = "test-utils")]
fn tamper(fault: Tamper, key: &Keypair, chain_id: &str, mut prepared: PreparedBlock) -> PreparedBlock {
    match fault {
        Tamper::WrongStateRoot => {
            let block = prepared.block_mut();
            block.header.state_root = Hash::digest(block.header.state_root.as_bytes());
        }
        Tamper::BadSignature => {
            let block = prepared.block_mut();
            let mut tx = block.txs.first().cloned().unwrap_or_else(|| {
                // No transaction to spoil: add one of our own with a broken signature.
                let body = TxBody {
                    chain_id: chain_id.into(),
                    nonce: u64::MAX,
                    signers: vec![key.party()],
                    action: ebl_ledger::Action::BlankEndorse {
                        bl: ebl_ledger::BlId(Hash::digest(b"byzantine")),
                    },
                };
                body.sign(&[key])
            });
            if let Some(signature) = tx.signatures.first_mut() {
                signature.0[0] ^= 0x01;
            }
            if block.txs.is_empty() {
                block.txs.push(tx);
            } else {
                block.txs[0] = tx;
            }
            block.header.tx_root = ebl_ledger::block::tx_root(&block.txs);
        }
        // The validator-side attacks build valid blocks; what they do is in `driver::byzantine`.
        Tamper::FloodAlternatives
        | Tamper::FloodBatches
        | Tamper::Equivocate
        | Tamper::TorsionSignature { .. } => {}
    }
    prepared
}

/// Everything [`start`] needs.
#[derive(Debug)]
pub struct ConsensusParams {
    pub engine: EngineConfig,
    pub driver: DriverSettings,
    pub wal_path: PathBuf,
    pub gossip_interval: Duration,
    pub tamper: Option<Tamper>,
}

/// A running engine, its driver thread and the mempool gossip task.
pub struct ConsensusHandle {
    engine: EngineHandle,
    driver: Option<std::thread::JoinHandle<()>>,
    gossip: tokio::task::JoinHandle<()>,
    net_requests: mpsc::Sender<NetworkRequest>,
}

impl std::fmt::Debug for ConsensusHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConsensusHandle")
    }
}

/// Starts consensus over `app` for the node whose libp2p identity is `node_key`: a validator
/// when `consensus_key` is one of the set's, else a node that follows without voting. Must be
/// called on a multi-threaded tokio runtime.
pub async fn start(
    chain_id: &str,
    validators: ValidatorSet,
    node_key: &Keypair,
    consensus_key: Option<&Keypair>,
    app: App,
    shared: Arc<Shared>,
    params: ConsensusParams,
) -> eyre::Result<ConsensusHandle> {
    let ctx = EblContext::new(chain_id);
    let net_key = NetKeypair::ed25519_from_bytes(node_key.seed())?;
    // An observer signs nothing: its "consensus key" is its node key, in no validator set.
    let key = consensus_key.unwrap_or(node_key);
    let seed = key.seed();
    let address = ValidatorAddress(key.party());
    let signer = EblSigner::new(chain_id, seed);
    let verifier = EblVerifier::new(chain_id, validators.clone());
    let proof_set = verifier.validators();
    let dialled = params.engine.consensus.p2p.persistent_peers.clone();
    let identity = malachitebft_app_channel::app::engine::network::NetworkIdentity::new(
        params.engine.moniker.clone(),
        net_key,
        Some(address.to_string()),
    );
    if let Some(parent) = params.wal_path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    check_listen_addr(&params.engine.consensus.p2p.listen_addr.to_string())?;
    // A node with a consensus key runs as a validator whether or not the set names it yet: the
    // engine votes only at heights whose set does (a change may add it later).
    let consensus_ctx = if consensus_key.is_some() {
        ConsensusContext::new_validator(address, Box::new(verifier), Box::new(signer))
    } else {
        ConsensusContext::new_full_node(address, Box::new(verifier))
    };
    let (channels, engine) = start_engine(
        ctx.clone(),
        params.engine,
        WalContext::new(params.wal_path, BorshCodec),
        NetworkContext::new(identity, BorshCodec),
        consensus_ctx,
        SyncContext::new(BorshCodec),
        RequestContext::new(64),
    )
    .await?;
    let network = channels.network.clone();
    let busy_at = params.driver.limits.txs_max;
    let membership = driver::Membership::new(
        validators.clone(),
        proof_set,
        node_key.party(),
        &dialled,
        channels.net_requests.clone(),
    );
    let driver = Driver::new(
        ctx,
        app,
        Keypair::from_seed(seed),
        validators,
        membership,
        params.driver,
        shared.clone(),
        network.clone(),
        params.tamper,
    );
    let consensus_rx = channels.consensus;
    let driver = std::thread::Builder::new()
        .name(format!("ebl-driver-{}", key.party().short()))
        .spawn(move || driver.run(consensus_rx))?;
    let gossip = tokio::spawn(gossip_loop(shared, network, params.gossip_interval, busy_at));
    Ok(ConsensusHandle { engine, driver: Some(driver), gossip, net_requests: channels.net_requests })
}

/// Malachite's network task logs a failed listen and ends, leaving a node that serves its REST
/// API but never joins consensus (an address in use, typically). Binding the address first
/// turns that, and a listen address that is a name, into a start-up error the operator sees;
/// [`ConsensusHandle::stopped`] watches for the address being taken between this check and the
/// engine's bind.
fn check_listen_addr(addr: &str) -> eyre::Result<()> {
    let parts: Vec<&str> = addr.split('/').collect();
    let socket = match parts.as_slice() {
        ["", "ip4", ip, "tcp", port, ..] => format!("{ip}:{port}"),
        ["", "ip6", ip, "tcp", port, ..] => format!("[{ip}]:{port}"),
        // libp2p's TCP transport listens on addresses only (a name ends its network at once).
        _ => eyre::bail!("p2p.listen_addr {addr} must be /ip4/<address>/tcp/<port> or /ip6/…/tcp/<port>"),
    };
    std::net::TcpListener::bind(socket.as_str())
        .map(drop)
        .map_err(|e| eyre::eyre!("p2p.listen_addr {addr} cannot be bound: {e}"))
}

/// Why a node's consensus stopped by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Halt {
    /// An actor of the engine failed and the engine stopped.
    Engine,
    /// The engine runs but its network task has ended (it could not listen): the node is cut
    /// off from every peer and would never commit again.
    Network,
}

impl std::fmt::Display for Halt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Halt::Engine => "the consensus engine stopped",
            Halt::Network => "the peer-to-peer network stopped (see the error above: could it listen?)",
        })
    }
}

/// How often [`watch`] asks the network for its state, and how many answers in a row
/// must say it is gone (a full request queue or an engine still starting is not a death).
const NETWORK_CHECK_INTERVAL: Duration = Duration::from_secs(1);
const NETWORK_CHECKS_FAILED_MAX: u32 = 5;

/// Resolves when `alive` has answered no `failed_max` times in a row, asked every `interval`.
async fn watch<F: std::future::Future<Output = bool>>(
    mut alive: impl FnMut() -> F,
    interval: Duration,
    failed_max: u32,
) {
    let mut failed = 0;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while failed < failed_max {
        ticker.tick().await;
        failed = if alive().await { 0 } else { failed + 1 };
    }
}

/// Whether the engine's network answers with its state (it does not once its task has ended).
async fn network_runs(requests: &mpsc::Sender<NetworkRequest>) -> bool {
    matches!(NetworkRequest::dump_state(requests).await, Ok(Some(_)))
}

/// A pool holding a full block gossips every this many ticks (see [`gossip_loop`]).
const GOSSIP_BUSY_TICKS: u32 = 4;

/// Which ticks of [`gossip_loop`] send.
#[derive(Debug)]
struct GossipPacer {
    /// Transactions pending from which the pool counts as busy.
    busy_at: usize,
    /// Ticks skipped since the last one that sent.
    held: u32,
}

impl GossipPacer {
    /// Whether this tick sends, the pool holding `pending` transactions.
    fn due(&mut self, pending: usize) -> bool {
        if pending >= self.busy_at && self.held + 1 < GOSSIP_BUSY_TICKS {
            self.held += 1;
            return false;
        }
        self.held = 0;
        true
    }
}

/// Every `interval`, the transactions clients gave this node since the last batch go to the
/// other validators in one message (DESIGN §8: never one message per transaction).
///
/// While the pool holds at least `busy_at` transactions (a full block's worth: what arrives now
/// cannot make the next block anyway), only every [`GOSSIP_BUSY_TICKS`]th tick sends: each peer
/// then checks four times as many signatures in one batch verification, which costs less per
/// signature, when the CPU is what limits the network. Below that the batches go every tick,
/// so latency under a load the network keeps up with is unchanged.
async fn gossip_loop(
    shared: Arc<Shared>,
    network: mpsc::Sender<NetworkMsg<EblContext>>,
    interval: Duration,
    busy_at: usize,
) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut counter: u64 = 0;
    let mut pacer = GossipPacer { busy_at, held: 0 };
    loop {
        ticker.tick().await;
        let txs = {
            let mut pool = shared.mempool();
            if !pacer.due(pool.len()) {
                continue;
            }
            pool.take_gossip_batch(driver::GOSSIP_BATCH_TXS_MAX)
        };
        if txs.is_empty() {
            continue;
        }
        counter += 1;
        // Stream ids of batches never collide with block streams (those are 20 bytes).
        let id = malachitebft_app_channel::app::streaming::StreamId::new(bytes::Bytes::from(
            [b"txs/".as_slice(), &counter.to_be_bytes()].concat(),
        ));
        let message = StreamMessage::new(id, 0, StreamContent::Data(ProposalPart::TxBatch(txs)));
        if network.send(NetworkMsg::PublishProposalPart(message)).await.is_err() {
            return;
        }
    }
}

impl ConsensusHandle {
    /// The peers this node's network is connected to.
    pub async fn peers(&self) -> Vec<NetPeerId> {
        match NetworkRequest::dump_state(&self.net_requests).await {
            Ok(Some(dump)) => dump.peers.keys().copied().collect(),
            _ => Vec::new(),
        }
    }

    /// Stops the engine's actors (waiting for the network to release its port), then the driver.
    pub async fn stop(mut self) {
        self.gossip.abort();
        let timeout = Some(Duration::from_secs(10));
        let _ = self.engine.actor.get_cell().stop_children_and_wait(None, timeout).await;
        let _ = self.engine.actor.stop_and_wait(None, timeout).await;
        let _ = tokio::time::timeout(Duration::from_secs(10), &mut self.engine.handle).await;
        if let Some(driver) = self.driver.take() {
            let _ = tokio::task::spawn_blocking(move || driver.join()).await;
        }
    }

    /// Resolves when the engine stops by itself (a failed actor) or its network has ended: the
    /// node must then exit.
    pub async fn stopped(&mut self) -> Halt {
        tokio::select! {
            _ = &mut self.engine.handle => Halt::Engine,
            () = watch(|| network_runs(&self.net_requests), NETWORK_CHECK_INTERVAL, NETWORK_CHECKS_FAILED_MAX) => {
                tracing::error!("the peer-to-peer network is not running");
                Halt::Network
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gossip_goes_every_tick_until_the_pool_holds_a_block_then_every_fourth() {
        let mut pacer = GossipPacer { busy_at: 5_000, held: 0 };
        let sent = |pacer: &mut GossipPacer, pending: usize, ticks: usize| {
            (0..ticks).filter(|_| pacer.due(pending)).count()
        };
        assert_eq!(sent(&mut pacer, 0, 12), 12);
        assert_eq!(sent(&mut pacer, 4_999, 12), 12, "below a block: every tick");
        assert_eq!(sent(&mut pacer, 5_000, 12), 3, "a block or more: every fourth tick");
        assert_eq!(sent(&mut pacer, 20_000, 12), 3);
        // Held ticks never add up to more than three in a row, and the pool emptying below a
        // block sends at the next tick.
        assert!(!pacer.due(5_000));
        assert!(pacer.due(100), "no longer busy: sent at once");
        assert!(!pacer.due(5_000) && !pacer.due(5_000) && !pacer.due(5_000));
        assert!(pacer.due(5_000), "the fourth tick sends");
    }

    #[test]
    fn a_listen_address_in_use_is_refused_before_the_engine_starts() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = taken.local_addr().expect("addr").port();
        let error = check_listen_addr(&format!("/ip4/127.0.0.1/tcp/{port}")).expect_err("in use");
        assert!(error.to_string().contains("cannot be bound"), "{error}");
        drop(taken);
        check_listen_addr(&format!("/ip4/127.0.0.1/tcp/{port}")).expect("free again");
        let error = check_listen_addr("/dns4/localhost/tcp/26656").expect_err("a name");
        assert!(error.to_string().contains("must be /ip4/"), "{error}");
    }

    #[tokio::test]
    async fn a_network_that_stops_answering_halts_the_node_and_a_hiccup_does_not() {
        let tick = Duration::from_millis(2);
        // A closed request channel (the engine's network is gone) is noticed.
        let (closed, rx) = mpsc::channel(1);
        drop(rx);
        tokio::time::timeout(Duration::from_secs(10), watch(|| network_runs(&closed), tick, 3))
            .await
            .expect("a dead network is noticed");
        // Answers alternating with failures never make three failures in a row.
        let answers = std::sync::Mutex::new((0..200).map(|n| n % 3 != 0).collect::<Vec<bool>>());
        let next = || {
            let answer = answers.lock().expect("answers").pop().unwrap_or(true);
            async move { answer }
        };
        let hiccups = tokio::time::timeout(Duration::from_millis(600), watch(next, tick, 3)).await;
        assert!(hiccups.is_err(), "a network that answers between failures is alive");
        // The same watch ends once the failures run on.
        let failures = std::sync::Mutex::new(vec![false, false, false, true, false]);
        let next = || {
            let answer = failures.lock().expect("answers").pop().unwrap_or(true);
            async move { answer }
        };
        tokio::time::timeout(Duration::from_secs(10), watch(next, tick, 3)).await.expect("three in a row");
    }
}
