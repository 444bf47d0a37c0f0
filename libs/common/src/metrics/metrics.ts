import { StatsD } from 'hot-shots';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from '../logging/logger';

export type Tags = Record<string, string | number>;

/**
 * Contracts §8: StatsD through hot-shots, prefix `mmp.<service>.`, DogStatsD tags, and
 * the process gauges every 10 s. Sending never throws: metrics must not break a request.
 */
export class Metrics {
  private readonly client: StatsD;
  private processTimer?: NodeJS.Timeout;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 20 });

  constructor(options: { service: string; host: string; port: number; logger: Logger; globalTags?: Tags }) {
    this.client = new StatsD({
      host: options.host,
      port: options.port,
      prefix: `mmp.${options.service}.`,
      protocol: 'udp',
      cacheDns: true,
      maxBufferSize: 1400,
      bufferFlushInterval: 100,
      globalTags: stringTags(options.globalTags ?? {}),
      errorHandler: (error) => options.logger.debug({ err: error.message }, 'statsd send failed'),
    });
  }

  increment(name: string, value = 1, tags: Tags = {}): void {
    this.client.increment(name, value, stringTags(tags));
  }

  gauge(name: string, value: number, tags: Tags = {}): void {
    this.client.gauge(name, value, stringTags(tags));
  }

  timing(name: string, ms: number, tags: Tags = {}): void {
    this.client.timing(name, ms, stringTags(tags));
  }

  startProcessGauges(intervalMs = 10_000): void {
    this.loopDelay.enable();
    const report = () => {
      const memory = process.memoryUsage();
      const lagMs = Number.isFinite(this.loopDelay.mean) ? this.loopDelay.mean / 1e6 : 0;
      this.gauge('process.event_loop_lag_ms', Math.round(lagMs * 100) / 100);
      this.gauge('process.heap_used_bytes', memory.heapUsed);
      this.gauge('process.rss_bytes', memory.rss);
      this.loopDelay.reset();
    };
    report();
    this.processTimer = setInterval(report, intervalMs);
    this.processTimer.unref();
  }

  close(): Promise<void> {
    clearInterval(this.processTimer);
    this.loopDelay.disable();
    return new Promise((resolve) => this.client.close(() => resolve()));
  }
}

function stringTags(tags: Tags): string[] {
  return Object.entries(tags).map(([key, value]) => `${key}:${value}`);
}
