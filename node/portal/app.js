// The portal: pages over the node's public REST API, one at a time by the URL's hash.
import { setLanguage, t, translatePage } from './i18n.js';
import { blId, documentChecksum } from './ledger.js';
import { loadKey, signedGet } from './signing.js';

const $ = (selector) => document.querySelector(selector);

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message || `${response.status} ${response.statusText}`);
  return body;
}

function formatTime(ms) {
  return ms ? new Date(ms).toLocaleString(document.documentElement.lang) : '—';
}

function partyName(named) {
  if (!named) return '—';
  return `${named.legalName || t('common.unknownName')} (${named.party.slice(0, 12)}…)`;
}

/** Replaces the children of a <dl> with term/description pairs (`mono` values in monospace). */
function fillDetails(dl, rows) {
  dl.replaceChildren();
  for (const [key, value, mono] of rows) {
    const dt = document.createElement('dt');
    dt.textContent = t(key);
    const dd = document.createElement('dd');
    dd.textContent = value;
    dd.dataset.field = key;
    if (mono) dd.classList.add('mono');
    dl.append(dt, dd);
  }
}

// ---- Verify ----------------------------------------------------------------------------------

let carriersLoaded = false;

async function loadCarriers() {
  if (carriersLoaded) return;
  const select = $('#carrier');
  const { carriers } = await getJson('/v1/carriers');
  select.replaceChildren();
  for (const carrier of carriers) {
    const option = document.createElement('option');
    option.value = carrier.party;
    option.textContent = carrier.dcsaPartyCode ? `${carrier.legalName} (${carrier.dcsaPartyCode})` : carrier.legalName;
    select.append(option);
  }
  if (carriers.length === 0) showOutcome('ERROR', t('verify.noCarriers'));
  carriersLoaded = true;
}

function showOutcome(outcome, text, rows = []) {
  $('#verify-result').hidden = false;
  const p = $('#verify-outcome');
  p.dataset.outcome = outcome;
  p.textContent = text;
  fillDetails($('#verify-details'), rows);
}

/** What the ledger's answer means for the holder of the document. */
function outcomeOf(answer) {
  if (!answer.found) return 'UNKNOWN';
  if (!answer.checksumMatches) return 'MISMATCH';
  switch (answer.status) {
    case 'SURRENDERED_FOR_DELIVERY': return 'SURRENDERED';
    case 'VOIDED': return 'VOID';
    case 'SWITCHED_TO_PAPER': return 'PAPER';
    default: return 'VERIFIED';
  }
}

async function verify(event) {
  event.preventDefault();
  const carrier = $('#carrier').value;
  const reference = $('#reference').value.trim();
  const file = $('#document').files[0];
  if (!carrier || !reference || !file) {
    showOutcome('ERROR', t('verify.missing'));
    return;
  }
  showOutcome('WORKING', t('verify.working'));
  const text = await file.text();
  let checksum;
  let documentReference;
  try {
    checksum = await documentChecksum(text);
    documentReference = JSON.parse(text).transportDocumentReference;
  } catch {
    showOutcome('NOT_JSON', t('verify.notJson'));
    return;
  }
  const id = await blId(carrier, reference);
  let answer;
  try {
    answer = await getJson(`/v1/verify/${id}?checksum=${checksum}`);
  } catch (error) {
    showOutcome('ERROR', t('outcome.ERROR', { message: error.message }));
    return;
  }
  const outcome = outcomeOf(answer);
  const rows = [];
  const d = answer.disclosed;
  if (d) {
    rows.push(['field.status', answer.status]);
    rows.push(['field.carrier', partyName(d.carrier)]);
    rows.push(['field.possessor', partyName(d.possessor)]);
    rows.push(['field.endorsee', d.endorsee ? partyName(d.endorsee) : t('field.endorseeBlank')]);
    rows.push(['field.lien', d.lienActive ? t('field.lienActive') : t('field.lienNone')]);
    rows.push(['field.updated', t('field.updatedAt', { height: d.updatedHeight, time: formatTime(d.updatedTimeMs) })]);
  } else if (answer.found) {
    rows.push(['field.status', answer.status]);
  }
  if (documentReference && documentReference !== reference) {
    rows.push(['verify.reference', t('verify.referenceDiffers', { doc: documentReference, entered: reference })]);
  }
  rows.push(['field.checksum', checksum, true]);
  rows.push(['field.blId', id, true]);
  rows.push(['field.height', String(answer.height)]);
  showOutcome(outcome, t(`outcome.${outcome}`), rows);
}

