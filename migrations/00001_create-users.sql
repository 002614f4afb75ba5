-- Registered callers. `cognito_sub` ties a row to its Cognito identity; `role` is what authorization reads.
CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  cognito_sub text NOT NULL UNIQUE,
  email text NOT NULL,
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
  phone_number text,
  role text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp()),
  updated_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', clock_timestamp())
);

-- Keyset pagination for listUsers: oldest first.
CREATE INDEX users_created_at_id_idx ON users (created_at, id);
