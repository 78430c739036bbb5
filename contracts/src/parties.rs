//! Party registry: the registrars (the network operator, e.g. a port community system, and
//! whoever else holds the role) onboard parties, set their roles, suspend and reinstate them.
//!
//! Every registrar action needs the signatures of the registry's quorum of distinct active
//! registrars on one transaction (M of N, from genesis; 1 for a demo network), as a Fabric
//! configuration update carries the signatures its policy needs. No action may leave fewer
//! active registrars than the quorum, or make one registrar the only one (`LAST_REGISTRAR`).

use ebl_ledger::action::RegisterParty;
use ebl_ledger::governance::{Observer, OBSERVERS_MAX, VALIDATOR_NAME_CHARS_MAX};
use ebl_ledger::limits::{CODE_CHARS_MAX, PARTY_NAME_CHARS_MAX};
use ebl_ledger::records::{PartyRecord, PartyStatus, Registry, Role, RoleSet, StateKey, REGISTRARS_MAX};
use ebl_ledger::{ErrorCode, PartyId, StateRead};

use crate::exec::TxCtx;
use crate::overlay::Overlay;
use crate::{require, validate, Fail};

/// Only registrars may change the registry: the submitter is one, and the signers include the
/// quorum of distinct active registrars (the envelope checked each signature and that every
/// signer is an active party).
fn registrar<R: StateRead + ?Sized>(state: &Overlay<'_, R>, ctx: &TxCtx<'_>) -> Result<(), Fail> {
    let me = state.party(&ctx.submitter)?.ok_or(ErrorCode::UnknownParty)?;
    require(me.has_role(Role::Registrar), ErrorCode::WrongRole)?;
    let registry = registry(state)?;
    let signed = registry.registrars.iter().filter(|r| ctx.signed_by(r)).count();
    require(signed >= registry.quorum as usize, ErrorCode::MissingCosigner)
}

/// The registry's rule. A ledger made before it had one (none exists) reads as quorum 1.
fn registry<R: StateRead + ?Sized>(state: &Overlay<'_, R>) -> Result<Registry, Fail> {
    Ok(state.get(&StateKey::Registry)?.unwrap_or(Registry { quorum: 1, registrars: Vec::new() }))
}

/// Records that `record` is (or is no longer) an active registrar, refusing a change that would
/// leave fewer active registrars than the quorum, or one alone where there were more.
fn track_registrar<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    record: &PartyRecord,
) -> Result<(), Fail> {
    let Some(mut registry) = state.get::<Registry>(&StateKey::Registry)? else { return Ok(()) };
    let before = registry.registrars.len();
    let active = record.is_active() && record.has_role(Role::Registrar);
    match (registry.registrars.binary_search(&record.party), active) {
        (Ok(i), false) => {
            registry.registrars.remove(i);
        }
        (Err(i), true) => {
            require(registry.registrars.len() < REGISTRARS_MAX, ErrorCode::LimitReached)?;
            registry.registrars.insert(i, record.party);
        }
        (Ok(_), true) | (Err(_), false) => return Ok(()),
    }
    let after = registry.registrars.len();
    if after < before {
        require(after >= registry.quorum as usize && (after >= 2 || before < 2), ErrorCode::LastRegistrar)?;
    }
    state.put(StateKey::Registry, &registry);
    Ok(())
}

fn roles_ok(roles: RoleSet) -> bool {
    !roles.is_empty() && roles.is_well_formed()
}

/// The stateless checks of a registration, shared with genesis.
pub(crate) fn check_registration(p: &RegisterParty) -> Result<(), ErrorCode> {
    let invalid = |r: Result<(), Fail>| r.map_err(|_| ErrorCode::InvalidInput);
    if !p.party.is_valid_key() || !roles_ok(p.roles) {
        return Err(ErrorCode::InvalidInput);
    }
    invalid(validate::text(&p.legal_name, PARTY_NAME_CHARS_MAX))?;
    invalid(validate::optional_text(p.codes.dcsa_party_code.as_deref(), CODE_CHARS_MAX))?;
    if let Some(lei) = &p.codes.lei {
        invalid(validate::code_of_len(lei, 20))?;
    }
    if let Some(uscc) = &p.codes.uscc {
        invalid(validate::code_of_len(uscc, 18))?;
    }
    Ok(())
}

