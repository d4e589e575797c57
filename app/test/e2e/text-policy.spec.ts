/**
 * The text content policy (issue 17, point 11): control characters other than newline and tab,
 * and bidi override characters, are refused with INVALID_PAYLOAD on every path that takes text;
 * ordinary multilingual text passes unchanged.
 */
import { startTestGateway } from '../support/gateway';
import { call, closeAll, connect, next } from '../support/clients';
import { signToken } from '../support/tokens';

const API_KEY = 'text-policy-api-key-0123456789ab';
const REFUSED: Array<[string, string]> = [
  ['NUL', 'before\u0000after'],
  ['an ANSI escape', '\u001b[31mred\u001b[0m'],
  ['a carriage return', 'line\rover'],
  ['DEL', 'x\u007fy'],
  ['a C1 control (CSI)', 'x\u009b31m'],
  ['RIGHT-TO-LEFT OVERRIDE', 'invoice\u202Efdp.exe'],
  ['LEFT-TO-RIGHT EMBEDDING', '\u202Aembedded'],
  ['a bidi isolate', '\u2067isolated\u2069'],
];

describe('text content policy', () => {
  let gw: Awaited<ReturnType<typeof startTestGateway>>;
  beforeAll(async () => { gw = await startTestGateway({ API_KEYS: API_KEY, RATE_LIMIT_MESSAGE_SEND: '1000', RATE_LIMIT_DEFAULT: '1000' }); });
  afterEach(() => closeAll());
  afterAll(async () => gw.close());

  it.each(REFUSED)('should refuse %s in message:send, message:edit and the HTTP publish', async (_what, text) => {
    const s = await connect(gw.url, await signToken({ sub: 'writer' }));
    expect((await call(s, 'channel:join', { channelId: 'text' })).ok).toBe(true);
    const send = await call(s, 'message:send', { channelId: 'text', content: text, clientMsgId: `bad-${Math.random().toString(36).slice(2, 10)}` });
    expect(send).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD', message: expect.stringContaining('control characters') } });
    const sent = await call(s, 'message:send', { channelId: 'text', content: 'plain', clientMsgId: `ok-${Math.random().toString(36).slice(2, 10)}` });
    expect(await call(s, 'message:edit', { channelId: 'text', messageId: sent.messageId, content: text })).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
    const res = await fetch(`${gw.url}/api/v1/channels/text/messages`, {
      method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ content: text }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ ok: false, error: { code: 'INVALID_PAYLOAD' } });
  });

  it('should relay newlines, tabs, right-to-left scripts and emoji sequences exactly as sent', async () => {
    const sender = await connect(gw.url, await signToken({ sub: 'poly' }));
    const reader = await connect(gw.url, await signToken({ sub: 'glot' }));
    for (const s of [sender, reader]) expect((await call(s, 'channel:join', { channelId: 'text-ok' })).ok).toBe(true);
    const content = 'line one\n\tindented — مرحبا بالعالم שלום 👩‍💻 ünïcødé';
    const got = next<{ content: string }>(reader, 'message:new');
    expect((await call(sender, 'message:send', { channelId: 'text-ok', content, clientMsgId: 'poly-ok-1' })).ok).toBe(true);
    expect((await got).content).toBe(content);
  });
});
