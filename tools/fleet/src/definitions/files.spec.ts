import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compareFiles, writeFiles } from './files';

describe('generated files on disk', () => {
  it('are written once, then found equal; a changed or missing one is reported', () => {
    const root = mkdtempSync(join(tmpdir(), 'fleet-files-'));
    try {
      const files = new Map([
        ['a/one.json', '{}\n'],
        ['b/two.txt', 'two\n'],
      ]);
      assert.deepEqual(writeFiles(root, files), ['a/one.json', 'b/two.txt']);
      assert.deepEqual(writeFiles(root, files), []);
      assert.deepEqual(compareFiles(root, files), []);
      writeFileSync(join(root, 'a/one.json'), '{"edited":true}\n');
      rmSync(join(root, 'b/two.txt'));
      assert.deepEqual(compareFiles(root, files), [
        { path: 'a/one.json', problem: 'differs' },
        { path: 'b/two.txt', problem: 'missing' },
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
