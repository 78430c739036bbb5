//! The transaction envelope as the state machine sees it: signatures, chain id and nonce
//! decide whether a transaction may be in a block at all; a refused action is in the block,
//! spends its nonce and changes nothing else.

use ebl_contracts::testkit::{to_order, Cast, TestLedger, CHAIN_ID};
use ebl_contracts::ApplyError;
use ebl_ledger::action::{Action, CreateLien};
use ebl_ledger::{BlId, ErrorCode, Hash, Keypair, Outcome, Transaction, TxBody, TxError, TxId};

/// A ledger with one to-order BL held by the shipper, to order of the shipper.
fn ledger_with_bl(cast: &Cast) -> (TestLedger, BlId) {
    let mut ledger = TestLedger::new(cast);
    ledger.ok(&cast.carrier, to_order("HHL71800000", &cast.shipper, Some(&cast.shipper)));
    (ledger, BlId::new(&cast.carrier.party(), "HHL71800000"))
}

fn transfer(bl: BlId, to: &Keypair) -> Action {
    Action::Transfer { bl, to: to.party() }
}

fn signed_for_chain(chain_id: &str, signer: &Keypair, nonce: u64, action: Action) -> Transaction {
    TxBody { chain_id: chain_id.into(), nonce, signers: vec![signer.party()], action }.sign(&[signer])
}

#[test]
fn a_transaction_with_any_bit_flipped_is_never_executed() {
    let cast = Cast::new();
    let (mut ledger, bl) = ledger_with_bl(&cast);
    let tx = ledger.tx(&[&cast.shipper], transfer(bl, &cast.consignee));
    let bytes = tx.encode();
    let state = ledger.state().clone();
    let height = ledger.height;
    let mut decoded = 0;
    for bit in 0..bytes.len() * 8 {
        let mut flipped = bytes.clone();
        flipped[bit / 8] ^= 1 << (bit % 8);
        let Ok(tampered) = Transaction::decode(&flipped) else { continue };
        decoded += 1;
        match ledger.exec_block(vec![tampered]) {
            Err(ApplyError::Rejected {
                error:
                    TxError::BadSignature(_)
                    | TxError::BadKey(_)
                    | TxError::SignatureCount { .. }
                    | TxError::NoSigner
                    | TxError::TooManySigners(_)
                    | TxError::DuplicateSigner(_),
                ..
            }) => {}
            other => panic!("bit {bit} flipped: expected a signature or shape rejection, got {other:?}"),
        }
    }
    // Most flips land in a key, a signature, the nonce or the ids and still decode.
    assert!(decoded > bytes.len() * 4, "only {decoded} flipped copies decoded");
    assert_eq!(ledger.state(), &state, "a rejected block changed the state");
    assert_eq!(ledger.height, height, "a rejected block was committed");

    // The untouched transaction was valid all along.
    let receipts = ledger.exec_block(vec![tx]).expect("the original is includable");
    assert_eq!(receipts[0].outcome, Outcome::Success);
    assert_eq!(ledger.bl(&bl).possessor, cast.consignee.party());
}

#[test]
fn a_transaction_signed_for_another_chain_is_rejected_and_changes_nothing() {
    let cast = Cast::new();
    let (mut ledger, bl) = ledger_with_bl(&cast);
    let nonce = ledger.nonce(&cast.shipper.party());
    let foreign = signed_for_chain("ebl-other-1", &cast.shipper, nonce, transfer(bl, &cast.consignee));
    assert!(foreign.clone().verify().is_ok(), "the signature itself is good");
    let state = ledger.state().clone();

    let refused = ledger.exec_block(vec![foreign.clone()]);
    assert_eq!(
        refused,
        Err(ApplyError::Rejected {
            tx_id: foreign.id(),
            error: TxError::WrongChain { expected: CHAIN_ID.into(), found: "ebl-other-1".into() },
        })
    );
    assert_eq!(ledger.state(), &state, "not even the nonce moves");

    // A proposer leaves it out of its block.
    let results = ledger.exec_proposed(vec![foreign.clone()]);
    assert!(matches!(&results[0], Err(ApplyError::Rejected { error: TxError::WrongChain { .. }, .. })));
    assert!(ledger.blocks.last().expect("a block").txs.is_empty());
    assert_eq!(ledger.state(), &state);
    assert_eq!(ledger.bl(&bl).possessor, cast.shipper.party());
}

