-- carequeue on PostgreSQL, schema step 1. Run by the init owner (a login
-- with CREATEROLE and CREATE on the database, not a superuser), in one
-- transaction, under the migration advisory lock. @member@ and @admin@ are
-- the database's group roles (role names are server-wide, so they carry
-- the database's name).

CREATE SCHEMA carequeue;
SET LOCAL search_path = carequeue, pg_temp;

CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE users (
    name text PRIMARY KEY,
    -- The database login that acts as this user.
    login text UNIQUE,
    roles text NOT NULL,
    created_at bigint NOT NULL,
    enabled boolean NOT NULL DEFAULT true
);
CREATE TABLE records (
    id bigint PRIMARY KEY,
    patient text NOT NULL,
    stage text NOT NULL,
    substatus text,
    assignee text REFERENCES users(name),
    owner_role text,
    entered_at bigint NOT NULL,
    due_at bigint,
    warn_at bigint,
    paused_since bigint,
    paused_left bigint,
    sort_due bigint NOT NULL,
    escalation integer NOT NULL DEFAULT 0,
    priority integer NOT NULL DEFAULT 0,
    breach_reason text,
    fields text NOT NULL DEFAULT '{}',
    created_at bigint NOT NULL,
    updated_at bigint NOT NULL,
    version bigint NOT NULL DEFAULT 1,
    timer_at bigint,
    notify_role text
);
CREATE INDEX records_stage_urgency ON records (stage, sort_due, id);
CREATE INDEX records_assignee_urgency ON records (assignee, sort_due, id);
CREATE INDEX records_urgency ON records (sort_due, id);
-- The sweep's two scans: timers due, and one range per stage and level.
CREATE INDEX records_timer ON records (timer_at, id) WHERE timer_at IS NOT NULL;
CREATE INDEX records_escalation ON records (stage, escalation, sort_due, id)
    WHERE due_at IS NOT NULL;
-- Records past their warn time: the board's breach and at-risk counts,
-- read from the index alone.
CREATE INDEX records_attention ON records (warn_at) INCLUDE (stage, assignee, sort_due)
    WHERE warn_at IS NOT NULL;
-- Per-stage totals kept current by the triggers below, so the board never
-- recounts the table (as on SQLite).
CREATE TABLE stage_counts (
    stage text PRIMARY KEY,
    total bigint NOT NULL DEFAULT 0,
    unassigned bigint NOT NULL DEFAULT 0
);
CREATE TABLE events (
    id bigint PRIMARY KEY,
    record_id bigint REFERENCES records(id),
    at bigint NOT NULL,
    actor text NOT NULL,
    -- The login that wrote it, set by the server: `verify` compares it
    -- with the actor, so a client that bypasses carequeue is named. Empty
    -- for the events `migrate` brought from SQLite (ids up to the meta
    -- key `migrated_events`), whose identity SQLite checked.
    login text NOT NULL DEFAULT '',
    kind text NOT NULL,
    event text,
    from_stage text,
    to_stage text,
    reason text,
    note text,
    data text,
    op_id text,
    hash bytea NOT NULL
);
CREATE INDEX events_record ON events (record_id, id);
CREATE UNIQUE INDEX events_op ON events (op_id) WHERE op_id IS NOT NULL;
CREATE TABLE access_log (
    id bigint PRIMARY KEY,
    at bigint NOT NULL,
    actor text NOT NULL,
    -- As in events; empty up to the meta key `migrated_access`.
    login text NOT NULL DEFAULT '',
    action text NOT NULL,
    record_id bigint,
    detail text,
    hash bytea NOT NULL
);
-- Each log's length and head: an append locks its row, so appends to one
-- chain are serialised inside their transactions.
CREATE TABLE chains (name text PRIMARY KEY, length bigint NOT NULL, head bytea NOT NULL);
INSERT INTO chains VALUES ('events', 0, '\x'::bytea), ('access', 0, '\x'::bytea);
CREATE TABLE pipelines (
    version integer PRIMARY KEY,
    hash text NOT NULL,
    text text NOT NULL,
    event_id bigint NOT NULL REFERENCES events(id)
);
-- Each user's saved console views: preferences, outside the chain.
CREATE TABLE user_views (
    "user" text NOT NULL REFERENCES users(name),
    name text NOT NULL,
    base text NOT NULL,
    stage text,
    filter text NOT NULL,
    sort text NOT NULL,
    owner text NOT NULL,
    columns text NOT NULL,
    saved_at bigint NOT NULL,
    PRIMARY KEY ("user", name)
);

