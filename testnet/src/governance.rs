//! Changes to a running network's validator set, by the real governance flow (ADR 0019): the
//! newcomer's node is created and started first (it syncs), its operator is registered by the
//! registrar, the change is proposed by one validator's operator and approved by the others until
//! more than two thirds of the power approved it, and the call returns once the new set runs.
//! `ebl-testnet add-validator`, `remove-validator` and `add-observer` use these, as do the
//! multi-process tests.

use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use ebl_client::{TxOutcome, ValidatorsResponse};
use ebl_ledger::action::{ExternalCodes, RegisterParty};
use ebl_ledger::governance::{Observer, ValidatorChange, ValidatorEpoch, ValidatorInfo};
use ebl_ledger::{Action, PartyId, Role, RoleSet};

use crate::Testnet;

/// Bound on each governance transaction's commit, and on the new set starting to run.
const GOVERNANCE_WAIT: Duration = Duration::from_secs(60);

impl Testnet {
    /// Adds validator `name` (power 1) run by a new organisation with `roles` (e.g. `TERMINAL`):
    /// its node is created and started, its operator registered, the change proposed and
    /// approved. Returns its index and the epoch that added it, once that epoch runs.
    pub async fn add_validator(&mut self, name: &str, roles: &[Role]) -> Result<(usize, ValidatorEpoch)> {
        let role_names: Vec<String> = roles.iter().map(|r| format!("{r:?}").to_uppercase()).collect();
        let i = self.create_node(name, &role_names.join(","), false)?;
        self.start(i)?;
        self.wait_ready(i, crate::net::START_TIMEOUT).await?;
        let node = self.node(i).clone();
        let registrar = self.registrar()?;
        let registration = RegisterParty {
            party: node.party,
            legal_name: format!("{name} (validator operator)"),
            roles: RoleSet::of(roles),
            codes: ExternalCodes::default(),
        };
        self.act(registrar, Action::RegisterParty(registration)).await.context("registering the operator")?;
        let home = node.home.clone();
        let key = |file: &str| -> Result<PartyId> { Ok(ebl_client::keys::load(&home.join(file))?.party()) };
        let info = ValidatorInfo {
            name: name.into(),
            operator: node.party,
            consensus_key: key("consensus_key.json")?,
            node_key: node.node_id,
            voting_power: 1,
            p2p_address: format!("/ip4/127.0.0.1/tcp/{}", node.p2p_port),
        };
        let epoch = self.govern(ValidatorChange::Add(info)).await?;
        Ok((i, epoch))
    }

    /// Adds observer `name`: a node with no consensus key, listed by the registrar (validators
    /// then accept it), started; returns its index once it has caught up with the first node.
    pub async fn add_observer(&mut self, name: &str) -> Result<usize> {
        let i = self.create_node(name, "", true)?;
        let node_key = self.node(i).node_id;
        let registrar = self.registrar()?;
        let observer = Observer { name: name.into(), node_key };
        self.act(registrar, Action::AllowObserver(observer)).await.context("listing the observer")?;
        self.start(i)?;
        self.wait_ready(i, crate::net::START_TIMEOUT).await?;
        let top = self.height(registrar).await.context("the registrar's node answers")?;
        self.wait_for_height(&[i], top, GOVERNANCE_WAIT).await.context("the observer catches up")?;
        Ok(i)
    }

    /// Removes validator `name` from the set; returns the epoch without it, once it runs. The
    /// node keeps running (stop it when you like: its votes no longer count).
    pub async fn remove_validator(&mut self, name: &str) -> Result<ValidatorEpoch> {
        let i = self.index_of(name)?;
        let operator = self.node(i).party;
        let set = self.validator_set().await?;
        let newest = set.epochs.last().context("the node serves no epoch")?;
        let validator = newest
            .validators
            .iter()
            .find(|v| v.operator == operator)
            .with_context(|| format!("{name} runs no validator of the current set"))?;
        self.govern(ValidatorChange::Remove { consensus_key: validator.consensus_key }).await
    }

    /// The validator set's epochs and open proposals, as the first running node serves them.
    pub async fn validator_set(&self) -> Result<ValidatorsResponse> {
        let mut last = None;
        for i in 0..self.len() {
            match self.client(i, None)?.validators().await {
                Ok(set) => return Ok(set),
                Err(e) => last = Some(e),
            }
        }
        bail!("no node answers /v1/validators: {last:?}")
    }

    /// Proposes `change` by the first operator of the current set whose node runs, and approves
    /// it by the others until the set changes; waits until the new epoch runs.
    async fn govern(&mut self, change: ValidatorChange) -> Result<ValidatorEpoch> {
        let before = self.validator_set().await?;
        let newest = before.epochs.last().context("the node serves no epoch")?.clone();
        // The operators of the current set, as nodes of this network (a change removing a
        // validator is not proposed by it).
        let mut operators = Vec::new();
        for v in &newest.validators {
            if let Some(i) = self.nodes().iter().position(|n| n.party == v.operator) {
                let is_removed = change == ValidatorChange::Remove { consensus_key: v.consensus_key };
                if !is_removed {
                    operators.push(i);
                }
            }
        }
        let (&proposer, approvers) =
            operators.split_first().context("no operator of the set is a node here")?;
        self.act(proposer, Action::ProposeValidatorChange { change: change.clone() })
            .await
            .context("proposing")?;
        // Read where it was committed (another node may be a block behind).
        let mut seen = self.client(proposer, None)?.validators().await?;
        let proposal = seen
            .open_proposals
            .iter()
            .find(|p| p.proposer == self.node(proposer).party && p.change == change)
            .map(|p| p.id)
            .context("the proposal is not open")?;
        // Approve one by one until the set changes, judged where the last approval committed: an
        // approval of a proposal that has passed is refused (UNKNOWN_PROPOSAL), and the next
        // approver's node may still be a block behind the one that saw it pass.
        let mut last = proposer;
        for &approver in approvers {
            if seen.epochs.last().map(|e| e.epoch) != Some(newest.epoch) {
                break;
            }
            self.act(approver, Action::ApproveValidatorChange { proposal }).await.context("approving")?;
            seen = self.client(approver, None)?.validators().await?;
            last = approver;
        }
        let after = self.client(last, None)?.validators().await?;
        let epoch = after.epochs.last().context("no epoch")?.clone();
        ensure!(
            epoch.epoch == newest.epoch + 1 && epoch.proposal == Some(proposal),
            "the change did not pass"
        );
        self.wait_for_height(&[proposer], epoch.effective_height, GOVERNANCE_WAIT).await?;
        Ok(epoch)
    }

    /// Signs `action` with node `i`'s organisation key and waits for its commit; a refusal is
    /// an error naming its code.
    async fn act(&self, i: usize, action: Action) -> Result<()> {
        let client = self.client(i, Some(self.key(i)?))?;
        let status = client.execute(action, Some(GOVERNANCE_WAIT)).await?;
        match status.outcome {
            Some(TxOutcome::Success) => Ok(()),
            other => bail!("{} was refused: {other:?}", self.node(i).name),
        }
    }

    /// The node whose organisation is a registrar.
    fn registrar(&self) -> Result<usize> {
        self.nodes()
            .iter()
            .position(|n| n.roles.split(',').any(|r| r == "REGISTRAR"))
            .context("no organisation of this network is a registrar")
    }
}
