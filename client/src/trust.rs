//! The trust anchor of a light client: the chain id and the validator set of the genesis file,
//! and the validator sets the client learned since, each checked against the set before it.
//! With it, a proof bundle from any node — honest or not — is checked locally: the certificate
//! must carry more than two thirds of the voting power of the set of the bundle's height, the
//! header's state root must prove the value, and the value must be the record of the BL asked for.
//! A genuine proof is also judged by its age: one older than the client accepts
//! ([`PROOF_AGE_MAX_MS`] by default) is refused, for a node could replay a title as it was.
//!
//! The set changes by ledger governance (ADR 0019): epoch `k` is written into the state by the
//! block that approved it, which epoch `k − 1` certified, and runs from two heights later. A
//! client that trusts epoch `k − 1` learns epoch `k` from a proof of that record at that block
//! ([`Trust::extend`]; the node serves them at `GET /v1/validators/chain`), so, link by link,
//! the genesis file alone anchors the set of any height. A bundle certified by a set after it was
//! replaced is then refused: it is checked against the set of its height, not the one that
//! signed it.

use std::path::Path;

use ebl_ledger::certificate::total_power;
use ebl_ledger::governance::{ValidatorEpoch, EFFECT_DELAY_HEIGHTS, VALIDATORS_MAX};
use ebl_ledger::{BlId, BlRecord, BundleError, Hash, PartyId, ProofBundle, StateKey};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::error::{ClientError, Result, TitleError};

/// Largest genesis file read, in bytes (the node's own bound).
pub const GENESIS_BYTES_MAX: usize = 16 * 1024 * 1024;

/// Default oldest proof accepted, in ms of block time before this machine's clock: the network
/// commits a block at least every second or so while idle, so a proof two minutes old comes from
/// a node that is stuck, cut off, or replaying the past.
pub const PROOF_AGE_MAX_MS: u64 = 120_000;

/// The part of a genesis file a client needs.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenesisAnchor {
    chain_id: String,
    validators: Vec<GenesisValidator>,
}

/// A genesis validator as a client needs it: the consensus key certificates name, and its power
/// (its operator and node key are other keys, ignored here).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct GenesisValidator {
    consensus_key: PartyId,
    voting_power: u64,
}

/// A validator set the client trusts, and the first height it runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedEpoch {
    pub epoch: u64,
    /// The first height this set certifies (0 for the genesis set).
    pub effective_height: u64,
    /// (consensus key, voting power) of each validator.
    pub validators: Vec<(PartyId, u64)>,
}

/// The chain id and the validator sets a client trusts: the genesis set, then each set learned
/// since, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trust {
    pub chain_id: String,
    /// Never empty: epoch 0 is the genesis set; epoch `k` is at index `k`.
    epochs: Vec<TrustedEpoch>,
}

/// Why a link of the epoch chain is refused (ADR 0019).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EpochError {
    #[error("the bundle proves {found}, not the set of epoch {expected}")]
    WrongKey { expected: u64, found: String },
    #[error("the bundle proves that no set was written")]
    Absent,
    #[error("the proven value is not a validator set")]
    Undecodable,
    #[error("the proven set is numbered {found}")]
    WrongNumber { found: u64 },
    #[error("the set says block {said} approved it; the bundle's block is {header}")]
    WrongBlock { said: u64, header: u64 },
    #[error("the set runs from height {effective}; the ledger's rule puts it at {expected}")]
    WrongEffectiveHeight { effective: u64, expected: u64 },
    #[error("the set was approved at height {approved}, before the set it replaces ran (from {previous})")]
    ApprovedTooEarly { approved: u64, previous: u64 },
    #[error("the set cannot certify anything: {0}")]
    UnusableSet(String),
    #[error("the link is not certified by the set before it: {0}")]
    Proof(#[from] BundleError),
}

