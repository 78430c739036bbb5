//! Building and signing transactions locally. The node never sees a private key.
//!
//! One signer: `TxBuilder::new(chain, me, action).nonce(n).sign(&[&my_key])`.
//! Several local keys (a lien signed by holder and bank on one machine): add the co-signers and
//! pass every key. Two machines: `sign_partial` with the keys at hand, write the [`PartialTx`]
//! as JSON, let each co-signer `cosign` it, then `complete` and submit.

use ebl_ledger::limits::TX_SIGNERS_MAX;
use ebl_ledger::tx::signing_message;
use ebl_ledger::{Action, Keypair, PartyId, Signature, Transaction, TxBody, TxId};
use serde::{Deserialize, Serialize};

use crate::error::BuildError;

/// A transaction being put together: the action, its signers (the first submits and spends its
/// nonce) and the nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxBuilder {
    chain_id: String,
    action: Action,
    signers: Vec<PartyId>,
    nonce: Option<u64>,
}

impl TxBuilder {
    pub fn new(chain_id: impl Into<String>, submitter: PartyId, action: Action) -> Self {
        TxBuilder { chain_id: chain_id.into(), action, signers: vec![submitter], nonce: None }
    }

    /// Adds a co-signer (a party whose consent the action needs; it spends no nonce).
    pub fn cosigner(mut self, party: PartyId) -> Self {
        if !self.signers.contains(&party) {
            self.signers.push(party);
        }
        self
    }

    pub fn cosigners(self, parties: impl IntoIterator<Item = PartyId>) -> Self {
        parties.into_iter().fold(self, TxBuilder::cosigner)
    }

    /// The submitter's nonce (its next one: `GET /v1/parties/{party}/nonce` `.next`).
    pub fn nonce(mut self, nonce: u64) -> Self {
        self.nonce = Some(nonce);
        self
    }

    pub fn has_nonce(&self) -> bool {
        self.nonce.is_some()
    }

    pub fn submitter(&self) -> PartyId {
        self.signers[0]
    }

    pub fn signers(&self) -> &[PartyId] {
        &self.signers
    }

    pub fn action(&self) -> &Action {
        &self.action
    }

    /// The body every signer signs.
    pub fn body(&self) -> Result<TxBody, BuildError> {
        let nonce = self.nonce.ok_or(BuildError::NoNonce)?;
        if self.signers.len() > TX_SIGNERS_MAX {
            return Err(BuildError::TooManySigners { n: self.signers.len() });
        }
        Ok(TxBody {
            chain_id: self.chain_id.clone(),
            nonce,
            signers: self.signers.clone(),
            action: self.action.clone(),
        })
    }

    /// Signs with whichever of `keys` belong to signers; the others stay missing.
    pub fn sign_partial(&self, keys: &[&Keypair]) -> Result<PartialTx, BuildError> {
        let mut partial = PartialTx::new(self.body()?);
        for key in keys {
            partial.cosign(key)?;
        }
        Ok(partial)
    }

    /// Signs with every signer's key (in any order); fails if one is missing.
    pub fn sign(&self, keys: &[&Keypair]) -> Result<Transaction, BuildError> {
        self.sign_partial(keys)?.complete()
    }
}

/// A transaction with some signatures still missing: the file passed between co-signers.
///
/// JSON: `{"body": TxBody, "signatures": [hex or null, …]}`, one entry per signer in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialTx {
    pub body: TxBody,
    pub signatures: Vec<Option<Signature>>,
}

impl PartialTx {
    pub fn new(body: TxBody) -> Self {
        let n = body.signers.len();
        PartialTx { body, signatures: vec![None; n] }
    }

    /// A complete transaction, seen as a partial one (to add nothing, or to re-check it).
    pub fn from_transaction(tx: Transaction) -> Self {
        PartialTx { signatures: tx.signatures.into_iter().map(Some).collect(), body: tx.body }
    }

    pub fn id(&self) -> TxId {
        self.body.id()
    }

    /// Adds `key`'s signature; the key must be one of the signers'.
    pub fn cosign(&mut self, key: &Keypair) -> Result<(), BuildError> {
        let party = key.party();
        let index =
            self.body.signers.iter().position(|p| *p == party).ok_or(BuildError::NotASigner(party))?;
        if self.signatures.len() != self.body.signers.len() {
            return Err(BuildError::Malformed(format!(
                "{} signers but {} signature slots",
                self.body.signers.len(),
                self.signatures.len()
            )));
        }
        self.signatures[index] = Some(key.sign(&signing_message(&self.id())));
        Ok(())
    }

    /// The signers whose signature is still missing.
    pub fn missing(&self) -> Vec<PartyId> {
        self.body
            .signers
            .iter()
            .enumerate()
            .filter(|(i, _)| self.signatures.get(*i).is_none_or(|s| s.is_none()))
            .map(|(_, p)| *p)
            .collect()
    }

