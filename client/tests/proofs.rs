//! A light client trusts only the genesis validators: every way a node could lie about a title
//! (changed record, forged or short certificate, stale validator set, another BL's proof) must
//! be caught locally, with the specific error. Bundles are built in-process exactly as a node
//! builds them: a JMT over the state, a header carrying its root, precommits over the header.

use std::collections::BTreeMap;

use ebl_client::{decode_bundle, ClientError, TitleError, Trust};
use ebl_ledger::certificate::{vote_signing_bytes, VoteKind};
use ebl_ledger::records::{BlStatus, TransportDocumentType};
use ebl_ledger::{
    BlId, BlRecord, BlockHeader, BundleError, Certificate, CertificateError, Hash, Keypair, MemStore,
    PartyId, ProofBundle, ProofError, Signature, StateKey, StateTree,
};

const CHAIN: &str = "ebl-test";

fn validators(range: std::ops::Range<u32>) -> Vec<Keypair> {
    range.map(|i| Keypair::for_test(&format!("validator-{i}"))).collect()
}

fn trust_of(keys: &[Keypair]) -> Trust {
    Trust::new(CHAIN, keys.iter().map(|k| (k.party(), 1)).collect())
}

fn party(name: &str) -> PartyId {
    Keypair::for_test(name).party()
}

fn record(reference: &str, possessor: PartyId) -> BlRecord {
    let carrier = party("carrier");
    BlRecord {
        id: BlId::new(&carrier, reference),
        transport_document_reference: reference.into(),
        transport_document_type: TransportDocumentType::Bol,
        is_to_order: true,
        carrier,
        document_checksum: Hash::digest(reference.as_bytes()),
        status: BlStatus::Issued,
        possessor,
        endorsee: Some(possessor),
        endorsee_may_endorse: true,
        shipper: party("shipper"),
        consignee: None,
        agents: Vec::new(),
        transfer_from: None,
        surrender: None,
        surrendered_by: None,
        lien: None,
        replaces: Vec::new(),
        replaced_by: Vec::new(),
        paper_bl_number: None,
        issued_height: 3,
        updated_height: 7,
        history_len: 2,
        history_head: Hash::digest(b"head"),
        possessor_signed: false,
    }
}

/// A committed state holding `records` under their own keys (plus, for `misfiled`, a record
/// stored under another BL's key), certified at height 7 by `signers`.
struct Chain {
    tree: StateTree<MemStore>,
    header: BlockHeader,
}

impl Chain {
    fn new(records: &[BlRecord], misfiled: Option<(BlId, &BlRecord)>) -> Chain {
        let mut writes: BTreeMap<StateKey, Option<Vec<u8>>> =
            records.iter().map(|r| (StateKey::Bl(r.id), Some(ebl_ledger::encoding::encode(r)))).collect();
        if let Some((key, r)) = misfiled {
            writes.insert(StateKey::Bl(key), Some(ebl_ledger::encoding::encode(r)));
        }
        writes.insert(StateKey::Nonce(party("carrier")), Some(ebl_ledger::encoding::encode(&5u64)));
        let mut tree = StateTree::new(MemStore::default());
        let state_root = tree.commit(7, &writes).expect("commit");
        let header = BlockHeader {
            chain_id: CHAIN.into(),
            height: 7,
            parent_hash: Hash::digest(b"block 6"),
            time_ms: 1_700_000_000_000,
            proposer: validators(0..1)[0].party(),
            tx_root: Hash::ZERO,
            state_root,
            receipts_root: Hash::ZERO,
        };
        Chain { tree, header }
    }

    fn bundle(&self, key: StateKey, certificate: Certificate) -> ProofBundle {
        let (value, proof) = self.tree.prove(&key, 7).expect("prove");
        ProofBundle { key, value, proof, header: self.header.clone(), certificate }
    }
}

/// Precommits by `signers` for `block_hash` at the header's height, sorted by party.
fn certify(signers: &[&Keypair], height: u64, block_hash: Hash) -> Certificate {
    let mut signatures: Vec<(PartyId, Signature)> = signers
        .iter()
        .map(|k| {
            let bytes =
                vote_signing_bytes(VoteKind::Precommit, CHAIN, height, 0, Some(&block_hash), &k.party());
            (k.party(), k.sign(&bytes))
        })
        .collect();
    signatures.sort_by_key(|s| s.0);
    Certificate { height, round: 0, block_hash, signatures }
}

