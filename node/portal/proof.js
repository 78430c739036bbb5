// Checks a proof bundle in the browser, as ebl_ledger::ProofBundle::verify does: the commit
// certificate makes the block header final (precommits of more than two thirds of the voting
// power of the trust anchor — the genesis the user loaded, never the node's word — each an
// ed25519 signature checked here with WebCrypto), the header's state root commits to the value
// (a Jellyfish Merkle proof, SHA-256), the value is the BL record the page shows, and the block
// is fresh (a node could replay a true but old proof). Tested against the Rust ledger by the
// browser tests.

import { failure, formatTime, t } from './i18n.js';
import { concat, fromHex, partyBytes, sha256, toHex } from './ledger.js';
import { Writer } from './tx.js';

const encoder = new TextEncoder();
const LEAF = encoder.encode('JMT::LeafNode');
const INTERNAL = encoder.encode('JMT::IntrnalNode');
const PLACEHOLDER = encoder.encode('SPARSE_MERKLE_PLACEHOLDER_HASH__');
const BL_STATUSES = [
  'ISSUED',
  'PENDING_SURRENDER_FOR_DELIVERY',
  'PENDING_SURRENDER_FOR_AMENDMENT',
  'SURRENDERED_FOR_DELIVERY',
  'VOIDED',
  'SWITCHED_TO_PAPER',
];

