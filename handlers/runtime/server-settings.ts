/**
 * What the database server enforces for the API's sessions, set on the database (`ALTER DATABASE …
 * SET`), never per session: RDS Proxy pins a session that runs `SET`, and refuses startup `options`.
 * On the database rather than the role, so they also hold for the second user that multi-user
 * rotation creates (role settings are not inherited through membership). The deploy's bootstrap and
 * the local database (start, tests, bench) apply the same values.
 */
export const serverSettings = {
  /** The server's bound on one statement; the runtime's own deadline (DB_STATEMENT_TIMEOUT_MS, 5 s) is the client's. */
  statement_timeout: '5s',
  /** The API's own statements are single and autocommitted; a transaction left idle is a stuck client. */
  idle_in_transaction_session_timeout: '5s',
  /** Below the statement timeout: a request waiting on a lock answers 503 first. */
  lock_timeout: '2s',
  /** Reclaims the connection slots of frozen or reaped Lambda instances; a thawed one reconnects. */
  idle_session_timeout: '60s',
  /** Timestamps leave the server as UTC text, which the runtime rewrites to the API's form without a Date (db.ts). */
  timezone: 'UTC',
  /** Dates and timestamps leave the server in ISO form, which the runtime reads as text (db.ts). */
  datestyle: 'ISO, MDY',
} as const;

/**
 * `ALTER DATABASE` statements that apply `serverSettings` to the database named `database`. Locally
 * (`reclaimIdleSessions: false`) the idle-session timeout is left out: it exists for RDS's few
 * connection slots, and would disconnect a developer's psql or a benchmark's idle client.
 */
export function serverSettingStatements(database: string, options: { reclaimIdleSessions: boolean }): string[] {
  const name = `"${database.replaceAll('"', '""')}"`;
  return Object.entries(serverSettings)
    .filter(([setting]) => options.reclaimIdleSessions || setting !== 'idle_session_timeout')
    .map(([setting, value]) => `ALTER DATABASE ${name} SET ${setting} = '${value}'`);
}
