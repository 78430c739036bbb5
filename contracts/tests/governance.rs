//! Validator-set governance: PROPOSE_VALIDATOR_CHANGE and APPROVE_VALIDATOR_CHANGE (ADR 0019).
//!
//! A change takes effect only once operators of validators holding more than two thirds of the
//! newest set's power approved it, `EFFECT_DELAY_HEIGHTS` after the approving block. Everyone
//! else — a party that runs no validator, a removed validator's operator, an operator approving
//! twice — is refused with its code and changes nothing but its nonce, and so is every change
//! past the bounds (fewer than four validators, a third of the power at once, a key in use).

use ebl_contracts::testkit::{Cast, TestLedger};
use ebl_contracts::Genesis;
use ebl_ledger::action::{Action, ExternalCodes, RegisterParty};
use ebl_ledger::governance::{
    Governance, ValidatorChange, ValidatorEpoch, ValidatorInfo, EFFECT_DELAY_HEIGHTS,
};
use ebl_ledger::records::{Role, RoleSet, StateKey};
use ebl_ledger::{ErrorCode, Keypair};

/// One validator: its operator (a party), its consensus key and its node key, all distinct.
struct Member {
    operator: Keypair,
    consensus: Keypair,
    node: Keypair,
}

impl Member {
    fn new(name: &str) -> Member {
        Member {
            operator: Keypair::for_test(&format!("{name}/operator")),
            consensus: Keypair::for_test(&format!("{name}/consensus")),
            node: Keypair::for_test(&format!("{name}/node")),
        }
    }

    fn info(&self, name: &str, power: u64) -> ValidatorInfo {
        ValidatorInfo {
            name: name.into(),
            operator: self.operator.party(),
            consensus_key: self.consensus.party(),
            node_key: self.node.party(),
            voting_power: power,
            p2p_address: format!("/ip4/127.0.0.1/tcp/{}", 27000 + name.len()),
        }
    }

    fn registration(&self, name: &str) -> RegisterParty {
        RegisterParty {
            party: self.operator.party(),
            legal_name: format!("{name} Validation Ltd"),
            roles: RoleSet::of(&[Role::Carrier]),
            codes: ExternalCodes::default(),
        }
    }
}

const NAMES: [&str; 5] = ["shanghai", "ningbo", "rotterdam", "singapore", "hamburg"];

/// The cast, four validators of power 10 (their operators are parties), and the operator of a
/// fifth, registered but not yet a validator.
fn network() -> (Cast, Vec<Member>, TestLedger) {
    let cast = Cast::new();
    let members: Vec<Member> = NAMES.iter().map(|n| Member::new(n)).collect();
    let mut genesis: Genesis = cast.genesis();
    genesis.parties.extend(members.iter().zip(NAMES).map(|(m, n)| m.registration(n)));
    genesis.validators = members[..4].iter().zip(NAMES).map(|(m, n)| m.info(n, 10)).collect();
    let ledger = TestLedger::from_genesis(genesis);
    (cast, members, ledger)
}

fn governance(ledger: &TestLedger) -> Governance {
    ledger.get(&StateKey::Governance).expect("the genesis wrote the governance record")
}

fn epoch(ledger: &TestLedger, epoch: u64) -> Option<ValidatorEpoch> {
    ledger.get(&StateKey::ValidatorEpoch(epoch))
}

fn propose(change: ValidatorChange) -> Action {
    Action::ProposeValidatorChange { change }
}

fn approve(proposal: u64) -> Action {
    Action::ApproveValidatorChange { proposal }
}

fn add_fifth(members: &[Member]) -> ValidatorChange {
    ValidatorChange::Add(members[4].info(NAMES[4], 10))
}

/// Runs empty blocks (a registrar's harmless action) until the ledger's next block is `height`.
fn advance_to(ledger: &mut TestLedger, cast: &Cast, height: u64) {
    while ledger.ctx().height < height {
        // Refused (the registrar is active), which spends a nonce and fills a block.
        ledger.exec(&cast.registrar, Action::ReinstateParty { party: cast.registrar.party() });
    }
}

/// Makes `change` with the approvals of the first three operators (30 of 40: more than two
/// thirds); returns the approving height.
fn pass(ledger: &mut TestLedger, members: &[Member], change: ValidatorChange) -> u64 {
    ledger.ok(&members[0].operator, propose(change));
    let id = governance(ledger).open.last().expect("open").id;
    ledger.ok(&members[1].operator, approve(id));
    ledger.ok(&members[2].operator, approve(id));
    ledger.ctx().height - 1
}

#[test]
fn genesis_writes_epoch_zero_sorted_by_consensus_key() {
    let (_, _, ledger) = network();
    let zero = epoch(&ledger, 0).expect("epoch 0");
    assert_eq!((zero.epoch, zero.effective_height, zero.approved_height, zero.proposal), (0, 0, 0, None));
    assert_eq!(zero.validators.len(), 4);
    assert!(zero.validators.windows(2).all(|w| w[0].consensus_key < w[1].consensus_key));
    assert_eq!(governance(&ledger), Governance::default());
}

