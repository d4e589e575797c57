import { ALERTMANAGER_CONFIG, AlertmanagerServer, runAmtool, type AmAlert } from './lib/alertmanager';
import { alertingRules } from './lib/rules';

/** Representative alerts and the receiver each must reach (alerts/README.md, "Routing and inhibition"). */
const ROUTES: Array<[string, Record<string, string>, string]> = [
  ['a critical page in production', { alertname: 'SocketGatewayRedisDown', severity: 'critical', namespace: 'socket-gateway', pod: 'socket-gateway-0' }, 'socket-gateway-pager'],
  ['a fast burn in production', { alertname: 'SocketGatewayMessageErrorBudgetBurn', severity: 'critical', namespace: 'prod', long: '1h', short: '5m' }, 'socket-gateway-pager'],
  ['a slow burn (ticket)', { alertname: 'SocketGatewayMessageErrorBudgetBurn', severity: 'warning', namespace: 'prod', long: '1d', short: '2h' }, 'socket-gateway-tickets'],
  ['a warning in production', { alertname: 'SocketGatewayWebhookDeadLetters', severity: 'warning', namespace: 'prod' }, 'socket-gateway-tickets'],
  ['a critical alert in staging', { alertname: 'SocketGatewayDown', severity: 'critical', namespace: 'staging' }, 'socket-gateway-tickets'],
  ['a critical alert in a -dev namespace', { alertname: 'SocketGatewayRedisNoPrimary', severity: 'critical', namespace: 'chat-dev' }, 'socket-gateway-tickets'],
  ['a critical alert whose namespace only contains "dev"', { alertname: 'SocketGatewayRedisNoPrimary', severity: 'critical', namespace: 'devices' }, 'socket-gateway-pager'],
  ['SocketGatewayDown without a namespace label', { alertname: 'SocketGatewayDown', severity: 'critical', job: 'socket-gateway' }, 'socket-gateway-pager'],
  ['an info alert', { alertname: 'SocketGatewayExample', severity: 'info', namespace: 'prod' }, 'socket-gateway-null'],
];

const labelArgs = (labels: Record<string, string>) => Object.entries(labels).map(([k, v]) => `${k}=${v}`);

describe('alertmanager.yaml', () => {
  it('should pass amtool check-config', () => {
    const res = runAmtool(['check-config', ALERTMANAGER_CONFIG]);
    expect(res.output).toContain('SUCCESS');
    expect(res.status).toBe(0);
  });

  it.each(ROUTES)('should route %s to its receiver (amtool config routes test)', (_what, labels, receiver) => {
    const res = runAmtool(['config', 'routes', 'test', `--config.file=${ALERTMANAGER_CONFIG}`, `--verify.receivers=${receiver}`, ...labelArgs(labels)]);
    expect({ receiver: res.stdout.trim(), status: res.status }).toEqual({ receiver, status: 0 });
  });

  it('should page every critical rule and ticket every warning rule of alerts/ in production', () => {
    const wrong = alertingRules()
      .map((r) => {
        const receiver = r.labels.severity === 'critical' ? 'socket-gateway-pager' : 'socket-gateway-tickets';
        const res = runAmtool(['config', 'routes', 'test', `--config.file=${ALERTMANAGER_CONFIG}`, `--verify.receivers=${receiver}`, `alertname=${r.alert}`, `severity=${r.labels.severity}`, 'namespace=prod']);
        return res.status === 0 ? null : `${r.alert} (${r.labels.severity}): ${res.output.trim()}`;
      })
      .filter(Boolean);
    expect(wrong).toEqual([]);
  });
});

