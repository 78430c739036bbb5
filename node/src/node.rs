//! The in-process node: storage, application core, mempool and consensus started together, with
//! one handle to submit transactions, read state and hear of commits. `ebl-node run`, the REST
//! layer and the multi-node tests all use this entry point.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ebl_ledger::{
    BlId, Block, Hash, Keypair, PartyId, Receipt, StateKey, StateRead, StateTree, Transaction, TxId,
};
use thiserror::Error;
use tokio::sync::broadcast;

use crate::app::{App, BlockLimits, NodeError};
use crate::config::{ConfigError, NodeConfig};
use crate::consensus::context::ValidatorSet;
use crate::consensus::driver::{Shared, StateNonces};
pub use crate::consensus::Tamper;
use crate::consensus::{
    self, CommitEvent, ConsensusHandle, ConsensusParams, DriverSettings, DriverStats, EngineConfig,
};
use crate::genesis::GenesisFile;
use crate::mempool::{AdmitError, Mempool};
use crate::storage::{Storage, StorageError, Tip};
use crate::verifier::{Busy, VerifyPool, VERIFY_JOBS_MAX};

/// Commit events buffered per subscriber before the slowest one starts to miss some.
pub const EVENTS_BUFFER: usize = 4_096;

#[derive(Debug, Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Node(#[from] NodeError),
    #[error("consensus engine: {0}")]
    Engine(String),
}

/// Proofs of one key tried at most, each at the tip of its moment ([`Node::prove`]).
const PROVE_ATTEMPTS: usize = 8;

/// What a node is started with.
#[derive(Debug)]
pub struct NodeOptions {
    pub config: NodeConfig,
    pub genesis: GenesisFile,
    /// The node key: its libp2p identity.
    pub node_key: Keypair,
    /// The consensus key of a validator; `None` for an observer, which never votes.
    pub consensus_key: Option<Keypair>,
    /// A Byzantine proposer, for fault tests only.
    pub tamper: Option<Tamper>,
}

/// A running node. It dereferences to its [`NodeView`], which the REST layer shares.
#[derive(Debug)]
pub struct Node {
    node_id: PartyId,
    consensus_key: Option<PartyId>,
    view: NodeView,
    consensus: Option<ConsensusHandle>,
}

/// What every reader of a node shares: submit, read committed state, hear of commits. Cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct NodeView {
    chain_id: String,
    storage: Storage,
    shared: Arc<Shared>,
    validators: Vec<crate::genesis::ValidatorInfo>,
    powers: Vec<(PartyId, u64)>,
}

impl std::ops::Deref for Node {
    type Target = NodeView;

    fn deref(&self) -> &NodeView {
        &self.view
    }
}

impl Node {
    /// Opens the database (checking its invariants and writing the genesis state if new),
    /// starts consensus and returns at once; the node joins the network in the background.
    pub async fn start(options: NodeOptions) -> Result<Node, StartError> {
        let NodeOptions { config, genesis, node_key, consensus_key, tamper } = options;
        let storage = Storage::open_with(&config.node.data_dir, &config.storage_options())?;
        let app = App::open(storage.clone(), &genesis)?;
        let node_id = node_key.party();
        let consensus = consensus_key.as_ref().map(Keypair::party);
        let validators = ValidatorSet::from_genesis(&genesis);
        let (events, _) = broadcast::channel(EVENTS_BUFFER);
        let shared = Arc::new(Shared {
            mempool: Mutex::new(Mempool::new(config.mempool_config(), genesis.chain_id.clone())),
            events,
            recent_events: Mutex::new(Default::default()),
            stats: Mutex::new(DriverStats::default()),
            verifier: VerifyPool::new(0, VERIFY_JOBS_MAX),
            sync_server: VerifyPool::new(1, crate::consensus::driver::SYNC_REQUESTS_MAX),
            dropped_peers: Mutex::new(Default::default()),
        });
        let params = ConsensusParams {
            engine: EngineConfig::new(&config, &genesis, &node_id)?,
            driver: DriverSettings {
                limits: BlockLimits {
                    txs_max: config.consensus.block_txs_max,
                    bytes_max: config.consensus.block_bytes_max,
                },
                clock_drift_max_ms: config.consensus.clock_drift_max_ms,
                empty_block_wait: Duration::from_millis(config.consensus.empty_block_wait_ms),
                timeouts: consensus::config::timeouts(&config),
            },
            wal_path: config.node.data_dir.join("consensus").join("wal"),
            gossip_interval: Duration::from_millis(config.consensus.gossip_interval_ms),
            tamper,
        };
        let handle = consensus::start(
            &genesis.chain_id,
            validators,
            &node_key,
            consensus_key.as_ref(),
            app,
            shared.clone(),
            params,
        )
        .await
        .map_err(|e| StartError::Engine(e.to_string()))?;
        let powers = genesis.powers();
        let view =
            NodeView { chain_id: genesis.chain_id, storage, shared, validators: genesis.validators, powers };
        Ok(Node { node_id, consensus_key: consensus, view, consensus: Some(handle) })
    }