#[test]
fn a_fifth_validator_joins_once_more_than_two_thirds_of_the_power_approved() {
    let (cast, members, mut ledger) = network();
    ledger.ok(&members[0].operator, propose(add_fifth(&members)));
    let open = governance(&ledger).open;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].approvals, vec![members[0].operator.party()], "the proposer's approval counts");
    let id = open[0].id;

    // 20 of 40, then still open.
    ledger.ok(&members[1].operator, approve(id));
    assert!(epoch(&ledger, 1).is_none(), "half the power is not enough");
    assert_eq!(governance(&ledger).open[0].approvals.len(), 2);

    // 30 of 40: more than two thirds. Epoch 1 is written, in force two heights later.
    ledger.ok(&members[2].operator, approve(id));
    let approved_at = ledger.ctx().height - 1;
    let one = epoch(&ledger, 1).expect("epoch 1");
    assert_eq!(one.approved_height, approved_at);
    assert_eq!(one.effective_height, approved_at + EFFECT_DELAY_HEIGHTS);
    assert_eq!(one.proposal, Some(id));
    assert_eq!(one.validators.len(), 5);
    assert!(one.validators.iter().any(|v| v.consensus_key == members[4].consensus.party()));
    let g = governance(&ledger);
    assert_eq!(g.latest_epoch, 1);
    assert!(g.open.is_empty(), "every open proposal changed the set before");
    // The fourth approval comes too late: while the change is pending nothing is approved, and
    // once it is in force the proposal is closed.
    ledger.assert_refused(&[&members[3].operator], approve(id), ErrorCode::ChangePending);
    advance_to(&mut ledger, &cast, one.effective_height);
    ledger.assert_refused(&[&members[3].operator], approve(id), ErrorCode::UnknownProposal);
}

#[test]
fn a_proposal_without_the_approvals_never_takes_effect() {
    let (cast, members, mut ledger) = network();
    ledger.ok(&members[0].operator, propose(add_fifth(&members)));
    let id = governance(&ledger).open[0].id;
    ledger.ok(&members[1].operator, approve(id));
    advance_to(&mut ledger, &cast, 50);
    assert!(epoch(&ledger, 1).is_none());
    assert_eq!(governance(&ledger).latest_epoch, 0);
}

#[test]
fn approvals_and_proposals_by_anyone_but_an_operator_of_the_set_are_refused() {
    let (cast, members, mut ledger) = network();
    // A party that runs no validator, the fifth operator before it joins, and a validator's
    // own consensus key (not a party: its transaction cannot even be included).
    ledger.assert_refused(&[&cast.registrar], propose(add_fifth(&members)), ErrorCode::NotAValidator);
    ledger.assert_refused(&[&members[4].operator], propose(add_fifth(&members)), ErrorCode::NotAValidator);
    ledger.ok(&members[0].operator, propose(add_fifth(&members)));
    let id = governance(&ledger).open[0].id;
    ledger.assert_refused(&[&cast.bank], approve(id), ErrorCode::NotAValidator);
    ledger.assert_refused(&[&members[4].operator], approve(id), ErrorCode::NotAValidator);
    let tx = ledger.tx(&[&members[1].consensus], approve(id));
    assert!(ledger.exec_block(vec![tx]).is_err(), "a consensus key is no party");
    // Approving twice, or a proposal that does not exist.
    ledger.assert_refused(&[&members[0].operator], approve(id), ErrorCode::AlreadyApproved);
    ledger.assert_refused(&[&members[1].operator], approve(id + 7), ErrorCode::UnknownProposal);
}

#[test]
fn a_removed_validator_can_neither_propose_nor_approve() {
    let (cast, members, mut ledger) = network();
    let approved = pass(&mut ledger, &members, add_fifth(&members));
    advance_to(&mut ledger, &cast, approved + EFFECT_DELAY_HEIGHTS);
    let removed = members[3].consensus.party();
    // Four of five approve the removal of the fourth (40 of 50).
    ledger.ok(&members[0].operator, propose(ValidatorChange::Remove { consensus_key: removed }));
    let id = governance(&ledger).open[0].id;
    for m in &members[1..3] {
        ledger.ok(&m.operator, approve(id));
    }
    assert_eq!(governance(&ledger).latest_epoch, 1, "30 of 50 is not enough");
    ledger.ok(&members[4].operator, approve(id));
    let two = epoch(&ledger, 2).expect("epoch 2");
    assert!(two.validators.iter().all(|v| v.consensus_key != removed));
    advance_to(&mut ledger, &cast, two.effective_height);

    let change = ValidatorChange::SetPower { consensus_key: members[0].consensus.party(), voting_power: 12 };
    ledger.assert_refused(&[&members[3].operator], propose(change.clone()), ErrorCode::NotAValidator);
    ledger.ok(&members[0].operator, propose(change));
    let id = governance(&ledger).open[0].id;
    ledger.assert_refused(&[&members[3].operator], approve(id), ErrorCode::NotAValidator);
}

