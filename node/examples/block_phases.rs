//! What a full block of title transfers costs a validator on RocksDB, phase by phase, on one
//! thread: the proposer's build (execution + state root), another validator's validation
//! (signatures, execution, state root, every root compared) and the commit of each.
//!
//! Two validators, each with its own database in a temporary directory, share the genesis of
//! the standard cast plus `TRADERS` traders; the carrier issues `BLS` to-order BLs endorsed in
//! blank in full blocks, then every measured block moves `TXS` of them to the next trader.
//! Signatures of the measured blocks are verified by the validator in one batch (as for a
//! block whose transactions it had not seen); the proposer takes them as verified (its mempool
//! did that at admission).
//!
//! Run: `cargo run --release --example block_phases [blocks]` (default 6 measured blocks).

// The clock of a measuring tool (std's, re-exported; the workspace keeps `std::time` out of state code).
use tokio::time::Instant;

use ebl_contracts::testkit::{to_order, Cast, CHAIN_ID, GENESIS_TIME_MS};
use ebl_ledger::action::{ExternalCodes, RegisterParty};
use ebl_ledger::records::{Role, RoleSet};
use ebl_ledger::{Action, BlId, Keypair, Transaction, TxBody, VerifiedTx};
use ebl_node::app::{App, BlockLimits, PreparedBlock};
use ebl_node::genesis::{GenesisFile, ValidatorInfo};
use ebl_node::storage::Storage;

const TRADERS: usize = 400;
const BLS: usize = 15_000;
const TXS: usize = 5_000;
const LIMITS: BlockLimits = BlockLimits { txs_max: TXS, bytes_max: 8 * 1024 * 1024 };

fn genesis(cast: &Cast, traders: &[Keypair]) -> GenesisFile {
    let mut g = cast.genesis();
    g.parties.extend(traders.iter().enumerate().map(|(i, k)| RegisterParty {
        party: k.party(),
        legal_name: format!("Bench Trader {i:03} Ltd"),
        roles: RoleSet::of(&[Role::Trader]),
        codes: ExternalCodes::default(),
    }));
    // The application never reads the validator set; a genesis file names at least one.
    let validators = vec![ValidatorInfo {
        name: "carrier".into(),
        operator: cast.carrier.party(),
        consensus_key: Keypair::for_test("carrier/consensus").party(),
        node_key: Keypair::for_test("carrier/node").party(),
        voting_power: 1,
        p2p_address: "/ip4/127.0.0.1/tcp/27000".into(),
    }];
    GenesisFile {
        chain_id: g.chain_id,
        genesis_time_ms: g.genesis_time_ms,
        validators,
        parties: g.parties,
        registrar_quorum: 1,
    }
}

fn reference(i: usize) -> String {
    format!("HHL7{i:07}")
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1_000.0
}

struct Phases {
    build: f64,
    validate: f64,
    commit_proposer: f64,
    commit_validator: f64,
}

/// The proposer builds from `txs`, the validator validates; both commit.
fn decide(proposer: &mut App, validator: &mut App, key: &Keypair, txs: Vec<Transaction>) -> Phases {
    let time = GENESIS_TIME_MS + (proposer.tip().height + 1) * 1_000;
    let n = txs.len();
    let candidates: Vec<VerifiedTx> = txs.into_iter().map(VerifiedTx::assume_verified).collect();
    let t = Instant::now();
    let built: PreparedBlock = proposer.build_block(time, key.party(), candidates, LIMITS).expect("build");
    let build = ms(t);
    assert_eq!(built.block().txs.len(), n, "every candidate is included: {:?}", built.left_out().first());
    assert!(built.receipts().iter().all(|r| r.is_success()), "every transaction succeeds");
    let t = Instant::now();
    let checked = validator.validate_block(built.block().clone(), time, 2_000).expect("valid block");
    let validate = ms(t);
    let t = Instant::now();
    proposer.commit(&built, b"certificate").expect("commit");
    let commit_proposer = ms(t);
    let t = Instant::now();
    validator.commit(&checked, b"certificate").expect("commit");
    let commit_validator = ms(t);
    Phases { build, validate, commit_proposer, commit_validator }
}

