-- mfa-kit PostgreSQL store, migration 0002: consecutive failures (suspension of code factors),
-- throttles, and the writes of the factor lifecycle (pending factors created, expired ones deleted).
-- Run with search_path set to the store's schema, as 0001.

ALTER TABLE users
  ADD COLUMN streak integer NOT NULL DEFAULT 0,
  ADD COLUMN streak_until bigint NOT NULL DEFAULT 0,
  ADD COLUMN suspended boolean NOT NULL DEFAULT false;

-- Events recorded under a key of a user (codes sent), kept until `until`.
CREATE TABLE throttles (
  user_id text NOT NULL,
  key text NOT NULL,
  events bigint[] NOT NULL,
  until bigint NOT NULL,
  PRIMARY KEY (user_id, key)
);
CREATE INDEX throttles_until ON throttles (until);

-- What a decision reads, after the user's lock is held: as load_attempt, plus the consecutive
-- failures and the throttles the call names.
CREATE FUNCTION load_user(p_user text, p_codes text[], p_challenges text[], p_markers text[],
  p_backup boolean, p_throttles text[]) RETURNS jsonb
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
    'streak', u.streak,
    'streakUntil', u.streak_until,
    'suspended', u.suspended,
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
              FROM markers WHERE user_id = p_user AND key = ANY (p_markers)),
    'throttles', (SELECT coalesce(jsonb_object_agg(key, jsonb_build_object(
                'events', to_jsonb(events), 'until', until)), '{}')
              FROM throttles WHERE user_id = p_user AND key = ANY (p_throttles)));
END $$;

-- Writes back what a decision changed (the caller holds the user's lock from load_user): what
-- save_attempt writes, plus the consecutive failures, factors created or deleted (`factors`
-- entries that are null), throttles, and a new revision when `moveRev` is set.
CREATE FUNCTION save_user(p_user text, p jsonb) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  e record;
BEGIN
  IF p ? 'limiter' AND p -> 'limiter' <> 'null' THEN
    UPDATE users SET
      streak = coalesce((p #>> '{limiter,streak}')::integer, 0),
      streak_until = coalesce((p #>> '{limiter,streakUntil}')::bigint, 0),
      suspended = coalesce((p #>> '{limiter,suspended}')::boolean, false)
    WHERE user_id = p_user;
  ELSIF p ? 'limiter' THEN
    UPDATE users SET streak = 0, streak_until = 0, suspended = false WHERE user_id = p_user;
  END IF;
  FOR e IN SELECT * FROM jsonb_each(coalesce(p -> 'factors', '{}')) LOOP
    IF e.value = 'null' THEN
      DELETE FROM factors WHERE user_id = p_user AND factor_id = e.key;
    ELSE
      INSERT INTO factors (user_id, factor_id, fields) VALUES (p_user, e.key, e.value)
        ON CONFLICT (user_id, factor_id) DO UPDATE SET fields = EXCLUDED.fields;
    END IF;
  END LOOP;
  FOR e IN SELECT * FROM jsonb_each(coalesce(p -> 'throttles', '{}')) LOOP
    IF e.value = 'null' THEN
      DELETE FROM throttles WHERE user_id = p_user AND key = e.key;
    ELSE
      INSERT INTO throttles (user_id, key, events, until)
        VALUES (p_user, e.key,
          ARRAY(SELECT jsonb_array_elements_text(e.value -> 'events'))::bigint[],
          (e.value ->> 'until')::bigint)
        ON CONFLICT (user_id, key) DO UPDATE SET events = EXCLUDED.events, until = EXCLUDED.until;
    END IF;
  END LOOP;
  -- The rest (limiter window and lock, backup codes, codes, challenges, markers, sessions) as in
  -- save_attempt, which ignores the members above it does not know (factors are handled there
  -- as updates: they exist now).
  PERFORM save_attempt(p_user, p - 'factors');
  IF (p ->> 'moveRev')::boolean THEN
    PERFORM move_rev(p_user);
  END IF;
END $$;

-- Verifications read through load_user now.
DROP FUNCTION load_attempt(text, text[], text[], text[], boolean);
