//! Liens: a bank's pledge over a BL it finances, given by the party entitled to the goods. At
//! most one binds at a time — the double-financing check — and an active lien blocks surrender
//! unless the bank co-signs.

use ebl_ledger::action::CreateLien;
use ebl_ledger::limits::CODE_CHARS_MAX;
use ebl_ledger::records::{BlRecord, Lien, Role};
use ebl_ledger::{ErrorCode, PartyId, StateRead};

use crate::exec::TxCtx;
use crate::overlay::Overlay;
use crate::parties::active_with_role;
use crate::title::{entitled_to_goods, title_document};
use crate::{require, validate, Fail};

/// CREATE_LIEN — the party entitled to the goods and the bank, both signing (either may
/// submit): ISSUED with no active lien. Only the title holder can pledge: a possessor holding an
/// order BL for its endorsee cannot, or it could block the endorsee's surrender and make the
/// endorsee's own bank see the cargo financed elsewhere. Entitlement is the surrender rule,
/// `title::entitled_to_goods`, so the codes are its codes: `NOT_POSSESSOR` when the possessor did
/// not sign, `NOT_ENDORSEE` when it is not the endorsee of an order BL, `NOT_AUTHORIZED` when it
/// is not the consignee of a straight BL.
pub fn create<R: StateRead + ?Sized>(
    state: &Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    bl: &mut BlRecord,
    a: &CreateLien,
) -> Result<Option<PartyId>, Fail> {
    title_document(bl)?;
    require(ctx.signed_by(&bl.possessor), ErrorCode::NotPossessor)?;
    entitled_to_goods(bl, &bl.possessor)?;
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
