import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createProxyEvent, createTestHandler } from '../support/factories.ts';
import { type StatementCounter, startStatementCounter } from '../support/statement-counter.ts';

let counter: StatementCounter;
let pool: pg.Pool;

beforeAll(async () => {
  counter = await startStatementCounter(inject('databaseUrl'));
  pool = new pg.Pool({ connectionString: counter.url, max: 1 });
});

afterAll(async () => {
  await pool.end();
  await counter.close();
});

describe('startStatementCounter', () => {
  it('counts a parameterised query once, with its text and bound values, and passes its result through', async () => {
    // Arrange
    await pool.query('SELECT 1'); // connects: the startup exchange is not a statement
    counter.reset();

    // Act
    const { rows } = await pool.query<{ sum: number }>('SELECT $1::int + $2::int AS sum, $3::text AS nothing', [
      2,
      3,
      null,
    ]);

    // Assert
    expect(rows[0]?.sum).toBe(5);
    expect(counter.statements).toEqual([
      { text: 'SELECT $1::int + $2::int AS sum, $3::text AS nothing', values: ['2', '3', null] },
    ]);
  });

  it('counts BEGIN and COMMIT as statements of their own', async () => {
    // Arrange
    const client = await pool.connect();
    counter.reset();

    // Act
    try {
      await client.query('BEGIN');
      await client.query('SELECT now()');
      await client.query('COMMIT');
    } finally {
      client.release();
    }

    // Assert
    expect(counter.statements.map((statement) => statement.text)).toEqual(['BEGIN', 'SELECT now()', 'COMMIT']);
  });

  it('after reset, counts nothing until the next statement', async () => {
    // Arrange
    await pool.query('SELECT 1');

    // Act
    counter.reset();

    // Assert
    expect(counter.statements).toHaveLength(0);
  });

  it('counts what the API handler sends when pointed at the counter: getHealth sends one statement', async () => {
    // Arrange
    const handler = createTestHandler({ databaseUrl: counter.url });
    try {
      await handler(createProxyEvent({ method: 'GET', path: '/health' })); // first connection
      counter.reset();

      // Act
      const result = await handler(createProxyEvent({ method: 'GET', path: '/health' }));

      // Assert
      expect(result.statusCode).toBe(200);
      expect(counter.statements.map((statement) => statement.text)).toEqual(['SELECT 1']);
    } finally {
      await handler.close();
    }
  });
});