-- The logs are append-only for everyone, their owner included.
CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();
CREATE TRIGGER access_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER access_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();

-- Counts kept by statement: a COPY of a million rows adds once per stage.
CREATE FUNCTION count_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO stage_counts AS c (stage, total, unassigned)
    SELECT stage, count(*), count(*) FILTER (WHERE assignee IS NULL) FROM added GROUP BY stage
    ON CONFLICT (stage) DO UPDATE SET total = c.total + excluded.total,
        unassigned = c.unassigned + excluded.unassigned;
    RETURN NULL;
END $$;
CREATE TRIGGER records_count_insert AFTER INSERT ON records
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION count_inserted();
-- A move or a claim: the one row whose stage or ownership changed.
CREATE FUNCTION count_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE stage_counts SET total = total - 1,
            unassigned = unassigned - (OLD.assignee IS NULL)::int
        WHERE stage = OLD.stage;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        INSERT INTO stage_counts AS c (stage, total, unassigned)
        VALUES (NEW.stage, 1, (NEW.assignee IS NULL)::int)
        ON CONFLICT (stage) DO UPDATE SET total = c.total + 1,
            unassigned = c.unassigned + excluded.unassigned;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER records_count_update AFTER UPDATE ON records FOR EACH ROW
    WHEN (OLD.stage IS DISTINCT FROM NEW.stage
        OR (OLD.assignee IS NULL) IS DISTINCT FROM (NEW.assignee IS NULL))
    EXECUTE FUNCTION count_changed();
CREATE TRIGGER records_count_delete AFTER DELETE ON records FOR EACH ROW
    EXECUTE FUNCTION count_changed();

