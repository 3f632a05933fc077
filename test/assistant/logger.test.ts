import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { NewLog } from '../../src/database/stores/log.store';
import { createLogger } from '../../src/logger';
import { LogCapture, topLevelKeys } from '../helpers/harness';

describe('the logger', () => {
  it('scrubs secrets by value — also JSON-escaped and URL-encoded — on stdout and in logs rows', async () => {
    const out = new LogCapture();
    const token = 'MTIzNDU2Nzg5MDEyMzQ1Njc4.Gabcde.secret-part_of-the-token';
    const password = 'p"a\\ss wo/rd';
    const log = createLogger({ level: 'info', dbLevel: 'warn', destination: out, secrets: [token, password] });
    const rows: NewLog[] = [];
    log.attachDatabase({ insertLogs: async (r) => rows.push(...r) });
    log.logger.warn({ detail: `Bot ${token}`, url: `postgres://u:${encodeURIComponent(password)}@h/db`, pw: password, token }, `failed with ${token} and ${password}`);
    await log.flush();
    const line = JSON.stringify(out.lines);
    const row = JSON.stringify(rows);
    for (const text of [line, row]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain('wo/rd');
      expect(text).not.toContain(encodeURIComponent(password));
      expect(text).toContain('[redacted]');
    }
    expect(rows[0]).toMatchObject({ level: 'warn', message: 'failed with [redacted] and [redacted]', metadata: { detail: 'Bot [redacted]', url: 'postgres://u:[redacted]@h/db', token: '[redacted]' } });
    await log.close();
  });

  it('never waits for the database: lines are batched off the hot path while a write is slow', async () => {
    const out = new LogCapture();
    const log = createLogger({ level: 'info', dbLevel: 'warn', destination: out });
    const batches: number[] = [];
    log.attachDatabase({
      insertLogs: async (r) => {
        batches.push(r.length);
        await new Promise((res) => setTimeout(res, 400));
      },
    });
    let fired = 0;
    const started = performance.now();
    const timer = setInterval(() => fired++, 10);
    for (let i = 0; i < 3000; i++) {
      log.logger.warn({ i }, 'busy');
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(performance.now() - started).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 700));
    clearInterval(timer);
    expect(fired).toBeGreaterThan(20);
    await log.flush();
    expect(batches.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(batches.length).toBeLessThanOrEqual(3);
    await log.close();
  });

  it('finds a key written twice in a line (what the harness checks every bot log line for)', () => {
    expect(topLevelKeys('{"level":30,"source":"bot","source":"database","msg":"a \\"source\\": x","m":{"source":1}}')).toEqual(['level', 'source', 'source', 'msg', 'm']);
    const out = new LogCapture();
    const log = createLogger({ level: 'info', destination: out });
    log.logger.child({ source: 'bot' }).child({ source: 'database' }).info('twice');
    log.logger.child({ source: 'database' }).info('once');
    expect(out.repeated).toHaveLength(1);
    expect(out.repeated[0]).toContain('twice');
  });

  it('pretty lines are coloured only on a terminal', async () => {
    const written = (tty: boolean) => {
      const chunks: string[] = [];
      const dest = Object.assign(
        new Writable({
          write(c: Buffer, _e, cb) {
            chunks.push(c.toString('utf8'));
            cb();
          },
        }),
        { isTTY: tty },
      );
      const log = createLogger({ level: 'info', format: 'pretty', destination: dest });
      log.logger.warn({ source: 'bot' }, 'hello');
      return new Promise<string>((r) => setTimeout(() => r(chunks.join('')), 50));
    };
    const file = await written(false);
    expect(file).toContain('hello');
    expect(file).not.toContain('\u001b[');
    if (!process.env.NO_COLOR) expect(await written(true)).toContain('\u001b[');
  });
});