fn signed(key: &Keypair, nonce: u64, action: Action) -> Transaction {
    TxBody { chain_id: CHAIN_ID.into(), nonce, signers: vec![key.party()], action }.sign(&[key])
}

fn main() {
    let blocks: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(6);
    let cast = Cast::new();
    let traders: Vec<Keypair> =
        (0..TRADERS).map(|i| Keypair::for_test(&format!("bench trader {i}"))).collect();
    let genesis = genesis(&cast, &traders);
    let (dir_a, dir_b) = (tempfile::tempdir().expect("temp dir"), tempfile::tempdir().expect("temp dir"));
    let mut a = App::open(Storage::open(dir_a.path()).expect("open"), &genesis).expect("genesis");
    let mut b = App::open(Storage::open(dir_b.path()).expect("open"), &genesis).expect("genesis");

    let t = Instant::now();
    let issues: Vec<Transaction> = (0..BLS)
        .map(|i| signed(&cast.carrier, i as u64, to_order(&reference(i), &traders[i % TRADERS], None)))
        .collect();
    // Issuances carry the DCSA document: about 2,000 fit the block byte limit.
    for chunk in issues.chunks(2_000) {
        decide(&mut a, &mut b, &cast.carrier, chunk.to_vec());
    }
    println!("set-up: {BLS} BLs issued to {TRADERS} traders in {:.0} ms", ms(t));

    // BL i is held by trader (i + moves) % TRADERS after `moves` transfers.
    let mut nonces = vec![0u64; TRADERS];
    let mut moves = vec![0usize; BLS];
    let mut next_bl = 0;
    println!(
        "block  txs   build ms  validate ms  commit(p) ms  commit(v) ms  µs/tx (build+validate+2 commits)/2"
    );
    let mut all: Vec<Phases> = Vec::new();
    for round in 0..blocks {
        let txs: Vec<Transaction> = (0..TXS)
            .map(|_| {
                let i = next_bl % BLS;
                next_bl += 1;
                let from = (i + moves[i]) % TRADERS;
                let to = (from + 1) % TRADERS;
                moves[i] += 1;
                let bl = BlId::new(&cast.carrier.party(), &reference(i));
                let tx =
                    signed(&traders[from], nonces[from], Action::Transfer { bl, to: traders[to].party() });
                nonces[from] += 1;
                tx
            })
            .collect();
        let (p, v) = if round % 2 == 0 { (&mut a, &mut b) } else { (&mut b, &mut a) };
        let key = if round % 2 == 0 { &cast.carrier } else { &cast.bank };
        let ph = decide(p, v, key, txs);
        let per_tx =
            (ph.build + ph.validate + ph.commit_proposer + ph.commit_validator) / 2.0 * 1_000.0 / TXS as f64;
        println!(
            "{:>5}  {TXS}  {:>8.0}  {:>11.0}  {:>12.0}  {:>12.0}  {per_tx:>6.1}",
            round + 1,
            ph.build,
            ph.validate,
            ph.commit_proposer,
            ph.commit_validator
        );
        all.push(ph);
    }
    let median = |f: fn(&Phases) -> f64| {
        let mut v: Vec<f64> = all.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    let (build, validate) = (median(|p| p.build), median(|p| p.validate));
    let (commit_p, commit_v) = (median(|p| p.commit_proposer), median(|p| p.commit_validator));
    println!(
        "median ms over {blocks} blocks: build {build:.0}, validate {validate:.0}, commit {commit_p:.0} / {commit_v:.0}; \
         µs per transfer: build {:.1}, validate {:.1}, commit {:.1}",
        build * 1_000.0 / TXS as f64,
        validate * 1_000.0 / TXS as f64,
        (commit_p + commit_v) / 2.0 * 1_000.0 / TXS as f64
    );
}
