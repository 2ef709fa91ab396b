/**
 * The project's own bearer-token server for the token-mode registry (Docker's token protocol, as
 * distribution 2.8 verifies it): `GET /token?service=…&scope=repository:NAME:pull,push` with optional Basic
 * credentials answers `{ token, access_token, expires_in, issued_at }`, the token an RS256 JWT whose header
 * carries the signing certificate in `x5c` (the registry checks it against `rootcertbundle`).
 * Users and what they may do: `users[name] = { password, actions }`; a request without credentials gets a
 * token with no access (as Docker Hub answers for private repositories); a wrong password gets 401.
 * It counts requests so tests can see that tokens were fetched and cached.
 */
import { createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runCapture } from './util';

/** What one user may do on every repository. */
export interface TokenUser { password: string; actions: Array<'pull' | 'push'> }

/** Options of startTokenServer. */
export interface TokenServerOptions {
  /** PEM files made by `tokenKeys` */
  keyPem: string;
  certPem: string;
  /** the registry's `auth.token.issuer` and `service` */
  issuer: string;
  service: string;
  users: Record<string, TokenUser>;
  /** token lifetime in seconds (default 300) */
  expiresIn?: number;
}

/** A running token server. */
export interface TokenServer {
  /** `127.0.0.1:PORT` */
  host: string;
  /** the realm to configure in the registry: `http://127.0.0.1:PORT/token` */
  realm: string;
  /** requests answered so far, by outcome */
  counts: { issued: number; refused: number };
  stop(): Promise<void>;
}

/**
 * A self-signed RSA certificate and key for signing tokens, made once with openssl in `dir`
 * (`token.key`, `token.crt`); the certificate is also the registry's root bundle.
 */
export function tokenKeys(dir: string): { keyPem: string; certPem: string; certFile: string } {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, 'token.key');
  const certFile = join(dir, 'token.crt');
  if (!existsSync(keyFile) || !existsSync(certFile)) {
    const r = runCapture('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile,
      '-subj', '/CN=docker-envs test token issuer', '-days', '3650', '-sha256']);
    if (r.code !== 0) throw new Error(`openssl could not make the token certificate: ${r.stderr.trim()}`);
  }
  return { keyPem: readFileSync(keyFile, 'utf8'), certPem: readFileSync(certFile, 'utf8'), certFile };
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** Signs a JWT (RS256) with the certificate's DER in `x5c`. */
export function signToken(opts: Pick<TokenServerOptions, 'keyPem' | 'certPem'>, claims: Record<string, unknown>): string {
  const der = new X509Certificate(opts.certPem).raw;
  const header = { alg: 'RS256', typ: 'JWT', x5c: [der.toString('base64')] };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = sign('sha256', Buffer.from(input), createPrivateKey(opts.keyPem));
  return `${input}.${b64url(sig)}`;
}

/** Parses `repository:NAME:a,b` scopes; other resource types are ignored. */
export function parseScopes(scopes: string[]): Array<{ type: string; name: string; actions: string[] }> {
  const out: Array<{ type: string; name: string; actions: string[] }> = [];
  for (const s of scopes.flatMap((x) => x.split(' ')).filter(Boolean)) {
    const first = s.indexOf(':');
    const last = s.lastIndexOf(':');
    if (first < 0 || last <= first) continue;
    const type = s.slice(0, first);
    if (type !== 'repository') continue;
    out.push({ type, name: s.slice(first + 1, last), actions: s.slice(last + 1).split(',').filter(Boolean) });
  }
  return out;
}

function userOf(req: IncomingMessage): { name: string; password: string } | undefined {
  const h = req.headers.authorization;
  if (!h?.startsWith('Basic ')) return undefined;
  const text = Buffer.from(h.slice(6), 'base64').toString('utf8');
  const i = text.indexOf(':');
  return i < 0 ? { name: text, password: '' } : { name: text.slice(0, i), password: text.slice(i + 1) };
}

/** Starts the token server on a free loopback port. */
export function startTokenServer(opts: TokenServerOptions): Promise<TokenServer> {
  const counts = { issued: 0, refused: 0 };
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/token' || (req.method !== 'GET' && req.method !== 'POST')) {
      res.writeHead(404).end();
      return;
    }
    const cred = userOf(req);
    const user = cred ? opts.users[cred.name] : undefined;
    if (cred && (!user || user.password !== cred.password)) {
      counts.refused++;
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="docker-envs token"' })
        .end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'wrong user name or password' }] }));
      return;
    }
    const allowed = new Set(user?.actions ?? []);
    const access = parseScopes(url.searchParams.getAll('scope'))
      .map((a) => ({ ...a, actions: a.actions.filter((x) => allowed.has(x as 'pull' | 'push')) }));
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = opts.expiresIn ?? 300;
    const token = signToken(opts, {
      iss: opts.issuer, sub: cred?.name ?? '', aud: url.searchParams.get('service') ?? opts.service,
      exp: now + expiresIn, nbf: now - 10, iat: now, jti: randomUUID(), access,
    });
    counts.issued++;
    res.writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token, access_token: token, expires_in: expiresIn, issued_at: new Date(now * 1000).toISOString() }));
  };
  const server: Server = createServer(handle);
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      ok({
        host, realm: `http://${host}/token`, counts,
        stop: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
      });
    });
  });
}
