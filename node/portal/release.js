// The release board: each container's release as the ledger holds it — status, holds, who may
// pick it up, the pickup assignment, gate-out and empty return — with the actions open to the
// signed-in party. The page keeps it current from the event stream.

import { actionArea, containerActions, renderActions } from './actions.js';
import { fillDetails, formatTime as time, named, t } from './i18n.js';

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
  // What the card shows: an event that changes none of it leaves the card (and an open form) be.
  card.dataset.digest = JSON.stringify([status, notice || '']);
  const title = document.createElement('h2');
  const badge = document.createElement('span');
  badge.className = 'status';
  badge.dataset.status = status.status;
  badge.textContent = t(`release.${status.status}`);
  title.append(document.createTextNode(`${status.equipmentReference} `), badge);
  const rows = [['release.bl', blLabel || `${bl.slice(0, 16)}…`]];
  const holds = document.createElement('ul');
  holds.className = 'holds';
  if (r) {
    rows.push(['release.rightHolder', await session.nameOf(r.rightHolder)]);
    if (r.delegatedFrom.length) rows.push(['release.delegatedFrom', (await Promise.all(r.delegatedFrom.map((p) => session.nameOf(p)))).join(' → ')]);
    rows.push(['release.terminal', await session.nameOf(r.terminal)]);
    rows.push(['release.valid', t('release.validRange', { from: time(r.validFromMs), until: time(r.validUntilMs) })]);
    rows.push(['release.charges', r.chargesSettled ? t('release.settled') : t('release.unsettled')]);
    rows.push(['release.holds', r.holds.length ? '' : t('release.noHolds')]);
    for (const hold of r.holds) {
      const li = document.createElement('li');
      li.dataset.hold = String(hold.id);
      const by = await session.nameOf(hold.placedBy);
      li.textContent = t('release.hold', { id: hold.id, authority: named('authority', hold.authority), by, reason: hold.reason, declaration: hold.declarationNumber || '—' });
      holds.append(li);
    }
    if (r.pickup) rows.push(['release.pickup', t('release.pickupValue', { truck: r.pickup.truckPlate, from: time(r.pickup.slotStartMs), until: time(r.pickup.slotEndMs) })]);
    if (r.gateOut) rows.push(['release.gateOut', t('release.gateOutValue', { time: time(r.gateOut.timeMs), truck: r.gateOut.truckPlate, seals: r.gateOut.sealNumbers.join(', ') || '—', condition: named('condition', r.gateOut.condition) })]);
    if (r.emptyReturn) rows.push(['release.emptyReturn', t('release.emptyReturnValue', { time: time(r.emptyReturn.timeMs), notes: r.emptyReturn.damageNotes || '—' })]);
    if (r.revokedReason) rows.push(['release.revoked', r.revokedReason]);
  }
  const dl = document.createElement('dl');
  fillDetails(dl, rows);
  if (holds.children.length) dl.querySelector('dd[data-field="release.holds"]').append(holds);
  card.append(title, dl);
  const actions = actionArea(card, notice);
  renderActions(actions, containerActions(status, session), session, onChange);
  return card;
}
