//! The command tree of `ebl` (clap derive). The subcommands that submit an action are kept apart
//! from those that read, in their own enums (`PartyAction`, `BlAction`, `LienCmd`,
//! `ReleaseAction`) flattened into each group: each maps to exactly one `ebl_ledger::Action`
//! variant (`plan.rs`), whose `Action::info().cli` names it.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};

/// eBL Ledger command line: issue, transfer, finance and release electronic bills of lading.
/// Transactions are signed on this machine; titles are verified locally against the genesis
/// validators.
#[derive(Debug, Parser)]
#[command(
    name = "ebl",
    version,
    propagate_version = true,
    after_help = "A BL is named by its 64-hex id or as REFERENCE@ebl:<carrier hex>. A PARTY is ebl:<64 hex>, \
                  or a key file whose public key is taken. Times are ms since the epoch, now, +30m/+2h/+7d, \
                  YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z (UTC).\n\
                  Exit code: 0 success; 1 error, refused transaction, failed check or unverified title."
)]
pub struct Cli {
    /// The node's REST API.
    #[arg(long, env = "EBL_NODE", default_value = "http://127.0.0.1:27200", global = true)]
    pub node: String,
    /// Your party key: PKCS#8 PEM (`ebl keygen`) or a node JSON key file.
    #[arg(long, env = "EBL_KEY", global = true)]
    pub key: Option<PathBuf>,
    /// The network's genesis file: its chain id and validators are what proofs are checked against.
    #[arg(long, env = "EBL_GENESIS", global = true)]
    pub genesis: Option<PathBuf>,
    /// The chain id, when no genesis file is given (otherwise asked from the node).
    #[arg(long, env = "EBL_CHAIN_ID", global = true)]
    pub chain_id: Option<String>,
    /// The oldest proof accepted: a proof of a block older than this (by this machine's clock)
    /// is refused as stale, for a node could be replaying an old title. 90s, 2m, 500ms, …
    #[arg(long, env = "EBL_MAX_PROOF_AGE", global = true, default_value = "2m", value_parser = parse_age)]
    pub max_proof_age: std::time::Duration,
    /// Also trust this TLS root certificate (PEM) for an `https://` node behind a private CA.
    #[arg(long, env = "EBL_CA_CERT", global = true, value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Machine-readable output: one JSON document (or JSON lines for `watch`).
    #[arg(long, global = true)]
    pub json: bool,
    /// Wait for the transaction to commit and print its outcome (the default).
    #[arg(long, global = true, overrides_with = "no_wait")]
    pub wait: bool,
    /// Return once the node has admitted the transaction.
    #[arg(long = "no-wait", global = true, overrides_with = "wait")]
    pub no_wait: bool,
    /// How long to wait for a commit, in milliseconds.
    #[arg(long, global = true, default_value_t = 30_000)]
    pub timeout_ms: u64,
    #[command(flatten)]
    pub tx: TxOptions,
    #[command(subcommand)]
    pub command: Command,
}

fn parse_age(text: &str) -> Result<std::time::Duration, String> {
    ebl_client::time::parse_duration(text)
        .ok_or_else(|| format!("{text:?} is not a duration such as 90s, 2m or 500ms"))
}

impl Cli {
    pub fn wait(&self) -> bool {
        !self.no_wait
    }
}

