import { describe, expect, it } from 'vitest';
import { createLogger } from '../../handlers/runtime/logger.ts';

function capture() {
  const lines: string[] = [];
  return { lines, sink: (line: string) => lines.push(line) };
}

describe('logger', () => {
  it('when logging, writes one JSON line with level, time, message, base fields and the given fields', () => {
    // Arrange
    const { lines, sink } = capture();
    const log = createLogger('info', { service: 'taskboard-api' }, sink);

    // Act
    log.info('request', { status: 200 });

    // Assert
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0] ?? '');
    expect(entry).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      message: 'request',
      service: 'taskboard-api',
      status: 200,
    });
  });

  it('when a child logger is made, every line carries the parent and child fields', () => {
    // Arrange
    const { lines, sink } = capture();
    const log = createLogger('info', { service: 'taskboard-api' }, sink).child({ requestId: 'r-1' });

    // Act
    log.child({ operationId: 'getTask' }).warn('slow');

    // Assert
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 'warn',
      service: 'taskboard-api',
      requestId: 'r-1',
      operationId: 'getTask',
    });
  });

  it('when the level is warn, drops debug and info lines and keeps warn and error', () => {
    // Arrange
    const { lines, sink } = capture();
    const log = createLogger('warn', {}, sink);

    // Act
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');

    // Assert
    expect(lines.map((line) => JSON.parse(line).message)).toEqual(['w', 'e']);
  });

  it('when the level is debug, keeps every line', () => {
    // Arrange
    const { lines, sink } = capture();
    const log = createLogger('debug', {}, sink);

    // Act
    log.debug('d');
    log.info('i');

    // Assert
    expect(lines).toHaveLength(2);
  });

  it('when an Error is logged, writes its name, message, code and stack but not its other enumerable fields', () => {
    // Arrange
    const { lines, sink } = capture();
    const log = createLogger('info', {}, sink);
    const pgLikeError = Object.assign(new Error('duplicate key value violates unique constraint'), {
      code: '23505',
      query: "INSERT INTO users (email) VALUES ('leak@example.com')",
      parameters: ['leak@example.com'],
      detail: 'Key (email)=(leak@example.com) already exists.',
    });

    // Act
    log.error('unhandled error', { error: pgLikeError });

    // Assert
    const entry = JSON.parse(lines[0] ?? '');
    expect(entry.error).toEqual({
      name: 'Error',
      message: 'duplicate key value violates unique constraint',
      code: '23505',
      stack: expect.stringContaining('duplicate key value'),
    });
    expect(lines[0]).not.toContain('leak@example.com');
    expect(lines[0]).not.toContain('INSERT INTO');
  });

  it('when an Error is nested inside the fields, serialises it the same way', () => {
    // Arrange
    const { lines, sink } = capture();
    const log = createLogger('info', {}, sink);
    const cause = Object.assign(new Error('connect ECONNREFUSED'), { query: 'SELECT 1', code: 'ECONNREFUSED' });

    // Act
    log.warn('request failed', { status: 503, detail: { cause } });

    // Assert
    const entry = JSON.parse(lines[0] ?? '');
    expect(entry.detail.cause).toMatchObject({ name: 'Error', message: 'connect ECONNREFUSED', code: 'ECONNREFUSED' });
    expect(entry.detail.cause).not.toHaveProperty('query');
  });
});
