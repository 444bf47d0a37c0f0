export type HealthStatus = 'passing' | 'warning' | 'critical';

export interface CheckResult {
  status: HealthStatus;
  detail?: string;
}

export type HealthCheck = () => CheckResult | Promise<CheckResult>;

const rank: Record<HealthStatus, number> = { passing: 0, warning: 1, critical: 2 };

/** Contracts §1: the worst check decides; Consul reads 200 / 429 / 503. */
export class HealthRegistry {
  private readonly checks = new Map<string, HealthCheck>();

  register(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  async report(timeoutMs = 1000): Promise<{ status: HealthStatus; checks: Record<string, CheckResult> }> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => [name, await withTimeout(check, timeoutMs)] as const),
    );
    const checks = Object.fromEntries(entries);
    const status = entries.reduce<HealthStatus>(
      (worst, [, result]) => (rank[result.status] > rank[worst] ? result.status : worst),
      'passing',
    );
    return { status, checks };
  }
}

export const httpStatusOf = (status: HealthStatus): number => ({ passing: 200, warning: 429, critical: 503 })[status];

async function withTimeout(check: HealthCheck, timeoutMs: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      Promise.resolve().then(check),
      new Promise<CheckResult>((resolve) => {
        timer = setTimeout(() => resolve({ status: 'critical', detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
      }),
    ]);
  } catch (error) {
    return { status: 'critical', detail: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

/** Redis answers PING. */
export function redisCheck(redis: { isReady: boolean; ping(): Promise<string> }): HealthCheck {
  return async () => {
    if (!redis.isReady) return { status: 'critical', detail: 'redis is not connected' };
    await redis.ping();
    return { status: 'passing' };
  };
}
