-- Step 3: patient data is read through the server, logged.
--
-- Members keep SELECT on the columns that name no patient (a record's
-- stage, owner, clocks and version; an event's kind, stages, actor, time
-- and reason code), which the write path, the board and the sweep read.
-- The columns that do (a record's `patient` and `fields`, an event's `note`
-- and `data`) and the access log are read only through:
--   * the views `records_read` and `events_read`, open to a login that
--     holds a read grant for every record, and
--   * the functions `record_rows` and `history_rows`, open to a login that
--     holds a grant for every record or for the records asked for.
-- A grant is made only by `log_access`, in the same call that appends the
-- access entry, and serves only transactions that begin after the one
-- that made it (so an entry cannot be rolled back once its grant has
-- been used). It lasts while the session that logged it lives, or until
-- that session logs the console closed.

CREATE UNLOGGED TABLE read_grants (
    login text NOT NULL,
    pid integer NOT NULL,
    started timestamptz NOT NULL,
    -- NULL: every record.
    record_id bigint,
    entry bigint NOT NULL,
    xact xid8 NOT NULL,
    -- A record this transaction created (through `write_change`): its
    -- writer knows what it holds, and reads it within that transaction
    -- only (an import assigns the records it makes).
    created boolean NOT NULL DEFAULT false
);
CREATE INDEX read_grants_login ON read_grants (login, record_id);

-- Whether the session is the schema's owner, who reads every table.
CREATE FUNCTION session_owns() RETURNS boolean LANGUAGE sql STABLE
SET search_path = carequeue, pg_temp AS $$
    SELECT session_user::text = (SELECT nspowner::regrole::text FROM pg_namespace
                                 WHERE nspname = 'carequeue');
$$;

-- When this session began (the epoch where the owner may not read the
-- server's activity): with the pid, it names the session.
CREATE FUNCTION session_started() RETURNS timestamptz LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    SELECT coalesce((SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()),
                    'epoch');
$$;

-- The grants that serve this session now: its login's, from a session
-- still alive, made by a transaction other than this one (and so
-- committed, or they would not be seen).
CREATE FUNCTION live_grants() RETURNS SETOF read_grants LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    SELECT g.* FROM read_grants g
    JOIN pg_stat_activity a ON a.pid = g.pid AND a.usename = g.login
                            AND coalesce(a.backend_start, 'epoch') = g.started
    WHERE g.login = session_user::text AND NOT g.created
      AND g.xact IS DISTINCT FROM pg_current_xact_id_if_assigned();
$$;

-- Whether this session's transaction created record `p_id`.
CREATE FUNCTION created_here(p_id bigint) RETURNS boolean LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM read_grants g
                   WHERE g.login = session_user::text AND g.created AND g.record_id = p_id
                     AND g.pid = pg_backend_pid()
                     AND g.xact = pg_current_xact_id_if_assigned());
$$;

