//! Validator-set governance (DESIGN §8, ADR 0019): who validates at each height, and the changes
//! proposed to that set. Data and pure arithmetic only; who may propose and approve is decided in
//! `ebl-contracts` (`governance.rs`).
//!
//! The sets form a chain of **epochs**. Epoch 0 is the genesis set. A change, proposed by the
//! operator of a validator and approved by the operators of validators holding more than two
//! thirds of the voting power, writes epoch `k + 1` into the state at the approving height `A`,
//! in force from height `A + EFFECT_DELAY_HEIGHTS`. A light client that trusts epoch `k` checks
//! epoch `k + 1` from a state proof at height `A`, whose certificate epoch `k` signed
//! ([`ValidatorEpoch::approved_height`]).
//!
//! Three keys per validator, all distinct (and none a party's): the **consensus key** signs
//! votes and proposals (certificates name it), the **node key** is its libp2p identity (its peer
//! id), and the **operator** is the registered party of the organisation running it, which
//! signs governance transactions.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::keys::PartyId;
use crate::records::StateKey;
use crate::state::StateRead;

/// Fewest validators a change may leave: with four, one may fail (f = 1 of 3f + 1). A network
/// started with fewer (a development network) may grow, but may not shrink.
pub const VALIDATORS_MIN: usize = 4;
/// Most validators a set may have (and a certificate may carry signatures of).
pub const VALIDATORS_MAX: usize = 100;
/// Heights between the block that approves a change and the first height the new set runs:
/// the approving block is certified by the set before, which is what a light client checks
/// the new set with, and the new validator's node has that block's time to catch up.
pub const EFFECT_DELAY_HEIGHTS: u64 = 2;
/// Heights after which an open proposal can no longer be approved.
pub const PROPOSAL_LIFETIME_HEIGHTS: u64 = 1_000_000;
/// Longest validator name, in characters.
pub const VALIDATOR_NAME_CHARS_MAX: usize = 64;
/// Longest p2p address (a libp2p multiaddr), in characters.
pub const P2P_ADDRESS_CHARS_MAX: usize = 256;

/// One validator of a set.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidatorInfo {
    /// A human name for logs and the portal ("carrier", "bank-b", …).
    pub name: String,
    /// The registered party that runs it: it signs this validator's governance transactions.
    pub operator: PartyId,
    /// Signs its votes and proposals; the certificates name it.
    pub consensus_key: PartyId,
    /// Its libp2p identity (an ed25519 public key; the peer id is derived from it).
    pub node_key: PartyId,
    pub voting_power: u64,
    /// Where its peers reach it (a libp2p multiaddr).
    pub p2p_address: String,
}

/// A change to the validator set.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE", rename_all_fields = "camelCase")]
pub enum ValidatorChange {
    Add(ValidatorInfo),
    SetPower { consensus_key: PartyId, voting_power: u64 },
    Remove { consensus_key: PartyId },
}

/// A validator set and the heights it runs from (state key `ValidatorEpoch(epoch)`).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatorEpoch {
    pub epoch: u64,
    /// The first height this set runs.
    pub effective_height: u64,
    /// The height of the block that approved it (0 for the genesis set): a state proof of this
    /// record at that height is certified by the set before.
    pub approved_height: u64,
    /// The proposal that made it (`None` for the genesis set).
    pub proposal: Option<u64>,
    /// Sorted by consensus key.
    pub validators: Vec<ValidatorInfo>,
}

impl ValidatorEpoch {
    /// (consensus key, voting power) pairs: what a certificate is checked against.
    pub fn powers(&self) -> Vec<(PartyId, u64)> {
        self.validators.iter().map(|v| (v.consensus_key, v.voting_power)).collect()
    }

    /// The total voting power (`None` if it overflows: such a set is never written).
    pub fn total_power(&self) -> Option<u64> {
        self.validators.iter().try_fold(0u64, |sum, v| sum.checked_add(v.voting_power))
    }

    /// The validator `operator` runs.
    pub fn by_operator(&self, operator: &PartyId) -> Option<&ValidatorInfo> {
        self.validators.iter().find(|v| v.operator == *operator)
    }
}

/// An open proposal to change the set of epoch `epoch`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatorProposal {
    pub id: u64,
    /// The epoch whose set it changes: once another change takes that epoch's place, the
    /// proposal is void.
    pub epoch: u64,
    pub change: ValidatorChange,
    /// The operator that proposed it (its approval is counted).
    pub proposer: PartyId,
    /// Operators that approved it, in the order they did.
    pub approvals: Vec<PartyId>,
    pub proposed_height: u64,
}

