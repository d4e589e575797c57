import { markdownPages, readPage } from './runbook-pages';

export interface RunbookCommand {
  file: string;
  line: number;
  text: string;
}

/** Every command a page quotes: inline code spans and lines of fenced blocks that start with a tool. */
export function runbookCommands(pages: string[] = markdownPages()): RunbookCommand[] {
  const out: RunbookCommand[] = [];
  for (const file of pages) {
    let fenced = false;
    readPage(file)
      .split('\n')
      .forEach((lineText, i) => {
        if (lineText.trim().startsWith('```')) {
          fenced = !fenced;
          return;
        }
        const candidates = fenced ? [lineText.trim()] : [...lineText.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
        for (const text of candidates) if (/^(kubectl|npm run|amtool|\/app\/bin)\b/.test(text)) out.push({ file, line: i + 1, text });
      });
  }
  return out;
}

/** The ops CLI arguments of a quoted `/app/bin/ops …` or `npm run ops -- …`, or null. */
export function opsArgs(text: string): string[] | null {
  const m = /(?:\/app\/bin\/ops|npm run ops --)\s+(.*)$/.exec(text);
  return m ? m[1].trim().split(/\s+/) : null;
}

/**
 * The part after `kubectl … logs …` of a log query on the gateway's pods (`| grep …`), or null for
 * any other command. Logs of other workloads (ingress-nginx, Redis) are not the gateway's output.
 */
export function gatewayLogPipeline(text: string): string | null {
  const m = /^kubectl -n socket-gateway logs (-l app\.kubernetes\.io\/name=socket-gateway|<pod>) -c gateway [^|]*\|(.*)$/.exec(text);
  return m ? m[2].trim() : null;
}
