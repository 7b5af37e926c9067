import { Task } from '@lit/task';
import { html, nothing, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { appOption, counted, type Ok, query, timeAgo } from '../../lib/api.js';
import { HeraldElement } from '../base/herald-element.js';

type App = Ok<'/admin/api/apps'>[number];
type Topics = Ok<'/admin/api/apps/{appId}/topics'>;
type Detail = Ok<'/admin/api/apps/{appId}/topics/{topic}'>;
type Member = Detail['members']['subscribers'][number];
type Change = Ok<'/admin/api/apps/{appId}/topics/{topic}/subscribers', 'post'>;

/** The route's argument for one topic: app id and topic, each encoded, joined by ~ (no topic has one). */
export const topicRoute = (appId: string, topic: string) =>
  `#/topics/${encodeURIComponent(appId)}~${encodeURIComponent(topic)}`;

function parseSelection(arg: string | undefined): { appId: string; topic: string } | undefined {
  const at = arg?.lastIndexOf('~') ?? -1;
  if (!arg || at < 0) return undefined;
  try {
    return { appId: decodeURIComponent(arg.slice(0, at)), topic: decodeURIComponent(arg.slice(at + 1)) };
  } catch {
    return undefined;
  }
}

/** Users typed into a box: separated by commas, spaces or new lines. */
const userIdsOf = (text: string) => [...new Set(text.split(/[\s,]+/).filter(Boolean))];

/** Topics: an app's named groups with their sizes; one topic's members, and (admins) changes to both. */
@customElement('herald-topics')
export class HeraldTopics extends HeraldElement {
  /** `appId~topic` from the route (`topicRoute`), or nothing for the list. */
  @property() accessor selection: string | undefined;
  @state() accessor appId = '';
  @state() accessor namePrefix = '';
  @state() accessor notice = '';
  @state() accessor error = '';
  /** Topics of later pages of the list, after "Load more". */
  @state() accessor moreTopics: Topics['topics'] = [];
  @state() accessor moreTopicsCursor: string | null | undefined;
  /** Members of later pages, after "Load more". */
  @state() accessor more: Member[] = [];
  @state() accessor moreCursor: string | null | undefined;

  private apps = new Task(this, {
    task: async (_args, { signal }) => this.api.get<App[]>('/admin/api/apps', signal),
    args: () => [],
  });

  override willUpdate(changed: PropertyValues<this>): void {
    // A refusal belongs to the page it was made on, not to the next one opened. (A notice may be
    // for the next page: "deleted" is said on the list the deletion returns to.)
    if (changed.has('selection')) this.error = '';
  }

  /** The app the list shows: the one picked, else the first. */
  private get app(): string | undefined {
    return this.appId || this.apps.value?.[0]?.id;
  }

  private list = new Task(this, {
    task: async ([appId, prefix, selected], { signal }) => {
      this.moreTopics = [];
      this.moreTopicsCursor = undefined;
      return appId && !selected
        ? this.api.get<Topics>(
            `/admin/api/apps/${encodeURIComponent(appId)}/topics${query({ prefix, limit: 200 })}`,
            signal,
          )
        : undefined;
    },
    args: () => [this.app, this.namePrefix, this.selection] as const,
  });

  private detail = new Task(this, {
    task: async ([selection], { signal }) => {
      this.more = [];
      this.moreCursor = undefined;
      const s = parseSelection(selection);
      return s ? this.api.get<Detail>(this.path(s), signal) : undefined;
    },
    args: () => [this.selection] as const,
  });

  private path(s: { appId: string; topic: string }, rest = ''): string {
    return `/admin/api/apps/${encodeURIComponent(s.appId)}/topics/${encodeURIComponent(s.topic)}${rest}`;
  }

  /** Runs a change, then shows its outcome (or the server's sentence) and reloads. */
  private async act(work: () => Promise<string>): Promise<void> {
    this.error = '';
    this.notice = '';
    try {
      this.notice = await work();
    } catch (e) {
      this.error = (e as Error).message;
    }
    if (this.selection) this.detail.run();
    else this.list.run();
  }

  private search(event: SubmitEvent): void {
    event.preventDefault();
    const f = new FormData(event.target as HTMLFormElement);
    this.appId = String(f.get('appId') ?? '');
    this.namePrefix = String(f.get('prefix') ?? '');
  }

  private create(event: SubmitEvent): void {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const f = new FormData(form);
    const appId = this.app;
    const topic = String(f.get('topic') ?? '').trim();
    if (!appId || !topic) return;
    void this.act(async () => {
      // Created only: an existing topic (its "public" setting above all) is never changed by this form.
      await this.api.create(this.path({ appId, topic }), { public: f.get('public') === 'on' }, 'PATCH');
      form.reset();
      return `Topic “${topic}” was created.`;
    });
  }

  private change(s: { appId: string; topic: string }, subscribe: boolean, userIds: string[]): void {
    if (userIds.length === 0) {
      this.notice = '';
      this.error = 'Name one or more user ids, separated by commas, spaces or new lines.';
      return;
    }
    void this.act(async () => {
      const r = await this.api.post<Change>(this.path(s, subscribe ? '/subscribers' : '/subscribers/remove'), {
        userIds,
      });
      const verb = subscribe ? 'Added' : 'Removed';
      const unchanged = userIds.length - r.changed;
      return `${verb} ${r.changed} of ${userIds.length}${unchanged ? ` (${unchanged} ${subscribe ? 'already in it' : 'were not in it'})` : ''}; ${counted(r.subscribers, 'subscriber')} now.`;
    });
  }

  private async loadMoreTopics(appId: string, cursor: string): Promise<void> {
    const page = await this.api.get<Topics>(
      `/admin/api/apps/${encodeURIComponent(appId)}/topics${query({ prefix: this.namePrefix, cursor, limit: 200 })}`,
    );
    this.moreTopics = [...this.moreTopics, ...page.topics];
    this.moreTopicsCursor = page.nextCursor;
  }

  private async loadMore(s: { appId: string; topic: string }, cursor: string): Promise<void> {
    const page = await this.api.get<Detail>(this.path(s, query({ cursor })));
    this.more = [...this.more, ...page.members.subscribers];
    this.moreCursor = page.members.nextCursor;
  }

  override render() {
    const selected = parseSelection(this.selection);
    return selected ? this.renderDetail(selected) : this.renderList();
  }

  /** The last change's outcome, or the server's sentence for why it was refused. */
  private messages() {
    return html`${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.notice ? html`<p class="ok" role="status">${this.notice}</p>` : nothing}`;
  }

  private renderList() {
    const apps = this.apps.value ?? [];
    return html`<h1>Topics</h1>
      <form class="row card" role="search" @submit=${this.search}>
        <label>App <select name="appId">${apps.map((a) => html`<option value=${a.id} ?selected=${a.id === this.app}>${appOption(a)}</option>`)}</select></label>
        <label>Name starts with <input name="prefix" type="search" .value=${this.namePrefix} /></label>
        <button type="submit">Show</button>
      </form>
      ${
        this.canAct
          ? html`<form class="row card" style="margin-top:0.75rem" @submit=${this.create} aria-label="New topic">
              <label>New topic <input name="topic" required maxlength="100" placeholder="news, project:42, team/alpha" /></label>
              <label style="display:flex;gap:0.4rem;align-items:center"><input type="checkbox" name="public" /> Users may subscribe themselves</label>
              <button type="submit">Create</button>
            </form>`
          : nothing
      }
      ${this.messages()}
      <p></p>
      ${this.list.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (e) => html`<p class="error" role="alert">${(e as Error).message}</p>`,
        complete: (page) =>
          !page || page.topics.length === 0
            ? html`<p class="empty card">No topics${this.namePrefix ? ` starting with “${this.namePrefix}”` : ' in this app yet: one appears when your backend (or this page) subscribes users to it'}.</p>`
            : html`<div class="table-wrap card"><table>
                <thead><tr><th>Topic</th><th>Subscribers</th><th>Users may join</th><th>Created</th></tr></thead>
                <tbody>${[...page.topics, ...this.moreTopics].map(
                  (t) => html`<tr data-topic=${t.topic}>
                    <td style="word-break:break-all"><a href=${topicRoute(this.app ?? '', t.topic)}>${t.topic}</a></td>
                    <td>${t.subscribers.toLocaleString('en-US')}</td>
                    <td>${t.public ? 'yes (public)' : 'no'}</td><td>${timeAgo(t.createdAt)}</td>
                  </tr>`,
                )}</tbody></table></div>
                ${this.topicsCursor(page) ? html`<p><button type="button" class="secondary" @click=${() => this.loadMoreTopics(this.app ?? '', this.topicsCursor(page) as string)}>Load more</button></p>` : nothing}`,
      })}`;
  }

  /** Where the list's next page starts: after the last page loaded (null at the end). */
  private topicsCursor(first: Topics): string | null {
    return this.moreTopicsCursor === undefined ? first.nextCursor : this.moreTopicsCursor;
  }

  private renderDetail(s: { appId: string; topic: string }) {
    return html`<p><a href="#/topics">← Topics</a></p>
      ${this.detail.render({
        pending: () => html`<p class="muted">Loading…</p>`,
        error: (e) => html`<h1>${s.topic}</h1><p class="error" role="alert">${(e as Error).message}</p>`,
        complete: (d) => {
          if (!d) return nothing;
          const members = [...d.members.subscribers, ...this.more];
          const cursor = this.moreCursor === undefined ? d.members.nextCursor : this.moreCursor;
          return html`<h1 style="word-break:break-all">${d.topic.topic}</h1>
            <p class="muted" data-summary>${counted(d.topic.subscribers, 'subscriber')} · app ${s.appId} ·
              ${d.topic.public ? 'users may subscribe themselves (public)' : 'only your backend, or a token grant, adds users'}</p>
            ${this.canAct ? this.renderActions(s, d) : nothing}
            ${this.messages()}
            <h2>Recent sends</h2>
            ${
              d.recentSends.length === 0
                ? html`<p class="empty card">Nothing was sent to this topic yet.</p>`
                : html`<div class="table-wrap card"><table data-sends>
                    <thead><tr><th>Title</th><th>Status</th><th>For</th><th>Sent</th></tr></thead>
                    <tbody>${d.recentSends.map(
                      (n) => html`<tr><td><a href="#/notifications/${n.id}">${n.title}</a></td><td>${n.status}</td>
                        <td>${counted(n.recipients, 'user')}</td><td>${timeAgo(n.sendAt ?? n.createdAt)}</td></tr>`,
                    )}</tbody></table></div>`
            }
            <h2>Subscribers</h2>
            ${
              members.length === 0
                ? html`<p class="empty card">Nobody is in this topic.</p>`
                : html`<div class="table-wrap card"><table>
                    <thead><tr><th>User</th><th>Since</th>${this.canAct ? html`<th></th>` : nothing}</tr></thead>
                    <tbody>${members.map(
                      (
                        m,
                      ) => html`<tr data-member=${m.userId}><td style="word-break:break-all">${m.userId}</td><td>${timeAgo(m.subscribedAt)}</td>
                        ${this.canAct ? html`<td><button type="button" class="secondary" @click=${() => this.change(s, false, [m.userId])}>Remove</button></td>` : nothing}</tr>`,
                    )}</tbody></table></div>
                  ${cursor ? html`<p><button type="button" class="secondary" @click=${() => this.loadMore(s, cursor)}>Load more</button></p>` : nothing}`
            }`;
        },
      })}`;
  }

  private renderActions(s: { appId: string; topic: string }, d: Detail) {
    const add = (event: SubmitEvent) => {
      event.preventDefault();
      const form = event.target as HTMLFormElement;
      const ids = userIdsOf(String(new FormData(form).get('userIds') ?? ''));
      this.change(s, true, ids);
      form.reset();
    };
    const remove = () => {
      if (!confirm(`Delete topic “${s.topic}” and its ${d.topic.subscribers} subscriptions?`)) return;
      void this.act(async () => {
        await this.api.delete(this.path(s));
        location.hash = '#/topics';
        return `Topic “${s.topic}” was deleted.`;
      });
    };
    return html`<form class="row card" @submit=${add} aria-label="Membership">
        <label>Add users <textarea name="userIds" rows="2" cols="40" placeholder="alice, bob (up to 1,000)"></textarea></label>
        <button type="submit">Add</button>
      </form>
      <p class="row">
        <label style="display:flex;gap:0.4rem;align-items:center"><input type="checkbox" .checked=${d.topic.public}
          @change=${(e: Event) =>
            this.act(async () => {
              const on = (e.target as HTMLInputElement).checked;
              await this.api.patch(this.path(s), { public: on });
              return on
                ? 'Users may now subscribe themselves.'
                : 'Only your backend (or a token grant) adds users now.';
            })} /> Users may subscribe themselves (public)</label>
        <button type="button" class="danger" @click=${remove}>Delete topic</button>
      </p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'herald-topics': HeraldTopics;
  }
}
