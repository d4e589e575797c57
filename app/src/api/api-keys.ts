import { createHash, timingSafeEqual } from 'node:crypto';

/** Hashing first makes every comparison the same length, so timing reveals neither key nor length. */
const digest = (s: string) => createHash('sha256').update(s).digest();

/** API_KEYS, checked against an `Authorization: Bearer <key>` header in constant time. */
export class ApiKeys {
  private readonly keys: Buffer[];

  constructor(keys: string[]) {
    this.keys = keys.map(digest);
  }

  check(header: string | string[] | undefined): 'ok' | 'missing' | 'wrong' {
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header.trim()) : null;
    if (!m) return 'missing';
    const given = digest(m[1]);
    let match = false;
    for (const k of this.keys) match = timingSafeEqual(k, given) || match;
    return match ? 'ok' : 'wrong';
  }
}