    /// The node key (its libp2p identity).
    pub fn node_id(&self) -> PartyId {
        self.node_id
    }

    /// Its consensus key, if it is a validator.
    pub fn consensus_key(&self) -> Option<PartyId> {
        self.consensus_key
    }

    /// A handle on this node's state and mempool that outlives borrows (for the REST layer).
    pub fn view(&self) -> NodeView {
        self.view.clone()
    }

    /// The libp2p peers this node is connected to.
    pub async fn peers(&self) -> Vec<String> {
        match &self.consensus {
            Some(c) => c.peers().await.into_iter().map(|p| p.to_string()).collect(),
            None => Vec::new(),
        }
    }

    /// Resolves when consensus stops by itself (a failed actor, a network that ended), saying
    /// why; never for a node without consensus.
    pub async fn stopped(&mut self) -> consensus::Halt {
        match self.consensus.as_mut() {
            Some(c) => c.stopped().await,
            None => std::future::pending().await,
        }
    }

    /// Stops consensus and the network; the database closes when the node is dropped.
    pub async fn stop(mut self) {
        if let Some(c) = self.consensus.take() {
            c.stop().await;
        }
    }
}

impl NodeView {
    /// The genesis validators and their voting power (consensus key, power): what a client
    /// trusts.
    pub fn validators(&self) -> &[(PartyId, u64)] {
        &self.powers
    }

