/**
 * The demo page (bundled to /demo/demo-app.js by scripts/build-sdk-bundle.js): a small React app
 * on @socket-gateway/react, written the way an application would use it.
 */
import type { ChatMessage, PresenceStatus } from '@socket-gateway/client';
import {
  GatewayProvider, useChannel, useConnectionState, useGatewayClient, usePresence, useTyping,
} from '@socket-gateway/react';
import { StrictMode, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';

interface Session {
  token: string;
  channel: string;
}

// A token can be handed over in the fragment (never sent to the server): /demo#token=...&channel=...
const fragment = new URLSearchParams(location.hash.slice(1));

function App() {
  const [session, setSession] = useState<Session | null>(null);
  const login = <Login initial={session} onSubmit={setSession} />;
  if (!session) return <Layout state="idle" label="not connected" login={login} />;
  return (
    // A new token or channel is a new provider, so a new client.
    <GatewayProvider key={`${session.token}\u0000${session.channel}`} options={{ url: location.origin, getToken: () => session.token }}>
      <Chat session={session} login={login} />
    </GatewayProvider>
  );
}

function Login({ initial, onSubmit }: { initial: Session | null; onSubmit: (s: Session) => void }) {
  const [token, setToken] = useState(initial?.token ?? fragment.get('token') ?? '');
  const [channel, setChannel] = useState(initial?.channel ?? fragment.get('channel') ?? 'general');
  const submit = (ev: FormEvent) => {
    ev.preventDefault();
    onSubmit({ token: token.trim(), channel: channel.trim() });
  };
  return (
    <form id="login" onSubmit={submit}>
      <label>Token <input id="token" type="password" autoComplete="off" placeholder="paste a token printed by make run" required value={token} onChange={(e) => setToken(e.target.value)} /></label>
      <label>Channel <input id="channel" required maxLength={128} value={channel} onChange={(e) => setChannel(e.target.value)} /></label>
      <button id="connect" type="submit">Connect</button>
    </form>
  );
}

function Layout({ state, label, login, children }: { state: string; label: string; login: ReactNode; children?: ReactNode }) {
  return (
    <>
      <header>
        <h1>Socket Gateway</h1><span className="note">demo page (DEMO_PAGE=true, local only)</span>
        <span id="state" data-state={state}>{label}</span>
      </header>
      {login}
      <main>{children ?? <section aria-label="messages"><h2 id="room">No channel</h2></section>}</main>
    </>
  );
}

function Chat({ session, login }: { session: Session; login: ReactNode }) {
  const client = useGatewayClient();
  const state = useConnectionState();
  const channel = useChannel(session.channel);
  const presence = usePresence(session.channel);
  const { typing, setTyping } = useTyping(session.channel);
  const [text, setText] = useState('');
  const [notices, setNotices] = useState<string[]>([]);
  const list = useRef<HTMLUListElement>(null);
  const me = client.connection?.userId ?? '';

  useEffect(() => {
    const g = channel.gap;
    if (g) setNotices((n) => [...n, `some messages could not be recovered (${g.reason}); showing what follows seq ${g.resumedAfterSeq}`]);
  }, [channel.gap]);
  useEffect(() => {
    list.current?.scrollTo(0, list.current.scrollHeight);
  }, [channel.messages, channel.pending]);

  const send = (ev: FormEvent) => {
    ev.preventDefault();
    const content = text.trim();
    if (!content) return;
    setText('');
    setTyping(false);
    channel.send(content).catch((err: Error) => setNotices((n) => [...n, `not sent: ${err.message}`]));
  };
  const edit = (value: string) => {
    setText(value);
    if (value) setTyping(true);
  };
  const label = state === 'connected' ? `connected as ${me}` : state;
  // Writing is allowed once joined, and stays allowed offline: sends wait in the outbox.
  const ready = channel.status !== 'idle' && channel.status !== 'failed';

  return (
    <Layout state={state} label={label} login={login}>
      <section aria-label="messages">
        <h2 id="room">#{session.channel}</h2>
        <ul id="messages" ref={list}>
          {channel.messages.map((m) => <Message key={m.seq} m={m} mine={m.userId === me} />)}
          {channel.pending.map((p) => (
            <li key={p.clientMsgId} className="msg mine pending"><span className="who">{me}</span><span className="when">{time(p.createdAt)}</span><div className="text">{p.content}</div></li>
          ))}
          {notices.map((n, i) => <li key={`n${i}`} className="msg notice">{n}</li>)}
        </ul>
        <div id="typing" aria-live="polite">{typing.length === 0 ? '' : `${typing.join(', ')} ${typing.length === 1 ? 'is' : 'are'} typing…`}</div>
        <form id="composer" onSubmit={send}>
          <input id="text" placeholder="Write a message" autoComplete="off" maxLength={4000} disabled={!ready} value={text} onChange={(e) => edit(e.target.value)} />
          <button id="send" type="submit" disabled={!ready}>Send</button>
        </form>
      </section>
      <aside aria-label="members">
        <h2>Members <StatusPicker /></h2>
        <ul id="members">
          {[...channel.members].sort().map((u) => {
            const status: PresenceStatus = presence[u]?.status ?? 'online';
            return (
              <li key={u} data-user={u} data-status={status}>
                <span className={`dot ${status}`} /><span>{u === me ? `${u} (you)` : u}</span><span className="status">{status}</span>
              </li>
            );
          })}
        </ul>
      </aside>
    </Layout>
  );
}

function StatusPicker() {
  const client = useGatewayClient();
  const [status, setStatus] = useState<'online' | 'away' | 'dnd'>('online');
  const pick = (value: 'online' | 'away' | 'dnd') => {
    setStatus(value);
    // The picker shows the choice at once; a refused update (offline, rate limited) is retried by the next pick.
    client.setPresence(value).catch(() => undefined);
  };
  return (
    <select id="status" aria-label="my status" value={status} onChange={(e) => pick(e.target.value as 'online' | 'away' | 'dnd')}>
      <option value="online">online</option><option value="away">away</option><option value="dnd">dnd</option>
    </select>
  );
}

function Message({ m, mine }: { m: ChatMessage; mine: boolean }) {
  return (
    <li className={`msg${mine ? ' mine' : ''}`} data-seq={m.seq}>
      <span className="who">{m.userId}</span><span className="when">{time(m.createdAt)}</span>
      <div className="text">{m.deleted ? '(deleted)' : m.content}</div>
    </li>
  );
}

function time(at: string | number): string {
  return new Date(at).toLocaleTimeString();
}

createRoot(document.getElementById('root')!).render(<StrictMode><App /></StrictMode>);
