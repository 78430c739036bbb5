// The actions open to the signed-in party on a bill of lading or a container, and the forms
// that sign them here. The page offers what the ledger's rules allow as far as it can see them;
// the ledger decides, and a refusal is shown with its code.

import { has, named, t } from './i18n.js';
import { sha256, toHex } from './ledger.js';
import { NodeError, submit } from './session.js';

const ISSUED = 'ISSUED';
const PENDING = ['PENDING_SURRENDER_FOR_DELIVERY', 'PENDING_SURRENDER_FOR_AMENDMENT'];
const OPEN_PHASES = ['ORDERED', 'PICKUP_ASSIGNED'];
const DAY_MS = 24 * 3600 * 1000;

function lienActive(record) {
  return Boolean(record.lien && record.lien.expiresAtMs > Date.now());
}

/** DCSA PINT: the possessor endorses when it is the endorsee of an order BL, or it is blank. */
function mayEndorse(record, me) {
  return (
    record.transportDocumentType === 'BOL' &&
    record.isToOrder &&
    record.possessor === me &&
    (record.endorsee === null || (record.endorsee === me && record.endorseeMayEndorse))
  );
}

/**
 * Whether `me` is entitled to the goods: the possessor who is the consignee of a straight BL, the
 * endorsee of an order BL, or holds one endorsed in blank. The ledger's one rule for who may
 * surrender and who may pledge (ADR 0004).
 */
function entitledToGoods(record, me) {
  if (record.transportDocumentType !== 'BOL' || record.possessor !== me) return false;
  if (!record.isToOrder) return record.consignee === me;
  return record.endorsee === null || record.endorsee === me;
}

const blField = (record) => ({ bl: record.id });
const others = (me) => (p) => p.party !== me && p.status === 'ACTIVE';
const withRole = (role, me) => (p) => others(me)(p) && p.roles.includes(role);

function toMs(value) {
  const ms = new Date(value).getTime();
  if (Number.isNaN(ms)) throw new Error(t('form.badTime'));
  return ms;
}

