//! Test fixtures (feature `test-utils`): a ledger in memory with a standard cast of parties,
//! so tests read as sentences — `ledger.exec(&cast.carrier, issue(...))` — and every test,
//! property and bench builds on the same harness.

use std::collections::BTreeMap;

use ebl_ledger::action::{Action, ExternalCodes, IssueBl, RegisterParty};
use ebl_ledger::dcsa::TransportDocumentJson;
use ebl_ledger::records::{
    BlId, BlRecord, ContainerRef, HistoryEntry, HoldList, PartyRecord, ReleaseRecord, ReleaseStatus, Role,
    RoleSet, StateKey, TransportDocumentType,
};
use ebl_ledger::{
    encoding, Hash, Keypair, MemStore, PartyId, Receipt, StateRead, StateTree, Transaction, TxBody,
    VerifiedTx,
};

use crate::exec::{apply_tx, execute_block, ApplyError, BlockCtx};
use crate::genesis::Genesis;
use crate::overlay::WriteSet;

pub const CHAIN_ID: &str = "ebl-test-1";
/// 2026-11-26T00:00:00Z.
pub const GENESIS_TIME_MS: u64 = 1_795_651_200_000;
/// Block interval of the test ledger.
pub const BLOCK_MS: u64 = 1_000;

/// The parties of the test network; keys are derived from their names.
#[derive(Debug)]
pub struct Cast {
    pub registrar: Keypair,
    pub carrier: Keypair,
    pub carrier2: Keypair,
    pub shipper: Keypair,
    pub consignee: Keypair,
    pub forwarder: Keypair,
    pub bank: Keypair,
    pub bank2: Keypair,
    pub customs: Keypair,
    pub terminal: Keypair,
    pub terminal2: Keypair,
    pub haulier: Keypair,
    /// A registered trader with no part in any BL.
    pub outsider: Keypair,
    /// A key that is not registered at all.
    pub stranger: Keypair,
}

impl Cast {
    pub fn new() -> Self {
        let k = Keypair::for_test;
        Cast {
            registrar: k("registrar"),
            carrier: k("carrier"),
            carrier2: k("carrier2"),
            shipper: k("shipper"),
            consignee: k("consignee"),
            forwarder: k("forwarder"),
            bank: k("bank"),
            bank2: k("bank2"),
            customs: k("customs"),
            terminal: k("terminal"),
            terminal2: k("terminal2"),
            haulier: k("haulier"),
            outsider: k("outsider"),
            stranger: k("stranger"),
        }
    }

    /// Every registered member with its legal name and roles.
    pub fn members(&self) -> Vec<(&Keypair, &'static str, &'static [Role])> {
        vec![
            (&self.registrar, "Port Community System Registrar", &[Role::Registrar]),
            (&self.carrier, "Ocean Carrier Line", &[Role::Carrier]),
            (&self.carrier2, "Second Carrier Line", &[Role::Carrier]),
            (&self.shipper, "Shipper Export Co", &[Role::Trader]),
            (&self.consignee, "Consignee Import GmbH", &[Role::Trader]),
            (&self.forwarder, "Forwarding Agent Ltd", &[Role::Trader]),
            (&self.bank, "Trade Finance Bank", &[Role::Bank]),
            (&self.bank2, "Second Bank", &[Role::Bank]),
            (&self.customs, "Customs Authority", &[Role::Customs]),
            (&self.terminal, "Container Terminal", &[Role::Terminal]),
            (&self.terminal2, "Other Terminal", &[Role::Terminal]),
            (&self.haulier, "Haulier Trucking", &[Role::Haulier]),
            (&self.outsider, "Unrelated Trader", &[Role::Trader]),
        ]
    }

    pub fn genesis(&self) -> Genesis {
        Genesis {
            chain_id: CHAIN_ID.into(),
            genesis_time_ms: GENESIS_TIME_MS,
            parties: self
                .members()
                .into_iter()
                .map(|(key, name, roles)| RegisterParty {
                    party: key.party(),
                    legal_name: name.into(),
                    roles: RoleSet::of(roles),
                    codes: ExternalCodes::default(),
                })
                .collect(),
            validators: Vec::new(),
            registrar_quorum: 1,
        }
    }
}

impl Default for Cast {
    fn default() -> Self {
        Self::new()
    }
}

