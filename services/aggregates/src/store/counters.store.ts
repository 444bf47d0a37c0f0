import type { RedisClient } from '@mmp/common';
import { createHash } from 'node:crypto';
import type { CounterDelta } from '../domain/counting';
import type { Cell } from '../domain/report';
import { cellField, metricIndex, parseCellValue, splitMicros } from './cell-layout';

/*
 * Exactly-once counting on an at-least-once stream. For each event, one script run
 * records its event_id in the set of ids counted for its (app, day) and, only when the
 * id was new, adds it to its cell: both or neither, atomically. A redelivery, a replay of
 * either topic, a kill -9 between the script and the commit, or a second instance
 * handed the same partition after a rebalance all find the id already recorded.
 *
 * Every key of an app carries the hash tag `{<app_id>}`, so a script only ever touches
 * one slot (Redis Cluster). The day of an event never changes (it is read from the event
 * itself), so its id is always checked in the same set.
 *
 * KEYS, per event: the day's counted-ids set, the day's cells hash.
 * ARGV, per event: event_id, cell field, metric index (1..4), currency or '', revenue units,
 * revenue micros (0..999999), ids set expiry, cells hash expiry (unix seconds).
 */
const COUNT = `
local counted = 0
for i = 1, #KEYS / 2 do
  local ids, cells = KEYS[2 * i - 1], KEYS[2 * i]
  local a = (i - 1) * 8
  if redis.call('SADD', ids, ARGV[a + 1]) == 1 then
    redis.call('EXPIREAT', ids, ARGV[a + 7])
    local field, metric, currency = ARGV[a + 2], tonumber(ARGV[a + 3]), ARGV[a + 4]
    local t = {}
    local packed = redis.call('HGET', cells, field)
    if packed then
      for token in string.gmatch(packed, '%S+') do t[#t + 1] = token end
    else
      t = {'0', '0', '0', '0'}
    end
    t[metric] = string.format('%d', tonumber(t[metric]) + 1)
    if currency ~= '' then
      local at = nil
      for j = 5, #t, 3 do
        if t[j] == currency then at = j end
      end
      if not at then
        at = #t + 1
        t[at], t[at + 1], t[at + 2] = currency, '0', '0'
      end
      local units = tonumber(t[at + 1]) + tonumber(ARGV[a + 5])
      local micros = tonumber(t[at + 2]) + tonumber(ARGV[a + 6])
      if micros >= 1000000 then
        micros = micros - 1000000
        units = units + 1
      end
      t[at + 1], t[at + 2] = string.format('%d', units), string.format('%d', micros)
    end
    redis.call('HSET', cells, field, table.concat(t, ' '))
    redis.call('EXPIREAT', cells, ARGV[a + 8])
    counted = counted + 1
  end
end
return counted`;

const SCRIPT = { text: COUNT, sha: createHash('sha1').update(COUNT).digest('hex') };
const DAY_MS = 86_400_000;
/** Events per script run: long enough to amortise the round trip, short enough not to stall Redis. */
const EVENTS_PER_RUN = 200;

export interface CountersStoreOptions {
  /** Key prefix; tests and shadow instances use their own. */
  prefix: string;
  /** How long after its day an event_id is remembered: a redelivery or replay later than this would count again. */
  countedIdsRetentionDays: number;
  /** How long after its day a cell is kept. */
  countersRetentionDays: number;
}

export class CountersStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: CountersStoreOptions,
  ) {}

  cellsKey(appId: string, day: string): string {
    return `${this.options.prefix}:{${appId}}:cells:${day}`;
  }

  countedIdsKey(appId: string, day: string): string {
    return `${this.options.prefix}:{${appId}}:ids:${day}`;
  }

  /** Whether an event of this day can still be counted exactly once: its ids set must not expire at once. */
  isWithinRetention(day: string, now = Date.now()): boolean {
    return Date.parse(`${day}T00:00:00.000Z`) + (this.options.countedIdsRetentionDays + 1) * DAY_MS > now + DAY_MS;
  }

  /**
   * Counts each delta whose event_id was not counted before; all deltas must be of one
   * app (one hash slot). Returns how many were new. Throws while Redis is down.
   */
  async count(appId: string, deltas: readonly CounterDelta[]): Promise<number> {
    let counted = 0;
    for (let start = 0; start < deltas.length; start += EVENTS_PER_RUN) {
      const keys: string[] = [];
      const args: string[] = [];
      for (const delta of deltas.slice(start, start + EVENTS_PER_RUN)) {
        if (delta.appId !== appId) throw new Error(`a delta of ${delta.appId} in a batch of ${appId}`);
        const dayEnd = Date.parse(`${delta.day}T00:00:00.000Z`) / 1000 + 86_400;
        const revenue = delta.revenue ? splitMicros(delta.revenue.micros) : undefined;
        keys.push(this.countedIdsKey(appId, delta.day), this.cellsKey(appId, delta.day));
        args.push(
          delta.eventId,
          cellField(delta.mediaSource, delta.campaign),
          String(metricIndex(delta.metric)),
          delta.revenue?.currency ?? '',
          String(revenue?.units ?? 0n),
          String(revenue?.micros ?? 0n),
          String(dayEnd + this.options.countedIdsRetentionDays * 86_400),
          String(dayEnd + this.options.countersRetentionDays * 86_400),
        );
      }
      counted += Number(await this.run(keys, args));
    }
    return counted;
  }

  /** Every cell of the app on these days: one HGETALL per day, pipelined in one round trip. */
  async cells(appId: string, days: readonly string[]): Promise<Cell[]> {
    const hashes = await Promise.all(days.map((day) => this.redis.hGetAll(this.cellsKey(appId, day))));
    const cells: Cell[] = [];
    hashes.forEach((hash, index) => {
      for (const field in hash) cells.push(parseCellValue(days[index], field, hash[field]));
    });
    return cells;
  }

  /** EVALSHA, loading the script when Redis does not know it (first use, or after a restart). */
  private async run(keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.redis.evalSha(SCRIPT.sha, { keys, arguments: args });
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return this.redis.eval(SCRIPT.text, { keys, arguments: args });
    }
  }
}