fn all(keys: &[Keypair]) -> Vec<&Keypair> {
    keys.iter().collect()
}

fn bl_a() -> BlRecord {
    record("MAEU0001", party("bank"))
}

fn bl_b() -> BlRecord {
    record("MAEU0002", party("trader"))
}

#[test]
fn a_valid_bundle_verifies_and_yields_the_record() {
    let genesis = validators(0..4);
    let chain = Chain::new(&[bl_a(), bl_b()], None);
    let certificate = certify(&all(&genesis)[..3], 7, chain.header.hash());
    let bundle = chain.bundle(StateKey::Bl(bl_a().id), certificate);
    // Through the wire format too: hex of borsh, as the proof route serves it.
    let bundle = decode_bundle(&hex::encode(ebl_ledger::encoding::encode(&bundle))).expect("decodes");
    let title = trust_of(&genesis).verify_title(bl_a().id, &bundle).expect("verifies");
    assert_eq!(title.record, bl_a());
    assert_eq!(title.height, 7);
    assert_eq!(title.block_hash, chain.header.hash());
    assert_eq!(title.record.possessor, party("bank"));
    assert_eq!(title.signers.len(), 3);
}

#[test]
fn a_changed_record_fails_the_state_proof() {
    let genesis = validators(0..4);
    let chain = Chain::new(&[bl_a(), bl_b()], None);
    let mut bundle = chain.bundle(StateKey::Bl(bl_a().id), certify(&all(&genesis), 7, chain.header.hash()));
    let mut forged = bl_a();
    forged.possessor = party("thief");
    bundle.value = Some(ebl_ledger::encoding::encode(&forged));
    let error = trust_of(&genesis).verify_title(bl_a().id, &bundle).expect_err("changed record");
    assert!(matches!(error, ClientError::Proof(BundleError::Proof(ProofError::Mismatch(_)))), "{error:?}");
}

#[test]
fn a_changed_header_no_longer_matches_its_certificate() {
    let genesis = validators(0..4);
    let chain = Chain::new(&[bl_a()], None);
    let mut bundle = chain.bundle(StateKey::Bl(bl_a().id), certify(&all(&genesis), 7, chain.header.hash()));
    // A node that rebuilt the state with a forged record needs a header with the forged root.
    bundle.header.state_root = Hash::digest(b"forged state");
    let error = trust_of(&genesis).verify_title(bl_a().id, &bundle).expect_err("changed header");
    assert!(
        matches!(error, ClientError::Proof(BundleError::Certificate(CertificateError::WrongBlock { .. }))),
        "{error:?}"
    );
}

#[test]
fn signatures_by_non_validators_are_refused() {
    let genesis = validators(0..4);
    let strangers = validators(10..14);
    let chain = Chain::new(&[bl_a()], None);
    let bundle = chain.bundle(StateKey::Bl(bl_a().id), certify(&all(&strangers), 7, chain.header.hash()));
    let error = trust_of(&genesis).verify_title(bl_a().id, &bundle).expect_err("strangers");
    let ClientError::Proof(BundleError::Certificate(CertificateError::UnknownSigner(who))) = error else {
        panic!("expected UnknownSigner, got {error:?}");
    };
    assert!(strangers.iter().any(|k| k.party() == who));
}

#[test]
fn too_few_signatures_are_refused() {
    let genesis = validators(0..4);
    let chain = Chain::new(&[bl_a()], None);
    let bundle = chain.bundle(StateKey::Bl(bl_a().id), certify(&all(&genesis)[..2], 7, chain.header.hash()));
    let error = trust_of(&genesis).verify_title(bl_a().id, &bundle).expect_err("two of four");
    assert!(
        matches!(
            error,
            ClientError::Proof(BundleError::Certificate(CertificateError::InsufficientPower {
                signed: 2,
                total: 4
            }))
        ),
        "{error:?}"
    );
    let empty = chain.bundle(StateKey::Bl(bl_a().id), certify(&[], 7, chain.header.hash()));
    assert!(matches!(
        trust_of(&genesis).verify_title(bl_a().id, &empty),
        Err(ClientError::Proof(BundleError::Certificate(CertificateError::InsufficientPower {
            signed: 0,
            ..
        })))
    ));
}

