// The signed-in party and what it does with the node: signed reads, the live event stream,
// the registry, and transactions signed here and submitted.

import { failure } from './i18n.js';
import { signedGet } from './signing.js';
import { addSignature, complete } from './tx.js';

/** A failed answer of the node: its stable `code` (docs/rest-api.md) and message. */
export class NodeError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function answer(response) {
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new NodeError(response.status, body.code || String(response.status), body.message || response.statusText);
  return body;
}

/** An unsigned GET (public routes). */
export async function getJson(path) {
  return answer(await fetch(path, { headers: { accept: 'application/json' } }));
}

/** A party signed in with its key: `key` ({party, sign}), the chain it signs for, names seen. */
export class Session {
  constructor(key, chainId) {
    this.key = key;
    this.chainId = chainId;
    this.party = key.party;
    this.record = null;
    this.names = new Map();
    this.registry = null;
  }

  /** A signed GET of `target` on this node. */
  async get(target) {
    return answer(await signedGet(this.key, this.chainId, target));
  }

  /**
   * Reads the party's own registry record; throws if the key is not a registered party. A key
   * the party rotated to finds it (ADR 0019): from then on `party` is the party's id (what
   * records name) and the key only signs.
   */
  async load() {
    this.record = await this.get(`/v1/parties/${this.key.party}`);
    this.party = this.record.party;
    this.names.set(this.party, this.record.legalName);
  }

  hasRole(role) {
    return Boolean(this.record && this.record.roles.includes(role));
  }

  /** Every registered party (cached for the session). */
  async parties() {
    if (!this.registry) {
      const { parties } = await this.get('/v1/parties');
      this.registry = parties;
      for (const p of parties) this.names.set(p.party, p.legalName);
    }
    return this.registry;
  }

  /** A party's legal name (a signed read, cached). */
  async nameOf(party) {
    if (!party) return '—';
    if (!this.names.has(party)) {
      const name = await this.get(`/v1/parties/${party}`).then((r) => r.legalName, () => `${party.slice(0, 12)}…`);
      this.names.set(party, name);
    }
    return this.names.get(party);
  }

  /**
   * Follows this party's events from `fromHeight` (replaying committed blocks first), calling
   * `onEvent` for each, until `signal` aborts. `onQuiet` is called once, the first time no event
   * came for `quietMs` (the replay is done), or after `replayMs` on a ledger too busy to pause.
   */
  async follow(fromHeight, onEvent, signal, onQuiet = () => {}, quietMs = 1000, replayMs = 5000) {
    const replayEnd = Date.now() + replayMs;
    const target = fromHeight ? `/v1/events?fromHeight=${fromHeight}` : '/v1/events';
    const response = await signedGet(this.key, this.chainId, target, { signal });
    if (!response.ok) await answer(response);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let quietCalled = false;
    // A read outlives a quiet period: it is awaited again, not dropped with its chunk.
    let pending = null;
    for (;;) {
      let timer;
      const wait = Math.max(0, Math.min(quietMs, replayEnd - Date.now()));
      const quiet = quietCalled ? null : new Promise((resolve) => { timer = setTimeout(() => resolve({ quiet: true }), wait); });
      if (!pending) pending = reader.read();
      let chunk;
      try {
        chunk = await (quiet ? Promise.race([pending, quiet]) : pending);
      } catch (error) {
        if (signal && signal.aborted) return;
        throw error;
      } finally {
        clearTimeout(timer);
      }
      if (chunk.quiet) {
        quietCalled = true;
        await onQuiet();
        continue;
      }
      pending = null;
      if (chunk.done) return;
      text += decoder.decode(chunk.value, { stream: true });
      const messages = text.split('\n\n');
      text = messages.pop();
      for (const message of messages) {
        const data = message.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
        if (data) await onEvent(JSON.parse(data));
      }
    }
  }

  /**
   * Builds the transaction for `action` with this party as submitter (its next nonce) and
   * `cosigners` after it, and signs it here. Returns `{id, tx}`; `tx.signatures` holds `null`
   * for each co-signer still to sign.
   */
  async prepare(action, cosigners = []) {
    const { next } = await this.get(`/v1/parties/${this.key.party}/nonce`);
    // A co-signer named by its party id signs with the key it rotated to, if it did.
    const keys = await Promise.all(cosigners.map((p) => this.get(`/v1/parties/${p}`).then((r) => r.signingKey || p, () => p)));
    const body = { chainId: this.chainId, nonce: next, signers: [this.key.party, ...keys], action };
    return addSignature({ body, signatures: [] }, this.key);
  }

  /** Adds this party's signature to a transaction another party prepared. */
  async cosign(tx) {
    if (tx.body.chainId !== this.chainId) throw failure('err.txChain', { tx: tx.body.chainId, session: this.chainId });
    return addSignature(tx, this.key);
  }
}

/**
 * Submits a fully signed transaction and waits for its commit. Returns the node's status
 * (`{txId, status, height, outcome}`); throws a NodeError when the node refuses it outright.
 * The id the node computed must be the one signed here.
 */
export async function submit(id, tx) {
  if (!complete(tx)) throw failure('err.notSigned');
  const response = await fetch('/v1/transactions?wait=true', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(tx),
  });
  const status = await answer(response);
  if (status.txId !== id) throw failure('err.otherTx', { node: status.txId, page: id });
  return status;
}
