import type { ChildProcess } from 'node:child_process';

/**
 * Processes a test started and expects to keep running. When one of them exits without
 * the test having signalled it, every `waitFor` in that file fails at once with its
 * output, instead of polling until its timeout for something that can no longer happen.
 */
interface Watched {
  name: string;
  child: ChildProcess;
  output: () => string;
}

const watched = new Set<Watched>();

export function watchProcess(name: string, child: ChildProcess, output: () => string): () => void {
  const entry: Watched = { name, child, output };
  watched.add(entry);
  return () => watched.delete(entry);
}

/** The first watched process that exited on its own (`child.killed` is set only by our own `kill`). */
export function unexpectedExit(): string | undefined {
  for (const { name, child, output } of watched) {
    if (child.killed) continue;
    if (child.exitCode === null && child.signalCode === null) continue;
    return `${name} exited with ${child.exitCode ?? child.signalCode} while the test still needed it:\n${output().slice(-4000)}`;
  }
  return undefined;
}

/** Thrown by a probe that knows waiting longer cannot help. */
export class GiveUp extends Error {}