/// A block as it was executed, for replay.
#[derive(Debug, Clone)]
pub struct ExecutedBlock {
    pub ctx: BlockCtx,
    pub txs: Vec<Transaction>,
}

/// A ledger in memory: the JMT state plus a plain mirror of the latest values (for whole-state
/// comparisons), executing one block per call.
#[derive(Debug)]
pub struct TestLedger {
    pub tree: StateTree<MemStore>,
    mirror: BTreeMap<StateKey, Vec<u8>>,
    pub height: u64,
    pub time_ms: u64,
    pub blocks: Vec<ExecutedBlock>,
    genesis: Genesis,
}

impl TestLedger {
    /// The standard cast in genesis.
    pub fn new(cast: &Cast) -> Self {
        Self::from_genesis(cast.genesis())
    }

    pub fn from_genesis(genesis: Genesis) -> Self {
        let writes = genesis.writes().expect("test genesis is valid");
        let mut ledger = TestLedger {
            tree: StateTree::new(MemStore::default()),
            mirror: BTreeMap::new(),
            height: 0,
            time_ms: genesis.genesis_time_ms,
            blocks: Vec::new(),
            genesis,
        };
        ledger.commit(writes);
        ledger
    }

    fn commit(&mut self, writes: WriteSet) {
        self.tree.commit(self.height, &writes).expect("memory store commits");
        for (k, v) in writes {
            match v {
                Some(v) => self.mirror.insert(k, v),
                None => self.mirror.remove(&k),
            };
        }
    }

    pub fn ctx(&self) -> BlockCtx {
        BlockCtx { chain_id: CHAIN_ID.into(), height: self.height + 1, time_ms: self.time_ms + BLOCK_MS }
    }

    /// Moves the clock forward; the next block is `ms` later than it would have been.
    pub fn advance_time(&mut self, ms: u64) {
        self.time_ms += ms;
    }

    /// The next nonce of `party` (0 for an unknown party).
    pub fn nonce(&self, party: &PartyId) -> u64 {
        self.get(&StateKey::Nonce(*party)).unwrap_or(0)
    }

    /// A transaction by `signers` (the first submits) with the submitter's next nonce.
    pub fn tx(&self, signers: &[&Keypair], action: Action) -> Transaction {
        let nonce = signers.first().map_or(0, |s| self.nonce(&s.party()));
        Self::tx_with_nonce(signers, action, nonce)
    }

    pub fn tx_with_nonce(signers: &[&Keypair], action: Action, nonce: u64) -> Transaction {
        TxBody {
            chain_id: CHAIN_ID.into(),
            nonce,
            signers: signers.iter().map(|k| k.party()).collect(),
            action,
        }
        .sign(signers)
    }

    /// Executes one block of already signed transactions (signatures are checked), as a
    /// validator would.
    pub fn exec_block(&mut self, txs: Vec<Transaction>) -> Result<Vec<Receipt>, ApplyError> {
        let verified: Vec<VerifiedTx> = ebl_ledger::tx::verify_batch(txs.clone())
            .into_iter()
            .collect::<Result<_, _>>()
            .map_err(|error| ApplyError::Rejected { tx_id: ebl_ledger::TxId(Hash::ZERO), error })?;
        let ctx = self.ctx();
        let executed = execute_block(&self.tree, &ctx, &verified)?;
        self.height = ctx.height;
        self.time_ms = ctx.time_ms;
        self.commit(executed.writes);
        self.blocks.push(ExecutedBlock { ctx, txs });
        Ok(executed.receipts)
    }

    /// Executes transactions as a proposer would: those that cannot be included are left out.
    pub fn exec_proposed(&mut self, txs: Vec<Transaction>) -> Vec<Result<Receipt, ApplyError>> {
        let ctx = self.ctx();
        let mut writes = WriteSet::new();
        let mut included = Vec::new();
        let mut results = Vec::new();
        for tx in txs {
            let result = tx
                .clone()
                .verify()
                .map_err(|error| ApplyError::Rejected { tx_id: tx.id(), error })
                .and_then(|v| apply_tx(&self.tree, &mut writes, &ctx, &v));
            if result.is_ok() {
                included.push(tx);
            }
            results.push(result);
        }
        self.height = ctx.height;
        self.time_ms = ctx.time_ms;
        self.commit(writes);
        self.blocks.push(ExecutedBlock { ctx, txs: included });
        results
    }

