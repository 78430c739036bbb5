//! A validator process killed with SIGKILL in the middle of committing blocks restarts with no
//! partial block, no lost committed transaction and the same state root as its peers.
//!
//! Three validators run in this process and take the load; the fourth is an `ebl-node run`
//! process that is killed five times at pseudo-random moments (fixed seed) and restarted on the
//! same data directory. At the end it is stopped cleanly, its database is reopened (the start-up
//! invariants run) and compared block by block with the others.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ebl_contracts::testkit::{to_order, TestLedger};
use ebl_ledger::TxId;
use ebl_node::app::App;
use ebl_node::storage::Storage;
use ebl_node::testkit::{TestNet, WAIT};

/// The child process, killed on drop whatever happens to the test.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(home: &Path, run: u32) -> Process {
    let log = std::fs::File::create(home.join(format!("node-{run}.log"))).expect("log file");
    let child = Command::new(env!("CARGO_BIN_EXE_ebl-node"))
        .args(["run", "--home"])
        .arg(home)
        .env("RUST_LOG", "ebl_node=info")
        .env_remove("EBL_HOME")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("ebl-node starts");
    Process(child)
}

/// The highest height the process logged as committed, over all its runs.
fn logged_height(home: &Path) -> u64 {
    let mut top = 0;
    for entry in std::fs::read_dir(home).expect("home").flatten() {
        if !entry.file_name().to_string_lossy().ends_with(".log") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
        for line in text.lines().filter(|l| l.contains(" committed ")) {
            if let Some(h) = line.split("height=").nth(1).and_then(|r| r.split_whitespace().next()) {
                top = top.max(h.parse().unwrap_or(0));
            }
        }
    }
    top
}

/// A small deterministic generator, so the kill times are the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next_ms(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        lo + (self.0 >> 33) % (hi - lo)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_killed_mid_commit_restarts_with_every_committed_transaction_and_the_same_root() {
    let mut net = TestNet::new(4);
    for i in 0..3 {
        net.start(i).await;
    }
    let home = net.write_home(3);
    let mut child = spawn(&home, 0);
    let live = [0, 1, 2];
    let mut rng = Lcg(0x5eed);
    let mut acknowledged: Vec<TxId> = Vec::new();
    let mut nonce = 0u64;
    for run in 1..=5u32 {
        // Load: a batch of issues spread over the in-process validators.
        for k in 0..40u64 {
            let reference = format!("KILL{nonce:05}");
            let tx = TestLedger::tx_with_nonce(
                &[&net.cast.carrier],
                to_order(&reference, &net.cast.shipper, None),
                nonce,
            );
            acknowledged.push(net.submit(live[(k % 3) as usize], tx));
            nonce += 1;
        }
        tokio::time::sleep(Duration::from_millis(rng.next_ms(200, 2_000))).await;
        child.0.kill().expect("SIGKILL");
        let _ = child.0.wait();
        child = spawn(&home, run);
    }
    net.wait_for_receipts(&live, &acknowledged).await;
    let target = net.node(0).tip().height;
    let deadline = tokio::time::Instant::now() + WAIT;
    while logged_height(&home) < target {
        assert!(tokio::time::Instant::now() < deadline, "the restarted process did not catch up to {target}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Stop it cleanly (SIGTERM) and reopen its database: the start-up invariants run.
    let status = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let _ = child.0.wait();
    drop(child);
    let storage = Storage::open(&home.join("data")).expect("the killed node's database opens and checks");
    let app = App::open(storage.clone(), &net.genesis).expect("its state matches its genesis");
    let tip = app.tip().clone();
    assert!(tip.height >= target, "it has the chain up to {target}: {}", tip.height);
    for h in 1..=target {
        let ours = storage.block(h).expect("read").expect("block present");
        let theirs = net.node(0).block(h).expect("block present");
        assert_eq!(ours.hash(), theirs.hash(), "block {h}");
        assert!(storage.certificate(h).expect("read").is_some(), "certificate {h}");
    }
    for tx in &acknowledged {
        assert!(storage.tx_location(tx).expect("read").is_some(), "committed transaction {tx} is missing");
    }
    assert_eq!(storage.block(tip.height).expect("read").map(|b| b.header.state_root), Some(tip.state_root));
    net.shutdown().await;
}
