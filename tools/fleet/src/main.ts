#!/usr/bin/env node
import { FLEET_TOPICS, type ServiceName } from '@mmp/common';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { consulUrl } from './consul/consul';
import { connectDocker, dockerHost, ensureEngine } from './docker/engine';
import {
  committedOptions,
  FLEET,
  INFRA_ENV,
  marathonGroup,
  renderFiles,
  type MarathonGroup,
  type RenderOptions,
} from './definitions/fleet';
import { compareFiles, writeFiles } from './definitions/files';
import { buildImage, chooseBase, pruneImages } from './images/build';
import { MarathonClient } from './marathon/client';
import { deploy } from './marathon/deploy';
import { currentRevision, ROOT, RUN_DIR } from './paths';
import { FleetRunner, type RunningInstance } from './runner/runner';
import { demoApp, DEMO_APP_ID, seed, shellExports } from './seed/seed';
import { banner } from './runner/banner';
import { replayGroup } from './replay/replay';
import { withKafkaAdmin } from './kafka-admin';
import { REGISTRY_BASE } from './runtime';

const say = (line: string): void => void console.error(`[fleet] ${line}`);

/** `--env KEY=VALUE` options, plus the infrastructure addresses this shell overrides (contracts §1). */
function envOverrides(pairs: string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of Object.keys(INFRA_ENV)) if (process.env[key]) env[key] = process.env[key]!;
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--env wants KEY=VALUE, got '${pair}'`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

function renderOptions(tag: string | undefined, pairs: string[] | undefined): RenderOptions {
  const revision = tag ?? currentRevision();
  return { tag: revision, version: revision, env: envOverrides(pairs) };
}

const commands: Record<string, { summary: string; run(args: string[]): Promise<number | void> }> = {
  topics: {
    summary: 'create the topics of contracts §4 that do not exist yet',
    async run() {
      await withKafkaAdmin(async (admin) => {
        await admin.ensureTopics(FLEET_TOPICS);
        for (const spec of FLEET_TOPICS) say(`topic ${spec.topic}: ${await admin.partitionCount(spec.topic)} partitions`);
      });
    },
  },

  definitions: {
    summary: 'write deploy/marathon/*.json and deploy/docker/*.Dockerfile from the fleet spec (--check: fail when they differ)',
    async run(args) {
      const { values } = parseArgs({ args, options: { check: { type: 'boolean' }, root: { type: 'string' } } });
      const root = values.root ?? ROOT;
      const files = renderFiles(committedOptions);
      if (values.check) {
        const differences = compareFiles(root, files);
        for (const difference of differences) say(`${difference.path} ${difference.problem}`);
        if (differences.length) {
          say(`${differences.length} generated file(s) out of date: run 'npm run fleet -- definitions' and commit them`);
          return 1;
        }
        say(`${files.size} generated files match tools/fleet/src/definitions/fleet.ts`);
        return 0;
      }
      const written = writeFiles(root, files);
      say(written.length ? `wrote ${written.join(', ')}` : `${files.size} files already up to date`);
    },
  },

  images: {
    summary: 'images build [--tag T] [service...]: build mmp/<service>:<git sha> and :latest',
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { tag: { type: 'string' } } });
      if (positionals[0] !== 'build') throw new Error('usage: fleet images build [--tag T] [service...]');
      const wanted = positionals.slice(1);
      const services = FLEET.map((spec) => spec.name).filter((name) => wanted.length === 0 || wanted.includes(name));
      const unknown = wanted.filter((name) => !services.includes(name as ServiceName));
      if (unknown.length) throw new Error(`unknown service(s): ${unknown.join(', ')}`);
      const host = dockerHost();
      const docker = connectDocker(host);
      await ensureEngine(docker, host);
      const baseImage = await chooseBase(docker);
      const tags = [values.tag ?? currentRevision(), 'latest'];
      say(`building ${services.length} image(s) at ${host}, base ${baseImage ?? `${REGISTRY_BASE} (the Dockerfile default)`}`);
      for (const service of services) {
        const result = await buildImage(docker, ROOT, service, {
          tags,
          baseImage,
          onLine: (line) => console.error(`[${service}] ${line}`),
        });
        say(
          `${result.images.join(', ')} built in ${(result.ms / 1000).toFixed(1)} s (${result.cachedSteps} of ${result.steps} steps from the cache)`,
        );
      }
      for (const service of services) {
        const removed = await pruneImages(docker, service, Number(process.env.MMP_KEEP_IMAGES ?? 2));
        if (removed.length) say(`removed older images: ${removed.join(', ')}`);
      }
    },
  },

  deploy: {
    summary:
      'deploy --marathon URL [--force] [--tag T] [--env K=V] [--file F]: PUT the group, follow the deployment, wait for Consul',
    async run(args) {
      const { values } = parseArgs({
        args,
        options: {
          marathon: { type: 'string' },
          force: { type: 'boolean' },
          tag: { type: 'string' },
          env: { type: 'string', multiple: true },
          timeout: { type: 'string' },
          file: { type: 'string' },
        },
      });
      if (!values.marathon)
        throw new Error('usage: fleet deploy --marathon http://marathon:8080 [--force] [--tag T] [--file group.json]');
      // --file: a group definition as written (e.g. edited by hand); else the fleet rendered for this revision.
      const group: MarathonGroup = values.file
        ? (JSON.parse(readFileSync(values.file, 'utf8')) as MarathonGroup)
        : marathonGroup(renderOptions(values.tag, values.env));
      say(`deploying ${group.id} (${group.apps.map((app) => `${app.id}×${app.instances}`).join(', ')}) to ${values.marathon}`);
      const result = await deploy(group, {
        client: new MarathonClient(values.marathon),
        consul: consulUrl(),
        force: values.force,
        timeoutMs: Number(values.timeout ?? 600) * 1000,
        log: say,
      });
      say(`deployed: ${result.deploymentId}; every app's new version passes in Consul`);
    },
  },

  up: {
    summary: 'up [--containers] [--tag T]: run the fleet from its app definitions until Ctrl-C / SIGTERM',
    async run(args) {
      const { values } = parseArgs({
        args,
        options: { containers: { type: 'boolean' }, tag: { type: 'string' }, env: { type: 'string', multiple: true } },
      });
      const group = marathonGroup(renderOptions(values.tag, values.env));
      const mode = values.containers ? 'containers' : 'processes';
      let docker;
      if (mode === 'containers') {
        const host = dockerHost();
        docker = connectDocker(host);
        await ensureEngine(docker, host);
      }
      const runner = new FleetRunner({ mode, root: ROOT, runDir: RUN_DIR, consul: consulUrl(), docker, log: say });
      say(`run ${runner.runId}: starting ${group.apps.reduce((sum, app) => sum + app.instances, 0)} instances as ${mode}`);
      let stopping: Promise<number> | undefined;
      const stop = (why: string) =>
        (stopping ??= (async () => {
          say(`${why}: stopping the fleet`);
          const results = await runner.stop();
          const bad = results.filter((result) => result.code !== 0);
          say(bad.length ? `${bad.length} instance(s) exited badly` : `all ${results.length} instances stopped cleanly`);
          return bad.length ? 1 : 0;
        })());
      const stopped = new Promise<number>((done) => {
        // on, not once: npm and the terminal may both deliver a Ctrl-C, and a second signal must not kill us mid-stop.
        for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void stop(signal).then(done));
      });
      let running: RunningInstance[];
      try {
        running = await runner.start(group.apps);
      } catch (error) {
        if (stopping) return stopping;
        throw error;
      }
      if (stopping) return stopping;
      console.log(banner(running, process.env));
      say(`run ${runner.runId}: the fleet is up (${running.length} instances passing in Consul); Ctrl-C stops it`);
      const crashed = runner.firstExit().then(async (exit) => {
        if (stopping) return stopping;
        say(`${exit.instanceId} exited on its own with ${exit.code}:\n${exit.tail}`);
        await stop('an instance failed');
        return 1;
      });
      return Promise.race([stopped, crashed]);
    },
  },

  replay: {
    summary: 'replay --group G --topic T --from TIME: move a stopped consumer group to the first message at or after TIME',
    async run(args) {
      const { values } = parseArgs({
        args,
        options: { group: { type: 'string' }, topic: { type: 'string' }, from: { type: 'string' } },
      });
      if (!values.group || !values.topic || !values.from)
        throw new Error('usage: fleet replay --group G --topic T --from 2026-11-22T10:00:00Z');
      const offsets = await replayGroup({ groupId: values.group, topic: values.topic, from: values.from });
      for (const { partition, offset } of offsets) say(`${values.topic}[${partition}] -> ${offset}`);
      say(`group ${values.group} will read ${values.topic} from ${values.from} when it starts`);
    },
  },

  seed: {
    summary: 'seed [--app-id ID] [--shell]: put a demo app with fresh keys in Consul KV and print the keys',
    async run(args) {
      const { values } = parseArgs({ args, options: { 'app-id': { type: 'string' }, shell: { type: 'boolean' } } });
      const app = demoApp(values['app-id'] ?? DEMO_APP_ID);
      const key = await seed(consulUrl(), app);
      if (values.shell) {
        console.log(shellExports(app));
      } else {
        console.log(`app_id     ${app.record.app_id}\nsdk_key    ${app.record.sdk_key}\napi_token  ${app.apiToken}`);
      }
      say(`put ${key} in Consul KV (only the API token's sha256 is stored; keep the token now)`);
    },
  },
};

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const command = name ? commands[name] : undefined;
  if (!command) {
    console.error(
      'usage: fleet <command>\n' +
        Object.entries(commands)
          .map(([key, value]) => `  ${key.padEnd(12)} ${value.summary}`)
          .join('\n'),
    );
    process.exit(name ? 2 : 0);
  }
  const code = await command.run(args);
  process.exit(code ?? 0);
}

main().catch((error: Error) => {
  console.error(`[fleet] ${error.message}`);
  process.exit(1);
});
