//! The chain checker: after a scenario, with every node stopped, it opens each node's RocksDB and
//! walks its chain.
//!
//! * every node's chain links by parent hash, and any two nodes have the same block at every
//!   height both hold (no fork);
//! * every block's commit certificate proves it final for the genesis validators (more than two
//!   thirds of the voting power, each signature checked);
//! * replaying every block from the genesis on a new, empty database — re-executing each
//!   transaction and recomputing each root — gives each header's state root and each stored
//!   receipt;
//! * every transaction a node acknowledged as committed is on every node, at the height that was
//!   acknowledged.

use std::collections::BTreeMap;

use crate::{Ack, Testnet};
use anyhow::{bail, ensure, Context, Result};
use ebl_ledger::{Certificate, Hash, PartyId};
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
    let validators: Vec<(PartyId, u64)> =
        genesis.validators.iter().map(|v| (v.party, v.voting_power)).collect();
    let mut chains = Vec::new();
    for node in net.nodes() {
        let storage = Storage::open(&node.data_dir())
            .with_context(|| format!("opening {}'s database (is it stopped?)", node.name))?;
        let tip = storage.tip()?.with_context(|| format!("{} has no genesis", node.name))?.height;
        chains.push(NodeChain { name: node.name.clone(), tip, storage });
    }

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
                .verify(&genesis.chain_id, &validators, &block.header)
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
    let longest = chains.iter().max_by_key(|c| c.tip).context("no nodes")?;
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