#[test]
fn nothing_is_proposed_or_approved_while_a_change_is_pending() {
    let (cast, members, mut ledger) = network();
    let approved = pass(&mut ledger, &members, add_fifth(&members));
    let change = ValidatorChange::SetPower { consensus_key: members[1].consensus.party(), voting_power: 11 };
    assert!(ledger.ctx().height < approved + EFFECT_DELAY_HEIGHTS);
    ledger.assert_refused(&[&members[0].operator], propose(change.clone()), ErrorCode::ChangePending);
    advance_to(&mut ledger, &cast, approved + EFFECT_DELAY_HEIGHTS);
    ledger.ok(&members[0].operator, propose(change));
}

#[test]
fn changes_past_the_bounds_are_refused_with_their_codes() {
    let (cast, members, mut ledger) = network();
    let op = &members[0].operator;
    let first = members[0].consensus.party();
    ledger.assert_refused(
        &[op],
        propose(ValidatorChange::Remove { consensus_key: first }),
        ErrorCode::ValidatorSetTooSmall,
    );
    ledger.assert_refused(
        &[op],
        propose(ValidatorChange::Add(members[4].info(NAMES[4], 14))),
        ErrorCode::PowerChangeTooLarge,
    );
    ledger.assert_refused(
        &[op],
        propose(ValidatorChange::SetPower { consensus_key: cast.bank.party(), voting_power: 5 }),
        ErrorCode::UnknownValidator,
    );
    // A key already in the set; a validator key that is a party's key.
    let mut twin = members[4].info(NAMES[4], 1);
    twin.node_key = members[2].node.party();
    ledger.assert_refused(&[op], propose(ValidatorChange::Add(twin)), ErrorCode::ValidatorExists);
    let mut party_key = members[4].info(NAMES[4], 1);
    party_key.consensus_key = cast.bank.party();
    ledger.assert_refused(&[op], propose(ValidatorChange::Add(party_key)), ErrorCode::KeyInUse);
    // An operator that is not a registered party.
    let mut stranger = members[4].info(NAMES[4], 1);
    stranger.operator = Keypair::for_test("unregistered").party();
    ledger.assert_refused(&[op], propose(ValidatorChange::Add(stranger)), ErrorCode::UnknownParty);
    // An empty name.
    let mut unnamed = members[4].info(NAMES[4], 1);
    unnamed.name.clear();
    ledger.assert_refused(&[op], propose(ValidatorChange::Add(unnamed)), ErrorCode::InvalidInput);
    assert!(governance(&ledger).open.is_empty());
}

#[test]
fn a_party_cannot_register_a_validator_key() {
    let (cast, members, mut ledger) = network();
    let registration = RegisterParty {
        party: members[1].consensus.party(),
        legal_name: "Squatter Ltd".into(),
        roles: RoleSet::of(&[Role::Trader]),
        codes: ExternalCodes::default(),
    };
    ledger.assert_refused(&[&cast.registrar], Action::RegisterParty(registration), ErrorCode::KeyInUse);
}

#[test]
fn a_new_proposal_replaces_its_operators_open_one_and_a_change_voids_the_others() {
    let (cast, members, mut ledger) = network();
    let power =
        |m: &Member, p| ValidatorChange::SetPower { consensus_key: m.consensus.party(), voting_power: p };
    ledger.ok(&members[0].operator, propose(power(&members[0], 11)));
    ledger.ok(&members[0].operator, propose(power(&members[0], 12)));
    ledger.ok(&members[1].operator, propose(power(&members[1], 11)));
    let open = governance(&ledger).open;
    assert_eq!(open.len(), 2, "one open proposal per operator");
    let (mine, other) = (open[0].id, open[1].id);
    assert_eq!(open[0].change, power(&members[0], 12));
    // The other passes; the first, on the set before, is void.
    ledger.ok(&members[2].operator, approve(other));
    ledger.ok(&members[3].operator, approve(other));
    assert_eq!(governance(&ledger).latest_epoch, 1);
    let effective = ledger.ctx().height + EFFECT_DELAY_HEIGHTS;
    advance_to(&mut ledger, &cast, effective);
    ledger.assert_refused(&[&members[2].operator], approve(mine), ErrorCode::UnknownProposal);
    let one = epoch(&ledger, 1).expect("epoch 1");
    let changed = one.validators.iter().find(|v| v.consensus_key == members[1].consensus.party());
    assert_eq!(changed.map(|v| v.voting_power), Some(11));
}

#[test]
fn a_ledger_without_validators_has_no_one_to_govern_it() {
    let cast = Cast::new();
    let mut ledger = TestLedger::new(&cast);
    let members: Vec<Member> = NAMES.iter().map(|n| Member::new(n)).collect();
    ledger.assert_refused(&[&cast.registrar], propose(add_fifth(&members)), ErrorCode::NotAValidator);
}
