/**
 * The proxy's second safety layer: the same refusals as proxy/handler.test.ts, but with the real Node
 * transport (real resolver, real sockets, nothing injected) inside a new network namespace whose only
 * interface is loopback, so even a bug in the address check could not send a packet anywhere else.
 * Needs root for `unshare -n` (npm test runs as root); skipped otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Hosts an operator might have allowlisted by mistake: the address check must still refuse each one. */
const FORBIDDEN_HOSTS = [
  '127.0.0.1', '127.0.0.1:9', '[::1]', '[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '0.0.0.0', '[::]', '10.0.0.1',
  '172.16.0.1', '192.168.0.1', '100.64.0.1', '[fc00::1]', '[fe80::1]', '169.254.169.254', '2130706433',
  '0177.0.0.1', '0x7f.1', '127.1', 'localhost',
];

function canUnshare(): boolean {
  try { execFileSync('unshare', ['-n', 'true'], { stdio: 'ignore' }); return true; } catch { return false; }
}

interface Answer { status: number; code?: string; text: string }

describe.skipIf(!canUnshare())('proxy in a loopback-only network namespace', () => {
  it('serves the configured loopback upstream and refuses every forbidden spelling with the real transport', () => {
    const run = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec node --import tsx e2e/support/proxy-netns-probe.ts "$0"', JSON.stringify(FORBIDDEN_HOSTS)],
      { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const { links, answers } = JSON.parse(run.stdout.trim().split('\n').pop()!) as { links: string[]; answers: Record<string, Answer> };
    expect(links).toEqual(['lo']);
    expect(answers.upstream).toMatchObject({ status: 200, text: 'upstream /v2/' });
    for (const h of FORBIDDEN_HOSTS) {
      expect(answers[h].status, h).toBe(403);
      // 127.0.0.1:9 is refused because that exact host:port is not configured, the rest by the address check
      expect(answers[h].code, h).toMatch(/^PROXY_(FORBIDDEN_ADDRESS|NOT_ALLOWED)$/);
    }
    expect(answers['127.0.0.1'].code).toBe('PROXY_FORBIDDEN_ADDRESS');
    expect(answers['169.254.169.254'].code).toBe('PROXY_FORBIDDEN_ADDRESS');
    expect(answers['not-allowlisted']).toMatchObject({ status: 403, code: 'PROXY_NOT_ALLOWED' });
    expect(answers.public).toMatchObject({ status: 502, code: 'PROXY_UPSTREAM' });
  }, 90_000);
});
