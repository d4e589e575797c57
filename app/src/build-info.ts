import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Version from package.json; commit from BUILD_COMMIT, which the image build sets. */
export function buildInfo(commit: string): { version: string; commit: string } {
  let version = 'unknown';
  for (const dir of [join(__dirname, '..', '..'), join(__dirname, '..', '..', '..')]) {
    try {
      version = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version ?? version;
      break;
    } catch {
      // try the next layout (ts sources vs compiled dist/)
    }
  }
  return { version, commit };
}
