import * as path from 'node:path';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { rolloutTimeoutSeconds, type ChartValues } from './chart-values';
import { RELEASE_NAME } from './names';

export interface GatewayReleaseArgs {
  namespace: pulumi.Input<string>;
  /** Output of chartValues(config), passed unchanged but for secrets.checksum. */
  values: ChartValues;
  /** Hash of the gateway Secret's content: becomes the pod annotation checksum/secret, so a rotation rolls the pods. */
  secretChecksum: pulumi.Input<string>;
  /** Seconds a pod may take to drain (the chart's terminationGracePeriodSeconds). */
  drainSeconds: number;
}

export const CHART_PATH = path.join(__dirname, '..', '..', 'helm', 'socket-gateway');

export function withSecretChecksum(values: ChartValues, checksum: string): ChartValues {
  return { ...values, secrets: { ...((values.secrets as Record<string, unknown>) ?? {}), checksum } };
}

/** The gateway's Kubernetes objects, all rendered by the Helm chart (the only place they are written). */
export class GatewayRelease extends pulumi.ComponentResource {
  readonly chart: k8s.helm.v4.Chart;

  constructor(name: string, args: GatewayReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super('socket-gateway:gateway:GatewayRelease', name, {}, opts);
    // The Deployment's own await timeout comes from its pulumi.com/timeoutSeconds annotation
    // (set by chartValues); this bounds the release as a whole.
    const minutes = `${Math.ceil(rolloutTimeoutSeconds(args.drainSeconds) / 60) + 5}m`;
    this.chart = new k8s.helm.v4.Chart(
      `${name}-chart`,
      {
        chart: CHART_PATH,
        name: RELEASE_NAME,
        namespace: args.namespace,
        values: pulumi.output(args.secretChecksum).apply((checksum) => withSecretChecksum(args.values, checksum)),
      },
      { parent: this, customTimeouts: { create: minutes, update: minutes, delete: minutes } },
    );
    this.registerOutputs({ resources: this.chart.resources });
  }
}
