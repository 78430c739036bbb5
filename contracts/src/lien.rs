//! Liens: a bank's pledge over a BL it finances. At most one binds at a time — the
//! double-financing check — and an active lien blocks surrender unless the bank co-signs.

use ebl_ledger::action::CreateLien;
use ebl_ledger::limits::CODE_CHARS_MAX;
use ebl_ledger::records::{BlRecord, Lien, Role};
use ebl_ledger::{ErrorCode, PartyId, StateRead};

use crate::exec::TxCtx;
use crate::overlay::Overlay;
use crate::parties::active_with_role;
use crate::title::title_document;
use crate::{require, validate, Fail};

/// CREATE_LIEN — possessor and bank, both signing: ISSUED with no active lien.
pub fn create<R: StateRead + ?Sized>(
    state: &Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    bl: &mut BlRecord,
    a: &CreateLien,
) -> Result<Option<PartyId>, Fail> {
    title_document(bl)?;
    require(ctx.signed_by(&bl.possessor), ErrorCode::NotPossessor)?;
    require(ctx.signed_by(&a.bank), ErrorCode::MissingCosigner)?;
    active_with_role(state, &a.bank, Role::Bank)?;
    validate::currency(&a.currency)?;
    validate::text(&a.finance_reference, CODE_CHARS_MAX)?;
    validate::ensure(a.amount_minor > 0 && a.expires_at_ms > ctx.now_ms())?;
    // Double financing: a second bank cannot take a pledge while one binds.
    require(bl.active_lien(ctx.now_ms()).is_none(), ErrorCode::LienAlreadyActive)?;
    bl.lien = Some(Lien {
        bank: a.bank,
        amount_minor: a.amount_minor,
        currency: a.currency.clone(),
        expires_at_ms: a.expires_at_ms,
        finance_reference: a.finance_reference.clone(),
        created_height: ctx.height(),
    });
    Ok(Some(a.bank))
}

/// RELEASE_LIEN — the lienholder bank: lien → none.
pub fn release(ctx: &TxCtx<'_>, bl: &mut BlRecord) -> Result<Option<PartyId>, Fail> {
    let lien = bl.lien.as_ref().ok_or(ErrorCode::NoActiveLien)?;
    require(ctx.signed_by(&lien.bank), ErrorCode::NotLienholder)?;
    bl.lien = None;
    Ok(None)
}
