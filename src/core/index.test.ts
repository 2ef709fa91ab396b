import { describe, expect, it } from 'vitest';
import * as browser from './index';
import * as node from './index.node';

describe('the library entries', () => {
  it('Node offers every name the browser entry does, and only its listed extras besides', () => {
    const extras = ['NodeImage', 'defaultCacheDir', 'folderFromPath', 'sourceDateEpoch', 'writeDockerArchiveToFile'];
    expect(Object.keys(node).sort()).toEqual([...Object.keys(browser), ...extras].sort());
  });

  it('a NodeImage is a ContainerImage, and an edit keeps its class', () => {
    const img = new node.NodeImage(browser.emptyImage(), 'x/y:1');
    const edited = img.withName('x/z:2').addLayerContents({ a: 'b' });
    expect(edited).toBeInstanceOf(node.NodeImage);
    expect(edited).toBeInstanceOf(browser.ContainerImage);
    expect(edited.name).toBe('x/z:2');
    expect(img.name).toBe('x/y:1');
  });
});

describe('the Node entry', () => {
  it('replaces the three openers by their Node forms', () => {
    expect(node.openImage).not.toBe(browser.openImage);
    expect(node.pullImage).not.toBe(browser.pullImage);
    expect(node.buildDockerEnvironment).not.toBe(browser.buildDockerEnvironment);
    expect(node.compareImages).toBe(browser.compareImages);
  });
});
