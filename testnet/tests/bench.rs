//! The benchmark's smoke run, so it cannot rot: `ebl-testnet bench --smoke` runs every phase on a
//! real four-validator network for a few seconds at a low rate, and its report must account for
//! every submitted transfer and pass the chain check. What it asserts is bookkeeping and
//! correctness, never speed: the figures of a smoke run on a busy CI machine mean nothing.
//!
//! Needs the `ebl-node` binary beside this one (`cargo test --workspace` builds it).

use std::process::Command;

use ebl_testnet::report::BenchReport;

const BIN: &str = env!("CARGO_BIN_EXE_ebl-testnet");

#[test]
fn a_smoke_run_accounts_for_every_transfer_and_passes_the_chain_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("report");
    let output = Command::new(BIN)
        .arg("--dir")
        .arg(dir.path())
        .args(["bench", "--smoke", "--quiet", "--out"])
        .arg(&out)
        .env_remove("EBL_TESTNET_DIR")
        .output()
        .expect("ebl-testnet runs");
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "bench --smoke failed:\n{text}");

    let json = std::fs::read_to_string(out.join("report.json")).expect("report.json written");
    let report: BenchReport = serde_json::from_str(&json).expect("report.json parses");
    assert_eq!(report.runs.len(), 1);
    let run = &report.runs[0];
    let o = &run.outcomes;
    // Every submitted transfer is accounted for: admitted or refused at admission; every admitted
    // one committed exactly once.
    let refused: u64 = o.refused_at_admission.values().sum();
    assert_eq!(o.submitted, run.setup.presigned as u64, "the whole schedule was submitted");
    assert_eq!(o.admitted + refused, o.submitted);
    assert_eq!((o.lost, o.duplicated), (0, 0));
    let committed_refused: u64 = o.committed_refused.values().sum();
    assert_eq!(o.committed_success + committed_refused, o.admitted);
    assert!(o.committed_success > 0, "transfers were committed: {o:?}");
    // The chain check ran over every node and found every commit.
    assert!(run.check.passed, "chain check: {:?}", run.check.error);
    assert_eq!(run.check.tips.len(), 4);
    assert!(run.check.acked_found_on_every_node as u64 >= o.committed_success);
    assert!(run.correct());
    // Every phase produced its figures.
    assert!(run.latency.count > 0 && run.latency.p50_ms <= run.latency.p99_ms);
    assert!(run.latency.p99_ms <= run.latency.max_ms);
    let reads = run.reads.as_ref().expect("reads measured");
    assert!(reads.ok > 0 && reads.errors == 0, "{reads:?}");
    let sync = run.sync.as_ref().expect("sync measured");
    assert!(sync.height > 0 && sync.txs >= o.committed_success, "{sync:?}");
    assert_eq!(run.memory.len(), 4);
    assert!(run.memory.iter().all(|m| m.peak_mib > 0.0 && m.peak_mib >= m.rss_mib), "{:?}", run.memory);
    assert!(run.verify.per_signature_us > 0.0 && run.verify.ceiling_tps > 0.0);
    assert!(!run.series.is_empty());
    assert!(!report.summary.is_empty());
    // The Markdown and the plot are written beside the JSON.
    let md = std::fs::read_to_string(out.join("report.md")).expect("report.md written");
    assert!(md.contains("| committed title transfers per second (window) |"), "{md}");
    let svg = std::fs::read_to_string(out.join("latency.svg")).expect("latency.svg written");
    assert!(svg.starts_with("<svg") && svg.contains("<polyline"));
    // The run's network is gone (it is not kept without --keep).
    assert!(!dir.path().join("bench-run-1").exists());
}

#[test]
fn bad_arguments_are_refused_with_a_message_before_anything_runs() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (args, expected) in [
        (&["--warmup-s=-1"][..], "--warmup-s must be a number of seconds"),
        (&["--window-s", "0"][..], "must be above zero"),
        (&["--rate", "0"][..], "--rate must be a positive number"),
        (&["--rate", "NaN"][..], "--rate must be a positive number"),
        (&["--lanes", "0"][..], "must be above zero"),
    ] {
        let output = Command::new(BIN)
            .arg("--dir")
            .arg(dir.path())
            .arg("bench")
            .args(args)
            .env_remove("EBL_TESTNET_DIR")
            .output()
            .expect("ebl-testnet runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?} accepted");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?} panicked: {stderr}");
    }
    // Nothing was created.
    assert!(!dir.path().join("bench-run-1").exists());
}

