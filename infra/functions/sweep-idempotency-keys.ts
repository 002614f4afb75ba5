/**
 * The idempotency-key sweep, invoked hourly by an EventBridge schedule (infra/constructs/sweep.ts):
 * connects as the application user (its secret, TLS, the role's search_path `app`) and deletes the
 * keys older than the retention window, a batch at a time through `idempotency_keys_created_at_idx`,
 * so that no statement holds many row locks or runs long next to the API's requests.
 */
import pg from 'pg';
import { idempotencyRetentionHours } from '../../handlers/runtime/idempotency-retention.ts';
import { parseDatabaseSecret } from './database-bootstrap.ts';
import { type SecretSource, secretsManager } from './secret-source.ts';

/** Rows per DELETE. */
export const sweepBatchSize = 1000;

/**
 * One batch: the oldest expired keys, found through the created_at index (ORDER BY created_at
 * LIMIT), deleted by ctid. `ctid = ANY (ARRAY(...))` makes it a TID scan; `ctid IN (SELECT ...)`
 * would hash-join against a sequential scan of the whole table. `$1` is the retention in hours,
 * `$2` the batch size.
 */
export const sweepBatchSql = `DELETE FROM idempotency_keys
WHERE ctid = ANY (ARRAY(
  SELECT ctid FROM idempotency_keys
  WHERE created_at < now() - make_interval(hours => $1)
  ORDER BY created_at
  LIMIT $2
))`;

export interface SweepResult {
  deleted: number;
  batches: number;
}

export interface SweepOptions {
  retentionHours?: number;
  batchSize?: number;
  /** Stops after this many batches (the function's timeout bounds the rest); the next run continues. */
  maxBatches?: number;
}

/** Deletes expired keys batch by batch until a batch comes back smaller than the batch size. */
export async function sweepExpiredKeys(
  client: Pick<pg.ClientBase, 'query'>,
  options: SweepOptions = {},
): Promise<SweepResult> {
  const retentionHours = options.retentionHours ?? idempotencyRetentionHours;
  const batchSize = options.batchSize ?? sweepBatchSize;
  const maxBatches = options.maxBatches ?? 500;
  let deleted = 0;
  let batches = 0;
  while (batches < maxBatches) {
    const result = await client.query(sweepBatchSql, [retentionHours, batchSize]);
    batches += 1;
    deleted += result.rowCount ?? 0;
    if ((result.rowCount ?? 0) < batchSize) break;
  }
  return { deleted, batches };
}

/** A handler that reads the application secret named by DB_SECRET_ARN and sweeps once. */
export const createHandler =
  (secrets: SecretSource, env: Record<string, string | undefined> = process.env): (() => Promise<SweepResult>) =>
  async () => {
    const secretArn = env.DB_SECRET_ARN;
    if (!secretArn) throw new Error('DB_SECRET_ARN must be set');
    const raw = await secrets(secretArn);
    const login = parseDatabaseSecret(raw, 'application');
    const { host, port, dbname } = JSON.parse(raw ?? '{}') as { host?: string; port?: number; dbname?: string };
    const client = new pg.Client({
      host: env.DB_HOST || host,
      port: Number(env.DB_PORT || port || 5432),
      database: dbname,
      user: login.username,
      password: login.password,
      application_name: 'taskboard-sweep',
      connectionTimeoutMillis: 10_000,
      ssl: env.DB_SSL === 'off' ? false : { rejectUnauthorized: true },
    });
    await client.connect();
    try {
      const result = await sweepExpiredKeys(client);
      console.log(JSON.stringify({ level: 'info', time: new Date().toISOString(), message: 'swept', ...result }));
      return result;
    } finally {
      await client.end();
    }
  };

/** Lambda entry, invoked by the schedule. */
export const handler = createHandler(secretsManager());