/// How an action's transaction is signed and sent.
#[derive(Debug, Clone, Default, Args)]
pub struct TxOptions {
    /// The nonce to use (default: your next nonce, asked from the node).
    #[arg(long, global = true)]
    pub nonce: Option<u64>,
    /// Another party that must sign (e.g. the lienholder co-signing a surrender).
    #[arg(long = "cosigner", value_name = "PARTY", global = true)]
    pub cosigners: Vec<String>,
    /// A co-signer's key held on this machine: adds it as a signer and signs with it.
    #[arg(long = "cosign-key", value_name = "FILE", global = true)]
    pub cosign_keys: Vec<PathBuf>,
    /// Write the (partially) signed transaction to FILE instead of submitting it; co-signers
    /// then run `ebl tx cosign FILE`, and anyone `ebl tx submit FILE`.
    #[arg(long, value_name = "FILE", global = true)]
    pub save: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new party key (PKCS#8 PEM, mode 0600); never overwrites a file.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
    /// The party registry (the registrar onboards parties and grants roles).
    #[command(subcommand)]
    Party(PartyCmd),
    /// Electronic bills of lading: issue, transfer, endorse, surrender, read.
    #[command(subcommand)]
    Bl(BlCmd),
    /// Liens (pledges) of banks over BLs.
    #[command(subcommand)]
    Lien(LienCmd),
    /// Container release: orders, holds, delegation, pickup, gate-out, empty return.
    #[command(subcommand)]
    Release(ReleaseCmd),
    /// The validator set: its history, and its operators' proposals and approvals (ADR 0019).
    #[command(subcommand)]
    Governance(GovernanceCmd),
    /// Observers: nodes that follow and serve the chain without voting, which validators accept
    /// once the registrar quorum lists them.
    #[command(subcommand)]
    Observer(ObserverAction),
    /// Verify a BL's title locally: proof bundle checked against the genesis validators (needs
    /// --genesis) and for freshness (--max-proof-age).
    Verify { bl: String },
    /// A bank's trade-finance check of a BL, its verdict computed here from the proven record
    /// (needs --genesis); exit 1 when it fails or the node's answer contradicts the proof.
    FinanceCheck(FinanceCheckArgs),
    /// A BL's signed history (the endorsement chain).
    History { bl: String },
    /// Follow your events as they are committed (one line each, or JSON lines).
    Watch {
        /// Replay from this height first.
        #[arg(long)]
        from_height: Option<u64>,
    },
    /// Transactions: status, sign any action, co-sign, submit.
    #[command(subcommand)]
    Tx(TxCmd),
    /// The node's chain and committed tip.
    Status,
}

/// A party role (DESIGN §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Carrier,
    Bank,
    Customs,
    Terminal,
    Trader,
    Haulier,
    Registrar,
}

#[derive(Debug, Subcommand)]
pub enum PartyCmd {
    #[command(flatten)]
    Act(PartyAction),
    /// A party's registry record.
    Show { party: String },
    /// Every registered party.
    List,
    /// A party's next nonce (default: yours).
    Nonce { party: Option<String> },
}

/// The registrars' observer list (with M > 1 registrars, sign with `ebl tx sign` and `cosign`).
#[derive(Debug, Subcommand)]
pub enum ObserverAction {
    /// ALLOW_OBSERVER: validators accept this node key as a peer.
    Allow {
        /// Its node key (ebl:<hex>, or its node_key.json).
        node_key: String,
        #[arg(long)]
        name: String,
    },
    /// REMOVE_OBSERVER: validators drop it.
    Remove { node_key: String },
}

/// The validator set's governance.
#[derive(Debug, Subcommand)]
pub enum GovernanceCmd {
    #[command(flatten)]
    Act(GovernanceAction),
    /// The validator set of each epoch, the epoch in force and the open proposals.
    Show,
}

/// The validator operators' actions: a change takes effect once operators of validators holding
/// more than two thirds of the voting power approved it (the proposer's approval counts).
#[derive(Debug, Subcommand)]
pub enum GovernanceAction {
    /// PROPOSE_VALIDATOR_CHANGE: propose a change to the validator set (your key: an operator's).
    #[command(subcommand)]
    Propose(ValidatorChangeArg),
    /// APPROVE_VALIDATOR_CHANGE: approve an open proposal by its id.
    Approve { proposal: u64 },
}

