/**
 * The single emission point, checked by type instead of by name: every `.emit(...)` call whose
 * receiver is a Socket.IO type (Socket, Server, Namespace, BroadcastOperator, ...), whatever the
 * variable is called, sits in socket/broadcaster.ts. The regex checks in
 * single-emission-point.spec.ts are quick; this one cannot be passed by renaming a variable.
 */
import { dirname, join, relative, sep } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..', '..');
const SRC = join(ROOT, 'app', 'src');
const BROADCASTER = join(SRC, 'socket', 'broadcaster.ts');

/** True when the type (or any of its union members) is declared inside the socket.io packages. */
function isSocketIoType(type: ts.Type): boolean {
  const parts = type.isUnion() ? type.types : [type];
  return parts.some((t) => (t.getSymbol() ?? t.aliasSymbol)?.getDeclarations()?.some((d) => /node_modules[\\/](socket\.io|socket\.io-adapter)[\\/]/.test(d.getSourceFile().fileName)) ?? false);
}

function socketIoEmits(program: ts.Program, file: ts.SourceFile): string[] {
  const checker = program.getTypeChecker();
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'emit') {
      if (isSocketIoType(checker.getTypeAtLocation(node.expression.expression))) {
        const { line } = file.getLineAndCharacterOfPosition(node.getStart());
        found.push(`${relative(SRC, file.fileName)}:${line + 1}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

describe('architecture (typed)', () => {
  let program: ts.Program;
  beforeAll(() => {
    const configPath = join(ROOT, 'tsconfig.json');
    const parsed = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, dirname(configPath));
    const roots = parsed.fileNames.filter((f) => f.startsWith(SRC + sep) && !f.endsWith('.spec.ts') && !f.includes(`${sep}client${sep}`) && !f.includes(`${sep}demo${sep}`));
    program = ts.createProgram(roots, { ...parsed.options, noEmit: true });
  }, 120_000);

  it('should call Socket.IO emit only in the Broadcaster, under any variable name', () => {
    const offenders = program.getSourceFiles()
      .filter((f) => f.fileName.startsWith(SRC + sep) && f.fileName !== BROADCASTER)
      .flatMap((f) => socketIoEmits(program, f));
    expect(offenders).toEqual([]);
  });

  it('should see the Broadcaster\u2019s own emits (the check can fail)', () => {
    expect(socketIoEmits(program, program.getSourceFile(BROADCASTER)!).length).toBeGreaterThan(5);
  });
});