#[test]
fn signatures_over_another_block_are_refused() {
    let genesis = validators(0..4);
    let chain = Chain::new(&[bl_a()], None);
    let mut other = chain.header.clone();
    other.state_root = Hash::digest(b"another block's state");
    // Real precommits, but for another block, relabelled as precommits for this one.
    let mut certificate = certify(&all(&genesis), 7, other.hash());
    certificate.block_hash = chain.header.hash();
    let bundle = chain.bundle(StateKey::Bl(bl_a().id), certificate);
    let error = trust_of(&genesis).verify_title(bl_a().id, &bundle).expect_err("other block");
    assert!(
        matches!(error, ClientError::Proof(BundleError::Certificate(CertificateError::BadSignature(_)))),
        "{error:?}"
    );
    // The same certificate left as it was names the other block: it does not cover this header.
    let honest_other = chain.bundle(StateKey::Bl(bl_a().id), certify(&all(&genesis), 7, other.hash()));
    assert!(matches!(
        trust_of(&genesis).verify_title(bl_a().id, &honest_other),
        Err(ClientError::Proof(BundleError::Certificate(CertificateError::WrongBlock { .. })))
    ));
    // Precommits of another height.
    let other_height = chain.bundle(StateKey::Bl(bl_a().id), certify(&all(&genesis), 8, chain.header.hash()));
    assert!(matches!(
        trust_of(&genesis).verify_title(bl_a().id, &other_height),
        Err(ClientError::Proof(BundleError::Certificate(CertificateError::WrongHeight {
            certificate: 8,
            header: 7
        })))
    ));
}

#[test]
fn a_stale_or_rotated_validator_set_does_not_verify() {
    let genesis = validators(0..4);
    let rotated = validators(4..8);
    let chain = Chain::new(&[bl_a()], None);
    // The network's validators were replaced; a client still trusting the genesis set refuses
    // the new set's certificate (it cannot tell it from a forgery).
    let by_rotated = chain.bundle(StateKey::Bl(bl_a().id), certify(&all(&rotated), 7, chain.header.hash()));
    assert!(matches!(
        trust_of(&genesis).verify_title(bl_a().id, &by_rotated),
        Err(ClientError::Proof(BundleError::Certificate(CertificateError::UnknownSigner(_))))
    ));
    // And a certificate of the old set does not convince a client that trusts the new set.
    let by_genesis = chain.bundle(StateKey::Bl(bl_a().id), certify(&all(&genesis), 7, chain.header.hash()));
    assert!(matches!(
        trust_of(&rotated).verify_title(bl_a().id, &by_genesis),
        Err(ClientError::Proof(BundleError::Certificate(CertificateError::UnknownSigner(_))))
    ));
    // Partly rotated: two old validators out of a new set of four are not enough power.
    let mixed: Vec<Keypair> = validators(0..2).into_iter().chain(validators(4..6)).collect();
    let two_old = chain.bundle(StateKey::Bl(bl_a().id), certify(&all(&genesis)[..2], 7, chain.header.hash()));
    assert!(matches!(
        trust_of(&mixed).verify_title(bl_a().id, &two_old),
        Err(ClientError::Proof(BundleError::Certificate(CertificateError::InsufficientPower {
            signed: 2,
            total: 4
        })))
    ));
}

#[test]
fn another_chain_is_refused() {
    let genesis = validators(0..4);
    let chain = Chain::new(&[bl_a()], None);
    let bundle = chain.bundle(StateKey::Bl(bl_a().id), certify(&all(&genesis), 7, chain.header.hash()));
    let other_chain = Trust::new("ebl-other", genesis.iter().map(|k| (k.party(), 1)).collect());
    // Its own error, naming both chains (checked before any signature).
    let error = other_chain.verify_title(bl_a().id, &bundle).expect_err("another chain");
    assert!(
        matches!(&error, ClientError::OtherChain { trusted, found } if trusted == "ebl-other" && found == CHAIN),
        "{error:?}"
    );
    assert_eq!(error.trust_code(), Some("OTHER_CHAIN"));
}