    /// Signs `action` by `signers` and executes it alone in a block.
    pub fn exec_multi(&mut self, signers: &[&Keypair], action: Action) -> Receipt {
        let tx = self.tx(signers, action);
        match self.exec_block(vec![tx]) {
            Ok(mut receipts) => receipts.remove(0),
            Err(e) => panic!("transaction could not be included: {e}"),
        }
    }

    pub fn exec(&mut self, signer: &Keypair, action: Action) -> Receipt {
        self.exec_multi(&[signer], action)
    }

    /// Executes and panics with the error code unless the action succeeded.
    pub fn ok(&mut self, signer: &Keypair, action: Action) {
        let name = action.name();
        let receipt = self.exec(signer, action);
        assert!(receipt.is_success(), "{name} failed: {:?}", receipt.outcome);
    }

    /// Executes `action` signed by `signers` and asserts it is refused with `code`, that the
    /// state is unchanged but for the submitter's nonce, which advanced by one, and that no
    /// co-signer's nonce moved.
    #[track_caller]
    pub fn assert_refused(&mut self, signers: &[&Keypair], action: Action, code: ebl_ledger::ErrorCode) {
        let name = action.name();
        let before = self.state_without_nonces();
        let nonces: Vec<u64> = signers.iter().map(|s| self.nonce(&s.party())).collect();
        let receipt = self.exec_multi(signers, action);
        assert_eq!(receipt.error(), Some(code), "{name} should be refused with {code}");
        assert_eq!(self.state_without_nonces(), before, "a refused {name} changes nothing but the nonce");
        for (i, (signer, nonce)) in signers.iter().zip(&nonces).enumerate() {
            let expected = if i == 0 { nonce + 1 } else { *nonce };
            assert_eq!(self.nonce(&signer.party()), expected, "only the submitter's nonce is spent");
        }
    }

    /// Executes a title action on `bl` that must succeed and checks what every title action
    /// must do: append one history entry (its code, the submitter as actor, `recipient`, the
    /// transaction, the block, chained to the previous head) and leave the facts fixed at issue,
    /// above all the document checksum, untouched. Returns the record after.
    #[track_caller]
    pub fn assert_acted(
        &mut self,
        signers: &[&Keypair],
        bl: BlId,
        action: Action,
        recipient: Option<PartyId>,
    ) -> BlRecord {
        let name = action.name();
        let before = self.bl(&bl);
        let tx = self.tx(signers, action);
        let tx_id = tx.id();
        let receipts = self.exec_block(vec![tx]).expect("includable");
        assert!(receipts[0].is_success(), "{name} failed: {:?}", receipts[0].outcome);
        let after = self.bl(&bl);
        assert_eq!(after.history_len, before.history_len + 1, "{name} appends one history entry");
        let history = self.history(&bl);
        let entry = history.last().cloned().expect("an entry");
        let expected = HistoryEntry {
            seq: before.history_len,
            action_code: name.into(),
            actor: signers[0].party(),
            recipient,
            tx_id,
            height: self.height,
            time_ms: self.time_ms,
            prev: before.history_head,
        };
        assert_eq!(entry, expected);
        assert_eq!(after.history_head, entry.hash());
        assert_eq!(
            ebl_ledger::records::verify_history(&after, &history),
            Ok(()),
            "{name}: the record proves its history"
        );
        assert_eq!(after.updated_height, self.height);
        assert_eq!(after.document_checksum, before.document_checksum, "the checksum never changes");
        let issued = |r: &BlRecord| {
            (
                r.id,
                r.transport_document_reference.clone(),
                r.transport_document_type,
                r.is_to_order,
                r.carrier,
            )
        };
        assert_eq!(issued(&after), issued(&before), "the issued facts never change");
        let parties = |r: &BlRecord| (r.shipper, r.consignee, r.agents.clone(), r.issued_height);
        assert_eq!(parties(&after), parties(&before), "the issued parties never change");
        after
    }

    pub fn ok_multi(&mut self, signers: &[&Keypair], action: Action) {
        let name = action.name();
        let receipt = self.exec_multi(signers, action);
        assert!(receipt.is_success(), "{name} failed: {:?}", receipt.outcome);
    }

