-- mfa-kit PostgreSQL store, migration 0001: tables and data functions.
--
-- Names are unqualified: run this file with search_path set to the store's schema (migrate() runs
-- `SET LOCAL search_path TO <schema>` first; with your own migration tool, do the same). The
-- functions capture that search_path when they are created, so they keep working whatever a
-- pooled connection's search_path is later.
--
-- Times are epoch milliseconds from the kit's clock (bigint), never the database's clock: every
-- instance and every test agrees on time, as with the other stores. Nothing secret is stored in the
-- clear: factor secrets are sealed by the kit, codes and tokens are hashed.
--
-- The functions only move data (load a user's rows under a lock, write rows back). The
-- verification policy itself runs in the kit, in the same code as the memory store.

-- One row per user: the lock every change of the user's state takes (SELECT ... FOR UPDATE), the
-- revision of the factor configuration, and the failure limiter.
CREATE TABLE users (
  user_id text PRIMARY KEY,
  -- '0' while the user has no factor and no backup codes, else a value from `revisions`.
  rev text NOT NULL DEFAULT '0',
  failures bigint[] NOT NULL DEFAULT '{}',
  locked_until bigint NOT NULL DEFAULT 0,
  lock_level integer NOT NULL DEFAULT 0,
  level_until bigint NOT NULL DEFAULT 0,
  -- When the limiter state above is dead (0: there is none); purge_expired() clears it after.
  limiter_until bigint NOT NULL DEFAULT 0
);
CREATE INDEX users_limiter_until ON users (limiter_until) WHERE limiter_until > 0;

CREATE SEQUENCE revisions;

-- Factor records: flat string maps owned by the kit (secrets sealed).
CREATE TABLE factors (
  user_id text NOT NULL,
  factor_id text NOT NULL,
  fields jsonb NOT NULL,
  PRIMARY KEY (user_id, factor_id)
);

-- The backup-code set: its salt, and one row per unused code (salted hash).
CREATE TABLE backup_code_sets (
  user_id text PRIMARY KEY,
  salt text NOT NULL
);
CREATE TABLE backup_codes (
  user_id text NOT NULL,
  hash text NOT NULL,
  PRIMARY KEY (user_id, hash)
);

-- The live SMS / e-mail code of a factor (hashed); `until` is when the row may be purged.
CREATE TABLE one_time_codes (
  user_id text NOT NULL,
  factor_id text NOT NULL,
  challenge_id text NOT NULL,
  hash text NOT NULL,
  expires_at bigint NOT NULL,
  used boolean NOT NULL DEFAULT false,
  until bigint NOT NULL,
  PRIMARY KEY (user_id, factor_id)
);
CREATE INDEX one_time_codes_until ON one_time_codes (until);

-- Single-use challenges and small markers, each with the deadline it dies at.
CREATE TABLE challenges (
  user_id text NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  until bigint NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX challenges_until ON challenges (until);
CREATE TABLE markers (
  user_id text NOT NULL,
  key text NOT NULL,
  value text NOT NULL,
  until bigint NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX markers_until ON markers (until);

-- Sessions, keyed by the hash of the opaque token (never the token).
CREATE TABLE sessions (
  token_hash text PRIMARY KEY,
  user_id text NOT NULL,
  acr text NOT NULL,
  amr text[] NOT NULL,
  auth_time bigint NOT NULL,
  expires_at bigint NOT NULL,
  factor_id text
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

-- Locks the user's row, creating it first when there is none (a concurrent purge may delete it
-- between the two: then try again). Every change of a user's state starts here, so changes of one
-- user serialise and changes of different users never wait for each other.
CREATE FUNCTION lock_user(p_user text) RETURNS users
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  u users;
BEGIN
  LOOP
    SELECT * INTO u FROM users WHERE user_id = p_user FOR UPDATE;
    IF FOUND THEN
      RETURN u;
    END IF;
    INSERT INTO users (user_id) VALUES (p_user) ON CONFLICT DO NOTHING;
  END LOOP;
END $$;

-- Sets the user's revision after a change of the configuration: '0' once no factor and no backup
-- set is left, else a value never held before. The caller holds the user's lock.
CREATE FUNCTION move_rev(p_user text) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM factors WHERE user_id = p_user)
     OR EXISTS (SELECT 1 FROM backup_code_sets WHERE user_id = p_user) THEN
    UPDATE users SET rev = nextval('revisions')::text WHERE user_id = p_user;
  ELSE
    UPDATE users SET rev = '0' WHERE user_id = p_user;
  END IF;
END $$;

CREATE FUNCTION create_factor(p_user text, p_factor text, p_fields jsonb) RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM lock_user(p_user);
  INSERT INTO factors (user_id, factor_id, fields) VALUES (p_user, p_factor, p_fields)
    ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM move_rev(p_user);
  RETURN true;
END $$;

CREATE FUNCTION patch_factor(p_user text, p_factor text, p_fields jsonb) RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM lock_user(p_user);
  UPDATE factors SET fields = fields || p_fields WHERE user_id = p_user AND factor_id = p_factor;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM move_rev(p_user);
  RETURN true;
END $$;

CREATE FUNCTION delete_factor(p_user text, p_factor text) RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM lock_user(p_user);
  DELETE FROM factors WHERE user_id = p_user AND factor_id = p_factor;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  PERFORM move_rev(p_user);
  RETURN true;
END $$;

CREATE FUNCTION set_backup_codes(p_user text, p_salt text, p_hashes text[], p_if_absent boolean)
RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM lock_user(p_user);
  IF p_if_absent AND EXISTS (SELECT 1 FROM backup_code_sets WHERE user_id = p_user) THEN
    RETURN false;
  END IF;
  DELETE FROM backup_codes WHERE user_id = p_user;
  DELETE FROM backup_code_sets WHERE user_id = p_user;
  IF cardinality(p_hashes) > 0 THEN
    INSERT INTO backup_code_sets (user_id, salt) VALUES (p_user, p_salt);
    INSERT INTO backup_codes (user_id, hash)
      SELECT p_user, h FROM unnest(p_hashes) AS h ON CONFLICT DO NOTHING;
  END IF;
  PERFORM move_rev(p_user);
  RETURN true;
END $$;

-- What a verification decides on, read after the user's lock is held (each statement of a
-- function sees what committed before it began, so nothing read here predates the lock): the
-- limiter, every factor, and the rows the attempt names. Backup codes only when asked for.
CREATE FUNCTION load_attempt(p_user text, p_codes text[], p_challenges text[], p_markers text[],
  p_backup boolean) RETURNS jsonb
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  u users;
BEGIN
  u := lock_user(p_user);
  RETURN jsonb_build_object(
    'rev', u.rev,
    'failures', to_jsonb(u.failures),
    'lockedUntil', u.locked_until,
    'level', u.lock_level,
    'levelUntil', u.level_until,
    'limiterUntil', u.limiter_until,
    'factors', (SELECT coalesce(jsonb_object_agg(factor_id, fields), '{}')
                FROM factors WHERE user_id = p_user),
    'salt', CASE WHEN p_backup THEN (SELECT salt FROM backup_code_sets WHERE user_id = p_user) END,
    'hashes', CASE WHEN p_backup THEN (SELECT coalesce(jsonb_agg(hash), '[]')
                FROM backup_codes WHERE user_id = p_user) END,
    'codes', (SELECT coalesce(jsonb_object_agg(factor_id, jsonb_build_object(
                'challengeId', challenge_id, 'hash', hash, 'expiresAt', expires_at,
                'used', used, 'until', until)), '{}')
              FROM one_time_codes WHERE user_id = p_user AND factor_id = ANY (p_codes)),
    'challenges', (SELECT coalesce(jsonb_object_agg(key, jsonb_build_object(
                'value', value, 'until', until)), '{}')
              FROM challenges WHERE user_id = p_user AND key = ANY (p_challenges)),
    'markers', (SELECT coalesce(jsonb_object_agg(key, jsonb_build_object(
                'value', value, 'until', until)), '{}')
              FROM markers WHERE user_id = p_user AND key = ANY (p_markers)));
END $$;

-- Writes back what a verification changed (the caller holds the user's lock from load_attempt).
-- Each member of p is present only when that part changed; a null entry deletes the row.
CREATE FUNCTION save_attempt(p_user text, p jsonb) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  e record;
BEGIN
  IF p ? 'limiter' THEN
    IF p -> 'limiter' = 'null' THEN
      UPDATE users SET failures = '{}', locked_until = 0, lock_level = 0, level_until = 0,
        limiter_until = 0 WHERE user_id = p_user;
    ELSE
      UPDATE users SET
        failures = ARRAY(SELECT jsonb_array_elements_text(p #> '{limiter,failures}'))::bigint[],
        locked_until = (p #>> '{limiter,lockedUntil}')::bigint,
        lock_level = (p #>> '{limiter,level}')::integer,
        level_until = (p #>> '{limiter,levelUntil}')::bigint,
        limiter_until = (p #>> '{limiter,until}')::bigint
      WHERE user_id = p_user;
    END IF;
  END IF;
  FOR e IN SELECT * FROM jsonb_each(coalesce(p -> 'factors', '{}')) LOOP
    UPDATE factors SET fields = e.value WHERE user_id = p_user AND factor_id = e.key;
  END LOOP;
  IF p ? 'usedBackupCodes' THEN
    DELETE FROM backup_codes WHERE user_id = p_user
      AND hash IN (SELECT jsonb_array_elements_text(p -> 'usedBackupCodes'));
  END IF;
  FOR e IN SELECT * FROM jsonb_each(coalesce(p -> 'codes', '{}')) LOOP
    IF e.value = 'null' THEN
      DELETE FROM one_time_codes WHERE user_id = p_user AND factor_id = e.key;
    ELSE
      UPDATE one_time_codes SET used = (e.value ->> 'used')::boolean
        WHERE user_id = p_user AND factor_id = e.key;
    END IF;
  END LOOP;
  FOR e IN SELECT * FROM jsonb_each(coalesce(p -> 'challenges', '{}')) LOOP
    IF e.value = 'null' THEN
      DELETE FROM challenges WHERE user_id = p_user AND key = e.key;
    ELSE
      INSERT INTO challenges (user_id, key, value, until)
        VALUES (p_user, e.key, e.value ->> 'value', (e.value ->> 'until')::bigint)
        ON CONFLICT (user_id, key) DO UPDATE SET value = EXCLUDED.value, until = EXCLUDED.until;
    END IF;
  END LOOP;
  FOR e IN SELECT * FROM jsonb_each(coalesce(p -> 'markers', '{}')) LOOP
    IF e.value = 'null' THEN
      DELETE FROM markers WHERE user_id = p_user AND key = e.key;
    ELSE
      INSERT INTO markers (user_id, key, value, until)
        VALUES (p_user, e.key, e.value ->> 'value', (e.value ->> 'until')::bigint)
        ON CONFLICT (user_id, key) DO UPDATE SET value = EXCLUDED.value, until = EXCLUDED.until;
    END IF;
  END LOOP;
  FOR e IN SELECT * FROM jsonb_array_elements(coalesce(p -> 'sessions', '[]')) LOOP
    INSERT INTO sessions (token_hash, user_id, acr, amr, auth_time, expires_at, factor_id)
      VALUES (e.value ->> 'tokenHash', p_user, e.value ->> 'acr',
        ARRAY(SELECT jsonb_array_elements_text(e.value -> 'amr')),
        (e.value ->> 'authTime')::bigint, (e.value ->> 'expiresAt')::bigint,
        e.value ->> 'factorId')
      ON CONFLICT (token_hash) DO UPDATE SET user_id = EXCLUDED.user_id, acr = EXCLUDED.acr,
        amr = EXCLUDED.amr, auth_time = EXCLUDED.auth_time, expires_at = EXCLUDED.expires_at,
        factor_id = EXCLUDED.factor_id;
  END LOOP;
END $$;

-- One-time codes, challenges and markers outside a verification: under the user's lock too, so a
-- verification that read them never races with a change.
CREATE FUNCTION put_code(p_user text, p_factor text, p_challenge text, p_hash text,
  p_expires_at bigint, p_until bigint) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM lock_user(p_user);
  INSERT INTO one_time_codes (user_id, factor_id, challenge_id, hash, expires_at, used, until)
    VALUES (p_user, p_factor, p_challenge, p_hash, p_expires_at, false, p_until)
    ON CONFLICT (user_id, factor_id) DO UPDATE SET challenge_id = EXCLUDED.challenge_id,
      hash = EXCLUDED.hash, expires_at = EXCLUDED.expires_at, used = false, until = EXCLUDED.until;
END $$;

CREATE FUNCTION put_challenge(p_user text, p_key text, p_value text, p_until bigint) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM lock_user(p_user);
  INSERT INTO challenges (user_id, key, value, until) VALUES (p_user, p_key, p_value, p_until)
    ON CONFLICT (user_id, key) DO UPDATE SET value = EXCLUDED.value, until = EXCLUDED.until;
END $$;

CREATE FUNCTION take_challenge(p_user text, p_key text, p_now bigint) RETURNS text
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  v text;
  t bigint;
BEGIN
  PERFORM lock_user(p_user);
  DELETE FROM challenges WHERE user_id = p_user AND key = p_key RETURNING value, until INTO v, t;
  IF t IS NULL OR t <= p_now THEN
    RETURN NULL;
  END IF;
  RETURN v;
END $$;

CREATE FUNCTION claim_marker(p_user text, p_key text, p_until bigint, p_now bigint)
RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  PERFORM lock_user(p_user);
  INSERT INTO markers (user_id, key, value, until) VALUES (p_user, p_key, '1', p_until)
    ON CONFLICT (user_id, key) DO UPDATE SET value = '1', until = EXCLUDED.until
    WHERE markers.until <= p_now;
  RETURN FOUND;
END $$;

CREATE FUNCTION swap_marker(p_user text, p_key text, p_value text, p_until bigint, p_now bigint)
RETURNS text
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  previous text;
BEGIN
  PERFORM lock_user(p_user);
  SELECT value INTO previous FROM markers
    WHERE user_id = p_user AND key = p_key AND until > p_now;
  INSERT INTO markers (user_id, key, value, until) VALUES (p_user, p_key, p_value, p_until)
    ON CONFLICT (user_id, key) DO UPDATE SET value = EXCLUDED.value, until = EXCLUDED.until;
  RETURN previous;
END $$;
