/**
 * Run inside a fresh network namespace (only `lo` up) by e2e/integration/proxy-netns.test.ts: the proxy
 * with its real Node transport (real DNS lookup, real connect, nothing injected) against a loopback
 * upstream, then every forbidden spelling given as a JSON array in argv[2]. Prints one JSON line: the
 * interfaces seen and each answer. Refuses to run where any interface other than `lo` exists.
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeTransport, createProxyHandler, defaultProxyConfig } from '../../proxy';


async function probe(forbiddenHosts: string[]): Promise<void> {
  const links = execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n').filter(Boolean).map((l) => l.split(':')[1].trim());
  if (links.join() !== 'lo') throw new Error(`not in a loopback-only network namespace (interfaces: ${links.join(', ')})`);
  const server = createServer((req, res) => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end(`upstream ${req.url}`); });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const upstream = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = { ...defaultProxyConfig(), allowHttp: [upstream] };
  config.allow.push(...forbiddenHosts.map((h) => h.replace(/:\d+$/, '')));
  const handle = createProxyHandler(config, createNodeTransport({ privateAllowed: (hp) => config.allowHttp.includes(hp) }));
  const ask = async (hostPath: string) => {
    const r = await handle(new Request(`http://app.test/proxy/${hostPath}`), 'netns-probe');
    const text = await r.text();
    let code: string | undefined;
    try { code = (JSON.parse(text) as { error?: { code?: string } }).error?.code; } catch { /* a proxied body */ }
    return { status: r.status, code, text: text.slice(0, 200) };
  };
  const answers: Record<string, Awaited<ReturnType<typeof ask>>> = {};
  answers.upstream = await ask(`${upstream}/v2/`);
  for (const h of forbiddenHosts) answers[h] = await ask(`${h}/v2/`);
  answers['not-allowlisted'] = await ask('evil.example.com/v2/');
  // allowlisted and public: with no route out of the namespace it can only fail upstream, never hang
  answers.public = await ask('registry-1.docker.io/v2/');
  server.close();
  process.stdout.write(`${JSON.stringify({ links, answers })}\n`);
}

await probe(JSON.parse(process.argv[2] ?? '[]') as string[]);
