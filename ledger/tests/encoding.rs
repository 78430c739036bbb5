//! The canonical (borsh) encoding as a property: every transaction round-trips, every byte
//! string that decodes is the one encoding of its value, nothing a peer can send makes the
//! decoder panic, and the hashes that identify headers and transactions cover every field.
//!
//! Keys come from `Keypair::from_seed`: `Keypair::for_test` is behind the `test-utils`
//! feature, which these integration tests do not enable.

use ebl_ledger::action::{
    Action, AmendmentReason, AssignPickup, CreateLien, EmptyReturn, ExternalCodes, GateOut, HoldAuthority,
    HoldTarget, IssueBl, IssueReleaseOrder, PlaceHold, RegisterParty, Reissue,
};
use ebl_ledger::dcsa::TransportDocumentJson;
use ebl_ledger::encoding;
use ebl_ledger::limits::TX_BYTES_MAX;
use ebl_ledger::records::{RoleSet, TransportDocumentType};
use ebl_ledger::{
    BlId, BlRecord, Block, BlockHeader, ContainerRef, DecodeError, Hash, Keypair, PartyId, Signature,
    Transaction, TxBody,
};
use proptest::collection::vec;
use proptest::prelude::*;

/// Blocks in these tests are small; the bound only has to let a real one through.
const BLOCK_BYTES_MAX: usize = 1 << 20;
const CASES: u32 = 512;

// ---------------------------------------------------------------------------------------------
// Strategies
// ---------------------------------------------------------------------------------------------

fn hash() -> impl Strategy<Value = Hash> {
    any::<[u8; 32]>().prop_map(Hash)
}

/// Any 32 bytes: the encoding does not care whether they are a point on the curve.
fn party() -> BoxedStrategy<PartyId> {
    prop_oneof![any::<[u8; 32]>().prop_map(PartyId), (0u8..8).prop_map(|i| key(i).party())].boxed()
}

fn bl_id() -> BoxedStrategy<BlId> {
    prop_oneof![
        hash().prop_map(BlId),
        (party(), dcsa_text()).prop_map(|(carrier, r)| BlId::new(&carrier, &r))
    ]
    .boxed()
}

/// DCSA-looking references and free text, including control characters, white space, the
/// empty string and non-ASCII text.
fn dcsa_text() -> BoxedStrategy<String> {
    prop_oneof![
        Just("HHL71800000".to_owned()),
        Just("APZU4812090".to_owned()),
        Just(String::new()),
        "[A-Z0-9]{1,20}",
        "\\PC{0,24}",
        vec(any::<char>(), 0..24).prop_map(|chars| chars.into_iter().collect()),
    ]
    .boxed()
}

fn opt<T: std::fmt::Debug>(s: impl Strategy<Value = T>) -> impl Strategy<Value = Option<T>> {
    proptest::option::of(s)
}

/// Any bit pattern, including bits outside the known roles (a decoded set may carry them).
fn role_set() -> impl Strategy<Value = RoleSet> {
    any::<u16>().prop_map(|bits| encoding::decode(&bits.to_le_bytes(), 2).expect("two bytes are a role set"))
}

fn container() -> BoxedStrategy<ContainerRef> {
    (bl_id(), dcsa_text()).prop_map(|(bl, equipment)| ContainerRef::new(bl, equipment)).boxed()
}

fn hold_target() -> BoxedStrategy<HoldTarget> {
    prop_oneof![container().prop_map(HoldTarget::Container), bl_id().prop_map(|bl| HoldTarget::Bl { bl })]
        .boxed()
}

fn doc_type() -> impl Strategy<Value = TransportDocumentType> {
    prop_oneof![Just(TransportDocumentType::Bol), Just(TransportDocumentType::Swb)]
}

fn amendment_reason() -> impl Strategy<Value = AmendmentReason> {
    prop_oneof![
        Just(AmendmentReason::Swtp),
        Just(AmendmentReason::Cod),
        Just(AmendmentReason::Swi),
        Just(AmendmentReason::Other)
    ]
}

fn external_codes() -> BoxedStrategy<ExternalCodes> {
    (opt(dcsa_text()), opt(dcsa_text()), opt(dcsa_text()))
        .prop_map(|(dcsa_party_code, lei, uscc)| ExternalCodes { dcsa_party_code, lei, uscc })
        .boxed()
}

