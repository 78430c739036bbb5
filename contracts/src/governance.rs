//! Validator-set governance (DESIGN §8, ADR 0019): the operator of a validator proposes a change
//! to the set, operators of validators holding more than two thirds of the voting power approve
//! it, and the new set runs from `EFFECT_DELAY_HEIGHTS` after the approving block.
//!
//! A proposal changes the newest epoch's set; it is void once another change replaces that
//! epoch, and it expires `PROPOSAL_LIFETIME_HEIGHTS` after it was made. An operator has at most
//! one open proposal (a new one replaces it), so the governance record stays as small as the
//! set. While an approved change is pending, nothing can be proposed or approved: at most one
//! set is ever waiting, which is what the node and a light client need to know the set of each
//! height from the newest two epochs.

use ebl_ledger::governance::{
    apply_change, has_quorum, ChangeError, Governance, ValidatorChange, ValidatorEpoch, ValidatorProposal,
    EFFECT_DELAY_HEIGHTS, PROPOSAL_LIFETIME_HEIGHTS,
};
use ebl_ledger::records::StateKey;
use ebl_ledger::{ErrorCode, PartyId, StateRead};

use crate::exec::TxCtx;
use crate::overlay::Overlay;
use crate::{require, Fail};

impl From<ChangeError> for Fail {
    fn from(e: ChangeError) -> Self {
        Fail::Refused(match e {
            ChangeError::Invalid => ErrorCode::InvalidInput,
            ChangeError::Exists => ErrorCode::ValidatorExists,
            ChangeError::Unknown => ErrorCode::UnknownValidator,
            ChangeError::TooSmall => ErrorCode::ValidatorSetTooSmall,
            ChangeError::TooLarge => ErrorCode::LimitReached,
            ChangeError::TooMuchPower => ErrorCode::PowerChangeTooLarge,
        })
    }
}

/// The governance record and the newest epoch, refused with `NOT_A_VALIDATOR` on a ledger that
/// has none (a genesis without validators: nobody can govern it).
fn newest<R: StateRead + ?Sized>(state: &Overlay<'_, R>) -> Result<(Governance, ValidatorEpoch), Fail> {
    let governance: Governance = state.get(&StateKey::Governance)?.ok_or(ErrorCode::NotAValidator)?;
    let epoch = state.get(&StateKey::ValidatorEpoch(governance.latest_epoch))?.ok_or_else(|| {
        Fail::Store(ebl_ledger::StoreError::Corrupt("the newest validator epoch is missing".into()))
    })?;
    Ok((governance, epoch))
}

/// The checks every governance action shares: no change pending, and the submitter operates a
/// validator of the newest set.
fn governor<R: StateRead + ?Sized>(
    state: &Overlay<'_, R>,
    ctx: &TxCtx<'_>,
) -> Result<(Governance, ValidatorEpoch), Fail> {
    let (governance, epoch) = newest(state)?;
    require(epoch.effective_height <= ctx.height(), ErrorCode::ChangePending)?;
    require(epoch.by_operator(&ctx.submitter).is_some(), ErrorCode::NotAValidator)?;
    Ok((governance, epoch))
}

/// Drops the proposals that can no longer pass: of another epoch, or expired at `height`.
fn prune(governance: &mut Governance, height: u64) {
    let epoch = governance.latest_epoch;
    governance
        .open
        .retain(|p| p.epoch == epoch && height < p.proposed_height.saturating_add(PROPOSAL_LIFETIME_HEIGHTS));
}

/// A validator that joins is run by an active party, and its own keys are nobody's party key.
fn check_keys<R: StateRead + ?Sized>(state: &Overlay<'_, R>, change: &ValidatorChange) -> Result<(), Fail> {
    if let ValidatorChange::Add(v) = change {
        crate::parties::active(state, &v.operator)?;
        for key in [v.consensus_key, v.node_key] {
            require(!state.party_key_in_use(&key)?, ErrorCode::KeyInUse)?;
        }
        require(!state.observers()?.0.iter().any(|o| o.node_key == v.node_key), ErrorCode::KeyInUse)?;
    }
    Ok(())
}

/// PROPOSE_VALIDATOR_CHANGE.
pub fn propose<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    change: &ValidatorChange,
) -> Result<(), Fail> {
    let (mut governance, epoch) = governor(state, ctx)?;
    apply_change(&epoch.validators, change)?;
    check_keys(state, change)?;
    prune(&mut governance, ctx.height());
    governance.open.retain(|p| p.proposer != ctx.submitter);
    let proposal = ValidatorProposal {
        id: governance.next_proposal,
        epoch: epoch.epoch,
        change: change.clone(),
        proposer: ctx.submitter,
        approvals: vec![ctx.submitter],
        proposed_height: ctx.height(),
    };
    governance.next_proposal = governance.next_proposal.checked_add(1).ok_or(ErrorCode::LimitReached)?;
    settle(state, ctx, governance, epoch, proposal)
}

/// APPROVE_VALIDATOR_CHANGE.
pub fn approve<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    id: u64,
) -> Result<(), Fail> {
    let (mut governance, epoch) = governor(state, ctx)?;
    prune(&mut governance, ctx.height());
    let index = governance.open.iter().position(|p| p.id == id).ok_or(ErrorCode::UnknownProposal)?;
    let mut proposal = governance.open.remove(index);
    require(!proposal.approvals.contains(&ctx.submitter), ErrorCode::AlreadyApproved)?;
    proposal.approvals.push(ctx.submitter);
    settle(state, ctx, governance, epoch, proposal)
}

/// Keeps `proposal` open, or, when its approvals reach the quorum of `epoch`, writes the next
/// epoch and closes every open proposal (they changed a set that is no longer the newest).
fn settle<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    mut governance: Governance,
    epoch: ValidatorEpoch,
    proposal: ValidatorProposal,
) -> Result<(), Fail> {
    if !has_quorum(&epoch, &proposal.approvals) {
        governance.open.push(proposal);
        state.put(StateKey::Governance, &governance);
        return Ok(());
    }
    // Checked again: a party may have been registered with one of its keys since.
    let validators = apply_change(&epoch.validators, &proposal.change)?;
    check_keys(state, &proposal.change)?;
    let next = ValidatorEpoch {
        epoch: epoch.epoch.checked_add(1).ok_or(ErrorCode::LimitReached)?,
        effective_height: ctx.height().checked_add(EFFECT_DELAY_HEIGHTS).ok_or(ErrorCode::LimitReached)?,
        approved_height: ctx.height(),
        proposal: Some(proposal.id),
        validators,
    };
    governance.latest_epoch = next.epoch;
    governance.open.clear();
    state.put(StateKey::ValidatorEpoch(next.epoch), &next);
    state.put(StateKey::Governance, &governance);
    Ok(())
}

/// Whether `key` is a key of a validator of the newest set or an observer's node key (a party
/// may not take one: one key, one use).
pub(crate) fn validator_or_observer_key<R: StateRead + ?Sized>(
    state: &Overlay<'_, R>,
    key: &PartyId,
) -> Result<bool, Fail> {
    if state.observers()?.0.iter().any(|o| o.node_key == *key) {
        return Ok(true);
    }
    let Some(governance) = state.get::<Governance>(&StateKey::Governance)? else { return Ok(false) };
    let Some(epoch) = state.get::<ValidatorEpoch>(&StateKey::ValidatorEpoch(governance.latest_epoch))? else {
        return Ok(false);
    };
    Ok(epoch.validators.iter().any(|v| v.consensus_key == *key || v.node_key == *key))
}
