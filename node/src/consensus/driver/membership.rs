//! Who validates each height, and who this node talks to (ADR 0019).
//!
//! The validator set is the ledger's: after every commit the driver reads the newest two epochs
//! from the committed state ([`RecentEpochs`]) and starts the next height with the set in force
//! there. A change approved at height `A` runs from `A + EFFECT_DELAY_HEIGHTS`, so the state at
//! the tip always knows the set of the next height and of the one after it. A node that syncs
//! commits the blocks in order and so changes sets exactly where the network did.
//!
//! The libp2p allow-list follows: the validators of both epochs, and the observers the registrars
//! list on the ledger (by peer id alone: an observer dials in, it need not be reachable), are the
//! persistent peers, added and removed at run time; with `persistent_peers_only` nobody else is
//! accepted. A joining
//! validator is dialled from the approval on, so it is connected (and synced) when its first
//! height starts; a removed one stays a peer while its epoch is the one before the newest (it
//! can still sync and serve), and is dropped at the next change.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use ebl_ledger::governance::{Observers, RecentEpochs};
use ebl_ledger::PartyId;
use malachitebft_app_channel::app::engine::host::HeightParams;
use malachitebft_app_channel::app::engine::network::PersistentPeersOp;
use malachitebft_app_channel::app::net::Multiaddr;
use malachitebft_app_channel::NetworkRequest;
use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

use super::super::context::{EblContext, ValidatorSet};
use super::super::signing::peer_id_of;
use super::Driver;

/// The sets of the newest two epochs, and the peers dialled for them.
#[derive(Debug)]
pub struct Membership {
    /// The epochs read at the last commit (`None` until read, and on a ledger without validators:
    /// then the genesis set runs every height).
    epochs: Option<RecentEpochs>,
    /// The observer list read at the last commit.
    observers: Observers,
    newest: ValidatorSet,
    before: Option<ValidatorSet>,
    /// Both, for checks that precede knowing a message's height (a stream's builder).
    union: ValidatorSet,
    /// The set validator proofs are checked against, shared with the engine's verifier.
    proof_set: Arc<RwLock<ValidatorSet>>,
    /// This node's node key: never its own peer.
    me: PartyId,
    /// Persistent peers by peer id, with the address they were added under (a removal names it).
    dialled: BTreeMap<String, Multiaddr>,
    requests: mpsc::Sender<NetworkRequest>,
}

impl Membership {
    /// Starts from the genesis set, whose peers the engine was configured with (`dialled`).
    pub fn new(
        genesis: ValidatorSet,
        proof_set: Arc<RwLock<ValidatorSet>>,
        me: PartyId,
        dialled: &[Multiaddr],
        requests: mpsc::Sender<NetworkRequest>,
    ) -> Self {
        let dialled = dialled
            .iter()
            .filter_map(|addr| {
                let text = addr.to_string();
                let (_, peer) = text.rsplit_once("/p2p/")?;
                Some((peer.to_owned(), addr.clone()))
            })
            .collect();
        Membership {
            epochs: None,
            observers: Observers::default(),
            union: genesis.clone(),
            newest: genesis,
            before: None,
            proof_set,
            me,
            dialled,
            requests,
        }
    }

    /// The set in force at `height`.
    pub fn at(&self, height: u64) -> &ValidatorSet {
        match &self.epochs {
            Some(epochs) if epochs.newest.effective_height > height => {
                self.before.as_ref().unwrap_or(&self.newest)
            }
            _ => &self.newest,
        }
    }

    /// Every validator of the newest two epochs.
    pub fn union(&self) -> &ValidatorSet {
        &self.union
    }

