// The ledger's identifiers and checksums, computed in the browser exactly as the Rust ledger
// computes them (ebl_ledger::records::BlId::new, ebl_ledger::checksum). Tested against the Rust
// values by the browser tests.

import { failure } from './i18n.js';

const encoder = new TextEncoder();

export function toHex(bytes) {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex) {
  if (!/^([0-9a-f]{2})*$/i.test(hex)) throw failure('err.notHex', { value: hex });
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

/** The bytes of `parts` one after another. */
export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** borsh `String`: u32 little-endian byte length, then UTF-8. */
export function borshString(text) {
  const utf8 = encoder.encode(text);
  const len = new Uint8Array(4);
  new DataView(len.buffer).setUint32(0, utf8.length, true);
  return concat([len, utf8]);
}

/** The 32 key bytes of `ebl:<64 hex>` (or bare hex). */
export function partyBytes(party) {
  const hex = party.startsWith('ebl:') ? party.slice(4) : party;
  if (hex.length !== 64) throw failure('err.notParty', { value: party });
  return fromHex(hex);
}

/** A BL's ledger id: SHA-256 of the domain, the carrier's key and the borsh reference. */
export async function blId(carrier, reference) {
  return toHex(await sha256(concat([encoder.encode('ebl/bl-id/v1'), partyBytes(carrier), borshString(reference)])));
}

/**
 * RFC 8785 canonical JSON. Object keys sort by UTF-16 code units (JavaScript's default order,
 * as the RFC requires); numbers and strings serialise as ECMAScript does, which the RFC adopts.
 */
export function canonicalJson(value) {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

/** The document checksum of JSON text; throws a SyntaxError if the text is not JSON. */
export async function documentChecksum(text) {
  const value = JSON.parse(text);
  return toHex(await sha256(encoder.encode(canonicalJson(value))));
}
