import { isSecretValue, reveal, runProgram } from './test/program';

// The other way to name the cluster: a kubeconfig held as a stack secret, with no context key.
describe('Pulumi program with the kubeconfig secret instead of a context', () => {
  it('should build the one provider from the kubeconfig, kept secret, with server-side apply', async () => {
    const kubeconfig = 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n# kubeconfig-marker-7f3a\n';
    const { resources } = await runProgram(
      'prod',
      { jwtSecret: 'prod-jwt-secret-0123456789abcdefghijklmnop', apiKeys: 'prod-api-key-0123456789', redisUrl: 'rediss://:pw@redis.prod.internal:6380/0', kubeconfig },
      { context: undefined },
    );
    const providers = resources.filter((r) => r.type === 'pulumi:providers:kubernetes');
    expect(providers).toHaveLength(1);
    expect(providers[0].inputs).not.toHaveProperty('context');
    expect(isSecretValue(providers[0].inputs.kubeconfig)).toBe(true);
    expect(reveal(providers[0].inputs.kubeconfig)).toBe(kubeconfig);
    expect(providers[0].inputs.enableServerSideApply).toBe('true');
    const others = resources.filter((r) => r.type !== 'pulumi:providers:kubernetes');
    expect(JSON.stringify(others.map((r) => reveal(r.inputs)))).not.toContain('kubeconfig-marker-7f3a');
    for (const r of resources.filter((x) => x.type.startsWith('kubernetes:'))) expect(`${r.name}: ${r.provider}`).toMatch(/::socket-gateway-provider::/);
  }, 60_000);
});
