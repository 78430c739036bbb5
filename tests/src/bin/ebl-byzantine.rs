//! `ebl-byzantine`: a validator that misbehaves, for the attack suite (`tests/attacks`) only.
//!
//! `ebl-byzantine run --home DIR --tamper MODE` runs the node of an `ebl-node` home (the same
//! configuration, genesis and key, the same REST API) with the Byzantine behaviour `MODE`:
//! `flood-alternatives`, `flood-batches`, `equivocate` or `torsion-signature` (see
//! `ebl_node::node::Tamper`). The production binary, `ebl-node`, has no such switch; this one is
//! built from the test crate with the node's `test-utils` feature.

use std::path::PathBuf;

use anyhow::{bail, Result};
use ebl_node::node::Tamper;

/// The behaviour named on the command line (the torsion proposer signs as the home's operator).
fn tamper(name: &str, home: &std::path::Path) -> Result<Tamper> {
    Ok(match name {
        "flood-alternatives" => Tamper::FloodAlternatives,
        "flood-batches" => Tamper::FloodBatches,
        "equivocate" => Tamper::Equivocate,
        "torsion-signature" => Tamper::TorsionSignature {
            party_seed: ebl_node::keys::load(&home.join("operator_key.json"))?.seed(),
        },
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
        ["run", "--home", home, "--tamper", mode] => {
            (PathBuf::from(home), tamper(mode, std::path::Path::new(home))?)
        }
        _ => bail!("usage: ebl-byzantine run --home DIR --tamper MODE"),
    };
    ebl_node::node::run_home(&home, "ebl-byzantine", Some(fault))
}
