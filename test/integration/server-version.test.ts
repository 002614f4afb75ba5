import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { assertSupportedServer, minimumServerMajor } from '../../scripts/local/database.ts';

describe('assertSupportedServer (DATABASE_URL)', () => {
  it('reads the version of the real server the suite runs on and accepts it (embedded 17, or CI’s Debian 15)', async () => {
    // Arrange
    const client = new pg.Client({ connectionString: inject('databaseUrl') });
    await client.connect();
    try {
      // Act
      await assertSupportedServer(client);
      const { rows } = await client.query<{ num: number }>(`SELECT current_setting('server_version_num')::int AS num`);

      // Assert
      expect(Math.floor((rows[0]?.num ?? 0) / 10_000)).toBeGreaterThanOrEqual(minimumServerMajor);
    } finally {
      await client.end();
    }
  });
});
