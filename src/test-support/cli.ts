/** Running the CLI in tests: in-process with its output captured, and the small channel and base most builds use. */
import { writeDockerArchiveToFile } from '../core/archive/file.node.js';
import { emptyImage } from '../core/image';
import { main } from '../cli/main';
import { fixture } from './fixtures';
import { serveFolder, type FolderServer } from './serve-folder';

/** Runs `docker-envs ARGS…` in this process; its exit status, stdout and stderr. */
export async function runCli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { write: (s: string) => { out += s; } }, { write: (s: string) => { err += s; } });
  return { code, out, err };
}

/** {@link runCli} with `env` set in `process.env` for the run (SOURCE_DATE_EPOCH…), the earlier values restored after. */
export async function runCliWithEnv(env: Record<string, string>, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await runCli(...args);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  }
}

/**
 * pixi's dummy conda channel (dummy-a … dummy-g, linux-64) served on loopback, and an empty linux/amd64 base
 * image written to `base` as a docker-archive tagged x/base:1: a build of a few packages in seconds.
 */
export async function dummyChannelAndBase(base: string): Promise<{ server: FolderServer; channel: string }> {
  const server = await serveFolder(fixture('pixi/tests/data/channels/channels'));
  await writeDockerArchiveToFile([{ image: emptyImage(), tags: ['x/base:1'] }], base);
  return { server, channel: `${server.base}/dummy_channel_1` };
}