/// A title proven by a bundle the client checked itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedTitle {
    pub bl: BlId,
    /// The height of the certified block whose state holds the record.
    pub height: u64,
    pub block_hash: Hash,
    /// Block time of that block (ms since the Unix epoch).
    pub time_ms: u64,
    pub state_root: Hash,
    /// The validators whose signatures made the block final.
    pub signers: Vec<PartyId>,
    /// The validator set the certificate was checked against (0: the genesis set).
    #[serde(default)]
    pub epoch: u64,
    pub record: BlRecord,
}

impl Trust {
    /// A trust anchor of `validators` as the genesis set, unchecked (see [`Trust::checked`]).
    pub fn new(chain_id: impl Into<String>, validators: Vec<(PartyId, u64)>) -> Self {
        Trust {
            chain_id: chain_id.into(),
            epochs: vec![TrustedEpoch { epoch: 0, effective_height: 0, validators }],
        }
    }

    /// Reads the trust anchor from a genesis file (other fields are ignored).
    pub fn from_genesis_file(path: &Path) -> Result<Self> {
        let error = |reason: String| ClientError::Genesis { path: path.display().to_string(), reason };
        let len = std::fs::metadata(path).map_err(|e| error(e.to_string()))?.len();
        if len > GENESIS_BYTES_MAX as u64 {
            return Err(error(format!("{len} bytes; at most {GENESIS_BYTES_MAX}")));
        }
        let bytes = std::fs::read(path).map_err(|e| error(e.to_string()))?;
        Self::from_genesis_json(&bytes).map_err(error)
    }

    /// Reads the trust anchor from the JSON text of a genesis file.
    pub fn from_genesis_json(bytes: &[u8]) -> std::result::Result<Self, String> {
        let anchor: GenesisAnchor = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if anchor.chain_id.is_empty() {
            return Err("the chain id is empty".into());
        }
        if anchor.validators.is_empty() {
            return Err("the genesis names no validator".into());
        }
        let validators: Vec<(PartyId, u64)> =
            anchor.validators.into_iter().map(|v| (v.consensus_key, v.voting_power)).collect();
        Trust::checked(anchor.chain_id, validators)
    }

    /// A trust anchor, refused if it could not make any block final or could be fooled: no
    /// validator, a validator named twice, voting powers that sum to zero or past `u64`.
    pub fn checked(chain_id: String, validators: Vec<(PartyId, u64)>) -> std::result::Result<Self, String> {
        if validators.is_empty() {
            return Err("the genesis names no validator".into());
        }
        check_set(&validators)?;
        Ok(Trust::new(chain_id, validators))
    }

    /// The genesis set.
    pub fn genesis_validators(&self) -> &[(PartyId, u64)] {
        &self.epochs[0].validators
    }

    /// Every set trusted, oldest (the genesis set) first.
    pub fn epochs(&self) -> &[TrustedEpoch] {
        &self.epochs
    }

    /// The newest set trusted.
    pub fn latest(&self) -> &TrustedEpoch {
        // `epochs` is never empty (built with the genesis set; only ever pushed to).
        &self.epochs[self.epochs.len() - 1]
    }

    /// The number of the next epoch to learn.
    pub fn next_epoch(&self) -> u64 {
        self.latest().epoch + 1
    }

    /// The set that certifies `height`, of those known: the newest that runs from `height` or
    /// before. A client that has not learned the newest epochs checks against an older set
    /// ([`crate::Client::update_trust`] learns them).
    pub fn epoch_at(&self, height: u64) -> &TrustedEpoch {
        self.epochs.iter().rev().find(|e| e.effective_height <= height).unwrap_or(&self.epochs[0])
    }

