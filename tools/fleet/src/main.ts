#!/usr/bin/env node
import { FLEET_TOPICS, type ServiceName } from '@mmp/common';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { consulUrl } from './consul/consul';
import { connectDocker, dockerHost, ensureEngine } from './docker/engine';
import { loadFleetConfig, type FleetConfiguration } from './config/fleet-config';
import { committedOptions, FLEET, marathonGroup, renderFiles, type MarathonGroup, type RenderOptions } from './definitions/fleet';
import { compareFiles, writeFiles } from './definitions/files';
import { buildImage, chooseBase, pruneImages } from './images/build';
import { pushImage, requireRegistry } from './images/push';
import { MarathonClient } from './marathon/client';
import { deploy } from './marathon/deploy';
import { loadSchemaChecker } from './marathon/schema';
import { currentRevision, ROOT, RUN_DIR } from './paths';
import { FleetRunner, type RunningInstance } from './runner/runner';
import { demoApp, DEMO_APP_ID, seed, shellExports } from './seed/seed';
import { banner } from './runner/banner';
import { replayGroup } from './replay/replay';
import { ensureTopics } from './topics/topics';
import { REGISTRY_BASE } from './runtime';

const say = (line: string): void => void console.error(`[fleet] ${line}`);

/**
 * `--env KEY=VALUE` options: the only variables of the operator's that reach a definition. The shell's own
 * KAFKA_BROKERS or CONSUL_HTTP_ADDR (how the tool reaches the cluster) never do.
 */
function envOverrides(pairs: string[] = []): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--env wants KEY=VALUE, got '${pair}'`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

function renderOptions(config: FleetConfiguration, tag: string | undefined, pairs: string[] | undefined): RenderOptions {
  const revision = tag ?? currentRevision();
  return { tag: revision, version: revision, config, env: envOverrides(pairs) };
}

/** Fails, naming every problem, unless the definition passes Marathon's schema: nothing invalid leaves the tool. */
function checkSchema(definition: unknown, what: string): void {
  const problems = loadSchemaChecker(ROOT).checkDefinition(definition);
  if (problems.length === 0) return;
  for (const problem of problems) say(`  ${problem}`);
  throw new Error(`${what} does not pass Marathon's app schema (${problems.length} problem(s) above)`);
}

/** `--config FILE`: the fleet configuration, relative to the repository root unless absolute. */
const configOption = { config: { type: 'string' } } as const;

function readGroup(file: string): MarathonGroup {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as MarathonGroup;
  } catch (error) {
    throw new Error(`${file} is not JSON: ${(error as Error).message}`);
  }
}

const commands: Record<string, { summary: string; run(args: string[]): Promise<number | void> }> = {
  topics: {
    summary: "topics [--config F]: create contracts §4's topics with the configured replication factor and min.insync.replicas",
    async run(args) {
      const { values } = parseArgs({ args, options: { ...configOption } });
      const config = loadFleetConfig(ROOT, values.config);
      // The tool's own way to the brokers: KAFKA_BROKERS when the operator sets one (a tunnel), else the configuration's.
      const brokers = (process.env.KAFKA_BROKERS ?? config.kafka.brokers).split(',').map((broker) => broker.trim());
      const plan = await ensureTopics(brokers, FLEET_TOPICS, config.kafka, say);
      const problems = plan.filter((action) => action.kind === 'problem');
      if (problems.length) say(`${problems.length} topic(s) differ from the configuration in what fleet topics cannot change`);
      return problems.length ? 1 : 0;
    },
  },

  definitions: {
    summary: 'write deploy/marathon/*.json and deploy/docker/*.Dockerfile from the fleet spec (--check: fail when they differ)',
    async run(args) {
      const { values } = parseArgs({
        args,
        options: { check: { type: 'boolean' }, root: { type: 'string' }, ...configOption },
      });
      const root = values.root ?? ROOT;
      const options = committedOptions(loadFleetConfig(root, values.config));
      const files = renderFiles(options);
      const group = marathonGroup(options);
      checkSchema(group, 'the rendered definitions');
      say(`${group.apps.length} app definitions pass Marathon's app schema`);
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
    summary:
      'images build|push [--tag T] [--config F] [service...]: build <prefix>/<service>:<git sha> and :latest; push the tag to the registry of the prefix',
    async run(args) {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { tag: { type: 'string' }, ...configOption },
      });
      const config = loadFleetConfig(ROOT, values.config);
      const action = positionals[0];
      if (action !== 'build' && action !== 'push')
        throw new Error('usage: fleet images build|push [--tag T] [--config F] [service...]');
      const wanted = positionals.slice(1);
      const services = FLEET.map((spec) => spec.name).filter((name) => wanted.length === 0 || wanted.includes(name));
      const unknown = wanted.filter((name) => !services.includes(name as ServiceName));
      if (unknown.length) throw new Error(`unknown service(s): ${unknown.join(', ')}`);
      const host = dockerHost();
      const docker = connectDocker(host);
      await ensureEngine(docker, host);
      if (action === 'push') {
        const tag = values.tag ?? currentRevision();
        const registry = await requireRegistry(config.images.prefix);
        say(`pushing ${services.length} image(s) of tag ${tag} to ${registry}`);
        for (const service of services) {
          const result = await pushImage(docker, config.images.prefix, service, tag, (line) =>
            console.error(`[${service}] ${line}`),
          );
          say(`pushed ${result.image} (${result.digest ?? 'no digest reported'}) in ${(result.ms / 1000).toFixed(1)} s`);
        }
        return;
      }
      const baseImage = await chooseBase(docker);
      const tags = [values.tag ?? currentRevision(), 'latest'];
      say(`building ${services.length} image(s) at ${host}, base ${baseImage ?? `${REGISTRY_BASE} (the Dockerfile default)`}`);
      for (const service of services) {
        const result = await buildImage(docker, ROOT, service, {
          prefix: config.images.prefix,
          tags,
          baseImage,
          onLine: (line) => console.error(`[${service}] ${line}`),
        });
        say(
          `${result.images.join(', ')} built in ${(result.ms / 1000).toFixed(1)} s (${result.cachedSteps} of ${result.steps} steps from the cache)`,
        );
      }
      for (const service of services) {
        const removed = await pruneImages(docker, config.images.prefix, service, Number(process.env.MMP_KEEP_IMAGES ?? 2));
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
          ...configOption,
        },
      });
      if (!values.marathon)
        throw new Error('usage: fleet deploy --marathon http://marathon:8080 [--force] [--tag T] [--file group.json]');
      // --file: a group definition as written (e.g. edited by hand); else the fleet rendered for this revision.
      const group = values.file
        ? readGroup(values.file)
        : marathonGroup(renderOptions(loadFleetConfig(ROOT, values.config), values.tag, values.env));
      checkSchema(group, values.file ?? 'the rendered group');
      if (!Array.isArray((group as Partial<MarathonGroup>).apps))
        throw new Error(`${values.file}: fleet deploy wants a group ({"id": ..., "apps": [...]})`);
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
        options: {
          containers: { type: 'boolean' },
          tag: { type: 'string' },
          env: { type: 'string', multiple: true },
          ...configOption,
        },
      });
      const group = marathonGroup(renderOptions(loadFleetConfig(ROOT, values.config), values.tag, values.env));
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