describe('alertmanager.yaml inhibition in a real Alertmanager', () => {
  let am: AlertmanagerServer;
  beforeAll(async () => {
    am = await AlertmanagerServer.start();
  }, 30_000);
  afterAll(async () => {
    await am?.stop();
  });

  const find = (alerts: AmAlert[], labels: Record<string, string>) =>
    alerts.find((a) => Object.entries(labels).every(([k, v]) => a.labels[k] === v));

  it('should inhibit warnings under criticals, the 6h tier under the 1h tier, and downstream alerts under RedisDown and SocketGatewayDown of their namespace', async () => {
    const prod = { namespace: 'prod', job: 'socket-gateway' };
    const sent = {
      nearLimitCritical: { alertname: 'SocketGatewayConnectionsNearLimit', severity: 'critical', pod: 'gw-a', ...prod },
      nearLimitWarning: { alertname: 'SocketGatewayConnectionsNearLimit', severity: 'warning', pod: 'gw-a', ...prod },
      // Burn tiers in a namespace whose Redis is fine (RedisDown in prod inhibits prod's burn pages).
      burn1h: { alertname: 'SocketGatewayMessageErrorBudgetBurn', severity: 'critical', long: '1h', short: '5m', namespace: 'chat', job: 'socket-gateway' },
      burn6h: { alertname: 'SocketGatewayMessageErrorBudgetBurn', severity: 'critical', long: '6h', short: '30m', namespace: 'chat', job: 'socket-gateway' },
      burnProd: { alertname: 'SocketGatewayConnectionErrorBudgetBurn', severity: 'critical', long: '1h', short: '5m', ...prod },
      redisDown: { alertname: 'SocketGatewayRedisDown', severity: 'critical', pod: 'gw-b', ...prod },
      eventErrors: { alertname: 'SocketGatewayEventErrorsHigh', severity: 'warning', ...prod },
      // Another namespace's downstream alert is a different incident.
      otherNamespace: { alertname: 'SocketGatewayEventErrorsHigh', severity: 'warning', namespace: 'other', job: 'socket-gateway' },
      redisEvicting: { alertname: 'SocketGatewayRedisEvictingKeys', severity: 'critical', namespace: 'prod', job: 'socket-gateway-redis', pod: 'redis-0' },
    };
    await am.post(Object.values(sent));
    // Inhibition is computed when alerts are listed; wait until all of them are processed.
    let alerts: AmAlert[] = [];
    const deadline = Date.now() + 15_000;
    do {
      alerts = await am.alerts();
      if (alerts.length === Object.keys(sent).length && alerts.every((a) => a.status.state !== 'unprocessed')) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    const state = Object.fromEntries(Object.entries(sent).map(([k, labels]) => [k, find(alerts, labels)?.status.state]));
    expect(state).toEqual({
      nearLimitCritical: 'active',
      nearLimitWarning: 'suppressed',
      burn1h: 'active',
      burn6h: 'suppressed',
      redisDown: 'active',
      burnProd: 'suppressed',
      eventErrors: 'suppressed',
      otherNamespace: 'active',
      redisEvicting: 'active',
    });

    // With no gateway up in prod, prod's gateway-side alerts are quiet except Redis's own; another
    // namespace's are a different incident.
    await am.post([{ alertname: 'SocketGatewayDown', severity: 'critical', job: 'socket-gateway', namespace: 'prod' }]);
    const deadline2 = Date.now() + 15_000;
    do {
      alerts = await am.alerts();
      if (find(alerts, sent.redisDown)?.status.state === 'suppressed') break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline2);
    expect(find(alerts, sent.redisDown)?.status.state).toBe('suppressed');
    expect(find(alerts, sent.otherNamespace)?.status.state).toBe('active');
    expect(find(alerts, sent.redisEvicting)?.status.state).toBe('active');
    expect(find(alerts, { alertname: 'SocketGatewayDown' })?.status.state).toBe('active');
  }, 45_000);

  it('should group RedisDown of every pod, and every burn-rate tier of one SLO, into one notification per namespace', async () => {
    const group = { namespace: 'grouping', job: 'socket-gateway', severity: 'critical' };
    const sent = [
      ...['gw-0', 'gw-1', 'gw-2'].map((pod) => ({ alertname: 'SocketGatewayRedisDown', pod, ...group })),
      { alertname: 'SocketGatewayMessageErrorBudgetBurn', long: '1h', short: '5m', ...group },
      { alertname: 'SocketGatewayMessageErrorBudgetBurn', long: '6h', short: '30m', ...group },
      // Another namespace is another incident: its own group.
      { alertname: 'SocketGatewayRedisDown', pod: 'gw-0', namespace: 'grouping-other', job: 'socket-gateway', severity: 'critical' },
    ];
    await am.post(sent);
    type Groups = Awaited<ReturnType<AlertmanagerServer['groups']>>;
    let groups: Groups = [];
    const deadline = Date.now() + 15_000;
    const ours = (g: Groups) => g.filter((x) => x.labels.namespace?.startsWith('grouping'));
    do {
      groups = ours(await am.groups());
      if (groups.reduce((n, g) => n + g.alerts.length, 0) === sent.length) break;
      await new Promise((r) => setTimeout(r, 100));
    } while (Date.now() < deadline);
    const shape = groups
      .map((g) => ({ labels: g.labels, receiver: g.receiver.name, alerts: g.alerts.length }))
      .sort((a, b) => `${a.labels.namespace} ${a.labels.alertname}`.localeCompare(`${b.labels.namespace} ${b.labels.alertname}`));
    expect(shape).toEqual([
      { labels: { alertname: 'SocketGatewayMessageErrorBudgetBurn', namespace: 'grouping' }, receiver: 'socket-gateway-pager', alerts: 2 },
      { labels: { alertname: 'SocketGatewayRedisDown', namespace: 'grouping' }, receiver: 'socket-gateway-pager', alerts: 3 },
      { labels: { alertname: 'SocketGatewayRedisDown', namespace: 'grouping-other' }, receiver: 'socket-gateway-pager', alerts: 1 },
    ]);
  }, 30_000);
});