    /// Learns the next epoch from `bundle`, a proof of state key `ValidatorEpoch(k)` at the block
    /// that approved it: the proven set must be numbered `k`, say that block approved it, run
    /// from the height the ledger's rule gives, be a set that can certify, and the bundle must
    /// be final for the set in force at that block (epoch `k − 1`). Nothing is learned when any
    /// of this fails.
    pub fn extend(&mut self, bundle: &ProofBundle) -> std::result::Result<&TrustedEpoch, EpochError> {
        let expected = self.next_epoch();
        if bundle.key != StateKey::ValidatorEpoch(expected) {
            return Err(EpochError::WrongKey { expected, found: format!("{:?}", bundle.key) });
        }
        let previous = self.latest();
        let approved = bundle.header.height;
        if approved < previous.effective_height {
            return Err(EpochError::ApprovedTooEarly { approved, previous: previous.effective_height });
        }
        bundle.verify(&self.chain_id, &previous.validators)?;
        if bundle.value.is_none() {
            return Err(EpochError::Absent);
        }
        let set: ValidatorEpoch = bundle.decode().ok_or(EpochError::Undecodable)?;
        if set.epoch != expected {
            return Err(EpochError::WrongNumber { found: set.epoch });
        }
        if set.approved_height != approved {
            return Err(EpochError::WrongBlock { said: set.approved_height, header: approved });
        }
        let effective = approved.saturating_add(EFFECT_DELAY_HEIGHTS);
        if set.effective_height != effective {
            return Err(EpochError::WrongEffectiveHeight {
                effective: set.effective_height,
                expected: effective,
            });
        }
        let validators = set.powers();
        if validators.is_empty() || validators.len() > VALIDATORS_MAX {
            return Err(EpochError::UnusableSet(format!(
                "{} validators; 1 to {VALIDATORS_MAX} are needed",
                validators.len()
            )));
        }
        check_set(&validators).map_err(EpochError::UnusableSet)?;
        self.epochs.push(TrustedEpoch { epoch: expected, effective_height: effective, validators });
        Ok(self.latest())
    }

    /// Checks `bundle` as [`Trust::verify_title`] does, then that its block is at most
    /// `max_age_ms` older than `now_ms` (this machine's clock).
    pub fn verify_fresh_title(
        &self,
        bl: BlId,
        bundle: &ProofBundle,
        now_ms: u64,
        max_age_ms: u64,
    ) -> Result<VerifiedTitle> {
        let title = self.verify_title(bl, bundle)?;
        check_fresh(title.height, title.time_ms, now_ms, max_age_ms)?;
        Ok(title)
    }

    /// Checks `bundle` as proof of the title of `bl`: certificate → header → state root →
    /// record, then that the record is BL `bl`'s.
    pub fn verify_title(&self, bl: BlId, bundle: &ProofBundle) -> Result<VerifiedTitle> {
        if bundle.key != StateKey::Bl(bl) {
            return Err(TitleError::WrongKey { asked: bl, found: format!("{:?}", bundle.key) }.into());
        }
        if bundle.header.chain_id != self.chain_id {
            return Err(ClientError::OtherChain {
                trusted: self.chain_id.clone(),
                found: bundle.header.chain_id.clone(),
            });
        }
        let epoch = self.epoch_at(bundle.header.height);
        bundle.verify(&self.chain_id, &epoch.validators)?;
        if bundle.value.is_none() {
            return Err(TitleError::Absent(bl).into());
        }
        let record: BlRecord = bundle.decode().ok_or(TitleError::Undecodable)?;
        if record.id != bl {
            return Err(TitleError::WrongBl { asked: bl, found: record.id }.into());
        }
        Ok(VerifiedTitle {
            bl,
            height: bundle.header.height,
            block_hash: bundle.header.hash(),
            time_ms: bundle.header.time_ms,
            state_root: bundle.header.state_root,
            signers: bundle.certificate.signatures.iter().map(|(p, _)| *p).collect(),
            epoch: epoch.epoch,
            record,
        })
    }
}

/// Refuses a set that names a validator twice or whose voting powers sum to zero or past `u64`.
fn check_set(validators: &[(PartyId, u64)]) -> std::result::Result<(), String> {
    for (i, (party, _)) in validators.iter().enumerate() {
        if validators[..i].iter().any(|(p, _)| p == party) {
            return Err(format!("validator {party} is named twice"));
        }
    }
    total_power(validators).map(|_| ()).map_err(|e| e.to_string())
}

