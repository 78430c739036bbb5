//! Transaction and block execution.

use ebl_ledger::action::Action;
use ebl_ledger::records::{key_standing, KeyStanding, StateKey};
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
    /// The party that submitted it (its signing key resolved to the party).
    pub submitter: PartyId,
    /// The parties that signed it, in the order of their keys (a key a rotation hands signing
    /// to, which co-signs it, is no party yet and is not here).
    pub signers: &'a [PartyId],
    /// The keys that signed it, as the transaction names them.
    pub keys: &'a [PartyId],
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

    let mut overlay = Overlay::new(base, block);
    let outcome = match signer_parties(&overlay, &body.signers, &body.action).and_then(|parties| {
        let submitter = parties.first().copied().ok_or(ErrorCode::UnknownParty)?;
        let tx_ctx = TxCtx { block: ctx, tx_id, submitter, signers: &parties, keys: &body.signers };
        dispatch(&mut overlay, &tx_ctx, &body.action)
    }) {
        Ok(()) => Ok(overlay.into_writes()),
        Err(Fail::Refused(code)) => Err(code),
        Err(Fail::Store(e)) => return Err(ApplyError::Store(e)),
    };
    // The nonce is spent whatever the outcome, so a refused transaction cannot be replayed. It
    // belongs to the signing key: a rotation moves it to the new key, and the old key, left
    // with none, is refused by every envelope check and mempool from then on.
    let mut nonce_key = submitter;
    let outcome = match outcome {
        Ok(writes) => {
            merge(block, writes);
            if let Action::RotateKey { new_key } = &body.action {
                block.insert(StateKey::Nonce(submitter), None);
                nonce_key = *new_key;
            }
            Outcome::Success
        }
        Err(code) => Outcome::Failure(code),
    };
    block.insert(StateKey::Nonce(nonce_key), Some(ebl_ledger::encoding::encode(&(expected + 1))));
    Ok(Receipt { tx_id, outcome })
}

/// The parties the signing keys sign for, each registered and active (`UNKNOWN_PARTY`,
/// `PARTY_SUSPENDED`); a key its party rotated away from signs nothing (`KEY_ROTATED`). The key a
/// rotation hands signing to co-signs it without being a party's yet: it is left out.
fn signer_parties<R: StateRead + ?Sized>(
    state: &Overlay<'_, R>,
    keys: &[PartyId],
    action: &Action,
) -> Result<Vec<PartyId>, Fail> {
    let incoming = if let Action::RotateKey { new_key } | Action::ReplaceKey { new_key, .. } = action {
        Some(*new_key)
    } else {
        None
    };
    let mut parties = Vec::with_capacity(keys.len());
    for key in keys {
        if Some(*key) == incoming {
            continue;
        }
        match key_standing(state, key)? {
            KeyStanding::Signs(record) => {
                crate::require(record.is_active(), ErrorCode::PartySuspended)?;
                parties.push(record.party);
            }
            KeyStanding::Retired(_) => return Err(ErrorCode::KeyRotated.into()),
            KeyStanding::Unknown => return Err(ErrorCode::UnknownParty.into()),
        }
    }
    Ok(parties)
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
        Action::RotateKey { new_key } => parties::rotate_key(state, ctx, new_key),
        Action::ReplaceKey { party, new_key } => parties::replace_key(state, ctx, party, new_key),

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