async function prefillReference() {
  const file = $('#document').files[0];
  if (!file || $('#reference').value.trim()) return;
  try {
    const reference = JSON.parse(await file.text()).transportDocumentReference;
    if (typeof reference === 'string') $('#reference').value = reference;
  } catch {
    // Not JSON: the verification says so when asked.
  }
}

// ---- My bills of lading ---------------------------------------------------------------------

/** The signed-in party: `{ key, chainId, name }`, in memory only. */
let session = null;

async function signedJson(target) {
  const response = await signedGet(session.key, session.chainId, target);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message || `${response.status} ${response.statusText}`);
  return body;
}

/** The BL ids of this party's events, replayed from the first block (the stream then goes live;
 * it is read until it has been quiet for a second). */
async function myBlIds() {
  const controller = new AbortController();
  const response = await signedGet(session.key, session.chainId, '/v1/events?fromHeight=1', { signal: controller.signal });
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const ids = [];
  let text = '';
  for (;;) {
    const quiet = new Promise((resolve) => setTimeout(() => resolve({ quiet: true }), 1000));
    const chunk = await Promise.race([reader.read(), quiet]);
    if (chunk.quiet || chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
    const messages = text.split('\n\n');
    text = messages.pop();
    for (const message of messages) {
      const data = message.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
      if (!data) continue;
      const event = JSON.parse(data);
      if (event.blId && event.outcome === 'SUCCESS' && !ids.includes(event.blId)) ids.push(event.blId);
    }
  }
  controller.abort();
  return ids;
}

/** A party's legal name from the registry (a signed read), cached for the session. */
async function nameOf(party) {
  if (!session.names.has(party)) {
    const name = await signedJson(`/v1/parties/${party}`).then((r) => r.legalName, () => `${party.slice(0, 12)}…`);
    session.names.set(party, name);
  }
  return session.names.get(party);
}

function relations(record, me) {
  const out = [];
  if (record.possessor === me) out.push(t('mine.youPossess'));
  if (record.endorsee === me) out.push(t('mine.youEndorsee'));
  if (record.carrier === me) out.push(t('mine.youIssued'));
  if (record.lien && record.lien.bank === me) out.push(t('mine.youLien'));
  if (record.shipper === me) out.push(t('mine.youShipper'));
  if (record.consignee === me) out.push(t('mine.youConsignee'));
  return out;
}

async function renderMine() {
  const list = $('#my-bls');
  list.replaceChildren(document.createTextNode(t('mine.loading')));
  const ids = await myBlIds();
  const cards = [];
  for (const id of ids) {
    const [record, history] = await Promise.all([signedJson(`/v1/bls/${id}`), signedJson(`/v1/bls/${id}/history`)]);
    const card = document.createElement('article');
    card.className = 'bl';
    card.dataset.bl = id;
    card.dataset.status = record.status;
    const title = document.createElement('h2');
    title.textContent = `${record.transportDocumentReference} · ${record.status}`;
    const rel = document.createElement('p');
    rel.className = 'relations';
    rel.textContent = relations(record, session.key.party).join(' · ');
    const timelineHeading = document.createElement('h3');
    timelineHeading.textContent = t('mine.timeline');
    const timeline = document.createElement('ol');
    timeline.className = 'timeline';
    for (const entry of history.entries) {
      const li = document.createElement('li');
      li.dataset.action = entry.actionCode;
      const actor = await nameOf(entry.actor);
      li.textContent = t('mine.entry', { height: entry.height, time: formatTime(entry.timeMs), action: entry.actionCode, actor });
      timeline.append(li);
    }
    card.append(title, rel, timelineHeading, timeline);
    cards.push(card);
  }
  list.replaceChildren(...cards);
  $('#mine-empty').hidden = cards.length > 0;
}

function mineError(text) {
  const p = $('#mine-error');
  p.hidden = !text;
  p.textContent = text || '';
}

async function signIn(event) {
  event.preventDefault();
  mineError('');
  const file = $('#key-file').files[0];
  if (!file) return;
  let key;
  try {
    key = await loadKey(await file.text());
  } catch (error) {
    mineError(t('mine.badKey', { message: error.message }));
    return;
  }
  $('#key-file').value = '';
  const { chainId } = await getJson('/v1/status');
  session = { key, chainId, name: key.party, names: new Map() };
  try {
    const me = await signedJson(`/v1/parties/${key.party}`);
    session.name = me.legalName;
  } catch {
    session = null;
    mineError(t('mine.notRegistered', { party: key.party }));
    return;
  }
  showSession();
  try {
    await renderMine();
  } catch (error) {
    mineError(t('outcome.ERROR', { message: error.message }));
  }
}

function showSession() {
  $('#sign-in-form').hidden = Boolean(session);
  $('#signed-in').hidden = !session;
  if (session) $('#signed-in-as').textContent = t('mine.signedInAs', { name: session.name, party: `${session.key.party.slice(0, 16)}…` });
}

function signOut() {
  session = null;
  $('#my-bls').replaceChildren();
  mineError('');
  showSession();
}

// ---- Network ---------------------------------------------------------------------------------

const RECENT_BLOCKS = 12;
let networkTimer = null;

async function refreshNetwork() {
  try {
    const status = await getJson('/v1/status');
    $('#network-error').hidden = true;
    const from = Math.max(1, status.height - RECENT_BLOCKS + 1);
    const heights = [];
    for (let h = status.height; h >= from; h--) heights.push(h);
    const blocks = (await Promise.all(heights.map((h) => getJson(`/v1/blocks/${h}`).catch(() => null)))).filter(Boolean);
    const oldest = blocks[blocks.length - 1];
    const txs = blocks.slice(0, -1).reduce((n, b) => n + b.txIds.length, 0);
    const span = blocks.length > 1 ? (blocks[0].header.timeMs - oldest.header.timeMs) / 1000 : 0;
    const rate = span > 0 ? (txs / span).toFixed(1) : '0';
    fillDetails($('#network-summary'), [
      ['network.chain', status.chainId],
      ['network.height', String(status.height)],
      ['network.time', formatTime(status.timeMs)],
      ['network.mempool', String(status.mempoolTxs)],
      ['network.rate', t('network.rateValue', { rate, blocks: blocks.length })],
    ]);
    const list = $('#network-validators');
    list.replaceChildren();
    for (const v of status.validators) {
      const last = blocks.find((b) => b.header.proposer === v.party);
      const li = document.createElement('li');
      li.dataset.party = v.party;
      const name = document.createElement('strong');
      name.textContent = v.legalName || t('common.unknownName');
      const id = document.createElement('span');
      id.className = 'mono';
      id.textContent = ` ${v.party.slice(0, 16)}… `;
      const state = last ? t('network.proposed', { height: last.height }) : t('network.silent', { count: blocks.length });
      li.dataset.health = last ? 'PROPOSING' : 'SILENT';
      li.append(name, id, document.createTextNode(`· ${t('network.power', { power: v.votingPower })} · ${state}`));
      list.append(li);
    }
    const body = $('#network-blocks tbody');
    body.replaceChildren();
    for (const b of blocks) {
      const tr = document.createElement('tr');
      const refused = b.outcomes.filter((o) => o !== 'SUCCESS').length;
      for (const value of [b.height, formatTime(b.header.timeMs), b.txIds.length, refused]) {
        const td = document.createElement('td');
        td.textContent = String(value);
        tr.append(td);
      }
      body.append(tr);
    }
  } catch {
    const error = $('#network-error');
    error.hidden = false;
    error.textContent = t('network.unreachable');
  }
}

// ---- Pages -----------------------------------------------------------------------------------

const PAGES = ['verify', 'mine', 'network'];

function route() {
  const name = location.hash.replace(/^#\//, '') || 'verify';
  const page = PAGES.includes(name) ? name : 'verify';
  for (const p of PAGES) {
    $(`#page-${p}`).hidden = p !== page;
    const link = $(`#nav-${p}`);
    if (p === page) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  clearInterval(networkTimer);
  if (page === 'verify') loadCarriers().catch((error) => showOutcome('ERROR', t('outcome.ERROR', { message: error.message })));
  if (page === 'network') {
    refreshNetwork();
    networkTimer = setInterval(refreshNetwork, 2000);
  }
}

setLanguage(new URLSearchParams(location.search).get('lang') || 'en');
translatePage();
$('#verify-form').addEventListener('submit', verify);
$('#document').addEventListener('change', prefillReference);
$('#sign-in-form').addEventListener('submit', signIn);
$('#sign-out').addEventListener('click', signOut);
window.addEventListener('hashchange', route);
route();
document.body.dataset.ready = 'true';