    /// Checks every signature present; a bad one is named.
    pub fn check(&self) -> Result<(), BuildError> {
        let mut seen = Vec::with_capacity(self.body.signers.len());
        for party in &self.body.signers {
            if seen.contains(party) {
                return Err(BuildError::DuplicateSigner(*party));
            }
            seen.push(*party);
        }
        let message = signing_message(&self.id());
        for (party, signature) in self.body.signers.iter().zip(&self.signatures) {
            if let Some(signature) = signature {
                if !party.verify(&message, signature) {
                    return Err(BuildError::BadSignature(*party));
                }
            }
        }
        Ok(())
    }

    /// The signed transaction, once every signer has signed.
    pub fn complete(self) -> Result<Transaction, BuildError> {
        self.check()?;
        let missing = self.missing();
        if !missing.is_empty() {
            return Err(BuildError::MissingSignatures(missing));
        }
        let signatures = self.signatures.into_iter().flatten().collect();
        Ok(Transaction { body: self.body, signatures })
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Reads a partial transaction, or a complete `Transaction` JSON.
    pub fn from_json(text: &str) -> Result<Self, BuildError> {
        match serde_json::from_str::<PartialTx>(text) {
            Ok(p) if p.signatures.len() == p.body.signers.len() => Ok(p),
            Ok(p) => Err(BuildError::Malformed(format!(
                "{} signers but {} signature slots",
                p.body.signers.len(),
                p.signatures.len()
            ))),
            Err(e) => Err(BuildError::Malformed(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ebl_ledger::action::CreateLien;
    use ebl_ledger::{BlId, Hash};

    fn lien(bank: PartyId) -> Action {
        Action::CreateLien(CreateLien {
            bl: BlId(Hash::digest(b"bl")),
            bank,
            amount_minor: 100,
            currency: "USD".into(),
            expires_at_ms: 10,
            finance_reference: "LC-1".into(),
        })
    }

    #[test]
    fn one_signer_builds_a_verifying_transaction() {
        let me = Keypair::from_seed([1; 32]);
        let tx = TxBuilder::new("c", me.party(), Action::BlankEndorse { bl: BlId(Hash::ZERO) })
            .nonce(4)
            .sign(&[&me])
            .expect("signed");
        assert_eq!(tx.body.nonce, 4);
        assert_eq!(tx.body.chain_id, "c");
        assert!(tx.verify().is_ok());
        let no_nonce = TxBuilder::new("c", me.party(), Action::BlankEndorse { bl: BlId(Hash::ZERO) });
        assert_eq!(no_nonce.sign(&[&me]), Err(BuildError::NoNonce));
    }

    #[test]
    fn several_local_keys_sign_in_any_order() {
        let holder = Keypair::from_seed([1; 32]);
        let bank = Keypair::from_seed([2; 32]);
        let builder = TxBuilder::new("c", holder.party(), lien(bank.party())).cosigner(bank.party()).nonce(0);
        let tx = builder.sign(&[&bank, &holder]).expect("signed");
        assert_eq!(tx.body.signers, vec![holder.party(), bank.party()]);
        assert!(tx.verify().is_ok());
        assert_eq!(builder.sign(&[&holder]), Err(BuildError::MissingSignatures(vec![bank.party()])));
        let stranger = Keypair::from_seed([9; 32]);
        assert_eq!(builder.sign(&[&stranger]), Err(BuildError::NotASigner(stranger.party())));
    }

    #[test]
    fn two_step_flow_through_a_json_file() {
        let holder = Keypair::from_seed([1; 32]);
        let bank = Keypair::from_seed([2; 32]);
        let builder = TxBuilder::new("c", holder.party(), lien(bank.party())).cosigner(bank.party()).nonce(3);
        let partial = builder.sign_partial(&[&holder]).expect("partial");
        assert_eq!(partial.missing(), vec![bank.party()]);
        let file = partial.to_json();
        let mut at_bank = PartialTx::from_json(&file).expect("read back");
        assert_eq!(at_bank, partial);
        at_bank.cosign(&bank).expect("cosign");
        let tx = at_bank.complete().expect("complete");
        assert!(tx.clone().verify().is_ok());
        // A complete transaction file reads as a partial one with nothing missing.
        let again = PartialTx::from_json(&serde_json::to_string(&tx).expect("json")).expect("read");
        assert!(again.missing().is_empty());
        // A tampered body invalidates the signatures already made.
        let mut tampered = PartialTx::from_json(&file).expect("read back");
        tampered.body.nonce = 4;
        assert_eq!(tampered.check(), Err(BuildError::BadSignature(holder.party())));
        assert!(matches!(PartialTx::from_json("{}"), Err(BuildError::Malformed(_))));
    }
}
