//! Replaying a stored chain on an empty database, timed: what one validator spends validating
//! and committing blocks (every signature batch-verified, every transaction executed, every
//! root recomputed, every block written) with no network, consensus or mempool beside it.
//!
//! The blocks are read (from a stopped node's database, or from a chain saved to a file) before
//! the clock starts, and the figures include the flushes and compactions the writes caused (the
//! database is settled before the clock stops), so two builds of the node replaying the same
//! chain do the same work and their figures compare that work alone — a steadier comparison of a
//! storage or execution change than two network runs, whose load and block sizes differ from run
//! to run.

use std::path::Path;

use anyhow::{ensure, Context, Result};
use ebl_ledger::Block;
use ebl_node::app::App;
use ebl_node::genesis::GenesisFile;
use ebl_node::storage::Storage;
use serde::Serialize;
use tokio::time::Instant;

/// What a replay measured.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplayFigures {
    pub blocks: u64,
    pub transactions: u64,
    /// From the first block's validation to the settled database.
    pub seconds: f64,
    /// CPU of this whole process (every thread, RocksDB's included) over the same span.
    pub cpu_seconds: f64,
    /// Of `seconds`, the wait for the last flushes and compactions.
    pub settle_seconds: f64,
    pub transactions_per_second: f64,
    pub cpu_us_per_transaction: f64,
    /// Size of the replayed database's files.
    pub database_bytes: u64,
}

impl std::fmt::Display for ReplayFigures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "replayed {} blocks, {} transactions in {:.1} s ({:.0} tx/s; settling the database {:.1} s); \
             CPU {:.1} s ({:.2} cores): {:.1} µs per transaction; database {:.0} MiB",
            self.blocks,
            self.transactions,
            self.seconds,
            self.transactions_per_second,
            self.settle_seconds,
            self.cpu_seconds,
            self.cpu_seconds / self.seconds.max(f64::MIN_POSITIVE),
            self.cpu_us_per_transaction,
            self.database_bytes as f64 / (1024.0 * 1024.0),
        )
    }
}

/// A chain to replay: the genesis file's bytes, then every block with its certificate, in
/// height order. Saved to a file (borsh), it replays on builds that cannot open the source
/// node's database (another storage layout).
#[derive(Debug, Clone, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct Chain {
    pub genesis_json: Vec<u8>,
    pub blocks: Vec<(Block, Vec<u8>)>,
}

impl Chain {
    /// The chain of the node whose home is `home` (its `genesis.json` and `data/`; the node
    /// stopped), up to height `blocks` if given.
    pub fn read_node(home: &Path, blocks: Option<u64>) -> Result<Chain> {
        let genesis_json = std::fs::read(home.join("genesis.json"))
            .with_context(|| format!("reading {}/genesis.json", home.display()))?;
        let source = Storage::open(&home.join("data"))
            .with_context(|| format!("opening the database of {} (is the node stopped?)", home.display()))?;
        let tip = source.tip()?.context("the source database has no genesis")?.height;
        let last = blocks.map_or(tip, |b| b.min(tip));
        let mut chain = Vec::new();
        for h in 1..=last {
            let block = source.block(h)?.with_context(|| format!("block {h} missing"))?;
            chain.push((block, source.certificate(h)?.unwrap_or_default()));
        }
        Ok(Chain { genesis_json, blocks: chain })
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        std::fs::write(path, ebl_ledger::encoding::encode(self))
            .with_context(|| format!("writing {}", path.display()))
    }

    /// A chain [`save`](Self::save)d to `path`, up to height `blocks` if given.
    pub fn load(path: &Path, blocks: Option<u64>) -> Result<Chain> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let mut chain: Chain = ebl_ledger::encoding::decode(&bytes, bytes.len())
            .with_context(|| format!("{} is not a saved chain", path.display()))?;
        if let Some(b) = blocks {
            chain.blocks.truncate(usize::try_from(b).unwrap_or(usize::MAX));
        }
        Ok(chain)
    }
}

/// Replays `chain` on a new database at `into`; the blocks below height `from` before the clock
/// starts (the figures are those of the rest: e.g. the transfers, not the issuance before them).
pub fn replay(chain: Chain, into: &Path, from: u64) -> Result<ReplayFigures> {
    ensure!(
        !into.exists() || std::fs::read_dir(into)?.next().is_none(),
        "{} is not empty: the replay writes a new database there",
        into.display()
    );
    let genesis = GenesisFile::from_json(&chain.genesis_json)?;
    let (before, timed): (Vec<_>, Vec<_>) =
        chain.blocks.into_iter().partition(|(b, _)| b.header.height < from);
    let blocks = timed.len() as u64;
    let transactions: u64 = timed.iter().map(|(b, _)| b.txs.len() as u64).sum();

    let storage = Storage::open(into)?;
    let mut app = App::open(storage.clone(), &genesis)?;
    let apply = |app: &mut App, block: Block, certificate: &[u8]| -> Result<()> {
        let (height, state_root) = (block.header.height, block.header.state_root);
        let prepared =
            app.validate_block(block, u64::MAX, 0).with_context(|| format!("replaying block {height}"))?;
        app.commit(&prepared, certificate)?;
        ensure!(app.tip().state_root == state_root, "replayed state root differs at {height}");
        Ok(())
    };
    for (block, certificate) in before {
        apply(&mut app, block, &certificate)?;
    }
    storage.settle()?;
    let cpu_before = process_cpu_seconds()?;
    let started = Instant::now();
    for (block, certificate) in timed {
        apply(&mut app, block, &certificate)?;
    }
    let settling = Instant::now();
    storage.settle()?;
    let settle_seconds = settling.elapsed().as_secs_f64();
    let seconds = started.elapsed().as_secs_f64();
    let cpu_seconds = process_cpu_seconds()? - cpu_before;
    Ok(ReplayFigures {
        blocks,
        transactions,
        seconds,
        cpu_seconds,
        settle_seconds,
        transactions_per_second: transactions as f64 / seconds.max(f64::MIN_POSITIVE),
        cpu_us_per_transaction: cpu_seconds * 1e6 / (transactions.max(1) as f64),
        database_bytes: directory_bytes(into)?,
    })
}

/// User plus system time of this process so far, every thread counted.
fn process_cpu_seconds() -> Result<f64> {
    crate::procfs::cpu_seconds("self").context("/proc/self/stat does not give this process's CPU time")
}

fn directory_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let meta = entry?.metadata()?;
        if meta.is_file() {
            total += meta.len();
        }
    }
    Ok(total)
}
