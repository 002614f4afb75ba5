-- The first response to each Idempotency-Key, so that a retry returns it instead of creating again.
-- `scope` is the caller's Cognito sub: keys of different callers never collide.
CREATE TABLE idempotency_keys (
  scope text NOT NULL,
  operation_id text NOT NULL,
  key text NOT NULL,
  fingerprint text NOT NULL,
  -- json, not jsonb: a replay returns the first response byte for byte (jsonb reorders keys).
  response json,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, operation_id, key)
);

CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
