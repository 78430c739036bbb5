// A party's key in the browser, and requests signed with it (RFC 9421, exactly as
// ebl_ledger::httpsig builds them). The key is read from the PKCS#8 PEM file the user picks and
// kept in this page's memory only: it is never uploaded, stored or exported.

import { failure } from './i18n.js';
import { toHex } from './ledger.js';

function base64ToBytes(text) {
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function bytesToBase64(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}

function base64UrlToBytes(text) {
  return base64ToBytes(text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '='));
}

/**
 * Loads an ed25519 private key from PKCS#8 PEM text. Returns `{ party, sign }`: the party id
 * (`ebl:<hex of the public key>`) and a function signing bytes. Throws on anything else.
 */
export async function loadKey(pem) {
  const match = /-----BEGIN PRIVATE KEY-----([\s\S]+?)-----END PRIVATE KEY-----/.exec(pem);
  if (!match) throw failure('err.notPem');
  const der = base64ToBytes(match[1].replace(/\s+/g, ''));
  // Imported once as extractable only to read the public half (JWK `x`); the key used for
  // signing is a second, non-extractable import.
  const probe = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', probe);
  const key = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, false, ['sign']);
  const party = `ebl:${toHex(base64UrlToBytes(jwk.x))}`;
  return {
    party,
    sign: async (bytes) => new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key, bytes)),
  };
}

/** An RFC 8941 string: quoted, `\` and `"` escaped. */
function sfString(text) {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function nonce() {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

/**
 * The `Signature-Input` and `Signature` headers of a bodiless request `method target` (a path
 * with its query, on this page's node, or an absolute URL) signed by `key` for `chainId` at
 * `createdS` with `nonceText`. The signature covers the node's authority as the browser sends it
 * in `Host` (`location.host`: lower-case, no default port), so it is good on that node only.
 */
export async function signatureHeaders(key, chainId, method, target, createdS, nonceText = nonce()) {
  const url = new URL(target, location.href);
  const authority = url.host.toLowerCase();
  const params =
    `("@method" "@authority" "@path" "@query");created=${createdS};nonce=${sfString(nonceText)};` +
    `keyid=${sfString(key.party)};alg="ed25519";tag=${sfString(chainId)}`;
  const base =
    `"@method": ${method.toUpperCase()}\n"@authority": ${authority}\n` +
    `"@path": ${url.pathname || '/'}\n"@query": ?${url.search.slice(1)}\n` +
    `"@signature-params": ${params}`;
  const signature = await key.sign(new TextEncoder().encode(base));
  return { 'signature-input': `ebl=${params}`, signature: `ebl=:${bytesToBase64(signature)}:` };
}

/** A signed GET of `target` on this node (`init`: further `fetch` options, e.g. a signal). */
export async function signedGet(key, chainId, target, init = {}) {
  const headers = await signatureHeaders(key, chainId, 'GET', target, Math.floor(Date.now() / 1000));
  return fetch(target, { ...init, headers: { accept: 'application/json', ...headers } });
}