/// A change to the validator set.
#[derive(Debug, Subcommand)]
pub enum ValidatorChangeArg {
    /// Add a validator: its operator (a registered party), consensus key and node key, all
    /// distinct, its voting power and p2p address.
    Add {
        #[arg(long)]
        name: String,
        #[arg(long)]
        operator: String,
        #[arg(long)]
        consensus_key: String,
        #[arg(long)]
        node_key: String,
        #[arg(long, default_value_t = 1)]
        power: u64,
        /// Where its peers reach it, e.g. /ip4/10.0.0.5/tcp/27000.
        #[arg(long)]
        p2p_address: String,
    },
    /// Change a validator's voting power.
    SetPower {
        #[arg(long)]
        consensus_key: String,
        #[arg(long)]
        power: u64,
    },
    /// Remove a validator.
    Remove {
        #[arg(long)]
        consensus_key: String,
    },
}

/// The registrar's actions.
#[derive(Debug, Subcommand)]
pub enum PartyAction {
    /// REGISTER_PARTY: onboard a party (registrar).
    Register {
        /// The party: ebl:<hex>, or a key file to take the public key from.
        party: String,
        /// Legal name.
        #[arg(long)]
        name: String,
        #[arg(long = "role", value_enum, required = true)]
        roles: Vec<RoleArg>,
        /// DCSA party code.
        #[arg(long)]
        dcsa_code: Option<String>,
        /// ISO 17442 Legal Entity Identifier.
        #[arg(long)]
        lei: Option<String>,
        /// China Unified Social Credit Identifier.
        #[arg(long)]
        uscc: Option<String>,
    },
    /// SET_PARTY_ROLES: replace a party's roles (registrar).
    Roles {
        party: String,
        #[arg(long = "role", value_enum, required = true)]
        roles: Vec<RoleArg>,
    },
    /// SUSPEND_PARTY (registrar).
    Suspend { party: String },
    /// REINSTATE_PARTY (registrar).
    Reinstate { party: String },
    /// ROTATE_KEY: your party signs with NEW_KEY from now on, keeping its id, BLs and roles;
    /// your current key signs nothing more. NEW_KEY co-signs: give its key file with
    /// `--cosign-key NEW_KEY_FILE` (or save and `ebl tx cosign`).
    RotateKey {
        /// The new key: ebl:<hex>, or its key file.
        new_key: String,
    },
    /// REPLACE_KEY (registrar quorum): PARTY lost its key and signs with NEW_KEY from now on;
    /// NEW_KEY co-signs (`--cosign-key`).
    ReplaceKey {
        party: String,
        /// The new key: ebl:<hex>, or its key file.
        new_key: String,
    },
}

/// The parties an ISSUE names.
#[derive(Debug, Clone, Args)]
pub struct IssueParties {
    /// DCSA issueTo: the first possessor.
    #[arg(long)]
    pub issue_to: String,
    #[arg(long)]
    pub shipper: String,
    /// Straight BL and sea waybill: the consignee.
    #[arg(long)]
    pub consignee: Option<String>,
    /// To-order BL: the first endorsee (none: issued endorsed in blank).
    #[arg(long)]
    pub endorsee: Option<String>,
    /// Straight BL: an agent of the shipper or consignee (repeat).
    #[arg(long = "agent")]
    pub agents: Vec<String>,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["document", "batch"])))]
pub struct IssueArgs {
    /// A DCSA TransportDocument (JSON): reference, type and isToOrder are read from it.
    #[arg(long)]
    pub document: Option<PathBuf>,
    /// A directory: every *.json in it is a DCSA TransportDocument, issued through the batch route.
    #[arg(long)]
    pub batch: Option<PathBuf>,
    /// Transactions per batch (the node keeps at most 1,000 pending per party).
    #[arg(long, default_value_t = 500)]
    pub chunk: usize,
    #[command(flatten)]
    pub parties: IssueParties,
}

/// Surrender purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SurrenderFor {
    Delivery,
    Amendment,
}

/// DCSA reason code of a surrender for amendment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AmendmentReasonArg {
    /// Switch to paper.
    Swtp,
    /// Change of destination.
    Cod,
    /// Switch BL (split, merge, other re-issue).
    Swi,
    Other,
}

