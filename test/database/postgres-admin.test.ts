import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { postgresReachable } from '../../src/database/postgres-admin';

/**
 * A server that speaks just enough of PostgreSQL's protocol to let a client in (AuthenticationOk,
 * ReadyForQuery) and then drops the connection at the first query, as a server does when it is
 * stopped or crashes under a client. The client's pending query fails and it also emits 'error':
 * with nobody listening, that would end the process (it did, in the outage tests).
 */
function droppingServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    let started = false;
    socket.on('data', (chunk) => {
      if (!started) {
        started = true;
        const authOk = Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 0]);
        const ready = Buffer.from([0x5a, 0, 0, 0, 5, 0x49]);
        socket.write(Buffer.concat([authOk, ready]));
      } else if (chunk[0] === 0x51) {
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      resolve({ url: `postgres://root@127.0.0.1:${port}/test?sslmode=disable`, close: () => new Promise((r) => server.close(() => r())) });
    }),
  );
}

describe('short-lived PostgreSQL clients', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  it('a server that drops the connection mid-query: postgresReachable says false, nothing thrown from an event emitter', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      const server = await droppingServer();
      close = server.close;
      expect(await postgresReachable(server.url)).toBe(false);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
  });
});
