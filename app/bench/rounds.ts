/**
 * Paired, alternating rounds and what they add up to. Each study runs its arms in turn — the
 * subject (gateway), the reference (baseline) and, as a control, a second identical reference —
 * once per pair, rotating the order from pair to pair so no arm always goes first; every round
 * starts from fresh processes and a fresh Redis and records the 1-minute load average before it.
 * A figure is published as the median over rounds with its range; the subject/reference ratio is
 * taken within each pair (same minute, same machine state) and published the same way, next to
 * the control/reference ratio, whose range is the noise floor: a subject ratio inside it reads
 * "no difference".
 */
import { loadAvg, now, type Log } from './bench';

export type Figures = Record<string, number | null>;

export interface Arm {
  id: string;
  label: string;
}

export interface RoundOutput {
  figures: Figures;
  /** error codes and counts seen in the round (failed handshakes, refused sends, …) */
  errors?: Record<string, number>;
}

export interface RoundRecord {
  pair: number;
  arm: string;
  /** 1-minute load average just before the round started */
  loadAvg1: number;
  startedAt: string;
  seconds: number;
  figures: Figures;
  errors: Record<string, number>;
  /** set when the round could not complete (its figures are then empty) */
  failure?: string;
}

export interface FigureDef {
  key: string;
  label: string;
  /** ratios are shown for figures where a subject/reference comparison means something */
  compare?: boolean;
}

export interface Stats { median: number; min: number; max: number; n: number }

export interface FigureSummary {
  key: string;
  label: string;
  arms: Record<string, Stats | null>;
  /** subject ÷ reference, per pair */
  ratio: Stats | null;
  /** control ÷ reference, per pair: the noise floor */
  control: Stats | null;
  /** "no difference" when the ratio's median lies within the control's range; null without a control */
  verdict: 'no difference' | 'higher' | 'lower' | null;
}

/** What a study's plan and its result both name: the study and its arms. */
interface StudyIdentity {
  id: string;
  title: string;
  /** one sentence on the layout, sizes and rates, for the report */
  setup: string;
  subject: Arm | null;
  reference: Arm | null;
  control: Arm | null;
  pairs: number;
}

export interface StudyResult extends StudyIdentity {
  rounds: RoundRecord[];
  figures: FigureSummary[];
  notes: string[];
}

export interface StudyPlan extends StudyIdentity {
  figures: FigureDef[];
  /** label for figure keys not in `figures` (e.g. one per Redis command) */
  labelFor?: (key: string) => string;
  notes?: string[];
  run(arm: Arm, name: string): Promise<RoundOutput>;
}

export function stats(values: Array<number | null | undefined>): Stats | null {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median: tidy(median), min: tidy(v[0]), max: tidy(v[v.length - 1]), n: v.length };
}

function tidy(v: number): number {
  return Math.abs(v) >= 100 ? Math.round(v * 10) / 10 : Math.round(v * 1000) / 1000;
}

/** The arm order of pair k: the arms rotated by k, so each takes each position in turn. */
export function pairOrder<T>(arms: T[], k: number): T[] {
  return arms.map((_, i) => arms[(i + k) % arms.length]);
}

export async function runStudy(plan: StudyPlan, log: Log): Promise<StudyResult> {
  const arms = [plan.subject, plan.reference, plan.control].filter((a): a is Arm => a !== null);
  const rounds: RoundRecord[] = [];
  for (let pair = 0; pair < plan.pairs; pair++) {
    for (const arm of pairOrder(arms, pair)) {
      const loadAvg1 = loadAvg()[0];
      const startedAt = new Date();
      const t0 = now();
      const name = `${plan.id}-${arm.id}-${pair + 1}`;
      try {
        const out = await plan.run(arm, name);
        rounds.push({ pair, arm: arm.id, loadAvg1, startedAt: startedAt.toISOString(), seconds: Math.round((now() - t0) / 100) / 10, figures: out.figures, errors: out.errors ?? {} });
        log(`[${plan.id}] pair ${pair + 1}/${plan.pairs} ${arm.label}: ${headline(plan, out.figures)} (load ${loadAvg1}, ${Math.round((now() - t0) / 1000)} s)`);
      } catch (err) {
        const failure = String((err as Error)?.message ?? err).split('\n').slice(0, 3).join(' ');
        rounds.push({ pair, arm: arm.id, loadAvg1, startedAt: startedAt.toISOString(), seconds: Math.round((now() - t0) / 100) / 10, figures: {}, errors: {}, failure });
        log(`[${plan.id}] pair ${pair + 1}/${plan.pairs} ${arm.label}: FAILED ${failure}`);
      }
    }
  }
  return summarize(plan, rounds);
}

function headline(plan: StudyPlan, f: Figures): string {
  return plan.figures.slice(0, 4).map((d) => `${d.key} ${f[d.key] ?? '–'}`).join(', ');
}

export function summarize(plan: Omit<StudyPlan, 'run'>, rounds: RoundRecord[]): StudyResult {
  const keys: string[] = plan.figures.map((d) => d.key);
  for (const r of rounds) for (const k of Object.keys(r.figures)) if (!keys.includes(k)) keys.push(k);
  const defs = new Map(plan.figures.map((d) => [d.key, d]));
  const value = (pair: number, arm: Arm | null, key: string) => (arm ? rounds.find((r) => r.pair === pair && r.arm === arm.id)?.figures[key] ?? null : null);
  const pairRatio = (arm: Arm | null, key: string) => {
    if (!arm || !plan.reference) return null;
    const ratios = Array.from({ length: plan.pairs }, (_, k) => {
      const a = value(k, arm, key);
      const b = value(k, plan.reference, key);
      return a === null || b === null || b === 0 ? null : a / b;
    });
    return stats(ratios);
  };
  const all = keys.map((key): FigureSummary => {
    const def = defs.get(key);
    const compare = def ? def.compare !== false : false;
    const armStats: Record<string, Stats | null> = {};
    for (const arm of [plan.subject, plan.reference, plan.control]) {
      if (arm) armStats[arm.id] = stats(rounds.filter((r) => r.arm === arm.id).map((r) => r.figures[key]));
    }
    const ratio = compare ? pairRatio(plan.subject, key) : null;
    const control = compare ? pairRatio(plan.control, key) : null;
    let verdict: FigureSummary['verdict'] = null;
    if (ratio && control) {
      // Compared as published (two decimals), so a ratio printed inside the range reads inside it.
      const [m, lo, hi] = [ratio.median, control.min, control.max].map((v) => Math.round(v * 100));
      verdict = m >= lo && m <= hi ? 'no difference' : m > hi ? 'higher' : 'lower';
    }
    return { key, label: def?.label ?? plan.labelFor?.(key) ?? key, arms: armStats, ratio, control, verdict };
  });
  // A figure no round measured (a phase switched off) is left out rather than shown as dashes.
  const figures = all.filter((f) => Object.values(f.arms).some((a) => a !== null));
  return {
    id: plan.id, title: plan.title, setup: plan.setup, subject: plan.subject, reference: plan.reference, control: plan.control,
    pairs: plan.pairs, rounds, figures, notes: plan.notes ?? [],
  };
}
