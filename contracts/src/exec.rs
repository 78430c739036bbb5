//! Transaction and block execution.

use ebl_ledger::action::Action;
use ebl_ledger::records::StateKey;
use ebl_ledger::{ErrorCode, Outcome, PartyId, Receipt, StateRead, StoreError, TxError, TxId, VerifiedTx};
use thiserror::Error;

use crate::overlay::{merge, Overlay, WriteSet};
use crate::{governance, parties, release, title, Fail};

/// What the state machine knows of the block it executes in. The only clock is `time_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockCtx {
    pub chain_id: String,
    pub height: u64,
    /// Block time, milliseconds since the Unix epoch.
    pub time_ms: u64,
}

/// What one action sees of its transaction.
pub(crate) struct TxCtx<'a> {
    pub block: &'a BlockCtx,
    pub tx_id: TxId,
    pub submitter: PartyId,
    pub signers: &'a [PartyId],
}

impl TxCtx<'_> {
    pub fn signed_by(&self, party: &PartyId) -> bool {
        self.signers.contains(party)
    }
    pub fn now_ms(&self) -> u64 {
        self.block.time_ms
    }
    pub fn height(&self) -> u64 {
        self.block.height
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApplyError {
    /// The transaction may not be in a block at all; nothing was changed.
    #[error("transaction {tx_id} cannot be included: {error}")]
    Rejected { tx_id: TxId, error: TxError },
    /// The store failed; the block must not be committed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Executes `tx` over `base` plus the block's writes so far, adding its effects to `block`.
///
/// * Envelope checks first: chain id, registered submitter, exact next nonce. A failure
///   here is [`ApplyError::Rejected`] and leaves `block` untouched.
/// * Then the action. Refused: a failure receipt, and only the nonce advances.
pub fn apply_tx<R: StateRead + ?Sized>(
    base: &R,
    block: &mut WriteSet,
    ctx: &BlockCtx,
    tx: &VerifiedTx,
) -> Result<Receipt, ApplyError> {
    let tx_id = tx.id();
    let body = tx.body();
    let reject = |error| ApplyError::Rejected { tx_id, error };
    if body.chain_id != ctx.chain_id {
        return Err(reject(TxError::WrongChain {
            expected: ctx.chain_id.clone(),
            found: body.chain_id.clone(),
        }));
    }
    let submitter = tx.submitter();
    let view = Overlay::new(base, block);
    let Some(expected) = view.nonce(&submitter)? else {
        return Err(reject(TxError::UnknownSigner(submitter)));
    };
    if body.nonce != expected {
        return Err(reject(TxError::BadNonce { expected, found: body.nonce }));
    }

    let tx_ctx = TxCtx { block: ctx, tx_id, submitter, signers: &body.signers };
    let mut overlay = Overlay::new(base, block);
    let outcome =
        match check_signers(&overlay, &tx_ctx).and_then(|()| dispatch(&mut overlay, &tx_ctx, &body.action)) {
            Ok(()) => Ok(overlay.into_writes()),
            Err(Fail::Refused(code)) => Err(code),
            Err(Fail::Store(e)) => return Err(ApplyError::Store(e)),
        };
    let outcome = match outcome {
        Ok(writes) => {
            merge(block, writes);
            Outcome::Success
        }
        Err(code) => Outcome::Failure(code),
    };
    // The nonce is spent whatever the outcome, so a refused transaction cannot be replayed.
    block.insert(StateKey::Nonce(submitter), Some(ebl_ledger::encoding::encode(&(expected + 1))));
    Ok(Receipt { tx_id, outcome })
}

/// Every signer must be a registered, active party.
fn check_signers<R: StateRead + ?Sized>(state: &Overlay<'_, R>, ctx: &TxCtx<'_>) -> Result<(), Fail> {
    for signer in ctx.signers {
        let party = state.party(signer)?.ok_or(ErrorCode::UnknownParty)?;
        crate::require(party.is_active(), ErrorCode::PartySuspended)?;
    }
    Ok(())
}

fn dispatch<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    action: &Action,
) -> Result<(), Fail> {
    match action {
        Action::RegisterParty(a) => parties::register(state, ctx, a),
        Action::SetPartyRoles { party, roles } => parties::set_roles(state, ctx, party, *roles),
        Action::SuspendParty { party } => parties::suspend(state, ctx, party),
        Action::ReinstateParty { party } => parties::reinstate(state, ctx, party),

        Action::Issue(a) => title::issue(state, ctx, a),
        Action::Reissue(a) => title::reissue(state, ctx, a),
        Action::Transfer { .. }
        | Action::Endorse { .. }
        | Action::EndorseToOrder { .. }
        | Action::BlankEndorse { .. }
        | Action::Sign { .. }
        | Action::RejectTransfer { .. }
        | Action::SurrenderForDelivery { .. }
        | Action::SurrenderForAmendment { .. }
        | Action::AcceptSurrender { .. }
        | Action::RejectSurrender { .. }
        | Action::SwitchToPaper { .. }
        | Action::CreateLien(_)
        | Action::ReleaseLien { .. } => title::act(state, ctx, action),

        Action::IssueReleaseOrder(a) => release::issue_order(state, ctx, a),
        Action::SettleCharges { container } => release::settle_charges(state, ctx, container),
        Action::PlaceHold(a) => release::place_hold(state, ctx, a),
        Action::LiftHold { target, hold_id } => release::lift_hold(state, ctx, target, *hold_id),
        Action::DelegateRelease { container, to } => release::delegate(state, ctx, container, to),
        Action::RevokeRelease { container, reason } => release::revoke(state, ctx, container, reason),
        Action::AssignPickup(a) => release::assign_pickup(state, ctx, a),
        Action::GateOut(a) => release::gate_out(state, ctx, a),
        Action::EmptyReturn(a) => release::empty_return(state, ctx, a),

        Action::ProposeValidatorChange { change } => governance::propose(state, ctx, change),
        Action::ApproveValidatorChange { proposal } => governance::approve(state, ctx, *proposal),
        Action::AllowObserver(o) => parties::allow_observer(state, ctx, o),
        Action::RemoveObserver { node_key } => parties::remove_observer(state, ctx, node_key),
    }
}

/// The result of executing a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    pub receipts: Vec<Receipt>,
    pub writes: WriteSet,
}

/// Executes a proposed block as a validator: every transaction must be includable, or the
/// block is invalid ([`ApplyError::Rejected`] names the first offender).
pub fn execute_block<R: StateRead + ?Sized>(
    base: &R,
    ctx: &BlockCtx,
    txs: &[VerifiedTx],
) -> Result<Executed, ApplyError> {
    let base = crate::overlay::BlockReads::new(base);
    let mut writes = WriteSet::new();
    let mut receipts = Vec::with_capacity(txs.len());
    for tx in txs {
        receipts.push(apply_tx(&base, &mut writes, ctx, tx)?);
    }
    Ok(Executed { receipts, writes })
}
