import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface Difference {
  path: string;
  problem: 'missing' | 'differs';
}

/** Which generated files are missing or differ on disk. */
export function compareFiles(root: string, files: Map<string, string>): Difference[] {
  const differences: Difference[] = [];
  for (const [path, content] of files) {
    let current: string;
    try {
      current = readFileSync(resolve(root, path), 'utf8');
    } catch {
      differences.push({ path, problem: 'missing' });
      continue;
    }
    if (current !== content) differences.push({ path, problem: 'differs' });
  }
  return differences;
}

export function writeFiles(root: string, files: Map<string, string>): string[] {
  const written: string[] = [];
  for (const [path, content] of files) {
    const target = resolve(root, path);
    mkdirSync(dirname(target), { recursive: true });
    let current: string | undefined;
    try {
      current = readFileSync(target, 'utf8');
    } catch {}
    if (current === content) continue;
    writeFileSync(target, content);
    written.push(path);
  }
  return written;
}
