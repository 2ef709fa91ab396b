/**
 * The proxy's second safety layer: the same refusals as proxy/handler.test.ts, but with the real Node
 * transport (real resolver, real sockets, nothing injected) inside a new network namespace whose only
 * interface is loopback, so even a bug in the address check could not send a packet anywhere else.
 * Each test runs one section of e2e/support/proxy-netns-probe.ts in its own namespace.
 * Needs root for `unshare -n` (npm test runs as root); skipped otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Hosts an operator might have allowlisted by mistake: the address check must still refuse each one. */
const FORBIDDEN_HOSTS = [
  '127.0.0.1', '127.0.0.1:9', '[::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '0.0.0.0', '[::]', '10.0.0.1',
  '172.16.0.1', '192.168.0.1', '100.64.0.1', '[fc00::1]', '[fe80::1]', '169.254.169.254', '2130706433',
  '0177.0.0.1', '0x7f.1', '127.1', 'localhost',
  // IPv6 forms that carry a forbidden IPv4 address: IPv4-translated (::ffff:0:0:0/96), local-use NAT64
  // (64:ff9b:1::/48, /96 and /48 layouts), Teredo (2001::/32: client = the inverted last 32 bits)
  '[::ffff:0:7f00:1]', '[::ffff:0:a9fe:a9fe]', '[64:ff9b:1::7f00:1]', '[64:ff9b:1:7f00:0:100::]',
  '[64:ff9b:1:7f00:0:100:808:808]',
  '[2001:0:4136:e378:8000:63bf:80ff:fffe]', '[2001:0:4136:e378:8000:63bf:5601:5601]',
];

function canUnshare(): boolean {
  try { execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore' }); return true; } catch { return false; }
}

interface Answer { status: number; code?: string; text: string }

/** Runs one probe section in a fresh loopback-only namespace and returns its result. */
function probe<T>(section: string, arg?: unknown): T {
  const run = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec node --import tsx e2e/support/proxy-netns-probe.ts "$0" "$1"', section, JSON.stringify(arg ?? null)],
    { encoding: 'utf8', timeout: 120_000 });
  expect(run.status, run.stderr).toBe(0);
  const { links, result } = JSON.parse(run.stdout.trim().split('\n').pop()!) as { links: string[]; result: T };
  expect(links).toEqual(['lo']);
  return result;
}