-- The login this session acts as: its own, or in a trust-mode database
-- (demos, tests) the login it switched to with SET ROLE (which the server
-- allows only into roles the session's login is a member of).
CREATE FUNCTION session_login() RETURNS text LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    IF (SELECT value FROM meta WHERE key = 'trust') = 'true'
        AND current_setting('role') <> 'none' THEN
        RETURN current_setting('role');
    END IF;
    RETURN session_user;
END $$;

-- The carequeue user this session's login acts as; refused when none is
-- linked, or it is disabled.
CREATE FUNCTION session_actor() RETURNS text LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE who text; me text := session_login();
BEGIN
    SELECT name INTO who FROM users WHERE login = me AND enabled;
    IF who IS NULL THEN
        RAISE EXCEPTION 'login % is not an enabled carequeue user', me
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN who;
END $$;

-- Locks a chain's head until the caller's transaction ends and returns it:
-- the caller seals its event against it, then appends; appends by others
-- wait their turn instead of failing.
CREATE FUNCTION lock_chain(p_name text, OUT length bigint, OUT head bytea) LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    SELECT c.length, c.head INTO length, head FROM chains c WHERE c.name = p_name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no chain %', p_name;
    END IF;
END $$;

-- The chain's length, locked, if its head is still the one the caller
-- sealed against (else: retry, the chain moved). Internal.
CREATE FUNCTION chain_after(p_name text, p_prev bytea) RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE n bigint; h bytea;
BEGIN
    SELECT length, head INTO n, h FROM lock_chain(p_name);
    IF h <> p_prev THEN
        RAISE EXCEPTION 'the % chain moved on: seal against its new head and retry', p_name
            USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN n;
END $$;

-- Appends one event to the chain as `p_actor`, after the head the client
-- sealed it against (else: retry, the chain moved); the login is the
-- session's. Internal: callable only through the functions below, which
-- decide the actor themselves.
CREATE FUNCTION append_as(
    p_actor text, p_record_id bigint, p_at bigint, p_kind text, p_event text,
    p_from text, p_to text, p_reason text, p_note text, p_data text,
    p_op_id text, p_prev bytea, p_hash bytea
) RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE n bigint := chain_after('events', p_prev);
BEGIN
    INSERT INTO events (id, record_id, at, actor, login, kind, event, from_stage,
        to_stage, reason, note, data, op_id, hash)
    VALUES (n + 1, p_record_id, p_at, p_actor, session_login(), p_kind, p_event, p_from,
        p_to, p_reason, p_note, p_data, p_op_id, p_hash);
    UPDATE chains SET length = n + 1, head = p_hash WHERE name = 'events';
    -- Consoles listening hear the new length at commit: a number, no PHI.
    PERFORM pg_notify('carequeue_events', (n + 1)::text);
    RETURN n + 1;
END $$;

-- Appends one event as this session's user: the actor and the login come
-- from the session, never from the caller.
CREATE FUNCTION append_event(
    p_record_id bigint, p_at bigint, p_kind text, p_event text,
    p_from text, p_to text, p_reason text, p_note text, p_data text,
    p_op_id text, p_prev bytea, p_hash bytea
) RETURNS bigint LANGUAGE sql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    SELECT append_as(session_actor(), p_record_id, p_at, p_kind, p_event, p_from, p_to,
        p_reason, p_note, p_data, p_op_id, p_prev, p_hash);
$$;

-- One change as `p_actor` (internal): the record's new state (written only
-- if it is still at the version the change was decided on: else SQLSTATE
-- CQ409, stale) and its event, together. A change whose op id is already
-- in the log is not applied again: its event's id comes back negated.
CREATE FUNCTION write_as(
    p_actor text, p_record jsonb, p_expected bigint, p_at bigint, p_kind text,
    p_event text, p_from text, p_to text, p_reason text, p_note text, p_data text,
    p_op_id text, p_prev bytea, p_hash bytea
) RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE r records; seen bigint;
BEGIN
    IF p_op_id IS NOT NULL THEN
        SELECT e.id INTO seen FROM events e WHERE e.op_id = p_op_id;
        IF seen IS NOT NULL THEN
            RETURN -seen;
        END IF;
    END IF;
    r := jsonb_populate_record(NULL::records, p_record);
    IF p_expected = 0 THEN
        INSERT INTO records SELECT (r).*;
    ELSE
        UPDATE records SET patient = r.patient, stage = r.stage, substatus = r.substatus,
            assignee = r.assignee, owner_role = r.owner_role, entered_at = r.entered_at,
            due_at = r.due_at, warn_at = r.warn_at, paused_since = r.paused_since,
            paused_left = r.paused_left, sort_due = r.sort_due, escalation = r.escalation,
            priority = r.priority, breach_reason = r.breach_reason, fields = r.fields,
            updated_at = r.updated_at, version = r.version, timer_at = r.timer_at,
            notify_role = r.notify_role
        WHERE records.id = r.id AND records.version = p_expected;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'record % changed since version %', r.id, p_expected
                USING ERRCODE = 'CQ409';
        END IF;
    END IF;
    RETURN append_as(p_actor, r.id, p_at, p_kind, p_event, p_from, p_to, p_reason, p_note,
        p_data, p_op_id, p_prev, p_hash);
END $$;

-- One change as this session's user.
CREATE FUNCTION write_change(
    p_record jsonb, p_expected bigint, p_at bigint, p_kind text, p_event text,
    p_from text, p_to text, p_reason text, p_note text, p_data text,
    p_op_id text, p_prev bytea, p_hash bytea
) RETURNS bigint LANGUAGE sql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    SELECT write_as(session_actor(), p_record, p_expected, p_at, p_kind, p_event, p_from,
        p_to, p_reason, p_note, p_data, p_op_id, p_prev, p_hash);
