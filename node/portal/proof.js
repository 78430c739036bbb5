// Checks a proof bundle in the browser, as ebl_ledger::ProofBundle::verify does: the commit
// certificate makes the block header final (precommits of more than two thirds of the voting
// power of the validator set of the block's height — learned from the trust anchor, the genesis
// the user loaded, never from the node's word — each an ed25519 signature checked here with
// WebCrypto), the header's state root commits to the value (a Jellyfish Merkle proof, SHA-256),
// the value is the BL record the page shows, and the block is fresh (a node could replay a true
// but old proof). The set changes by ledger governance (ADR 0019): the page learns each set from
// the one before it, link by link from the genesis set (`verifyEpochChain`), as the Rust SDK
// does (ebl_client::trust). Tested against the Rust ledger by the browser tests.

import { failure, formatTime, messageOf, t } from './i18n.js';
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

/**
 * Decodes the bundle's parts; the raw header bytes are kept to hash. Its state key is a BL's
 * (StateKey::Bl, borsh variant 2, a 32-byte id) or a validator set's (StateKey::ValidatorEpoch,
 * variant 6, a u64): the callers check which they asked for (`blIdOf`, `verifyEpochLink`).
 */
export function decodeBundle(hex) {
  const r = new Reader(fromHex(hex));
  const keyStart = r.at;
  const variant = r.u8();
  if (variant === 2) r.h32();
  else if (variant === 6) r.take(8);
  else throw failure('err.bundleKey');
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
  // Every set's powers are exact whole numbers whose sum is exact (parseGenesis, checkSet): no
  // rounding here.
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

/** The BL id (hex) of a bundle's state key; throws if the key is not a BL's. */
function blIdOf(bundle) {
  const variant = bundle.key[0];
  if (variant !== 2) throw failure('err.notBlBundle');
  return toHex(bundle.key.subarray(1));
}

/**
 * Checks a BL's proof bundle (hex) against the trust `anchor` ({chainId, validators}) and the
 * validator sets learned from it (`epochs`, as `verifyEpochChain` returns them; by default the
 * genesis set alone, right for a network whose set never changed): the certificate must carry
 * more than two thirds of the power of the set of the block's height, the proven record must be
 * BL `blIdHex` with `checksum`, and its block at most `maxAgeMs` older than `nowMs`. Returns
 * `{height, timeMs, ageMs, signers, record, epoch, total}` (`epoch`: the set checked against,
 * `total`: its number of validators); throws a ProofError with the reason when anything fails.
 */
export async function verifyBlProof(hex, anchor, blIdHex, checksum, nowMs, maxAgeMs, epochs = null) {
  if (!anchor) throw new ProofError('UNTRUSTED', ['err.noAnchor', {}]);
  const sets = epochs || genesisEpochs(anchor);
  if (!learnedFrom(sets, anchor)) throw new ProofError('UNTRUSTED', ['err.epochsOtherAnchor', {}]);
  let bundle;
  let proven;
  try {
    bundle = decodeBundle(hex);
    proven = blIdOf(bundle);
  } catch (error) {
    throw new ProofError('MALFORMED', error);
  }
  if (proven !== blIdHex) throw new ProofError('MALFORMED', ['err.otherBl', {}]);
  // The set of the block's height, not the one that signed: a set replaced by governance may
  // not certify a block after its last height (ADR 0019).
  const set = epochAt(sets, bundle.header.height);
  let signers;
  try {
    signers = await checkCertificate(bundle, anchor.chainId, set.validators);
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
  const { height, timeMs } = bundle.header;
  return { height, timeMs, ageMs, signers, record, epoch: set.epoch, total: set.validators.length };
}

// ---- The validator sets since genesis ---------------------------------------------------------
//
// Epoch 0 is the genesis set (the trust anchor). Epoch k ≥ 1 is written into state key
// ValidatorEpoch(k) by the block that approved it, which epoch k − 1 certified, and runs two
// heights later. The node serves, for each k, a proof bundle of that key at that block
// (`GET /v1/validators/chain`); the page checks each against the set before it, so the
// genesis file alone anchors the set of any height. Every loop and size here is bounded: a
// lying node can make the walk fail, never make it hang or accept a set it did not prove.

/** Most validators a set may have (ebl_ledger::governance::VALIDATORS_MAX). */
export const VALIDATORS_MAX = 100;

/** Heights between the block that approves a set and the first it runs (EFFECT_DELAY_HEIGHTS). */
const EFFECT_DELAY_HEIGHTS = 2;

/** Largest validator-set record decoded, in bytes (GOVERNANCE_RECORD_BYTES_MAX). */
const EPOCH_RECORD_BYTES_MAX = 256 * 1024;

/** Largest link read, in bytes: a set record, a proof of at most 256 siblings, a header and a
 * certificate of at most 128 signatures, with room. */
export const EPOCH_LINK_BYTES_MAX = 512 * 1024;

/** Most validator sets this browser walks: a node claiming more is refused. */
export const EPOCHS_MAX = 4096;

/** Links asked for in one request (the node's most, EPOCH_LINKS_SERVED_MAX). */
export const EPOCH_LINKS_PER_PAGE = 16;

/** Most requests of one walk: a full page each but the last (one more as a margin). */
const EPOCH_PAGES_MAX = Math.ceil(EPOCHS_MAX / EPOCH_LINKS_PER_PAGE) + 2;

/** Largest answer of the node read for one page, in bytes of JSON. */
export const EPOCH_PAGE_BYTES_MAX = EPOCH_LINKS_PER_PAGE * (2 * EPOCH_LINK_BYTES_MAX + 256) + 1024;

/** The state key of the set of epoch `k`: StateKey::ValidatorEpoch (borsh variant 6), k. */
function epochKey(k) {
  const w = new Writer();
  w.u8(6);
  w.u64(k);
  return w.finish();
}

/** A borsh ValidatorEpoch (ebl_ledger::governance, field by field); keys as `ebl:<hex>`. */
export function decodeEpoch(value) {
  if (value.length > EPOCH_RECORD_BYTES_MAX) throw failure('err.epochSize', { max: EPOCH_RECORD_BYTES_MAX });
  const r = new Reader(value);
  const key = () => `ebl:${toHex(r.h32())}`;
  const set = {
    epoch: r.u64(),
    effectiveHeight: r.u64(),
    approvedHeight: r.u64(),
    proposal: r.option(() => r.u64()),
    validators: r.vec(() => ({
      name: r.string(),
      operator: key(),
      consensusKey: key(),
      nodeKey: key(),
      votingPower: r.u64(),
      p2pAddress: r.string(),
    }), VALIDATORS_MAX),
  };
  if (r.at !== r.bytes.length) throw failure('err.epochTrailing');
  return set;
}

/** Refuses a set ([{party, votingPower}]) that could be fooled or certify nothing: empty, one
 * party named twice, powers summing to zero or beyond what this browser adds exactly. */
function checkSet(validators) {
  if (validators.length === 0 || validators.length > VALIDATORS_MAX) {
    throw failure('err.epochSetSize', { count: validators.length, max: VALIDATORS_MAX });
  }
  const seen = new Set();
  let total = 0;
  for (const { party, votingPower } of validators) {
    if (seen.has(party)) throw failure('err.epochTwice', { party });
    seen.add(party);
    total += votingPower;
    if (!Number.isSafeInteger(votingPower) || !Number.isSafeInteger(total)) throw failure('err.epochPowers');
  }
  if (total <= 0) throw failure('err.epochPowers');
}

/** Whether two sets ([{party, votingPower}]) name the same validators with the same powers. */
function sameSet(a, b) {
  const keys = (set) => set.map((v) => `${v.party}:${v.votingPower}`).sort();
  const [x, y] = [keys(a), keys(b)];
  return x.length === y.length && x.every((k, i) => k === y[i]);
}

/** The sets known from `anchor` alone: its genesis set, epoch 0, running from height 0. */
export function genesisEpochs(anchor) {
  return [{ epoch: 0, effectiveHeight: 0, approvedHeight: 0, proposal: null, validators: anchor.validators, names: null }];
}

/** Whether `epochs` start from `anchor`'s genesis set, in order (epoch k at index k). */
function learnedFrom(epochs, anchor) {
  return Array.isArray(epochs) && epochs.length > 0 && epochs.every((e, k) => e.epoch === k)
    && epochs[0].effectiveHeight === 0 && sameSet(epochs[0].validators, anchor.validators);
}

/** The set of `epochs` that runs `height`: the newest whose effective height is at or below it. */
export function epochAt(epochs, height) {
  for (let k = epochs.length - 1; k > 0; k--) {
    if (epochs[k].effectiveHeight <= height) return epochs[k];
  }
  return epochs[0];
}

/**
 * Learns the set after `previous` (a set already trusted) from `hex`, a proof bundle of state
 * key ValidatorEpoch(previous.epoch + 1) at the block that approved it: the key must be that
 * one; the block no earlier than `previous` runs; the certificate final for `previous` and the
 * value under the header's state root; the set numbered as expected, approved by that block,
 * running two heights after it, and able to certify. Returns the set as `verifyBlProof` takes
 * it: `{epoch, effectiveHeight, approvedHeight, proposal, validators: [{party, votingPower}],
 * names}` (`names` in the order of `validators`). Throws the first reason found.
 */
export async function verifyEpochLink(hex, chainId, previous) {
  const expected = previous.epoch + 1;
  if (typeof hex !== 'string') throw failure('err.chainMalformed');
  if (hex.length > 2 * EPOCH_LINK_BYTES_MAX) throw failure('err.epochLinkSize', { max: EPOCH_LINK_BYTES_MAX });
  // Checked here so that the reason does not quote what the node sent.
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw failure('err.chainMalformed');
  const bundle = decodeBundle(hex);
  if (!equal(bundle.key, epochKey(expected))) throw failure('err.epochKey', { expected });
  const approved = bundle.header.height;
  if (approved < previous.effectiveHeight) {
    throw failure('err.epochTooEarly', { approved, previous: previous.effectiveHeight });
  }
  await checkCertificate(bundle, chainId, previous.validators);
  await checkStateProof(bundle);
  const set = decodeEpoch(bundle.value);
  if (set.epoch !== expected) throw failure('err.epochNumber', { expected, found: set.epoch });
  if (set.approvedHeight !== approved) throw failure('err.epochApproved', { said: set.approvedHeight, header: approved });
  if (set.effectiveHeight !== approved + EFFECT_DELAY_HEIGHTS) {
    throw failure('err.epochEffective', { effective: set.effectiveHeight, expected: approved + EFFECT_DELAY_HEIGHTS });
  }
  const validators = set.validators.map((v) => ({ party: v.consensusKey, votingPower: v.votingPower }));
  checkSet(validators);
  return {
    epoch: expected,
    effectiveHeight: set.effectiveHeight,
    approvedHeight: approved,
    proposal: set.proposal,
    validators,
    names: set.validators.map((v) => v.name),
  };
}

/** A reason given inside another text, said again in the page's language when that is. */
function inner(error) {
  return { toString: () => messageOf(error) };
}

/** The text of `response`, refused past `max` bytes (read as it comes, never whole first). */
async function boundedText(response, max) {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw failure('err.chainPageSize', { max });
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(concat(chunks));
}

/** One page of the node's chain of sets: `GET /v1/validators/chain?from=&limit=` on the node
 * that served this page, its answer bounded to EPOCH_PAGE_BYTES_MAX. */
export async function getChainPage(from, limit) {
  const response = await fetch(`/v1/validators/chain?from=${from}&limit=${limit}`, { headers: { accept: 'application/json' } });
  const text = await boundedText(response, EPOCH_PAGE_BYTES_MAX);
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    if (response.ok) throw failure('err.chainNotJson');
  }
  if (!response.ok) {
    const message = body && typeof body.message === 'string' ? body.message : response.statusText;
    throw failure('err.chainStatus', { status: response.status, message: message.slice(0, 200) });
  }
  return body;
}

/**
 * Walks the node's chain of validator sets from the trust `anchor` and returns every set
 * learned, epoch k at index k (epoch 0: the anchor's). `fetchPage(from, limit)` gives the
 * node's answer for links `from, from + 1, …` (`{latestEpoch, links: [{epoch, approvedHeight,
 * bundle}]}`); `known` (sets this walk returned before, from the same anchor) spares checking
 * them again: the walk asks from the next. The node must serve every set up to the newest it
 * names, in order, each once, each proven (`verifyEpochLink`); it may name at most EPOCHS_MAX.
 * Throws a ProofError (UNTRUSTED) with the reason otherwise: nothing is learned from a walk
 * that fails.
 */
export async function verifyEpochChain(anchor, fetchPage = getChainPage, known = null) {
  if (!anchor) throw new ProofError('UNTRUSTED', ['err.noAnchor', {}]);
  const epochs = (known || genesisEpochs(anchor)).slice();
  if (!learnedFrom(epochs, anchor)) throw new ProofError('UNTRUSTED', ['err.epochsOtherAnchor', {}]);
  const refuse = (key, values = {}) => new ProofError('UNTRUSTED', [key, values]);
  for (let pages = 0; pages < EPOCH_PAGES_MAX; pages++) {
    const from = epochs.length;
    let page;
    try {
      page = await fetchPage(from, EPOCH_LINKS_PER_PAGE);
    } catch (error) {
      throw refuse('err.chainUnavailable', { reason: inner(error) });
    }
    const links = page && Array.isArray(page.links) ? page.links : null;
    const latest = page ? page.latestEpoch : undefined;
    if (!links || !Number.isSafeInteger(latest) || latest < 0) throw refuse('err.chainMalformed');
    if (latest > EPOCHS_MAX) throw refuse('err.chainTooLong', { latest, max: EPOCHS_MAX });
    // The links due: from `from` to the newest the node names, at most a page.
    const due = Math.max(0, Math.min(EPOCH_LINKS_PER_PAGE, latest - from + 1));
    if (links.length > due) throw refuse('err.chainExtra', { count: links.length, from, latest });
    for (let i = 0; i < links.length; i++) {
      const link = links[i];
      const expected = from + i;
      if (!link || link.epoch !== expected) {
        throw refuse('err.chainOrder', { expected, found: String(link && link.epoch).slice(0, 24) });
      }
      let next;
      try {
        next = await verifyEpochLink(link.bundle, anchor.chainId, epochs[expected - 1]);
      } catch (error) {
        throw refuse('err.epochLink', { epoch: expected, reason: inner(error) });
      }
      if (link.approvedHeight !== next.approvedHeight) throw refuse('err.chainLabel', { epoch: expected });
      epochs.push(next);
    }
    if (epochs.length > latest) return epochs;
    if (links.length < due) throw refuse('err.chainIncomplete', { known: epochs.length - 1, latest });
  }
  throw refuse('err.chainTooLong', { latest: epochs.length, max: EPOCHS_MAX });
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