/// Refuses a proof of a block older than `max_age_ms` by this machine's clock (`now_ms`). A
/// block time ahead of the clock counts as age 0 (validators' clocks drift a little; a block's
/// time is signed by them, so a node cannot make it up).
pub fn check_fresh(height: u64, time_ms: u64, now_ms: u64, max_age_ms: u64) -> Result<u64> {
    let age_ms = now_ms.saturating_sub(time_ms);
    if age_ms > max_age_ms {
        return Err(ClientError::StaleProof {
            height,
            time_ms,
            block_time: crate::time::format_ms(time_ms),
            age_ms,
            max_age_ms,
        });
    }
    Ok(age_ms)
}

/// Decodes the hex of a borsh `ProofBundle`, as the proof and finance-check routes serve it.
pub fn decode_bundle(hex_text: &str) -> Result<ProofBundle> {
    let bytes =
        hex::decode(hex_text.trim()).map_err(|e| ClientError::Decode(format!("proof bundle hex: {e}")))?;
    ebl_ledger::encoding::decode(&bytes, ebl_ledger::proof::PROOF_BUNDLE_BYTES_MAX)
        .map_err(|e| ClientError::Decode(format!("proof bundle: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_anchor_reads_chain_and_validators_and_ignores_the_rest() {
        let a = ebl_ledger::Keypair::for_test("v0").party();
        let json = format!(
            r#"{{"chainId":"ebl-test","genesisTimeMs":1,"validators":[{{"name":"carrier","consensusKey":"{a}","votingPower":3,"p2pAddress":"/ip4/127.0.0.1/tcp/1"}}],"parties":[]}}"#
        );
        let trust = Trust::from_genesis_json(json.as_bytes()).expect("anchor");
        assert_eq!(trust, Trust::new("ebl-test", vec![(a, 3)]));
        assert!(Trust::from_genesis_json(br#"{"chainId":"x","validators":[]}"#).is_err());
        assert!(Trust::from_genesis_json(b"[]").is_err());
    }

    #[test]
    fn an_overflowing_powerless_or_doubled_validator_set_is_refused() {
        let (a, b) =
            (ebl_ledger::Keypair::for_test("v0").party(), ebl_ledger::Keypair::for_test("v1").party());
        let genesis = |validators: &[(PartyId, u64)]| {
            let list: Vec<String> = validators
                .iter()
                .map(|(p, power)| format!(r#"{{"consensusKey":"{p}","votingPower":{power}}}"#))
                .collect();
            format!(r#"{{"chainId":"c","validators":[{}]}}"#, list.join(","))
        };
        let overflow = Trust::from_genesis_json(genesis(&[(a, u64::MAX), (b, 1)]).as_bytes());
        assert!(overflow.is_err_and(|e| e.contains("overflow")));
        let powerless = Trust::from_genesis_json(genesis(&[(a, 0), (b, 0)]).as_bytes());
        assert!(powerless.is_err_and(|e| e.contains("no voting power")));
        let doubled = Trust::from_genesis_json(genesis(&[(a, 1), (a, 1)]).as_bytes());
        assert!(doubled.is_err_and(|e| e.contains("named twice")));
        assert!(Trust::from_genesis_json(genesis(&[(a, u64::MAX), (b, 0)]).as_bytes()).is_ok());
    }

    #[test]
    fn a_proof_older_than_the_bound_is_stale() {
        assert_eq!(check_fresh(7, 1_000, 121_000, PROOF_AGE_MAX_MS).expect("fresh"), 120_000);
        assert_eq!(check_fresh(7, 5_000, 1_000, PROOF_AGE_MAX_MS).expect("ahead"), 0);
        let stale = check_fresh(7, 1_000, 121_001, PROOF_AGE_MAX_MS).expect_err("stale");
        assert!(
            matches!(stale, ClientError::StaleProof { height: 7, age_ms: 120_001, max_age_ms: 120_000, .. }),
            "{stale:?}"
        );
        assert!(stale.to_string().contains("1970-01-01T00:00:01Z"), "{stale}");
    }
}