/** Reads borsh values from bytes; throws on anything short or malformed. */
class Reader {
  constructor(bytes) {
    this.bytes = bytes;
    this.at = 0;
  }
  take(n) {
    if (this.at + n > this.bytes.length) throw failure('err.truncated');
    const out = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  u8() {
    return this.take(1)[0];
  }
  u32() {
    return new DataView(this.take(4).slice().buffer).getUint32(0, true);
  }
  u64() {
    const n = new DataView(this.take(8).slice().buffer).getBigUint64(0, true);
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw failure('err.outOfRange');
    return Number(n);
  }
  h32() {
    return this.take(32);
  }
  string() {
    return new TextDecoder('utf-8', { fatal: true }).decode(this.take(this.u32()));
  }
  option(read) {
    const tag = this.u8();
    if (tag > 1) throw failure('err.optionTag');
    return tag === 1 ? read() : null;
  }
  vec(read, max) {
    const n = this.u32();
    if (n > max) throw failure('err.listTooLong');
    return Array.from({ length: n }, () => read());
  }
}

/** Why a proof is refused: `code` is UNTRUSTED (not final for the anchor), STALE, LIED (the
 * node's answer differs from the proven record) or MALFORMED. */
export class ProofError extends Error {
  /** `reason`: the error found (its text, and its `i18n` if the portal's), or `[key, values]`. */
  constructor(code, reason) {
    const said = Array.isArray(reason) ? reason : reason.i18n;
    super(said ? t(...said) : reason.message);
    this.code = code;
    this.i18n = said;
  }
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Decodes the bundle's parts; the raw header bytes are kept to hash. */
export function decodeBundle(hex) {
  const r = new Reader(fromHex(hex));
  const keyStart = r.at;
  const variant = r.u8();
  if (variant !== 2) throw failure('err.notBlBundle');
  r.h32();
  const key = r.bytes.slice(keyStart, r.at);
  const value = r.option(() => r.take(r.u32()).slice());
  const leaf = r.option(() => ({ keyHash: r.h32().slice(), valueHash: r.h32().slice() }));
  const siblings = r.vec(() => {
    const kind = r.u8();
    if (kind === 0) return { kind: 'null' };
    if (kind === 1) return { kind: 'internal', left: r.h32().slice(), right: r.h32().slice() };
    if (kind === 2) return { kind: 'leaf', keyHash: r.h32().slice(), valueHash: r.h32().slice() };
    throw failure('err.sibling');
  }, 256);
  const headerStart = r.at;
  const header = {
    chainId: r.string(),
    height: r.u64(),
    parentHash: r.h32(),
    timeMs: r.u64(),
    proposer: r.h32(),
    txRoot: r.h32(),
    stateRoot: r.h32().slice(),
    receiptsRoot: r.h32(),
  };
  const headerBytes = r.bytes.slice(headerStart, r.at);
  const certificate = {
    height: r.u64(),
    round: r.u32(),
    blockHash: r.h32().slice(),
    signatures: r.vec(() => ({ party: `ebl:${toHex(r.h32())}`, signature: r.take(64).slice() }), 128),
  };
  if (r.at !== r.bytes.length) throw failure('err.trailing');
  return { key, value, leaf, siblings, header, headerBytes, certificate };
}

async function nodeHash(node) {
  if (node.kind === 'null') return PLACEHOLDER;
  if (node.kind === 'internal') return sha256(concat([INTERNAL, node.left, node.right]));
  return sha256(concat([LEAF, node.keyHash, node.valueHash]));
}

/** The JMT check: under `root`, `key` holds `value`. */
async function checkStateProof(bundle) {
  const { key, value, leaf, siblings, header } = bundle;
  if (!value || !leaf) throw failure('err.noValue');
  const keyHash = await sha256(key);
  if (!equal(keyHash, leaf.keyHash)) throw failure('err.otherKey');
  if (!equal(await sha256(value), leaf.valueHash)) throw failure('err.otherValue');
  let hash = await nodeHash({ kind: 'leaf', ...leaf });
  const n = siblings.length;
  for (let i = 0; i < n; i++) {
    // Siblings run from the leaf up; the path bit at depth n-1-i says which side we are on.
    const bit = n - 1 - i;
    const right = (keyHash[bit >> 3] >> (7 - (bit & 7))) & 1;
    const sibling = await nodeHash(siblings[i]);
    hash = await sha256(right ? concat([INTERNAL, sibling, hash]) : concat([INTERNAL, hash, sibling]));
  }
  if (!equal(hash, header.stateRoot)) throw failure('err.notUnderRoot');
}

/** The bytes a validator signs to precommit `blockHash` (ebl_ledger::certificate). */
function precommitBytes(chainId, height, round, blockHash, party) {
  const w = new Writer();
  w.bytes(encoder.encode('ebl/commit-vote/v1'));
  w.string(chainId);
  w.u64(height);
  w.u32(round);
  w.u8(1);
  w.bytes(blockHash);
  w.bytes(partyBytes(party));
  return w.finish();
}

/**
 * The certificate check: the header hashes to the certified block and more than two thirds of
 * `validators` ([{party, votingPower}]) precommitted it. Returns the signing validators.
 */
async function checkCertificate(bundle, chainId, validators) {
  const { header, headerBytes, certificate } = bundle;
  if (header.chainId !== chainId) throw failure('err.headerChain', { chain: header.chainId });
  if (certificate.height !== header.height) throw failure('err.certHeight');
  const blockHash = await sha256(concat([encoder.encode('ebl/block-header/v1'), headerBytes]));
  if (!equal(blockHash, certificate.blockHash)) throw failure('err.certBlock');
  const total = validators.reduce((sum, v) => sum + v.votingPower, 0);
  // The anchor's powers are exact whole numbers whose sum is exact (trust.js): no rounding here.
  if (!Number.isSafeInteger(total) || total <= 0) throw failure('err.powersSum');
  let signed = 0;
  const seen = new Set();
  for (const { party, signature } of certificate.signatures) {
    const validator = validators.find((v) => v.party === party);
    if (!validator) throw failure('err.notValidator', { party });
    if (seen.has(party)) throw failure('err.signedTwice', { party });
    seen.add(party);
    const key = await crypto.subtle.importKey('raw', partyBytes(party), { name: 'Ed25519' }, false, ['verify']);
    const message = precommitBytes(chainId, certificate.height, certificate.round, certificate.blockHash, party);
    if (!(await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message))) {
      throw failure('err.badSignature', { party });
    }
    signed += validator.votingPower;
  }
  if (3 * signed <= 2 * total) throw failure('err.noQuorum', { signed, total });
  return [...seen];
}

/** A borsh BlRecord (ebl_ledger::records::BlRecord, field by field). */
export function decodeRecord(value) {
  const r = new Reader(value);
  const party = () => `ebl:${toHex(r.h32())}`;
  const u64text = () => new DataView(r.take(8).slice().buffer).getBigUint64(0, true).toString();
  const record = {
    id: toHex(r.h32()),
    reference: r.string(),
    documentType: r.u8(),
    isToOrder: r.u8() === 1,
    carrier: party(),
    checksum: toHex(r.h32()),
    status: BL_STATUSES[r.u8()],
    possessor: party(),
    endorsee: r.option(party),
    endorseeMayEndorse: r.u8() === 1,
    shipper: party(),
    consignee: r.option(party),
    agents: r.vec(party, 1024),
    transferFrom: r.option(party),
    surrender: r.option(() => ({ requestedBy: party(), amendmentReason: r.option(() => r.u8()) })),
    surrenderedBy: r.option(party),
    lien: r.option(() => ({
      bank: party(),
      amountMinor: u64text(),
      currency: r.string(),
      expiresAtMs: r.u64(),
      financeReference: r.string(),
      createdHeight: r.u64(),
    })),
    replaces: r.vec(() => toHex(r.h32()), 1024),
    replacedBy: r.vec(() => toHex(r.h32()), 1024),
    paperBlNumber: r.option(() => r.string()),
    issuedHeight: r.u64(),
    updatedHeight: r.u64(),
    historyLen: r.u32(),
    historyHead: toHex(r.h32()),
    possessorSigned: r.u8() === 1,
  };
  if (!record.status) throw failure('err.recordStatus');
  if (r.at !== r.bytes.length) throw failure('err.recordTrailing');
  return record;
}

/**
 * Checks a BL's proof bundle (hex) against the trust `anchor` ({chainId, validators}), that the
 * proven record is BL `blIdHex` with `checksum`, and that its block is at most `maxAgeMs` older
 * than `nowMs`. Returns `{height, timeMs, ageMs, signers, record}`; throws a ProofError with the
 * reason when anything fails.
 */
export async function verifyBlProof(hex, anchor, blIdHex, checksum, nowMs, maxAgeMs) {
  if (!anchor) throw new ProofError('UNTRUSTED', ['err.noAnchor', {}]);
  let bundle;
  try {
    bundle = decodeBundle(hex);
  } catch (error) {
    throw new ProofError('MALFORMED', error);
  }
  if (toHex(bundle.key.subarray(1)) !== blIdHex) throw new ProofError('MALFORMED', ['err.otherBl', {}]);
  let signers;
  try {
    signers = await checkCertificate(bundle, anchor.chainId, anchor.validators);
    await checkStateProof(bundle);
  } catch (error) {
    throw new ProofError('UNTRUSTED', error);
  }
  let record;
  try {
    record = decodeRecord(bundle.value);
  } catch (error) {
    throw new ProofError('MALFORMED', error);
  }
  if (record.id !== blIdHex) throw new ProofError('MALFORMED', ['err.otherBl', {}]);
  if (record.checksum !== checksum) throw new ProofError('LIED', ['err.otherChecksum', {}]);
  const ageMs = Math.max(0, nowMs - bundle.header.timeMs);
  if (ageMs > maxAgeMs) {
    throw new ProofError('STALE', ['err.stale', { height: bundle.header.height, time: formatTime(bundle.header.timeMs), age: Math.round(ageMs / 1000), max: Math.round(maxAgeMs / 1000) }]);
  }
  return { height: bundle.header.height, timeMs: bundle.header.timeMs, ageMs, signers, record };
}

/**
 * The fields on which the node's public answer (`/v1/verify`, with `disclosed`) contradicts the
 * proven `record` at block time `timeMs`: `[{field, node, proof}]`, empty when it told the truth.
 */
export function contradictions(answer, record, timeMs) {
  const d = answer.disclosed || {};
  const lienActive = Boolean(record.lien && timeMs < record.lien.expiresAtMs);
  const pairs = [
    ['status', answer.status, record.status],
    ['carrier', d.carrier && d.carrier.party, record.carrier],
    ['possessor', d.possessor && d.possessor.party, record.possessor],
    ['endorsee', (d.endorsee && d.endorsee.party) || null, record.endorsee],
    ['lienActive', Boolean(d.lienActive), lienActive],
    ['transportDocumentReference', d.transportDocumentReference, record.reference],
  ];
  return pairs.filter(([, node, proof]) => node !== proof).map(([field, node, proof]) => ({ field, node, proof }));
}

// ---- The trust anchor ------------------------------------------------------------------------
//
// The chain id and validators of the network's genesis file, which the user loads once and this
// browser keeps (localStorage). Proofs are checked against it and never against what the node
// being checked says about itself (ADR 0017): a node that lies cannot vouch for its own lies.

const STORAGE_KEY = 'ebl.trustAnchor.v1';

/** Largest genesis file read, in bytes (the node's own bound). */
export const GENESIS_BYTES_MAX = 16 * 1024 * 1024;

/** Oldest proof accepted by default: a block older than this by the browser's clock is stale (ms). */
export const PROOF_AGE_MAX_MS = 120000;
const PROOF_AGE_KEY = 'ebl.proofAgeMaxMs';

/** The oldest proof this browser accepts (ms): the setting kept under `ebl.proofAgeMaxMs` in
 * localStorage (a positive whole number), else PROOF_AGE_MAX_MS. */
export function proofAgeMaxMs() {
  const kept = Number(localStorage.getItem(PROOF_AGE_KEY));
  return Number.isSafeInteger(kept) && kept > 0 ? kept : PROOF_AGE_MAX_MS;
}

/**
 * The anchor in the text of a genesis file: `{file, chainId, validators: [{party, votingPower}]}`,
 * `party` being each validator's consensus key (`consensusKey` in the file: the key certificates
 * name; its operator and node keys are other keys).
 * Throws when it could not make a block final or could be fooled: no validator, one named twice,
 * a voting power that is not an exact whole number here, or powers that sum to zero or beyond
 * what this browser adds exactly (2^53 − 1).
 */
export function parseGenesis(text, file) {
  if (text.length > GENESIS_BYTES_MAX) throw failure('err.genesisSize', { max: GENESIS_BYTES_MAX });
  let genesis;
  try {
    genesis = JSON.parse(text);
  } catch {
    throw failure('err.genesisNotJson');
  }
  if (!genesis || typeof genesis.chainId !== 'string' || !genesis.chainId) throw failure('err.genesisNoChain');
  if (!Array.isArray(genesis.validators) || genesis.validators.length === 0) throw failure('err.genesisNoValidator');
  const validators = [];
  let total = 0;
  for (const v of genesis.validators) {
    const key = v && v.consensusKey;
    if (typeof key !== 'string' || !/^ebl:[0-9a-f]{64}$/.test(key)) throw failure('err.genesisNoParty');
    if (!Number.isSafeInteger(v.votingPower) || v.votingPower < 0) throw failure('err.genesisPower', { party: key });
    if (validators.some((w) => w.party === key)) throw failure('err.genesisTwice', { party: key });
    total += v.votingPower;
    if (!Number.isSafeInteger(total)) throw failure('err.genesisOverflow');
    validators.push({ party: key, votingPower: v.votingPower });
  }
  if (total === 0) throw failure('err.genesisNoPower');
  return { file: String(file || 'genesis.json'), chainId: genesis.chainId, validators };
}

/** The anchor this browser keeps, or null (also when what is kept no longer parses). */
export function loadAnchor() {
  let kept;
  try {
    kept = JSON.parse(localStorage.getItem(STORAGE_KEY) || 'null');
  } catch {
    return null;
  }
  if (!kept) return null;
  try {
    const validators = (kept.validators || []).map((v) => ({ consensusKey: v.party, votingPower: v.votingPower }));
    return parseGenesis(JSON.stringify({ chainId: kept.chainId, validators }), kept.file);
  } catch {
    return null;
  }
}

/** Keeps `anchor` in this browser. */
export function saveAnchor(anchor) {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(anchor));
}

/** Forgets the anchor kept in this browser. */
export function forgetAnchor() {
  localStorage.removeItem(STORAGE_KEY);
}

/** Whether the node's own account of the network (`/v1/status`) is the anchor's. */
export function sameNetwork(anchor, status) {
  if (!anchor || !status || status.chainId !== anchor.chainId) return false;
  const theirs = (status.validators || []).map((v) => `${v.consensusKey}:${v.votingPower}`).sort();
  const ours = anchor.validators.map((v) => `${v.party}:${v.votingPower}`).sort();
  return theirs.length === ours.length && theirs.every((x, i) => x === ours[i]);
}
