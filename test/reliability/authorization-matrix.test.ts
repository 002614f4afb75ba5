/**
 * Authorization matrix: every operation × {anonymous, owner, other user, admin}, over HTTP through
 * the local API Gateway. The table below is the expected status of each cell; each cell runs in a
 * fresh world (an owner with a task and one of everything else the spec's paths name, another user,
 * an administrator). A cell without a request sends the spec-made one (validRequest) on the
 * owner's resources. A cell passes only if the status matches, the response is valid against the spec, the owner's rows changed exactly when
 * the cell is a successful write of them, and nothing the owner owns leaks into another user's answer.
 *
 * Non-interference: each cell runs twice, in a world of its own each time, the second with a
 * bystander who owns tasks, one of them changed since it was made. The caller's answer must be the
 * same both times once what legitimately differs between two worlds is named instead of compared
 * (the world's own ids, emails and titles, new ids and timestamps, request ids, cursors): a count,
 * sum or other aggregate that reaches past the caller's rows changes the answer and fails the cell,
 * where a search for the owner's strings would see nothing.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OperationId, operations } from '../../generated/operations.ts';
import { createContract } from '../support/contract.ts';
import type { CoversEveryOperation } from '../support/operations.ts';
import { createOneOfEach, validRequest } from '../support/spec-requests.ts';
import {
  closeServedSuite,
  createTask,
  ownedRows,
  type RegisteredUser,
  registerUser,
  type ServedApi,
  serveSuite,
} from './support/api.ts';
import { jsonRequest } from './support/http.ts';

type Actor = 'anonymous' | 'owner' | 'other user' | 'admin';
const actors: Actor[] = ['anonymous', 'owner', 'other user', 'admin'];

interface World {
  ownerId: string;
  taskId: string;
}

interface Cell {
  operationId: OperationId;
  /** What the request is aimed at. */
  target: string;
  /** The request; by default the spec-made one (validRequest) on the owner's resources. */
  request?: (world: World) => { path: string; body?: unknown };
  expected: Record<Actor, number>;
  /** Actors whose successful call writes the owner's rows (their profile, tasks or keys). */
  writesOwnerRows?: Actor[];
  /** Actors whose answer is about every user, so other users' rows are rightly in it (non-interference does not apply). */
  seesEveryUser?: Actor[];
}

const expect4 = (anonymous: number, owner: number, other: number, admin: number): Record<Actor, number> => ({
  anonymous,
  owner,
  'other user': other,
  admin,
});

/** The matrix: one line per operation (two where the spec gives one operation two rules). */
const cells = [
  {
    operationId: 'getHealth',
    target: 'the service',
    request: () => ({ path: '/health' }),
    expected: expect4(200, 200, 200, 200),
  },
  {
    operationId: 'registerUser',
    target: 'their own registration, again',
    request: () => ({ path: '/users' }),
    expected: expect4(401, 200, 200, 200),
  },
  {
    operationId: 'getCurrentUser',
    target: 'their own profile',
    request: () => ({ path: '/users/me' }),
    expected: expect4(401, 200, 200, 200),
  },
  {
    operationId: 'listUsers',
    target: 'every user',
    request: () => ({ path: '/users' }),
    expected: expect4(401, 403, 403, 200),
    seesEveryUser: ['admin'],
  },
  {
    operationId: 'getUser',
    target: "the owner's profile",
    request: (w) => ({ path: `/users/${w.ownerId}` }),
    expected: expect4(401, 200, 404, 200),
  },
  {
    operationId: 'updateUser',
    target: "the owner's name",
    request: (w) => ({ path: `/users/${w.ownerId}`, body: { name: 'Renamed' } }),
    expected: expect4(401, 200, 404, 200),
    writesOwnerRows: ['owner', 'admin'],
  },
  {
    operationId: 'updateUser',
    target: "the owner's role",
    request: (w) => ({ path: `/users/${w.ownerId}`, body: { name: 'Owner', role: 'admin' } }),
    expected: expect4(401, 403, 404, 200),
    writesOwnerRows: ['admin'],
  },
  {
    operationId: 'deleteUser',
    target: "the owner's profile",
    request: (w) => ({ path: `/users/${w.ownerId}` }),
    expected: expect4(401, 204, 404, 204),
    writesOwnerRows: ['owner', 'admin'],
  },
  {
    operationId: 'listTasks',
    target: 'their own tasks',
    request: () => ({ path: '/tasks' }),
    expected: expect4(401, 200, 200, 200),
  },
  {
    operationId: 'listTasks',
    target: "the owner's tasks (ownerId)",
    request: (w) => ({ path: `/tasks?ownerId=${w.ownerId}` }),
    expected: expect4(401, 200, 403, 200),
  },
  {
    operationId: 'createTask',
    target: 'a task of their own',
    request: () => ({ path: '/tasks', body: { title: 'Mine' } }),
    expected: expect4(401, 201, 201, 201),
    writesOwnerRows: ['owner'],
  },
  {
    operationId: 'getTask',
    target: "the owner's task",
    request: (w) => ({ path: `/tasks/${w.taskId}` }),
    expected: expect4(401, 200, 404, 200),
  },
  {
    operationId: 'updateTask',
    target: "the owner's task",
    request: (w) => ({ path: `/tasks/${w.taskId}`, body: { status: 'done' } }),
    expected: expect4(401, 200, 404, 200),
    writesOwnerRows: ['owner', 'admin'],
  },
  {
    operationId: 'deleteTask',
    target: "the owner's task",
    request: (w) => ({ path: `/tasks/${w.taskId}` }),
    expected: expect4(401, 204, 404, 204),
    writesOwnerRows: ['owner', 'admin'],
  },
] satisfies Cell[];
/** tsc names any operation the matrix lacks. */
const matrixCoversEveryOperation: CoversEveryOperation<(typeof cells)[number]['operationId']> = true;
const matrix: Cell[] = cells;

