// Checks a proof bundle in the browser, as ebl_ledger::ProofBundle::verify does: the commit
// certificate makes the block header final (precommits of more than two thirds of the voting
// power, each an ed25519 signature checked here with WebCrypto), the header's state root commits
// to the value (a Jellyfish Merkle proof, SHA-256), and the value is the BL record the page shows.
// Tested against the Rust ledger by the browser tests.

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
    if (this.at + n > this.bytes.length) throw new Error('the proof bundle is truncated');
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
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('a number in the proof bundle is out of range');
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
    if (tag > 1) throw new Error('bad option tag in the proof bundle');
    return tag === 1 ? read() : null;
  }
  vec(read, max) {
    const n = this.u32();
    if (n > max) throw new Error('a list in the proof bundle is too long');
    return Array.from({ length: n }, () => read());
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
  if (variant !== 2) throw new Error('the proof bundle is not of a BL record');
  r.h32();
  const key = r.bytes.slice(keyStart, r.at);
  const value = r.option(() => r.take(r.u32()).slice());
  const leaf = r.option(() => ({ keyHash: r.h32().slice(), valueHash: r.h32().slice() }));
  const siblings = r.vec(() => {
    const kind = r.u8();
    if (kind === 0) return { kind: 'null' };
    if (kind === 1) return { kind: 'internal', left: r.h32().slice(), right: r.h32().slice() };
    if (kind === 2) return { kind: 'leaf', keyHash: r.h32().slice(), valueHash: r.h32().slice() };
    throw new Error('bad sibling in the proof bundle');
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
  if (r.at !== r.bytes.length) throw new Error('the proof bundle has trailing bytes');
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
  if (!value || !leaf) throw new Error('the bundle does not prove a value');
  const keyHash = await sha256(key);
  if (!equal(keyHash, leaf.keyHash)) throw new Error('the proof is for another key');
  if (!equal(await sha256(value), leaf.valueHash)) throw new Error('the proof is for another value');
  let hash = await nodeHash({ kind: 'leaf', ...leaf });
  const n = siblings.length;
  for (let i = 0; i < n; i++) {
    // Siblings run from the leaf up; the path bit at depth n-1-i says which side we are on.
    const bit = n - 1 - i;
    const right = (keyHash[bit >> 3] >> (7 - (bit & 7))) & 1;
    const sibling = await nodeHash(siblings[i]);
    hash = await sha256(right ? concat([INTERNAL, sibling, hash]) : concat([INTERNAL, hash, sibling]));
  }
  if (!equal(hash, header.stateRoot)) throw new Error('the value is not under the header\'s state root');
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
  if (header.chainId !== chainId) throw new Error(`the header is of chain ${header.chainId}`);
  if (certificate.height !== header.height) throw new Error('the certificate is for another height');
  const blockHash = await sha256(concat([encoder.encode('ebl/block-header/v1'), headerBytes]));
  if (!equal(blockHash, certificate.blockHash)) throw new Error('the certificate is for another block');
  const total = validators.reduce((sum, v) => sum + v.votingPower, 0);
  let signed = 0;
  const seen = new Set();
  for (const { party, signature } of certificate.signatures) {
    const validator = validators.find((v) => v.party === party);
    if (!validator) throw new Error(`${party} is not a validator`);
    if (seen.has(party)) throw new Error(`${party} signed twice`);
    seen.add(party);
    const key = await crypto.subtle.importKey('raw', partyBytes(party), { name: 'Ed25519' }, false, ['verify']);
    const message = precommitBytes(chainId, certificate.height, certificate.round, certificate.blockHash, party);
    if (!(await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message))) {
      throw new Error(`the signature of ${party} does not verify`);
    }
    signed += validator.votingPower;
  }
  if (3 * signed <= 2 * total) throw new Error(`signers hold ${signed} of ${total} voting power`);
  return [...seen];
}

/** The first fields of a borsh BlRecord: id, reference, type, to-order, carrier, checksum, status. */
function recordHead(value) {
  const r = new Reader(value);
  const id = toHex(r.h32());
  const reference = r.string();
  r.u8();
  r.u8();
  const carrier = `ebl:${toHex(r.h32())}`;
  const checksum = toHex(r.h32());
  const status = BL_STATUSES[r.u8()];
  return { id, reference, carrier, checksum, status };
}

/**
 * Checks a BL's proof bundle (hex) against `validators` on `chainId`, and that the proven
 * record is BL `blIdHex` with `checksum`. Returns `{height, timeMs, signers, status}`; throws
 * with the reason when anything fails.
 */
export async function verifyBlProof(hex, chainId, validators, blIdHex, checksum) {
  const bundle = decodeBundle(hex);
  if (toHex(bundle.key.subarray(1)) !== blIdHex) throw new Error('the proof is of another BL');
  const signers = await checkCertificate(bundle, chainId, validators);
  await checkStateProof(bundle);
  const record = recordHead(bundle.value);
  if (record.id !== blIdHex) throw new Error('the proof is of another BL');
  if (record.checksum !== checksum) throw new Error('the proven record holds another document checksum');
  return { height: bundle.header.height, timeMs: bundle.header.timeMs, signers, status: record.status };
}