#[derive(Debug, Subcommand)]
pub enum BlCmd {
    /// ISSUE (carrier): one document, or a directory of them.
    Issue(IssueArgs),
    #[command(flatten)]
    Act(BlAction),
    /// The title record.
    Show { bl: String },
    /// The signed history.
    History { bl: String },
    /// The DCSA TransportDocument as issued.
    Document {
        bl: String,
        /// Write it to FILE instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The release status of every container of the BL.
    Containers { bl: String },
}

/// The actions on a BL's title after its issue, and REISSUE.
#[derive(Debug, Subcommand)]
pub enum BlAction {
    /// TRANSFER possession (possessor).
    Transfer {
        bl: String,
        #[arg(long)]
        to: String,
    },
    /// ENDORSE to a named endorsee (to-order BL).
    Endorse {
        bl: String,
        #[arg(long)]
        to: String,
    },
    /// ENDORSE_TO_ORDER: endorse to the order of a named endorsee.
    EndorseToOrder {
        bl: String,
        #[arg(long)]
        to: String,
    },
    /// BLANK_ENDORSE: clear the endorsee; whoever possesses it holds title.
    BlankEndorse { bl: String },
    /// SIGN: acknowledge receipt.
    Sign { bl: String },
    /// REJECT the transfer just received: possession returns to the sender.
    Reject {
        bl: String,
        #[arg(long)]
        reason: String,
    },
    /// SURRENDER_FOR_DELIVERY or SURRENDER_FOR_AMENDMENT to the issuing carrier.
    Surrender {
        bl: String,
        #[arg(long = "for", value_enum)]
        purpose: SurrenderFor,
        /// Amendment only: the DCSA reason code.
        #[arg(long, value_enum, required_if_eq("purpose", "amendment"))]
        reason: Option<AmendmentReasonArg>,
    },
    /// SACC: accept a surrender (issuing carrier).
    AcceptSurrender { bl: String },
    /// SREJ: reject a surrender (issuing carrier).
    RejectSurrender {
        bl: String,
        #[arg(long)]
        reason: String,
    },
    /// REISSUE replacements of voided BLs (amend, split, merge).
    Reissue {
        /// A voided BL (repeat for a merge).
        #[arg(long = "voided", required = true)]
        voided: Vec<String>,
        /// A replacement's DCSA document (repeat for a split).
        #[arg(long = "document", required = true)]
        documents: Vec<PathBuf>,
        #[command(flatten)]
        parties: IssueParties,
    },
    /// SWITCH_TO_PAPER after a surrender for amendment with reason SWTP (issuing carrier).
    SwitchToPaper {
        bl: String,
        #[arg(long)]
        paper_bl_number: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum LienCmd {
    /// CREATE_LIEN: the party entitled to the goods (the possessor who may surrender it: endorsee of an
    /// order BL, any holder of a blank-endorsed one, consignee of a straight one) pledges the BL to a
    /// bank; both sign.
    Create {
        bl: String,
        #[arg(long)]
        bank: String,
        /// Amount in minor units of the currency (cents for USD).
        #[arg(long)]
        amount_minor: u64,
        /// ISO 4217 code.
        #[arg(long)]
        currency: String,
        /// When the lien stops binding: ms since the epoch, YYYY-MM-DD[THH:MM[:SS]Z], or +30d/+12h.
        #[arg(long)]
        expires: String,
        /// The bank's facility or letter-of-credit reference.
        #[arg(long)]
        finance_ref: String,
    },
    /// RELEASE_LIEN (the lienholder bank).
    Release { bl: String },
}

/// Who places a hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthorityArg {
    Customs,
    Terminal,
}

#[derive(Debug, Subcommand)]
pub enum HoldCmd {
    /// PLACE_HOLD on one container, or on the whole BL.
    Place {
        bl: String,
        /// The container (absent: every container of the BL).
        #[arg(long)]
        container: Option<String>,
        #[arg(long, value_enum)]
        authority: AuthorityArg,
        #[arg(long)]
        reason: String,
        /// Customs declaration number.
        #[arg(long)]
        declaration: Option<String>,
    },
    /// LIFT_HOLD.
    Lift {
        bl: String,
        #[arg(long)]
        container: Option<String>,
        #[arg(long)]
        hold_id: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum PickupCmd {
    /// ASSIGN_PICKUP: bind the release right to a truck, a driver and a slot (right holder).
    Assign {
        bl: String,
        container: String,
        #[arg(long)]
        truck: String,
        /// The driver's identifier; only its SHA-256 reaches the ledger.
        #[arg(long)]
        driver_id: String,
        #[arg(long)]
        slot_start: String,
        #[arg(long)]
        slot_end: String,
        /// A one-time code for the driver; only its SHA-256 reaches the ledger.
        #[arg(long)]
        pickup_code: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReleaseCmd {
    #[command(flatten)]
    Act(ReleaseAction),
    /// Release status of one container, or of every container of the BL.
    Status { bl: String, container: Option<String> },
}

/// The actions of container release.
#[derive(Debug, Subcommand)]
pub enum ReleaseAction {
    /// ISSUE_RELEASE_ORDER (carrier).
    Order {
        bl: String,
        /// A container to release (repeat; default: every container of the BL).
        #[arg(long = "container")]
        containers: Vec<String>,
        #[arg(long)]
        terminal: String,
        /// Default: now.
        #[arg(long)]
        valid_from: Option<String>,
        #[arg(long)]
        valid_until: String,
        #[arg(long)]
        charges_settled: bool,
    },
    /// SETTLE_CHARGES (carrier).
    SettleCharges { bl: String, container: String },
    /// Holds by customs or the terminal.
    #[command(subcommand)]
    Hold(HoldCmd),
    /// DELEGATE_RELEASE to the next holder (right holder).
    Delegate {
        bl: String,
        container: String,
        #[arg(long)]
        to: String,
    },
    /// REVOKE_RELEASE (carrier).
    Revoke {
        bl: String,
        container: String,
        #[arg(long)]
        reason: String,
    },
    /// Pickup assignment.
    #[command(subcommand)]
    Pickup(PickupCmd),
    /// GATE_OUT: record the outbound EIR (terminal).
    GateOut {
        bl: String,
        container: String,
        #[arg(long)]
        truck: String,
        #[arg(long)]
        driver_id: String,
        #[arg(long)]
        pickup_code: Option<String>,
        #[arg(long = "seal")]
        seals: Vec<String>,
        #[arg(long)]
        condition: String,
    },
    /// EMPTY_RETURN: record the inbound EIR and close the container (terminal or depot).
    EmptyReturn {
        bl: String,
        container: String,
        #[arg(long, default_value = "")]
        damage_notes: String,
    },
}

#[derive(Debug, Args)]
pub struct FinanceCheckArgs {
    pub bl: String,
    /// The DCSA document presented to the bank (needed by a bank not on the BL's chain).
    #[arg(long)]
    pub document: Option<PathBuf>,
    /// LC term: the BL must be to order and endorsed to this bank.
    #[arg(long)]
    pub to_order_of_bank: bool,
    /// LC term: latest shipment date, YYYY-MM-DD.
    #[arg(long)]
    pub latest_shipment_date: Option<String>,
    /// LC term: port of loading (UN/LOCODE).
    #[arg(long)]
    pub port_of_loading: Option<String>,
    /// LC term: port of discharge (UN/LOCODE).
    #[arg(long)]
    pub port_of_discharge: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum TxCmd {
    /// A transaction's status and outcome.
    Status { tx_id: String },
    /// Sign any action given as JSON (`{"type":"TRANSFER",...}`), then submit it or --save it.
    Sign {
        #[arg(long)]
        action: PathBuf,
    },
    /// Add your signature (and any --cosign-key's) to a saved transaction file.
    Cosign {
        file: PathBuf,
        /// Write the result here (default: back to FILE).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Submit a saved, fully signed transaction file.
    Submit { file: PathBuf },
}
