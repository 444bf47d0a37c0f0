/**
 * The lake's order: by the row's time, then by event_id. Copies of one event carry the
 * same time and id, so in a merged stream they sit next to each other and one look back
 * drops them, whatever the number of segments: dedupe at read time with O(1) memory.
 */
export interface OrderedLine {
  /** time (fixed-width ISO instant) followed by event_id: compared as a string. */
  key: string;
  eventId: string;
  line: string;
}

const ID_START = '{"event_id":"'.length;
const ISO_LENGTH = '2026-11-22T10:00:00.000Z'.length;

/** The order key of a lake line, written as `{"event_id":"…","<time column>":"…",…}`. */
export function orderOf(line: string): OrderedLine {
  if (line.startsWith('{"event_id":"')) {
    const idEnd = line.indexOf('"', ID_START);
    const timeStart = line.indexOf(':"', idEnd + 3) + 2;
    if (idEnd > 0 && timeStart > 1 && line.charCodeAt(timeStart + ISO_LENGTH) === 34 /* " */) {
      const eventId = line.slice(ID_START, idEnd);
      return { key: line.slice(timeStart, timeStart + ISO_LENGTH) + eventId, eventId, line };
    }
  }
  // Not our writer's shape (a file put there by another tool): read it the slow way.
  const row = JSON.parse(line) as Record<string, unknown>;
  const [idColumn, timeColumn] = Object.keys(row);
  const eventId = String(row[idColumn]);
  return { key: String(row[timeColumn] ?? '') + eventId, eventId, line };
}

/** Sorts a segment's lines into the lake's order, keeping the first copy of each event_id. */
export function sortSegment(lines: OrderedLine[]): OrderedLine[] {
  const seen = new Set<string>();
  const unique = lines.filter((line) => (seen.has(line.eventId) ? false : (seen.add(line.eventId), true)));
  return unique.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
