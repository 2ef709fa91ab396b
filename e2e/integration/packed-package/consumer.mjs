// A user's Node script: imports only the installed package, by its name. Run by packed-package.test.ts in a
// temporary project; arguments come in PACKED_* variables; prints a JSON summary.
import { buildDockerEnvironment, condaFileFilter, pullImage, validate } from 'docker-envs';

const { PACKED_BASE: base, PACKED_FOLDER: folder, PACKED_CHANNEL: channel, PACKED_OUT: out } = process.env;
// example 1 and 2: pull the base (busybox), add a filtered folder and in-memory files, append FOO=BAR, write a file
const { image: pulled, manifestDigest } = await pullImage(base);
const edited = pulled.withName('packed-package:surgery')
  .addLayerPath(folder, { filter: condaFileFilter({ docs: true }), prefix: 'srv/app' })
  .addLayerContents({ 'this/is/a/test1': 'this is test 1' })
  .withConfig((c) => { c.config = { ...c.config, Env: [...(c.config?.Env ?? []), 'FOO=BAR'] }; });
await validate(edited);
await edited.writeFile(`${out}/surgery.tar`);
// example 3: a conda environment on that base, solved by the package's own solver from a local channel
const env = await buildDockerEnvironment({ baseImage: base, outputImage: 'packed-package:env', packages: ['hello-script'], channels: [channel], outputFilename: `${out}/env.tar` });
process.stdout.write(JSON.stringify({
  pulled: manifestDigest, surgeryConfig: (await edited.manifest()).config.digest,
  solved: env.solved.map((r) => r.name), envConfig: (await env.image.manifest()).config.digest,
}));
