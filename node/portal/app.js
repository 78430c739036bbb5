// The portal: pages over the node's public REST API, one at a time by the URL's hash.
import {
  LANGUAGES, currentLanguage, failure, fillDetails, formatAmount, formatTime, initialLanguage, messageOf, named, setLanguage, t,
  translatePage,
} from './i18n.js';
import { actionArea, renderActions, report, showError, showResult, titleActions } from './actions.js';
import { blId, documentChecksum } from './ledger.js';
import { containerCard, containerKey } from './release.js';
import { getJson, Session, submit } from './session.js';
import {
  contradictions, forgetAnchor, genesisEpochs, getChainPage, loadAnchor, parseGenesis, proofAgeMaxMs, sameNetwork, saveAnchor,
  verifyBlProof, verifyEpochChain,
} from './proof.js';
import { loadKey } from './signing.js';
import { complete, txId } from './tx.js';

const $ = (selector) => document.querySelector(selector);

function partyName(named) {
  if (!named) return '—';
  return `${named.legalName || t('common.unknownName')} (${named.party.slice(0, 12)}…)`;
}

// ---- Trust anchor ----------------------------------------------------------------------------

/** The genesis this browser checks proofs against (loaded once, kept in localStorage). */
let anchor = loadAnchor();

/** The last genesis file refused (an error), shown under the anchor until one loads. */
let anchorError = null;

function showAnchor(error = null) {
  anchorError = error;
  const state = $('#anchor-state');
  state.dataset.anchor = anchor ? 'LOADED' : 'NONE';
  state.textContent = anchor
    ? t('anchor.loaded', { file: anchor.file, chain: anchor.chainId, count: anchor.validators.length })
    : t('anchor.none');
  $('#anchor-forget').hidden = !anchor;
  const p = $('#anchor-error');
  p.hidden = !error;
  p.textContent = error ? t('anchor.bad', { message: messageOf(error) }) : '';
}

async function loadAnchorFile(event) {
  event.preventDefault();
  const file = $('#anchor-file').files[0];
  if (!file) return;
  try {
    anchor = parseGenesis(await file.text(), file.name);
    saveAnchor(anchor);
    clearFile($('#anchor-file'));
    showAnchor();
  } catch (error) {
    showAnchor(error);
  }
}

function dropAnchor() {
  forgetAnchor();
  anchor = null;
  showAnchor();
}

/** The validator sets learned from the anchor for the page's life: `{anchor, epochs, walk}`,
 * `epochs` checked link by link from the anchor's genesis set, `walk` a walk under way. A new
 * anchor starts afresh. */
let learned = null;

/**
 * The validator sets since genesis, each checked against the one before it (verifyEpochChain),
 * from the node that served this page: those learned before, and the links after them the node
 * serves now. Throws a ProofError when the node's chain does not check out (nothing is learned
 * from it). Calls made while a walk is under way share it.
 */
function trustedEpochs() {
  if (!learned || learned.anchor !== anchor) learned = { anchor, epochs: genesisEpochs(anchor), walk: null };
  const mine = learned;
  if (!mine.walk) {
    mine.walk = verifyEpochChain(mine.anchor, getChainPage, mine.epochs)
      .then((epochs) => {
        mine.epochs = epochs;
        return epochs;
      })
      .finally(() => {
        mine.walk = null;
      });
  }
  return mine.walk;
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
  if (carriers.length === 0) showVerification(() => showOutcome('ERROR', t('verify.noCarriers')));
  carriersLoaded = true;
}

/** What the Verify page shows last, as a function that draws it in the page's language (drawn
 * again when the language changes). */
let verification = null;

function showVerification(draw) {
  verification = draw;
  draw();
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
    showVerification(() => showOutcome('ERROR', t('verify.missing')));
    return;
  }
  showVerification(() => showOutcome('WORKING', t('verify.working')));
  const text = await file.text();
  let checksum;
  let documentReference;
  try {
    checksum = await documentChecksum(text);
    documentReference = JSON.parse(text).transportDocumentReference;
  } catch {
    showVerification(() => showOutcome('NOT_JSON', t('verify.notJson')));
    return;
  }
  const id = await blId(carrier, reference);
  let answer;
  try {
    answer = await getJson(`/v1/verify/${id}?checksum=${checksum}`);
  } catch (error) {
    showVerification(() => showOutcome('ERROR', t('outcome.ERROR', { message: messageOf(error) })));
    return;
  }
  const proof = answer.disclosed ? await checkProof(id, checksum, answer) : null;
  showVerification(() => showAnswer({ answer, proof, checksum, id, reference, documentReference }));
}

