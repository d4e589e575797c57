/**
 * `npm run bench`: runs the studies (gateway against the bare baseline, in alternating paired
 * rounds with a bare-vs-bare control), prints the comparison, writes
 * app/bench/results/latest.{md,json} plus dated copies, and fills the capacity table of
 * runbooks/scaling-and-capacity.md. Flags: see options.ts or `--help`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadAvg, machineInfo } from './bench';
import { parseOptions, usage, UsageError } from './options';
import { buildReport, fillBetweenMarkers, markdown, runbookTable } from './report';
import { runStudy, type StudyResult } from './rounds';
import { plans } from './studies';

const ROOT = resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`${usage()}\n`);
    return;
  }
  const opts = parseOptions(process.argv.slice(2), process.env);
  const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const machine = machineInfo();
  const startedAt = new Date();
  log(`machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB, Node ${machine.node}, load ${machine.loadAvgAtStart.join(' ')}`);
  const notes: string[] = [];
  if (machine.loadAvgAtStart[0] > 1) notes.push(`the 1-minute load average was ${machine.loadAvgAtStart[0]} at start: other work shared the CPU.`);
  const studies: StudyResult[] = [];
  for (const plan of plans(opts, log)) studies.push(await runStudy(plan, log));
  machine.loadAvgAtEnd = loadAvg();
  const report = buildReport({ startedAt, finishedAt: new Date(), machine, options: opts, studies, notes });
  const md = markdown(report);
  process.stdout.write(`\n${md}\n`);
  if (opts.out) {
    const dir = resolve(ROOT, opts.out);
    mkdirSync(dir, { recursive: true });
    const stamp = report.finishedAt.slice(0, 16).replace(/:/g, '-');
    const json = `${JSON.stringify(report, null, 2)}\n`;
    for (const name of ['latest', stamp]) {
      writeFileSync(join(dir, `${name}.md`), md);
      writeFileSync(join(dir, `${name}.json`), json);
    }
    log(`wrote ${join(opts.out, 'latest.md')}, latest.json, ${stamp}.{md,json}`);
  }
  if (opts.runbook && opts.systems.includes('gateway')) {
    const page = resolve(ROOT, opts.runbook);
    writeFileSync(page, fillBetweenMarkers(readFileSync(page, 'utf8'), runbookTable(report)));
    log(`filled the bench table of ${opts.runbook}`);
  }
  const met = report.targets.filter((t) => t.pass === true).length;
  const missed = report.targets.filter((t) => t.pass === false);
  const rest = report.targets.length - met - missed.length;
  log(`targets: ${met} met, ${missed.length} missed${missed.length ? ` (${missed.map((t) => t.target).join('; ')})` : ''}, ${rest} reported, within the noise floor or not measured`);
}

main().catch((err) => {
  process.stderr.write(`${err instanceof UsageError ? `${err.message}\n\n${usage()}` : String(err?.stack ?? err)}\n`);
  process.exit(err instanceof UsageError ? 2 : 1);
});