#[test]
fn a_bundle_for_another_bl_is_refused() {
    let genesis = validators(0..4);
    let trust = trust_of(&genesis);
    let (a, b) = (bl_a(), bl_b());
    let chain = Chain::new(&[a.clone(), b.clone()], None);
    let certificate = certify(&all(&genesis), 7, chain.header.hash());
    // A valid proof of B's record, served when A was asked for.
    let of_b = chain.bundle(StateKey::Bl(b.id), certificate.clone());
    assert!(trust.verify_title(b.id, &of_b).is_ok(), "valid for B");
    assert_eq!(
        trust.verify_title(a.id, &of_b).expect_err("asked for A").to_string(),
        ClientError::Title(TitleError::WrongKey { asked: a.id, found: format!("{:?}", StateKey::Bl(b.id)) })
            .to_string()
    );
    assert!(matches!(trust.verify_title(a.id, &of_b), Err(ClientError::Title(TitleError::WrongKey { .. }))));
    // A proof of another kind of key (the carrier's nonce).
    let nonce = chain.bundle(StateKey::Nonce(party("carrier")), certificate.clone());
    assert!(matches!(trust.verify_title(a.id, &nonce), Err(ClientError::Title(TitleError::WrongKey { .. }))));
    // A proof that A's key holds nothing.
    let empty = Chain::new(std::slice::from_ref(&b), None);
    let absent = empty.bundle(StateKey::Bl(a.id), certify(&all(&genesis), 7, empty.header.hash()));
    assert!(
        matches!(trust.verify_title(a.id, &absent), Err(ClientError::Title(TitleError::Absent(id))) if id == a.id)
    );
    // B's record filed under A's key (a state no honest node computes, certified anyway).
    let misfiled = Chain::new(std::slice::from_ref(&b), Some((a.id, &b)));
    let wrong = misfiled.bundle(StateKey::Bl(a.id), certify(&all(&genesis), 7, misfiled.header.hash()));
    assert!(matches!(
        trust.verify_title(a.id, &wrong),
        Err(ClientError::Title(TitleError::WrongBl { asked, found })) if asked == a.id && found == b.id
    ));
    // A value that is not a BL record at all.
    let mut garbage = chain.bundle(StateKey::Bl(a.id), certificate);
    garbage.value = Some(vec![1, 2, 3]);
    assert!(matches!(trust.verify_title(a.id, &garbage), Err(ClientError::Proof(_) | ClientError::Title(_))));
}

// ---- The epoch chain (ADR 0019) --------------------------------------------------------------

use ebl_client::EpochError;
use ebl_ledger::governance::{ValidatorEpoch, ValidatorInfo};

/// A validator set of `keys` (power 1 each) as the ledger writes it.
fn epoch_of(epoch: u64, approved_height: u64, keys: &[Keypair]) -> ValidatorEpoch {
    let mut validators: Vec<ValidatorInfo> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| ValidatorInfo {
            name: format!("v{i}"),
            operator: party(&format!("operator-{i}")),
            consensus_key: k.party(),
            node_key: party(&format!("node-{i}")),
            voting_power: 1,
            p2p_address: "/ip4/127.0.0.1/tcp/1".into(),
        })
        .collect();
    validators.sort_by_key(|v| v.consensus_key);
    ValidatorEpoch {
        epoch,
        effective_height: approved_height + ebl_ledger::governance::EFFECT_DELAY_HEIGHTS,
        approved_height,
        proposal: Some(epoch - 1),
        validators,
    }
}

/// A ledger committed at chosen heights, each with its header, so that a key can be proven at
/// the height that wrote it.
struct History {
    tree: StateTree<MemStore>,
    headers: BTreeMap<u64, BlockHeader>,
}

impl History {
    fn new() -> Self {
        History { tree: StateTree::new(MemStore::default()), headers: BTreeMap::new() }
    }

    fn commit(&mut self, height: u64, key: StateKey, value: Vec<u8>) {
        let writes = BTreeMap::from([(key, Some(value))]);
        let state_root = self.tree.commit(height, &writes).expect("commit");
        let header = BlockHeader {
            chain_id: CHAIN.into(),
            height,
            parent_hash: Hash::digest(&height.to_be_bytes()),
            time_ms: 1_700_000_000_000 + height,
            proposer: validators(0..1)[0].party(),
            tx_root: Hash::ZERO,
            state_root,
            receipts_root: Hash::ZERO,
        };
        self.headers.insert(height, header);
    }

    fn set(&mut self, epoch: &ValidatorEpoch) {
        self.commit(
            epoch.approved_height,
            StateKey::ValidatorEpoch(epoch.epoch),
            ebl_ledger::encoding::encode(epoch),
        );
    }

