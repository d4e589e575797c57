import * as path from 'node:path';
import * as k8s from '@pulumi/kubernetes';
import * as pulumi from '@pulumi/pulumi';
import { rolloutTimeoutSeconds, type ChartValues } from './chart-values';
import { RELEASE_NAME } from './names';

export interface GatewayReleaseArgs {
  namespace: pulumi.Input<string>;
  /** Output of chartValues(config), passed unchanged. */
  values: ChartValues;
  /** Seconds a pod may take to drain (the chart's terminationGracePeriodSeconds). */
  drainSeconds: number;
}

export const CHART_PATH = path.join(__dirname, '..', '..', 'helm', 'socket-gateway');

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
      { chart: CHART_PATH, name: RELEASE_NAME, namespace: args.namespace, values: args.values },
      { parent: this, customTimeouts: { create: minutes, update: minutes, delete: minutes } },
    );
    this.registerOutputs({ resources: this.chart.resources });
  }
}