pub fn register<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    p: &RegisterParty,
) -> Result<(), Fail> {
    registrar(state, ctx)?;
    check_registration(p)?;
    require(state.party(&p.party)?.is_none(), ErrorCode::PartyExists)?;
    // One key, one use: a key a party rotated to or from, a validator's consensus or node key,
    // is nobody's party id.
    require(!state.party_key_in_use(&p.party)?, ErrorCode::KeyInUse)?;
    require(!crate::governance::validator_or_observer_key(state, &p.party)?, ErrorCode::KeyInUse)?;
    let record = PartyRecord {
        party: p.party,
        legal_name: p.legal_name.clone(),
        roles: p.roles,
        codes: p.codes.clone(),
        status: PartyStatus::Active,
        registered_height: ctx.height(),
        signing_key: None,
    };
    state.put(StateKey::Party(p.party), &record);
    state.put(StateKey::Nonce(p.party), &0u64);
    track_registrar(state, &record)
}

fn existing<R: StateRead + ?Sized>(state: &Overlay<'_, R>, party: &PartyId) -> Result<PartyRecord, Fail> {
    Ok(state.party(party)?.ok_or(ErrorCode::UnknownParty)?)
}

pub fn set_roles<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    party: &PartyId,
    roles: RoleSet,
) -> Result<(), Fail> {
    registrar(state, ctx)?;
    validate::ensure(roles_ok(roles))?;
    let mut record = existing(state, party)?;
    // A registrar may not drop its own registrar role and lock the registry.
    require(*party != ctx.submitter || roles.contains(Role::Registrar), ErrorCode::NotAuthorized)?;
    record.roles = roles;
    state.put(StateKey::Party(*party), &record);
    track_registrar(state, &record)
}

/// SUSPEND_PARTY: a suspended party can neither act nor receive. A registrar may not suspend
/// itself.
pub fn suspend<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    party: &PartyId,
) -> Result<(), Fail> {
    registrar(state, ctx)?;
    require(*party != ctx.submitter, ErrorCode::NotAuthorized)?;
    set_status(state, party, PartyStatus::Active, PartyStatus::Suspended)
}

/// REINSTATE_PARTY: a suspended party becomes active again.
pub fn reinstate<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    party: &PartyId,
) -> Result<(), Fail> {
    registrar(state, ctx)?;
    set_status(state, party, PartyStatus::Suspended, PartyStatus::Active)
}

fn set_status<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    party: &PartyId,
    from: PartyStatus,
    to: PartyStatus,
) -> Result<(), Fail> {
    let mut record = existing(state, party)?;
    require(record.status == from, ErrorCode::IllegalTransition)?;
    record.status = to;
    state.put(StateKey::Party(*party), &record);
    track_registrar(state, &record)
}

/// ALLOW_OBSERVER (registrar quorum): validators accept the node as a peer. Its node key is no
/// party's, validator's or other observer's key (`KEY_IN_USE`).
pub fn allow_observer<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    observer: &Observer,
) -> Result<(), Fail> {
    registrar(state, ctx)?;
    let name_ok = !observer.name.trim().is_empty()
        && observer.name.chars().count() <= VALIDATOR_NAME_CHARS_MAX
        && !observer.name.chars().any(char::is_control);
    validate::ensure(name_ok && observer.node_key.is_valid_key())?;
    let key = observer.node_key;
    require(!state.party_key_in_use(&key)?, ErrorCode::KeyInUse)?;
    require(!crate::governance::validator_or_observer_key(state, &key)?, ErrorCode::KeyInUse)?;
    let mut list = state.observers()?;
    let Err(i) = list.0.binary_search_by(|o| o.node_key.cmp(&key)) else {
        return Err(ErrorCode::KeyInUse.into());
    };
    require(list.0.len() < OBSERVERS_MAX, ErrorCode::LimitReached)?;
    list.0.insert(i, observer.clone());
    state.put(StateKey::Observers, &list);
    Ok(())
}

