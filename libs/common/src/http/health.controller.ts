import { Controller, Get, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { FleetContext } from '../service/fleet-context';
import { httpStatusOf } from '../health/health';

@Controller()
export class HealthController {
  constructor(private readonly fleet: FleetContext) {}

  /** Contracts §1, readiness (Consul): 200 passing, 429 warning, 503 critical naming the failing dependency. */
  @Get('health')
  async health(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.fleet.health.report();
    await reply.status(httpStatusOf(report.status)).send(report);
  }

  /**
   * Contracts §1, liveness (Marathon, Docker's HEALTHCHECK): 200 whenever the event loop gets to answer,
   * whatever the dependencies do, so an outage of Kafka or Redis never becomes a restart loop.
   */
  @Get('health/live')
  live(): { status: 'alive'; uptime_s: number } {
    return { status: 'alive', uptime_s: Math.round(process.uptime()) };
  }
}
