// The release board: each container's release as the ledger holds it — status, holds, who may
// pick it up, the pickup assignment, gate-out and empty return — with the actions open to the
// signed-in party. The page keeps it current from the event stream.

import { actionArea, containerActions, renderActions } from './actions.js';
import { t } from './i18n.js';

function time(ms) {
  return ms ? new Date(ms).toLocaleString(document.documentElement.lang) : '—';
}

function row(dl, key, value) {
  const dt = document.createElement('dt');
  dt.textContent = t(key);
  const dd = document.createElement('dd');
  dd.textContent = value;
  dd.dataset.field = key;
  dl.append(dt, dd);
}

/** The key of a container on the board. */
export function containerKey(bl, equipmentReference) {
  return `${bl}/${equipmentReference}`;
}

/**
 * One container's card. `status`: /v1/bls/{bl}/containers/{eq}; `blLabel`: the BL's reference
 * when the party may read it; `notice`: the result of the party's last action here;
 * `onChange`: after an action committed.
 */
export async function containerCard(session, status, blLabel, notice, onChange) {
  const r = status.release;
  const bl = r ? r.container.bl : status.blId;
  const card = document.createElement('article');
  card.className = 'container';
  card.dataset.container = containerKey(bl, status.equipmentReference);
  card.dataset.status = status.status;
  const title = document.createElement('h2');
  const badge = document.createElement('span');
  badge.className = 'status';
  badge.dataset.status = status.status;
  badge.textContent = t(`release.${status.status}`);
  title.append(document.createTextNode(`${status.equipmentReference} `), badge);
  const dl = document.createElement('dl');
  row(dl, 'release.bl', blLabel || `${bl.slice(0, 16)}…`);
  if (r) {
    row(dl, 'release.rightHolder', await session.nameOf(r.rightHolder));
    if (r.delegatedFrom.length) row(dl, 'release.delegatedFrom', (await Promise.all(r.delegatedFrom.map((p) => session.nameOf(p)))).join(' → '));
    row(dl, 'release.terminal', await session.nameOf(r.terminal));
    row(dl, 'release.valid', t('release.validRange', { from: time(r.validFromMs), until: time(r.validUntilMs) }));
    row(dl, 'release.charges', r.chargesSettled ? t('release.settled') : t('release.unsettled'));
    row(dl, 'release.holds', r.holds.length ? '' : t('release.noHolds'));
    if (r.holds.length) {
      const list = document.createElement('ul');
      list.className = 'holds';
      for (const hold of r.holds) {
        const li = document.createElement('li');
        li.dataset.hold = String(hold.id);
        const by = await session.nameOf(hold.placedBy);
        li.textContent = t('release.hold', { id: hold.id, authority: hold.authority, by, reason: hold.reason, declaration: hold.declarationNumber || '—' });
        list.append(li);
      }
      dl.lastChild.append(list);
    }
    if (r.pickup) row(dl, 'release.pickup', t('release.pickupValue', { truck: r.pickup.truckPlate, from: time(r.pickup.slotStartMs), until: time(r.pickup.slotEndMs) }));
    if (r.gateOut) row(dl, 'release.gateOut', t('release.gateOutValue', { time: time(r.gateOut.timeMs), truck: r.gateOut.truckPlate, seals: r.gateOut.sealNumbers.join(', ') || '—', condition: r.gateOut.condition }));
    if (r.emptyReturn) row(dl, 'release.emptyReturn', t('release.emptyReturnValue', { time: time(r.emptyReturn.timeMs), notes: r.emptyReturn.damageNotes || '—' }));
    if (r.revokedReason) row(dl, 'release.revoked', r.revokedReason);
  }
  card.append(title, dl);
  const actions = actionArea(card, notice);
  renderActions(actions, containerActions(status, session), session, onChange);
  return card;
}
