/** Comlink over a real MessageChannel: errors a worker throws arrive as CoreErrors, cause chain and fields included. */
import { expose, wrap } from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { ArchiveError, CoreError, DigestMismatchError, TarError } from '../src/core/errors';
import { RegistryError } from '../src/core/registry/errors';
import { registerErrorTransfer } from './error-transfer';

registerErrorTransfer();

const api = {
  mismatch(): never {
    throw new DigestMismatchError('sha256:aa', 'sha256:bb', 'layer 2', { cause: new TarError('tar-truncated', 'the tar ends early', 1024, { cause: new TypeError('read past the end') }) });
  },
  registry(): never {
    throw new RegistryError('manifest x: HTTP 404', 404, [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }]);
  },
  plain(): never {
    throw new RangeError('index out of range');
  },
  text(): never {
    throw 'the solver panicked'; // as wasm libraries do
  },
  wrapped(): never {
    throw new ArchiveError('archive-invalid', 'not an image archive', { cause: 'a bare string cause' });
  },
};

const channels: MessageChannel[] = [];
afterEach(() => { for (const c of channels.splice(0)) { c.port1.close(); c.port2.close(); } });

function remote() {
  const ch = new MessageChannel();
  channels.push(ch);
  expose(api, ch.port1);
  return wrap<typeof api>(ch.port2);
}

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('registerErrorTransfer (comlink)', () => {
  it('brings a CoreError subclass back as itself, with its fields and its cause chain', async () => {
    const e = await thrown(remote().mismatch());
    expect(e).toBeInstanceOf(DigestMismatchError);
    expect(e).toBeInstanceOf(CoreError);
    const d = e as DigestMismatchError;
    expect(d.code).toBe('digest-mismatch');
    expect(d.name).toBe('DigestMismatchError');
    expect(d.message).toBe('layer 2 does not match sha256:aa (got sha256:bb)');
    expect([d.expected, d.actual]).toEqual(['sha256:aa', 'sha256:bb']);
    expect(d.stack).toContain('mismatch');
    const tar = d.cause as TarError;
    expect(tar).toBeInstanceOf(TarError);
    expect([tar.code, tar.offset, tar.message]).toEqual(['tar-truncated', 1024, 'the tar ends early (at byte 1024)']);
    const root = tar.cause as CoreError;
    expect(root).toBeInstanceOf(CoreError);
    expect([root.code, root.name, root.message]).toEqual(['internal', 'TypeError', 'read past the end']);
  });

  it('keeps a registered class from another module (RegistryError: status, registry codes)', async () => {
    const e = await thrown(remote().registry()) as RegistryError;
    expect(e).toBeInstanceOf(RegistryError);
    expect(e.status).toBe(404);
    expect(e.codes).toEqual(['MANIFEST_UNKNOWN']);
    expect(e.code).toBe('registry-error');
  });

  it("turns anything else thrown into CoreError 'internal' that keeps its name and message", async () => {
    const plain = await thrown(remote().plain()) as CoreError;
    expect(plain).toBeInstanceOf(CoreError);
    expect([plain.code, plain.name, plain.message]).toEqual(['internal', 'RangeError', 'index out of range']);
    const text = await thrown(remote().text()) as CoreError;
    expect(text).toBeInstanceOf(CoreError);
    expect([text.code, text.message]).toEqual(['internal', 'the solver panicked']);
    const wrapped = await thrown(remote().wrapped()) as ArchiveError;
    expect(wrapped).toBeInstanceOf(ArchiveError);
    expect((wrapped.cause as CoreError).message).toBe('a bare string cause');
  });
});