/** Draws the node's answer to a verification and, when it disclosed the record, the proof check. */
function showAnswer({ answer, proof, checksum, id, reference, documentReference }) {
  const outcome = outcomeOf(answer);
  const rows = [];
  const d = answer.disclosed;
  if (d) {
    rows.push(['field.status', named('status', answer.status)]);
    rows.push(['field.carrier', partyName(d.carrier)]);
    rows.push(['field.possessor', partyName(d.possessor)]);
    rows.push(['field.endorsee', d.endorsee ? partyName(d.endorsee) : t('field.endorseeBlank')]);
    rows.push(['field.lien', d.lienActive ? t('field.lienActive') : t('field.lienNone')]);
    rows.push(['field.updated', t('field.updatedAt', { height: d.updatedHeight, time: formatTime(d.updatedTimeMs) })]);
  } else if (answer.found) {
    rows.push(['field.status', named('status', answer.status)]);
  }
  if (documentReference && documentReference !== reference) {
    rows.push(['verify.reference', t('verify.referenceDiffers', { doc: documentReference, entered: reference })]);
  }
  rows.push(['field.checksum', checksum, true]);
  rows.push(['field.blId', id, true]);
  rows.push(['field.height', String(answer.height)]);
  if (!proof) {
    showOutcome(outcome, t(`outcome.${outcome}`), rows);
    return;
  }
  // Right under the status: whether this browser checked the answer matters as much as the answer.
  rows.splice(1, 0, ['field.proof', proofText(proof)]);
  let shown = outcome;
  let said = t(`outcome.${outcome}`);
  if (proof.failed) {
    shown = 'PROOF_FAILED';
    said = t('outcome.PROOF_FAILED', { reason: proofReason(proof) });
  } else if (proof.state !== 'CHECKED' && outcome === 'VERIFIED') {
    // Only a proof checked here against the trust anchor makes a title verified.
    shown = 'UNVERIFIED';
    said = t('outcome.UNVERIFIED');
  }
  showOutcome(shown, said, rows);
  const dd = $('#verify-details dd[data-field="field.proof"]');
  dd.dataset.proof = proof.state;
  if (proof.code) dd.dataset.reason = proof.code;
}

/** The fields on which the node contradicts its proof, by the names the page gives them. */
const LIE_FIELDS = {
  status: 'field.status',
  carrier: 'field.carrier',
  possessor: 'field.possessor',
  endorsee: 'field.endorsee',
  lienActive: 'field.lien',
  transportDocumentReference: 'verify.reference',
};

/** A value the node or its proof gives for a field, as the page shows it. */
function lieValue(field, value) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return t(value ? 'common.yes' : 'common.no');
  return field === 'status' ? named('status', value) : String(value);
}

/** Why the proof failed, in the page's language. */
function proofReason(proof) {
  if (proof.lies) {
    const fields = proof.lies.map((l) => `${t(LIE_FIELDS[l.field] || l.field)} (${t('proof.nodeSays')} ${lieValue(l.field, l.node)}, ${t('proof.proofSays')} ${lieValue(l.field, l.proof)})`);
    return t('proof.lied', { fields: fields.join('; ') });
  }
  return messageOf(proof.error);
}

/** What the page says of the proof check. */
function proofText(proof) {
  switch (proof.state) {
    case 'NO_ANCHOR': return t('proof.noAnchor');
    case 'SIGN_IN': return t('proof.signIn');
    case 'NOT_A_PARTY': return t('proof.notAParty');
    case 'CHECKED': {
      const { result, names, file } = proof;
      return t('proof.checked', { status: named('status', result.record.status), height: result.height, time: formatTime(result.timeMs), age: Math.round(result.ageMs / 1000), count: result.signers.length, total: result.total, epoch: result.epoch, names: names.join(t('common.listSeparator')), file });
    }
    default: return t('proof.failed', { reason: proofReason(proof) });
  }
}