    pub fn root(&self) -> Hash {
        self.tree.root().expect("memory store has a root")
    }

    pub fn get<T: borsh::BorshDeserialize>(&self, key: &StateKey) -> Option<T> {
        let bytes = self.tree.get(key).expect("memory store reads")?;
        Some(encoding::decode(&bytes, usize::MAX).expect("state decodes"))
    }

    pub fn bl(&self, id: &BlId) -> BlRecord {
        self.get(&StateKey::Bl(*id)).expect("BL exists")
    }

    pub fn try_bl(&self, id: &BlId) -> Option<BlRecord> {
        self.get(&StateKey::Bl(*id))
    }

    pub fn party(&self, id: &PartyId) -> Option<PartyRecord> {
        self.get(&StateKey::Party(*id))
    }

    pub fn release(&self, container: &ContainerRef) -> ReleaseRecord {
        self.get(&StateKey::Release(container.id())).expect("release exists")
    }

    pub fn bl_holds(&self, bl: &BlId) -> HoldList {
        self.get(&StateKey::BlHolds(*bl)).unwrap_or_default()
    }

    /// The status a reader sees at the latest block time.
    pub fn release_status(&self, container: &ContainerRef) -> ReleaseStatus {
        self.release(container).status(&self.bl_holds(&container.bl), self.time_ms)
    }

    pub fn history(&self, bl: &BlId) -> Vec<HistoryEntry> {
        let len = self.bl(bl).history_len;
        (0..len).map(|i| self.get(&StateKey::BlHistory(*bl, i)).expect("history entry exists")).collect()
    }

    /// The whole latest state, in key order.
    pub fn state(&self) -> &BTreeMap<StateKey, Vec<u8>> {
        &self.mirror
    }

    /// The whole latest state but the nonces: what a refused action must leave untouched.
    pub fn state_without_nonces(&self) -> BTreeMap<StateKey, Vec<u8>> {
        self.mirror
            .iter()
            .filter(|(k, _)| !matches!(k, StateKey::Nonce(_)))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Rebuilds the ledger from genesis by re-executing every recorded block.
    pub fn replay(&self) -> TestLedger {
        let mut fresh = TestLedger::from_genesis(self.genesis.clone());
        for block in &self.blocks {
            let verified: Vec<VerifiedTx> =
                block.txs.iter().map(|t| t.clone().verify().expect("recorded transactions verify")).collect();
            let executed =
                execute_block(&fresh.tree, &block.ctx, &verified).expect("recorded blocks re-execute");
            fresh.height = block.ctx.height;
            fresh.time_ms = block.ctx.time_ms;
            fresh.commit(executed.writes);
            fresh.blocks.push(block.clone());
        }
        fresh
    }
}

/// The DCSA `regularSTDExample` TransportDocument (EBL_v3.0.4.yaml, Apache-2.0).
pub const REGULAR_STD_EXAMPLE: &str = include_str!("../../ledger/tests/fixtures/dcsa/regularSTDExample.json");

/// The DCSA example document, made to say `reference`, `ty` and `is_to_order`.
pub fn document_for(reference: &str, ty: TransportDocumentType, is_to_order: bool) -> TransportDocumentJson {
    let mut value: serde_json::Value =
        serde_json::from_str(REGULAR_STD_EXAMPLE).expect("the DCSA example is JSON");
    value["transportDocumentReference"] = reference.into();
    value["transportDocumentTypeCode"] = serde_json::to_value(ty).expect("type code");
    value["isToOrder"] = is_to_order.into();
    TransportDocumentJson::from_value(&value).expect("the DCSA example is a valid document")
}

/// `document` with other terms and conditions: another document for the same BL.
pub fn amended(document: &TransportDocumentJson, terms: &str) -> TransportDocumentJson {
    let mut value = document.to_value().expect("a document is JSON");
    value["termsAndConditions"] = terms.into();
    TransportDocumentJson::from_value(&value).expect("still a valid document")
}

/// The checksum the ledger records for [`to_order`]`(reference, …)`.
pub fn checksum_of(reference: &str) -> Hash {
    document_for(reference, TransportDocumentType::Bol, true).checksum()
}

/// The checksum the ledger records for [`straight`]`(reference, …)`.
pub fn straight_checksum_of(reference: &str) -> Hash {
    document_for(reference, TransportDocumentType::Bol, false).checksum()
}

/// ISSUE of a to-order BL to `holder`, to order of `endorsee` (`None`: in blank).
pub fn to_order(reference: &str, holder: &Keypair, endorsee: Option<&Keypair>) -> Action {
    Action::Issue(IssueBl {
        transport_document_reference: reference.into(),
        transport_document_type: TransportDocumentType::Bol,
        is_to_order: true,
        document: document_for(reference, TransportDocumentType::Bol, true),
        issue_to: holder.party(),
        shipper: holder.party(),
        consignee: None,
        endorsee: endorsee.map(|e| e.party()),
        agents: Vec::new(),
    })
}

/// ISSUE of a straight BL from `shipper` to `consignee`, issued to the shipper.
pub fn straight(reference: &str, shipper: &Keypair, consignee: &Keypair, agents: &[&Keypair]) -> Action {
    Action::Issue(IssueBl {
        transport_document_reference: reference.into(),
        transport_document_type: TransportDocumentType::Bol,
        is_to_order: false,
        document: document_for(reference, TransportDocumentType::Bol, false),
        issue_to: shipper.party(),
        shipper: shipper.party(),
        consignee: Some(consignee.party()),
        endorsee: None,
        agents: agents.iter().map(|a| a.party()).collect(),
    })
}

/// ISSUE of a sea waybill from `shipper` to `consignee`.
pub fn sea_waybill(reference: &str, shipper: &Keypair, consignee: &Keypair) -> Action {
    Action::Issue(IssueBl {
        transport_document_reference: reference.into(),
        transport_document_type: TransportDocumentType::Swb,
        is_to_order: false,
        document: document_for(reference, TransportDocumentType::Swb, false),
        issue_to: shipper.party(),
        shipper: shipper.party(),
        consignee: Some(consignee.party()),
        endorsee: None,
        agents: Vec::new(),
    })
}

impl TestLedger {
    /// Issues a to-order BL by the cast's carrier to the shipper, to order of the shipper.
    pub fn issued_to_order(&mut self, cast: &Cast, reference: &str) -> BlId {
        self.ok(&cast.carrier, to_order(reference, &cast.shipper, Some(&cast.shipper)));
        BlId::new(&cast.carrier.party(), reference)
    }

