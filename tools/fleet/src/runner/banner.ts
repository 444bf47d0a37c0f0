import type { RunningInstance } from './runner';

/** What `fleet up` prints once the fleet passes: URLs, and with a seeded demo app (MMP_DEMO_*), curl lines that work. */
export function banner(running: RunningInstance[], env: NodeJS.ProcessEnv): string {
  const lines = ['', 'The fleet is up:'];
  for (const instance of running) lines.push(`  ${instance.instanceId.padEnd(32)} ${instance.url}/health`);
  const consul = env.CONSUL_HTTP_ADDR ?? '127.0.0.1:8500';
  lines.push(
    '',
    `Consul UI      http://${consul.replace(/^https?:\/\//, '')}/ui/`,
    `StatsD admin   tcp://127.0.0.1:8126   (echo counters | nc -q1 127.0.0.1 8126)`,
  );
  const first = (service: string) => running.find((instance) => instance.service === service);
  const ingest = first('ingest');
  const raw = first('raw-reports');
  const aggregates = first('aggregates');
  if (aggregates) lines.push(`Dashboard      ${aggregates.url}/dashboard   (sign in with an app id and its API token)`);
  const appId = env.MMP_DEMO_APP_ID;
  if (appId && env.MMP_DEMO_SDK_KEY && ingest) {
    const event = `{"event_id":"demo-install-$(date +%s)","type":"install","event_time":"'$(date -u +%Y-%m-%dT%H:%M:%SZ)'","device":{"platform":"android","advertising_id":"demo-gaid-0001"}}`;
    lines.push(
      '',
      `Demo app ${appId}:`,
      '  # a click on a tracking link (302 to the store)',
      `  curl -i '${ingest.url}/v1/click/${appId}?pid=demo_network&c=launch&advertising_id=demo-gaid-0001'`,
      '  # an install from the SDK',
      `  curl -i -X POST ${ingest.url}/v1/apps/${appId}/events -H 'X-Sdk-Key: ${env.MMP_DEMO_SDK_KEY}' -H 'Content-Type: application/json' -d '${event}'`,
    );
    if (env.MMP_DEMO_API_TOKEN && raw) {
      lines.push(
        '  # the raw installs of today',
        `  curl -H 'Authorization: Bearer ${env.MMP_DEMO_API_TOKEN}' "${raw.url}/v1/apps/${appId}/raw/installs?from=$(date -u +%F)&to=$(date -u +%F)"`,
      );
    }
    if (env.MMP_DEMO_API_TOKEN && aggregates) {
      lines.push(
        '  # the aggregates of today',
        `  curl -H 'Authorization: Bearer ${env.MMP_DEMO_API_TOKEN}' "${aggregates.url}/v1/apps/${appId}/aggregates?from=$(date -u +%F)&to=$(date -u +%F)"`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}
