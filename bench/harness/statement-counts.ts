/**
 * Statements per operation: each target's bundle in a driver process behind the statement counter
 * (test/support/statement-counter.ts), one request per step, counting what its pool sent. The API
 * runs every operation (and the cases the issue counts separately); the floor and the peers the
 * three operations they implement.
 */
import path from 'node:path';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { SentStatement } from '../../test/support/statement-counter.ts';
import { lambdaEnv, runDriver } from './children.ts';
import { type BenchDatabase, registerBenchUser } from './database.ts';
import { authorizerClaims, proxyEvent } from './events.ts';
import type { Step } from './protocol.ts';

export interface StatementCount {
  step: string;
  status: number;
  count: number;
  /** BEGIN, COMMIT and ROLLBACK among them. */
  transactionControl: number;
  statements: SentStatement[];
}

/** The events the peers implement, shared with the load scenarios. */
export interface SharedEvents {
  getTask: APIGatewayProxyEvent;
  listTasks: APIGatewayProxyEvent;
  createTask: APIGatewayProxyEvent;
}

/** The steps every target runs, by operationId. */
export const sharedSteps = (events: SharedEvents): Step[] => [
  { name: 'getTask', event: events.getTask, expectStatus: 200 },
  { name: 'listTasks', event: events.listTasks, expectStatus: 200 },
  { name: 'createTask', event: events.createTask, expectStatus: 201 },
];

/** Every API operation, with fixtures of its own in `db` (the caller `callerEmail` must exist). */
export async function apiSteps(db: BenchDatabase, callerEmail: string, events: SharedEvents): Promise<Step[]> {
  const adminEmail = 'bench-admin@example.com';
  const otherEmail = 'bench-other@example.com';
  const callerId = await registerBenchUser(db.client, callerEmail);
  await registerBenchUser(db.client, adminEmail, 'admin');
  const otherId = await registerBenchUser(db.client, otherEmail);
  const { rows } = await db.client.query<{ id: string }>(
    `INSERT INTO tasks (owner_id, title) VALUES ($1, 'To update'), ($1, 'To delete') RETURNING id`,
    [callerId],
  );
  const [toUpdate, toDelete] = rows.map((row) => row.id);
  if (!toUpdate || !toDelete) throw new Error('Could not create the statement-count fixtures');
  const caller = authorizerClaims(callerEmail);
  const admin = authorizerClaims(adminEmail);
  const task = (method: string, id: string, extra: Partial<Parameters<typeof proxyEvent>[0]> = {}) =>
    proxyEvent({
      method,
      path: `/tasks/${id}`,
      resource: '/tasks/{taskId}',
      pathParameters: { taskId: id },
      claims: caller,
      ...extra,
    });
  const user = (method: string, id: string, claims: Record<string, string>, body?: unknown) =>
    proxyEvent({
      method,
      path: `/users/${id}`,
      resource: '/users/{userId}',
      pathParameters: { userId: id },
      claims,
      body,
    });
  const newTask = JSON.parse(events.createTask.body ?? '{}') as unknown;
  const keyed = proxyEvent({
    method: 'POST',
    path: '/tasks',
    claims: caller,
    body: newTask,
    headers: { 'Idempotency-Key': `bench-${Date.now()}` },
  });
  return [
    { name: 'getHealth', event: proxyEvent({ method: 'GET', path: '/health', claims: caller }), expectStatus: 200 },
    {
      name: 'registerUser, already registered',
      event: proxyEvent({ method: 'POST', path: '/users', claims: caller }),
      expectStatus: 200,
    },
    {
      name: 'getCurrentUser',
      event: proxyEvent({ method: 'GET', path: '/users/me', claims: caller }),
      expectStatus: 200,
    },
    { name: 'getUser, another user (admin)', event: user('GET', otherId, admin), expectStatus: 200 },
    { name: 'getUser, another user (not admin)', event: user('GET', otherId, caller), expectStatus: 404 },
    {
      name: 'listUsers (admin)',
      event: proxyEvent({ method: 'GET', path: '/users', claims: admin }),
      expectStatus: 200,
    },
    { name: 'updateUser', event: user('PUT', callerId, caller, { name: 'Bench Warm' }), expectStatus: 200 },
    ...sharedSteps(events),
    { name: 'createTask with Idempotency-Key', event: keyed, expectStatus: 201 },
    { name: 'createTask, key replayed', event: keyed, expectStatus: 201 },
    {
      name: 'updateTask',
      event: task('PATCH', toUpdate, { body: { status: 'done' }, headers: { 'If-Match': '"1"' } }),
      expectStatus: 200,
    },
    {
      name: 'updateTask, stale If-Match (412)',
      event: task('PATCH', toUpdate, { body: { status: 'todo' }, headers: { 'If-Match': '"1"' } }),
      expectStatus: 412,
    },
    { name: 'deleteTask', event: task('DELETE', toDelete), expectStatus: 204 },
    { name: 'deleteUser, another user (admin)', event: user('DELETE', otherId, admin), expectStatus: 204 },
  ];
}

const isTransactionControl = (text: string) => /^\s*(BEGIN|START TRANSACTION|COMMIT|END|ROLLBACK)\b/i.test(text);

/** Runs `steps` through `bundle` behind the counter. */
export async function countStatements(options: {
  driver: string;
  bundle: string;
  workDir: string;
  databaseUrl: string;
  steps: Step[];
}): Promise<StatementCount[]> {
  const run = await runDriver(
    options.driver,
    { mode: 'record', bundle: options.bundle, steps: options.steps },
    {
      env: lambdaEnv(options.databaseUrl),
      planFile: path.join(options.workDir, 'record-plan.json'),
    },
  );
  return (run.result.record ?? []).map((step) => ({
    step: step.name,
    status: step.status,
    count: step.statements.length,
    transactionControl: step.statements.filter((statement) => isTransactionControl(statement.text)).length,
    statements: step.statements,
  }));
}