/**
 * Checks the ledger's proof bundle for the BL in this browser against the validator set of its
 * height, learned from the trust anchor (`trustedEpochs`), when a party that may read it is
 * signed in, and that the node's `answer` is what the proof proves:
 * `{state: CHECKED | FAILED | NO_ANCHOR | SIGN_IN | NOT_A_PARTY, failed, code, …}` with what
 * `proofText` says of it: the proven result, or the error, or the node's lies.
 */
async function checkProof(id, checksum, answer) {
  if (!anchor) return { state: 'NO_ANCHOR' };
  if (!session) return { state: 'SIGN_IN' };
  let bundle;
  try {
    bundle = await session.get(`/v1/bls/${id}/proof`);
  } catch (error) {
    if (error.status === 403) return { state: 'NOT_A_PARTY' };
    return { state: 'FAILED', failed: true, error };
  }
  try {
    // The sets are read after the bundle: every set that runs its height was approved two
    // heights before it at least, so the node that served the bundle serves that set's link.
    const epochs = await trustedEpochs();
    const result = await verifyBlProof(bundle.bundle, anchor, id, checksum, Date.now(), proofAgeMaxMs(), epochs);
    const lies = contradictions(answer, result.record, result.timeMs);
    if (lies.length > 0) return { state: 'FAILED', failed: true, code: 'LIED', lies };
    const names = await Promise.all(result.signers.map((p) => session.nameOf(p)));
    return { state: 'CHECKED', result, names, file: anchor.file };
  } catch (error) {
    return { state: 'FAILED', failed: true, code: error.code || 'UNTRUSTED', error };
  }
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

// ---- Signed in: my bills of lading, co-signing, the release board ---------------------------

/** The signed-in party (keys in memory only) and what the page knows from its event stream. */
let session = null;
let live = null;

function newLive() {
  return {
    controller: new AbortController(),
    replayed: false,
    bls: [],
    containers: new Map(),
    references: new Map(),
    notices: new Map(),
    height: 0,
  };
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

/** History entries a BL's timeline shows, the newest (one page of the node's). */
const HISTORY_SHOWN = 200;

/** One BL's card: status, who holds it, its history as a timeline, the actions open to me. */
async function blCard(id) {
  // The timeline shows the newest page of the history (the node serves at most 200 entries a page).
  const record = await session.get(`/v1/bls/${id}`);
  const history = await session.get(`/v1/bls/${id}/history?fromSeq=${Math.max(0, record.historyLen - HISTORY_SHOWN)}`);
  live.references.set(id, record.transportDocumentReference);
  const card = document.createElement('article');
  card.className = 'bl';
  card.dataset.bl = id;
  card.dataset.status = record.status;
  // What the card shows: an event that changes none of it leaves the card (and an open form) be.
  card.dataset.digest = JSON.stringify([record, history.entries.length, live.notices.get(id) || '']);
  const title = document.createElement('h2');
  title.textContent = `${record.transportDocumentReference} · ${named('status', record.status)}`;
  const rel = document.createElement('p');
  rel.className = 'relations';
  rel.textContent = relations(record, session.party).join(' · ');
  const facts = document.createElement('dl');
  fillDetails(facts, [
    ['mine.possessor', await session.nameOf(record.possessor)],
    ['field.endorsee', record.isToOrder ? (record.endorsee ? await session.nameOf(record.endorsee) : t('field.endorseeBlank')) : '—'],
    ['field.lien', record.lien ? t('mine.lienBy', { bank: await session.nameOf(record.lien.bank), amount: formatAmount(record.lien.amountMinor, record.lien.currency), expires: formatTime(record.lien.expiresAtMs) }) : t('field.lienNone')],
  ]);
  card.append(title, rel, facts);
  const actions = actionArea(card, live.notices.get(id));
  let open = titleActions(record, session.party);
  let equipmentReferences = [];
  if (open.some((a) => a.type === 'ISSUE_RELEASE_ORDER')) {
    // Offered while a container of the document has no release yet; the form lists those.
    const { containers } = await session.get(`/v1/bls/${id}/containers`);
    equipmentReferences = containers.filter((c) => !c.release).map((c) => c.equipmentReference);
    if (equipmentReferences.length === 0) open = open.filter((a) => a.type !== 'ISSUE_RELEASE_ORDER');
  }
  renderActions(actions, open, session, async (notice) => {
    live.notices.set(id, notice);
    await refreshBl(id);
  }, { equipmentReferences });
  const timelineHeading = document.createElement('h3');
  timelineHeading.textContent = t('mine.timeline');
  const timeline = document.createElement('ol');
  timeline.className = 'timeline';
  for (const entry of history.entries) {
    const li = document.createElement('li');
    li.dataset.action = entry.actionCode;
    const actor = await session.nameOf(entry.actor);
    li.textContent = t('mine.entry', { height: entry.height, time: formatTime(entry.timeMs), action: named('code', entry.actionCode), actor });
    timeline.append(li);
  }
  card.append(timelineHeading, timeline);
  return card;
}

/** Puts `card` in `list` in place of `old` (or last), unless what it shows is unchanged. */
function place(list, old, card, empty) {
  if (old && old.dataset.digest === card.dataset.digest) return;
  if (old) old.replaceWith(card);
  else $(list).append(card);
  $(empty).hidden = true;
}

/** Renders (or re-renders) one BL's card in place. */
async function refreshBl(id) {
  const card = await blCard(id);
  place('#my-bls', document.querySelector(`#my-bls article.bl[data-bl="${id}"]`), card, '#mine-empty');
}

async function renderMine() {
  const cards = [];
  for (const id of live.bls) cards.push(await blCard(id));
  $('#my-bls').replaceChildren(...cards);
  $('#mine-empty').hidden = cards.length > 0;
}

/** The containers of `id` this party may read, added to the board with the status just read
 * (drawn from it once, instead of reading each container again). */
async function addContainersOf(id) {
  const answer = await session.get(`/v1/bls/${id}/containers`).catch(() => null);
  for (const c of answer ? answer.containers : []) {
    live.containers.set(containerKey(id, c.equipmentReference), { bl: id, eq: c.equipmentReference, status: c });
  }
}

async function refreshContainer(key) {
  const entry = live.containers.get(key);
  const { bl, eq } = entry;
  const status = entry.status || (await session.get(`/v1/bls/${bl}/containers/${encodeURIComponent(eq)}`));
  entry.status = null;
  status.blId = bl;
  const card = await containerCard(session, status, live.references.get(bl), live.notices.get(key), async (notice) => {
    live.notices.set(key, notice);
    await refreshContainer(key);
  });
  const old = document.querySelector(`#release-board article.container[data-container="${key}"]`);
  place('#release-board', old, card, '#release-empty');
}

async function renderBoard() {
  $('#release-board').replaceChildren();
  for (const key of live.containers.keys()) await refreshContainer(key);
  $('#release-empty').hidden = live.containers.size > 0;
}

/** An event of this party's stream: note its BL and containers; once the replay is done, redraw
 * what it touched. */
async function onEvent(event) {
  if (event.outcome !== 'SUCCESS') return;
  const touched = new Set();
  if (event.blId && !live.bls.includes(event.blId)) {
    const readable = await session.get(`/v1/bls/${event.blId}`).then(() => true, () => false);
    if (readable) live.bls.push(event.blId);
    if (readable && live.replayed) await addContainersOf(event.blId);
  }
  for (const eq of event.equipmentReferences || []) {
    const key = containerKey(event.blId, eq);
    if (!live.containers.has(key)) live.containers.set(key, { bl: event.blId, eq });
    touched.add(key);
  }
  if (!live.replayed) return;
  if (event.blId && live.bls.includes(event.blId)) {
    await refreshBl(event.blId);
    // A BL-wide hold, a surrender or a lien can change every container of the BL.
    for (const [key, c] of live.containers) if (c.bl === event.blId) touched.add(key);
  }
  for (const key of touched) await refreshContainer(key);
}

async function onReplayed() {
  for (const id of live.bls) await addContainersOf(id);
  live.replayed = true;
  await renderMine();
  await renderBoard();
  document.body.dataset.live = 'true';
}

/** Follows the party's events from `fromHeight`; when the stream ends (the node restarted, the
 * network dropped), says so and follows again from the next height after a pause. */
function follow(fromHeight) {
  const mine = live;
  const report = (error) => {
    if (!mine.controller.signal.aborted) mineError('outcome.ERROR', { message: messageOf(error) });
  };
  const onQuiet = mine.replayed ? () => {} : () => onReplayed().catch(report);
  session
    .follow(fromHeight, (event) => {
      mine.height = Math.max(mine.height, event.height);
      return onEvent(event).catch(report);
    }, mine.controller.signal, onQuiet)
    .catch(report)
    .then(() => {
      if (mine.controller.signal.aborted || live !== mine) return;
      mineError('mine.reconnecting');
      setTimeout(() => {
        if (live !== mine) return;
        mineError(null);
        follow(mine.height + 1);
      }, 2000);
    });
}

function startLive() {
  live = newLive();
  $('#my-bls').replaceChildren(document.createTextNode(t('mine.loading')));
  follow(1);
}

/** The error shown on the "My bills of lading" page: `[key, values]`, or null for none. */
let mineErrorShown = null;

/** Shows the text of `key` (null: nothing) as the error of the "My bills of lading" page. */
function mineError(key, values = {}) {
  mineErrorShown = key ? [key, values] : null;
  const p = $('#mine-error');
  p.hidden = !key;
  p.textContent = key ? t(key, values) : '';
}

async function signIn(event) {
  event.preventDefault();
  mineError(null);
  const file = $('#key-file').files[0];
  if (!file) return;
  let key;
  try {
    key = await loadKey(await file.text());
  } catch (error) {
    mineError('mine.badKey', { message: messageOf(error) });
    return;
  }
  clearFile($('#key-file'));
  let chainId;
  try {
    ({ chainId } = await getJson('/v1/status'));
  } catch (error) {
    mineError('outcome.ERROR', { message: messageOf(error) });
    return;
  }
  // With a trust anchor the page signs for the anchor's chain, not for what the node says.
  if (anchor && chainId !== anchor.chainId) {
    mineError('mine.otherChain', { node: chainId, chain: anchor.chainId });
    return;
  }
  const candidate = new Session(key, chainId);
  try {
    await candidate.load();
  } catch (error) {
    // A key its party rotated away from (ADR 0019) is told so: it signs nothing more.
    mineError(error && error.code === 'KEY_ROTATED' ? 'mine.keyRotated' : 'mine.notRegistered', { party: key.party });
    return;
  }
  session = candidate;
  showSession();
  startLive();
}

function showSession() {
  $('#sign-in-form').hidden = Boolean(session);
  $('#signed-in').hidden = !session;
  $('#release-signed-out').hidden = Boolean(session);
  if (session) $('#signed-in-as').textContent = t('mine.signedInAs', { name: session.record.legalName, party: `${session.party.slice(0, 16)}…` });
}

function signOut() {
  if (live) live.controller.abort();
  session = null;
  live = null;
  document.body.dataset.live = 'false';
  $('#my-bls').replaceChildren();
  $('#release-board').replaceChildren();
  $('#cosign-input').value = '';
  $('#cosign-review').replaceChildren();
  mineError(null);
  showSession();
}

// ---- Co-signing -------------------------------------------------------------------------------

/** A value of the action to co-sign as the page shows it: parties by name, amounts with their
 * currency, times as dates, codes in words. */
async function cosignValue(name, value, action) {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'boolean') return t(value ? 'common.yes' : 'common.no');
  if (typeof value === 'string' && value.startsWith('ebl:')) return `${await session.nameOf(value)} (${value.slice(0, 16)}…)`;
  if (name === 'amountMinor') return formatAmount(value, action.currency);
  if (name.endsWith('Ms') && typeof value === 'number') return formatTime(value);
  if (name === 'authority' || name === 'condition') return named(name, value);
  if (Array.isArray(value)) return value.join(t('common.listSeparator'));
  if (typeof value === 'object') {
    // A container ({bl, equipmentReference}) or a hold target (the same, or {scope: BL, bl}).
    const bl = typeof value.bl === 'string' ? `${value.bl.slice(0, 16)}…` : '';
    return value.equipmentReference ? `${value.equipmentReference} (${bl})` : bl || JSON.stringify(value);
  }
  return String(value);
}

/** Shows what a transaction another party prepared asks this party to sign, with a button to
 * sign and submit it. The page recomputes the id from the body: it signs what it shows. */
async function reviewCosign(event) {
  if (event) event.preventDefault();
  const out = $('#cosign-review');
  out.replaceChildren();
  const result = document.createElement('p');
  result.className = 'action-result outcome';
  result.setAttribute('role', 'status');
  let tx;
  try {
    tx = JSON.parse($('#cosign-input').value);
    if (!tx || !tx.body || !tx.body.action) throw failure('cosign.notTx');
    if (!tx.body.signers.includes(session.key.party)) throw failure('cosign.notSigner');
    await txId(tx.body);
  } catch (error) {
    showResult(result, 'INVALID', messageOf(error));
    out.append(result);
    return;
  }
  const rows = [['cosign.action', t(`action.${tx.body.action.type}`)]];
  for (const [name, value] of Object.entries(tx.body.action)) {
    if (name === 'type') continue;
    rows.push([`field.${name}`, await cosignValue(name, value, tx.body.action)]);
  }
  rows.push(['cosign.signers', (await Promise.all(tx.body.signers.map((p) => session.nameOf(p)))).join(t('common.listSeparator'))]);
  const dl = document.createElement('dl');
  dl.id = 'cosign-summary';
  fillDetails(dl, rows);
  const sign = document.createElement('button');
  sign.type = 'button';
  sign.id = 'cosign-submit';
  sign.textContent = t('cosign.sign');
  sign.addEventListener('click', async () => {
    sign.disabled = true;
    try {
      const signed = await session.cosign(tx);
      if (complete(signed.tx)) {
        report(result, await submit(signed.id, signed.tx));
      } else {
        showResult(result, 'COSIGN', t('form.needsCosigner', { names: '…' }));
        $('#cosign-input').value = JSON.stringify(signed.tx);
      }
    } catch (error) {
      showError(result, error);
    }
    sign.disabled = false;
  });
  out.append(dl, sign, result);
  result.hidden = true;
}

// ---- Network ---------------------------------------------------------------------------------

const RECENT_BLOCKS = 12;
let networkTimer = null;

/**
 * The validators of the set that runs the next height (`/v1/validators`), each with the legal
 * name of its operator when the node's status names it (`legalName` undefined when it does
 * not); the node's status's own list when the node does not list its sets.
 */
function currentValidators(status, history) {
  const epochs = history && Array.isArray(history.epochs) ? history.epochs : [];
  const current = epochs.find((e) => e.epoch === history.currentEpoch);
  if (!current || !Array.isArray(current.validators)) return status.validators;
  const legal = new Map(status.validators.map((v) => [v.operator, v.legalName]));
  return current.validators.map((v) => ({ ...v, legalName: legal.has(v.operator) ? legal.get(v.operator) : undefined }));
}

/** Whether a set as the node lists it (`/v1/validators`) is the set `proven` by the chain walk:
 * the same heights, the same consensus keys with the same powers. */
function provenAs(shown, proven) {
  if (!proven || !Array.isArray(shown.validators)) return false;
  const theirs = shown.validators.map((v) => `${v.consensusKey}:${v.votingPower}`).sort();
  const ours = proven.validators.map((v) => `${v.party}:${v.votingPower}`).sort();
  return shown.effectiveHeight === proven.effectiveHeight && shown.approvedHeight === proven.approvedHeight
    && theirs.length === ours.length && theirs.every((x, i) => x === ours[i]);
}

/**
 * The validator set's history on the Network page: one row per set the node lists
 * (`tr[data-epoch]`, `data-current` on the set that runs the next height, `data-verified` when an
 * anchor is loaded: whether the set is the one the chain walk proved), and above them whether
 * the sets were verified from the anchor (`#network-epochs-state[data-state]`: VERIFIED, FAILED,
 * NONE without an anchor, UNAVAILABLE when the node does not list them). `chain`: the walk's
 * `{epochs}` or `{error}`, null without an anchor.
 */
function showEpochs(history, chain) {
  const state = $('#network-epochs-state');
  const body = $('#network-epochs tbody');
  body.replaceChildren();
  const show = (code, outcome, key, values = {}) => {
    state.dataset.state = code;
    state.dataset.outcome = outcome;
    state.textContent = t(key, values);
  };
  if (!history || !Array.isArray(history.epochs)) {
    show('UNAVAILABLE', 'UNKNOWN', 'network.epochsUnavailable');
    return;
  }
  const differ = [];
  for (const e of history.epochs) {
    const proven = chain && chain.epochs && Number.isSafeInteger(e.epoch) ? chain.epochs[e.epoch] : undefined;
    const tr = document.createElement('tr');
    tr.dataset.epoch = String(e.epoch);
    tr.dataset.current = String(e.epoch === history.currentEpoch);
    let verified = false;
    if (chain && chain.epochs) {
      verified = provenAs(e, proven);
      tr.dataset.verified = verified ? 'VERIFIED' : 'UNVERIFIED';
      if (!verified) differ.push(e.epoch);
    }
    // A proven set's names are those its link proved; otherwise the node's.
    const names = new Map(verified && proven.names ? proven.validators.map((v, i) => [v.party, proven.names[i]]) : []);
    const members = (e.validators || []).map((v) => t('network.member', { name: names.get(v.consensusKey) || v.name, power: v.votingPower }));
    const cells = [
      String(e.epoch),
      String(e.effectiveHeight),
      e.epoch === 0 ? t('network.genesis') : String(e.approvedHeight),
      e.proposal === null || e.proposal === undefined ? '—' : `#${e.proposal}`,
      members.join(t('common.listSeparator')),
    ];
    for (const value of cells) {
      const td = document.createElement('td');
      td.textContent = value;
      tr.append(td);
    }
    if (e.epoch === history.currentEpoch) {
      const badge = document.createElement('span');
      badge.className = 'status current';
      badge.textContent = t('network.current');
      tr.firstChild.append(' ', badge);
    }
    body.append(tr);
  }
  if (!chain) show('NONE', 'UNVERIFIED', 'network.epochsNoAnchor');
  else if (chain.error) show('FAILED', 'PROOF_FAILED', 'network.epochsFailed', { reason: messageOf(chain.error) });
  else if (differ.length > 0) {
    const reason = t('network.epochsDiffer', { epochs: differ.join(t('common.listSeparator')) });
    show('FAILED', 'PROOF_FAILED', 'network.epochsFailed', { reason });
  } else show('VERIFIED', 'VERIFIED', 'network.epochsVerified', { file: anchor.file, count: chain.epochs.length });
}

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
    const matches = sameNetwork(anchor, status);
    const history = await getJson('/v1/validators').catch(() => null);
    const chain = anchor ? await trustedEpochs().then((epochs) => ({ epochs }), (error) => ({ error })) : null;
    fillDetails($('#network-summary'), [
      ['network.anchor', anchor ? t(matches ? 'network.anchorMatches' : 'network.anchorDiffers', { file: anchor.file }) : t('network.noAnchor')],
      ['network.chain', status.chainId],
      ['network.height', String(status.height)],
      ['network.time', formatTime(status.timeMs)],
      ['network.mempool', String(status.mempoolTxs)],
      ['network.rate', t('network.rateValue', { rate, blocks: blocks.length })],
    ]);
    $('#network-summary dd[data-field="network.anchor"]').dataset.anchor = anchor ? (matches ? 'MATCHES' : 'DIFFERS') : 'NONE';
    const list = $('#network-validators');
    list.replaceChildren();
    for (const v of currentValidators(status, history)) {
      const last = blocks.find((b) => b.header.proposer === v.consensusKey);
      const li = document.createElement('li');
      li.dataset.party = v.consensusKey;
      const name = document.createElement('strong');
      name.textContent = v.legalName === undefined ? v.name : `${v.name} · ${v.legalName || t('common.unknownName')}`;
      const id = document.createElement('span');
      id.className = 'mono';
      id.textContent = ` ${v.consensusKey.slice(0, 16)}… `;
      const state = last ? t('network.proposed', { height: last.height }) : t('network.silent', { count: blocks.length });
      li.dataset.health = last ? 'PROPOSING' : 'SILENT';
      li.append(name, id, document.createTextNode(`· ${t('network.power', { power: v.votingPower })} · ${state}`));
      list.append(li);
    }
    showEpochs(history, chain);
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
    const txRows = [];
    for (const b of blocks) {
      b.txIds.forEach((tx, i) => txRows.push([`${tx.slice(0, 16)}…`, b.height, b.outcomes[i]]));
    }
    const txBody = $('#network-txs tbody');
    txBody.replaceChildren();
    for (const values of txRows.slice(0, 20)) {
      const tr = document.createElement('tr');
      for (const value of values) {
        const td = document.createElement('td');
        td.textContent = String(value);
        tr.append(td);
      }
      // A refusal shows its stable code (docs/rest-api.md); a success, in words.
      if (values[2] === 'SUCCESS') tr.lastChild.textContent = t('network.success');
      tr.lastChild.dataset.outcome = values[2];
      txBody.append(tr);
    }
  } catch {
    const error = $('#network-error');
    error.hidden = false;
    error.textContent = t('network.unreachable');
  }
}