$$;

-- A timer or an escalation the sweep fires: its actor is `system`, its
-- login the enabled user's who ran the sweep; nothing else may be written
-- as `system` (and `verify` re-checks that each was due from its stage).
CREATE FUNCTION write_system_change(
    p_record jsonb, p_expected bigint, p_at bigint, p_kind text, p_event text,
    p_from text, p_to text, p_reason text, p_note text, p_data text,
    p_op_id text, p_prev bytea, p_hash bytea
) RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    PERFORM session_actor();
    IF p_kind NOT IN ('timer', 'escalation') THEN
        RAISE EXCEPTION 'the system actor fires only timers and escalations, not %', p_kind
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN write_as('system', p_record, p_expected, p_at, p_kind, p_event, p_from, p_to,
        p_reason, p_note, p_data, p_op_id, p_prev, p_hash);
END $$;

-- An import's bulk path: staging tables in the session's own temporary
-- schema, owned here (so only `import_finish` reads them) and open to the
-- session's login for COPY; gone at commit.
CREATE FUNCTION import_begin() RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    PERFORM session_actor();
    DROP TABLE IF EXISTS pg_temp.import_records, pg_temp.import_events;
    CREATE TEMP TABLE import_records (r jsonb NOT NULL) ON COMMIT DROP;
    CREATE TEMP TABLE import_events (
        id bigint PRIMARY KEY, record_id bigint NOT NULL, at bigint NOT NULL,
        kind text NOT NULL, event text, from_stage text, to_stage text, reason text,
        note text, data text, hash bytea NOT NULL
    ) ON COMMIT DROP;
    EXECUTE format('GRANT INSERT ON pg_temp.import_records, pg_temp.import_events TO %I',
        session_login());
END $$;

-- The staged records and events into the store, as this session's user:
-- the events run on from the head the client sealed them against, without
-- gaps, and are of the kinds an import makes.
CREATE FUNCTION import_finish(p_prev bytea) RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE who text := session_actor(); n bigint := chain_after('events', p_prev);
    k bigint; lo bigint; hi bigint;
BEGIN
    SELECT count(*), min(id), max(id) INTO k, lo, hi FROM pg_temp.import_events;
    IF k = 0 THEN
        RETURN n;
    END IF;
    IF lo <> n + 1 OR hi <> n + k THEN
        RAISE EXCEPTION 'the staged events do not follow the chain (% to %, after %)', lo, hi, n;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_temp.import_events
               WHERE kind NOT IN ('create', 'substatus', 'pause', 'resume', 'assign')) THEN
        RAISE EXCEPTION 'an import writes records'' first events only'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO records SELECT p.*
        FROM pg_temp.import_records, jsonb_populate_record(NULL::records, r) p;
    INSERT INTO events (id, record_id, at, actor, login, kind, event, from_stage, to_stage,
        reason, note, data, hash)
    SELECT id, record_id, at, who, session_login(), kind, event, from_stage, to_stage,
        reason, note, data, hash FROM pg_temp.import_events ORDER BY id;
    UPDATE chains SET length = n + k,
        head = (SELECT hash FROM pg_temp.import_events WHERE id = n + k)
    WHERE name = 'events';
    PERFORM pg_notify('carequeue_events', (n + k)::text);
    RETURN n + k;
END $$;

-- One access-log entry as this session's user.
CREATE FUNCTION log_access(
    p_at bigint, p_action text, p_record_id bigint, p_detail text,
    p_prev bytea, p_hash bytea
) RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE who text := session_actor(); n bigint := chain_after('access', p_prev);
BEGIN
    INSERT INTO access_log (id, at, actor, login, action, record_id, detail, hash)
    VALUES (n + 1, p_at, who, session_login(), p_action, p_record_id, p_detail, p_hash);
    UPDATE chains SET length = n + 1, head = p_hash WHERE name = 'access';
    RETURN n + 1;
