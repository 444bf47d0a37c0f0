import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { GiveUp, ROOT, waitFor } from '../../support/infra';
import { watchProcess } from '../../support/watched-processes';

export const FLEET_CLI = resolve(ROOT, 'tools/fleet/dist/main.js');

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end and returns its exit code and output (never throws on a non-zero exit). */
export function run(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Finished> {
  return new Promise((done) => {
    execFile(
      command,
      args,
      { cwd: ROOT, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        done({ code, stdout, stderr: error && code === null ? `${stderr}\n${error.message}` : stderr });
      },
    );
  });
}

export const runFleet = (args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Finished> =>
  run(process.execPath, [FLEET_CLI, ...args], options);

export interface LongRunning {
  child: ChildProcess;
  output(): string;
  /** Waits until the output matches, failing at once if the process exits first. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** Sends the signal and resolves with the exit code and the time it took. */
  stop(signal: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; ms: number }>;
  exited: Promise<number | null>;
}

export function spawnLong(command: string, args: string[], env: Record<string, string> = {}): LongRunning {
  const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const unwatch = watchProcess(`${command} ${args.join(' ')}`, child, () => output);
  return {
    child,
    output: () => output,
    exited,
    waitForOutput: (pattern, timeoutMs) =>
      waitFor(
        `output matching ${pattern}`,
        () => {
          const match = output.match(pattern);
          if (match) return match;
          if (child.exitCode !== null || child.signalCode !== null)
            throw new GiveUp(`exited with ${child.exitCode ?? child.signalCode} first:\n${output.slice(-4000)}`);
          return undefined;
        },
        timeoutMs,
        200,
      ),
    async stop(signal, timeoutMs = 60_000) {
      const started = Date.now();
      unwatch();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return { code, ms: Date.now() - started };
    },
  };
}
