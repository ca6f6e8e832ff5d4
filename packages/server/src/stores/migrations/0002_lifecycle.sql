-- The factor lifecycle and the guess budget: consecutive failures (a suspension of code factors),
-- pending factors that expire, activation decided under the user's lock, send throttles.

-- Failures since the last success, remembered until streak_until; `suspended` once they reached
-- maxConsecutiveFailures. limiter_until covers streak_until too.
ALTER TABLE users
  ADD COLUMN streak integer NOT NULL DEFAULT 0,
  ADD COLUMN streak_until bigint NOT NULL DEFAULT 0,
  ADD COLUMN suspended boolean NOT NULL DEFAULT false;

CREATE OR REPLACE FUNCTION load_attempt(p_user text, p_codes text[], p_challenges text[], p_markers text[],
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
              FROM markers WHERE user_id = p_user AND key = ANY (p_markers)));
END $$;

CREATE OR REPLACE FUNCTION save_attempt(p_user text, p jsonb) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  e record;
BEGIN
  IF p ? 'limiter' THEN
    IF p -> 'limiter' = 'null' THEN
      UPDATE users SET failures = '{}', locked_until = 0, lock_level = 0, level_until = 0,
        limiter_until = 0, streak = 0, streak_until = 0, suspended = false WHERE user_id = p_user;
    ELSE
      UPDATE users SET
        failures = ARRAY(SELECT jsonb_array_elements_text(p #> '{limiter,failures}'))::bigint[],
        locked_until = (p #>> '{limiter,lockedUntil}')::bigint,
        lock_level = (p #>> '{limiter,level}')::integer,
        level_until = (p #>> '{limiter,levelUntil}')::bigint,
        limiter_until = (p #>> '{limiter,until}')::bigint,
        streak = coalesce((p #>> '{limiter,streak}')::integer, 0),
        streak_until = coalesce((p #>> '{limiter,streakUntil}')::bigint, 0),
        suspended = coalesce((p #>> '{limiter,suspended}')::boolean, false)
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

-- Whether a factor record is a pending one that is still alive at p_now (a missing or malformed
-- `pendingUntil` is expired).
CREATE FUNCTION pending_live(p_fields jsonb, p_now bigint) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
  SELECT p_fields ->> 'status' = 'pending'
    AND coalesce(p_fields ->> 'pendingUntil', '') ~ '^[0-9]{1,17}$'
    AND (p_fields ->> 'pendingUntil')::bigint > p_now
$$;

-- MfaStore.createPendingFactor: drops the user's expired pending factors, then the oldest live ones
-- beyond p_max - 1, and creates the new one.
CREATE FUNCTION create_pending_factor(p_user text, p_factor text, p_fields jsonb, p_max integer,
  p_now bigint) RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  n integer;
BEGIN
  PERFORM lock_user(p_user);
  IF EXISTS (SELECT 1 FROM factors WHERE user_id = p_user AND factor_id = p_factor) THEN
    RETURN false;
  END IF;
  DELETE FROM factors WHERE user_id = p_user AND fields ->> 'status' = 'pending'
    AND NOT pending_live(fields, p_now);
  SELECT count(*) INTO n FROM factors WHERE user_id = p_user AND fields ->> 'status' = 'pending';
  IF n >= p_max THEN
    DELETE FROM factors WHERE user_id = p_user AND factor_id IN (
      SELECT factor_id FROM factors WHERE user_id = p_user AND fields ->> 'status' = 'pending'
      ORDER BY (fields ->> 'pendingUntil')::bigint, factor_id COLLATE "C"
      LIMIT n - p_max + 1);
  END IF;
  INSERT INTO factors (user_id, factor_id, fields) VALUES (p_user, p_factor, p_fields);
  PERFORM move_rev(p_user);
  RETURN true;
END $$;

-- MfaStore.activateFactor.
CREATE FUNCTION activate_factor(p_user text, p_factor text, p_step_up boolean, p_now bigint)
RETURNS text
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  f jsonb;
BEGIN
  PERFORM lock_user(p_user);
  SELECT fields INTO f FROM factors WHERE user_id = p_user AND factor_id = p_factor;
  IF NOT FOUND THEN
    RETURN 'not_found';
  END IF;
  IF f ->> 'status' = 'active' THEN
    RETURN 'active';
  END IF;
  IF f ->> 'status' = 'pending' AND NOT pending_live(f, p_now) THEN
    DELETE FROM factors WHERE user_id = p_user AND factor_id = p_factor;
    PERFORM move_rev(p_user);
    RETURN 'expired';
  END IF;
  IF NOT p_step_up AND EXISTS (SELECT 1 FROM factors WHERE user_id = p_user
      AND factor_id <> p_factor AND fields ->> 'status' = 'active') THEN
    RETURN 'step_up_required';
  END IF;
  UPDATE factors SET fields = (fields - 'pendingUntil') || '{"status": "active"}'::jsonb
    WHERE user_id = p_user AND factor_id = p_factor;
  PERFORM move_rev(p_user);
  RETURN 'activated';
END $$;

-- MfaStore.unlock: clears the limiter and the consecutive failures.
CREATE FUNCTION unlock_user(p_user text, p_now bigint) RETURNS boolean
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  u users;
BEGIN
  u := lock_user(p_user);
  UPDATE users SET failures = '{}', locked_until = 0, lock_level = 0, level_until = 0,
    limiter_until = 0, streak = 0, streak_until = 0, suspended = false WHERE user_id = p_user;
  RETURN u.locked_until > p_now OR (u.suspended AND u.streak_until > p_now);
END $$;

-- MfaStore.throttle: the events of a throttle are a JSON array of times in a marker row whose key
-- ('throttle' and a newline, then the throttle's key) no marker of the kit uses.
CREATE FUNCTION throttle(p_user text, p_key text, p_interval bigint, p_max integer,
  p_window bigint, p_now bigint) RETURNS bigint
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  raw text;
  events bigint[] := '{}';
  n integer;
  wait bigint := 0;
BEGIN
  PERFORM lock_user(p_user);
  SELECT value INTO raw FROM markers
    WHERE user_id = p_user AND key = E'throttle\n' || p_key AND until > p_now;
  IF raw IS NOT NULL THEN
    events := ARRAY(SELECT e::bigint FROM jsonb_array_elements_text(raw::jsonb) AS e
      WHERE e::bigint > p_now - p_window);
  END IF;
  n := cardinality(events);
  IF n > 0 AND p_now - events[n] < p_interval THEN
    wait := events[n] + p_interval - p_now;
  END IF;
  IF n >= p_max THEN
    wait := greatest(wait, events[n - p_max + 1] + p_window - p_now);
  END IF;
  IF wait > 0 THEN
    RETURN greatest(1, wait);
  END IF;
  events := events || p_now;
  INSERT INTO markers (user_id, key, value, until)
    VALUES (p_user, E'throttle\n' || p_key, to_jsonb(events)::text,
      p_now + greatest(p_window, p_interval))
    ON CONFLICT (user_id, key) DO UPDATE SET value = EXCLUDED.value, until = EXCLUDED.until;
  RETURN 0;
END $$;