fn issue_bl() -> BoxedStrategy<IssueBl> {
    (
        dcsa_text(),
        doc_type(),
        any::<bool>(),
        hash(),
        party(),
        party(),
        opt(party()),
        opt(party()),
        vec(party(), 0..3),
    )
        .prop_map(
            |(
                transport_document_reference,
                transport_document_type,
                is_to_order,
                document_checksum,
                issue_to,
                shipper,
                consignee,
                endorsee,
                agents,
            )| IssueBl {
                transport_document_reference,
                transport_document_type,
                is_to_order,
                document: TransportDocumentJson::from_value(&serde_json::json!({
                    "documentChecksum": document_checksum.to_hex()
                }))
                .expect("a small document"),
                issue_to,
                shipper,
                consignee,
                endorsee,
                agents,
            },
        )
        .boxed()
}

/// Every variant of [`Action`], with arbitrary ids, strings and numbers.
fn action() -> BoxedStrategy<Action> {
    let parties = prop_oneof![
        (party(), dcsa_text(), role_set(), external_codes()).prop_map(|(party, legal_name, roles, codes)| {
            Action::RegisterParty(RegisterParty { party, legal_name, roles, codes })
        }),
        (party(), role_set()).prop_map(|(party, roles)| Action::SetPartyRoles { party, roles }),
        party().prop_map(|party| Action::SuspendParty { party }),
        party().prop_map(|party| Action::ReinstateParty { party }),
    ];
    let title = prop_oneof![
        issue_bl().prop_map(Action::Issue),
        (bl_id(), party()).prop_map(|(bl, to)| Action::Transfer { bl, to }),
        (bl_id(), party()).prop_map(|(bl, endorsee)| Action::Endorse { bl, endorsee }),
        (bl_id(), party()).prop_map(|(bl, endorsee)| Action::EndorseToOrder { bl, endorsee }),
        bl_id().prop_map(|bl| Action::BlankEndorse { bl }),
        bl_id().prop_map(|bl| Action::Sign { bl }),
        (bl_id(), dcsa_text()).prop_map(|(bl, reason)| Action::RejectTransfer { bl, reason }),
        bl_id().prop_map(|bl| Action::SurrenderForDelivery { bl }),
        (bl_id(), amendment_reason()).prop_map(|(bl, reason)| Action::SurrenderForAmendment { bl, reason }),
        bl_id().prop_map(|bl| Action::AcceptSurrender { bl }),
        (bl_id(), dcsa_text()).prop_map(|(bl, reason)| Action::RejectSurrender { bl, reason }),
        (vec(bl_id(), 0..3), vec(issue_bl(), 0..3))
            .prop_map(|(voided, replacements)| Action::Reissue(Reissue { voided, replacements })),
        (bl_id(), dcsa_text())
            .prop_map(|(bl, paper_bl_number)| Action::SwitchToPaper { bl, paper_bl_number }),
    ];
    let liens = prop_oneof![
        (bl_id(), party(), any::<u64>(), dcsa_text(), any::<u64>(), dcsa_text()).prop_map(
            |(bl, bank, amount_minor, currency, expires_at_ms, finance_reference)| {
                Action::CreateLien(CreateLien {
                    bl,
                    bank,
                    amount_minor,
                    currency,
                    expires_at_ms,
                    finance_reference,
                })
            }
        ),
        bl_id().prop_map(|bl| Action::ReleaseLien { bl }),
    ];
    let release = prop_oneof![
        (bl_id(), vec(dcsa_text(), 0..4), party(), any::<u64>(), any::<u64>(), any::<bool>()).prop_map(
            |(bl, equipment_references, terminal, valid_from_ms, valid_until_ms, charges_settled)| {
                Action::IssueReleaseOrder(IssueReleaseOrder {
                    bl,
                    equipment_references,
                    terminal,
                    valid_from_ms,
                    valid_until_ms,
                    charges_settled,
                })
            }
        ),
        container().prop_map(|container| Action::SettleCharges { container }),
        (
            hold_target(),
            prop_oneof![Just(HoldAuthority::Customs), Just(HoldAuthority::Terminal)],
            dcsa_text(),
            opt(dcsa_text())
        )
            .prop_map(|(target, authority, reason, declaration_number)| {
                Action::PlaceHold(PlaceHold { target, authority, reason, declaration_number })
            }),
        (hold_target(), any::<u32>()).prop_map(|(target, hold_id)| Action::LiftHold { target, hold_id }),
        (container(), party()).prop_map(|(container, to)| Action::DelegateRelease { container, to }),
        (container(), dcsa_text())
            .prop_map(|(container, reason)| Action::RevokeRelease { container, reason }),
        (container(), dcsa_text(), hash(), any::<u64>(), any::<u64>(), opt(hash())).prop_map(
            |(container, truck_plate, driver_id_hash, slot_start_ms, slot_end_ms, pickup_code_hash)| {
                Action::AssignPickup(AssignPickup {
                    container,
                    truck_plate,
                    driver_id_hash,
                    slot_start_ms,
                    slot_end_ms,
                    pickup_code_hash,
                })
            }
        ),
        (container(), dcsa_text(), hash(), opt(dcsa_text()), vec(dcsa_text(), 0..3), dcsa_text()).prop_map(
            |(container, truck_plate, driver_id_hash, pickup_code, seal_numbers, condition)| {
                Action::GateOut(GateOut {
                    container,
                    truck_plate,
                    driver_id_hash,
                    pickup_code,
                    seal_numbers,
                    condition,
                })
            }
        ),
        (container(), dcsa_text()).prop_map(|(container, damage_notes)| Action::EmptyReturn(EmptyReturn {
            container,
            damage_notes
        })),
    ];
    prop_oneof![1 => parties, 3 => title, 1 => liens, 3 => release].boxed()
}

