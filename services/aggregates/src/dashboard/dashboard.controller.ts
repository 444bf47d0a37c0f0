import { Controller, Get, Headers, Inject, Param, Res } from '@nestjs/common';
import { FleetContext } from '@mmp/common';
import type { FastifyReply } from 'fastify';
import { DASHBOARD_FILES, loadDashboardAssets, type DashboardFile } from './dashboard-assets';

/**
 * Everything from this origin, nothing inline, nothing from elsewhere: the page needs only its
 * script, its stylesheet and the aggregates API.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Serves the dashboard page (built by scripts/bundle.mjs) at /dashboard. */
@Controller('dashboard')
export class DashboardController {
  private readonly assets = loadDashboardAssets();

  constructor(@Inject(FleetContext) context: FleetContext) {
    if (!this.assets) context.logger.warn('dashboard_not_built: run `node scripts/bundle.mjs` to build the page');
  }

  @Get()
  page(@Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    return this.send('index.html', ifNoneMatch, reply);
  }

  @Get(':file')
  async file(
    @Param('file') file: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!Object.hasOwn(DASHBOARD_FILES, file) || file === 'index.html') {
      await reply.status(404).send({ error: 'not_found', message: `no dashboard file ${JSON.stringify(file)}` });
      return;
    }
    await this.send(file as DashboardFile, ifNoneMatch, reply);
  }

  private async send(file: DashboardFile, ifNoneMatch: string | undefined, reply: FastifyReply): Promise<void> {
    const asset = this.assets?.get(file);
    if (!asset) {
      await reply
        .status(503)
        .send({ error: 'unavailable', message: 'the dashboard was not built: run `node scripts/bundle.mjs`' });
      return;
    }
    reply
      .header('content-security-policy', DASHBOARD_CSP)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      // Revalidated each time (a new build changes the ETag); a matching one costs a 304.
      .header('cache-control', 'no-cache')
      .header('etag', asset.etag);
    if (ifNoneMatch === asset.etag) {
      await reply.status(304).send();
      return;
    }
    await reply.status(200).header('content-type', asset.contentType).send(asset.body);
  }
}
