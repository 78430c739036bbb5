//! The genesis file every node of a network loads: chain id, genesis time, the validators (who
//! run consensus, with their voting power and network address) and the parties the ledger starts
//! with. Every node must load the same file; its hash names the network's beginning.

use std::path::Path;

use ebl_contracts::Genesis;
use ebl_ledger::action::RegisterParty;
pub use ebl_ledger::governance::ValidatorInfo;
use ebl_ledger::governance::VALIDATORS_MAX;
use ebl_ledger::{Hash, PartyId};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Largest genesis file read, in bytes.
pub const GENESIS_BYTES_MAX: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenesisFile {
    pub chain_id: String,
    pub genesis_time_ms: u64,
    /// Epoch 0 of the validator set: each with its operator (a party below), consensus key and
    /// node key, three distinct keys (ADR 0019).
    pub validators: Vec<ValidatorInfo>,
    pub parties: Vec<RegisterParty>,
    /// How many distinct registrars sign each registrar action (default 1: a demo network).
    #[serde(default = "one")]
    pub registrar_quorum: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Error)]
pub enum GenesisFileError {
    #[error("cannot read genesis file {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("genesis file of {len} bytes exceeds {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error("genesis file is not valid: {0}")]
    Json(String),
    #[error("genesis names no validator, or more than {VALIDATORS_MAX}")]
    ValidatorCount,
    #[error(transparent)]
    Ledger(#[from] ebl_contracts::GenesisError),
}

impl GenesisFile {
    pub fn load(path: &Path) -> Result<Self, GenesisFileError> {
        let bytes = std::fs::read(path)
            .map_err(|error| GenesisFileError::Read { path: path.display().to_string(), error })?;
        Self::from_json(&bytes)
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, GenesisFileError> {
        if bytes.len() > GENESIS_BYTES_MAX {
            return Err(GenesisFileError::TooLarge { len: bytes.len(), max: GENESIS_BYTES_MAX });
        }
        let file: GenesisFile =
            serde_json::from_slice(bytes).map_err(|e| GenesisFileError::Json(e.to_string()))?;
        file.validate()?;
        Ok(file)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks the validator set and the ledger genesis (which checks each validator: valid and
    /// distinct keys, an operator among the parties, no validator key a party's).
    pub fn validate(&self) -> Result<(), GenesisFileError> {
        if self.validators.is_empty() || self.validators.len() > VALIDATORS_MAX {
            return Err(GenesisFileError::ValidatorCount);
        }
        self.ledger_genesis().writes()?;
        Ok(())
    }

    /// The state machine's view of genesis.
    pub fn ledger_genesis(&self) -> Genesis {
        Genesis {
            chain_id: self.chain_id.clone(),
            genesis_time_ms: self.genesis_time_ms,
            parties: self.parties.clone(),
            validators: self.validators.clone(),
            registrar_quorum: self.registrar_quorum,
        }
    }

    /// SHA-256 of the RFC 8785 canonical JSON of the file: equal on every node that loaded the same
    /// genesis, whatever its formatting.
    pub fn hash(&self) -> Hash {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| ebl_ledger::checksum::document_checksum(&v).ok())
            .unwrap_or(Hash::ZERO)
    }

    pub fn total_voting_power(&self) -> u64 {
        self.validators.iter().map(|v| v.voting_power).sum()
    }

    /// The genesis validators as (consensus key, voting power): what a client trusts first.
    pub fn powers(&self) -> Vec<(PartyId, u64)> {
        self.validators.iter().map(|v| (v.consensus_key, v.voting_power)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebl_contracts::testkit::Cast;

    fn sample() -> GenesisFile {
        let cast = Cast::new();
        let g = cast.genesis();
        GenesisFile {
            chain_id: g.chain_id,
            genesis_time_ms: g.genesis_time_ms,
            validators: vec![ValidatorInfo {
                name: "carrier".into(),
                operator: cast.carrier.party(),
                consensus_key: ebl_ledger::Keypair::for_test("carrier/consensus").party(),
                node_key: ebl_ledger::Keypair::for_test("carrier/node").party(),
                voting_power: 1,
                p2p_address: "/ip4/127.0.0.1/tcp/27000".into(),
            }],
            parties: g.parties,
            registrar_quorum: 1,
        }
    }

    #[test]
    fn a_genesis_file_round_trips_and_its_hash_ignores_formatting() {
        let file = sample();
        let parsed = GenesisFile::from_json(file.to_json().as_bytes()).expect("valid");
        assert_eq!(parsed, file);
        let compact = serde_json::to_string(&file).expect("json");
        assert_eq!(GenesisFile::from_json(compact.as_bytes()).expect("valid").hash(), file.hash());
        assert_ne!(file.hash(), Hash::ZERO);
    }

    #[test]
    fn invalid_validator_sets_are_refused() {
        let mut none = sample();
        none.validators.clear();
        assert!(matches!(none.validate(), Err(GenesisFileError::ValidatorCount)));
        let ledger = |file: GenesisFile| match file.validate() {
            Err(GenesisFileError::Ledger(e)) => e,
            other => panic!("expected a ledger genesis error, got {other:?}"),
        };
        use ebl_contracts::GenesisError as G;
        let mut twice = sample();
        twice.validators.push(twice.validators[0].clone());
        assert!(matches!(ledger(twice), G::DuplicateValidator(_)));
        let mut powerless = sample();
        powerless.validators[0].voting_power = 0;
        assert!(matches!(ledger(powerless), G::InvalidValidator(_)));
        let mut stranger = sample();
        stranger.validators[0].operator = Cast::new().stranger.party();
        assert!(matches!(ledger(stranger), G::OperatorNotParty(_)));
        let mut one_key = sample();
        one_key.validators[0].consensus_key = one_key.validators[0].operator;
        assert!(matches!(ledger(one_key), G::InvalidValidator(_)));
        let mut party_key = sample();
        party_key.validators[0].node_key = Cast::new().bank.party();
        assert!(matches!(ledger(party_key), G::ValidatorKeyIsParty(_)));
        assert!(matches!(GenesisFile::from_json(b"{"), Err(GenesisFileError::Json(_))));
        let unknown_field = file_with_extra_field();
        assert!(matches!(GenesisFile::from_json(unknown_field.as_bytes()), Err(GenesisFileError::Json(_))));
    }

    fn file_with_extra_field() -> String {
        let mut value = serde_json::to_value(sample()).expect("json");
        value["surprise"] = serde_json::json!(1);
        value.to_string()
    }
}
