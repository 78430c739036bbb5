// Transactions built and signed in the browser, exactly as ebl_ledger::tx builds them: the body
// as JSON (what is posted to /v1/transactions), its canonical borsh bytes, the transaction id
// (SHA-256 of those bytes) and ed25519 signatures over `ebl/tx-signing/v1 ‖ id`. The page
// computes the id itself, so a node cannot make it sign something other than what it shows.
// Tested against the Rust encoding by the browser tests.

import { failure } from './i18n.js';
import { fromHex, sha256, toHex, partyBytes } from './ledger.js';

const encoder = new TextEncoder();
const U64_MAX = (1n << 64n) - 1n;

// Field types: 'bl' and 'hash' (64 hex), 'party' (ebl:<64 hex>), 'string', 'u32', 'u64', 'bool',
// 'container' ({bl, equipmentReference}), 'holdTarget' ({scope: CONTAINER|BL, …}),
// ['enum', names] (a unit variant by name), ['option', type], ['vec', type].
const AMENDMENT_REASONS = ['enum', ['SWTP', 'COD', 'SWI', 'OTHER']];
const HOLD_AUTHORITIES = ['enum', ['CUSTOMS', 'TERMINAL']];

/**
 * The actions the portal can sign, by their JSON `type`: the borsh variant index (the order of
 * `ebl_ledger::action::Action`) and the fields in declaration order. Party registration,
 * issuance and reissue carry documents and role sets and stay with the CLI and the SDK.
 */
export const ACTIONS = {
  SUSPEND_PARTY: [2, [['party', 'party']]],
  REINSTATE_PARTY: [3, [['party', 'party']]],
  TRANSFER: [5, [['bl', 'bl'], ['to', 'party']]],
  ENDORSE: [6, [['bl', 'bl'], ['endorsee', 'party']]],
  ENDORSE_TO_ORDER: [7, [['bl', 'bl'], ['endorsee', 'party']]],
  BLANK_ENDORSE: [8, [['bl', 'bl']]],
  SIGN: [9, [['bl', 'bl']]],
  REJECT_TRANSFER: [10, [['bl', 'bl'], ['reason', 'string']]],
  SURRENDER_FOR_DELIVERY: [11, [['bl', 'bl']]],
  SURRENDER_FOR_AMENDMENT: [12, [['bl', 'bl'], ['reason', AMENDMENT_REASONS]]],
  ACCEPT_SURRENDER: [13, [['bl', 'bl']]],
  REJECT_SURRENDER: [14, [['bl', 'bl'], ['reason', 'string']]],
  SWITCH_TO_PAPER: [16, [['bl', 'bl'], ['paper_bl_number', 'string']]],
  CREATE_LIEN: [17, [['bl', 'bl'], ['bank', 'party'], ['amountMinor', 'u64'], ['currency', 'string'], ['expiresAtMs', 'u64'], ['financeReference', 'string']]],
  RELEASE_LIEN: [18, [['bl', 'bl']]],
  ISSUE_RELEASE_ORDER: [19, [['bl', 'bl'], ['equipmentReferences', ['vec', 'string']], ['terminal', 'party'], ['validFromMs', 'u64'], ['validUntilMs', 'u64'], ['chargesSettled', 'bool']]],
  SETTLE_CHARGES: [20, [['container', 'container']]],
  PLACE_HOLD: [21, [['target', 'holdTarget'], ['authority', HOLD_AUTHORITIES], ['reason', 'string'], ['declarationNumber', ['option', 'string']]]],
  LIFT_HOLD: [22, [['target', 'holdTarget'], ['hold_id', 'u32']]],
  DELEGATE_RELEASE: [23, [['container', 'container'], ['to', 'party']]],
  REVOKE_RELEASE: [24, [['container', 'container'], ['reason', 'string']]],
  ASSIGN_PICKUP: [25, [['container', 'container'], ['truckPlate', 'string'], ['driverIdHash', 'hash'], ['slotStartMs', 'u64'], ['slotEndMs', 'u64'], ['pickupCodeHash', ['option', 'hash']]]],
  GATE_OUT: [26, [['container', 'container'], ['truckPlate', 'string'], ['driverIdHash', 'hash'], ['pickupCode', ['option', 'string']], ['sealNumbers', ['vec', 'string']], ['condition', 'string']]],
  EMPTY_RETURN: [27, [['container', 'container'], ['damageNotes', 'string']]],
};

