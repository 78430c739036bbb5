//! Submitting transactions and following them: `POST /v1/transactions`, its binary batch, and
//! `GET /v1/transactions/{txId}`.

use std::fmt;

use ebl_ledger::{ErrorCode, Receipt, TxId};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::{IntoParams, ToSchema};

/// The query of `POST /v1/transactions`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubmitQuery {
    /// Answer only once the transaction is committed (or `timeoutMs` passed).
    #[serde(default)]
    pub wait: bool,
    pub timeout_ms: Option<u64>,
}

/// Where a transaction is: in this node's mempool, or in a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TxState {
    /// Admitted to this node's mempool, not yet committed.
    Pending,
    /// In a committed block, with a receipt.
    Committed,
}

impl TxState {
    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            TxState::Pending => "PENDING",
            TxState::Committed => "COMMITTED",
        }
    }
}

impl fmt::Display for TxState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a committed transaction did: `SUCCESS`, or the stable code of the ledger's refusal
/// (a business refusal commits too, with a failure receipt).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxOutcome {
    Success,
    Refused(ErrorCode),
}

impl TxOutcome {
    /// The outcome a receipt records.
    pub fn of(receipt: &Receipt) -> TxOutcome {
        receipt.error().map_or(TxOutcome::Success, TxOutcome::Refused)
    }

    pub fn is_success(self) -> bool {
        self == TxOutcome::Success
    }

    /// The refusal code, if refused.
    pub fn refusal(self) -> Option<ErrorCode> {
        match self {
            TxOutcome::Success => None,
            TxOutcome::Refused(code) => Some(code),
        }
    }

    /// The name on the wire: `SUCCESS` or the code.
    pub fn as_str(self) -> &'static str {
        match self {
            TxOutcome::Success => "SUCCESS",
            TxOutcome::Refused(code) => code.code(),
        }
    }
}

impl From<Option<ErrorCode>> for TxOutcome {
    fn from(refusal: Option<ErrorCode>) -> Self {
        refusal.map_or(TxOutcome::Success, TxOutcome::Refused)
    }
}

impl fmt::Display for TxOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TxOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TxOutcome {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text == "SUCCESS" {
            return Ok(TxOutcome::Success);
        }
        ErrorCode::ALL
            .into_iter()
            .find(|c| c.code() == text)
            .map(TxOutcome::Refused)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown outcome {text:?}")))
    }
}

impl utoipa::PartialSchema for TxOutcome {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        crate::schema::TxOutcomeName::schema()
    }
}

impl ToSchema for TxOutcome {}

/// A transaction's state as the API reports it: `PENDING`, or `COMMITTED` with its height and
/// outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TxStatus {
    #[schema(value_type = String)]
    pub tx_id: TxId,
    pub status: TxState,
    #[serde(default)]
    pub height: Option<u64>,
    /// `SUCCESS`, or the stable code of the refusal (e.g. `NOT_POSSESSOR`).
    #[serde(default)]
    pub outcome: Option<TxOutcome>,
}

impl TxStatus {
    /// In this node's mempool.
    pub fn pending(tx_id: TxId) -> TxStatus {
        TxStatus { tx_id, status: TxState::Pending, height: None, outcome: None }
    }

    /// Committed at `height` with `receipt`.
    pub fn committed(tx_id: TxId, height: u64, receipt: &Receipt) -> TxStatus {
        TxStatus {
            tx_id,
            status: TxState::Committed,
            height: Some(height),
            outcome: Some(TxOutcome::of(receipt)),
        }
    }

    pub fn is_committed(&self) -> bool {
        self.status == TxState::Committed
    }

    /// Committed with outcome `SUCCESS`.
    pub fn is_success(&self) -> bool {
        self.is_committed() && self.outcome == Some(TxOutcome::Success)
    }

    /// The refusal code of a committed, refused transaction.
    pub fn refusal(&self) -> Option<ErrorCode> {
        self.outcome.and_then(TxOutcome::refusal)
    }
}

/// One transaction of a batch: admitted (`status` = `PENDING`) or refused at the door (`code`,
/// `message`: a mempool admission code such as `NONCE_USED`, not a ledger refusal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchResult {
    #[schema(value_type = String)]
    pub tx_id: TxId,
    /// `PENDING` when admitted.
    #[serde(default)]
    pub status: Option<TxState>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl BatchResult {
    pub fn is_accepted(&self) -> bool {
        self.status.is_some() && self.code.is_none()
    }
}

/// The answer of `POST /v1/transactions/batch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BatchResponse {
    pub accepted: usize,
    /// In input order.
    pub results: Vec<BatchResult>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebl_ledger::Hash;
    use serde_json::json;

    #[test]
    fn outcomes_and_states_are_the_strings_they_always_were() {
        for (outcome, text) in [
            (TxOutcome::Success, "SUCCESS"),
            (TxOutcome::Refused(ErrorCode::NotPossessor), "NOT_POSSESSOR"),
            (TxOutcome::Refused(ErrorCode::AlreadySigned), "ALREADY_SIGNED"),
        ] {
            assert_eq!(serde_json::to_value(outcome).expect("serialises"), json!(text));
            assert_eq!(serde_json::from_value::<TxOutcome>(json!(text)).expect("parses"), outcome);
            assert_eq!(outcome.to_string(), text);
        }
        assert!(serde_json::from_value::<TxOutcome>(json!("MAYBE")).is_err());
        for code in ErrorCode::ALL {
            let back: TxOutcome = serde_json::from_value(json!(code.code())).expect("a code");
            assert_eq!(back.refusal(), Some(code));
        }
        let status = TxStatus::pending(TxId(Hash::ZERO));
        assert_eq!(
            serde_json::to_value(&status).expect("serialises"),
            json!({"txId": Hash::ZERO.to_string(), "status": "PENDING", "height": null, "outcome": null})
        );
        let status = TxStatus {
            status: TxState::Committed,
            height: Some(3),
            outcome: Some(TxOutcome::Refused(ErrorCode::LienActive)),
            ..status
        };
        let json = serde_json::to_value(&status).expect("serialises");
        assert_eq!(json["status"], "COMMITTED");
        assert_eq!(json["outcome"], "LIEN_ACTIVE");
        assert_eq!(serde_json::from_value::<TxStatus>(json).expect("parses"), status);
        assert_eq!(status.refusal(), Some(ErrorCode::LienActive));
        assert!(status.is_committed() && !status.is_success());
    }
}
