//! The transaction envelope: `{chain_id, nonce, signers, action}` signed by every signer.
//!
//! * The **tx id** is SHA-256 of the canonical bytes of the body (everything but signatures).
//! * Each signer signs `domain::TX_SIGNING ‖ tx_id`, so a signature can never be mistaken for
//!   one over another kind of message, and the chain id inside the body makes a transaction
//!   signed for one network invalid on every other.
//! * The **nonce** belongs to the first signer (the submitter) and must equal its next nonce;
//!   co-signers consent to the exact body, so they need no nonce of their own.

use std::fmt;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::action::Action;
use crate::ed25519::{Batch, VerificationKey};
use crate::encoding;
use crate::error::{DecodeError, TxError};
use crate::hash::{domain, Hash};
use crate::keys::{Keypair, PartyId, Signature};
use crate::limits::{CHAIN_ID_BYTES_MAX, TX_BYTES_MAX, TX_SIGNERS_MAX};

/// Transaction id: SHA-256 of the canonical body.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(transparent)]
pub struct TxId(pub Hash);

impl fmt::Debug for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TxId({})", &self.0.to_hex()[..12])
    }
}

impl fmt::Display for TxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Everything a signer signs.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TxBody {
    pub chain_id: String,
    /// The first signer's next nonce.
    pub nonce: u64,
    /// The submitter first, then co-signers. Distinct; 1 to [`TX_SIGNERS_MAX`].
    pub signers: Vec<PartyId>,
    pub action: Action,
}

impl TxBody {
    pub fn id(&self) -> TxId {
        TxId(Hash::digest(&encoding::encode(self)))
    }

    /// The submitter, whose nonce the transaction spends.
    pub fn submitter(&self) -> Option<&PartyId> {
        self.signers.first()
    }

    /// Signs with `keys`, which must be the signers' keys in the signers' order.
    pub fn sign(self, keys: &[&Keypair]) -> Transaction {
        let message = signing_message(&self.id());
        let signatures = keys.iter().map(|k| k.sign(&message)).collect();
        Transaction { body: self, signatures }
    }
}

/// A signed transaction as submitted and as stored in blocks.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transaction {
    pub body: TxBody,
    /// One per signer, in the signers' order.
    pub signatures: Vec<Signature>,
}

/// The message every signer signs.
pub fn signing_message(id: &TxId) -> [u8; SIGNING_MESSAGE_BYTES] {
    let mut message = [0u8; SIGNING_MESSAGE_BYTES];
    let tag = domain::TX_SIGNING;
    message[..tag.len()].copy_from_slice(tag);
    message[tag.len()..tag.len() + 32].copy_from_slice(id.0.as_bytes());
    message
}

/// The signing message is the domain tag followed by the 32-byte id.
pub const SIGNING_MESSAGE_BYTES: usize = domain::TX_SIGNING.len() + 32;

impl Transaction {
    /// Decodes a transaction from its canonical bytes, bounded by [`TX_BYTES_MAX`].
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        encoding::decode(bytes, TX_BYTES_MAX)
    }

    pub fn encode(&self) -> Vec<u8> {
        encoding::encode(self)
    }

    pub fn id(&self) -> TxId {
        self.body.id()
    }

    /// Checks the envelope's shape and every signature under the ledger's one signature rule
    /// (ZIP-215, [`crate::ed25519`]).
    pub fn verify(self) -> Result<VerifiedTx, TxError> {
        self.identify().verify()
    }

    /// The transaction with its id, computed once here for whatever checks follow.
    pub fn identify(self) -> IdentifiedTx {
        let id = self.id();
        IdentifiedTx { tx: self, id }
    }

    /// Shape checks shared by single and batch verification: signer count, distinct signers,
    /// one signature per signer, chain id length, keys on the curve and not weak.
    fn check_shape(&self) -> Result<Vec<VerificationKey>, TxError> {
        let signers = &self.body.signers;
        if signers.is_empty() {
            return Err(TxError::NoSigner);
        }
        if signers.len() > TX_SIGNERS_MAX {
            return Err(TxError::TooManySigners(signers.len()));
        }
        if signers.len() != self.signatures.len() {
            return Err(TxError::SignatureCount {
                signers: signers.len(),
                signatures: self.signatures.len(),
            });
        }
        if self.body.chain_id.len() > CHAIN_ID_BYTES_MAX {
            return Err(TxError::Decode(DecodeError::Malformed("chain id too long".into())));
        }
        for (i, party) in signers.iter().enumerate() {
            if signers[..i].contains(party) {
                return Err(TxError::DuplicateSigner(*party));
            }
        }
        signers.iter().map(|p| p.strong_key().ok_or(TxError::BadKey(*p))).collect()
    }
}

