/**
 * How long an Idempotency-Key is remembered: a retry within this window replays the first
 * response. Shared by the runtime (handlers/runtime/idempotency.ts) and the scheduled sweep
 * (infra/functions/sweep-idempotency-keys.ts), which deletes older keys.
 */
export const idempotencyRetentionHours = 24;
