import { crc32 } from 'node:zlib';

/**
 * One frame of a spool segment:
 *
 *   magic u16 = 0x5346 ('SF') | kind u8 | payload length u32 BE | crc32 u32 BE of kind + payload | payload
 *
 * A frame is written whole and fsync'd before the request that made it is answered, so
 * a torn or corrupted frame never held an acknowledged event; readers skip it and look
 * for the next magic.
 */
export const FRAME_MAGIC = 0x5346;
export const FRAME_HEADER_BYTES = 11;
export const MAX_FRAME_PAYLOAD = 64 * 1024 * 1024;

export const enum FrameKind {
  /** Events accepted while Kafka could not take them: `{"id": "...", "records": [[key, value], ...]}`. */
  Batch = 1,
  /** Batches that reached Kafka since: `{"ids": ["..."]}`. */
  Delivered = 2,
}

export interface Frame {
  kind: FrameKind;
  payload: Buffer;
  /** Where the frame starts in the segment, and its size with the header. */
  offset: number;
  length: number;
}

export function encodeFrame(kind: FrameKind, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new RangeError(`a spool frame holds at most ${MAX_FRAME_PAYLOAD} bytes`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  frame.writeUInt16BE(FRAME_MAGIC, 0);
  frame.writeUInt8(kind, 2);
  frame.writeUInt32BE(payload.length, 3);
  frame.writeUInt32BE(checksum(kind, payload), 7);
  payload.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

function checksum(kind: number, payload: Buffer): number {
  return crc32(payload, crc32(Buffer.of(kind))) >>> 0;
}

export interface DecodedSegment {
  frames: Frame[];
  /** Bytes that did not form a valid frame (torn tail, corruption). */
  skippedBytes: number;
}

/** Every valid frame of a segment, in order; damaged stretches are skipped up to the next frame that checks out. */
export function decodeFrames(buffer: Buffer): DecodedSegment {
  const frames: Frame[] = [];
  let skippedBytes = 0;
  let at = 0;
  while (at < buffer.length) {
    const frame = frameAt(buffer, at);
    if (frame) {
      frames.push(frame);
      at += frame.length;
      continue;
    }
    const next = nextMagic(buffer, at + 1);
    skippedBytes += next - at;
    at = next;
  }
  return { frames, skippedBytes };
}

/** The frame starting at `at`, or undefined when the bytes there are not a whole, intact frame. */
export function frameAt(buffer: Buffer, at: number): Frame | undefined {
  if (at + FRAME_HEADER_BYTES > buffer.length || buffer.readUInt16BE(at) !== FRAME_MAGIC) return undefined;
  const kind = buffer.readUInt8(at + 2);
  const length = buffer.readUInt32BE(at + 3);
  if ((kind !== FrameKind.Batch && kind !== FrameKind.Delivered) || length > MAX_FRAME_PAYLOAD) return undefined;
  const end = at + FRAME_HEADER_BYTES + length;
  if (end > buffer.length) return undefined;
  const payload = buffer.subarray(at + FRAME_HEADER_BYTES, end);
  if (checksum(kind, payload) !== buffer.readUInt32BE(at + 7)) return undefined;
  return { kind, payload, offset: at, length: end - at };
}

function nextMagic(buffer: Buffer, from: number): number {
  for (let at = from; at + 1 < buffer.length; at++) {
    if (buffer[at] === FRAME_MAGIC >> 8 && buffer[at + 1] === (FRAME_MAGIC & 0xff)) return at;
  }
  return buffer.length;
}

export interface SpoolRecord {
  key: string;
  value: string;
}

export function encodeBatch(id: string, records: SpoolRecord[]): Buffer {
  return encodeFrame(
    FrameKind.Batch,
    Buffer.from(JSON.stringify({ id, records: records.map((record) => [record.key, record.value]) })),
  );
}

export function decodeBatch(payload: Buffer): { id: string; records: SpoolRecord[] } {
  const parsed = JSON.parse(payload.toString('utf8')) as { id: string; records: [string, string][] };
  return { id: parsed.id, records: parsed.records.map(([key, value]) => ({ key, value })) };
}

export function encodeDelivered(ids: string[]): Buffer {
  return encodeFrame(FrameKind.Delivered, Buffer.from(JSON.stringify({ ids })));
}

export function decodeDelivered(payload: Buffer): string[] {
  return (JSON.parse(payload.toString('utf8')) as { ids: string[] }).ids;
}