function localTime(ms) {
  const d = new Date(ms - new Date().getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

/** Amount text (e.g. `1250000.50`) in minor units of a two-decimal currency. */
function minorUnits(text) {
  if (!/^\d+(\.\d{1,2})?$/.test(text.trim())) throw new Error(t('form.badAmount'));
  const [whole, cents = ''] = text.trim().split('.');
  const minor = Number(whole) * 100 + Number(cents.padEnd(2, '0'));
  if (!Number.isSafeInteger(minor) || minor <= 0) throw new Error(t('form.badAmount'));
  return minor;
}

function list(text) {
  return text.split(/[\s,]+/).filter(Boolean);
}

async function hashText(text) {
  return toHex(await sha256(new TextEncoder().encode(text)));
}

/**
 * The title actions open to `me` on `record` (a BlRecord as the API gives it). Each: `type`,
 * `fields` (what the form asks), `build(values)` → the action JSON, and `cosigners(values)` →
 * the parties that must sign after the submitter (none when absent).
 */
export function titleActions(record, me) {
  const out = [];
  const issued = record.status === ISSUED;
  const bol = record.transportDocumentType === 'BOL';
  if (issued && bol && record.possessor === me) {
    const straightOnly = (p) =>
      record.isToOrder || p.party === record.shipper || p.party === record.consignee || record.agents.includes(p.party);
    out.push({
      type: 'TRANSFER',
      fields: [{ name: 'to', kind: 'party', filter: (p) => others(me)(p) && straightOnly(p) }],
      build: (v) => ({ type: 'TRANSFER', ...blField(record), to: v.to }),
    });
  }
  if (issued && mayEndorse(record, me)) {
    for (const type of ['ENDORSE', 'ENDORSE_TO_ORDER']) {
      out.push({
        type,
        fields: [{ name: 'endorsee', kind: 'party', filter: others(me) }],
        build: (v) => ({ type, ...blField(record), endorsee: v.endorsee }),
      });
    }
    if (record.endorsee !== null) out.push({ type: 'BLANK_ENDORSE', fields: [], build: () => ({ type: 'BLANK_ENDORSE', ...blField(record) }) });
  }
  if (issued && record.possessor === me && record.transferFrom) {
    out.push({
      type: 'REJECT_TRANSFER',
      fields: [{ name: 'reason', kind: 'text', required: true }],
      build: (v) => ({ type: 'REJECT_TRANSFER', ...blField(record), reason: v.reason }),
    });
  }
  if (issued && entitledToGoods(record, me)) {
    out.push({
      type: 'SURRENDER_FOR_DELIVERY',
      fields: [],
      // An active lien binds the surrender: the bank co-signs it.
      cosigners: () => (lienActive(record) ? [record.lien.bank] : []),
      build: () => ({ type: 'SURRENDER_FOR_DELIVERY', ...blField(record) }),
    });
  }
  // Only the party entitled to the goods pledges them; the bank co-signs.
  if (issued && entitledToGoods(record, me) && !lienActive(record)) {
    out.push({
      type: 'CREATE_LIEN',
      fields: [
        { name: 'bank', kind: 'party', filter: withRole('BANK', me) },
        { name: 'amount', kind: 'text', required: true, placeholder: '1250000.00' },
        { name: 'currency', kind: 'text', required: true, value: 'USD', pattern: '[A-Z]{3}' },
        { name: 'expires', kind: 'datetime', value: localTime(Date.now() + 90 * DAY_MS) },
        { name: 'financeReference', kind: 'text', required: true },
      ],
      cosigners: (v) => [v.bank],
      build: (v) => ({
        type: 'CREATE_LIEN',
        ...blField(record),
        bank: v.bank,
        amountMinor: minorUnits(v.amount),
        currency: v.currency.trim(),
        expiresAtMs: toMs(v.expires),
        financeReference: v.financeReference.trim(),
      }),
    });
  }
  if (PENDING.includes(record.status) && record.carrier === me) {
    out.push({ type: 'ACCEPT_SURRENDER', fields: [], build: () => ({ type: 'ACCEPT_SURRENDER', ...blField(record) }) });
    out.push({
      type: 'REJECT_SURRENDER',
      fields: [{ name: 'reason', kind: 'text', required: true }],
      build: (v) => ({ type: 'REJECT_SURRENDER', ...blField(record), reason: v.reason }),
    });
  }
  if (record.lien && record.lien.bank === me) {
    out.push({ type: 'RELEASE_LIEN', fields: [], build: () => ({ type: 'RELEASE_LIEN', ...blField(record) }) });
  }
  const releasable =
    (bol && record.status === 'SURRENDERED_FOR_DELIVERY') || (!bol && issued && record.consignee !== null);
  if (releasable && record.carrier === me) {
    out.push({
      type: 'ISSUE_RELEASE_ORDER',
      fields: [
        { name: 'equipmentReferences', kind: 'text', required: true, containers: true },
        { name: 'terminal', kind: 'party', filter: withRole('TERMINAL', me) },
        { name: 'validFrom', kind: 'datetime', value: localTime(Date.now() - 60 * 60000) },
        { name: 'validUntil', kind: 'datetime', value: localTime(Date.now() + 14 * DAY_MS) },
        { name: 'chargesSettled', kind: 'checkbox', value: true },
      ],
      build: (v) => ({
        type: 'ISSUE_RELEASE_ORDER',
        ...blField(record),
        equipmentReferences: list(v.equipmentReferences),
        terminal: v.terminal,
        validFromMs: toMs(v.validFrom),
        validUntilMs: toMs(v.validUntil),
        chargesSettled: v.chargesSettled,
      }),
    });
  }
  return out;
}

/**
 * The actions open to the signed-in `session` on one container (`status` as
 * /v1/bls/{bl}/containers gives it).
 */
export function containerActions(status, session) {
  const r = status.release;
  if (!r) return [];
  const me = session.party;
  const container = { bl: r.container.bl, equipmentReference: r.container.equipmentReference };
  const target = { scope: 'CONTAINER', ...container };
  const open = OPEN_PHASES.includes(r.phase);
  const out = [];
  const customs = session.hasRole('CUSTOMS');
  const terminal = r.terminal === me;
  if (open && (customs || terminal)) {
    out.push({
      type: 'PLACE_HOLD',
      fields: [
        { name: 'reason', kind: 'text', required: true },
        { name: 'declarationNumber', kind: 'text' },
      ],
      build: (v) => ({
        type: 'PLACE_HOLD',
        target,
        authority: customs ? 'CUSTOMS' : 'TERMINAL',
        reason: v.reason,
        declarationNumber: v.declarationNumber.trim() || null,
      }),
    });
  }
  for (const hold of open ? r.holds : []) {
    const mine = hold.authority === 'CUSTOMS' ? customs : terminal;
    if (!mine) continue;
    out.push({
      type: 'LIFT_HOLD',
      label: ['action.LIFT_HOLD_ONE', { id: hold.id, reason: hold.reason }],
      key: `LIFT_HOLD-${hold.id}`,
      fields: [],
      build: () => ({ type: 'LIFT_HOLD', target, hold_id: hold.id }),
    });
  }
  if (open && r.carrier === me && !r.chargesSettled) {
    out.push({ type: 'SETTLE_CHARGES', fields: [], build: () => ({ type: 'SETTLE_CHARGES', container }) });
  }
  if (open && r.rightHolder === me) {
    out.push({
      type: 'DELEGATE_RELEASE',
      fields: [{ name: 'to', kind: 'party', filter: others(me) }],
      build: (v) => ({ type: 'DELEGATE_RELEASE', container, to: v.to }),
    });
    out.push({
      type: 'ASSIGN_PICKUP',
      fields: [
        { name: 'truckPlate', kind: 'text', required: true },
        { name: 'driverId', kind: 'text', required: true, secret: true },
        { name: 'slotStart', kind: 'datetime', value: localTime(Date.now() - 5 * 60000) },
        { name: 'slotEnd', kind: 'datetime', value: localTime(Date.now() + 8 * 3600 * 1000) },
        { name: 'pickupCode', kind: 'text', secret: true },
      ],
      build: async (v) => ({
        type: 'ASSIGN_PICKUP',
        container,
        truckPlate: v.truckPlate.trim(),
        // The driver's identifier and the pickup code never reach the ledger: only their hashes.
        driverIdHash: await hashText(v.driverId.trim()),
        slotStartMs: toMs(v.slotStart),
        slotEndMs: toMs(v.slotEnd),
        pickupCodeHash: v.pickupCode.trim() ? await hashText(v.pickupCode.trim()) : null,
      }),
    });
  }
  if (r.phase === 'PICKUP_ASSIGNED' && terminal) {
    out.push({
      type: 'GATE_OUT',
      fields: [
        { name: 'truckPlate', kind: 'text', required: true, value: r.pickup ? r.pickup.truckPlate : '' },
        { name: 'driverId', kind: 'text', required: true, secret: true },
        { name: 'pickupCode', kind: 'text', secret: true },
        { name: 'sealNumbers', kind: 'text' },
        { name: 'condition', kind: 'choice', choices: ['SOUND', 'DAMAGED'], value: 'SOUND' },
      ],
      build: async (v) => ({
        type: 'GATE_OUT',
        container,
        truckPlate: v.truckPlate.trim(),
        driverIdHash: await hashText(v.driverId.trim()),
        pickupCode: v.pickupCode.trim() || null,
        sealNumbers: list(v.sealNumbers),
        condition: v.condition,
      }),
    });
  }
  if (r.phase === 'GATED_OUT' && session.hasRole('TERMINAL')) {
    out.push({
      type: 'EMPTY_RETURN',
      fields: [{ name: 'damageNotes', kind: 'text' }],
      build: (v) => ({ type: 'EMPTY_RETURN', container, damageNotes: v.damageNotes }),
    });
  }
  if (open && r.carrier === me) {
    out.push({
      type: 'REVOKE_RELEASE',
      fields: [{ name: 'reason', kind: 'text', required: true }],
      build: (v) => ({ type: 'REVOKE_RELEASE', container, reason: v.reason }),
    });
  }
  return out;
}

/** One form field: a labelled control named `name`. */
async function fieldControl(field, session, formId, context) {
  const id = `${formId}-${field.name}`;
  const label = document.createElement('label');
  label.htmlFor = id;
  label.textContent = t(`field.${field.name}`);
  let control;
  if (field.kind === 'party') {
    control = document.createElement('select');
    const parties = (await session.parties()).filter(field.filter);
    const none = document.createElement('option');
    none.value = '';
    none.textContent = t('form.choose');
    control.append(none);
    for (const p of parties) {
      const option = document.createElement('option');
      option.value = p.party;
      option.textContent = `${p.legalName} (${p.roles.map((r) => named('role', r)).join(t('common.listSeparator'))})`;
      control.append(option);
    }
    control.required = true;
  } else if (field.kind === 'choice') {
    control = document.createElement('select');
    for (const choice of field.choices) {
      const option = document.createElement('option');
      option.value = choice;
      option.textContent = named(field.name, choice);
      control.append(option);
    }
    control.value = field.value;
  } else {
    control = document.createElement('input');
    control.type = field.kind === 'datetime' ? 'datetime-local' : field.kind === 'checkbox' ? 'checkbox' : field.secret ? 'password' : 'text';
    if (field.kind === 'checkbox') control.checked = Boolean(field.value);
    else if (field.value !== undefined) control.value = field.value;
    else if (field.containers && context.equipmentReferences) control.value = context.equipmentReferences.join(', ');
    if (field.placeholder) control.placeholder = field.placeholder;
    if (field.pattern) control.pattern = field.pattern;
    control.required = Boolean(field.required);
    control.autocomplete = 'off';
    control.spellcheck = false;
  }
  control.id = id;
  control.name = field.name;
  const wrap = document.createElement('div');
  wrap.className = field.kind === 'checkbox' ? 'field check' : 'field';
  wrap.append(label, control);
  return wrap;
}

function values(form, fields) {
  const out = {};
  for (const field of fields) {
    const control = form.elements[field.name];
    out[field.name] = field.kind === 'checkbox' ? control.checked : control.value;
  }
  return out;
}

export function showResult(p, outcome, text) {
  p.hidden = false;
  p.dataset.outcome = outcome;
  p.textContent = text;
}

/** A text to show again in another language: `[key, values]`. */
export function say([key, values]) {
  return t(key, values);
}

/**
 * Signs and submits an action (or hands it to its co-signers); returns the committed result
 * (`[key, values]`) once the ledger applied it, else null.
 */
async function perform(action, session, form, result) {
  const formValues = values(form, action.fields);
  for (const field of action.fields) {
    const control = form.elements[field.name];
    if (!control.checkValidity()) {
      showResult(result, 'INVALID', t('form.invalid', { field: t(`field.${field.name}`) }));
      control.focus();
      return null;
    }
  }
  let built;
  try {
    built = await action.build(formValues);
  } catch (error) {
    showResult(result, 'INVALID', error.message);
    return null;
  }
  const cosigners = action.cosigners ? action.cosigners(formValues) : [];
  showResult(result, 'WORKING', t('form.signing'));
  try {
    const { id, tx } = await session.prepare(built, cosigners);
    if (cosigners.length > 0) {
      const names = await Promise.all(cosigners.map((p) => session.nameOf(p)));
      showResult(result, 'COSIGN', t('form.needsCosigner', { names: names.join(', ') }));
      const request = document.createElement('textarea');
      request.className = 'cosign-request mono';
      request.readOnly = true;
      request.rows = 6;
      request.value = JSON.stringify(tx);
      request.setAttribute('aria-label', t('form.cosignRequest'));
      result.after(request);
      return null;
    }
    const status = await submit(id, tx);
    return report(result, status);
  } catch (error) {
    showError(result, error);
    return null;
  }
}

export function showError(result, error) {
  if (error instanceof NodeError) showResult(result, error.code, t('form.refused', { code: error.code, message: error.message }));
  else showResult(result, 'ERROR', t('outcome.ERROR', { message: error.message }));
}

/** Shows a committed (or pending) result; returns it (`[key, values]`) when the ledger applied it. */
export function report(result, status) {
  if (status.status !== 'COMMITTED') {
    showResult(result, 'PENDING', t('form.pending', { id: status.txId.slice(0, 16) }));
    return null;
  }
  if (status.outcome === 'SUCCESS') {
    const done = ['form.committed', { height: status.height, id: status.txId.slice(0, 16) }];
    showResult(result, 'SUCCESS', say(done));
    return done;
  }
  showResult(result, status.outcome, t('form.refusedInBlock', { height: status.height, code: status.outcome }));
  return null;
}

/**
 * Appends to `card` the result of the party's last action on it (`notice`, if any: `{label,
 * result}`, each `[key, values]`, shown in the page's language) and an empty area for its
 * actions, which it returns.
 */
export function actionArea(card, notice) {
  if (notice) {
    const p = document.createElement('p');
    p.className = 'action-result outcome';
    showResult(p, 'SUCCESS', `${say(notice.label)} — ${say(notice.result)}`);
    card.append(p);
  }
  const actions = document.createElement('div');
  actions.className = 'actions';
  card.append(actions);
  return actions;
}

/**
 * Renders the buttons of `actions` into `container`; a button opens its form, whose submit
 * signs and submits. `onDone(notice)` runs after a committed success (see `actionArea`). `context`: defaults for forms
 * (e.g. the BL's equipment references).
 */
export function renderActions(container, actions, session, onDone, context = {}) {
  container.replaceChildren();
  if (actions.length === 0) return;
  const heading = document.createElement('h3');
  heading.textContent = t('actions.heading');
  const buttons = document.createElement('div');
  buttons.className = 'action-buttons';
  const slot = document.createElement('div');
  container.append(heading, buttons, slot);
  for (const action of actions) {
    const key = action.key || action.type;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'secondary';
    button.dataset.action = key;
    const label = action.label || [`action.${action.type}`, {}];
    button.textContent = say(label);
    button.addEventListener('click', async () => {
      const form = document.createElement('form');
      form.className = 'action-form';
      form.dataset.action = key;
      form.noValidate = true;
      const formId = `f-${key}-${Math.random().toString(36).slice(2, 8)}`;
      const title = document.createElement('h4');
      title.textContent = button.textContent;
      form.append(title);
      if (has(`help.${action.type}`)) {
        const help = document.createElement('p');
        help.className = 'help';
        help.textContent = t(`help.${action.type}`);
        form.append(help);
      }
      for (const field of action.fields) form.append(await fieldControl(field, session, formId, context));
      const submitButton = document.createElement('button');
      submitButton.type = 'submit';
      submitButton.textContent = t('form.sign');
      const result = document.createElement('p');
      result.className = 'action-result outcome';
      result.setAttribute('role', 'status');
      result.hidden = true;
      const cancel = document.createElement('button');
      cancel.type = 'button';
      cancel.className = 'secondary cancel';
      cancel.textContent = t('form.cancel');
      cancel.addEventListener('click', () => slot.replaceChildren());
      form.append(submitButton, cancel, result);
      form.addEventListener('submit', async (event) => {
        event.preventDefault();
        submitButton.disabled = true;
        const done = await perform(action, session, form, result);
        submitButton.disabled = false;
        if (done) await onDone({ label, result: done });
      });
      slot.replaceChildren(form);
      const first = form.querySelector('input, select');
      if (first) first.focus();
    });
    buttons.append(button);
  }
}
