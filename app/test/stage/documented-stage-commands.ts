/**
 * The stage commands the docs hand to on-call: `make stage`, `make stage-down` and
 * `scripts/stage/stage …`, from code spans and shell blocks of the README and every runbook.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../scripts/stage/state';

export interface StageCommand {
  where: string;
  command: string;
}

const STAGE_COMMAND = /^(make stage(-down)?|scripts\/stage\/stage( .*)?)$/;

function commandsIn(file: string): StageCommand[] {
  const out: StageCommand[] = [];
  let inShell = false;
  readFileSync(join(REPO_ROOT, file), 'utf8').split('\n').forEach((line, i) => {
    if (/^\s*```/.test(line)) {
      inShell = !inShell && /```(sh|bash|shell)/.test(line);
      return;
    }
    // A shell line may end with a comment; a code span is the command alone.
    const candidates = inShell ? [line.replace(/\s+#.*$/, '').trim()] : [...line.matchAll(/`([^`]+)`/g)].map((m) => m[1].trim());
    for (const command of candidates) if (STAGE_COMMAND.test(command)) out.push({ where: `${file}:${i + 1}`, command });
  });
  return out;
}

export function documentedStageCommands(): StageCommand[] {
  const runbooks = readdirSync(join(REPO_ROOT, 'runbooks')).filter((f) => f.endsWith('.md')).map((f) => `runbooks/${f}`);
  return ['README.md', ...runbooks].flatMap(commandsIn);
}