/// The governance record (state key `Governance`): the newest epoch, the next proposal id and
/// the proposals open against the newest epoch (at most one per operator).
#[derive(Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Governance {
    pub latest_epoch: u64,
    pub next_proposal: u64,
    pub open: Vec<ValidatorProposal>,
}

/// Why a change cannot apply to a set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error("a field is empty, too long or out of range")]
    Invalid,
    #[error("the validator, its operator or one of its keys is in the set already")]
    Exists,
    #[error("no validator of the set has this consensus key")]
    Unknown,
    #[error("the set would have fewer than {VALIDATORS_MIN} validators")]
    TooSmall,
    #[error("the set would have more than {VALIDATORS_MAX} validators")]
    TooLarge,
    #[error("the change moves a third of the voting power or more at once")]
    TooMuchPower,
}

/// The set `validators` becomes under `change`, sorted by consensus key, or why it cannot.
///
/// Bounds: the set keeps at least [`VALIDATORS_MIN`] validators unless it grows (a network
/// started smaller may only add), at most [`VALIDATORS_MAX`], and the power moved — added,
/// removed or changed, summed over the validators — is less than a third of the total before,
/// so that more than two thirds of the old power remain in the new set and the new set cannot
/// be handed over at once.
pub fn apply_change(
    validators: &[ValidatorInfo],
    change: &ValidatorChange,
) -> Result<Vec<ValidatorInfo>, ChangeError> {
    let total: u64 = validators
        .iter()
        .try_fold(0u64, |sum, v| sum.checked_add(v.voting_power))
        .ok_or(ChangeError::Invalid)?;
    let mut next = validators.to_vec();
    let moved = match change {
        ValidatorChange::Add(v) => {
            if !valid_entry(v) {
                return Err(ChangeError::Invalid);
            }
            let keys = [v.consensus_key, v.node_key, v.operator];
            if validators
                .iter()
                .any(|w| [w.consensus_key, w.node_key, w.operator].iter().any(|k| keys.contains(k)))
            {
                return Err(ChangeError::Exists);
            }
            next.push(v.clone());
            v.voting_power
        }
        ValidatorChange::SetPower { consensus_key, voting_power } => {
            if *voting_power == 0 {
                return Err(ChangeError::Invalid);
            }
            let entry =
                next.iter_mut().find(|w| w.consensus_key == *consensus_key).ok_or(ChangeError::Unknown)?;
            let moved = entry.voting_power.abs_diff(*voting_power);
            entry.voting_power = *voting_power;
            moved
        }
        ValidatorChange::Remove { consensus_key } => {
            let index =
                next.iter().position(|w| w.consensus_key == *consensus_key).ok_or(ChangeError::Unknown)?;
            next.remove(index).voting_power
        }
    };
    if next.len() > VALIDATORS_MAX {
        return Err(ChangeError::TooLarge);
    }
    if next.len() < VALIDATORS_MIN && next.len() < validators.len() {
        return Err(ChangeError::TooSmall);
    }
    if next.iter().try_fold(0u64, |sum, v| sum.checked_add(v.voting_power)).is_none() {
        return Err(ChangeError::Invalid);
    }
    // Less than a third: 3 × moved < total, in u128 so nothing overflows.
    if 3 * u128::from(moved) >= u128::from(total) {
        return Err(ChangeError::TooMuchPower);
    }
    next.sort_by_key(|v| v.consensus_key);
    Ok(next)
}

/// The stateless checks of one validator entry (a change's, or the genesis file's): a name and
/// an address within their bounds, some voting power, three valid keys that differ.
pub fn valid_entry(v: &ValidatorInfo) -> bool {
    let text_ok = |s: &str, max: usize| {
        !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(char::is_control)
    };
    text_ok(&v.name, VALIDATOR_NAME_CHARS_MAX)
        && text_ok(&v.p2p_address, P2P_ADDRESS_CHARS_MAX)
        && v.voting_power > 0
        && [v.consensus_key, v.node_key, v.operator].iter().all(PartyId::is_valid_key)
        && v.consensus_key != v.node_key
        && v.consensus_key != v.operator
        && v.node_key != v.operator
}

/// Whether operators holding `approvals` hold more than two thirds of the power of `set`.
pub fn has_quorum(set: &ValidatorEpoch, approvals: &[PartyId]) -> bool {
    let Some(total) = set.total_power() else { return false };
    let approved: u128 = set
        .validators
        .iter()
        .filter(|v| approvals.contains(&v.operator))
        .map(|v| u128::from(v.voting_power))
        .sum();
    3 * approved > 2 * u128::from(total)
}

/// Most observers the ledger lists.
pub const OBSERVERS_MAX: usize = 64;

