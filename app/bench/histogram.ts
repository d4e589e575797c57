/**
 * A latency histogram with logarithmic buckets (1% wide, from 1 µs to about 2 minutes): constant
 * memory however many samples a saturated run records, mergeable across load-generator
 * processes, and exact enough (±1%) for p50/p99 figures.
 */
const MIN_MS = 0.001;
const GROWTH = 1.01;
const BUCKETS = Math.ceil(Math.log(120_000 / MIN_MS) / Math.log(GROWTH)) + 1;
const LOG_GROWTH = Math.log(GROWTH);

export interface HistogramData {
  /** sparse bucket counts: [bucket index, count] pairs */
  buckets: Array<[number, number]>;
  count: number;
  max: number;
  sum: number;
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
  mean: number | null;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  count = 0;
  max = 0;
  sum = 0;

  record(ms: number): void {
    const v = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const i = v <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(v / MIN_MS) / LOG_GROWTH));
    this.counts[i]++;
    this.count++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  /** The smallest recorded bound below which `q` of the samples fall (upper bucket edge). */
  quantile(q: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.max, MIN_MS * GROWTH ** i);
    }
    return this.max;
  }

  summary(): LatencySummary {
    return {
      count: this.count,
      p50: round(this.quantile(0.5)),
      p99: round(this.quantile(0.99)),
      p999: round(this.quantile(0.999)),
      max: this.count ? round(this.max) : null,
      mean: this.count ? round(this.sum / this.count) : null,
    };
  }

  toJSON(): HistogramData {
    const buckets: Array<[number, number]> = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) buckets.push([i, this.counts[i]]);
    return { buckets, count: this.count, max: this.max, sum: this.sum };
  }

  merge(data: HistogramData | Histogram): this {
    const d = data instanceof Histogram ? data.toJSON() : data;
    for (const [i, n] of d.buckets) this.counts[i] += n;
    this.count += d.count;
    this.sum += d.sum;
    if (d.max > this.max) this.max = d.max;
    return this;
  }

  static from(parts: Array<HistogramData | Histogram>): Histogram {
    const h = new Histogram();
    for (const p of parts) h.merge(p);
    return h;
  }
}

function round(v: number | null): number | null {
  return v === null ? null : Math.round(v * 100) / 100;
}