    /// Takes the epochs and the observers of the committed state; returns whether the sets
    /// changed (the peers are updated either way).
    fn update(&mut self, epochs: RecentEpochs, observers: Observers) -> bool {
        let known = self.epochs.as_ref().map(|e| (e.newest.epoch, e.newest.effective_height));
        let sets_changed = known != Some((epochs.newest.epoch, epochs.newest.effective_height));
        if !sets_changed && observers == self.observers {
            return false;
        }
        self.observers = observers;
        self.newest = ValidatorSet::of(&epochs.newest.validators);
        self.before = epochs.before.as_ref().map(|b| ValidatorSet::of(&b.validators));
        self.union = match &self.before {
            Some(before) => self.newest.union(before),
            None => self.newest.clone(),
        };
        *self.proof_set.write().unwrap_or_else(|p| p.into_inner()) = self.union.clone();
        let mut addresses: BTreeMap<PartyId, Option<String>> =
            self.observers.0.iter().map(|o| (o.node_key, None)).collect();
        addresses.extend(
            epochs
                .before
                .iter()
                .chain(std::iter::once(&epochs.newest))
                .flat_map(|e| e.validators.iter().map(|v| (v.node_key, Some(v.p2p_address.clone())))),
        );
        self.epochs = Some(epochs);
        self.dial(&addresses);
        sets_changed
    }

    /// Makes the persistent peers the nodes of `addresses` (node key → its p2p address; `None`
    /// for an observer, accepted by peer id and never dialled).
    fn dial(&mut self, addresses: &BTreeMap<PartyId, Option<String>>) {
        let mut wanted = BTreeMap::new();
        for (node, address) in addresses.iter().filter(|(node, _)| **node != self.me) {
            let Some(peer) = peer_id_of(node) else { continue };
            wanted.insert(peer.to_string(), address.as_deref().unwrap_or(""));
        }
        let gone: Vec<String> = self.dialled.keys().filter(|p| !wanted.contains_key(*p)).cloned().collect();
        for peer in gone {
            if let Some(addr) = self.dialled.remove(&peer) {
                info!(%peer, "no longer a validator or observer: removed from the persistent peers");
                self.request(PersistentPeersOp::Remove(addr));
            }
        }
        for (peer, address) in wanted {
            if self.dialled.contains_key(&peer) {
                continue;
            }
            let text = format!("{}/p2p/{peer}", address.trim_end_matches('/'));
            match text.parse::<Multiaddr>() {
                Ok(addr) => {
                    info!(%peer, %addr, "a validator of a new epoch or an observer: added to the persistent peers");
                    self.dialled.insert(peer, addr.clone());
                    self.request(PersistentPeersOp::Add(addr));
                }
                Err(e) => {
                    warn!(%peer, address = %text, error = %e, "a validator's p2p address does not parse")
                }
            }
        }
    }

    fn request(&self, op: PersistentPeersOp) {
        // The answer is not awaited (the driver's thread does not block on the network); a
        // failure is the network's to log.
        let (reply, _) = oneshot::channel();
        if let Err(e) = self.requests.try_send(NetworkRequest::UpdatePersistentPeers(op, reply)) {
            warn!(error = %e, "could not update the persistent peers");
        }
    }
}

impl Driver {
    /// Reads the newest two epochs from the committed state and, when they changed, takes the
    /// new sets, the proposers' peer ids and the persistent peers.
    pub(super) fn refresh_membership(&mut self) {
        let state = self.app.state();
        match RecentEpochs::read(&state).and_then(|e| Ok((e, Observers::read(&state)?))) {
            Ok((Some(epochs), observers)) => {
                let (epoch, effective) = (epochs.newest.epoch, epochs.newest.effective_height);
                if self.membership.update(epochs, observers) {
                    info!(epoch, effective_height = effective, "validator sets read from the ledger");
                    self.peers = proposer_peers(self.membership.union());
                }
            }
            Ok((None, _)) => {}
            Err(e) => warn!(error = %e, "cannot read the validator epochs; the sets stay as they were"),
        }
    }

    /// The parameters of the next height: the set in force there.
    pub(super) fn next_params(&mut self) -> HeightParams<EblContext> {
        let set = self.membership.at(self.next_height()).clone();
        self.validators = set.clone();
        HeightParams::new(set, self.config.timeouts, None)
    }
}

/// Each validator's libp2p identity, to check that a proposal stream comes from the round's
/// proposer.
pub(super) fn proposer_peers(
    set: &ValidatorSet,
) -> BTreeMap<PartyId, malachitebft_app_channel::app::types::PeerId> {
    set.validators()
        .iter()
        .filter_map(|v| {
            let libp2p = peer_id_of(&v.node_key)?;
            let peer = malachitebft_app_channel::app::types::PeerId::from_bytes(&libp2p.to_bytes()).ok()?;
            Some((v.public_key, peer))
        })
        .collect()
}
