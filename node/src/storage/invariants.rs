//! Start-up invariants (STYLE §9, after reth's `providers/rocksdb/invariants.rs`): before the
//! node serves or extends its chain, the tip, the block store and the state tree must agree.
//!
//! Every block is written with its state and its tip in one synced batch, so on a healthy
//! disk these checks cannot fail; when they do, the database was damaged or edited, and
//! starting would serve (or vote on) a state nobody committed. The checks read only the tip
//! block and its parent's hash, so start-up time does not grow with the chain.

use ebl_ledger::{Hash, StateTree};

use super::layout::*;
use super::{Result, Storage, StorageError, Tip};

fn violated(message: String) -> StorageError {
    tracing::error!(%message, "storage invariant violated");
    StorageError::Invariant(message)
}

pub(super) fn check(storage: &Storage) -> Result<()> {
    let head = storage.head().clone();
    match head.tip {
        None => check_empty(storage, head.chain_id.is_some()),
        Some(tip) => {
            let Some(chain_id) = head.chain_id else {
                return Err(violated(format!("tip at height {} but no chain id recorded", tip.height)));
            };
            check_blocks(storage, &tip, &chain_id)?;
            check_state(storage, &tip)
        }
    }
}

/// No tip: nothing may have been committed at all.
fn check_empty(storage: &Storage, has_chain_id: bool) -> Result<()> {
    if has_chain_id {
        return Err(violated("a chain id is recorded but no tip".into()));
    }
    if let Some(height) = storage.highest_block()? {
        return Err(violated(format!("no tip recorded but block {height} is stored")));
    }
    if !storage.is_empty(CF_JMT_NODES)? {
        return Err(violated("no tip recorded but state nodes are stored".into()));
    }
    Ok(())
}

/// The block store ends at the tip, and the tip block is the one the tip names.
fn check_blocks(storage: &Storage, tip: &Tip, chain_id: &str) -> Result<()> {
    let highest = storage.highest_block()?;
    if tip.height == 0 {
        if let Some(height) = highest {
            return Err(violated(format!("the tip is genesis but block {height} is stored")));
        }
        if tip.block_hash != Hash::ZERO {
            return Err(violated(format!("the genesis tip names block {}", tip.block_hash)));
        }
        let genesis_root = storage.genesis_state_root()?;
        if genesis_root != Some(tip.state_root) {
            return Err(violated(format!(
                "the genesis tip has state root {}, the recorded genesis state root is {genesis_root:?}",
                tip.state_root
            )));
        }
        return Ok(());
    }
    if highest != Some(tip.height) {
        return Err(violated(format!(
            "the tip is at height {} but the highest stored block is {highest:?}",
            tip.height
        )));
    }
    let Some(block) = storage.block(tip.height)? else {
        return Err(violated(format!("block {} of the tip is missing", tip.height)));
    };
    let header = &block.header;
    if header.height != tip.height {
        return Err(violated(format!("block stored at height {} says height {}", tip.height, header.height)));
    }
    let hash = block.hash();
    if hash != tip.block_hash {
        return Err(violated(format!(
            "block {} hashes to {hash}, the tip names {}",
            tip.height, tip.block_hash
        )));
    }
    let indexed = storage.block_hash(tip.height)?;
    if indexed != Some(hash) {
        return Err(violated(format!(
            "block {} hashes to {hash}, the hash index says {indexed:?}",
            tip.height
        )));
    }
    if header.state_root != tip.state_root {
        return Err(violated(format!(
            "block {} header has state root {}, the tip says {}",
            tip.height, header.state_root, tip.state_root
        )));
    }
    if header.time_ms != tip.time_ms {
        return Err(violated(format!(
            "block {} header has time {} ms, the tip says {} ms",
            tip.height, header.time_ms, tip.time_ms
        )));
    }
    if header.chain_id != chain_id {
        return Err(violated(format!(
            "block {} is for chain {:?}, the database holds chain {chain_id:?}",
            tip.height, header.chain_id
        )));
    }
    let parent = if tip.height == 1 { Some(Hash::ZERO) } else { storage.block_hash(tip.height - 1)? };
    if parent != Some(header.parent_hash) {
        return Err(violated(format!(
            "block {} has parent {}, the stored block {} hashes to {parent:?}",
            tip.height,
            header.parent_hash,
            tip.height - 1
        )));
    }
    match storage.receipts(tip.height)? {
        Some(receipts) if receipts.len() == block.txs.len() => {}
        Some(receipts) => {
            return Err(violated(format!(
                "block {} has {} transactions but {} receipts",
                tip.height,
                block.txs.len(),
                receipts.len()
            )))
        }
        None => return Err(violated(format!("receipts of block {} are missing", tip.height))),
    }
    if storage.certificate(tip.height)?.is_none() {
        return Err(violated(format!("certificate of block {} is missing", tip.height)));
    }
    Ok(())
}

/// The state tree at the tip's version has the tip's root.
fn check_state(storage: &Storage, tip: &Tip) -> Result<()> {
    let root = StateTree::new(storage.clone()).root_at(tip.height)?;
    if root != tip.state_root {
        return Err(violated(format!(
            "the JMT root at version {} is {root}, the tip's state root is {}",
            tip.height, tip.state_root
        )));
    }
    Ok(())
}
