//! The whole story of a bill of lading through the `ebl` CLI against four validators (carrier,
//! bank, customs, terminal) running real consensus over libp2p on 127.0.0.1, each with its own
//! RocksDB and REST API: the DCSA `regularSTDExample` issued to order of the shipper, endorsed
//! to a bank that takes a lien, a finance check that passes for that bank and fails for a
//! second one, the lien released, endorsement to the consignee, surrender and acceptance, the
//! container released, held and freed by customs, the right delegated to a haulier, pickup,
//! gate-out and empty return — with `ebl verify` after each step showing the true possessor and
//! status from a locally checked proof bundle.

use std::path::{Path, PathBuf};
use std::process::Command;

use ebl_ledger::dcsa::DocumentFacts;
use ebl_ledger::{BlId, Keypair};
use ebl_node::testkit::{consensus_key, validator_keys, TestNet};
use serde_json::Value;

const DOCUMENT: &str = include_str!("../../ledger/tests/fixtures/dcsa/regularSTDExample.json");

/// The network and the files a user of `ebl` has: key files, the genesis file, the document.
struct Story {
    dir: tempfile::TempDir,
    urls: Vec<String>,
    views: Vec<ebl_node::node::NodeView>,
    genesis: PathBuf,
    step: usize,
}

/// What one `ebl` run gave: its exit code and its `--json` output.
#[derive(Debug)]
struct Run {
    code: i32,
    json: Value,
    stderr: String,
}

impl Story {
    fn key_file(&self, key: &Keypair) -> PathBuf {
        let path = self.dir.path().join(format!("{}.json", &key.party().to_string()[4..16]));
        if !path.exists() {
            ebl_node::keys::save(key, &path).expect("write key file");
        }
        path
    }