fn tx_body() -> BoxedStrategy<TxBody> {
    (prop_oneof![Just("ebl-test-1".to_owned()), dcsa_text()], any::<u64>(), vec(party(), 0..5), action())
        .prop_map(|(chain_id, nonce, signers, action)| TxBody { chain_id, nonce, signers, action })
        .boxed()
}

/// Arbitrary envelopes: the signatures need not match (encoding does not look at them).
fn transaction() -> BoxedStrategy<Transaction> {
    (tx_body(), vec(any::<[u8; 32]>(), 0..5))
        .prop_map(|(body, halves)| Transaction {
            body,
            signatures: halves
                .into_iter()
                .map(|h| {
                    let mut s = [0u8; 64];
                    s[..32].copy_from_slice(&h);
                    s[32..].copy_from_slice(&h);
                    Signature(s)
                })
                .collect(),
        })
        .boxed()
}

fn key(i: u8) -> Keypair {
    Keypair::from_seed([i; 32])
}

/// A really signed transaction (1 or 2 signers) with an arbitrary action.
fn signed_transaction() -> BoxedStrategy<Transaction> {
    (action(), any::<u64>(), 1usize..=2)
        .prop_map(|(action, nonce, n)| {
            let keys: Vec<Keypair> = (1..=n as u8).map(key).collect();
            let refs: Vec<&Keypair> = keys.iter().collect();
            TxBody {
                chain_id: "ebl-test-1".into(),
                nonce,
                signers: keys.iter().map(|k| k.party()).collect(),
                action,
            }
            .sign(&refs)
        })
        .boxed()
}

