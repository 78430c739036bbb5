//! Arbitrary transactions through the state machine (`ebl_contracts::apply_tx`) over a state
//! holding BLs in every status, a lien, holds and container releases.
//!
//! Input: a mode byte, then
//! * even mode: the bytes of a whole `Transaction`, taken as verified (`assume_verified`, so
//!   unsigned transactions reach the rules; signatures are `decode_tx`'s business);
//! * odd mode: a submitter byte, a co-signer byte and the bytes of an `Action`. The envelope is
//!   made valid (this chain, the submitter's next nonce, cast members as signers), and ids in
//!   the action are mostly snapped onto the BLs, containers and parties that exist, so the
//!   fuzzer spends its time in the rules rather than on UNKNOWN_BL.
//!
//! Checked: no panic; no store error; a rejected envelope writes nothing; a refused action
//! writes nothing but the submitter's nonce (advanced by one); a successful action advances the
//! nonce by one; applying the same transaction twice gives the same receipt and writes.

#![no_main]

use ebl_contracts::testkit::{straight, to_order, Cast, TestLedger};
use ebl_contracts::{apply_tx, ApplyError, WriteSet};
use ebl_ledger::action::{
    Action, AmendmentReason, AssignPickup, HoldAuthority, HoldTarget, IssueBl, PlaceHold,
};
use ebl_ledger::limits::{TX_BYTES_MAX, TX_SIGNERS_MAX};
use ebl_ledger::records::StateKey;
use ebl_ledger::{encoding, BlId, ContainerRef, Hash, Keypair, PartyId, Transaction, TxBody, VerifiedTx};
use libfuzzer_sys::fuzz_target;

struct World {
    cast: Cast,
    ledger: TestLedger,
    bls: Vec<BlId>,
    containers: Vec<ContainerRef>,
}

impl World {
    fn build() -> World {
        let cast = Cast::new();
        let mut ledger = TestLedger::new(&cast);
        let c = &cast;
        // ISSUED to order, pledged to the bank.
        let pledged = ledger.issued_to_order(c, "HHL71800000");
        ledger.ok_multi(
            &[&c.shipper, &c.bank],
            Action::CreateLien(ebl_ledger::action::CreateLien {
                bl: pledged,
                bank: c.bank.party(),
                amount_minor: 12_500_000,
                currency: "USD".into(),
                expires_at_ms: ledger.time_ms + 30 * 86_400_000,
                finance_reference: "LC-2026-0042".into(),
            }),
        );
        // Straight BL with the consignee, pending surrender for amendment (switch to paper).
        let pending = ledger.issued_straight(c, "HHL51800000");
        ledger.ok(&c.shipper, Action::Transfer { bl: pending, to: c.consignee.party() });
        ledger.ok(&c.consignee, Action::SurrenderForAmendment { bl: pending, reason: AmendmentReason::Swtp });
        // VOIDED, not yet replaced.
        ledger.ok(&c.carrier, straight("HHL1401", &c.shipper, &c.consignee, &[&c.forwarder]));
        let voided = BlId::new(&c.carrier.party(), "HHL1401");
        ledger.ok(&c.shipper, Action::Transfer { bl: voided, to: c.consignee.party() });
        ledger.ok(&c.consignee, Action::SurrenderForAmendment { bl: voided, reason: AmendmentReason::Cod });
        ledger.ok(&c.carrier, Action::AcceptSurrender { bl: voided });
        // Blank-endorsed BL held by the bank.
        ledger.ok(&c.carrier, to_order("HHL007", &c.shipper, None));
        let blank = BlId::new(&c.carrier.party(), "HHL007");
        ledger.ok(&c.shipper, Action::Transfer { bl: blank, to: c.bank.party() });
        // SURRENDERED_FOR_DELIVERY and released: one container held by customs, one assigned.
        let (released, containers) = ledger.released(c, "HHL00103004", &["APZU4812090", "NARU3472484"]);
        ledger.ok(
            &c.customs,
            Action::PlaceHold(PlaceHold {
                target: HoldTarget::Container(containers[0].clone()),
                authority: HoldAuthority::Customs,
                reason: "documentary check".into(),
                declaration_number: Some("223320260000123456".into()),
            }),
        );
        ledger.ok(
            &c.consignee,
            Action::AssignPickup(AssignPickup {
                container: containers[1].clone(),
                truck_plate: "沪A12345".into(),
                driver_id_hash: Hash::digest(b"driver"),
                slot_start_ms: ledger.time_ms,
                slot_end_ms: ledger.time_ms + 3_600_000,
                pickup_code_hash: Some(Hash::digest(b"739204")),
            }),
        );
        World { bls: vec![pledged, pending, voided, blank, released], containers, cast, ledger }
    }

