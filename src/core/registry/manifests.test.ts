import { describe, expect, it } from 'vitest';
import { RegistryClient } from './client';
import { fetchManifest } from './manifests';
import { parseReference } from './reference';

/** A client whose fetch answers every request with `body` (nothing leaves the process). */
function clientServing(body: unknown): RegistryClient {
  const bytes = JSON.stringify(body);
  return new RegistryClient({
    fetch: (async () => new Response(bytes, { headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' } })) as typeof fetch,
  });
}

const manifest = (n: number) => ({
  schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${'c'.repeat(64)}`, size: 2 },
  layers: Array.from({ length: n }, (_, i) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${i.toString(16).padStart(64, '0')}`, size: 1 })),
});

describe('fetchManifest: layer count limit', () => {
  it('refuses a manifest listing 20,000 layers (under the 4 MiB manifest cap) with a CoreError naming the count', async () => {
    const ref = parseReference('localhost:5000/many:layers');
    const t = performance.now();
    await expect(fetchManifest(clientServing(manifest(20_000)), ref)).rejects.toMatchObject({
      name: 'CoreError', code: 'too-many-layers', message: expect.stringMatching(/manifest of localhost:5000\/many:layers lists 20000 layers, more than the 1000/),
    });
    expect(performance.now() - t).toBeLessThan(5000);
  });

  it('takes a manifest of 1000 layers', async () => {
    const m = await fetchManifest(clientServing(manifest(1000)), parseReference('localhost:5000/many:layers'));
    expect((m.json as { layers: unknown[] }).layers).toHaveLength(1000);
  });
});
