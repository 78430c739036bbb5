//! Named bounds, unit last (STYLE §8). Everything a transaction carries is bounded here,
//! so that a decoded transaction is small whatever its sender wrote.

/// Largest canonical transaction accepted, in bytes.
pub const TX_BYTES_MAX: usize = 64 * 1024;
/// Most signers (and signatures) one transaction may carry.
pub const TX_SIGNERS_MAX: usize = 4;
/// Longest chain id, in bytes.
pub const CHAIN_ID_BYTES_MAX: usize = 64;
/// DCSA `transportDocumentReference` maxLength.
pub const BL_REFERENCE_CHARS_MAX: usize = 20;
/// DCSA `equipmentReference` maxLength.
pub const EQUIPMENT_REFERENCE_CHARS_MAX: usize = 11;
/// DCSA `partyName` maxLength.
pub const PARTY_NAME_CHARS_MAX: usize = 70;
/// External identifiers (DCSA party code, LEI, USCI) and short codes.
pub const CODE_CHARS_MAX: usize = 35;
/// Free-text reasons, declaration numbers, EIR remarks.
pub const TEXT_CHARS_MAX: usize = 500;
/// Parties named as agents of a straight BL's shipper or consignee.
pub const BL_AGENTS_MAX: usize = 8;
/// BLs one REISSUE may void (merge) or create (split).
pub const REISSUE_BLS_MAX: usize = 32;
/// Containers in one release order.
pub const RELEASE_CONTAINERS_MAX: usize = 64;
/// Seals recorded on one EIR.
pub const SEALS_MAX: usize = 8;
/// Active holds on one container or one BL.
pub const HOLDS_MAX: usize = 16;
/// Length of a release right's delegation chain.
pub const DELEGATIONS_MAX: usize = 8;
/// Transactions in one block: a chain rule, the same on every node.
pub const BLOCK_TXS_MAX: usize = 20_000;
/// Canonical bytes of the transactions of one block: a chain rule, the same on every node.
pub const BLOCK_TX_BYTES_MAX: usize = 16 * 1024 * 1024;