    fn roster(&self) -> [&Keypair; 14] {
        let c = &self.cast;
        [
            &c.registrar,
            &c.carrier,
            &c.carrier2,
            &c.shipper,
            &c.consignee,
            &c.forwarder,
            &c.bank,
            &c.bank2,
            &c.customs,
            &c.terminal,
            &c.terminal2,
            &c.haulier,
            &c.outsider,
            &c.stranger,
        ]
    }

    /// Most ids become an existing BL; one in four stays as the fuzzer wrote it.
    fn bl(&self, id: &mut BlId) {
        let b = id.0 .0;
        if b[0] & 3 != 0 {
            *id = self.bls[b[1] as usize % self.bls.len()];
        }
    }

    fn party(&self, id: &mut PartyId) {
        let b = id.0;
        if b[0] & 3 != 0 {
            let roster = self.roster();
            *id = roster[b[1] as usize % roster.len()].party();
        }
    }

    fn container(&self, c: &mut ContainerRef) {
        let first = c.equipment_reference.bytes().next().unwrap_or(0);
        if first & 3 != 0 {
            *c = self.containers[first as usize % self.containers.len()].clone();
        } else {
            self.bl(&mut c.bl);
        }
    }

    fn target(&self, t: &mut HoldTarget) {
        match t {
            HoldTarget::Container(c) => self.container(c),
            HoldTarget::Bl { bl } => self.bl(bl),
        }
    }

    fn issue(&self, a: &mut IssueBl) {
        self.party(&mut a.issue_to);
        self.party(&mut a.shipper);
        a.consignee
            .iter_mut()
            .chain(a.endorsee.iter_mut())
            .chain(a.agents.iter_mut())
            .for_each(|p| self.party(p));
    }

    fn snap(&self, action: &mut Action) {
        match action {
            Action::RegisterParty(a) => self.party(&mut a.party),
            Action::SetPartyRoles { party, .. }
            | Action::SuspendParty { party }
            | Action::ReinstateParty { party } => self.party(party),
            Action::Issue(a) => self.issue(a),
            Action::Transfer { bl, to: p }
            | Action::Endorse { bl, endorsee: p }
            | Action::EndorseToOrder { bl, endorsee: p } => {
                self.bl(bl);
                self.party(p);
            }
            Action::BlankEndorse { bl }
            | Action::Sign { bl }
            | Action::RejectTransfer { bl, .. }
            | Action::SurrenderForDelivery { bl }
            | Action::SurrenderForAmendment { bl, .. }
            | Action::AcceptSurrender { bl }
            | Action::RejectSurrender { bl, .. }
            | Action::SwitchToPaper { bl, .. }
            | Action::ReleaseLien { bl } => self.bl(bl),
            Action::Reissue(a) => {
                a.voided.iter_mut().for_each(|bl| self.bl(bl));
                a.replacements.iter_mut().for_each(|r| self.issue(r));
            }
            Action::CreateLien(a) => {
                self.bl(&mut a.bl);
                self.party(&mut a.bank);
            }
            Action::IssueReleaseOrder(a) => {
                self.bl(&mut a.bl);
                self.party(&mut a.terminal);
            }
            Action::SettleCharges { container } | Action::RevokeRelease { container, .. } => {
                self.container(container)
            }
            Action::DelegateRelease { container, to } => {
                self.container(container);
                self.party(to);
            }
            Action::PlaceHold(a) => self.target(&mut a.target),
            Action::LiftHold { target, .. } => self.target(target),
            Action::AssignPickup(a) => self.container(&mut a.container),
            Action::GateOut(a) => self.container(&mut a.container),
            Action::EmptyReturn(a) => self.container(&mut a.container),
            // The fuzz genesis names no validator: these are refused NOT_A_VALIDATOR, and an
            // operator is snapped to a party so that a refusal is not only for a stranger.
            Action::ProposeValidatorChange { change } => match change {
                ebl_ledger::governance::ValidatorChange::Add(v) => self.party(&mut v.operator),
                ebl_ledger::governance::ValidatorChange::SetPower { .. }
                | ebl_ledger::governance::ValidatorChange::Remove { .. } => {}
            },
            Action::ApproveValidatorChange { .. } | Action::AllowObserver(_) => {}
            Action::RemoveObserver { node_key } => self.party(node_key),
            // A rotation to a party's key is refused KEY_IN_USE; to a fresh one it may pass.
            Action::RotateKey { .. } => {}
            Action::ReplaceKey { party, .. } => self.party(party),
        }
    }