END $$;

-- Adds or changes a user (admins only), logged as a `user` event by this
-- session's user, and links the user's login where the server has it:
-- the member role, and the admin role for a user holding an admin role
-- (taken back when they no longer do). The owner's grant, so no admin
-- needs CREATEROLE.
CREATE FUNCTION write_user(p_name text, p_roles text, p_login text, p_enabled boolean,
    p_created_at bigint, p_admin boolean, p_at bigint, p_data text, p_prev bytea,
    p_hash bytea) RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE n bigint;
BEGIN
    IF NOT pg_has_role(session_login(), '@admin@', 'MEMBER') THEN
        RAISE EXCEPTION 'only an admin adds or changes users'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO users (name, login, roles, created_at, enabled)
    VALUES (p_name, p_login, p_roles, p_created_at, p_enabled)
    ON CONFLICT (name) DO UPDATE SET login = excluded.login, roles = excluded.roles,
        enabled = excluded.enabled;
    n := append_as(session_actor(), NULL, p_at, 'user', NULL, NULL, p_name, NULL, NULL,
        p_data, NULL, p_prev, p_hash);
    IF p_login IS NOT NULL
        AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login AND rolcanlogin) THEN
        IF p_enabled THEN
            EXECUTE format('GRANT %I TO %I', '@member@', p_login);
        END IF;
        IF p_enabled AND p_admin THEN
            EXECUTE format('GRANT %I TO %I', '@admin@', p_login);
        ELSIF pg_has_role(p_login, '@admin@', 'MEMBER') THEN
            EXECUTE format('REVOKE %I FROM %I', '@admin@', p_login);
        END IF;
    END IF;
    RETURN n;
END $$;

-- What `pipeline apply` changes (admins only): the next pipeline version
-- and its event, the roles that may read the access log under it.
CREATE FUNCTION store_pipeline(p_version bigint, p_hash text, p_text text, p_at bigint,
    p_kind text, p_data text, p_log_readers text, p_prev bytea, p_event_hash bytea)
RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE n bigint;
BEGIN
    IF NOT pg_has_role(session_login(), '@admin@', 'MEMBER') THEN
        RAISE EXCEPTION 'only an admin applies a pipeline'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    n := append_as(session_actor(), NULL, p_at, p_kind, NULL, NULL, NULL, NULL, NULL,
        p_data, NULL, p_prev, p_event_hash);
    INSERT INTO pipelines (version, hash, text, event_id) VALUES (p_version, p_hash, p_text, n);
    INSERT INTO meta (key, value) VALUES ('log_readers', p_log_readers)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value;
    RETURN n;
END $$;

-- A record's clock, timer and escalation roles as a newly applied pipeline
-- recomputes them (admins, inside their apply): no event and no new
-- version, as replay recomputes the same; `verify` checks it does.
CREATE FUNCTION retime_record(p_id bigint, p_due_at bigint, p_warn_at bigint,
    p_paused_since bigint, p_paused_left bigint, p_sort_due bigint, p_timer_at bigint,
    p_owner_role text, p_notify_role text) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    IF NOT pg_has_role(session_login(), '@admin@', 'MEMBER') THEN
        RAISE EXCEPTION 'only an admin re-times records'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE records SET due_at = p_due_at, warn_at = p_warn_at, paused_since = p_paused_since,
        paused_left = p_paused_left, sort_due = p_sort_due, timer_at = p_timer_at,
        owner_role = p_owner_role, notify_role = p_notify_role
    WHERE id = p_id;
END $$;

-- A renamed role, in every record's owner and notified role (admins).
CREATE FUNCTION rename_role(p_old text, p_new text) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    IF NOT pg_has_role(session_login(), '@admin@', 'MEMBER') THEN
        RAISE EXCEPTION 'only an admin renames roles'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE records SET owner_role = p_new WHERE owner_role = p_old;
    UPDATE records SET notify_role = p_new WHERE notify_role = p_old;
