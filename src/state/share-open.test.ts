/**
 * Opening a share link into the build draft: a whole link replaces the form (base pinned, lock held); a
 * truncated one leaves every field as it was and says why; a link of another layer format warns.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { LAYER_FORMAT_VERSION } from '../core/pipeline/layer-format';
import { initialDraft, useBuildDraft } from './build-draft';
import { encodeShareLink, type ShareLink } from './share-link';
import { openShareFragment, useShareNotice } from './share-open';

const LINK: ShareLink = {
  layerFormat: LAYER_FORMAT_VERSION, base: { ref: 'registry.example.org/base:1', digest: `sha256:${'ab'.repeat(32)}` }, platform: 'linux/arm64',
  channels: ['https://conda.example.org/main/'], specs: ['hello-script', 'hello-elf'], prefix: '/env', strategy: 'single', maxLayers: '',
  variables: 'A=1', entrypoint: '', cmd: '["hello-prefix"]', labels: 'x=y', tag: 'shared/env:1', epoch: '42',
  locks: [{ subdir: 'linux-aarch64', sha256: 'cd'.repeat(32), packages: [{ name: 'hello-script', version: '1.0', build: '0', channel: 'https://conda.example.org/main/', subdir: 'linux-aarch64', format: 'conda' }] }],
};

const fields = () => {
  const { base, platform, prefix, strategy, tag, epoch, cmd, variables, labels, shared, lock } = useBuildDraft.getState();
  const { channels, specs } = useBuildDraft.getState();
  return { base, platform, prefix, strategy, tag, epoch, cmd, variables, labels, shared, lock, channels: channels.map((c) => c.value), specs: specs.map((s) => s.value) };
};

describe('opening a share link', () => {
  beforeEach(() => {
    useBuildDraft.setState({ ...initialDraft(), shared: undefined, tag: 'mine/typed:1', lock: '' });
    useShareNotice.setState({}, true);
  });

  it('restores every field, the base pinned to its digest, and holds the lock', () => {
    openShareFragment(`#${encodeShareLink(LINK)}`);
    expect(fields()).toEqual({
      base: { kind: 'ref', ref: `registry.example.org/base:1@sha256:${'ab'.repeat(32)}` }, platform: 'linux/arm64', prefix: '/env', strategy: 'single',
      tag: 'shared/env:1', epoch: '42', cmd: '["hello-prefix"]', variables: 'A=1', labels: 'x=y', shared: LINK.locks, lock: '',
      channels: ['https://conda.example.org/main/'], specs: ['hello-script', 'hello-elf'],
    });
    expect(useShareNotice.getState()).toEqual({ opened: true });
  });

  it('leaves the form untouched when the link is truncated, and says so', () => {
    const before = fields();
    const fragment = `#${encodeShareLink(LINK)}`;
    openShareFragment(fragment.slice(0, fragment.length - 10));
    expect(fields()).toEqual(before);
    expect(useShareNotice.getState().error).toMatch(/this share link cannot be read: .*the form was left as it was/);
  });

  it('warns about a link of another layer format', () => {
    openShareFragment(`#${encodeShareLink({ ...LINK, layerFormat: LAYER_FORMAT_VERSION + 1 })}`);
    expect(useShareNotice.getState().warning).toContain(`layers have format ${LAYER_FORMAT_VERSION + 1}`);
    expect(fields().tag).toBe('shared/env:1');
  });

  it('drops the shared lock when a field the solve depends on changes, not when the tag or epoch does', () => {
    openShareFragment(`#${encodeShareLink(LINK)}`);
    const draft = useBuildDraft.getState();
    draft.set({ tag: 'other/env:2', epoch: '7' });
    expect(useBuildDraft.getState().shared).toEqual(LINK.locks);
    draft.setSpec(useBuildDraft.getState().specs[0].id, 'hello-script>=2');
    expect(useBuildDraft.getState().shared).toBeUndefined();
    openShareFragment(`#${encodeShareLink(LINK)}`);
    useBuildDraft.getState().set({ platform: 'linux/amd64' });
    expect(useBuildDraft.getState().shared).toBeUndefined();
  });

  it('ignores fragments that are not share links', () => {
    const before = fields();
    openShareFragment('#section-2');
    expect(fields()).toEqual(before);
    expect(useShareNotice.getState()).toEqual({});
  });
});
