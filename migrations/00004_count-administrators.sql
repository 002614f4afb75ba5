-- The number of administrators, kept in one row by triggers on users, so that "is this the last
-- administrator?" is decided on a locked row as it is now rather than on a statement's snapshot.
--
-- A statement that counted `users WHERE role = 'admin'` saw the administrators of its snapshot: one
-- who registered while it waited for a lock was invisible to it, and it refused a demotion although
-- another administrator existed. Each change to this row instead waits for the previous one and
-- then reads the row as committed (PostgreSQL re-reads an updated row after the wait), so the count
-- is exact: never zero once an administrator exists, and never a refusal while another exists.
-- Only statements that add or remove an administrator touch the row; a rename or an ordinary
-- user's deletion never does.
-- Registrations wait for the few milliseconds this file takes, so the first count misses none.
LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE administrator_count (
  only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
  administrators integer NOT NULL CHECK (administrators >= 0)
);

INSERT INTO administrator_count (administrators) SELECT count(*) FROM users WHERE role = 'admin';

-- Raises check_violation with the constraint name `users_keep_an_administrator` when a change
-- would leave no administrator: the statement that tried it is undone as a whole.
CREATE FUNCTION count_administrators() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  change integer := 0;
  remaining integer;
BEGIN
  IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.role = 'admin' THEN change := change + 1; END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.role = 'admin' THEN change := change - 1; END IF;
  UPDATE administrator_count SET administrators = administrators + change RETURNING administrators INTO remaining;
  IF change < 0 AND remaining < 1 THEN
    RAISE EXCEPTION 'the last administrator cannot be removed'
      USING ERRCODE = 'check_violation', CONSTRAINT = 'users_keep_an_administrator';
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER users_count_administrators_insert AFTER INSERT ON users
  FOR EACH ROW WHEN (NEW.role = 'admin') EXECUTE FUNCTION count_administrators();
CREATE TRIGGER users_count_administrators_update AFTER UPDATE OF role ON users
  FOR EACH ROW WHEN (OLD.role IS DISTINCT FROM NEW.role) EXECUTE FUNCTION count_administrators();
CREATE TRIGGER users_count_administrators_delete AFTER DELETE ON users
  FOR EACH ROW WHEN (OLD.role = 'admin') EXECUTE FUNCTION count_administrators();

CREATE FUNCTION reset_administrator_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE administrator_count SET administrators = 0;
  RETURN NULL;
END
$$;

CREATE TRIGGER users_reset_administrator_count AFTER TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION reset_administrator_count();
