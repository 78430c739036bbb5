//! Multi-process fault tests: four `ebl-node` processes (a carrier, a bank, customs, a terminal)
//! on 127.0.0.1, each with its own RocksDB, every link through a relay the test can cut, run by
//! `ebl-testnet` — and abused. Every scenario ends by stopping the nodes and running the chain
//! checker over their databases (`ebl_tests::check`): same hashes, valid certificates, state
//! roots reproduced by replaying from the genesis, every acknowledged commit present.
//!
//! The scenarios run one at a time (a lock): two four-node networks at once would starve a
//! 2-core machine and make round timeouts fire for the wrong reason. Every wait is bounded, so
//! every test stops by itself. `make test` (`cargo test --workspace`) builds the `ebl-node`
//! binary these tests start.

use std::future::Future;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use anyhow::{ensure, Context, Result};
use ebl_ledger::Role;
use ebl_testnet::{find_node_binary, Ack, Load, NetSpec, Testnet};
use ebl_tests::check::{check_network, ChainSummary};

const ALL: [usize; 4] = [0, 1, 2, 3];
/// Bound on what a healthy network does in a second or two.
const PATIENCE: Duration = Duration::from_secs(60);
/// Longer than any round timeout of the nodes' configuration (propose 3 s, prevote and
/// precommit 1 s, growing by 0.5 s a round).
const BEYOND_A_ROUND: Duration = Duration::from_secs(6);
/// How long a cut-off side is watched for (not) committing: several round timeouts.
const WATCH: Duration = Duration::from_secs(8);

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Runs one scenario on a fresh four-validator network in its own runtime, one scenario at a
/// time; on failure the panic carries the end of every node's log.
fn run<F, Fut>(name: &str, scenario: F) -> ChainSummary
where
    F: FnOnce(Testnet) -> Fut,
    Fut: Future<Output = (Testnet, Result<ChainSummary>)>,
{
    let _serial = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    runtime.block_on(async {
        let net = network(dir.path(), name).await.expect("the network starts");
        let (net, result) = scenario(net).await;
        match result {
            Ok(summary) => summary,
            Err(e) => {
                let logs: Vec<String> = (0..net.len())
                    .map(|i| format!("--- {} ---\n{}", net.node(i).name, net.log_tail(i, 15)))
                    .collect();
                panic!("{name}: {e:#}\n{}", logs.join("\n"));
            }
        }
    })
}

async fn network(dir: &Path, name: &str) -> Result<Testnet> {
    let mut spec = NetSpec::new(4, find_node_binary()?);
    spec.chain_id = format!("ebl-{name}");
    let mut net = Testnet::create(dir, spec).await?;
    net.start_all()?;
    for i in ALL {
        net.wait_ready(i, PATIENCE).await?;
    }
    net.wait_for_height(&ALL, 1, PATIENCE).await?;
    Ok(net)
}

async fn heights(net: &Testnet, nodes: &[usize]) -> Vec<Option<u64>> {
    let mut out = Vec::new();
    for &i in nodes {
        out.push(net.height(i).await);
    }
    out
}

async fn highest(net: &Testnet, nodes: &[usize]) -> u64 {
    heights(net, nodes).await.into_iter().flatten().max().unwrap_or(0)
}

/// Heals, lets every node reach the highest height any has, stops them all and checks the
/// chains and the acknowledged commits.
async fn finish(net: &mut Testnet, acked: &[Ack]) -> Result<ChainSummary> {
    net.heal();
    let all: Vec<usize> = (0..net.len()).collect();
    let top = highest(net, &all).await;
    net.wait_for_height(&all, top, PATIENCE).await.context("converging before the check")?;
    net.stop_all().await?;
    let summary = check_network(net, acked)?;
    ensure!(summary.tips.iter().all(|&t| t >= top), "a node lost blocks: {summary:?}, top {top}");
    Ok(summary)
}

/// Under a steady load of transfers, one validator is SIGKILLed and restarted on its data; it
/// catches up, and nothing acknowledged is lost anywhere.
#[test]
fn a_validator_killed_under_load_restarts_catches_up_and_nothing_acknowledged_is_lost() {
    let summary = run("kill", |mut net| async move {
        let result = async {
            let load = Load::start(&net, 4, "K").await?;
            load.wait_for_transfers(20, PATIENCE).await?;
            net.kill(3)?;
            load.wait_for_transfers(20, PATIENCE).await.context("three validators go on under load")?;
            net.start(3)?;
            net.wait_ready(3, PATIENCE).await?;
            let top = highest(&net, &[0, 1, 2]).await;
            net.wait_for_height(&[3], top, PATIENCE).await.context("the killed validator catches up")?;
            load.wait_for_transfers(10, PATIENCE).await?;
            let report = load.stop().await;
            ensure!(report.transfers >= 50, "{report:?}");
            finish(&mut net, &report.acked).await
        }
        .await;
        (net, result)
    });
    assert!(summary.acked >= 50, "{summary:?}");
}

