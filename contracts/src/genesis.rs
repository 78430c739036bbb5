//! The genesis state: the chain id, the genesis time and the parties the network starts with
//! (at least one registrar, who onboards everyone else).

use std::collections::BTreeSet;

use ebl_ledger::action::RegisterParty;
use ebl_ledger::limits::CHAIN_ID_BYTES_MAX;
use ebl_ledger::records::{PartyRecord, PartyStatus, Role, StateKey};
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
}

impl Genesis {
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
            };
            writes.insert(StateKey::Party(p.party), Some(encoding::encode(&record)));
            writes.insert(StateKey::Nonce(p.party), Some(encoding::encode(&0u64)));
        }
        Ok(writes)
    }
}
