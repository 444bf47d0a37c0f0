/** The few Consul HTTP API calls the fleet tool makes, on the address services use too. */
export interface ConsulInstance {
  id: string;
  service: string;
  address: string;
  port: number;
  version: string | undefined;
}

export function consulUrl(env: NodeJS.ProcessEnv = process.env): string {
  const address = env.CONSUL_HTTP_ADDR ?? '127.0.0.1:8500';
  return /^https?:\/\//.test(address) ? address.replace(/\/$/, '') : `http://${address}`;
}

interface HealthEntry {
  Service: { ID: string; Service: string; Address: string; Port: number; Meta?: Record<string, string> | null };
}

/** Instances whose every check passes (contracts §1: how services find each other). */
export async function passingInstances(consul: string, service: string): Promise<ConsulInstance[]> {
  const response = await fetch(`${consul}/v1/health/service/${encodeURIComponent(service)}?passing`, {
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`Consul answered ${response.status} for ${service}`);
  const entries = (await response.json()) as HealthEntry[];
  return entries.map(({ Service }) => ({
    id: Service.ID,
    service: Service.Service,
    address: Service.Address,
    port: Service.Port,
    version: Service.Meta?.version,
  }));
}

export async function putKv(consul: string, key: string, value: string): Promise<void> {
  const response = await fetch(`${consul}/v1/kv/${key}`, { method: 'PUT', body: value, signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`Consul KV PUT ${key} answered ${response.status}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
