import { spawn } from 'node:child_process';
import type { Instance } from './instance';
import { OutputSink } from './instance';
import { processArgv, processEnv, type InstancePlan } from './plan';

/** Runs an instance as a local process: the definition's command from the repository root, with its env only. */
export function launchProcess(plan: InstancePlan, options: { root: string; logFile: string }): Instance {
  const argv = processArgv(plan.args, process.execPath);
  const sink = new OutputSink(options.logFile);
  // Own process group: a Ctrl-C at the terminal reaches the runner, which then stops each instance in order.
  const child = spawn(argv[0], argv.slice(1), {
    cwd: options.root,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...processEnv(plan.env, plan.volumes) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.on('data', (chunk: Buffer) => sink.write(chunk));
  child.stderr.on('data', (chunk: Buffer) => sink.write(chunk));
  const exited = new Promise<number | null>((done) => {
    child.once('error', (error) => {
      sink.write(`failed to start: ${error.message}\n`);
      done(127);
    });
    child.once('close', (code) => sink.close().then(() => done(code)));
  });
  let exitedYet = false;
  void exited.then(() => (exitedYet = true));
  return {
    plan,
    logFile: options.logFile,
    ref: { pid: child.pid },
    exited,
    hasExited: () => exitedYet,
    tail: () => sink.tail(),
    async stop(graceMs) {
      const started = Date.now();
      if (!exitedYet) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return { code, ms: Date.now() - started };
    },
  };
}
