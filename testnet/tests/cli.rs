//! The `ebl-testnet` binary as a newcomer uses it: `up` builds a four-validator network of
//! `ebl-node` processes and tells the demo story; `status`, `partition`, `heal`, `stop`, `start`,
//! `kill`, `pause`, `resume` and `down` act on a running network from another process.
//!
//! Needs the `ebl-node` binary beside this one (`cargo test --workspace` builds it).

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_ebl-testnet");

fn testnet(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("--dir")
        .arg(dir)
        .args(args)
        .env_remove("EBL_TESTNET_DIR")
        .output()
        .expect("ebl-testnet runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

/// The `up` process, killed on drop whatever happens to the test (its nodes are its children
/// and are stopped by `down`, or killed with it by the test's end).
struct Up(Child);

impl Drop for Up {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn up_tells_the_whole_story_of_a_bill_of_lading_and_exits_cleanly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let net = dir.path().join("net");
    let output = testnet(&net, &["up", "--base-port", "0", "--exit-after-demo"]);
    let out = text(&output);
    assert!(output.status.success(), "{out}");
    for expected in [
        "4 validators on 127.0.0.1",
        "issued to order of the shipper",
        "verified by customs: possessor shipper, ISSUED",
        "verified by customs: possessor bank, ISSUED",
        "lien HELD_BY_THIS_BANK",
        "passed=false, lien HELD_BY_OTHER_BANK",
        "verified by customs: possessor consignee, ISSUED",
        "verified by customs: possessor carrier, SURRENDERED_FOR_DELIVERY",
        "as terminal sees it: HELD",
        "as haulier sees it: PICKUP_ASSIGNED",
        "as consignee sees it: EMPTY_RETURNED",
        "ISSUE → ENDORSE_TO_ORDER → TRANSFER → CREATE_LIEN → RELEASE_LIEN → ENDORSE → TRANSFER → SURRENDER_FOR_DELIVERY → SACC",
        "stopped; data and logs stay in",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    // Every step names its transaction and height.
    assert!(
        out.lines().filter(|l| l.trim_start().starts_with("h=") && l.contains(" tx ")).count() >= 20,
        "{out}"
    );
    // Each validator wrote its log and kept its database; no network is left running.
    for name in ["carrier", "bank", "customs", "terminal"] {
        let log = std::fs::read_to_string(net.join(name).join("node.log")).expect("node log");
        assert!(log.contains("node started"), "{name}: {log}");
        assert!(net.join(name).join("data").is_dir());
    }
    // Every party's key is there as PEM, to sign in to the web portal with; and the shipper's copy
    // of the document, to verify there.
    assert!(out.contains("web portal: http://127.0.0.1:"), "{out}");
    for name in ["carrier", "bank", "customs", "terminal", "shipper", "consignee", "haulier"] {
        let pem = std::fs::read_to_string(net.join("parties").join(format!("{name}.pem"))).expect("key");
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{name}");
    }
    let documents = std::fs::read_dir(net.join("documents")).expect("documents").count();
    assert_eq!(documents, 1);
    let status = testnet(&net, &["status"]);
    assert!(!status.status.success());
    assert!(text(&status).contains("no network is running"), "{}", text(&status));
}

/// Checks `done` every 100 ms until it holds; fails after `limit`.
fn poll(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let step = Duration::from_millis(100);
    for _ in 0..(limit.as_millis() / step.as_millis()) {
        if done() {
            return;
        }
        std::thread::sleep(step);
    }
    panic!("waited {limit:?} for {what}");
}

fn status_line<'a>(status: &'a str, node: &str) -> &'a str {
    status.lines().find(|l| l.starts_with(node)).unwrap_or("")
}

#[test]
fn a_running_network_is_controlled_from_another_process() {
    let dir = tempfile::tempdir().expect("temp dir");
    let net = dir.path().join("net");
    let log = std::fs::File::create(dir.path().join("up.log")).expect("log");
    let up = Command::new(BIN)
        .arg("--dir")
        .arg(&net)
        .args(["up", "--no-demo", "--base-port", "0"])
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("up starts");
    let mut up = Up(up);
    let up_log = || std::fs::read_to_string(dir.path().join("up.log")).unwrap_or_default();
    poll("up to start", Duration::from_secs(120), || {
        assert!(up.0.try_wait().expect("wait").is_none(), "up exited: {}", up_log());
        net.join("control.json").exists()
    });
    let ok = |args: &[&str]| {
        let output = testnet(&net, args);
        assert!(output.status.success(), "{args:?}: {}", text(&output));
        text(&output)
    };

    let status = ok(&["status"]);
    for name in ["carrier", "bank", "customs", "terminal"] {
        assert!(status_line(&status, name).contains("RUNNING"), "{status}");
    }
    assert!(status.contains("links: all up"), "{status}");

    assert!(ok(&["partition", "carrier,bank", "customs,terminal"]).contains("cut"));
    let status = ok(&["status"]);
    assert!(
        status.contains("links cut: carrier×customs carrier×terminal bank×customs bank×terminal"),
        "{status}"
    );
    ok(&["heal"]);
    assert!(ok(&["status"]).contains("links: all up"));

    ok(&["stop", "bank"]);
    assert!(status_line(&ok(&["status"]), "bank").contains("STOPPED"));
    ok(&["start", "bank"]);
    assert!(status_line(&ok(&["status"]), "bank").contains("RUNNING"));
    ok(&["pause", "customs"]);
    assert!(status_line(&ok(&["status"]), "customs").contains("PAUSED"));
    ok(&["resume", "2"]);
    assert!(status_line(&ok(&["status"]), "customs").contains("RUNNING"));
    ok(&["kill", "terminal"]);
    assert!(status_line(&ok(&["status"]), "terminal").contains("STOPPED"));
    ok(&["start", "terminal"]);

    let unknown = testnet(&net, &["stop", "nobody"]);
    assert!(!unknown.status.success());
    assert!(
        text(&unknown).contains("the validators are carrier, bank, customs, terminal"),
        "{}",
        text(&unknown)
    );

    assert!(ok(&["down"]).contains("network is down"));
    let mut code = None;
    poll("up to exit after down", Duration::from_secs(30), || {
        code = up.0.try_wait().expect("wait");
        code.is_some()
    });
    let code = code.expect("exited");
    assert!(code.success(), "{}", up_log());
    assert!(!net.join("control.json").exists());
}