/// The validator set changes by governance under a steady load of transfers (issue 31): a fifth
/// validator joins (its node starts and syncs first; its signature is in certificates from the
/// effective height on, never before), one of the original four is removed (stopping it then
/// changes nothing), and the four left tolerate one more crash. An observer listed by the
/// registrar follows it all without voting. The chain checker verifies every node's chain, the
/// observer's included, each certificate against the set of its own height.
#[test]
fn the_validator_set_changes_by_governance_under_load() {
    run("governance", |mut net| async move {
        let result = async {
            let load = Load::start(&net, 2, "G").await?;
            load.wait_for_transfers(10, PATIENCE).await?;
            let observer = net.add_observer("bank-b").await?;
            let (fifth, joined) = net.add_validator("terminal2", &[Role::Terminal]).await?;
            ensure!(joined.validators.len() == 5, "{joined:?}");
            net.wait_for_height(&[fifth], joined.effective_height + 5, PATIENCE)
                .await
                .context("the fifth runs")?;
            load.wait_for_transfers(10, PATIENCE).await.context("five validators go on under load")?;
            let left = net.remove_validator("bank").await?;
            ensure!(left.validators.len() == 4, "{left:?}");
            net.stop(1).await?;
            load.wait_for_transfers(10, PATIENCE).await.context("the removed validator stopped")?;
            net.kill(2)?;
            load.wait_for_transfers(10, PATIENCE).await.context("one more crash: 3 of the 4 go on")?;
            let report = load.stop().await;
            // Both come back (the removed one as a node that follows) and catch up.
            for i in [1, 2] {
                net.start(i)?;
                net.wait_ready(i, PATIENCE).await?;
            }
            let homes: Vec<std::path::PathBuf> = (0..net.len()).map(|i| net.node(i).home.clone()).collect();
            let consensus_key = |i: usize| ebl_client::keys::load(&homes[i].join("consensus_key.json"));
            let old = [consensus_key(0)?, consensus_key(1)?, consensus_key(2)?];
            title_after_two_changes(&net, left.effective_height, &old).await?;
            let summary = finish(&mut net, &report.acked).await?;
            let consensus = |i: usize| -> Result<ebl_ledger::PartyId> { Ok(consensus_key(i)?.party()) };
            let (newcomer, removed) = (consensus(fifth)?, consensus(1)?);
            let storage = ebl_node::storage::Storage::open(&net.node(0).data_dir())?;
            let signers = |h: u64| -> Result<Vec<ebl_ledger::PartyId>> {
                let bytes = storage.certificate(h)?.context("certificate")?;
                let certificate: ebl_ledger::Certificate =
                    ebl_ledger::encoding::decode(&bytes, ebl_node::storage::layout::CERTIFICATE_BYTES_MAX)?;
                Ok(certificate.signatures.iter().map(|(p, _)| *p).collect())
            };
            let tip = summary.tips[0];
            ensure!(
                summary.tips[observer] > left.effective_height,
                "the observer follows past the last change: {:?}",
                summary.tips
            );
            ensure!(
                !net.node(observer).home.join("consensus_key.json").exists(),
                "an observer has no consensus key"
            );
            for h in 1..joined.effective_height {
                ensure!(!signers(h)?.contains(&newcomer), "the fifth signed height {h}, before its epoch");
            }
            let mut signed = 0;
            for h in joined.effective_height..left.effective_height {
                signed += usize::from(signers(h)?.contains(&newcomer));
            }
            ensure!(signed > 0, "the fifth signed no certificate from height {}", joined.effective_height);
            for h in left.effective_height..=tip {
                ensure!(!signers(h)?.contains(&removed), "the removed validator's signature counted at {h}");
            }
            Ok(summary)
        }
        .await;
        (net, result)
    });
}