    /// The genesis validators with their names, operators and keys.
    pub fn validator_infos(&self) -> &[crate::genesis::ValidatorInfo] {
        &self.validators
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    pub fn storage(&self) -> &Storage {
        &self.storage
    }

    /// Admits a signed transaction to this node's mempool; it is gossiped to the other
    /// validators and committed by whichever proposes next.
    pub fn submit(&self, tx: Transaction) -> Result<TxId, AdmitError> {
        let view = StateNonces(StateTree::new(self.storage.clone()));
        self.shared.mempool().admit(tx, &view)
    }

    /// The committed tip.
    pub fn tip(&self) -> Tip {
        self.storage.tip().ok().flatten().unwrap_or(Tip {
            height: 0,
            block_hash: Hash::ZERO,
            state_root: Hash::ZERO,
            time_ms: 0,
        })
    }

    pub fn block(&self, height: u64) -> Option<Block> {
        self.storage.block(height).ok().flatten()
    }

    /// The committed receipt of `tx`, with its height.
    pub fn receipt(&self, tx: &TxId) -> Option<(u64, Receipt)> {
        let (height, index) = self.storage.tx_location(tx).ok().flatten()?;
        let receipts = self.storage.receipts(height).ok().flatten()?;
        receipts.into_iter().nth(index as usize).map(|r| (height, r))
    }

    /// A value of the committed state, decoded.
    pub fn state<T: borsh::BorshDeserialize>(&self, key: &StateKey) -> Option<T> {
        let bytes = StateTree::new(self.storage.clone()).get(key).ok()??;
        ebl_ledger::encoding::decode(&bytes, crate::storage::layout::STATE_VALUE_BYTES_MAX).ok()
    }

    /// A proof bundle for `key` at the committed tip: the value, its JMT proof, the tip's header
    /// and certificate. A client checks it against the genesis validators alone.
    pub fn prove(&self, key: &StateKey) -> Option<ebl_ledger::ProofBundle> {
        // A database that keeps only the newest values cannot prove at a height a commit has
        // just overtaken (the key's value then is gone): prove again at the new tip.
        for _ in 0..PROVE_ATTEMPTS {
            let tip = self.tip();
            let header = self.storage.block_header(tip.height).ok().flatten()?;
            let certificate = self.certificate(tip.height)?;
            match StateTree::new(self.storage.clone()).prove(key, tip.height) {
                Ok((value, proof)) => {
                    return Some(ebl_ledger::ProofBundle {
                        key: key.clone(),
                        value,
                        proof,
                        header,
                        certificate,
                    })
                }
                Err(_) if self.tip().height != tip.height => continue,
                Err(_) => return None,
            }
        }
        None
    }

    /// A proof bundle for `key` at committed `height`: its value then, its JMT proof under that
    /// block's state root, the block's header and certificate. Every JMT node is kept, so any
    /// height can be proven for a key not written since (a validator epoch, written once); a key
    /// rewritten after `height` is provable only by an archive (`None` otherwise).
    pub fn prove_at(&self, key: &StateKey, height: u64) -> Option<ebl_ledger::ProofBundle> {
        if height > self.tip().height {
            return None;
        }
        let header = self.storage.block_header(height).ok().flatten()?;
        let certificate = self.certificate(height)?;
        let (value, proof) = StateTree::new(self.storage.clone()).prove(key, height).ok()?;
        Some(ebl_ledger::ProofBundle { key: key.clone(), value, proof, header, certificate })
    }

    /// Where a signing key stands: the party it signs for now, one it signed for before, or
    /// none (ADR 0019).
    pub fn key_standing(
        &self,
        key: &PartyId,
    ) -> Result<ebl_ledger::records::KeyStanding, ebl_ledger::StoreError> {
        ebl_ledger::records::key_standing(&StateTree::new(self.storage.clone()), key)
    }

    /// The party a key signs or signed for (the key itself when no party rotated to it).
    pub fn party_of_key(&self, key: &PartyId) -> Result<PartyId, ebl_ledger::StoreError> {
        ebl_ledger::records::party_of_key(&StateTree::new(self.storage.clone()), key)
    }

    /// The stored commit certificate of `height`.
    pub fn certificate(&self, height: u64) -> Option<ebl_ledger::Certificate> {
        let bytes = self.storage.certificate(height).ok().flatten()?;
        ebl_ledger::encoding::decode(&bytes, crate::storage::layout::CERTIFICATE_BYTES_MAX).ok()
    }

    /// Admits a client's batch: cheap checks, then one batch signature check; results in order.
    /// On the calling thread: the REST layer uses [`Self::precheck`], [`Self::verify`] and
    /// [`Self::insert`] instead, so that the signatures are checked on the verify pool.
    pub fn submit_batch(&self, txs: Vec<Transaction>) -> Vec<Result<TxId, AdmitError>> {
        let view = StateNonces(StateTree::new(self.storage.clone()));
        self.shared.admit_batch(txs, &view, true)
    }

    /// Admits a client's transactions on the verify pool ([`Busy`] when it is full): the cheap
    /// checks, the signatures, then `charge(submitter, transactions)` once per submitter of
    /// the transactions whose signatures checked out — a submitter it refuses gets
    /// [`AdmitError::RateLimited`] for them — then insertion (they will be gossiped). Results
    /// in the order of `txs`.
    pub async fn admit(
        &self,
        txs: Vec<Transaction>,
        mut charge: impl FnMut(&PartyId, u32) -> bool + Send + 'static,
    ) -> Result<Vec<Result<TxId, AdmitError>>, Busy> {
        let node = self.clone();
        self.shared
            .verifier
            .run(move || {
                let view = StateNonces(StateTree::new(node.storage.clone()));
                let checked = node.shared.mempool().precheck(txs, &view);
                let mut verified = checked.verify();
                let mut counts: BTreeMap<PartyId, u32> = BTreeMap::new();
                for party in verified.verified_submitters() {
                    *counts.entry(party).or_insert(0) += 1;
                }
                let over: BTreeSet<PartyId> = counts
                    .into_iter()
                    .filter(|(party, n)| !charge(party, *n))
                    .map(|(party, _)| party)
                    .collect();
                if !over.is_empty() {
                    verified.refuse_submitters(&over, AdmitError::RateLimited);
                }
                node.shared.mempool().insert_verified(verified, true, &view)
            })
            .await
    }

    /// `party`'s next committed nonce, and the next one counting this node's pending
    /// transactions. `None` for an unregistered party.
    pub fn nonces(&self, party: &PartyId) -> Option<(u64, u64)> {
        let committed: u64 = self.state(&StateKey::Nonce(*party))?;
        Some((committed, self.shared.mempool().next_nonce(party, committed)))
    }

    /// The party registry's members, in id order (at most `storage::QUERY_ITEMS_MAX`).
    pub fn registered_parties(&self) -> Vec<PartyId> {
        self.storage.parties(None, usize::MAX).unwrap_or_default()
    }

    /// A committed transaction, with its height.
    pub fn transaction(&self, tx: &TxId) -> Option<(u64, Transaction)> {
        let (height, index) = self.storage.tx_location(tx).ok().flatten()?;
        let block = self.block(height)?;
        block.txs.into_iter().nth(index as usize).map(|t| (height, t))
    }

    /// Entries `seqs` of the signed history (endorsement chain) of `bl`, oldest first, or `None`
    /// if the store cannot serve them all (logged; a damaged database).
    pub fn history(
        &self,
        bl: &BlId,
        seqs: std::ops::Range<u32>,
    ) -> Option<Vec<ebl_ledger::records::HistoryEntry>> {
        self.storage
            .history_range(bl, seqs)
            .inspect_err(|e| tracing::error!(%bl, error = %e, "a BL's history cannot be read"))
            .ok()
    }

    /// Whether `party` is on `bl`'s chain by the index (DESIGN §7); `false` if the store cannot
    /// say (logged).
    pub fn party_on_bl(&self, party: &PartyId, bl: &BlId) -> bool {
        self.storage
            .party_on_bl(party, bl)
            .inspect_err(|e| tracing::error!(%bl, error = %e, "the party index cannot be read"))
            .unwrap_or(false)
    }

    /// Whether `tx` waits in this node's mempool.
    pub fn in_mempool(&self, tx: &TxId) -> bool {
        self.shared.mempool().contains(tx)
    }

    pub fn mempool_len(&self) -> usize {
        self.shared.mempool().len()
    }

    pub fn stats(&self) -> DriverStats {
        self.shared.stats().clone()
    }

    /// The events of committed block `height`: handed over by its commit while it is among the
    /// newest, else read from storage (`None`: no such block, or unreadable).
    pub fn block_events(&self, height: u64) -> Option<Arc<crate::app::BlockEvents>> {
        let recent = self.shared.recent_events.lock().unwrap_or_else(|p| p.into_inner()).get(height);
        if recent.is_some() {
            return recent;
        }
        let block = self.block(height)?;
        let receipts = self.storage.receipts(height).ok().flatten()?;
        let state = StateTree::new(self.storage.clone());
        let touched = block.txs.iter().map(|t| crate::app::touched_or_by_keys(&state, &t.body));
        Some(Arc::new(crate::app::BlockEvents::new(height, &block.txs, &receipts, touched)))
    }

    /// Every block this node commits from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<CommitEvent> {
        self.shared.events.subscribe()
    }
}

