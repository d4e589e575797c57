/**
 * The demo page's script (bundled to /demo/demo-app.js). It uses the SDK bundle exactly as an
 * application would: the global `SocketGateway` from /demo/gateway-client.js.
 */
import type * as Sdk from '../../client/browser';
import type { ChatMessage, PresenceStatus } from '../../contracts/events';
import type { PendingMessage } from '../../client/message-sender';

declare const SocketGateway: typeof Sdk;

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const els = {
  login: $<HTMLFormElement>('login'), token: $<HTMLInputElement>('token'), channel: $<HTMLInputElement>('channel'),
  connect: $<HTMLButtonElement>('connect'), state: $('state'), room: $('room'), messages: $<HTMLUListElement>('messages'),
  typing: $('typing'), composer: $<HTMLFormElement>('composer'), text: $<HTMLInputElement>('text'), send: $<HTMLButtonElement>('send'),
  members: $<HTMLUListElement>('members'),
};

let client: Sdk.GatewayClient | null = null;
let channel = '';
let me = '';
const shown = new Map<number, HTMLLIElement>();
const presence = new Map<string, PresenceStatus>();
const typers = new Map<string, number>();
let lastTypingSent = 0;

// A token can be handed over in the fragment (never sent to the server): /demo#token=...&channel=...
const fragment = new URLSearchParams(location.hash.slice(1));
if (fragment.get('token')) els.token.value = fragment.get('token')!;
if (fragment.get('channel')) els.channel.value = fragment.get('channel')!;

els.login.addEventListener('submit', (ev) => {
  ev.preventDefault();
  void start(els.token.value.trim(), els.channel.value.trim());
});

els.composer.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const text = els.text.value.trim();
  if (!text || !client) return;
  els.text.value = '';
  client.typing(channel, false);
  lastTypingSent = 0;
  client.send(channel, text).catch((err: Error) => notice(`not sent: ${err.message}`));
});

els.text.addEventListener('input', () => {
  if (!client || Date.now() - lastTypingSent < 3000) return;
  lastTypingSent = Date.now();
  client.typing(channel, true);
});

async function start(token: string, channelId: string): Promise<void> {
  client?.close();
  reset(channelId);
  const c = new SocketGateway.GatewayClient({ url: location.origin, getToken: () => token });
  client = c;
  c.on('state', (s) => setState(s));
  c.on('message:new', (m) => m.channelId === channel && showMessage(m));
  c.on('message:updated', (m) => m.channelId === channel && showMessage(m));
  c.on('pending', (list) => showPending(list));
  c.on('channel:member_joined', (e) => e.channelId === channel && setPresence(e.userId, 'online'));
  c.on('channel:member_left', (e) => e.channelId === channel && setPresence(e.userId, 'offline'));
  c.on('presence:changed', (e) => presence.has(e.userId) && setPresence(e.userId, e.status));
  c.on('user:typing', (e) => e.channelId === channel && e.userId !== me && setTyping(e.userId, e.isTyping));
  c.on('gap', (g) => notice(`some messages could not be recovered (${g.reason}); showing what follows seq ${g.resumedAfterSeq}`));
  c.on('error', (err) => console.warn('gateway:', err.code, err.message));
  els.connect.disabled = true;
  try {
    me = (await c.connect()).userId;
    setState(c.state);
    const joined = await c.subscribe(channel);
    for (const u of joined.members) setPresence(u, 'online');
    const recent = await c.history(channel, { limit: 50 });
    for (const m of recent.messages) showMessage(m);
    c.getPresence({ channelId: channel }).then(
      (r) => r.users.forEach((u) => setPresence(u.userId, u.status)),
      () => undefined, // presence may not be enabled on this gateway
    );
    els.text.disabled = els.send.disabled = false;
    els.text.focus();
  } catch (err) {
    notice(`could not connect: ${(err as Error).message}`);
    setState('closed');
  } finally {
    els.connect.disabled = false;
  }
}

function reset(channelId: string): void {
  channel = channelId;
  els.room.textContent = `#${channelId}`;
  els.messages.replaceChildren();
  els.members.replaceChildren();
  shown.clear();
  presence.clear();
  typers.forEach((t) => clearTimeout(t));
  typers.clear();
  renderTyping();
}

function setState(state: string): void {
  els.state.dataset.state = state;
  els.state.textContent = state === 'connected' ? `connected as ${me || '…'}` : state;
}

function line(cls: string, who: string, when: string, text: string): HTMLLIElement {
  const li = document.createElement('li');
  li.className = `msg ${cls}`;
  const w = document.createElement('span');
  w.className = 'who';
  w.textContent = who;
  const t = document.createElement('span');
  t.className = 'when';
  t.textContent = when;
  const body = document.createElement('div');
  body.className = 'text';
  body.textContent = text;
  li.append(w, t, body);
  return li;
}

function showMessage(m: ChatMessage): void {
  const li = line(m.userId === me ? 'mine' : '', m.userId, new Date(m.createdAt).toLocaleTimeString(), m.deleted ? '(deleted)' : m.content);
  li.dataset.seq = String(m.seq);
  const old = shown.get(m.seq);
  if (old) {
    old.replaceWith(li);
  } else {
    // Seq order, whatever order history and live messages arrive in.
    const after = [...shown.keys()].filter((s) => s > m.seq).sort((a, b) => a - b)[0];
    els.messages.insertBefore(li, after !== undefined ? shown.get(after)! : els.messages.querySelector('.pending'));
  }
  shown.set(m.seq, li);
  setTyping(m.userId, false);
  els.messages.scrollTop = els.messages.scrollHeight;
}

function showPending(list: PendingMessage[]): void {
  els.messages.querySelectorAll('.pending').forEach((n) => n.remove());
  for (const p of list) if (p.channelId === channel) els.messages.append(line('mine pending', me, new Date(p.createdAt).toLocaleTimeString(), p.content));
}

function notice(text: string): void {
  const li = document.createElement('li');
  li.className = 'msg notice';
  li.textContent = text;
  els.messages.append(li);
}

function setPresence(userId: string, status: PresenceStatus): void {
  presence.set(userId, status);
  els.members.replaceChildren(
    ...[...presence.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([u, s]) => {
      const li = document.createElement('li');
      const dot = document.createElement('span');
      dot.className = `dot ${s}`;
      const name = document.createElement('span');
      name.textContent = u === me ? `${u} (you)` : u;
      const st = document.createElement('span');
      st.className = 'status';
      st.textContent = s;
      li.append(dot, name, st);
      return li;
    }),
  );
}

function setTyping(userId: string, isTyping: boolean): void {
  clearTimeout(typers.get(userId));
  typers.delete(userId);
  // The gateway sends isTyping: false after 5 s; the local timeout covers a lost one.
  if (isTyping) typers.set(userId, window.setTimeout(() => setTyping(userId, false), 6000));
  renderTyping();
}

function renderTyping(): void {
  const names = [...typers.keys()];
  els.typing.textContent = names.length === 0 ? '' : `${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} typing…`;
}
