import { Controller, Get, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import { APP_ID_PATTERN, FleetContext } from '@mmp/common';
import { stringify } from 'csv-stringify';
import type { FastifyReply } from 'fastify';
import { pipeline, Readable } from 'node:stream';
import { checkExportQuery, isAuthorized } from '../domain/export-request';
import { isRawKind, RAW_COLUMNS, type RawKind } from '../domain/raw-row';
import type { OrderedLine } from '../domain/row-order';
import { RawLake } from '../store/raw-lake';

/** Rows are handed on in blocks of about this many bytes: fewer stream hops, bounded memory. */
const BLOCK_BYTES = 64 * 1024;

/** Contracts §6: the raw exports, streamed from the lake with back-pressure. */
@Controller('v1/apps/:appId/raw')
export class RawExportController {
  constructor(
    @Inject(FleetContext) private readonly fleet: FleetContext,
    private readonly lake: RawLake,
  ) {}

  @Get(':kind')
  async export(
    @Param('appId') appId: string,
    @Param('kind') kind: string,
    @Query() query: Record<string, unknown>,
    @Headers('authorization') authorization: string | undefined,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    if (!isRawKind(kind)) {
      await reply
        .status(404)
        .send({ error: 'not_found', message: `no raw report ${kind}; try installs, in-app-events, clicks or impressions` });
      return;
    }
    const app = APP_ID_PATTERN.test(appId) ? this.fleet.apps.get(appId) : undefined;
    if (!app) {
      await reply.status(404).send({ error: 'unknown_app', message: `no app ${appId}` });
      return;
    }
    if (!isAuthorized(authorization, app.api_token_sha256)) {
      await reply
        .status(401)
        .send({ error: 'unauthorized', message: 'Authorization: Bearer <api token of this app> is required' });
      return;
    }
    const checked = checkExportQuery(query);
    if (!checked.ok) {
      await reply.status(400).send({ error: checked.error, message: checked.message });
      return;
    }
    const { days, format, from, to } = checked.value;
    const rows = this.lake.read(appId, kind, days);
    const body = format === 'jsonl' ? Readable.from(jsonLinesBlocks(rows)) : this.csvOf(kind, rows);
    await reply
      .status(200)
      .header('content-type', format === 'jsonl' ? 'application/x-ndjson; charset=utf-8' : 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${appId}-${kind}-${from}-${to}.${format}"`)
      .send(body);
  }

  /** RFC 4180 by csv-stringify: header row, CRLF line ends, quoting of commas, quotes and newlines, empty for null. */
  private csvOf(kind: RawKind, rows: AsyncIterable<OrderedLine>): Readable {
    const csv = stringify({
      header: true,
      record_delimiter: 'windows',
      columns: [...RAW_COLUMNS[kind]],
      cast: { boolean: (value) => (value ? 'true' : 'false') },
    });
    // A client that goes away destroys the reply's stream; pipeline passes that back to the lake's readers.
    return pipeline(Readable.from(parsedRows(rows)), csv, (error) => {
      if (error && error.code !== 'ERR_STREAM_PREMATURE_CLOSE')
        this.fleet.logger.warn({ err: error.message, kind }, 'export_failed');
    });
  }
}

async function* parsedRows(rows: AsyncIterable<OrderedLine>): AsyncGenerator<Record<string, unknown>> {
  for await (const row of rows) yield JSON.parse(row.line) as Record<string, unknown>;
}

async function* jsonLinesBlocks(rows: AsyncIterable<OrderedLine>): AsyncGenerator<string> {
  let block = '';
  for await (const row of rows) {
    block += `${row.line}\n`;
    if (block.length >= BLOCK_BYTES) {
      yield block;
      block = '';
    }
  }
  if (block.length > 0) yield block;
}
