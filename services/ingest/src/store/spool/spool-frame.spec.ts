import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decodeBatch,
  decodeDelivered,
  decodeFrames,
  encodeBatch,
  encodeDelivered,
  encodeFrame,
  FRAME_HEADER_BYTES,
  FrameKind,
} from './spool-frame';

describe('spool frames', () => {
  const records = [
    { key: 'app:gaid', value: '{"event_id":"a"}' },
    { key: 'app:10.0.0.1', value: '{"event_id":"b","ua":"ü"}' },
  ];

  it('round-trips batches and delivered marks', () => {
    const buffer = Buffer.concat([encodeBatch('b1', records), encodeDelivered(['b1', 'b0'])]);
    const { frames, skippedBytes } = decodeFrames(buffer);
    assert.equal(skippedBytes, 0);
    assert.deepEqual(
      frames.map((frame) => frame.kind),
      [FrameKind.Batch, FrameKind.Delivered],
    );
    assert.deepEqual(decodeBatch(frames[0].payload), { id: 'b1', records });
    assert.deepEqual(decodeDelivered(frames[1].payload), ['b1', 'b0']);
    assert.equal(frames[1].offset, frames[0].length);
    assert.equal(frames[0].length, FRAME_HEADER_BYTES + frames[0].payload.length);
  });

  it('ignores a torn tail', () => {
    const whole = encodeBatch('b1', records);
    const torn = encodeBatch('b2', records).subarray(0, 20);
    const { frames, skippedBytes } = decodeFrames(Buffer.concat([whole, torn]));
    assert.equal(frames.length, 1);
    assert.equal(skippedBytes, torn.length);
  });

  it('skips a corrupted frame and finds the next one', () => {
    const first = encodeBatch('b1', records);
    first[FRAME_HEADER_BYTES + 5] ^= 0xff;
    const second = encodeBatch('b2', records);
    const { frames, skippedBytes } = decodeFrames(Buffer.concat([first, second]));
    assert.deepEqual(
      frames.map((frame) => decodeBatch(frame.payload).id),
      ['b2'],
    );
    assert.equal(skippedBytes, first.length);
  });

  it('checks the kind as well as the payload', () => {
    const frame = encodeFrame(FrameKind.Delivered, Buffer.from('{"ids":[]}'));
    frame[2] = FrameKind.Batch;
    assert.equal(decodeFrames(frame).frames.length, 0);
  });
});