const contract = createContract();
let api: ServedApi;
let db: pg.Pool;

beforeAll(async () => {
  ({ api, db } = await serveSuite());
});

afterAll(() => closeServedSuite({ api, db }));

describe('the matrix', () => {
  it('has a line for every operation of the spec', () => {
    expect(matrixCoversEveryOperation).toBe(true);
    expect([...new Set(matrix.map((cell) => cell.operationId))].sort()).toEqual(Object.keys(operations).sort());
  });
});

const rows = matrix.flatMap((cell) => actors.map((actor) => ({ ...cell, actor, status: cell.expected[actor] })));

interface CellRun {
  response: Awaited<ReturnType<ServedApi['client']['send']>>;
  before: unknown;
  after: unknown;
  owner: RegisteredUser;
  secretTitle: string;
  /** The world's own values, each with the name that replaces it when two worlds' answers are compared. */
  names: Array<[string, string]>;
}

/** Makes a fresh world (with a bystander's changed tasks when `bystander`), and sends the cell's request in it as `actor`. */
async function runCell(operationId: OperationId, cell: Cell, actor: Actor, bystander: boolean): Promise<CellRun> {
  const [owner, other, admin] = await Promise.all([
    registerUser(api.client, 'owner'),
    registerUser(api.client, 'other'),
    registerUser(api.client, 'admin', ['admin']),
  ]);
  const secretTitle = `Owner's secret ${randomUUID()}`;
  const task = await createTask(api.client, owner.token, { title: secretTitle });
  const owned = await createOneOfEach(
    (made) => api.client.send(jsonRequest(made.method, made.path, { body: made.body, token: owner.token })),
    { userId: owner.id, taskId: task.id },
  );
  if (bystander) {
    const someone = await registerUser(api.client, 'bystander');
    const tasks = await Promise.all(
      ['todo', 'in_progress', 'done'].map((status) =>
        createTask(api.client, someone.token, { title: `Bystander ${randomUUID()}`, status, priority: 'high' }),
      ),
    );
    const [changed] = tasks;
    if (changed) {
      await api.client.send(
        jsonRequest('PATCH', `/tasks/${changed.id}`, { token: someone.token, body: { status: 'done' } }),
      );
    }
  }
  const token = { anonymous: undefined, owner: owner.token, 'other user': other.token, admin: admin.token }[actor];
  const { path, body } = cell.request
    ? cell.request({ ownerId: owner.id, taskId: task.id })
    : validRequest(operationId, owned);
  const before = await ownedRows(db, [owner]);
  const response = await api.client.send(
    jsonRequest(operations[operationId].method, path, { body, ...(token ? { token } : {}) }),
  );
  const after = await ownedRows(db, [owner]);
  const names: Array<[string, string]> = [
    [owner.id, '<owner id>'],
    [other.id, '<other id>'],
    [admin.id, '<admin id>'],
    [task.id, '<task id>'],
    [owner.email, '<owner email>'],
    [other.email, '<other email>'],
    [admin.email, '<admin email>'],
    [secretTitle, '<secret title>'],
    // The tag in each user's email also makes their name (`Owner-1a2b3c4d`).
    ...[owner, other, admin].map((user, index): [string, string] => [
      user.email.slice(user.email.indexOf('-') + 1, user.email.indexOf('@')),
      `<tag of ${['owner', 'other', 'admin'][index]}>`,
    ]),
    ...Object.entries(owned).flatMap(([name, id]) => (id ? [[id, `<${name}>`] as [string, string]] : [])),
  ];
  return { response, before, after, owner, secretTitle, names };
}

/** What the caller sees, with what legitimately differs between two worlds named instead. */
function seen(run: CellRun) {
  const named = (given: string) => {
    let text = given;
    for (const [value, name] of run.names) text = text.replaceAll(JSON.stringify(value).slice(1, -1), name);
    return text
      .replace(/"requestId":"[^"]*"/g, '"requestId":"<request id>"')
      .replace(/"nextCursor":"[^"]*"/g, '"nextCursor":"<cursor>"')
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<new id>')
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g, '<time>');
  };
  const location = run.response.headers.get('location');
  return {
    status: run.response.status,
    etag: run.response.headers.get('etag'),
    location: location === null ? null : named(location),
    body: named(run.response.text),
  };
}

describe.each([...new Set(matrix.map((cell) => cell.operationId))])('%s', (operationId) => {
  it.each(
    rows
      .filter((row) => row.operationId === operationId)
      .map((row) => [row.target, row.actor, row.status, row] as const),
  )('on %s, as %s, answers %i, the same whether or not other users have rows', async (_target, actor, status, cell) => {
    // Arrange / Act: the cell alone, then in a world where a bystander has rows and changed one.
    const alone = await runCell(operationId, cell, actor, false);
    const beside = await runCell(operationId, cell, actor, true);

    // Assert
    const { response, before, after, owner, secretTitle } = alone;
    contract.check(operationId, response);
    expect(response.status).toBe(status);
    const wroteOwnerRows = status < 300 && (cell.writesOwnerRows ?? []).includes(actor);
    if (wroteOwnerRows) expect(after).not.toEqual(before);
    else expect(after).toEqual(before);
    if (actor === 'other user' || actor === 'anonymous') {
      expect(response.text).not.toContain(owner.email);
      expect(response.text).not.toContain(secretTitle);
    }
    if (!(cell.seesEveryUser ?? []).includes(actor)) expect(seen(beside)).toEqual(seen(alone));
  });
});