    /// Runs `ebl --json` as `key` against the next node (round robin: any node serves any party).
    async fn ebl(&mut self, key: &Keypair, args: &[&str]) -> Run {
        self.settle().await;
        let node = self.urls[self.step % self.urls.len()].clone();
        self.step += 1;
        let key_file = self.key_file(key);
        let genesis = self.genesis.clone();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            let output =
                Command::new(ebl_testnet::net::find_binary("ebl", "EBL_BIN").expect("the ebl binary"))
                    .arg("--node")
                    .arg(&node)
                    .arg("--key")
                    .arg(&key_file)
                    .arg("--genesis")
                    .arg(&genesis)
                    .arg("--json")
                    .args(&args)
                    .output()
                    .expect("ebl runs");
            let stdout = String::from_utf8_lossy(&output.stdout).to_string();
            Run {
                code: output.status.code().unwrap_or(-1),
                json: serde_json::from_str(&stdout).unwrap_or(Value::String(stdout)),
                stderr: String::from_utf8_lossy(&output.stderr).to_string(),
            }
        })
        .await
        .expect("ebl finished")
    }

    /// Waits until every node has committed what any node has, so that each step reads the
    /// state the previous one left, whichever node it asks.
    async fn settle(&self) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let heights: Vec<u64> = self.views.iter().map(|v| v.tip().height).collect();
            if heights.iter().all(|h| *h == heights[0]) || tokio::time::Instant::now() > deadline {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Runs an action and asserts it committed successfully.
    async fn act(&mut self, key: &Keypair, args: &[&str]) -> Value {
        let run = self.ebl(key, args).await;
        assert_eq!(run.code, 0, "ebl {args:?}: {run:?}");
        assert_eq!(run.json["outcome"], "SUCCESS", "ebl {args:?}: {run:?}");
        run.json
    }

    /// `ebl verify` as `reader`: the proof bundle checks out locally and shows `possessor`
    /// holding the BL in `status`.
    async fn verify(&mut self, reader: &Keypair, bl: &str, possessor: &Keypair, status: &str) {
        let run = self.ebl(reader, &["verify", bl]).await;
        assert_eq!(run.code, 0, "verify: {run:?}");
        assert_eq!(run.json["verified"], true, "{run:?}");
        let record = &run.json["title"]["record"];
        assert_eq!(record["possessor"], possessor.party().to_string(), "{run:?}");
        assert_eq!(record["status"], status, "{run:?}");
    }

    /// The release status of one container, as `reader` sees it.
    async fn container_status(&mut self, reader: &Keypair, bl: &str, equipment: &str) -> String {
        let run = self.ebl(reader, &["release", "status", bl, equipment]).await;
        assert_eq!(run.code, 0, "release status: {run:?}");
        run.json["status"].as_str().unwrap_or_default().to_string()
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_story_through_the_cli_against_four_validators() {
    let mut net = TestNet::new(4);
    net.start_all().await;
    let mut urls = Vec::new();
    for i in 0..4 {
        urls.push(net.serve_api(i).await);
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let genesis = dir.path().join("genesis.json");
    std::fs::write(&genesis, net.genesis.to_json()).expect("write genesis");
    let document = dir.path().join("regularSTDExample.json");
    std::fs::write(&document, DOCUMENT).expect("write document");
    let facts = DocumentFacts::extract(&serde_json::from_str(DOCUMENT).expect("json")).expect("facts");
    let equipment = facts.equipment_references[0].clone();
    let views = (0..4).map(|i| net.node(i).view()).collect();
    let mut story = Story { dir, urls, views, genesis, step: 0 };
    let c = &net.cast;
    let party = |k: &Keypair| k.party().to_string();
    let bl_id = BlId::new(&c.carrier.party(), &facts.transport_document_reference);
    let bl = bl_id.0.to_hex();
    let bl = bl.as_str();

    // The carrier issues the DCSA example to order of the shipper.
    story
        .act(
            &c.carrier,
            &[
                "bl",
                "issue",
                "--document",
                path_str(&document.clone()),
                "--issue-to",
                &party(&c.shipper),
                "--shipper",
                &party(&c.shipper),
                "--endorsee",
                &party(&c.shipper),
            ],
        )
        .await;
    story.verify(&c.shipper, bl, &c.shipper, "ISSUED").await;

    // `ebl --json status` prints the node's status as the node sent it, validators included.
    let status = story.ebl(&c.shipper, &["status"]).await;
    assert_eq!(status.code, 0, "{status:?}");
    let validators = status.json["validators"].as_array().expect("validators");
    let mut listed: Vec<&str> = validators.iter().filter_map(|v| v["consensusKey"].as_str()).collect();
    let mut expected: Vec<String> = (0..4).map(|i| consensus_key(i).party().to_string()).collect();
    listed.sort_unstable();
    expected.sort_unstable();
    assert_eq!(listed, expected, "{status:?}");
    assert!(validators.iter().all(|v| v["votingPower"] == 1), "{status:?}");
    // Each run by its organisation: the operator is the registered party, a key of its own.
    let mut operators: Vec<&str> = validators.iter().filter_map(|v| v["operator"].as_str()).collect();
    let mut organisations: Vec<String> =
        validator_keys(c).iter().take(4).map(|k| k.party().to_string()).collect();
    operators.sort_unstable();
    organisations.sort_unstable();
    assert_eq!(operators, organisations, "{status:?}");

    // Endorsed to order of the bank and handed over; the bank takes a lien.
    story.act(&c.shipper, &["bl", "endorse-to-order", bl, "--to", &party(&c.bank)]).await;
    story.act(&c.shipper, &["bl", "transfer", bl, "--to", &party(&c.bank)]).await;
    story.verify(&c.bank, bl, &c.bank, "ISSUED").await;
    let lien =
        ["lien", "create", bl, "--bank", &party(&c.bank), "--amount-minor", "12500000", "--currency", "USD"];
    let mut lien: Vec<&str> = lien.to_vec();
    lien.extend(["--expires", "+7d", "--finance-ref", "LC-SH-2024-0001"]);
    story.act(&c.bank, &lien).await;

    // The finance check passes for that bank and fails for a second bank: double financing.
    let check = story.ebl(&c.bank, &["finance-check", bl, "--to-order-of-bank"]).await;
    assert_eq!((check.code, check.json["passed"].as_bool()), (0, Some(true)), "{check:?}");
    assert_eq!(check.json["lienStatus"], "HELD_BY_THIS_BANK");
    let check = story
        .ebl(
            &c.bank2,
            &["finance-check", bl, "--document", path_str(&document.clone()), "--to-order-of-bank"],
        )
        .await;
    assert_eq!((check.code, check.json["passed"].as_bool()), (1, Some(false)), "{check:?}");
    assert_eq!(check.json["lienStatus"], "HELD_BY_OTHER_BANK", "{check:?}");
    assert_eq!(check.json["checksumMatches"], true, "{check:?}");

    // Lien released, endorsed to the consignee, surrendered, surrender accepted.
    story.act(&c.bank, &["lien", "release", bl]).await;
    story.act(&c.bank, &["bl", "endorse", bl, "--to", &party(&c.consignee)]).await;
    story.act(&c.bank, &["bl", "transfer", bl, "--to", &party(&c.consignee)]).await;
    story.verify(&c.consignee, bl, &c.consignee, "ISSUED").await;
    story.act(&c.consignee, &["bl", "surrender", bl, "--for", "delivery"]).await;
    // DCSA: a surrender goes to the issuing carrier, who holds the BL while it decides.
    story.verify(&c.customs, bl, &c.carrier, "PENDING_SURRENDER_FOR_DELIVERY").await;
    story.act(&c.carrier, &["bl", "accept-surrender", bl]).await;
    story.verify(&c.customs, bl, &c.carrier, "SURRENDERED_FOR_DELIVERY").await;

    // Release orders for the containers; customs holds and frees one.
    let mut order = vec!["release", "order", bl, "--terminal"];
    let terminal = party(&c.terminal);
    order.push(&terminal);
    for e in &facts.equipment_references {
        order.extend(["--container", e.as_str()]);
    }
    order.extend(["--valid-until", "+7d", "--charges-settled"]);
    story.act(&c.carrier, &order).await;
    assert_eq!(story.container_status(&c.consignee, bl, &equipment).await, "AVAILABLE");
    let hold = ["release", "hold", "place", bl, "--container", &equipment, "--authority", "customs"];
    let mut hold: Vec<&str> = hold.to_vec();
    hold.extend(["--reason", "inspection", "--declaration", "222020240000123456"]);
    story.act(&c.customs, &hold).await;
    assert_eq!(story.container_status(&c.terminal, bl, &equipment).await, "HELD");
    story
        .act(&c.customs, &["release", "hold", "lift", bl, "--container", &equipment, "--hold-id", "0"])
        .await;
    assert_eq!(story.container_status(&c.terminal, bl, &equipment).await, "AVAILABLE");

    // The right goes to a haulier, who books a truck; the terminal lets it out, then takes the empty back.
    story.act(&c.consignee, &["release", "delegate", bl, &equipment, "--to", &party(&c.haulier)]).await;
    let pickup = [
        "release",
        "pickup",
        "assign",
        bl,
        &equipment,
        "--truck",
        "沪A12345",
        "--driver-id",
        "DRIVER-310101",
    ];
    let mut pickup: Vec<&str> = pickup.to_vec();
    pickup.extend(["--slot-start", "now", "--slot-end", "+4h"]);
    story.act(&c.haulier, &pickup).await;
    assert_eq!(story.container_status(&c.haulier, bl, &equipment).await, "PICKUP_ASSIGNED");
    let gate = ["release", "gate-out", bl, &equipment, "--truck", "沪A12345", "--driver-id", "DRIVER-310101"];
    let mut gate: Vec<&str> = gate.to_vec();
    gate.extend(["--seal", "SEAL-7788", "--condition", "SOUND"]);
    story.act(&c.terminal, &gate).await;
    assert_eq!(story.container_status(&c.customs, bl, &equipment).await, "GATED_OUT");
    story.act(&c.terminal, &["release", "empty-return", bl, &equipment, "--damage-notes", "none"]).await;
    assert_eq!(story.container_status(&c.consignee, bl, &equipment).await, "EMPTY_RETURNED");
    story.verify(&c.customs, bl, &c.carrier, "SURRENDERED_FOR_DELIVERY").await;

    // The history is the endorsement chain, in order.
    let history = story.ebl(&c.consignee, &["history", bl]).await;
    assert_eq!(history.code, 0, "{history:?}");
    let codes: Vec<&str> = history.json["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["actionCode"].as_str())
        .collect();
    assert_eq!(
        codes,
        [
            "ISSUE",
            "ENDORSE_TO_ORDER",
            "TRANSFER",
            "CREATE_LIEN",
            "RELEASE_LIEN",
            "ENDORSE",
            "TRANSFER",
            "SURRENDER_FOR_DELIVERY",
            "SACC"
        ]
    );
    // A party not on the chain sees neither the document nor the history.
    let refused = story.ebl(&c.outsider, &["history", bl]).await;
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused.stderr.contains("FORBIDDEN") || refused.json.to_string().contains("FORBIDDEN"),
        "{refused:?}"
    );
    // A carrier issues a directory of documents in one go, through the binary batch route.
    let batch = story.dir.path().join("batch");
    std::fs::create_dir(&batch).expect("batch dir");
    let mut references = Vec::new();
    for i in 0..25 {
        let mut doc: Value = serde_json::from_str(DOCUMENT).expect("json");
        let reference = format!("SHBATCH{i:04}");
        doc["transportDocumentReference"] = reference.clone().into();
        std::fs::write(batch.join(format!("{reference}.json")), doc.to_string()).expect("write");
        references.push(reference);
    }
    let shipper = party(&c.shipper);
    let run = story
        .ebl(
            &c.carrier,
            &[
                "bl",
                "issue",
                "--batch",
                path_str(&batch),
                "--chunk",
                "10",
                "--issue-to",
                &shipper,
                "--shipper",
                &shipper,
            ],
        )
        .await;
    assert_eq!(run.code, 0, "{run:?}");
    for reference in &references {
        let id = BlId::new(&c.carrier.party(), reference).0.to_hex();
        story.verify(&c.shipper, &id, &c.shipper, "ISSUED").await;
    }

    // Every validator agrees on the chain it built.
    net.expect_same_state(&[0, 1, 2, 3]);
    net.shutdown().await;
}