/// A bank holding only the genesis file verifies a title at a height after two set changes
/// through a node's REST API (the SDK walks the epoch chain), and refuses the same block
/// certified by `old` — three of the genesis four, the removed validator among them — though the
/// genesis set alone would accept it.
async fn title_after_two_changes(net: &Testnet, changed_at: u64, old: &[ebl_ledger::Keypair]) -> Result<()> {
    let mut trust = ebl_client::Trust::from_genesis_file(&net.genesis_file())?;
    // The carrier reads its BL's proof (a signed read) from another validator's node.
    let carrier = net.key(0)?;
    let bl = ebl_ledger::BlId::new(&carrier.party(), "LOADG0000");
    let client = net.client(3, Some(carrier))?;
    let title = client.verify_title(&mut trust, &bl).await.context("the title after two changes")?;
    ensure!(title.epoch == 2 && trust.epochs().len() == 3, "{title:?} {trust:?}");
    ensure!(title.height >= changed_at, "the title is proven at {}, before the change", title.height);
    let mut bundle = client.proof_bundle(&bl).await?;
    let certificate = &mut bundle.certificate;
    let bytes = |key: &ebl_ledger::Keypair| {
        ebl_ledger::certificate::vote_signing_bytes(
            ebl_ledger::certificate::VoteKind::Precommit,
            &trust.chain_id,
            certificate.height,
            certificate.round,
            Some(&certificate.block_hash),
            &key.party(),
        )
    };
    let mut signatures: Vec<_> = old.iter().map(|k| (k.party(), k.sign(&bytes(k)))).collect();
    signatures.sort_by_key(|(party, _)| *party);
    certificate.signatures = signatures;
    bundle.verify(&trust.chain_id, trust.genesis_validators()).context("the old set alone accepts it")?;
    let refused =
        trust.verify_title(bl, &bundle).err().context("a certificate of the old set after its change")?;
    ensure!(
        matches!(
            &refused,
            ebl_client::ClientError::Proof(ebl_ledger::BundleError::Certificate(
                ebl_ledger::CertificateError::UnknownSigner(p)
            )) if *p == old[1].party()
        ),
        "{refused:?}"
    );
    Ok(())
}

/// A validator frozen (SIGSTOP) for longer than a round timeout misses blocks; thawed, it
/// catches up.
#[test]
fn a_validator_paused_beyond_a_round_timeout_catches_up_when_resumed() {
    run("pause", |mut net| async move {
        let result = async {
            let load = Load::start(&net, 2, "P").await?;
            load.wait_for_transfers(5, PATIENCE).await?;
            net.pause(1)?;
            let before = highest(&net, &[0, 2, 3]).await;
            tokio::time::sleep(BEYOND_A_ROUND).await;
            let during = highest(&net, &[0, 2, 3]).await;
            ensure!(during > before, "the other three committed nothing while one was paused");
            net.resume(1)?;
            let top = highest(&net, &[0, 2, 3]).await;
            net.wait_for_height(&[1], top, PATIENCE).await.context("the paused validator catches up")?;
            load.wait_for_transfers(5, PATIENCE).await?;
            let report = load.stop().await;
            finish(&mut net, &report.acked).await
        }
        .await;
        (net, result)
    });
}

/// Split 2|2, neither side has more than two thirds: nothing commits anywhere. Healed, the chain
/// goes on, with no fork.
#[test]
fn a_two_two_partition_commits_nothing_and_after_healing_the_chain_goes_on_without_a_fork() {
    run("split", |mut net| async move {
        let result = async {
            let load = Load::start(&net, 2, "S").await?;
            load.wait_for_transfers(5, PATIENCE).await?;
            net.partition(&[0, 1], &[2, 3]);
            // A block already decided when the links were cut may still land; then nothing.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let cut = heights(&net, &ALL).await;
            tokio::time::sleep(WATCH).await;
            let later = heights(&net, &ALL).await;
            ensure!(cut == later, "a side committed during the 2|2 partition: {cut:?} → {later:?}");
            let transfers = load.transfers();
            net.heal();
            let top = highest(&net, &ALL).await;
            net.wait_for_height(&ALL, top + 2, PATIENCE).await.context("commits resume after healing")?;
            load.wait_for_transfers(5, PATIENCE).await?;
            let report = load.stop().await;
            ensure!(report.transfers > transfers, "{report:?}");
            finish(&mut net, &report.acked).await
        }
        .await;
        (net, result)
    });
}

/// Split 3|1: the three commit, the one cannot; healed, it catches up.
#[test]
fn a_three_one_partition_lets_the_three_commit_and_the_one_catches_up_after_healing() {
    run("isolate", |mut net| async move {
        let result = async {
            let load = Load::start(&net, 2, "I").await?;
            load.wait_for_transfers(5, PATIENCE).await?;
            net.partition(&[0, 1, 2], &[3]);
            tokio::time::sleep(Duration::from_secs(2)).await;
            let alone = net.height(3).await.context("node 3 answers")?;
            let three = highest(&net, &[0, 1, 2]).await;
            load.wait_for_transfers(10, PATIENCE).await.context("the three commit transfers")?;
            net.wait_for_height(&[0, 1, 2], three + 3, PATIENCE).await?;
            ensure!(net.height(3).await == Some(alone), "the isolated validator committed alone");
            net.heal();
            let top = highest(&net, &[0, 1, 2]).await;
            net.wait_for_height(&[3], top, PATIENCE).await.context("the isolated one catches up")?;
            let report = load.stop().await;
            finish(&mut net, &report.acked).await
        }
        .await;
        (net, result)
    });
}

