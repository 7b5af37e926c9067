/**
 * An optional "soft prompt": a small card explaining why the site wants notifications, shown
 * before the browser's own prompt (which, once denied, is hard for users to undo). "Not now" is
 * remembered for a while. Themable with CSS custom properties on the page
 * (`--herald-accent`, `--herald-bg`, `--herald-fg`, `--herald-radius`, `--herald-font`) and
 * `::part(card | title | text | actions | allow | later)` on the `herald-soft-prompt` element.
 */
import { SafeStore } from './storage.js';

export interface SoftPromptOptions {
  title?: string;
  text?: string;
  allowLabel?: string;
  laterLabel?: string;
  /** After "Not now", do not ask again for this many days (default 7). */
  remindAfterDays?: number;
  /** Where to put the card (default: document.body, fixed at the bottom right). */
  container?: HTMLElement;
}

export type SoftPromptResult = NotificationPermission | 'snoozed' | 'dismissed' | 'unsupported';

const SNOOZE_KEY = 'herald:soft-prompt:snoozed-until';

const STYLE = `
:host { position: fixed; right: 1rem; bottom: 1rem; z-index: 2147483000; max-width: 22rem;
  font: 15px/1.45 var(--herald-font, system-ui, sans-serif); }
:host([inline]) { position: static; }
[part=card] { background: var(--herald-bg, #fff); color: var(--herald-fg, #1d1d28); border-radius: var(--herald-radius, .75rem);
  box-shadow: 0 .5rem 2rem #0003; padding: 1rem 1.1rem; }
[part=title] { margin: 0 0 .25rem; font-weight: 600; }
[part=text] { margin: 0 0 .9rem; }
[part=actions] { display: flex; gap: .5rem; justify-content: flex-end; }
button { font: inherit; border-radius: .5rem; padding: .45rem .9rem; cursor: pointer; border: 1px solid var(--herald-accent, #5b4bdb); }
[part=allow] { background: var(--herald-accent, #5b4bdb); color: #fff; }
[part=later] { background: transparent; color: var(--herald-accent, #5b4bdb); }
button:focus-visible { outline: 3px solid #f5a524; outline-offset: 2px; }
`;

export async function softPrompt(
  options: SoftPromptOptions,
  deps: { N: typeof Notification | null; store: SafeStore; doc?: Document },
): Promise<SoftPromptResult> {
  const { N, store } = deps;
  const doc = deps.doc ?? globalThis.document;
  if (!N || !doc) return 'unsupported';
  if (N.permission !== 'default') return N.permission;
  if (Number(store.get(SNOOZE_KEY) ?? 0) > Date.now()) return 'snoozed';

  const host = doc.createElement('herald-soft-prompt');
  if (options.container) host.setAttribute('inline', '');
  const root = host.attachShadow({ mode: 'open' });
  const style = doc.createElement('style');
  style.textContent = STYLE;
  const card = doc.createElement('div');
  card.setAttribute('part', 'card');
  card.setAttribute('role', 'dialog');
  card.setAttribute('aria-labelledby', 't');
  card.setAttribute('aria-describedby', 'd');
  const el = (tag: string, part: string, text: string) => {
    const e = doc.createElement(tag);
    e.setAttribute('part', part);
    e.textContent = text;
    return e;
  };
  const title = el('p', 'title', options.title ?? 'Get notified?');
  title.id = 't';
  const text = el(
    'p',
    'text',
    options.text ?? 'We can let you know when something needs your attention, even in another tab.',
  );
  text.id = 'd';
  const actions = el('div', 'actions', '');
  const later = el('button', 'later', options.laterLabel ?? 'Not now') as HTMLButtonElement;
  const allow = el('button', 'allow', options.allowLabel ?? 'Allow notifications') as HTMLButtonElement;
  later.type = allow.type = 'button';
  actions.append(later, allow);
  card.append(title, text, actions);
  root.append(style, card);
  (options.container ?? doc.body).append(host);
  allow.focus();

  return new Promise<SoftPromptResult>((resolve) => {
    const done = (result: SoftPromptResult) => {
      host.remove();
      resolve(result);
    };
    const snooze = () => {
      const days = options.remindAfterDays ?? 7;
      store.set(SNOOZE_KEY, String(Date.now() + days * 86_400_000));
      done('snoozed');
    };
    later.addEventListener('click', snooze);
    card.addEventListener('keydown', (e) => {
      if ((e as KeyboardEvent).key === 'Escape') snooze();
    });
    // This click is the user gesture the browser's prompt requires.
    allow.addEventListener('click', () => {
      N.requestPermission().then(done, () => done('dismissed'));
    });
  });
}

/** `softPrompt` with the browser's own Notification and localStorage. */
export function showSoftPrompt(options: SoftPromptOptions = {}): Promise<SoftPromptResult> {
  const N = typeof Notification === 'undefined' ? null : Notification;
  let storage: Storage | null = null;
  try {
    storage = globalThis.localStorage ?? null;
  } catch {
    storage = null;
  }
  return softPrompt(options, { N, store: new SafeStore(storage) });
}
