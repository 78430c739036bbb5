//! RFC 6962 (Certificate Transparency) Merkle trees over a list of leaves, with inclusion
//! proofs. Leaf hash = SHA-256(0x00 ‖ data), interior = SHA-256(0x01 ‖ left ‖ right), the
//! empty tree hashes to SHA-256(""); the domain bytes keep a leaf from posing as a node.
//! Used for `tx_root` and `receipts_root`.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::error::ProofError;
use crate::hash::Hash;

pub fn leaf_hash(data: &[u8]) -> Hash {
    Hash::digest_parts(&[&[0x00], data])
}

fn node_hash(left: &Hash, right: &Hash) -> Hash {
    Hash::digest_parts(&[&[0x01], left.as_bytes(), right.as_bytes()])
}

/// The largest power of two strictly less than `n` (n ≥ 2).
fn split_point(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// The Merkle tree hash of leaves whose *leaf hashes* are given.
fn subtree_root(leaf_hashes: &[Hash]) -> Hash {
    match leaf_hashes.len() {
        0 => Hash::digest(b""),
        1 => leaf_hashes[0],
        n => {
            let k = split_point(n);
            node_hash(&subtree_root(&leaf_hashes[..k]), &subtree_root(&leaf_hashes[k..]))
        }
    }
}

/// MTH(D[n]) for leaves given as byte strings.
pub fn root<T: AsRef<[u8]>>(leaves: &[T]) -> Hash {
    let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l.as_ref())).collect();
    subtree_root(&hashes)
}

/// An inclusion proof (audit path) for one leaf.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    pub leaf_index: u64,
    pub tree_size: u64,
    /// Sibling hashes from the leaf up to the root.
    pub path: Vec<Hash>,
}

/// The audit path PATH(m, D[n]) of RFC 6962 §2.1.1.
pub fn prove<T: AsRef<[u8]>>(leaves: &[T], index: usize) -> Result<InclusionProof, ProofError> {
    if index >= leaves.len() {
        return Err(ProofError::OutOfRange { index: index as u64, size: leaves.len() as u64 });
    }
    let hashes: Vec<Hash> = leaves.iter().map(|l| leaf_hash(l.as_ref())).collect();
    let mut path = Vec::new();
    audit_path(&hashes, index, &mut path);
    Ok(InclusionProof { leaf_index: index as u64, tree_size: leaves.len() as u64, path })
}

fn audit_path(hashes: &[Hash], m: usize, path: &mut Vec<Hash>) {
    let n = hashes.len();
    if n <= 1 {
        return;
    }
    let k = split_point(n);
    if m < k {
        audit_path(&hashes[..k], m, path);
        path.push(subtree_root(&hashes[k..]));
    } else {
        audit_path(&hashes[k..], m - k, path);
        path.push(subtree_root(&hashes[..k]));
    }
}

impl InclusionProof {
    /// Checks that `leaf` is at `leaf_index` of a tree of `tree_size` leaves with root `root`
    /// (the verification algorithm of RFC 9162 §2.1.3.2).
    pub fn verify(&self, leaf: &[u8], root: &Hash) -> Result<(), ProofError> {
        if self.leaf_index >= self.tree_size {
            return Err(ProofError::OutOfRange { index: self.leaf_index, size: self.tree_size });
        }
        let mut f_n = self.leaf_index;
        let mut s_n = self.tree_size - 1;
        let mut r = leaf_hash(leaf);
        for p in &self.path {
            if s_n == 0 {
                return Err(ProofError::Mismatch("audit path longer than the tree".into()));
            }
            if f_n & 1 == 1 || f_n == s_n {
                r = node_hash(p, &r);
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            } else {
                r = node_hash(&r, p);
            }
            f_n >>= 1;
            s_n >>= 1;
        }
        if s_n != 0 || r != *root {
            return Err(ProofError::Mismatch("leaf does not hash to the root".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Leaves and root of the RFC 6962 reference test tree (certificate-transparency-go
    /// `merkle/testonly`): the first leaf is empty, root of all 8 leaves below.
    fn reference_leaves() -> Vec<Vec<u8>> {
        ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
            .iter()
            .map(|h| hex::decode(h).expect("hex"))
            .collect()
    }

    #[test]
    fn matches_the_rfc6962_reference_roots() {
        let leaves = reference_leaves();
        assert_eq!(
            root::<Vec<u8>>(&[]).to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            root(&leaves[..1]).to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(
            root(&leaves[..2]).to_hex(),
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"
        );
        assert_eq!(
            root(&leaves[..3]).to_hex(),
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"
        );
        assert_eq!(
            root(&leaves[..7]).to_hex(),
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"
        );
        assert_eq!(
            root(&leaves).to_hex(),
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn every_leaf_proves_and_no_other_leaf_does(n in 1usize..70, pick in any::<prop::sample::Index>()) {
            let leaves: Vec<Vec<u8>> = (0..n).map(|i| (i as u32).to_le_bytes().to_vec()).collect();
            let r = root(&leaves);
            let i = pick.index(n);
            let proof = prove(&leaves, i).expect("in range");
            prop_assert!(proof.verify(&leaves[i], &r).is_ok());
            prop_assert!(proof.verify(b"not a leaf", &r).is_err());
            let mut wrong_index = proof.clone();
            wrong_index.leaf_index = (proof.leaf_index + 1) % n as u64;
            if n > 1 {
                prop_assert!(wrong_index.verify(&leaves[i], &r).is_err());
            }
        }
    }
}
