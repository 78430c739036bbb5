//! The genesis file every node of a network loads: chain id, genesis time, the validators (who
//! run consensus, with their voting power and network address) and the parties the ledger starts
//! with. Every node must load the same file; its hash names the network's beginning.

use std::path::Path;

use ebl_contracts::Genesis;
use ebl_ledger::action::RegisterParty;
use ebl_ledger::{Hash, PartyId};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Largest genesis file read, in bytes.
pub const GENESIS_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Most validators a network may have.
pub const VALIDATORS_MAX: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidatorEntry {
    /// A human name for logs ("carrier", "bank", …).
    pub name: String,
    /// The validator's key: it signs votes, and proposes blocks under this party id.
    pub party: PartyId,
    pub voting_power: u64,
    /// Where its peers reach it (a libp2p multiaddr).
    pub p2p_address: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenesisFile {
    pub chain_id: String,
    pub genesis_time_ms: u64,
    pub validators: Vec<ValidatorEntry>,
    pub parties: Vec<RegisterParty>,
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
    #[error("validator {0} appears twice")]
    DuplicateValidator(PartyId),
    #[error("validator {0} has no voting power")]
    NoPower(PartyId),
    #[error("validator {0} is not among the genesis parties")]
    ValidatorNotParty(PartyId),
    #[error("total voting power overflows")]
    PowerOverflow,
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

    /// Checks the validator set and the ledger genesis.
    pub fn validate(&self) -> Result<(), GenesisFileError> {
        if self.validators.is_empty() || self.validators.len() > VALIDATORS_MAX {
            return Err(GenesisFileError::ValidatorCount);
        }
        let mut total: u64 = 0;
        for (i, v) in self.validators.iter().enumerate() {
            if self.validators[..i].iter().any(|w| w.party == v.party) {
                return Err(GenesisFileError::DuplicateValidator(v.party));
            }
            if v.voting_power == 0 {
                return Err(GenesisFileError::NoPower(v.party));
            }
            total = total.checked_add(v.voting_power).ok_or(GenesisFileError::PowerOverflow)?;
            if !self.parties.iter().any(|p| p.party == v.party) {
                return Err(GenesisFileError::ValidatorNotParty(v.party));
            }
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
            validators: vec![ValidatorEntry {
                name: "carrier".into(),
                party: cast.carrier.party(),
                voting_power: 1,
                p2p_address: "/ip4/127.0.0.1/tcp/27000".into(),
            }],
            parties: g.parties,
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
        let mut twice = sample();
        twice.validators.push(twice.validators[0].clone());
        assert!(matches!(twice.validate(), Err(GenesisFileError::DuplicateValidator(_))));
        let mut powerless = sample();
        powerless.validators[0].voting_power = 0;
        assert!(matches!(powerless.validate(), Err(GenesisFileError::NoPower(_))));
        let mut stranger = sample();
        stranger.validators[0].party = Cast::new().stranger.party();
        assert!(matches!(stranger.validate(), Err(GenesisFileError::ValidatorNotParty(_))));
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
