/**
 * The flows `npm run test:prism` (test/external/prism-check.ts) sends through Stoplight Prism for what
 * is particular to each operation: its success statuses and its business errors (403, 404, 409,
 * 412, 422, …). What every operation shares — 400, 413 and 415 to requests made invalid from the
 * spec, 401 to a forged token, the origin check's 403, 405, 429, 500 and 503 — the check derives
 * from the spec itself. Keyed by OperationId, so tsc names an operation without a flow; the check
 * names every documented (operation, status) pair that nothing produced.
 */
import { randomUUID } from 'node:crypto';
import type { OperationId } from '../../generated/operations.ts';
import { idTokenClaims, issueIdToken, loadLocalKeySet, signJwt } from '../../scripts/local/identity.ts';

/** One request of a flow, and the status it is built to produce. */
export interface FlowStep {
  expect: number;
  path: string;
  token?: string;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface FlowOutcome {
  status: number;
  json: Record<string, unknown> | undefined;
  headers: Headers;
}

export interface Caller {
  token: string;
  id: string;
}

export interface PrismFlowKit {
  /** Sends a step of the flow's operation through Prism. */
  send(step: FlowStep): Promise<FlowOutcome>;
  /** Sends a step of another operation, to arrange what this one needs (it is checked too). */
  call(operationId: OperationId, step: FlowStep): Promise<FlowOutcome>;
  /** Registers a new user (registerUser, 201). */
  register(label: string, groups?: string[]): Promise<Caller>;
  alice: Caller;
  bob: Caller;
  /** The database's only administrator. */
  admin: Caller;
  /** A valid token of someone who never registered. */
  stranger: string;
}

export type PrismFlows = { [Op in OperationId]: (kit: PrismFlowKit) => Promise<void> };

const keys = loadLocalKeySet();

async function createdTask(kit: PrismFlowKit, token: string) {
  const created = await kit.call('createTask', { expect: 201, path: '/tasks', token, body: { title: 'Flow' } });
  return { id: String(created.json?.id), etag: created.headers.get('etag') ?? '"1"' };
}

export const prismFlows: PrismFlows = {
  getHealth: async ({ send }) => {
    await send({ expect: 200, path: '/health' });
  },
  registerUser: async ({ send, register }) => {
    const newcomer = await register('newcomer');
    await send({ expect: 200, path: '/users', token: newcomer.token });
    const { email: _email, ...withoutEmail } = idTokenClaims(`noemail-${randomUUID()}@example.com`);
    await send({
      expect: 400,
      path: '/users',
      token: signJwt({ kid: keys.kid, alg: 'RS256' }, withoutEmail, keys.privateKey),
    });
  },
  getCurrentUser: async ({ send, alice, stranger }) => {
    await send({ expect: 200, path: '/users/me', token: alice.token });
    await send({ expect: 403, path: '/users/me', token: stranger });
  },
  listUsers: async ({ send, admin, alice }) => {
    await send({ expect: 200, path: '/users?limit=2', token: admin.token });
    await send({ expect: 403, path: '/users', token: alice.token });
  },
  getUser: async ({ send, alice, bob, stranger }) => {
    const own = await send({ expect: 200, path: `/users/${alice.id}`, token: alice.token });
    await send({ expect: 404, path: `/users/${alice.id}`, token: bob.token });
    await send({ expect: 403, path: `/users/${alice.id}`, token: stranger });
    const etag = own.headers.get('etag') ?? '"1"';
    await send({ expect: 304, path: `/users/${alice.id}`, token: alice.token, headers: { 'If-None-Match': etag } });
  },
  updateUser: async ({ send, register, admin, bob }) => {
    const dave = await register('dave');
    // `admin` is the only administrator: they may not give the role up.
    await send({ expect: 409, path: `/users/${admin.id}`, token: admin.token, body: { name: 'Admin', role: 'user' } });
    const ifMatch = { 'If-Match': '"1"' };
    const body = { name: 'Dave', phoneNumber: '+14155550100' };
    await send({ expect: 200, path: `/users/${dave.id}`, token: dave.token, body, headers: ifMatch });
    await send({ expect: 412, path: `/users/${dave.id}`, token: dave.token, body, headers: ifMatch });
    await send({ expect: 403, path: `/users/${dave.id}`, token: dave.token, body: { name: 'D', role: 'admin' } });
    await send({ expect: 404, path: `/users/${dave.id}`, token: bob.token, body: { name: 'B' } });
  },
  deleteUser: async ({ send, register, admin, alice, bob }) => {
    const carol = await register('carol');
    await send({ expect: 409, path: `/users/${admin.id}`, token: admin.token });
    await send({ expect: 412, path: `/users/${carol.id}`, token: carol.token, headers: { 'If-Match': '"9"' } });
    await send({ expect: 404, path: `/users/${alice.id}`, token: bob.token });
    await send({ expect: 204, path: `/users/${carol.id}`, token: carol.token });
  },
  listTasks: async ({ send, alice, bob, admin }) => {
    await send({ expect: 200, path: '/tasks?status=todo&limit=5', token: alice.token });
    await send({ expect: 200, path: `/tasks?ownerId=${alice.id}`, token: admin.token });
    await send({ expect: 403, path: `/tasks?ownerId=${alice.id}`, token: bob.token });
  },
  createTask: async ({ send, alice, stranger }) => {
    const key = { 'Idempotency-Key': randomUUID() };
    const body = { title: 'Checked by Prism', priority: 'high', dueDate: '2026-12-15' };
    await send({ expect: 201, path: '/tasks', token: alice.token, body, headers: key });
    await send({ expect: 422, path: '/tasks', token: alice.token, body: { title: 'Other' }, headers: key });
    await send({ expect: 403, path: '/tasks', token: stranger, body: { title: 'No' } });
  },
  getTask: async (kit) => {
    const { send, alice, bob } = kit;
    const task = await createdTask(kit, alice.token);
    await send({ expect: 200, path: `/tasks/${task.id}`, token: alice.token });
    await send({ expect: 404, path: `/tasks/${task.id}`, token: bob.token });
    await send({ expect: 304, path: `/tasks/${task.id}`, token: alice.token, headers: { 'If-None-Match': task.etag } });
  },
  updateTask: async (kit) => {
    const { send, alice, bob } = kit;
    const task = await createdTask(kit, alice.token);
    const ifMatch = { 'If-Match': task.etag };
    const path = `/tasks/${task.id}`;
    await send({
      expect: 200,
      path,
      token: alice.token,
      body: { status: 'in_progress', dueDate: null },
      headers: ifMatch,
    });
    await send({ expect: 412, path, token: alice.token, body: { status: 'done' }, headers: ifMatch });
    await send({ expect: 404, path, token: bob.token, body: { status: 'done' } });
  },
  deleteTask: async (kit) => {
    const { send, alice, bob } = kit;
    const task = await createdTask(kit, alice.token);
    await send({ expect: 404, path: `/tasks/${task.id}`, token: bob.token });
    await send({ expect: 412, path: `/tasks/${task.id}`, token: alice.token, headers: { 'If-Match': '"9"' } });
    await send({ expect: 204, path: `/tasks/${task.id}`, token: alice.token });
  },
};

/** A token for a fresh email (registered or not, as the flow decides). */
export const freshToken = (label: string, groups?: string[]) =>
  issueIdToken(`${label}-${randomUUID().slice(0, 8)}@example.com`, groups ? { groups } : {}, keys);