#[test]
fn a_committed_transaction_cannot_be_replayed() {
    let cast = Cast::new();
    let (mut ledger, bl) = ledger_with_bl(&cast);
    let nonce = ledger.nonce(&cast.shipper.party());
    let tx = ledger.tx(&[&cast.shipper], Action::Sign { bl });
    ledger.exec_block(vec![tx.clone()]).expect("first time");
    let state = ledger.state().clone();

    assert_eq!(
        ledger.exec_block(vec![tx.clone()]),
        Err(ApplyError::Rejected {
            tx_id: tx.id(),
            error: TxError::BadNonce { expected: nonce + 1, found: nonce }
        })
    );
    assert_eq!(ledger.state(), &state);
    assert_eq!(ledger.history(&bl).iter().filter(|e| e.action_code == "SIGN").count(), 1);
}

#[test]
fn a_nonce_from_the_future_is_rejected() {
    let cast = Cast::new();
    let (mut ledger, bl) = ledger_with_bl(&cast);
    let next = ledger.nonce(&cast.shipper.party());
    let state = ledger.state().clone();
    for found in [next + 1, next + 1_000, u64::MAX] {
        let tx = TestLedger::tx_with_nonce(&[&cast.shipper], transfer(bl, &cast.consignee), found);
        assert_eq!(
            ledger.exec_block(vec![tx.clone()]),
            Err(ApplyError::Rejected { tx_id: tx.id(), error: TxError::BadNonce { expected: next, found } })
        );
        assert_eq!(ledger.state(), &state);
    }
    // Two transactions with the same nonce in one block: the second is the replay.
    let first = TestLedger::tx_with_nonce(&[&cast.shipper], Action::Sign { bl }, next);
    let second = TestLedger::tx_with_nonce(&[&cast.shipper], transfer(bl, &cast.consignee), next);
    assert_eq!(
        ledger.exec_block(vec![first, second.clone()]),
        Err(ApplyError::Rejected {
            tx_id: second.id(),
            error: TxError::BadNonce { expected: next + 1, found: next }
        })
    );
    assert_eq!(ledger.state(), &state);
}

#[test]
fn an_unregistered_submitter_is_rejected_and_changes_nothing() {
    let cast = Cast::new();
    let (mut ledger, bl) = ledger_with_bl(&cast);
    let state = ledger.state().clone();
    let tx = ledger.tx(&[&cast.stranger], Action::Sign { bl });
    assert_eq!(
        ledger.exec_block(vec![tx.clone()]),
        Err(ApplyError::Rejected { tx_id: tx.id(), error: TxError::UnknownSigner(cast.stranger.party()) })
    );
    assert_eq!(ledger.state(), &state);
}

#[test]
fn a_refused_action_spends_the_nonce_so_it_cannot_be_replayed() {
    let cast = Cast::new();
    let (mut ledger, bl) = ledger_with_bl(&cast);
    let nonce = ledger.nonce(&cast.outsider.party());
    let before = ledger.state_without_nonces();

    // The outsider does not possess the BL.
    let tx = ledger.tx(&[&cast.outsider], transfer(bl, &cast.forwarder));
    let receipts = ledger.exec_block(vec![tx.clone()]).expect("a refused action is includable");
    assert_eq!(receipts[0].tx_id, tx.id());
    assert_eq!(receipts[0].error(), Some(ErrorCode::NotPossessor));
    assert_eq!(ledger.state_without_nonces(), before, "nothing but the nonce changed");
    assert_eq!(ledger.nonce(&cast.outsider.party()), nonce + 1);
    assert_eq!(ledger.blocks.last().expect("a block").txs, vec![tx.clone()], "it is in the block");

    // The spent nonce makes the same bytes unusable.
    let state = ledger.state().clone();
    assert_eq!(
        ledger.exec_block(vec![tx.clone()]),
        Err(ApplyError::Rejected {
            tx_id: tx.id(),
            error: TxError::BadNonce { expected: nonce + 1, found: nonce }
        })
    );
    assert_eq!(ledger.state(), &state);
}

