//! The per-party event stream, `GET /v1/events` (Server-Sent Events; [`crate::sse`] parses it).

use std::fmt;

use ebl_ledger::action::EventKind;
use ebl_ledger::{Action, BlId, PartyId, TxId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::tx::TxOutcome;

/// The query of `GET /v1/events`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Replay from this height (at most `REPLAY_BLOCKS_MAX` blocks back), then follow live.
    pub from_height: Option<u64>,
}

/// One event, as the `data` of an SSE message (`event:` is its kind, `id:` `height.index`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEvent {
    /// `ISSUED`, `TRANSFERRED`, `SURRENDER_ACCEPTED`, `HOLD_PLACED`, `GATED_OUT`, … or `REFUSED`
    /// (docs/rest-api.md).
    #[schema(value_type = crate::schema::EventKindName)]
    pub kind: EventKind,
    pub height: u64,
    #[serde(default)]
    pub index: u32,
    #[schema(value_type = String)]
    pub tx_id: TxId,
    /// The action's stable name (`TRANSFER`, `SACC`, …).
    pub action: ActionName,
    #[schema(value_type = String)]
    pub actor: PartyId,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub bl_id: Option<BlId>,
    #[serde(default)]
    pub equipment_reference: Option<String>,
    /// Every container the action names (a release order names several; `equipmentReference`
    /// is the first).
    #[serde(default)]
    pub equipment_references: Vec<String>,
    /// `SUCCESS` or the refusal code.
    pub outcome: TxOutcome,
}

/// Declares [`ActionName`], one variant per variant of [`Action`] with its stable name, and
/// the mapping from an action to it: a match with one arm per variant and no catch-all, so an
/// action added to the ledger does not compile here until it has its name.
macro_rules! action_names {
    ($($variant:ident => $name:literal,)*) => {
        /// The stable name of an action (`Action::info().name`: the DCSA code where DCSA has
        /// the concept, `SACC`, `SREJ`, …), without its fields.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema)]
        pub enum ActionName {
            $(
                #[serde(rename = $name)]
                $variant,
            )*
        }

        impl ActionName {
            /// Every name, in the ledger's declaration order.
            pub const ALL: &'static [ActionName] = &[$(ActionName::$variant),*];

            /// The name of `action`.
            pub fn of(action: &Action) -> ActionName {
                match action {
                    $(Action::$variant { .. } => ActionName::$variant,)*
                }
            }

            /// The name on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ActionName::$variant => $name,)*
                }
            }
        }
    };
}

action_names! {
    RegisterParty => "REGISTER_PARTY",
    SetPartyRoles => "SET_PARTY_ROLES",
    SuspendParty => "SUSPEND_PARTY",
    ReinstateParty => "REINSTATE_PARTY",
    Issue => "ISSUE",
    Transfer => "TRANSFER",
    Endorse => "ENDORSE",
    EndorseToOrder => "ENDORSE_TO_ORDER",
    BlankEndorse => "BLANK_ENDORSE",
    Sign => "SIGN",
    RejectTransfer => "REJECT",
    SurrenderForDelivery => "SURRENDER_FOR_DELIVERY",
    SurrenderForAmendment => "SURRENDER_FOR_AMENDMENT",
    AcceptSurrender => "SACC",
    RejectSurrender => "SREJ",
    Reissue => "REISSUE",
    SwitchToPaper => "SWITCH_TO_PAPER",
    CreateLien => "CREATE_LIEN",
    ReleaseLien => "RELEASE_LIEN",
    IssueReleaseOrder => "ISSUE_RELEASE_ORDER",
    SettleCharges => "SETTLE_CHARGES",
    PlaceHold => "PLACE_HOLD",
    LiftHold => "LIFT_HOLD",
    DelegateRelease => "DELEGATE_RELEASE",
    RevokeRelease => "REVOKE_RELEASE",
    AssignPickup => "ASSIGN_PICKUP",
    GateOut => "GATE_OUT",
    EmptyReturn => "EMPTY_RETURN",
    ProposeValidatorChange => "PROPOSE_VALIDATOR_CHANGE",
    ApproveValidatorChange => "APPROVE_VALIDATOR_CHANGE",
    AllowObserver => "ALLOW_OBSERVER",
    RemoveObserver => "REMOVE_OBSERVER",
    RotateKey => "ROTATE_KEY",
    ReplaceKey => "REPLACE_KEY",
}

impl From<&Action> for ActionName {
    fn from(action: &Action) -> Self {
        ActionName::of(action)
    }
}

impl fmt::Display for ActionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use borsh::BorshDeserialize;
    use serde_json::json;

    /// One action of every variant: a borsh tag followed by zeros decodes to that variant with
    /// empty fields (the borsh tag is the declaration order), until the tags run out.
    fn one_of_each() -> Vec<Action> {
        (0..=u8::MAX)
            .map_while(|tag| {
                let mut bytes = vec![tag];
                bytes.extend([0u8; 512]);
                <Action as BorshDeserialize>::deserialize(&mut bytes.as_slice()).ok()
            })
            .collect()
    }

    #[test]
    fn every_action_has_the_ledgers_name_in_declaration_order() {
        let actions = one_of_each();
        assert_eq!(
            actions.len(),
            ActionName::ALL.len(),
            "an action without a name, or one that does not decode"
        );
        for (action, name) in actions.iter().zip(ActionName::ALL) {
            assert_eq!(ActionName::of(action), *name);
            assert_eq!(name.as_str(), action.info().name);
            assert_eq!(serde_json::to_value(name).expect("serialises"), json!(action.info().name));
            assert_eq!(serde_json::from_value::<ActionName>(json!(name.as_str())).expect("parses"), *name);
            assert_eq!(name.to_string(), action.name());
        }
    }

    #[test]
    fn an_event_is_the_json_it_always_was() {
        let event = LedgerEvent {
            kind: EventKind::Refused,
            height: 7,
            index: 1,
            tx_id: TxId(ebl_ledger::Hash::ZERO),
            action: ActionName::AcceptSurrender,
            actor: PartyId([1; 32]),
            bl_id: None,
            equipment_reference: None,
            equipment_references: Vec::new(),
            outcome: TxOutcome::Refused(ebl_ledger::ErrorCode::NotAuthorized),
        };
        let json = serde_json::to_value(&event).expect("serialises");
        assert_eq!(json["kind"], "REFUSED");
        assert_eq!(json["action"], "SACC");
        assert_eq!(json["outcome"], "NOT_AUTHORIZED");
        assert_eq!(json["blId"], serde_json::Value::Null);
        assert_eq!(serde_json::from_value::<LedgerEvent>(json).expect("parses"), event);
    }
}
