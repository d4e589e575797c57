/**
 * The stage's webhook receiver: one HTTP endpoint for the gateways' webhooks (`/hooks`) and
 * Alertmanager's notifications (`/alertmanager/<receiver>`), appending one JSON line per request
 * to a log file (`{ receivedAt, path, headers, body }`) and answering 200. Run as a daemon by
 * `stage up`: `node -r ./app/bench/register-ts.js scripts/stage/receiver.ts <port> <log file>`.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';

export interface ReceivedRequest {
  receivedAt: string;
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
}

export function startReceiver(port: number, logFile: string): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        // not JSON: kept as text
      }
      const entry: ReceivedRequest = { receivedAt: new Date().toISOString(), method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      appendFileSync(logFile, `${JSON.stringify(entry)}\n`);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** Every request the receiver has logged so far. */
export function readReceived(logFile: string): ReceivedRequest[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ReceivedRequest);
}

if (require.main === module) {
  const [port, file] = process.argv.slice(2);
  startReceiver(Number(port), file).then(
    () => process.stdout.write(`receiver listening on 127.0.0.1:${port}, logging to ${file}\n`),
    (err: Error) => {
      process.stderr.write(`receiver: ${err.message}\n`);
      process.exit(1);
    },
  );
}