/// One link cut, between validators 0 and 1 only: messages are not relayed (ADR 0012), so each
/// of the two misses the other's proposals and votes, yet every validator still has three of
/// four, all four keep committing (what one misses it gets by value sync) and transfers go on.
#[test]
fn one_cut_link_between_two_validators_stops_none_of_the_four_from_committing() {
    run("link", |mut net| async move {
        let result = async {
            let load = Load::start(&net, 2, "L").await?;
            load.wait_for_transfers(5, PATIENCE).await?;
            net.partition(&[0], &[1]);
            tokio::time::sleep(Duration::from_secs(2)).await;
            let cut = heights(&net, &ALL).await;
            let floor = cut.iter().flatten().max().copied().unwrap_or(0);
            load.wait_for_transfers(10, PATIENCE).await.context("transfers go on with one link cut")?;
            net.wait_for_height(&ALL, floor + 4, PATIENCE).await.with_context(|| {
                format!("every validator commits with one link cut (heights at the cut {cut:?})")
            })?;
            let report = load.stop().await;
            finish(&mut net, &report.acked).await
        }
        .await;
        (net, result)
    });
}

/// All four stopped and started again: the chain resumes from the same height, block and state
/// root, and grows.
#[test]
fn all_four_stopped_and_started_resume_at_the_same_height_and_state_root() {
    run("restart", |mut net| async move {
        let result = async {
            let load = Load::start(&net, 2, "R").await?;
            load.wait_for_transfers(10, PATIENCE).await?;
            let report = load.stop().await;
            let top = highest(&net, &ALL).await;
            net.wait_for_height(&ALL, top, PATIENCE).await?;
            net.stop_all().await?;
            // The state each database holds, read offline. (The checker is not vacuous: an
            // acknowledgement no node has is reported.)
            let before = check_network(&net, &report.acked)?;
            let invented =
                Ack { tx_id: ebl_ledger::TxId(ebl_ledger::Hash::digest(b"never sent")), height: 2 };
            let missing = check_network(&net, &[invented]).err().map(|e| e.to_string()).unwrap_or_default();
            ensure!(
                missing.contains("acknowledged at height 2"),
                "the checker missed a lost commit: {missing:?}"
            );
            let stopped_at = *before.tips.iter().min().context("tips")?;
            let mut tips = Vec::new();
            for node in net.nodes() {
                let storage = ebl_node::storage::Storage::open(&node.data_dir())?;
                let tip = storage.tip()?.context("tip")?;
                let at = storage.block(stopped_at)?.context("block")?;
                tips.push((tip, at.hash(), at.header.state_root));
            }
            ensure!(
                tips.iter().all(|t| (t.1, t.2) == (tips[0].1, tips[0].2)),
                "the stopped nodes disagree at {stopped_at}"
            );
            net.start_all()?;
            for i in ALL {
                net.wait_ready(i, PATIENCE).await?;
            }
            for (i, (tip, _, _)) in tips.iter().enumerate() {
                let status = net.client(i, None)?.status().await?;
                ensure!(status.height >= tip.height, "{} restarted below its tip", net.node(i).name);
                if status.height == tip.height {
                    ensure!(status.state_root == tip.state_root && status.block_hash == tip.block_hash);
                }
                let block = net.client(i, None)?.block(stopped_at).await?;
                ensure!(block.block_hash == tips[0].1, "{}: block {stopped_at} changed", net.node(i).name);
            }
            net.wait_for_height(&ALL, top + 3, PATIENCE).await.context("the chain resumes")?;
            finish(&mut net, &report.acked).await
        }
        .await;
        (net, result)
    });
}

/// A validator whose database was deleted starts with only the genesis and syncs the whole
/// chain from its peers.
#[test]
fn a_validator_whose_data_was_deleted_resyncs_from_its_peers() {
    run("wipe", |mut net| async move {
        let result = async {
            let load = Load::start(&net, 2, "W").await?;
            load.wait_for_transfers(15, PATIENCE).await?;
            net.stop(2).await?;
            net.wipe_data(2)?;
            load.wait_for_transfers(5, PATIENCE).await?;
            net.start(2)?;
            net.wait_ready(2, PATIENCE).await?;
            let top = highest(&net, &[0, 1, 3]).await;
            net.wait_for_height(&[2], top, PATIENCE).await.context("the wiped validator resyncs")?;
            let report = load.stop().await;
            finish(&mut net, &report.acked).await
        }
        .await;
        (net, result)
    });
}