fn header() -> BoxedStrategy<BlockHeader> {
    (dcsa_text(), any::<u64>(), hash(), any::<u64>(), party(), hash(), hash(), hash())
        .prop_map(|(chain_id, height, parent_hash, time_ms, proposer, tx_root, state_root, receipts_root)| {
            BlockHeader {
                chain_id,
                height,
                parent_hash,
                time_ms,
                proposer,
                tx_root,
                state_root,
                receipts_root,
            }
        })
        .boxed()
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Set { at: usize, byte: u8 },
    Insert { at: usize, byte: u8 },
    Delete { at: usize },
    Truncate { at: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        3 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        2 => (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        2 => any::<usize>().prop_map(|at| Mutation::Delete { at }),
        1 => any::<usize>().prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len();
        match *m {
            Mutation::Flip { at, bit } if len > 0 => bytes[at % len] ^= 1 << bit,
            Mutation::Set { at, byte } if len > 0 => bytes[at % len] = byte,
            Mutation::Insert { at, byte } => bytes.insert(at % (len + 1), byte),
            Mutation::Delete { at } if len > 0 => {
                bytes.remove(at % len);
            }
            Mutation::Truncate { at } => bytes.truncate(at % (len + 1)),
            _ => {}
        }
    }
    bytes
}

/// Bytes that are mostly a valid encoding: a real signed transaction, edited a few times.
fn mutated_tx_bytes() -> impl Strategy<Value = Vec<u8>> {
    (signed_transaction(), vec(mutation(), 1..6)).prop_map(|(tx, edits)| mutate(tx.encode(), &edits))
}

/// The canonical-form check: bytes that decode are exactly the encoding of what they decode to.
fn assert_canonical(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(tx) = Transaction::decode(bytes) {
        prop_assert_eq!(tx.encode(), bytes.to_vec(), "decoded {:?} re-encodes differently", tx);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn every_transaction_round_trips(tx in transaction()) {
        let bytes = tx.encode();
        prop_assert_eq!(Transaction::decode(&bytes), Ok(tx.clone()));
        prop_assert_eq!(encoding::decode::<Transaction>(&bytes, TX_BYTES_MAX), Ok(tx));
    }

    #[test]
    fn a_signed_transaction_round_trips_and_still_verifies(tx in signed_transaction()) {
        let decoded = Transaction::decode(&tx.encode()).expect("a real transaction decodes");
        prop_assert_eq!(decoded.id(), tx.id());
        prop_assert!(decoded.verify().is_ok());
    }

    #[test]
    fn every_block_and_header_round_trips(header in header(), txs in vec(transaction(), 0..3)) {
        let block = Block { header, txs };
        let bytes = encoding::encode(&block);
        prop_assert_eq!(encoding::decode::<Block>(&bytes, BLOCK_BYTES_MAX), Ok(block.clone()));
        let header_bytes = encoding::encode(&block.header);
        prop_assert_eq!(encoding::decode::<BlockHeader>(&header_bytes, BLOCK_BYTES_MAX), Ok(block.header));
    }

    /// One value, one encoding: any edit of a real encoding either fails to decode or decodes
    /// to a value whose encoding is exactly the edited bytes.
    #[test]
    fn bytes_that_decode_are_the_canonical_encoding(bytes in mutated_tx_bytes()) {
        assert_canonical(&bytes)?;
    }

    #[test]
    fn random_bytes_that_decode_are_the_canonical_encoding(bytes in vec(any::<u8>(), 0..512)) {
        assert_canonical(&bytes)?;
    }

    #[test]
    fn trailing_bytes_are_refused(tx in transaction(), extra in vec(any::<u8>(), 1..16)) {
        let mut bytes = tx.encode();
        bytes.extend_from_slice(&extra);
        prop_assert!(matches!(Transaction::decode(&bytes), Err(DecodeError::Malformed(_))));
        prop_assert!(encoding::decode::<Transaction>(&bytes, TX_BYTES_MAX).is_err());
        prop_assert!(encoding::decode::<TxBody>(&encoding::encode(&tx.body).into_iter().chain(extra).collect::<Vec<_>>(), TX_BYTES_MAX).is_err());
    }

    /// Decoding whatever a peer sends returns, never panics, for every type read off the wire
    /// or out of the state.
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in vec(any::<u8>(), 0..1024)) {
        let _ = Transaction::decode(&bytes);
        let _ = encoding::decode::<Block>(&bytes, BLOCK_BYTES_MAX);
        let _ = encoding::decode::<BlRecord>(&bytes, BLOCK_BYTES_MAX);
        let _ = encoding::decode::<Action>(&bytes, BLOCK_BYTES_MAX);
    }

    #[test]
    fn decoding_edited_encodings_never_panics(
        tx in signed_transaction(),
        header in header(),
        edits in vec(mutation(), 1..6),
    ) {
        let tx_bytes = mutate(tx.encode(), &edits);
        if let Ok(decoded) = Transaction::decode(&tx_bytes) {
            // Whatever decodes can be verified without panicking; an edit never yields a valid one
            // unless it changed nothing.
            let verdict = decoded.clone().verify();
            prop_assert!(verdict.is_err() || decoded == tx);
        }
        let block_bytes = mutate(encoding::encode(&Block { header, txs: vec![tx.clone()] }), &edits);
        let _ = encoding::decode::<Block>(&block_bytes, BLOCK_BYTES_MAX);
        // A BL record shares its field types with the transaction (ids, strings, options,
        // vectors); reading a transaction's bytes as a record exercises every one of them.
        let _ = encoding::decode::<BlRecord>(&tx_bytes, BLOCK_BYTES_MAX);
    }

    #[test]
    fn the_header_hash_covers_every_field(h in header()) {
        let before = h.hash();
        let mut changed: Vec<(&str, BlockHeader)> = Vec::new();
        let mut edit = |name, f: &dyn Fn(&mut BlockHeader)| {
            let mut copy = h.clone();
            f(&mut copy);
            changed.push((name, copy));
        };
        edit("chain_id", &|c| c.chain_id.push('x'));
        edit("height", &|c| c.height = c.height.wrapping_add(1));
        edit("parent_hash", &|c| c.parent_hash.0[31] ^= 1);
        edit("time_ms", &|c| c.time_ms ^= 1 << 40);
        edit("proposer", &|c| c.proposer.0[0] ^= 0x80);
        edit("tx_root", &|c| c.tx_root.0[7] ^= 4);
        edit("state_root", &|c| c.state_root.0[0] ^= 1);
        edit("receipts_root", &|c| c.receipts_root.0[16] ^= 2);
        for (name, copy) in changed {
            prop_assert_ne!(copy.hash(), before, "changing {} left the header hash unchanged", name);
        }
        // Swapping two roots of equal type changes it too: fields are not hashed as a set.
        let mut swapped = h.clone();
        std::mem::swap(&mut swapped.tx_root, &mut swapped.state_root);
        prop_assert_eq!(swapped.hash() == before, h.tx_root == h.state_root);
    }

    #[test]
    fn the_tx_id_covers_every_field(body in tx_body(), other in action()) {
        let before = body.id();
        let mut changed: Vec<(&str, TxBody)> = Vec::new();
        let mut edit = |name, f: &dyn Fn(&mut TxBody)| {
            let mut copy = body.clone();
            f(&mut copy);
            changed.push((name, copy));
        };
        edit("chain_id", &|c| c.chain_id.push('1'));
        edit("nonce", &|c| c.nonce = c.nonce.wrapping_add(1));
        edit("signers (one more)", &|c| c.signers.push(key(9).party()));
        if !body.signers.is_empty() {
            edit("signers (one byte)", &|c| c.signers[0].0[3] ^= 0x10);
        }
        if other != body.action {
            edit("action", &|c| c.action = other.clone());
        }
        for (name, copy) in changed {
            prop_assert_ne!(copy.id(), before, "changing {} left the tx id unchanged", name);
        }
        // Signatures are not part of the id: re-signing keeps it.
        let tx = body.clone().sign(&[]);
        prop_assert_eq!(tx.id(), before);
    }
}

#[test]
fn a_mutated_real_transaction_never_verifies_or_panics() {
    // Exhaustive over one real transaction: every deletion and every single-byte insertion.
    let keys = [key(1), key(2)];
    let bl = BlId::new(&keys[0].party(), "HHL71800000");
    let tx = TxBody {
        chain_id: "ebl-test-1".into(),
        nonce: 3,
        signers: vec![keys[0].party(), keys[1].party()],
        action: Action::Transfer { bl, to: keys[1].party() },
    }
    .sign(&[&keys[0], &keys[1]]);
    let bytes = tx.encode();
    for at in 0..bytes.len() {
        let mut deleted = bytes.clone();
        deleted.remove(at);
        assert!(
            Transaction::decode(&deleted).map(Transaction::verify).map_or(true, |v| v.is_err()),
            "delete {at}"
        );
        for byte in [0x00, 0x01, 0x7f, 0xff] {
            let mut inserted = bytes.clone();
            inserted.insert(at, byte);
            let decoded = Transaction::decode(&inserted);
            assert!(
                decoded.map(Transaction::verify).map_or(true, |v| v.is_err()),
                "insert {byte:#x} at {at}"
            );
        }
    }
}

#[test]
fn an_oversized_length_prefix_is_an_error_not_an_allocation() {
    // A vector claiming u32::MAX signatures after a valid body: borsh must fail on the short
    // input instead of reserving four billion signatures.
    let k = key(1);
    let body = TxBody {
        chain_id: "ebl-test-1".into(),
        nonce: 0,
        signers: vec![k.party()],
        action: Action::Sign { bl: BlId(Hash::ZERO) },
    };
    let mut bytes = encoding::encode(&body);
    bytes.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(Transaction::decode(&bytes), Err(DecodeError::Malformed(_))));
    let mut block = encoding::encode(&BlockHeader {
        chain_id: "ebl-test-1".into(),
        height: 1,
        parent_hash: Hash::ZERO,
        time_ms: 0,
        proposer: k.party(),
        tx_root: Hash::ZERO,
        state_root: Hash::ZERO,
        receipts_root: Hash::ZERO,
    });
    block.extend_from_slice(&u32::MAX.to_le_bytes());
    assert!(encoding::decode::<Block>(&block, BLOCK_BYTES_MAX).is_err());
}