/// A node that follows, verifies and serves the chain without voting (a bank's or customs'
/// own node), which validators accept as a peer (state key `Observers`, kept by the registrar
/// quorum).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observer {
    /// A human name ("bank-b node", …).
    pub name: String,
    /// Its node key: the libp2p identity validators accept.
    pub node_key: PartyId,
}

/// The observer list, sorted by node key.
#[derive(Debug, Clone, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Observers(pub Vec<Observer>);

impl Observers {
    /// Reads the list from `state` (empty when none was ever allowed).
    pub fn read<R: StateRead + ?Sized>(state: &R) -> Result<Observers, StoreError> {
        Ok(read_record(state, &StateKey::Observers)?.unwrap_or_default())
    }
}

/// Largest stored epoch or governance record decoded: 100 validators of bounded fields, and as
/// many open proposals, with room.
pub const GOVERNANCE_RECORD_BYTES_MAX: usize = 256 * 1024;

/// The newest epoch and the one before it: the set of every height from the committed tip on
/// (at most one epoch is ever pending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentEpochs {
    pub newest: ValidatorEpoch,
    pub before: Option<ValidatorEpoch>,
}

impl RecentEpochs {
    /// The epoch in force at `height` (`None` before both: a height already committed long ago).
    pub fn at(&self, height: u64) -> Option<&ValidatorEpoch> {
        if self.newest.effective_height <= height {
            Some(&self.newest)
        } else {
            self.before.as_ref().filter(|b| b.effective_height <= height)
        }
    }

    /// Reads them from `state`; `None` for a ledger without validators.
    pub fn read<R: StateRead + ?Sized>(state: &R) -> Result<Option<RecentEpochs>, StoreError> {
        let Some(governance) = read_record::<Governance, R>(state, &StateKey::Governance)? else {
            return Ok(None);
        };
        let epoch = |k: u64| -> Result<ValidatorEpoch, StoreError> {
            read_record(state, &StateKey::ValidatorEpoch(k))?
                .ok_or_else(|| StoreError::Corrupt(format!("validator epoch {k} is missing")))
        };
        let newest = epoch(governance.latest_epoch)?;
        let before = governance.latest_epoch.checked_sub(1).map(epoch).transpose()?;
        Ok(Some(RecentEpochs { newest, before }))
    }
}

/// Every epoch from 0 to the newest, from `state` (empty for a ledger without validators): what
/// a checker of a whole chain needs to know the set of each height ([`epoch_of_height`]).
pub fn read_epochs<R: StateRead + ?Sized>(state: &R) -> Result<Vec<ValidatorEpoch>, StoreError> {
    let Some(governance) = read_record::<Governance, R>(state, &StateKey::Governance)? else {
        return Ok(Vec::new());
    };
    (0..=governance.latest_epoch)
        .map(|k| {
            read_record(state, &StateKey::ValidatorEpoch(k))?
                .ok_or_else(|| StoreError::Corrupt(format!("validator epoch {k} is missing")))
        })
        .collect()
}

/// The epoch of `epochs` (in order, as [`read_epochs`] gives them) in force at `height`.
pub fn epoch_of_height(epochs: &[ValidatorEpoch], height: u64) -> Option<&ValidatorEpoch> {
    epochs.iter().rev().find(|e| e.effective_height <= height)
}

