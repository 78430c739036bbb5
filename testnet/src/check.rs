//! The chain checker: after a scenario, with every node stopped, it opens each node's RocksDB and
//! walks its chain.
//!
//! * every node's chain links by parent hash, and any two nodes have the same block at every
//!   height both hold (no fork);
//! * every block's commit certificate proves it final for the validator set of its height (more
//!   than two thirds of the voting power, each signature checked): the genesis set until a
//!   governance change, then each epoch from its effective height (ADR 0019), as the ledger of
//!   the longest chain records them;
//! * replaying every block from the genesis on a new, empty database — re-executing each
//!   transaction and recomputing each root — gives each header's state root and each stored
//!   receipt;
//! * every transaction a node acknowledged as committed is on every node, at the height that was
//!   acknowledged.

use std::collections::BTreeMap;

use crate::{Ack, Testnet};
use anyhow::{bail, ensure, Context, Result};
use ebl_ledger::governance::{epoch_of_height, read_epochs, ValidatorEpoch};
use ebl_ledger::{Certificate, Hash, PartyId, StateTree};
use ebl_node::app::App;
use ebl_node::genesis::GenesisFile;
use ebl_node::storage::Storage;

/// What the checker saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSummary {
    /// Each node's committed height.
    pub tips: Vec<u64>,
    /// Blocks replayed from the genesis.
    pub replayed: u64,
    /// Acknowledged transactions found on every node.
    pub acked: usize,
}

/// One node's chain, read from its database.
struct NodeChain {
    name: String,
    tip: u64,
    storage: Storage,
}

/// Checks the chains of every node of `net` (all must be stopped) and that each of `acked` is
/// on each of them.
pub fn check_network(net: &Testnet, acked: &[Ack]) -> Result<ChainSummary> {
    let genesis = GenesisFile::load(&net.genesis_file())?;
    let mut chains = Vec::new();
    for node in net.nodes() {
        let storage = Storage::open(&node.data_dir())
            .with_context(|| format!("opening {}'s database (is it stopped?)", node.name))?;
        let tip = storage.tip()?.with_context(|| format!("{} has no genesis", node.name))?.height;
        chains.push(NodeChain { name: node.name.clone(), tip, storage });
    }

    // The validator set of every height: the epochs the longest chain's state holds (every epoch
    // is kept), checked against the genesis file's set for epoch 0.
    let longest = chains.iter().max_by_key(|c| c.tip).context("no nodes")?;
    let epochs = read_epochs(&StateTree::new(longest.storage.clone()))?;
    let genesis_set = genesis.powers();
    ensure!(
        epochs.first().map(ValidatorEpoch::powers).as_ref().map(|p| sorted(p.clone()))
            == Some(sorted(genesis_set.clone())),
        "the ledger's epoch 0 is not the genesis file's validator set"
    );
    let set_of = |h: u64| -> Result<Vec<(PartyId, u64)>> {
        Ok(epoch_of_height(&epochs, h)
            .with_context(|| format!("no validator epoch runs height {h}"))?
            .powers())
    };

    // Per node: the chain links, every certificate holds; and one hash per height across nodes.
    let mut hashes: BTreeMap<u64, (Hash, String)> = BTreeMap::new();
    for chain in &chains {
        let mut parent = Hash::ZERO;
        for h in 1..=chain.tip {
            let block =
                chain.storage.block(h)?.with_context(|| format!("{}: block {h} missing", chain.name))?;
            let hash = block.hash();
            ensure!(
                block.header.height == h,
                "{}: block at {h} says height {}",
                chain.name,
                block.header.height
            );
            ensure!(
                block.header.parent_hash == parent,
                "{}: block {h} names parent {}, block {} is {parent}",
                chain.name,
                block.header.parent_hash,
                h - 1
            );
            let bytes = chain
                .storage
                .certificate(h)?
                .with_context(|| format!("{}: certificate {h} missing", chain.name))?;
            let certificate: Certificate =
                ebl_ledger::encoding::decode(&bytes, ebl_node::storage::layout::CERTIFICATE_BYTES_MAX)
                    .with_context(|| format!("{}: certificate {h} does not decode", chain.name))?;
            certificate
                .verify(&genesis.chain_id, &set_of(h)?, &block.header)
                .with_context(|| format!("{}: certificate of block {h}", chain.name))?;
            match hashes.get(&h) {
                Some((other, who)) if *other != hash => {
                    bail!("fork at height {h}: {} has {hash}, {who} has {other}", chain.name)
                }
                Some(_) => {}
                None => {
                    hashes.insert(h, (hash, chain.name.clone()));
                }
            }
            parent = hash;
        }
    }

    // Replay the longest chain from the genesis on an empty database.
    let scratch = tempfile::tempdir()?;
    let mut app = App::open(Storage::open(scratch.path())?, &genesis)?;
    for h in 1..=longest.tip {
        let block = longest.storage.block(h)?.with_context(|| format!("block {h} missing"))?;
        let state_root = block.header.state_root;
        let prepared = app
            .validate_block(block, u64::MAX, 0)
            .with_context(|| format!("replaying block {h} from the genesis"))?;
        let stored = longest.storage.receipts(h)?.with_context(|| format!("receipts {h} missing"))?;
        ensure!(
            prepared.receipts() == stored.as_slice(),
            "replayed receipts of block {h} differ from {}'s",
            longest.name
        );
        let certificate = longest.storage.certificate(h)?.unwrap_or_default();
        app.commit(&prepared, &certificate)?;
        ensure!(app.tip().state_root == state_root, "replayed state root differs at {h}");
    }
    for chain in &chains {
        let tip = chain.storage.tip()?.context("tip")?;
        let replayed_root = if tip.height == 0 {
            chain.storage.genesis_state_root()?.unwrap_or(Hash::ZERO)
        } else {
            longest.storage.block(tip.height)?.context("block")?.header.state_root
        };
        ensure!(
            tip.state_root == replayed_root,
            "{}: state root {} at its tip {} is not the replayed {replayed_root}",
            chain.name,
            tip.state_root,
            tip.height
        );
    }

    // Every acknowledged commit is on every node, where it was acknowledged.
    for ack in acked {
        for chain in &chains {
            let location = chain.storage.tx_location(&ack.tx_id)?;
            ensure!(
                location.map(|(h, _)| h) == Some(ack.height),
                "{}: transaction {} acknowledged at height {} is at {location:?} (tip {})",
                chain.name,
                ack.tx_id,
                ack.height,
                chain.tip
            );
        }
    }
    Ok(ChainSummary {
        tips: chains.iter().map(|c| c.tip).collect(),
        replayed: longest.tip,
        acked: acked.len(),
    })
}

/// `powers` in key order, to compare sets listed in different orders.
fn sorted(mut powers: Vec<(PartyId, u64)>) -> Vec<(PartyId, u64)> {
    powers.sort();
    powers
}
