/**
 * The inbox widget's preferences view: a mode per category and per topic, and quiet hours. Each
 * control saves on change, sending only its own key (`preferences.set`); a refusal puts the
 * control back and says why in the status line.
 */
import { DELIVERY_MODES, type DeliveryMode, own, type PreferencesPatch, type QuietHours } from '@herald/protocol';
import type { HeraldClient, PreferencesState } from './client.js';

const LABELS: Record<DeliveryMode, string> = { popup: 'Popup', inbox: 'Inbox only', off: 'Off' };
/** The quiet hours offered to a user who has none yet. */
const NIGHT = { start: '22:00', end: '07:00' };

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

export class PreferencesPanel {
  private _box: HTMLElement;
  private _status: HTMLElement;
  private _client: () => HeraldClient | undefined;
  /** The preferences as the server last told them: what a refused change goes back to. */
  private _state: PreferencesState | undefined;
  /** Put each control back to `_state`. */
  private _fills: Array<() => void> = [];
  /** Numbers the loads and saves: only the latest one speaks in the status line. */
  private _turn = 0;

  /** Renders into `box`, and speaks through `status` (a `role="status"` element). */
  constructor(box: HTMLElement, status: HTMLElement, client: () => HeraldClient | undefined) {
    this._box = box;
    this._status = status;
    this._client = client;
  }

  /** Fetches the preferences, the categories and the user's topics, and renders them. */
  async load(): Promise<void> {
    const turn = ++this._turn;
    const client = this._client();
    this._say('Loading…');
    try {
      if (!client) throw new Error('Not connected.');
      const [state, topics] = await Promise.all([client.preferences.get(), client.topics()]);
      if (turn !== this._turn) return;
      this._state = state;
      this._render(state, topics);
      this._say('');
    } catch (error) {
      if (turn === this._turn) this._say(`Could not load your preferences. ${(error as Error).message}`, true);
    }
  }

  private _say(text: string, error = false): void {
    this._status.textContent = text;
    this._status.toggleAttribute('data-error', error);
  }

  private async _save(patch: PreferencesPatch): Promise<void> {
    const turn = ++this._turn;
    const client = this._client();
    this._say('Saving…');
    try {
      if (!client) throw new Error('Not connected.');
      this._state = await client.preferences.set(patch);
      if (turn === this._turn) this._say('Saved.');
    } catch (error) {
      for (const fill of this._fills) fill();
      if (turn === this._turn) this._say(`Not saved. ${(error as Error).message}`, true);
    }
  }

  private _render({ categories }: PreferencesState, topics: string[]): void {
    this._fills = [];
    const groups: HTMLElement[] = [];
    if (categories.length)
      groups.push(
        el(
          'fieldset',
          { part: 'categories' },
          el('legend', {}, 'Categories'),
          ...categories.map((c, i) =>
            this._row(
              `hc${i}`,
              c.name,
              c.description,
              c.required,
              (s) => {
                const mode = own(s.preferences.categories, c.key) ?? c.defaultMode;
                // A required category never ends `off`: it counts as the inbox.
                return c.required && mode === 'off' ? 'inbox' : mode;
              },
              (mode) => ({ categories: { [c.key]: mode } }),
            ),
          ),
        ),
      );
    if (topics.length)
      groups.push(
        el(
          'fieldset',
          { part: 'topics' },
          el('legend', {}, 'Topics'),
          ...topics.map((topic, i) =>
            this._row(
              `ht${i}`,
              topic,
              null,
              false,
              (s) => own(s.preferences.topics, topic) ?? 'popup',
              (mode) => ({ topics: { [topic]: mode } }),
            ),
          ),
        ),
      );
    groups.push(this._quietHours());
    this._box.replaceChildren(...groups);
    for (const fill of this._fills) fill();
  }

  /** One labelled mode select. */
  private _row(
    id: string,
    name: string,
    description: string | null,
    required: boolean,
    mode: (state: PreferencesState) => DeliveryMode,
    patch: (mode: DeliveryMode) => PreferencesPatch,
  ): HTMLElement {
    const select = el('select', { id });
    for (const m of DELIVERY_MODES) {
      const option = el('option', { value: m }, LABELS[m]);
      option.disabled = required && m === 'off';
      select.append(option);
    }
    const notes: HTMLElement[] = [];
    if (description) notes.push(el('span', { part: 'pref-description', id: `${id}d` }, description));
    if (required) notes.push(el('span', { part: 'pref-required', id: `${id}r` }, 'Required: cannot be turned off'));
    if (notes.length) select.setAttribute('aria-describedby', notes.map((n) => n.id).join(' '));
    select.addEventListener('change', () => void this._save(patch(select.value as DeliveryMode)));
    this._fills.push(() => {
      if (this._state) select.value = mode(this._state);
    });
    return el('div', { part: 'pref' }, el('label', { for: id, part: 'pref-name' }, name), select, ...notes);
  }

  private _quietHours(): HTMLElement {
    const on = el('input', { type: 'checkbox', id: 'hq' });
    const start = el('input', { type: 'time', id: 'hqs', required: '' });
    const end = el('input', { type: 'time', id: 'hqe', required: '' });
    const zone = el('select', { id: 'hqz' });
    const known = new Set<string>();
    const addZone = (z: string) => {
      if (known.has(z)) return;
      known.add(z);
      zone.append(el('option', { value: z }, z));
    };
    // The browser's own zone first: the likely choice.
    const here = Intl.DateTimeFormat().resolvedOptions().timeZone;
    for (const z of [here, ...(Intl.supportedValuesOf?.('timeZone') ?? [])]) addZone(z);
    start.value = NIGHT.start;
    end.value = NIGHT.end;
    zone.value = here;
    const controls = [start, end, zone];
    const enable = () => {
      for (const c of controls) c.disabled = !on.checked;
    };
    this._fills.push(() => {
      const quiet = this._state?.preferences.quietHours;
      on.checked = Boolean(quiet);
      if (quiet) {
        addZone(quiet.timeZone);
        start.value = quiet.start;
        end.value = quiet.end;
        zone.value = quiet.timeZone;
      }
      enable();
    });
    const save = () => {
      enable();
      if (!on.checked) return void this._save({ quietHours: null });
      if (!start.value || !end.value) return this._say('Choose when quiet hours start and end.', true);
      // (A time input may say seconds, `HH:MM:SS`; the contract takes `HH:MM`.)
      const quietHours: QuietHours = {
        start: start.value.slice(0, 5),
        end: end.value.slice(0, 5),
        timeZone: zone.value,
      };
      void this._save({ quietHours });
    };
    for (const c of [on, ...controls]) c.addEventListener('change', save);
    return el(
      'fieldset',
      { part: 'quiet-hours' },
      el('legend', {}, 'Quiet hours'),
      el(
        'div',
        { part: 'quiet-toggle' },
        on,
        el('label', { for: 'hq' }, 'Pause popups (notifications wait in the inbox)'),
      ),
      el(
        'div',
        { part: 'quiet-times' },
        el('label', { for: 'hqs' }, 'From'),
        start,
        el('label', { for: 'hqe' }, 'to'),
        end,
      ),
      el('div', { part: 'quiet-zone' }, el('label', { for: 'hqz' }, 'Time zone'), zone),
    );
  }
}
