import { describe, expect, it } from 'vitest';
import { initialDraft, type BuildDraft } from './build-draft';
import { checkDraft, parseVariables } from './draft-check';

const draft = (patch: Partial<BuildDraft> = {}): BuildDraft => ({ ...initialDraft(), specs: [{ id: 900, value: 'numpy>=2' }], ...patch });

describe('checkDraft', () => {
  it('passes a well-formed draft', () => {
    expect(checkDraft(draft())).toEqual({});
  });

  it('flags each malformed field on its own key, with the core parser\'s message', () => {
    const e = checkDraft(draft({
      base: { kind: 'ref', ref: 'Bad/Ref' },
      channels: [{ id: 1, kind: 'url', value: 'conda-forge' }, { id: 2, kind: 'url', value: 'ftp://x/y' }, { id: 3, kind: 'url', value: 'a b' }],
      specs: [{ id: 4, value: 'numpy' }, { id: 5, value: '>=2' }, { id: 6, value: 'a::b::c' }],
      tag: 'x@sha256:0', prefix: 'relative', epoch: '-1', maxLayers: '1', variables: 'NOEQUALS',
    }));
    expect(Object.keys(e).sort()).toEqual(['base', 'channel:2', 'channel:3', 'epoch', 'maxLayers', 'prefix', 'spec:5', 'spec:6', 'tag', 'variables']);
    expect(e.base).toMatch(/invalid image reference "Bad\/Ref"/);
    expect(e['channel:2']).toMatch(/must be http\(s\)/);
    expect(e['spec:5']).toMatch(/is not a package spec/);
    expect(e['spec:6']).toMatch(/more than one channel/);
  });

  it('asks for a package or a lock, and checks a pasted lock instead of the specs', () => {
    expect(checkDraft(draft({ specs: [{ id: 1, value: '  ' }] })).specs).toMatch(/at least one package/);
    const locked = draft({ specs: [], lock: '@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/noarch/tzdata-2024a-h0c530f3_0.conda#' + 'a'.repeat(64) + '\n' });
    expect(checkDraft(locked)).toEqual({});
    expect(checkDraft({ ...locked, lock: '@EXPLICIT\nnot a url\n' }).lock).toMatch(/lock line 2/);
  });

  it('reads the pip list as the build does: requirements and index options pass, what a browser build cannot install is flagged', () => {
    expect(checkDraft(draft({ pip: '--index-url https://pypi.org/simple/\n\nrequests==2.32.3 --hash=sha256:' + 'a'.repeat(64) + '\n' }))).toEqual({});
    expect(checkDraft(draft({ pip: 'requests\n./wheels/x-1.0-py3-none-any.whl' })).pip).toMatch(/^pip item "\.\/wheels\/x-1\.0-py3-none-any\.whl": .*the browser reads no local files/);
    expect(checkDraft(draft({ pip: '-e ./src' })).pip).toMatch(/editable installs \(-e\) are not supported/);
    expect(checkDraft(draft({ pip: 'requests --hash=md5:00' })).pip).toMatch(/is not sha256:<64 hex digits>/);
  });

  it('a multi-platform draft: platforms well-formed, a registry base, no pasted lock', () => {
    expect(checkDraft(draft({ platform: 'linux/amd64,linux/arm64' }))).toEqual({});
    expect(checkDraft(draft({ platform: 'linux/amd64,linux' })).platform).toMatch(/platform "linux" must look like linux\/amd64/);
    expect(checkDraft(draft({ platform: 'linux/amd64,linux/amd64' })).platform).toMatch(/named twice/);
    expect(checkDraft(draft({ platform: 'linux/amd64,linux/arm64', base: { kind: 'file', file: new File([], 'base.tar') } })).platform).toMatch(/registry reference/);
    const lock = '@EXPLICIT\nhttps://conda.anaconda.org/conda-forge/noarch/tzdata-2024a-h0c530f3_0.conda#' + 'a'.repeat(64) + '\n';
    expect(checkDraft(draft({ platform: 'linux/amd64,linux/arm64', lock })).platform).toMatch(/pasted lock holds one platform/);
  });

  it('a tarball base needs no reference', () => {
    expect(checkDraft(draft({ base: { kind: 'file', file: new File([], 'b.tar') } }))).toEqual({});
  });
});

describe('parseVariables', () => {
  it('reads KEY=VALUE lines, keeping = in values', () => {
    expect(parseVariables('A=1\n\n B=x=y \n')).toEqual({ A: '1', B: 'x=y' });
    expect(() => parseVariables('1A=2')).toThrow(/line 1/);
  });
});
