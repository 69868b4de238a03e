import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { FilesystemArtifactStore } from '../../infra/artifact-store/filesystem-artifact-store';

/** What only the filesystem adapter can get wrong: symlinks, directories and the root itself. */
describe('FilesystemArtifactStore on disk', () => {
  let base: string;
  let root: string;
  let outside: string;
  let store: FilesystemArtifactStore;
  const body = (s: string) => Readable.from([Buffer.from(s)]);

  beforeEach(async () => {
    base = await mkdtemp(path.join(os.tmpdir(), 'hotswap-fs-store-'));
    root = path.join(base, 'root');
    outside = path.join(base, 'outside');
    await mkdir(outside);
    await writeFile(path.join(outside, 'secret'), 'do not touch');
    store = new FilesystemArtifactStore(root);
    await store.init();
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  const listTree = async (dir: string) => (await readdir(dir, { recursive: true })).sort();

  it('writes the key as nested files under the root, and nothing else', async () => {
    await store.put('models/a/1.0.0/model.onnx', body('onnx'));
    expect(await readFile(path.join(root, 'models/a/1.0.0/model.onnx'), 'utf8')).toBe('onnx');
    expect(await listTree(root)).toEqual(['models', 'models/a', 'models/a/1.0.0', 'models/a/1.0.0/model.onnx']);
  });

  describe('a symlinked directory pointing outside the root', () => {
    beforeEach(() => symlink(outside, path.join(root, 'models')));

    it('refuses writes through it and creates nothing outside', async () => {
      await expect(store.put('models/a/1.0.0/model.onnx', body('x'))).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(store.put('models/evil', body('x'))).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      expect(await listTree(outside)).toEqual(['secret']);
    });

    it('refuses reads and deletes through it', async () => {
      await expect(store.get('models/secret')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(store.stat('models/secret')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(store.checksum('models/secret')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      await expect(store.delete('models/secret')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
      expect(await readFile(path.join(outside, 'secret'), 'utf8')).toBe('do not touch');
    });
  });

  it('refuses to read a symlinked file pointing outside, and deletes only the link', async () => {
    await mkdir(path.join(root, 'models'));
    await symlink(path.join(outside, 'secret'), path.join(root, 'models/link'));
    await expect(store.get('models/link')).rejects.toMatchObject({ code: 'VALIDATION_ERROR' });
    await store.delete('models/link');
    expect(await listTree(path.join(root, 'models'))).toEqual([]);
    expect(await readFile(path.join(outside, 'secret'), 'utf8')).toBe('do not touch');
  });

  it('replaces a symlinked file instead of writing through it', async () => {
    await mkdir(path.join(root, 'models'));
    await symlink(path.join(outside, 'secret'), path.join(root, 'models/link'));
    await store.put('models/link', body('replaced'));
    expect(await readFile(path.join(outside, 'secret'), 'utf8')).toBe('do not touch');
    expect((await store.stat('models/link'))?.sizeBytes).toBe('replaced'.length);
  });

  it('follows symlinks that stay inside the root', async () => {
    await mkdir(path.join(root, 'real'));
    await symlink(path.join(root, 'real'), path.join(root, 'models'));
    await store.put('models/a/model.onnx', body('inside'));
    expect(await readFile(path.join(root, 'real/a/model.onnx'), 'utf8')).toBe('inside');
    expect(await store.checksum('models/a/model.onnx')).toHaveLength(64);
  });

  it('works when the root itself is a symlink', async () => {
    const linked = path.join(base, 'linked-root');
    await symlink(root, linked);
    const viaLink = new FilesystemArtifactStore(linked);
    await viaLink.put('models/a/model.onnx', body('ok'));
    expect(await viaLink.stat('models/a/model.onnx')).toEqual({ key: 'models/a/model.onnx', sizeBytes: 2 });
  });

  it('answers CONFLICT for a key below an existing artifact or naming a directory', async () => {
    await store.put('models/a/model.onnx', body('x'));
    await expect(store.put('models/a/model.onnx/inner', body('y'))).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(store.put('models/a', body('y'))).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(await listTree(root)).toEqual(['models', 'models/a', 'models/a/model.onnx']);
  });

  it('ignores deletes of a directory key', async () => {
    await store.put('models/a/model.onnx', body('x'));
    await store.delete('models/a');
    expect(await store.stat('models/a/model.onnx')).not.toBeNull();
  });

  it('treats a missing root as an empty store, and creates it on first write', async () => {
    const fresh = new FilesystemArtifactStore(path.join(base, 'not-yet'));
    expect(await fresh.stat('models/a')).toBeNull();
    await expect(fresh.get('models/a')).rejects.toMatchObject({ code: 'ARTIFACT_NOT_FOUND' });
    await expect(fresh.delete('models/a')).resolves.toBeUndefined();
    await expect(fresh.delete('a')).resolves.toBeUndefined();
    await fresh.put('a', body('x'));
    expect(await fresh.stat('a')).toEqual({ key: 'a', sizeBytes: 1 });
  });

  it('fails ping with SERVICE_UNAVAILABLE when the root is not a directory', async () => {
    const file = path.join(base, 'a-file');
    await writeFile(file, '');
    await expect(new FilesystemArtifactStore(file).ping()).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
  });
});