#[test]
fn non_canonical_booleans_options_and_tags_are_refused() {
    // The spellings borsh could be lenient about: a bool other than 0/1, an option tag other
    // than 0/1, an enum tag past the last variant, a string that is not UTF-8.
    let k = key(1);
    let issue = IssueBl {
        transport_document_reference: "HHL71800000".into(),
        transport_document_type: TransportDocumentType::Bol,
        is_to_order: true,
        document: TransportDocumentJson::from_value(&serde_json::json!({})).expect("empty document"),
        issue_to: k.party(),
        shipper: k.party(),
        consignee: None,
        endorsee: None,
        agents: vec![],
    };
    let body = TxBody { chain_id: "c".into(), nonce: 0, signers: vec![], action: Action::Issue(issue) };
    let bytes = encoding::encode(&body);
    // chain id: 4-byte length + "c"; nonce 8; signers: 4-byte length; then the action tag.
    let action_tag = 4 + 1 + 8 + 4;
    assert_eq!(bytes[action_tag], 4, "ISSUE is the fifth action variant");
    let reference = action_tag + 1;
    let after_reference = reference + 4 + "HHL71800000".len();
    let doc_type = after_reference;
    let is_to_order = doc_type + 1;
    // The document (4-byte length + "{}"), then issue_to and shipper.
    let consignee_tag = is_to_order + 1 + 4 + 2 + 32 + 32;
    assert_eq!(encoding::decode::<TxBody>(&bytes, TX_BYTES_MAX), Ok(body));
    let edited = |at: usize, byte: u8| {
        let mut b = bytes.clone();
        b[at] = byte;
        encoding::decode::<TxBody>(&b, TX_BYTES_MAX)
    };
    assert!(edited(action_tag, 28).is_err(), "action tag past the last variant");
    assert!(edited(doc_type, 2).is_err(), "document type tag past the last variant");
    assert!(edited(is_to_order, 2).is_err(), "bool 2");
    assert!(edited(consignee_tag, 2).is_err(), "option tag 2");
    assert!(edited(reference + 4, 0xff).is_err(), "string that is not UTF-8");
}

/// The properties above are not vacuous: the action strategy reaches every variant, and a good
/// share of edited encodings still decode (so the canonical-form check has work to do).
#[test]
fn the_strategies_cover_every_action_and_edits_often_still_decode() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let mut names = std::collections::BTreeSet::new();
    for _ in 0..2_000 {
        names.insert(action().new_tree(&mut runner).expect("a value").current().name());
    }
    assert_eq!(names.len(), 28, "variants reached: {names:?}");

    let samples = 512;
    let decoded = (0..samples)
        .filter(|_| {
            Transaction::decode(&mutated_tx_bytes().new_tree(&mut runner).expect("bytes").current()).is_ok()
        })
        .count();
    assert!(decoded * 10 >= samples, "only {decoded} of {samples} edited encodings decode");
}