/// Runs the node of an `ebl-node` home (its `config.toml`, genesis and key) and its REST API
/// until Ctrl-C or SIGTERM, or until the node halts (an error: whoever supervises it restarts
/// it). `ebl-node run` passes no `tamper`; the attack suite's Byzantine validator passes one.
pub fn run_home(home: &std::path::Path, thread_name: &str, tamper: Option<Tamper>) -> anyhow::Result<()> {
    use anyhow::{bail, Context};
    let config = crate::config::NodeConfig::load(&home.join("config.toml"), std::env::vars())?;
    let genesis = crate::genesis::GenesisFile::load(&config.node.genesis_file)?;
    let node_key = crate::keys::load(&config.node.key_file)?;
    let consensus_key = config.node.consensus_key_file.as_deref().map(crate::keys::load).transpose()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(thread_name)
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let moniker = config.node.moniker.clone();
        let rpc = config.rpc.clone();
        let mut node =
            Node::start(NodeOptions { config, genesis, node_key, consensus_key, tamper })
                .await
                .context("starting the node")?;
        let tip = node.tip();
        let consensus_key = node.consensus_key().map(|k| k.to_string());
        tracing::info!(%moniker, node = %node.node_id(), ?consensus_key, height = tip.height, ?tamper, "node started");
        let api = crate::api::router(node.view(), crate::api::ApiOptions::from_config(&rpc)?);
        let limits = crate::api::server::ServeLimits {
            connections_max: rpc.connections_max,
            address_connections_max: rpc.address_connections_max,
            header_read_timeout: std::time::Duration::from_millis(rpc.header_read_timeout_ms),
            ..Default::default()
        };
        let listener = tokio::net::TcpListener::bind(&rpc.listen_addr)
            .await
            .with_context(|| format!("binding the REST API to {}", rpc.listen_addr))?;
        tracing::info!(addr = %listener.local_addr()?, "REST API listening");
        let (stop_api, api_stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            crate::api::server::serve(listener, api, limits, async {
                let _ = api_stopped.await;
            })
            .await
        });
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("installing the SIGTERM handler")?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
            halt = node.stopped() => bail!("{halt}; exiting so that the node is restarted"),
        }
        tracing::info!(%moniker, "stopping");
        let _ = stop_api.send(());
        let _ = server.await;
        node.stop().await;
        Ok(())
    })
}