/// A transaction and its id ([`Transaction::identify`]): admission looks the id up before the
/// signatures are checked, and the signatures are over it, so it is hashed once for both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentifiedTx {
    tx: Transaction,
    id: TxId,
}

impl IdentifiedTx {
    pub fn id(&self) -> TxId {
        self.id
    }

    pub fn transaction(&self) -> &Transaction {
        &self.tx
    }

    /// [`Transaction::verify`], with the id already known.
    pub fn verify(self) -> Result<VerifiedTx, TxError> {
        let IdentifiedTx { tx, id } = self;
        let keys = tx.check_shape()?;
        let message = signing_message(&id);
        for ((key, signature), party) in keys.iter().zip(&tx.signatures).zip(&tx.body.signers) {
            if !key.verify(&message, &signature.0) {
                return Err(TxError::BadSignature(*party));
            }
        }
        Ok(VerifiedTx { tx, id })
    }
}

/// Verifies many transactions at once with one ed25519 batch ([`crate::ed25519::Batch`]). When
/// the batch as a whole fails, each transaction is checked alone to find the culprits.
///
/// The verdict per transaction is the one [`Transaction::verify`] gives, for any transaction,
/// honestly made or crafted: the batch and the single check are the same ZIP-215 predicate
/// (`docs/adr/0015-zip215-signatures.md`), so how transactions are grouped into batches — by
/// core, by block, with or without those already checked at admission — changes no verdict.
pub fn verify_batch(txs: Vec<Transaction>) -> Vec<Result<VerifiedTx, TxError>> {
    verify_identified(txs.into_iter().map(Transaction::identify).collect())
}

/// [`verify_batch`] of transactions whose ids are already known.
pub fn verify_identified(txs: Vec<IdentifiedTx>) -> Vec<Result<VerifiedTx, TxError>> {
    // Most transactions have one signer: sized for that, the batch never grows on the way.
    let mut shaped = Vec::with_capacity(txs.len());
    let mut batch = Batch::with_capacity(txs.len());
    for IdentifiedTx { tx, id } in txs {
        match tx.check_shape() {
            Ok(tx_keys) => {
                let message = signing_message(&id);
                for (key, signature) in tx_keys.iter().zip(&tx.signatures) {
                    batch.queue(key, &message, &signature.0);
                }
                shaped.push(Ok((tx, id)));
            }
            Err(e) => shaped.push(Err(e)),
        }
    }
    let all_good = !batch.is_empty() && batch.verify();
    shaped
        .into_iter()
        .map(|entry| match entry {
            Ok((tx, id)) if all_good => Ok(VerifiedTx { tx, id }),
            Ok((tx, id)) => IdentifiedTx { tx, id }.verify(),
            Err(e) => Err(e),
        })
        .collect()
}

/// A transaction whose signatures have been checked. Only this type can be executed, so the
/// state machine never runs an unsigned action; the node checks each signature once, at
/// admission or in a block batch, and keeps the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedTx {
    tx: Transaction,
    id: TxId,
}

impl VerifiedTx {
    pub fn id(&self) -> TxId {
        self.id
    }
    pub fn body(&self) -> &TxBody {
        &self.tx.body
    }
    pub fn transaction(&self) -> &Transaction {
        &self.tx
    }
    pub fn into_transaction(self) -> Transaction {
        self.tx
    }
    /// `tx` as verified if it is the very transaction `known` is (same body, same signatures),
    /// whose signatures were checked already: a validator takes a block's transactions this way
    /// from its mempool without copying either. Gives `tx` back otherwise.
    // The `Err` is no error but the caller's own transaction handed back, as large as the `Ok`.
    #[allow(clippy::result_large_err)]
    pub fn same_as(known: &VerifiedTx, tx: Transaction) -> Result<VerifiedTx, Transaction> {
        if known.tx == tx {
            Ok(VerifiedTx { tx, id: known.id })
        } else {
            Err(tx)
        }
    }
    /// The submitter: the first signer. A verified transaction always has one.
    pub fn submitter(&self) -> PartyId {
        self.tx.body.signers[0]
    }
    pub fn is_signed_by(&self, party: &PartyId) -> bool {
        self.tx.body.signers.contains(party)
    }

