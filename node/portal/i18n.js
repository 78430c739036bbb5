// Every text the portal shows, by language. Add a language by adding a table with the same
// keys (for example `zh` for Chinese); `t` falls back to English for a missing key.
const TEXTS = {
  en: {
    'app.title': 'eBL Ledger',
    'app.tagline': 'Electronic bills of lading on a shared, signed ledger',
    'nav.verify': 'Verify',
    'nav.network': 'Network',
    'nav.mine': 'My bills of lading',
    'mine.heading': 'My bills of lading',
    'mine.keyIntro': 'Sign in with your party key (a PKCS#8 PEM file, as `ebl keygen` writes it). The key stays in this browser tab: it is never uploaded or stored, and signs each request here.',
    'mine.keyFile': 'Party key (PEM file)',
    'mine.signIn': 'Sign in',
    'mine.signOut': 'Sign out',
    'mine.signedInAs': 'Signed in as {name} ({party})',
    'mine.notRegistered': 'This key is not a registered party of this ledger ({party}).',
    'mine.badKey': 'This file is not an ed25519 private key in PKCS#8 PEM form: {message}',
    'mine.empty': 'No bill of lading names you yet.',
    'mine.loading': 'Reading your bills of lading…',
    'mine.youPossess': 'you hold it',
    'mine.youEndorsee': 'you are its endorsee',
    'mine.youIssued': 'you issued it',
    'mine.youLien': 'you hold a lien on it',
    'mine.youShipper': 'you are its shipper',
    'mine.youConsignee': 'you are its consignee',
    'mine.possessor': 'Possessor',
    'mine.timeline': 'History',
    'mine.entry': 'block {height} · {time} · {action} by {actor}',
    'verify.heading': 'Verify a bill of lading',
    'verify.intro': 'Check a transport document against the ledger. The document stays in your browser: only its checksum is sent.',
    'verify.carrier': 'Issuing carrier',
    'verify.reference': 'Transport document reference',
    'verify.document': 'DCSA transport document (JSON file)',
    'verify.submit': 'Verify',
    'verify.working': 'Checking…',
    'verify.noCarriers': 'No carrier is registered on this ledger.',
    'verify.missing': 'Choose the carrier, enter the reference and choose the document file.',
    'verify.notJson': 'This file is not a JSON document, so it cannot be a DCSA transport document.',
    'verify.referenceDiffers': 'The document names reference {doc}, not {entered}.',
    'outcome.VERIFIED': 'VERIFIED: this document is the bill of lading on the ledger, and it is live.',
    'outcome.MISMATCH': 'NOT THE LEDGER\'S DOCUMENT: this file differs from the bill of lading recorded under this reference. Do not rely on it.',
    'outcome.UNKNOWN': 'UNKNOWN: no bill of lading with this reference from this carrier is on the ledger.',
    'outcome.SURRENDERED': 'SURRENDERED: this bill of lading was surrendered for delivery; it no longer carries title.',
    'outcome.VOID': 'VOID: this bill of lading was voided; it carries no title.',
    'outcome.PAPER': 'SWITCHED TO PAPER: this electronic bill of lading was replaced by a paper one.',
    'outcome.ERROR': 'The node could not answer: {message}',
    'field.status': 'Status',
    'field.carrier': 'Issuing carrier',
    'field.possessor': 'Current possessor',
    'field.endorsee': 'Endorsee',
    'field.endorseeBlank': 'none (endorsed in blank)',
    'field.lien': 'Lien',
    'field.lienActive': 'active: a bank holds a lien on this bill of lading',
    'field.lienNone': 'none',
    'field.updated': 'Last change',
    'field.updatedAt': 'block {height}, {time}',
    'field.checksum': 'Document checksum (SHA-256, RFC 8785)',
    'field.blId': 'Ledger id',
    'field.height': 'Answer as of block',
    'network.heading': 'Network',
    'network.chain': 'Chain',
    'network.height': 'Height',
    'network.time': 'Last block time',
    'network.mempool': 'Transactions waiting',
    'network.validators': 'Validators',
    'network.recent': 'Recent blocks',
    'network.rate': 'Commit rate',
    'network.rateValue': '{rate} transactions per second over the last {blocks} blocks',
    'network.block': 'Block',
    'network.blockTime': 'Time',
    'network.proposed': 'proposed block {height}',
    'network.silent': 'no block among the last {count}',
    'network.power': 'voting power {power}',
    'network.txs': 'Transactions',
    'network.refused': 'Refused',
    'network.unreachable': 'The node does not answer.',
    'common.unknownName': 'unregistered party',
  },
};

let language = 'en';

/** Chooses the language (falls back to English when no table exists for it). */
export function setLanguage(lang) {
  language = TEXTS[lang] ? lang : 'en';
  document.documentElement.lang = language;
}

/** The text for `key`, with `{name}` placeholders filled from `values`. */
export function t(key, values = {}) {
  const text = (TEXTS[language] && TEXTS[language][key]) || TEXTS.en[key] || key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}

/** Fills every element carrying `data-i18n` with its text. */
export function translatePage(root = document) {
  for (const el of root.querySelectorAll('[data-i18n]')) {
    el.textContent = t(el.dataset.i18n);
  }
}