fn read_record<T: BorshDeserialize, R: StateRead + ?Sized>(
    state: &R,
    key: &StateKey,
) -> Result<Option<T>, StoreError> {
    crate::state::read_decoded(state, key, GOVERNANCE_RECORD_BYTES_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keypair;

    fn key(label: &str) -> PartyId {
        Keypair::for_test(label).party()
    }

    fn validator(name: &str, power: u64) -> ValidatorInfo {
        ValidatorInfo {
            name: name.into(),
            operator: key(&format!("{name}/operator")),
            consensus_key: key(&format!("{name}/consensus")),
            node_key: key(&format!("{name}/node")),
            voting_power: power,
            p2p_address: "/ip4/127.0.0.1/tcp/26656".into(),
        }
    }

    fn four() -> Vec<ValidatorInfo> {
        ["a", "b", "c", "d"].iter().map(|n| validator(n, 10)).collect()
    }

    #[test]
    fn a_fifth_validator_joins_and_one_of_five_leaves() {
        let five = apply_change(&four(), &ValidatorChange::Add(validator("e", 10))).expect("add");
        assert_eq!(five.len(), 5);
        assert!(five.windows(2).all(|w| w[0].consensus_key < w[1].consensus_key), "sorted");
        let gone = five[2].consensus_key;
        let four_again =
            apply_change(&five, &ValidatorChange::Remove { consensus_key: gone }).expect("remove");
        assert_eq!(four_again.len(), 4);
        assert!(four_again.iter().all(|v| v.consensus_key != gone));
    }

    #[test]
    fn changes_past_the_bounds_are_refused() {
        let four = four();
        let first = four[0].consensus_key;
        assert_eq!(
            apply_change(&four, &ValidatorChange::Remove { consensus_key: first }),
            Err(ChangeError::TooSmall)
        );
        // A third of the power or more at once.
        assert_eq!(
            apply_change(&four, &ValidatorChange::Add(validator("e", 14))),
            Err(ChangeError::TooMuchPower)
        );
        assert!(apply_change(&four, &ValidatorChange::Add(validator("e", 13))).is_ok());
        assert_eq!(
            apply_change(&four, &ValidatorChange::SetPower { consensus_key: first, voting_power: 24 }),
            Err(ChangeError::TooMuchPower)
        );
        assert_eq!(
            apply_change(&four, &ValidatorChange::SetPower { consensus_key: first, voting_power: 0 }),
            Err(ChangeError::Invalid)
        );
        let stranger = key("stranger");
        assert_eq!(
            apply_change(&four, &ValidatorChange::Remove { consensus_key: stranger }),
            Err(ChangeError::Unknown)
        );
        // A key already in the set, in any of the three roles.
        let mut twin = validator("e", 1);
        twin.node_key = four[1].consensus_key;
        assert_eq!(apply_change(&four, &ValidatorChange::Add(twin)), Err(ChangeError::Exists));
        let mut same_operator = validator("e", 1);
        same_operator.operator = four[3].operator;
        assert_eq!(apply_change(&four, &ValidatorChange::Add(same_operator)), Err(ChangeError::Exists));
        // One key in two roles, an empty name, a control character in the address.
        let mut doubled = validator("e", 1);
        doubled.node_key = doubled.consensus_key;
        assert_eq!(apply_change(&four, &ValidatorChange::Add(doubled)), Err(ChangeError::Invalid));
        let mut unnamed = validator("e", 1);
        unnamed.name = " ".into();
        assert_eq!(apply_change(&four, &ValidatorChange::Add(unnamed)), Err(ChangeError::Invalid));
        let mut newline = validator("e", 1);
        newline.p2p_address.push('\n');
        assert_eq!(apply_change(&four, &ValidatorChange::Add(newline)), Err(ChangeError::Invalid));
        // Powers that would overflow.
        assert_eq!(
            apply_change(&four, &ValidatorChange::Add(validator("e", u64::MAX))),
            Err(ChangeError::Invalid)
        );
    }

    #[test]
    fn a_small_network_may_grow_but_not_shrink() {
        let one = vec![validator("a", 10)];
        // Adding 1 of 10 is a tenth of the power.
        let two = apply_change(&one, &ValidatorChange::Add(validator("b", 1))).expect("grow");
        assert_eq!(two.len(), 2);
        let b = validator("b", 1).consensus_key;
        assert_eq!(
            apply_change(&two, &ValidatorChange::Remove { consensus_key: b }),
            Err(ChangeError::TooSmall)
        );
    }

    #[test]
    fn the_quorum_is_more_than_two_thirds_of_the_power() {
        let set = ValidatorEpoch {
            epoch: 0,
            effective_height: 0,
            approved_height: 0,
            proposal: None,
            validators: four(),
        };
        let ops: Vec<PartyId> = set.validators.iter().map(|v| v.operator).collect();
        assert!(!has_quorum(&set, &ops[..2]));
        assert!(!has_quorum(&set, &[ops[0], ops[0], ops[0]]), "one operator counted once");
        assert!(has_quorum(&set, &ops[..3]));
        assert!(!has_quorum(&set, &[key("stranger"), ops[0], ops[1]]), "a stranger holds no power");
    }

    #[test]
    fn the_epoch_in_force_switches_at_the_effective_height() {
        let old = ValidatorEpoch {
            epoch: 3,
            effective_height: 10,
            approved_height: 8,
            proposal: Some(2),
            validators: four(),
        };
        let new = ValidatorEpoch {
            epoch: 4,
            effective_height: 22,
            approved_height: 20,
            proposal: Some(5),
            validators: four(),
        };
        let recent = RecentEpochs { newest: new, before: Some(old) };
        assert_eq!(recent.at(21).map(|e| e.epoch), Some(3));
        assert_eq!(recent.at(22).map(|e| e.epoch), Some(4));
        assert_eq!(recent.at(9).map(|e| e.epoch), None, "before both");
    }
}
