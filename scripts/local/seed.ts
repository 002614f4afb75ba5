/** The demo data `npm start` loads: Alice (admin) and Bob (user), each with a few tasks. Safe to run again. */
import pg from 'pg';
import type { components } from '../../generated/api.ts';
import { localSubject } from './identity.ts';

type Schemas = components['schemas'];

/** Typed from the spec, so a renamed field or enum value fails tsc here too. */
interface DemoUser {
  email: Schemas['User']['email'];
  name: Schemas['User']['name'];
  role: Schemas['Role'];
  tasks: Array<Required<Pick<Schemas['TaskCreate'], 'title' | 'description' | 'status' | 'priority' | 'dueDate'>>>;
}

export const demoUsers: DemoUser[] = [
  {
    email: 'alice@example.com',
    name: 'Alice',
    role: 'admin',
    tasks: [
      {
        title: 'Review the architecture',
        description: 'Walk through the diagram in the README.',
        status: 'done',
        priority: 'medium',
        dueDate: null,
      },
      {
        title: 'Write the deployment runbook',
        description: 'Deploy, rollback, alarms.',
        status: 'in_progress',
        priority: 'high',
        dueDate: '2026-12-15',
      },
      { title: 'Invite the team', description: '', status: 'todo', priority: 'low', dueDate: null },
    ],
  },
  {
    email: 'bob@example.com',
    name: 'Bob',
    role: 'user',
    tasks: [
      {
        title: 'Try the API with curl',
        description: 'Register, list, get, update, delete.',
        status: 'todo',
        priority: 'high',
        dueDate: null,
      },
      { title: 'Read the docs', description: 'Open /docs.', status: 'todo', priority: 'medium', dueDate: null },
    ],
  },
];

/** Registers the demo users (if absent) and gives each their tasks (if they have none). */
export async function seedDemoData(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (const user of demoUsers) {
      await client.query(
        `INSERT INTO users (cognito_sub, email, name, role) VALUES ($1, $2, $3, $4)
         ON CONFLICT (cognito_sub) DO NOTHING`,
        [localSubject(user.email), user.email, user.name, user.role],
      );
      const {
        rows: [owner],
      } = await client.query<{ id: string; tasks: number }>(
        'SELECT u.id, (SELECT count(*)::int FROM tasks t WHERE t.owner_id = u.id) AS tasks FROM users u WHERE cognito_sub = $1',
        [localSubject(user.email)],
      );
      if (!owner || owner.tasks > 0) continue;
      for (const task of user.tasks) {
        await client.query(
          'INSERT INTO tasks (owner_id, title, description, status, priority, due_date) VALUES ($1, $2, $3, $4, $5, $6)',
          [owner.id, task.title, task.description, task.status, task.priority, task.dueDate],
        );
      }
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    await client.end();
  }
}