    /// Issues a straight BL shipper → consignee.
    pub fn issued_straight(&mut self, cast: &Cast, reference: &str) -> BlId {
        self.ok(&cast.carrier, straight(reference, &cast.shipper, &cast.consignee, &[]));
        BlId::new(&cast.carrier.party(), reference)
    }

    /// A to-order BL endorsed and transferred to the consignee, surrendered by it for
    /// delivery and accepted by the carrier.
    pub fn surrendered_for_delivery(&mut self, cast: &Cast, reference: &str) -> BlId {
        let bl = self.issued_to_order(cast, reference);
        self.ok(&cast.shipper, Action::EndorseToOrder { bl, endorsee: cast.consignee.party() });
        self.ok(&cast.shipper, Action::Transfer { bl, to: cast.consignee.party() });
        self.ok(&cast.consignee, Action::SurrenderForDelivery { bl });
        self.ok(&cast.carrier, Action::AcceptSurrender { bl });
        bl
    }

    /// A surrendered BL with a release order for `containers` at the cast's terminal, valid
    /// from now for a day, charges settled. The right holder is the consignee.
    pub fn released(
        &mut self,
        cast: &Cast,
        reference: &str,
        containers: &[&str],
    ) -> (BlId, Vec<ContainerRef>) {
        let bl = self.surrendered_for_delivery(cast, reference);
        self.ok(
            &cast.carrier,
            Action::IssueReleaseOrder(ebl_ledger::action::IssueReleaseOrder {
                bl,
                equipment_references: containers.iter().map(|c| c.to_string()).collect(),
                terminal: cast.terminal.party(),
                valid_from_ms: self.time_ms,
                valid_until_ms: self.time_ms + 86_400_000,
                charges_settled: true,
            }),
        );
        (bl, containers.iter().map(|c| ContainerRef::new(bl, *c)).collect())
    }
}