/// `ebl-testnet` with `args`, its output, and whether it succeeded.
fn run(args: &[&std::ffi::OsStr]) -> (bool, String, String) {
    let output =
        Command::new(BIN).args(args).env_remove("EBL_TESTNET_DIR").output().expect("ebl-testnet runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_kept_chain_replays_from_the_node_and_from_its_saved_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = |name: &str| dir.path().join(name).into_os_string();
    let (ok, out, err) = run(&[
        "--dir".as_ref(),
        &p("net"),
        "bench".as_ref(),
        "--smoke".as_ref(),
        "--quiet".as_ref(),
        "--keep".as_ref(),
        "--no-sync".as_ref(),
        "--reads-s=0".as_ref(),
    ]);
    assert!(ok, "bench --smoke --keep failed:\n{out}{err}");
    let home = dir.path().join("net").join("bench-run-1").join("carrier");
    assert!(home.join("data").exists(), "the run's network is kept");

    let figures = |out: &str| -> serde_json::Value { serde_json::from_str(out).expect("JSON figures") };
    let (ok, out, err) = run(&[
        "replay".as_ref(),
        "--home".as_ref(),
        home.as_os_str(),
        "--save".as_ref(),
        &p("chain.bin"),
        "--into".as_ref(),
        &p("db1"),
        "--json".as_ref(),
    ]);
    assert!(ok, "replay from the node failed:\n{out}{err}");
    let json_start = out.find('{').expect("figures after the saved line");
    assert!(out.starts_with("saved "), "{out}");
    let from_node = figures(&out[json_start..]);
    let blocks = from_node["blocks"].as_u64().expect("blocks");
    let transactions = from_node["transactions"].as_u64().expect("transactions");
    assert!(blocks > 0 && transactions > 0, "{from_node}");
    assert!(from_node["cpuSeconds"].as_f64().expect("cpu") > 0.0, "{from_node}");
    assert!(from_node["databaseBytes"].as_u64().expect("bytes") > 0, "{from_node}");

    // The saved chain replays the same blocks and transactions; from a height on, only those.
    let (ok, out, err) = run(&[
        "replay".as_ref(),
        "--chain".as_ref(),
        &p("chain.bin"),
        "--into".as_ref(),
        &p("db2"),
        "--json".as_ref(),
    ]);
    assert!(ok, "replay from the file failed:\n{out}{err}");
    let from_file = figures(&out);
    assert_eq!(
        (from_file["blocks"].as_u64(), from_file["transactions"].as_u64()),
        (Some(blocks), Some(transactions))
    );
    let (ok, out, err) = run(&[
        "replay".as_ref(),
        "--chain".as_ref(),
        &p("chain.bin"),
        "--into".as_ref(),
        &p("db3"),
        "--from".as_ref(),
        "2".as_ref(),
        "--json".as_ref(),
    ]);
    assert!(ok, "replay from height 2 failed:\n{out}{err}");
    assert_eq!(figures(&out)["blocks"].as_u64(), Some(blocks - 1));

    // A database that is there already is not written over; a file that is not a chain is refused.
    let (ok, _, err) =
        run(&["replay".as_ref(), "--chain".as_ref(), &p("chain.bin"), "--into".as_ref(), &p("db2")]);
    assert!(!ok && err.contains("is not empty"), "{err}");
    let bytes = std::fs::read(dir.path().join("chain.bin")).expect("saved chain");
    std::fs::write(dir.path().join("cut.bin"), &bytes[..bytes.len() / 2]).expect("write");
    let (ok, _, err) =
        run(&["replay".as_ref(), "--chain".as_ref(), &p("cut.bin"), "--into".as_ref(), &p("db4")]);
    assert!(!ok && err.contains("is not a saved chain"), "{err}");
    assert!(!dir.path().join("db4").exists(), "nothing written for a refused chain");
}