/// REMOVE_OBSERVER (registrar quorum): validators drop the node.
pub fn remove_observer<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    node_key: &PartyId,
) -> Result<(), Fail> {
    registrar(state, ctx)?;
    let mut list = state.observers()?;
    let i = list.0.binary_search_by(|o| o.node_key.cmp(node_key)).map_err(|_| ErrorCode::UnknownObserver)?;
    list.0.remove(i);
    state.put(StateKey::Observers, &list);
    Ok(())
}

/// Hands `record`'s signing to `new_key`, which must have co-signed (`MISSING_COSIGNER`), be a
/// valid key and have served no party, validator or observer (`KEY_IN_USE`). The party keeps its
/// id, records and roles; `KeyOf(new_key)` names it for ever, so the key can serve nobody else.
fn hand_signing_to<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    mut record: PartyRecord,
    new_key: &PartyId,
) -> Result<(), Fail> {
    validate::ensure(new_key.is_valid_key())?;
    require(ctx.keys.contains(new_key), ErrorCode::MissingCosigner)?;
    require(!state.party_key_in_use(new_key)?, ErrorCode::KeyInUse)?;
    require(!crate::governance::validator_or_observer_key(state, new_key)?, ErrorCode::KeyInUse)?;
    state.put(StateKey::KeyOf(*new_key), &record.party);
    record.signing_key = Some(*new_key);
    state.put(StateKey::Party(record.party), &record);
    Ok(())
}

/// ROTATE_KEY: the party's current key (the submitter) hands its signing to `new_key`, which
/// co-signs. Its nonce moves to the new key with the transaction's (`apply_tx`).
pub fn rotate_key<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    new_key: &PartyId,
) -> Result<(), Fail> {
    let record = existing(state, &ctx.submitter)?;
    hand_signing_to(state, ctx, record, new_key)
}

/// REPLACE_KEY (registrar quorum): a party that lost its key gets `new_key`, which co-signs (the
/// party holds it). Its nonce moves to the new key; its old key signs nothing more. A registrar
/// replaces another party's key, never its own (it rotates it).
pub fn replace_key<R: StateRead + ?Sized>(
    state: &mut Overlay<'_, R>,
    ctx: &TxCtx<'_>,
    party: &PartyId,
    new_key: &PartyId,
) -> Result<(), Fail> {
    registrar(state, ctx)?;
    require(*party != ctx.submitter, ErrorCode::NotAuthorized)?;
    let record = existing(state, party)?;
    let old_key = record.current_key();
    let nonce = state.nonce(&old_key)?.unwrap_or(0);
    hand_signing_to(state, ctx, record, new_key)?;
    state.delete(StateKey::Nonce(old_key));
    state.put(StateKey::Nonce(*new_key), &nonce);
    Ok(())
}

/// A party that exists and is active, as a recipient of title or of a right.
pub(crate) fn active<R: StateRead + ?Sized>(
    state: &Overlay<'_, R>,
    party: &PartyId,
) -> Result<PartyRecord, Fail> {
    let record = existing(state, party)?;
    require(record.is_active(), ErrorCode::PartySuspended)?;
    Ok(record)
}

/// An active party holding `role`.
pub(crate) fn active_with_role<R: StateRead + ?Sized>(
    state: &Overlay<'_, R>,
    party: &PartyId,
    role: Role,
) -> Result<PartyRecord, Fail> {
    let record = active(state, party)?;
    require(record.has_role(role), ErrorCode::WrongRole)?;
    Ok(record)
}