#[test]
fn an_unregistered_cosigner_refuses_the_action_but_spends_the_submitters_nonce() {
    let cast = Cast::new();
    let (mut ledger, bl) = ledger_with_bl(&cast);
    let nonce = ledger.nonce(&cast.shipper.party());
    let before = ledger.state_without_nonces();
    let receipt = ledger.exec_multi(&[&cast.shipper, &cast.stranger], transfer(bl, &cast.consignee));
    assert_eq!(receipt.error(), Some(ErrorCode::UnknownParty));
    assert_eq!(ledger.state_without_nonces(), before);
    assert_eq!(ledger.nonce(&cast.shipper.party()), nonce + 1);
    assert_eq!(ledger.nonce(&cast.stranger.party()), 0, "an unregistered co-signer has no nonce");
    assert_eq!(ledger.bl(&bl).possessor, cast.shipper.party());
}

#[test]
fn only_the_submitter_spends_a_nonce_when_a_cosigner_signs() {
    let cast = Cast::new();
    let (mut ledger, bl) = ledger_with_bl(&cast);
    let shipper_nonce = ledger.nonce(&cast.shipper.party());
    let bank_nonce = ledger.nonce(&cast.bank.party());
    let lien = Action::CreateLien(CreateLien {
        bl,
        bank: cast.bank.party(),
        amount_minor: 9_800_000, // EUR 98,000.00 in cents
        currency: "EUR".into(),
        expires_at_ms: ledger.time_ms + 30 * 86_400_000,
        finance_reference: "LC-2026-0117".into(),
    });
    ledger.ok_multi(&[&cast.shipper, &cast.bank], lien);
    assert_eq!(ledger.nonce(&cast.shipper.party()), shipper_nonce + 1);
    assert_eq!(ledger.nonce(&cast.bank.party()), bank_nonce);
    let lien = ledger.bl(&bl).lien.expect("lien recorded");
    assert_eq!((lien.bank, lien.amount_minor, lien.currency.as_str()), (cast.bank.party(), 9_800_000, "EUR"));
}

#[test]
fn a_proposer_leaves_out_what_a_validator_would_refuse_the_whole_block_for() {
    let cast = Cast::new();
    let (mut ledger, bl) = ledger_with_bl(&cast);
    let good = ledger.tx(&[&cast.shipper], transfer(bl, &cast.consignee));
    let foreign = signed_for_chain(
        "ebl-other-1",
        &cast.consignee,
        ledger.nonce(&cast.consignee.party()),
        Action::Sign { bl },
    );
    let unknown = ledger.tx(&[&cast.stranger], Action::Sign { bl });
    let mut forged = ledger.tx(&[&cast.forwarder], Action::Sign { bl });
    forged.signatures[0].0[10] ^= 0x01;
    let refused = ledger.tx(&[&cast.outsider], Action::Sign { bl });
    let future =
        TestLedger::tx_with_nonce(&[&cast.bank], Action::Sign { bl }, ledger.nonce(&cast.bank.party()) + 1);
    let all =
        vec![good.clone(), foreign.clone(), unknown.clone(), forged.clone(), refused.clone(), future.clone()];

    // A validator refuses the whole block, and nothing changes.
    let state = ledger.state().clone();
    let height = ledger.height;
    assert_eq!(
        ledger.exec_block(all.clone()),
        Err(ApplyError::Rejected {
            tx_id: TxId(Hash::ZERO),
            error: TxError::BadSignature(cast.forwarder.party())
        })
    );
    let well_signed: Vec<Transaction> = all.iter().filter(|t| **t != forged).cloned().collect();
    assert_eq!(
        ledger.exec_block(well_signed),
        Err(ApplyError::Rejected {
            tx_id: foreign.id(),
            error: TxError::WrongChain { expected: CHAIN_ID.into(), found: "ebl-other-1".into() },
        }),
        "the first offender is named"
    );
    assert_eq!(ledger.state(), &state);
    assert_eq!(ledger.height, height);

    // A proposer includes the good and the refused ones and leaves the rest out.
    let outsider_nonce = ledger.nonce(&cast.outsider.party());
    let results = ledger.exec_proposed(all);
    assert_eq!(results[0].as_ref().map(|r| r.outcome), Ok(Outcome::Success));
    assert!(matches!(&results[1], Err(ApplyError::Rejected { error: TxError::WrongChain { .. }, .. })));
    assert!(matches!(&results[2], Err(ApplyError::Rejected { error: TxError::UnknownSigner(_), .. })));
    assert!(matches!(&results[3], Err(ApplyError::Rejected { error: TxError::BadSignature(_), .. })));
    assert_eq!(results[4].as_ref().map(|r| r.error()), Ok(Some(ErrorCode::NotPossessor)));
    assert!(matches!(&results[5], Err(ApplyError::Rejected { error: TxError::BadNonce { .. }, .. })));
    assert_eq!(ledger.blocks.last().expect("a block").txs, vec![good, refused]);
    assert_eq!(ledger.height, height + 1);
    assert_eq!(ledger.bl(&bl).possessor, cast.consignee.party());
    assert_eq!(ledger.nonce(&cast.outsider.party()), outsider_nonce + 1);
    assert_eq!(ledger.nonce(&cast.bank.party()), 0, "the left-out transaction spent nothing");
    assert_eq!(ledger.nonce(&cast.forwarder.party()), 0);

    // What the proposer committed, a validator re-executes to the same root.
    assert_eq!(ledger.replay().root(), ledger.root());
}