-- A read refused: SQLSTATE CQ401, in words that name no patient.
CREATE FUNCTION refuse_read(p_what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'no access entry opens this read: %', p_what
        USING ERRCODE = 'CQ401',
              HINT = 'carequeue logs a read (show, list, console, export, audit) before it reads; '
                     'a grant serves transactions begun after the one that logged it';
END $$;

-- The gate of the read views: true, or the read is refused.
CREATE FUNCTION may_read_all() RETURNS boolean LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    IF session_owns() OR EXISTS (SELECT 1 FROM live_grants() g WHERE g.record_id IS NULL) THEN
        RETURN true;
    END IF;
    PERFORM refuse_read('every record');
    RETURN false;
END $$;

-- Whether the session may read each of `p_ids` (or refuses).
CREATE FUNCTION may_read(p_ids bigint[]) RETURNS void LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE missing bigint;
BEGIN
    IF cardinality(p_ids) > 10000 THEN
        PERFORM refuse('at most 10000 records are read by id at once');
    END IF;
    IF session_owns() OR EXISTS (SELECT 1 FROM live_grants() g WHERE g.record_id IS NULL) THEN
        RETURN;
    END IF;
    -- An id no record has reads nothing, and needs no entry (the ids are
    -- open to members).
    SELECT i INTO missing FROM unnest(p_ids) i
    WHERE EXISTS (SELECT 1 FROM records r WHERE r.id = i)
      AND NOT EXISTS (SELECT 1 FROM live_grants() g WHERE g.record_id = i)
      AND NOT created_here(i)
    LIMIT 1;
    IF missing IS NOT NULL THEN
        PERFORM refuse_read(format('record %s', missing));
    END IF;
END $$;

-- The gate is a constant of the statement: the planner evaluates it once,
-- before the scan reads any row, so a function in a member's WHERE clause
-- sees nothing when it refuses.
CREATE VIEW records_read AS SELECT * FROM records WHERE (SELECT may_read_all());
CREATE VIEW events_read AS SELECT * FROM events WHERE (SELECT may_read_all());

CREATE FUNCTION record_rows(p_ids bigint[]) RETURNS SETOF records LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    PERFORM may_read(p_ids);
    RETURN QUERY SELECT * FROM records WHERE id = ANY(p_ids);
END $$;

CREATE FUNCTION history_rows(p_id bigint) RETURNS SETOF events LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    PERFORM may_read(ARRAY[p_id]);
    RETURN QUERY SELECT * FROM events WHERE record_id = p_id ORDER BY id;
END $$;

-- The pipeline's changes (`pipeline history`): the `data` of a pipeline
-- event says how it was stored, and names no patient.
CREATE FUNCTION pipeline_changes(OUT version bigint, OUT at bigint, OUT actor text,
    OUT hash text, OUT data text) RETURNS SETOF record LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    SELECT p.version::bigint, e.at, e.actor, p.hash, e.data FROM pipelines p
    JOIN events e ON e.id = p.event_id ORDER BY p.version;
$$;

-- A change by a member reads the record it changes (the client sends the
-- record as the engine computed it from the one it read, and the server
-- compares the two): so it needs what a read needs, and a member cannot
-- learn a patient's name by guessing it into a change and seeing whether
-- it is refused. A create needs nothing, and opens its record to the rest
-- of its own transaction.
CREATE FUNCTION may_change(p_kind text, p_record jsonb) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    IF p_kind <> 'create' THEN
        PERFORM may_read(ARRAY[(p_record ->> 'id')::bigint]);
    END IF;
END $$;

CREATE FUNCTION created(p_kind text, p_id bigint) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    IF p_kind = 'create' AND NOT session_owns() THEN
        DELETE FROM read_grants g WHERE g.login = session_user::text AND g.created
            AND g.pid = pg_backend_pid() AND g.xact <> pg_current_xact_id();
        INSERT INTO read_grants
        VALUES (session_user, pg_backend_pid(), session_started(), p_id, 0,
                pg_current_xact_id(), true);
    END IF;
END $$;

CREATE OR REPLACE FUNCTION write_change(p_record jsonb, p_expected bigint, p_at bigint,
    p_kind text, p_event text, p_from text, p_to text, p_reason text, p_note text,
    p_data text, p_op_id text, OUT record_id bigint, OUT event_id bigint) LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    PERFORM may_change(p_kind, p_record);
    SELECT * INTO record_id, event_id FROM change_as(session_actor(), p_record, p_expected,
        p_at, p_kind, p_event, p_from, p_to, p_reason, p_note, p_data, p_op_id);
    PERFORM created(p_kind, record_id);
END $$;

CREATE OR REPLACE FUNCTION write_system_change(p_record jsonb, p_expected bigint, p_at bigint,
    p_kind text, p_event text, p_from text, p_to text, p_reason text, p_note text,
    p_data text, p_op_id text, OUT record_id bigint, OUT event_id bigint) LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    PERFORM session_actor();
    IF p_kind NOT IN ('timer', 'escalation') THEN
        PERFORM refuse(format('the system actor fires only timers and escalations, not %s', p_kind));
    END IF;
    PERFORM may_change(p_kind, p_record);
    SELECT * INTO record_id, event_id FROM change_as('system', p_record, p_expected, p_at,
        p_kind, p_event, p_from, p_to, p_reason, p_note, p_data, p_op_id);
END $$;

-- Appends one access entry and, for a read, grants it (as carequeue's
-- `AccessAction::grant`): `show`, `detail` and `change` naming a record
-- that record; a list, view, export, audit, migrate, verify, or a change
-- naming none, every record; a refusal, the access log's own read or a
-- close nothing (a close ends this session's grants).
DROP FUNCTION log_access(text, bigint, text);
CREATE FUNCTION log_access(p_action text, p_record_id bigint, p_detail text)
RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE entry bigint; me record;
BEGIN
    IF octet_length(p_action) > 64 OR p_action !~ '^[a-z_-]+$' THEN
        PERFORM refuse('an access entry''s action is a word');
    END IF;
    entry := seal_access(p_action, p_record_id, p_detail);
    SELECT pg_backend_pid() AS pid, session_started() AS backend_start INTO me;
    IF p_action = 'console-close' THEN
        DELETE FROM read_grants WHERE pid = me.pid AND started = me.backend_start;
    ELSIF p_action IN ('show', 'detail', 'change') AND p_record_id IS NOT NULL THEN
        INSERT INTO read_grants VALUES (session_user, me.pid, me.backend_start, p_record_id,
                                        entry, pg_current_xact_id(), false);
    ELSIF p_action IN ('list', 'export', 'audit', 'console-open', 'console-view', 'change',
                       'verify', 'migrate') THEN
        INSERT INTO read_grants VALUES (session_user, me.pid, me.backend_start, NULL,
                                        entry, pg_current_xact_id(), false);
    END IF;
    -- Grants of sessions that have ended, and of records created by
    -- transactions that have ended, are no use to anyone.
    DELETE FROM read_grants g WHERE g.login = session_user::text
        AND ((g.created AND g.xact <> pg_current_xact_id())
             OR NOT EXISTS (SELECT 1 FROM pg_stat_activity a
                            WHERE a.pid = g.pid
                              AND coalesce(a.backend_start, 'epoch') = g.started));
    RETURN entry;
END $$;

REVOKE ALL ON records, events FROM "@member@";
GRANT SELECT (id, stage, substatus, assignee, owner_role, entered_at, due_at, warn_at,
              paused_since, paused_left, sort_due, escalation, priority, breach_reason,
              created_at, updated_at, version, timer_at, notify_role)
    ON records TO "@member@";
GRANT SELECT (id, record_id, at, actor, login, kind, event, from_stage, to_stage, reason,
              op_id, hash)
    ON events TO "@member@";
REVOKE ALL ON read_grants FROM PUBLIC;
REVOKE ALL ON FUNCTION session_owns(), session_started(), live_grants(), refuse_read(text),
    may_read(bigint[]), created_here(bigint), may_change(text, jsonb), created(text, bigint)
    FROM PUBLIC;
GRANT SELECT ON records_read, events_read TO "@member@";
GRANT EXECUTE ON FUNCTION may_read_all(), record_rows(bigint[]), history_rows(bigint),
    pipeline_changes(),
    log_access(text, bigint, text)
    TO "@member@";
UPDATE meta SET value = '3' WHERE key = 'schema_step';
