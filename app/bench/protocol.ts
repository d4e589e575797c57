/**
 * What the benchmark's parent process and its load-generator children say to each other over
 * the fork IPC channel: one request per command, one reply with the same id.
 */
import type { HistogramData } from './histogram';

export type SystemKind = 'gateway' | 'baseline';

export interface GeneratorInit {
  generator: number;
  kind: SystemKind;
  /** one URL per instance; socket i connects to urls[i % urls.length] */
  urls: string[];
  /** global index of this generator's first socket, and how many it owns */
  first: number;
  count: number;
  /** source address of this generator's sockets (spreads ephemeral ports over 127.0.0.x) */
  localAddress: string;
  /** HS256 secret to sign one token per user (gateway only) */
  jwtSecret?: string;
  /**
   * Where sockets go: `alternate` puts socket i on instance i % urls.length; `by-channel` puts
   * every member of fan-out channel c on instance c % urls.length (sockets outside the fan-out
   * alternate), so each instance holds its own share of channels.
   */
  placement: { mode: 'alternate' } | { mode: 'by-channel'; layout: Layout };
}

/** The fan-out layout shared by every generator: socket i < channels*members is in channel floor(i / members). */
export interface Layout {
  channels: number;
  members: number;
}

export type Command =
  | { cmd: 'connect'; ratePerSec: number; timeoutMs: number }
  | { cmd: 'join'; layout: Layout; concurrency: number; timeoutMs: number }
  | { cmd: 'publish'; layout: Layout; phase: number; mode: 'rate' | 'saturate'; ratePerSec: number; window: number; startAt: number; durationMs: number; ackTimeoutMs: number }
  | { cmd: 'counts' }
  | { cmd: 'verify'; phase: number; acked: Record<number, number[]> }
  | { cmd: 'probe'; slots: number[]; channels: number; opsPerSec: number; durationMs: number; timeoutMs: number }
  | { cmd: 'rejoin'; slots: number[]; channels: number; pauseMs: number; durationMs: number; timeoutMs: number }
  | { cmd: 'trim'; keep: number }
  | { cmd: 'arm-storm'; deadInstance: number; deadlineMs: number; backoffBaseMs: number; backoffMaxMs: number }
  | { cmd: 'storm-report'; killAt: number }
  | { cmd: 'close' };

export interface Request { id: number; command: Command }
export interface Reply { id: number; ok: boolean; result?: unknown; error?: string }

export interface ConnectResult { attempted: number; connected: number; failed: number; errors: Record<string, number>; latency: HistogramData; /** connected sockets per instance */ perInstance: number[]; /** event-loop utilization of this generator meanwhile (near 1 = the client side limits) */ elu: number }
export interface JoinResult { attempted: number; joined: number; failed: number; errors: Record<string, number>; latency: HistogramData }
export interface PublishResult {
  sent: number;
  acked: number;
  failed: number;
  errors: Record<string, number>;
  ackLatency: HistogramData;
  /** acked seqs per channel index */
  ackedSeqs: Record<number, number[]>;
  elapsedMs: number;
  elu: number;
}
export interface CountsResult { received: number; unexpectedDisconnects: number }
export interface VerifyResult { expected: number; delivered: number; lost: number; duplicated: number; misrouted: number; latency: HistogramData }
export interface ProbeResult { join: HistogramData; presence: HistogramData; failed: number; errors: Record<string, number> }
/** Reconnect-and-rejoin cycles: time from the reconnected socket being usable until all its channels are rejoined. */
export interface RejoinResult { cycles: number; rejoin: HistogramData; reconnect: HistogramData; failed: number; errors: Record<string, number> }
export interface StormReport { armed: number; back: number; attempts: number; failedAttempts: number; errors: Record<string, number>; backAfterMs: number[] }