// ---- Language and file pickers ----------------------------------------------------------------

/** The switch in the header: one button per language, named in that language, the current one
 * pressed. */
function showLanguages() {
  const group = $('#languages');
  group.replaceChildren();
  for (const [lang, name] of Object.entries(LANGUAGES)) {
    if (group.children.length) group.append(document.createTextNode(' / '));
    const button = document.createElement('button');
    button.type = 'button';
    button.lang = lang;
    button.dataset.lang = lang;
    button.textContent = name;
    button.setAttribute('aria-pressed', String(lang === currentLanguage()));
    button.addEventListener('click', () => switchLanguage(lang));
    group.append(button);
  }
}

/** Speaks `lang` from now on (kept in this browser) and draws every page again in it; the
 * signed-in session, the trust anchor and the last verification stay. `body[data-language]`
 * names the language once everything is drawn. */
async function switchLanguage(lang) {
  setLanguage(lang, true);
  document.body.dataset.language = '';
  translatePage();
  showLanguages();
  showFileNames();
  showAnchor(anchorError);
  if (verification) verification();
  if (mineErrorShown) mineError(...mineErrorShown);
  showSession();
  try {
    if (live && live.replayed) {
      await renderMine();
      await renderBoard();
    } else if (live) {
      $('#my-bls').replaceChildren(document.createTextNode(t('mine.loading')));
    }
    const review = $('#cosign-review .action-result');
    if (session && review && review.hidden) await reviewCosign();
    if (!$('#page-network').hidden) await refreshNetwork();
  } catch (error) {
    mineError('outcome.ERROR', { message: messageOf(error) });
  }
  document.body.dataset.language = currentLanguage();
}