END $$;

-- A user's own saved views: read, saved and deleted as the session's
-- user, never another's.
CREATE FUNCTION my_views() RETURNS SETOF user_views LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    SELECT * FROM user_views WHERE "user" = session_actor() ORDER BY name COLLATE "C";
$$;
CREATE FUNCTION save_view(p_name text, p_base text, p_stage text, p_filter text,
    p_sort text, p_owner text, p_columns text, p_at bigint) RETURNS void LANGUAGE sql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    INSERT INTO user_views ("user", name, base, stage, filter, sort, owner, columns, saved_at)
    VALUES (session_actor(), p_name, p_base, p_stage, p_filter, p_sort, p_owner, p_columns, p_at)
    ON CONFLICT ("user", name) DO UPDATE SET base = excluded.base, stage = excluded.stage,
        filter = excluded.filter, sort = excluded.sort, owner = excluded.owner,
        columns = excluded.columns, saved_at = excluded.saved_at;
$$;
CREATE FUNCTION delete_view(p_name text) RETURNS boolean LANGUAGE sql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    WITH gone AS (DELETE FROM user_views WHERE "user" = session_actor() AND name = p_name
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM gone);
$$;

-- The access log, for admins and the users of the roles the pipeline
-- lets read it (meta `log_readers`, kept with the pipeline).
CREATE FUNCTION access_entries(p_user text, p_record bigint, p_since bigint, p_until bigint)
RETURNS SETOF access_log LANGUAGE plpgsql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    IF NOT pg_has_role(session_login(), '@admin@', 'MEMBER') AND NOT EXISTS (
        SELECT 1 FROM users u, meta m
        WHERE u.name = session_actor() AND m.key = 'log_readers'
          AND string_to_array(u.roles, ' ') && string_to_array(m.value, ' ')) THEN
        RAISE EXCEPTION 'the access log is for admins and supervising roles'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN QUERY SELECT * FROM access_log a
        WHERE (p_user IS NULL OR a.actor = p_user) AND (p_record IS NULL OR a.record_id = p_record)
          AND (p_since IS NULL OR a.at >= p_since) AND (p_until IS NULL OR a.at < p_until)
        ORDER BY a.id;
END $$;

REVOKE ALL ON ALL TABLES IN SCHEMA carequeue FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA carequeue FROM PUBLIC;
GRANT USAGE ON SCHEMA carequeue TO "@member@", "@admin@";
GRANT SELECT ON meta, users, records, events, pipelines, chains, stage_counts TO "@member@";
GRANT SELECT ON access_log, user_views TO "@admin@";
GRANT EXECUTE ON FUNCTION write_change(jsonb, bigint, bigint, text, text, text, text, text,
    text, text, text, bytea, bytea), write_system_change(jsonb, bigint, bigint, text, text,
    text, text, text, text, text, text, bytea, bytea) TO "@member@";
GRANT EXECUTE ON FUNCTION session_login(), session_actor(), lock_chain(text), append_event(bigint, bigint, text, text, text, text,
    text, text, text, text, bytea, bytea), log_access(bigint, text, bigint, text, bytea, bytea),
    my_views(), save_view(text, text, text, text, text, text, text, bigint), delete_view(text),
    import_begin(), import_finish(bytea),
    access_entries(text, bigint, bigint, bigint)
    TO "@member@";
GRANT EXECUTE ON FUNCTION write_user(text, text, text, boolean, bigint, boolean, bigint, text, bytea, bytea),
    store_pipeline(bigint, text, text, bigint, text, text, text, bytea, bytea),
    retime_record(bigint, bigint, bigint, bigint, bigint, bigint, bigint, text, text),
    rename_role(text, text)
    TO "@admin@";
INSERT INTO meta VALUES ('schema_step', '1'), ('trust', '@trust@');