/** Appends borsh bytes to a growing list of chunks. */
export class Writer {
  constructor() {
    this.chunks = [];
  }
  bytes(b) {
    this.chunks.push(b);
  }
  u8(n) {
    this.chunks.push(Uint8Array.of(n));
  }
  u32(n) {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw failure('err.notU32', { value: n });
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n, true);
    this.chunks.push(b);
  }
  u64(n) {
    const big = typeof n === 'bigint' ? n : Number.isSafeInteger(n) ? BigInt(n) : NaN;
    if (typeof big !== 'bigint' || big < 0n || big > U64_MAX) throw failure('err.notU64', { value: n });
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, big, true);
    this.chunks.push(b);
  }
  string(s) {
    if (typeof s !== 'string') throw failure('err.notString', { value: s });
    const utf8 = encoder.encode(s);
    this.u32(utf8.length);
    this.chunks.push(utf8);
  }
  finish() {
    const out = new Uint8Array(this.chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function hash32(hex, what) {
  if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/i.test(hex)) throw failure('err.notHash', { name: what });
  return fromHex(hex);
}

function writeValue(w, type, value, name) {
  if (Array.isArray(type)) {
    const [kind, inner] = type;
    if (kind === 'option') {
      if (value === null || value === undefined) return w.u8(0);
      w.u8(1);
      return writeValue(w, inner, value, name);
    }
    if (kind === 'vec') {
      if (!Array.isArray(value)) throw failure('err.notList', { name });
      w.u32(value.length);
      return value.forEach((v) => writeValue(w, inner, v, name));
    }
    if (kind === 'enum') {
      const index = inner.indexOf(value);
      if (index < 0) throw failure('err.notOneOf', { name, values: inner.join(', ') });
      return w.u8(index);
    }
  }
  switch (type) {
    case 'bl':
    case 'hash':
      return w.bytes(hash32(value, name));
    case 'party':
      return w.bytes(partyBytes(String(value)));
    case 'string':
      return w.string(value);
    case 'u32':
      return w.u32(value);
    case 'u64':
      return w.u64(value);
    case 'bool':
      if (typeof value !== 'boolean') throw failure('err.notBool', { name });
      return w.u8(value ? 1 : 0);
    case 'container':
      if (!value || typeof value !== 'object') throw failure('err.notContainer', { name });
      w.bytes(hash32(value.bl, `${name}.bl`));
      return w.string(value.equipmentReference);
    case 'holdTarget':
      if (value && value.scope === 'CONTAINER') {
        w.u8(0);
        return writeValue(w, 'container', value, name);
      }
      if (value && value.scope === 'BL') {
        w.u8(1);
        return w.bytes(hash32(value.bl, `${name}.bl`));
      }
      throw failure('err.notHoldTarget', { name });
    default:
      throw failure('err.fieldType', { type });
  }
}

/** The canonical bytes of a transaction body given as its JSON (`{chainId, nonce, signers, action}`). */
export function encodeBody(body) {
  const schema = ACTIONS[body.action && body.action.type];
  if (!schema) throw failure('err.cannotSign', { type: body.action && body.action.type });
  const w = new Writer();
  w.string(body.chainId);
  w.u64(body.nonce);
  if (!Array.isArray(body.signers) || body.signers.length === 0) throw failure('err.noSigner');
  w.u32(body.signers.length);
  for (const signer of body.signers) w.bytes(partyBytes(signer));
  const [variant, fields] = schema;
  w.u8(variant);
  for (const [name, type] of fields) writeValue(w, type, body.action[name], name);
  return w.finish();
}

/** The transaction id (64 hex) of a body given as JSON. */
export async function txId(body) {
  return toHex(await sha256(encodeBody(body)));
}

/** What each signer signs: the domain tag, then the 32-byte id. */
export function signingMessage(idHex) {
  const tag = encoder.encode('ebl/tx-signing/v1');
  const out = new Uint8Array(tag.length + 32);
  out.set(tag);
  out.set(fromHex(idHex), tag.length);
  return out;
}

/**
 * Adds `key`'s signature to a transaction (`{body, signatures}`; `signatures` in the signers'
 * order, `null` where a co-signer has yet to sign). The key must be one of the body's signers.
 */
export async function addSignature(tx, key) {
  const at = tx.body.signers.indexOf(key.party);
  if (at < 0) throw failure('err.notASigner', { party: key.party });
  const id = await txId(tx.body);
  const signatures = tx.body.signers.map((_, i) => (tx.signatures && tx.signatures[i]) || null);
  signatures[at] = toHex(await key.sign(signingMessage(id)));
  return { id, tx: { body: tx.body, signatures } };
}

/** Whether every signer has signed. */
export function complete(tx) {
  return tx.signatures.length === tx.body.signers.length && tx.signatures.every((s) => typeof s === 'string');
}
