import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { resolve } from 'node:path';
import type { InstancePlan } from './plan';

/** A launched instance, process or container alike. */
export interface Instance {
  plan: InstancePlan;
  logFile: string;
  /** The process id or the container id, recorded so a killed runner's instances can still be found. */
  ref: { pid?: number; containerId?: string };
  /** Resolves with the exit code once the instance has exited (null when killed by a signal). */
  exited: Promise<number | null>;
  hasExited(): boolean;
  /** The last lines of its output, for error messages. */
  tail(): string;
  /** SIGTERM, then a kill after the grace. */
  stop(graceMs: number): Promise<{ code: number | null; ms: number }>;
}

/** Writes an instance's output to its log file and keeps the last lines in memory. */
export class OutputSink {
  readonly file: WriteStream;
  private lines: string[] = [];
  private partial = '';

  constructor(
    readonly path: string,
    private readonly keep = 40,
  ) {
    mkdirSync(resolve(path, '..'), { recursive: true });
    this.file = createWriteStream(path, { flags: 'a' });
  }

  write(chunk: Buffer | string): void {
    this.file.write(chunk);
    const text = this.partial + chunk.toString();
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    this.lines.push(...lines);
    if (this.lines.length > this.keep) this.lines.splice(0, this.lines.length - this.keep);
  }

  tail(): string {
    return [...this.lines, this.partial].filter(Boolean).join('\n');
  }

  close(): Promise<void> {
    return new Promise((done) => this.file.end(done));
  }
}