    /// The proof of `key` at `height`, certified by `signers`.
    fn bundle(&self, key: StateKey, height: u64, signers: &[&Keypair]) -> ProofBundle {
        let header = self.headers[&height].clone();
        let (value, proof) = self.tree.prove(&key, height).expect("prove");
        let certificate = certify(signers, height, header.hash());
        ProofBundle { key, value, proof, header, certificate }
    }
}

/// Genesis v0..v3; epoch 1 adds v4 (approved at 10); epoch 2 removes v0 (approved at 20); a BL
/// record at 30.
fn two_changes() -> (History, Vec<Keypair>, ValidatorEpoch, ValidatorEpoch) {
    let keys = validators(0..5);
    let mut history = History::new();
    let one = epoch_of(1, 10, &keys[..5]);
    let two = epoch_of(2, 20, &keys[1..5]);
    history.set(&one);
    history.set(&two);
    history.commit(30, StateKey::Bl(bl_a().id), ebl_ledger::encoding::encode(&bl_a()));
    (history, keys, one, two)
}

#[test]
fn a_client_holding_only_the_genesis_learns_two_set_changes_and_verifies_a_later_title() {
    let (history, keys, _, _) = two_changes();
    let k: Vec<&Keypair> = keys.iter().collect();
    let mut trust = trust_of(&keys[..4]);
    // Link 1 signed by epoch 0 (three of v0..v3); link 2 by epoch 1 (v1..v4, four of five).
    let link1 = history.bundle(StateKey::ValidatorEpoch(1), 10, &k[..3]);
    let link2 = history.bundle(StateKey::ValidatorEpoch(2), 20, &k[1..5]);
    // Through the wire format, as GET /v1/validators/chain serves them.
    let wire =
        |b: &ProofBundle| decode_bundle(&hex::encode(ebl_ledger::encoding::encode(b))).expect("decodes");
    assert_eq!(trust.extend(&wire(&link1)).expect("link 1").effective_height, 12);
    assert_eq!(trust.extend(&wire(&link2)).expect("link 2").validators.len(), 4);
    assert_eq!(trust.next_epoch(), 3);
    assert_eq!((trust.epoch_at(11).epoch, trust.epoch_at(12).epoch, trust.epoch_at(22).epoch), (0, 1, 2));
    // The title at 30, certified by epoch 2's v1..v3 (three of four).
    let title =
        trust.verify_title(bl_a().id, &history.bundle(StateKey::Bl(bl_a().id), 30, &k[1..4])).expect("title");
    assert_eq!((title.height, title.epoch, title.record), (30, 2, bl_a()));
}

#[test]
fn a_certificate_of_the_old_set_after_its_change_is_refused() {
    let (history, keys, _, _) = two_changes();
    let k: Vec<&Keypair> = keys.iter().collect();
    let mut trust = trust_of(&keys[..4]);
    trust.extend(&history.bundle(StateKey::ValidatorEpoch(1), 10, &k[..3])).expect("link 1");
    trust.extend(&history.bundle(StateKey::ValidatorEpoch(2), 20, &k[1..5])).expect("link 2");
    // v0, v1, v2: three of the genesis four — enough for the set that no longer runs.
    let by_old = history.bundle(StateKey::Bl(bl_a().id), 30, &k[..3]);
    assert!(
        trust_of(&keys[..4]).verify_title(bl_a().id, &by_old).is_ok(),
        "the old set alone would accept it"
    );
    let error = trust.verify_title(bl_a().id, &by_old).expect_err("old set");
    assert!(
        matches!(error, ClientError::Proof(BundleError::Certificate(CertificateError::UnknownSigner(p))) if p == keys[0].party()),
        "{error:?}"
    );
    // Between the changes, epoch 1 runs: v1, v2, v3 hold three of its five, not enough.
    let mut middle = History::new();
    middle.set(&epoch_of(1, 10, &keys[..5]));
    middle.commit(15, StateKey::Bl(bl_a().id), ebl_ledger::encoding::encode(&bl_a()));
    let mut one = trust_of(&keys[..4]);
    one.extend(&middle.bundle(StateKey::ValidatorEpoch(1), 10, &k[..3])).expect("link 1");
    let error = one
        .verify_title(bl_a().id, &middle.bundle(StateKey::Bl(bl_a().id), 15, &k[1..4]))
        .expect_err("3 of 5");
    assert!(
        matches!(
            error,
            ClientError::Proof(BundleError::Certificate(CertificateError::InsufficientPower {
                signed: 3,
                total: 5
            }))
        ),
        "{error:?}"
    );
}

