import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { consulHealth, GiveUp, ROOT, waitFor } from './infra';
import { watchProcess } from './watched-processes';

export interface ServiceProcess {
  child: ChildProcess;
  instanceId: string;
  port: number;
  url: string;
  output(): string;
  /** Sends the signal and resolves with the exit code and the time it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
}

/** Runs a service's built main.js as its own process, as Marathon or `npm start` would. */
export async function startServiceProcess(
  service: string,
  env: Record<string, string> = {},
  options: { script?: string; waitForStart?: boolean } = {},
): Promise<ServiceProcess> {
  const instanceId = env.INSTANCE_ID ?? `${service}-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const script = options.script ?? resolve(ROOT, 'services', service, 'dist', 'main.js');
  const child = spawn(process.execPath, [script], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env, INSTANCE_ID: instanceId },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  let port = 0;
  if (options.waitForStart !== false) {
    try {
      port = await waitFor(
        `${service} to start`,
        async () => {
          if (child.exitCode !== null || child.signalCode !== null)
            throw new GiveUp(`${service} exited with ${child.exitCode ?? child.signalCode}:\n${output}`);
          // The port it registered in Consul is the port it really got (PORT=0).
          const entry = (await consulHealth(service)).find((candidate) => candidate.Service.ID === instanceId);
          return entry?.Service.Port;
        },
        30_000,
      );
    } catch (error) {
      // A service that never came up must not outlive the test that started it.
      child.kill('SIGKILL');
      throw error;
    }
  }
  const unwatch = options.waitForStart !== false ? watchProcess(instanceId, child, () => output) : () => undefined;
  return {
    child,
    instanceId,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      const started = Date.now();
      unwatch();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const code = await exited;
      return { code, ms: Date.now() - started };
    },
  };
}
