// Connection handling: requests received before a bad frame are still answered,
// in order, before the connection closes.
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.close();
});

/** ApiVersions v0 with the given correlation id, framed. */
function apiVersionsFrame(correlationId: number): Buffer {
  const body = Buffer.alloc(10);
  body.writeInt16BE(18, 0); // api key
  body.writeInt16BE(0, 2); // version
  body.writeInt32BE(correlationId, 4);
  body.writeInt16BE(-1, 8); // null client id
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

it('answers pipelined requests that precede a bad frame, then closes', async () => {
  const socket = net.connect(broker.port, broker.host);
  const received: Buffer[] = [];
  socket.on('data', (d: Buffer) => received.push(d));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));

  const badSize = Buffer.alloc(4);
  badSize.writeInt32BE(-7);
  socket.write(Buffer.concat([apiVersionsFrame(1), apiVersionsFrame(2), badSize, Buffer.from('junk')]));
  await closed;

  const all = Buffer.concat(received);
  const ids: number[] = [];
  for (let at = 0; at + 8 <= all.length; ) {
    const size = all.readInt32BE(at);
    ids.push(all.readInt32BE(at + 4));
    at += 4 + size;
  }
  expect(ids).toEqual([1, 2]);
});