    /// Wraps a transaction without checking its signatures. Only for state-machine tests and
    /// benchmarks that measure execution alone.
    #[cfg(any(test, feature = "test-utils"))]
    pub fn assume_verified(tx: Transaction) -> Self {
        let id = tx.id();
        VerifiedTx { tx, id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::BlId;

    fn body(signers: Vec<PartyId>, nonce: u64) -> TxBody {
        TxBody {
            chain_id: "ebl-test".into(),
            nonce,
            signers,
            action: Action::BlankEndorse { bl: BlId(Hash::digest(b"bl")) },
        }
    }

    #[test]
    fn signed_transaction_verifies_alone_and_in_a_batch() {
        let a = Keypair::for_test("a");
        let b = Keypair::for_test("b");
        let tx = body(vec![a.party(), b.party()], 7).sign(&[&a, &b]);
        assert_eq!(tx.clone().verify().map(|v| v.submitter()), Ok(a.party()));
        let results = verify_batch(vec![tx.clone(), tx.clone()]);
        assert!(results.iter().all(|r| r.is_ok()));
        // Identified first (the id hashed once, as the mempool does): the same verdicts and ids.
        let identified = tx.clone().identify();
        assert_eq!((identified.id(), identified.transaction()), (tx.id(), &tx));
        assert_eq!(identified.clone().verify(), tx.clone().verify());
        let mut forged = tx.clone();
        forged.signatures[1].0[0] ^= 1;
        let verdicts = verify_identified(vec![identified, forged.clone().identify()]);
        assert_eq!(verdicts, vec![tx.verify(), Err(TxError::BadSignature(b.party()))]);
        assert_eq!(verdicts[1], forged.verify());
    }

    #[test]
    fn every_single_bit_flip_of_a_signed_transaction_is_refused() {
        let a = Keypair::for_test("a");
        let bytes = body(vec![a.party()], 0).sign(&[&a]).encode();
        for i in 0..bytes.len() * 8 {
            let mut flipped = bytes.clone();
            flipped[i / 8] ^= 1 << (i % 8);
            let verdict = Transaction::decode(&flipped).map_err(TxError::from).and_then(Transaction::verify);
            assert!(verdict.is_err(), "bit {i} flipped and still valid");
        }
    }

    #[test]
    fn batch_isolates_the_bad_signature() {
        let a = Keypair::for_test("a");
        let good = body(vec![a.party()], 0).sign(&[&a]);
        let mut bad = body(vec![a.party()], 1).sign(&[&a]);
        bad.signatures[0].0[5] ^= 0x40;
        let results = verify_batch(vec![good.clone(), bad, good]);
        assert!(results[0].is_ok() && results[2].is_ok());
        assert_eq!(results[1], Err(TxError::BadSignature(a.party())));
    }

    #[test]
    fn envelope_shape_is_checked() {
        let a = Keypair::for_test("a");
        let b = Keypair::for_test("b");
        assert_eq!(body(vec![], 0).sign(&[]).verify(), Err(TxError::NoSigner));
        let dup = body(vec![a.party(), a.party()], 0).sign(&[&a, &a]);
        assert_eq!(dup.verify(), Err(TxError::DuplicateSigner(a.party())));
        let missing = body(vec![a.party(), b.party()], 0).sign(&[&a]);
        assert_eq!(missing.verify(), Err(TxError::SignatureCount { signers: 2, signatures: 1 }));
        let wrong_key = body(vec![a.party()], 0).sign(&[&b]);
        assert_eq!(wrong_key.verify(), Err(TxError::BadSignature(a.party())));
        let many: Vec<Keypair> = (0..5).map(|i| Keypair::for_test(&i.to_string())).collect();
        let refs: Vec<&Keypair> = many.iter().collect();
        let tx = body(many.iter().map(|k| k.party()).collect(), 0).sign(&refs);
        assert_eq!(tx.verify(), Err(TxError::TooManySigners(5)));
    }

    #[test]
    fn oversized_input_is_refused_before_decoding() {
        let huge = vec![0u8; TX_BYTES_MAX + 1];
        assert!(matches!(Transaction::decode(&huge), Err(DecodeError::TooLarge { .. })));
    }
}