    /// The transaction an input stands for, if any.
    fn transaction(&self, data: &[u8]) -> Option<Transaction> {
        let (&mode, rest) = data.split_first()?;
        if mode & 1 == 0 {
            // Only what `Transaction::verify` could pass: 1 to 4 distinct signers.
            let tx = Transaction::decode(rest).ok()?;
            let signers = &tx.body.signers;
            let distinct = signers.iter().enumerate().all(|(i, s)| !signers[..i].contains(s));
            return (!signers.is_empty() && signers.len() <= TX_SIGNERS_MAX && distinct).then_some(tx);
        }
        let [who, cosigner, action @ ..] = rest else { return None };
        let mut action: Action = encoding::decode(action, TX_BYTES_MAX).ok()?;
        self.snap(&mut action);
        let roster = self.roster();
        let submitter = roster[*who as usize % roster.len()];
        let mut signers = vec![submitter.party()];
        if *cosigner != 0 {
            let other = roster[*cosigner as usize % roster.len()].party();
            if other != signers[0] {
                signers.push(other);
            }
        }
        let nonce = self.ledger.nonce(&submitter.party());
        let body = TxBody { chain_id: ebl_contracts::testkit::CHAIN_ID.into(), nonce, signers, action };
        Some(Transaction { body, signatures: Vec::new() })
    }
}

thread_local! {
    static WORLD: World = World::build();
}

fn nonce_in(world: &World, writes: &WriteSet, party: &PartyId) -> Option<u64> {
    match writes.get(&StateKey::Nonce(*party)) {
        Some(Some(bytes)) => Some(encoding::decode(bytes, 8).expect("a nonce is a u64")),
        Some(None) => None,
        None => world.ledger.get(&StateKey::Nonce(*party)),
    }
}

fuzz_target!(|data: &[u8]| {
    WORLD.with(|world| {
        let Some(tx) = world.transaction(data) else { return };
        let verified = VerifiedTx::assume_verified(tx);
        let ctx = world.ledger.ctx();
        let mut writes = WriteSet::new();
        let result = apply_tx(&world.ledger.tree, &mut writes, &ctx, &verified);

        let mut again = WriteSet::new();
        let repeat = apply_tx(&world.ledger.tree, &mut again, &ctx, &verified);
        assert_eq!(result, repeat, "the same transaction gave two outcomes");
        assert_eq!(writes, again, "the same transaction wrote two ways");

        let submitter = verified.submitter();
        match result {
            Err(ApplyError::Rejected { .. }) => assert!(writes.is_empty(), "a rejected envelope wrote"),
            Err(ApplyError::Store(e)) => panic!("store error from a valid state: {e}"),
            Ok(receipt) => {
                let before = world.ledger.nonce(&submitter);
                assert_eq!(
                    nonce_in(world, &writes, &submitter),
                    Some(before + 1),
                    "the nonce advances by one"
                );
                if !receipt.is_success() {
                    let keys: Vec<&StateKey> = writes.keys().collect();
                    assert_eq!(
                        keys,
                        vec![&StateKey::Nonce(submitter)],
                        "refused with {:?} but wrote",
                        receipt.error()
                    );
                }
            }
        }
    });
});
