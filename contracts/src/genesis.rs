//! The genesis state: the chain id, the genesis time and the parties the network starts with
//! (at least one registrar, who onboards everyone else).

use std::collections::BTreeSet;

use ebl_ledger::action::RegisterParty;
use ebl_ledger::governance::{valid_entry, Governance, ValidatorEpoch, ValidatorInfo, VALIDATORS_MAX};
use ebl_ledger::limits::CHAIN_ID_BYTES_MAX;
use ebl_ledger::limits::TX_SIGNERS_MAX;
use ebl_ledger::records::{PartyRecord, PartyStatus, Registry, Role, StateKey, REGISTRARS_MAX};
use ebl_ledger::{encoding, PartyId};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::overlay::WriteSet;
use crate::parties::check_registration;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Genesis {
    pub chain_id: String,
    /// Milliseconds since the Unix epoch; the first block's time must not be earlier.
    pub genesis_time_ms: u64,
    pub parties: Vec<RegisterParty>,
    /// The validator set of epoch 0 (none for a ledger no one governs: the contracts' tests).
    #[serde(default)]
    pub validators: Vec<ValidatorInfo>,
    /// How many distinct registrars sign each registrar action (1 to the genesis registrars'
    /// number, at most `TX_SIGNERS_MAX`).
    #[serde(default = "one")]
    pub registrar_quorum: u32,
}

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GenesisError {
    #[error("chain id must be 1 to {CHAIN_ID_BYTES_MAX} bytes of printable ASCII")]
    ChainId,
    #[error("genesis names no party with the REGISTRAR role")]
    NoRegistrar,
    #[error("party {0} appears twice")]
    DuplicateParty(PartyId),
    #[error("party {party} is invalid: {code}")]
    InvalidParty { party: PartyId, code: ebl_ledger::ErrorCode },
    #[error("more than {VALIDATORS_MAX} validators")]
    TooManyValidators,
    #[error("validator {0:?} is invalid: a name and an address within bounds, some voting power, three valid keys that differ")]
    InvalidValidator(String),
    #[error("validator {0:?} shares a key or its operator with another validator")]
    DuplicateValidator(String),
    #[error("the operator of validator {0:?} is not a genesis party")]
    OperatorNotParty(String),
    #[error("the consensus or node key of validator {0:?} is a party's key")]
    ValidatorKeyIsParty(String),
    #[error("the validators' voting powers overflow a 64-bit sum")]
    PowerOverflow,
    #[error("the registrar quorum must be 1 to the number of genesis registrars ({registrars}) and at most {TX_SIGNERS_MAX}")]
    RegistrarQuorum { registrars: usize },
    #[error("more than {REGISTRARS_MAX} registrars")]
    TooManyRegistrars,
}

impl Genesis {
    /// The genesis validator set, checked: each entry valid, no key or operator shared, every
    /// operator a genesis party, no validator key a party's. `None` without validators.
    pub fn epoch_zero(&self) -> Result<Option<ValidatorEpoch>, GenesisError> {
        if self.validators.is_empty() {
            return Ok(None);
        }
        if self.validators.len() > VALIDATORS_MAX {
            return Err(GenesisError::TooManyValidators);
        }
        let mut keys = BTreeSet::new();
        for v in &self.validators {
            if !valid_entry(v) {
                return Err(GenesisError::InvalidValidator(v.name.clone()));
            }
            if ![v.operator, v.consensus_key, v.node_key].iter().all(|k| keys.insert(*k)) {
                return Err(GenesisError::DuplicateValidator(v.name.clone()));
            }
            if !self.parties.iter().any(|p| p.party == v.operator) {
                return Err(GenesisError::OperatorNotParty(v.name.clone()));
            }
            if self.parties.iter().any(|p| p.party == v.consensus_key || p.party == v.node_key) {
                return Err(GenesisError::ValidatorKeyIsParty(v.name.clone()));
            }
        }
        let mut validators = self.validators.clone();
        validators.sort_by_key(|v| v.consensus_key);
        let epoch =
            ValidatorEpoch { epoch: 0, effective_height: 0, approved_height: 0, proposal: None, validators };
        if epoch.total_power().is_none() {
            return Err(GenesisError::PowerOverflow);
        }
        Ok(Some(epoch))
    }

    /// The writes that make the genesis state (version 0 of the state tree).
    pub fn writes(&self) -> Result<WriteSet, GenesisError> {
        let id = &self.chain_id;
        if id.is_empty() || id.len() > CHAIN_ID_BYTES_MAX || !id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(GenesisError::ChainId);
        }
        if !self.parties.iter().any(|p| p.roles.contains(Role::Registrar)) {
            return Err(GenesisError::NoRegistrar);
        }
        let mut seen = BTreeSet::new();
        let mut writes = WriteSet::new();
        for p in &self.parties {
            if !seen.insert(p.party) {
                return Err(GenesisError::DuplicateParty(p.party));
            }
            check_registration(p).map_err(|code| GenesisError::InvalidParty { party: p.party, code })?;
            let record = PartyRecord {
                party: p.party,
                legal_name: p.legal_name.clone(),
                roles: p.roles,
                codes: p.codes.clone(),
                status: PartyStatus::Active,
                registered_height: 0,
                signing_key: None,
            };
            writes.insert(StateKey::Party(p.party), Some(encoding::encode(&record)));
            writes.insert(StateKey::Nonce(p.party), Some(encoding::encode(&0u64)));
        }
        let mut registrars: Vec<PartyId> =
            self.parties.iter().filter(|p| p.roles.contains(Role::Registrar)).map(|p| p.party).collect();
        registrars.sort();
        if registrars.len() > REGISTRARS_MAX {
            return Err(GenesisError::TooManyRegistrars);
        }
        let quorum = self.registrar_quorum as usize;
        if quorum == 0 || quorum > registrars.len() || quorum > TX_SIGNERS_MAX {
            return Err(GenesisError::RegistrarQuorum { registrars: registrars.len() });
        }
        let registry = Registry { quorum: self.registrar_quorum, registrars };
        writes.insert(StateKey::Registry, Some(encoding::encode(&registry)));
        if let Some(epoch) = self.epoch_zero()? {
            writes.insert(StateKey::ValidatorEpoch(0), Some(encoding::encode(&epoch)));
            writes.insert(StateKey::Governance, Some(encoding::encode(&Governance::default())));
        }
        Ok(writes)
    }
}
