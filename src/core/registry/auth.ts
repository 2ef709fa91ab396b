/**
 * Registry authentication: WWW-Authenticate challenges, bearer tokens (anonymous or with credentials,
 * cached per scope) and basic auth. Credentials live in memory only and never appear in messages.
 */

/** A parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/**
 * Parses a WWW-Authenticate header (RFC 7235): `Bearer realm="…",service="…",scope="a,b"` — commas inside
 * quoted values belong to the value. Several challenges in one header are returned in order.
 */
export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skip = (chars: string) => { while (i < n && chars.includes(header[i])) i++; };
  const token = () => { const s = i; while (i < n && /[!#$%&'*+.^_`|~\w/-]/.test(header[i])) i++; return header.slice(s, i); };
  let cur: Challenge | undefined;
  while (i < n) {
    skip(' \t,');
    const t = token();
    if (!t) { i++; continue; }
    skip(' \t');
    if (header[i] === '=' && cur) {
      i++;
      skip(' \t');
      let v = '';
      if (header[i] === '"') {
        i++;
        while (i < n && header[i] !== '"') { if (header[i] === '\\' && i + 1 < n) i++; v += header[i++]; }
        i++;
      } else {
        const s = i;
        while (i < n && header[i] !== ',' && header[i] !== ' ') i++;
        v = header.slice(s, i);
      }
      cur.params[t.toLowerCase()] = v;
    } else {
      cur = { scheme: t.toLowerCase(), params: {} };
      out.push(cur);
    }
  }
  return out;
}

/** Username and password (or an identity token as password) for one registry. */
export interface Credentials {
  username: string;
  password: string;
}

/** Base64 of a UTF-8 string, in every runtime. */
export function base64(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** The Authorization header value for basic auth. */
export function basicAuth(c: Credentials): string {
  return `Basic ${base64(`${c.username}:${c.password}`)}`;
}