#[test]
fn a_link_not_certified_by_the_set_before_or_not_what_the_rule_writes_is_refused_and_teaches_nothing() {
    let (history, keys, one, _) = two_changes();
    let k: Vec<&Keypair> = keys.iter().collect();
    let genesis = trust_of(&keys[..4]);
    let refused = |bundle: &ProofBundle| {
        let mut trust = genesis.clone();
        let error = trust.extend(bundle).expect_err("refused");
        assert_eq!(trust, genesis, "a refused link teaches nothing");
        error
    };
    // Out of order: link 2 first.
    let link2 = history.bundle(StateKey::ValidatorEpoch(2), 20, &k[1..5]);
    assert!(matches!(refused(&link2), EpochError::WrongKey { expected: 1, .. }));
    // Certified by the new set itself, or by too few of the old one.
    let by_new = history.bundle(StateKey::ValidatorEpoch(1), 10, &k[1..5]);
    assert!(matches!(
        refused(&by_new),
        EpochError::Proof(BundleError::Certificate(CertificateError::UnknownSigner(_)))
    ));
    let by_two = history.bundle(StateKey::ValidatorEpoch(1), 10, &k[..2]);
    assert!(matches!(
        refused(&by_two),
        EpochError::Proof(BundleError::Certificate(CertificateError::InsufficientPower {
            signed: 2,
            total: 4
        }))
    ));
    // A changed set under a genuine certificate fails the state proof.
    let mut swapped = history.bundle(StateKey::ValidatorEpoch(1), 10, &k[..3]);
    let mut forged = one.clone();
    forged.validators[0].consensus_key = party("intruder");
    swapped.value = Some(ebl_ledger::encoding::encode(&forged));
    assert!(matches!(refused(&swapped), EpochError::Proof(BundleError::Proof(_))));
    // A proof that epoch 1 does not exist.
    let absent = history.bundle(StateKey::ValidatorEpoch(3), 30, &k[1..4]);
    let mut absent1 = absent.clone();
    absent1.key = StateKey::ValidatorEpoch(1);
    assert!(matches!(refused(&absent1), EpochError::Proof(BundleError::Proof(_)) | EpochError::Absent));
    // Sets the ledger's rule never writes, certified anyway (a quorum that signs a bad state):
    // numbered otherwise, approved by another block, running from another height, empty.
    for (what, mutate) in [
        ("number", Box::new(|e: &mut ValidatorEpoch| e.epoch = 5) as Box<dyn Fn(&mut ValidatorEpoch)>),
        ("approved", Box::new(|e: &mut ValidatorEpoch| e.approved_height = 9)),
        ("effective", Box::new(|e: &mut ValidatorEpoch| e.effective_height = 11)),
        ("empty", Box::new(|e: &mut ValidatorEpoch| e.validators.clear())),
        ("twice", Box::new(|e: &mut ValidatorEpoch| e.validators[1] = e.validators[0].clone())),
    ] {
        let mut bad = one.clone();
        mutate(&mut bad);
        let mut written = History::new();
        written.commit(10, StateKey::ValidatorEpoch(1), ebl_ledger::encoding::encode(&bad));
        let error = refused(&written.bundle(StateKey::ValidatorEpoch(1), 10, &k[..3]));
        let expected = match what {
            "number" => matches!(error, EpochError::WrongNumber { found: 5 }),
            "approved" => matches!(error, EpochError::WrongBlock { said: 9, header: 10 }),
            "effective" => matches!(error, EpochError::WrongEffectiveHeight { effective: 11, expected: 12 }),
            _ => matches!(error, EpochError::UnusableSet(_)),
        };
        assert!(expected, "{what}: {error:?}");
    }
    // Approved before the set it replaces ran: epoch 2 at height 11, while epoch 1 runs from 12.
    let mut early = History::new();
    early.set(&one);
    early.set(&epoch_of(2, 11, &keys[1..5]));
    let mut trust = genesis.clone();
    trust.extend(&early.bundle(StateKey::ValidatorEpoch(1), 10, &k[..3])).expect("link 1");
    let error = trust.extend(&early.bundle(StateKey::ValidatorEpoch(2), 11, &k[..3])).expect_err("early");
    assert!(matches!(error, EpochError::ApprovedTooEarly { approved: 11, previous: 12 }), "{error:?}");
    assert_eq!(trust.next_epoch(), 2);
}