#[test]
fn of_two_conflicting_transfers_in_one_block_exactly_one_succeeds() {
    let cast = Cast::new();
    for (winner, loser) in [(&cast.consignee, &cast.forwarder), (&cast.forwarder, &cast.consignee)] {
        let (mut ledger, bl) = ledger_with_bl(&cast);
        let nonce = ledger.nonce(&cast.shipper.party());
        let history = ledger.bl(&bl).history_len;
        let first = TestLedger::tx_with_nonce(&[&cast.shipper], transfer(bl, winner), nonce);
        let second = TestLedger::tx_with_nonce(&[&cast.shipper], transfer(bl, loser), nonce + 1);
        let receipts = ledger.exec_block(vec![first, second]).expect("both are includable");
        assert_eq!(receipts[0].outcome, Outcome::Success);
        assert_eq!(receipts[1].error(), Some(ErrorCode::NotPossessor));
        let record = ledger.bl(&bl);
        assert_eq!(record.possessor, winner.party());
        assert_eq!(record.transfer_from, Some(cast.shipper.party()));
        assert_eq!(record.history_len, history + 1, "one transfer recorded");
        assert_eq!(ledger.nonce(&cast.shipper.party()), nonce + 2, "both nonces spent");
    }
}

#[test]
fn the_loser_of_a_conflict_cannot_win_later_by_replaying() {
    // After the winner holds the BL, the loser's transaction is stale for ever: its nonce is spent.
    let cast = Cast::new();
    let (mut ledger, bl) = ledger_with_bl(&cast);
    let nonce = ledger.nonce(&cast.shipper.party());
    let first = TestLedger::tx_with_nonce(&[&cast.shipper], transfer(bl, &cast.consignee), nonce);
    let second = TestLedger::tx_with_nonce(&[&cast.shipper], transfer(bl, &cast.forwarder), nonce + 1);
    ledger.exec_block(vec![first, second.clone()]).expect("includable");
    // The consignee hands it back; the shipper is possessor again, but the old loser is spent.
    ledger.ok(&cast.consignee, Action::RejectTransfer { bl, reason: "not expected".into() });
    assert_eq!(ledger.bl(&bl).possessor, cast.shipper.party());
    let state = ledger.state().clone();
    assert_eq!(
        ledger.exec_block(vec![second.clone()]),
        Err(ApplyError::Rejected {
            tx_id: second.id(),
            error: TxError::BadNonce { expected: nonce + 2, found: nonce + 1 }
        })
    );
    assert_eq!(ledger.state(), &state);
}