describe.skipIf(!canUnshare())('proxy in a loopback-only network namespace', () => {
  it('serves the configured loopback upstream and refuses every forbidden spelling with the real transport', () => {
    const answers = probe<Record<string, Answer>>('addresses', FORBIDDEN_HOSTS);
    expect(answers.upstream).toMatchObject({ status: 200, text: 'upstream /v2/' });
    for (const h of FORBIDDEN_HOSTS) {
      expect(answers[h].status, h).toBe(403);
      // 127.0.0.1:9 is refused because that exact host:port is not configured, the rest by the address check
      expect(answers[h].code, h).toMatch(/^PROXY_(FORBIDDEN_ADDRESS|NOT_ALLOWED)$/);
    }
    expect(answers['127.0.0.1'].code).toBe('PROXY_FORBIDDEN_ADDRESS');
    expect(answers['169.254.169.254'].code).toBe('PROXY_FORBIDDEN_ADDRESS');
    for (const h of FORBIDDEN_HOSTS.filter((x) => x.includes('::ffff:0:') || x.includes('64:ff9b') || x.startsWith('[2001:0:'))) {
      expect(answers[h].code, h).toBe('PROXY_FORBIDDEN_ADDRESS');
    }
    expect(answers['not-allowlisted']).toMatchObject({ status: 403, code: 'PROXY_NOT_ALLOWED' });
    expect(answers.public).toMatchObject({ status: 502, code: 'PROXY_UPSTREAM' });
  }, 90_000);

  it('releases the concurrency slot on every refusal path: ten times the limits through each, then a 200', () => {
    const { counts, after, perPath } = probe<{ counts: Record<string, Record<string, number>>; after: Record<string, Answer>; perPath: number }>('slots');
    expect(counts).toEqual({
      'redirect-file': { PROXY_BAD_REDIRECT: perPath },
      'redirect-http-metadata': { PROXY_BAD_REDIRECT: perPath },
      'redirect-https-private': { PROXY_FORBIDDEN_ADDRESS: perPath },
      'redirect-loop': { PROXY_REDIRECTS: perPath },
      'forbidden-address': { PROXY_FORBIDDEN_ADDRESS: perPath },
      'upstream-reset': { PROXY_UPSTREAM: perPath },
      'headers-timeout': { PROXY_TIMEOUT: perPath },
      'upload-chunked-too-large': { PROXY_TOO_LARGE: perPath },
      'upload-declared-too-large': { PROXY_TOO_LARGE: perPath },
      'not-allowlisted': { PROXY_NOT_ALLOWED: perPath },
      'body-cancelled': { 200: perPath },
    });
    for (const [client, a] of Object.entries(after)) expect(a, client).toMatchObject({ status: 200, text: 'upstream /plain' });
  }, 120_000);

  it('keeps the plain-http exception to plain http on the exact configured host:port', () => {
    const a = probe<Record<string, Answer & { connections: number }>>('https');
    expect(a['plain-http']).toMatchObject({ status: 200, connections: 1 });
    // https to the plain-http port, by address or by a name resolving there: refused before connecting
    expect(a['redirect-https-ip']).toMatchObject({ status: 403, code: 'PROXY_FORBIDDEN_ADDRESS', connections: 1 });
    expect(a['redirect-https-name']).toMatchObject({ status: 403, code: 'PROXY_FORBIDDEN_ADDRESS', connections: 1 });
    // plain http, but to a name that is not the configured host
    expect(a['redirect-http-name']).toMatchObject({ status: 502, code: 'PROXY_BAD_REDIRECT', connections: 1 });
    expect(a['https-named-port']).toMatchObject({ status: 403, code: 'PROXY_FORBIDDEN_ADDRESS', connections: 0 });
    // `--allow localhost` is port 443 only
    expect(a['https-portless-entry']).toMatchObject({ status: 403, code: 'PROXY_NOT_ALLOWED', connections: 0 });
  }, 90_000);

  it('answers an oversized chunked upload with 413, marks relayed bodies inert and calls back only allowed origins', () => {
    const { answers: a, uploadsByForeign, own } = probe<{ answers: Record<string, { status: number; code?: string; acao: string | null; nosniff: string | null; csp: string | null }>; uploadsByForeign: number; own: string }>('responses');
    expect(a['upload-chunked-too-large']).toMatchObject({ status: 413, code: 'PROXY_TOO_LARGE' });
    expect(a['upload-small']).toMatchObject({ status: 201, acao: own });
    const inert = { nosniff: 'nosniff', csp: "sandbox; default-src 'none'" };
    for (const k of ['html-same-origin', 'refusal-headers', 'preflight-own', 'upload-chunked-too-large', 'preflight-foreign', 'get-no-origin']) {
      expect(a[k], k).toMatchObject(inert);
    }
    expect(a['html-same-origin']).toMatchObject({ status: 200 });
    expect(a['post-same-origin']).toMatchObject({ status: 201, acao: own });
    expect(a['preflight-own']).toMatchObject({ status: 204, acao: own });
    expect(a['preflight-named']).toMatchObject({ status: 204, acao: 'http://app.example' });
    for (const k of ['preflight-foreign', 'preflight-null', 'post-foreign', 'get-foreign', 'get-no-cors-cross-site']) {
      expect(a[k], k).toMatchObject({ status: 403, code: 'PROXY_ORIGIN', acao: null });
    }
    expect(uploadsByForeign).toBe(0);
    // a non-browser client (no Origin, no Sec-Fetch-Site) is served, without CORS grants
    expect(a['get-no-origin']).toMatchObject({ status: 200, acao: null });
    expect(a['bare-preflight-own']).toMatchObject({ status: 403, acao: null });
  }, 90_000);
});
