import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..', '..');

/** `make clean` ("remove build output"), run on the repository's Makefile in a scratch folder. */
describe('make clean', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sg-clean-'));
    copyFileSync(join(ROOT, 'Makefile'), join(dir, 'Makefile'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('should remove every build output, the client packages\' builds included, and keep the sources', async () => {
    const outputs = ['dist/sdk', 'tmp/bin', 'app/client/dist/types', 'app/react/dist/types'];
    for (const d of outputs) {
      mkdirSync(join(dir, d), { recursive: true });
      writeFileSync(join(dir, d, 'built.js'), '');
    }
    mkdirSync(join(dir, 'app', 'react', 'src'), { recursive: true });
    writeFileSync(join(dir, 'app', 'react', 'src', 'index.ts'), '');
    writeFileSync(join(dir, 'app', 'client', 'package.json'), '{}');

    await run('make', ['clean'], { cwd: dir });

    expect(['dist', 'tmp', 'app/client/dist', 'app/react/dist'].filter((d) => existsSync(join(dir, d)))).toEqual([]);
    expect(existsSync(join(dir, 'app', 'react', 'src', 'index.ts'))).toBe(true);
    expect(existsSync(join(dir, 'app', 'client', 'package.json'))).toBe(true);
  });
});
