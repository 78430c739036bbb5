//! `ebl-byzantine`: a validator that misbehaves, for the attack suite (`tests/attacks`) only.
//!
//! `ebl-byzantine run --home DIR --tamper MODE` runs the node of an `ebl-node` home (the same
//! configuration, genesis and key, the same REST API) with the Byzantine behaviour `MODE`:
//! `flood-alternatives`, `flood-batches`, `equivocate` or `torsion-signature` (see
//! `ebl_node::node::Tamper`). The production binary, `ebl-node`, has no such switch; this one is
//! built from the test crate with the node's `test-utils` feature.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use ebl_node::config::NodeConfig;
use ebl_node::genesis::GenesisFile;
use ebl_node::keys;
use ebl_node::node::{Node, NodeOptions, Tamper};

/// The behaviour named on the command line.
fn tamper(name: &str) -> Result<Tamper> {
    Ok(match name {
        "flood-alternatives" => Tamper::FloodAlternatives,
        "flood-batches" => Tamper::FloodBatches,
        "equivocate" => Tamper::Equivocate,
        "torsion-signature" => Tamper::TorsionSignature,
        "wrong-state-root" => Tamper::WrongStateRoot,
        "bad-signature" => Tamper::BadSignature,
        other => bail!("unknown --tamper {other:?}"),
    })
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (home, fault) = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["run", "--home", home, "--tamper", mode] => (PathBuf::from(home), tamper(mode)?),
        _ => bail!("usage: ebl-byzantine run --home DIR --tamper MODE"),
    };
    let config = NodeConfig::load(&home.join("config.toml"), std::env::vars())?;
    let genesis = GenesisFile::load(&config.node.genesis_file)?;
    let key = keys::load(&config.node.key_file)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ebl-byzantine")
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let rpc = config.rpc.clone();
        let mut node = Node::start(NodeOptions { config, genesis, key, tamper: Some(fault) })
            .await
            .context("starting the node")?;
        eprintln!("Byzantine validator {} started: {fault:?}", node.party());
        let api = ebl_node::api::router(node.view(), ebl_node::api::ApiOptions::from_config(&rpc)?);
        let limits = ebl_node::api::server::ServeLimits {
            connections_max: rpc.connections_max,
            address_connections_max: rpc.address_connections_max,
            header_read_timeout: std::time::Duration::from_millis(rpc.header_read_timeout_ms),
            ..Default::default()
        };
        let listener = tokio::net::TcpListener::bind(&rpc.listen_addr)
            .await
            .with_context(|| format!("binding the REST API to {}", rpc.listen_addr))?;
        let (stop_api, api_stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            ebl_node::api::server::serve(listener, api, limits, async {
                let _ = api_stopped.await;
            })
            .await
        });
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .context("installing the SIGTERM handler")?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
            halt = node.stopped() => bail!("{halt}"),
        }
        let _ = stop_api.send(());
        let _ = server.await;
        node.stop().await;
        Ok(())
    })
}