/** Shows beside a file picker the name of the file chosen, or that none is. The picker's own
 * button and text are the browser's, in the browser's language: the page draws its own. */
function showFileName(input) {
  const name = document.querySelector(`.file-name[data-for="${input.id}"]`);
  if (name) name.textContent = input.files && input.files[0] ? input.files[0].name : t('file.none');
}

function showFileNames() {
  for (const input of document.querySelectorAll('input[type="file"]')) showFileName(input);
}

function clearFile(input) {
  input.value = '';
  showFileName(input);
}

// ---- Pages -----------------------------------------------------------------------------------

const PAGES = ['verify', 'mine', 'release', 'network'];

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
  if (page === 'verify') loadCarriers().catch((error) => showVerification(() => showOutcome('ERROR', t('outcome.ERROR', { message: messageOf(error) }))));
  if (page === 'network') {
    refreshNetwork();
    networkTimer = setInterval(refreshNetwork, 2000);
  }
}

setLanguage(initialLanguage());
translatePage();
showLanguages();
for (const input of document.querySelectorAll('input[type="file"]')) {
  input.addEventListener('change', () => showFileName(input));
}
showFileNames();
showAnchor();
$('#anchor-form').addEventListener('submit', (event) => loadAnchorFile(event).catch((error) => showAnchor(error)));
$('#anchor-forget').addEventListener('click', dropAnchor);
$('#verify-form').addEventListener('submit', verify);
$('#document').addEventListener('change', prefillReference);
$('#sign-in-form').addEventListener('submit', signIn);
$('#sign-out').addEventListener('click', signOut);
$('#cosign-form').addEventListener('submit', (event) => reviewCosign(event).catch((error) => mineError('outcome.ERROR', { message: messageOf(error) })));
window.addEventListener('hashchange', route);
route();
document.body.dataset.language = currentLanguage();
document.body.dataset.ready = 'true';
