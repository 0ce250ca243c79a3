-- carequeue on PostgreSQL, schema step 2, part 2: writes are what a user
-- asked for, checked here. A change names its kind, its event, reason,
-- note and target, the version it was decided on and its op id, and the
-- record as carequeue's engine computes it (SLA clock, timers). The server
-- decides the actor (the session's user), the time (the server's, outside
-- trust mode), the event's hash (see part 1), and judges the change by the
-- rules of the pipeline in force (`rules`): the event is allowed from the
-- record's stage for one of the actor's roles, its guards hold, claims and
-- assignments are the actor's to make, a new record starts at the entry
-- stage, and every column the change does not concern is left as it was.
-- What only the engine computes (due times, escalation levels, timers) is
-- taken as sent, and `verify` replays it.
SET LOCAL search_path = carequeue, pg_temp;

-- The old writers took a hash and a time from the client: gone.
DROP FUNCTION write_system_change(jsonb, bigint, bigint, text, text, text, text, text, text,
    text, text, bytea, bytea);
DROP FUNCTION write_change(jsonb, bigint, bigint, text, text, text, text, text, text, text,
    text, bytea, bytea);
DROP FUNCTION write_as(text, jsonb, bigint, bigint, text, text, text, text, text, text, text,
    text, bytea, bytea);
DROP FUNCTION append_event(bigint, bigint, text, text, text, text, text, text, text, text,
    bytea, bytea);
DROP FUNCTION import_finish(bytea);
DROP FUNCTION import_begin();
DROP FUNCTION log_access(bigint, text, bigint, text, bytea, bytea);
DROP FUNCTION write_user(text, text, text, boolean, bigint, boolean, bigint, text, bytea, bytea);
DROP FUNCTION store_pipeline(bigint, text, text, bigint, text, text, text, bytea, bytea);
DROP FUNCTION append_as(text, bigint, bigint, text, text, text, text, text, text, text, text,
    bytea, bytea);
DROP FUNCTION chain_after(text, bytea);
DROP FUNCTION lock_chain(text);

-- The rules of each stored pipeline version, as the functions below read
-- them (written by the admin who applies the pipeline, from its text).
CREATE TABLE rules (
    version integer PRIMARY KEY REFERENCES pipelines(version),
    doc jsonb NOT NULL
);

CREATE FUNCTION current_rules() RETURNS jsonb LANGUAGE sql STABLE
SET search_path = carequeue, pg_temp AS $$
    SELECT doc FROM rules ORDER BY version DESC LIMIT 1;
$$;

-- A refusal: SQLSTATE CQ403, in words that name no patient.
CREATE FUNCTION refuse(p_what text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%', p_what USING ERRCODE = 'CQ403';
END $$;

-- The roles an enabled user holds (none for anyone else).
CREATE FUNCTION roles_of(p_user text) RETURNS text[] LANGUAGE sql STABLE
SET search_path = carequeue, pg_temp AS $$
    SELECT coalesce((SELECT string_to_array(roles, ' ') FROM users
                     WHERE name = p_user AND enabled), '{}');
$$;

-- Whether one of `p_roles` carries `p_flag` (supervises, admin) in `p_doc`.
CREATE FUNCTION any_role(p_doc jsonb, p_roles text[], p_flag text) RETURNS boolean
LANGUAGE sql IMMUTABLE AS $$
    SELECT EXISTS (SELECT 1 FROM unnest(p_roles) r
                   WHERE coalesce((p_doc -> 'roles' -> r ->> p_flag)::boolean, false));
$$;

-- The columns whose values differ between two states of a record.
CREATE FUNCTION changed_columns(p_old records, p_new records) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(a.key ORDER BY a.key), '{}')
    FROM jsonb_each(to_jsonb(p_old)) a JOIN jsonb_each(to_jsonb(p_new)) b USING (key)
    WHERE a.value IS DISTINCT FROM b.value AND a.key NOT IN ('version', 'updated_at');
$$;

-- The time a change in this transaction is dated: the server's (the
-- transaction's start), never before the record's latest change; in a
-- trust-mode database the client's. A client that sends another time is
-- refused, so it cannot have computed the record at a time of its own.
CREATE FUNCTION change_time(p_at bigint, p_latest bigint) RETURNS bigint LANGUAGE plpgsql STABLE
SET search_path = carequeue, pg_temp AS $$
DECLARE t bigint;
BEGIN
    IF trusting() THEN
        t := greatest(p_at, p_latest);
    ELSE
        t := greatest(floor(extract(epoch FROM now()))::bigint, p_latest);
    END IF;
    IF p_at IS DISTINCT FROM t THEN
        PERFORM refuse(format('the change is dated %s, but the server dates it %s: ask the server for its time (carequeue does)', p_at, t));
    END IF;
    RETURN t;
END $$;

-- Whether the record's SLA is breached at `p_at` (as the engine says).
CREATE FUNCTION breached(r records, p_at bigint) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN r.due_at IS NOT NULL THEN p_at >= r.due_at
                ELSE r.paused_since IS NOT NULL AND coalesce(r.paused_left, 1) <= 0 END;
$$;

-- The role that owns `r` now: an escalation's reassignment, else its stage's.
CREATE FUNCTION owner_of(p_doc jsonb, r records) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(r.owner_role, p_doc -> 'stages' -> r.stage ->> 'owner');
$$;

-- A record field's value as a counter (0 unless it is a whole number).
CREATE FUNCTION counter_value(p_fields text, p_field text) RETURNS bigint LANGUAGE sql
IMMUTABLE AS $$
    SELECT CASE WHEN v ~ '^-?[0-9]{1,18}$' THEN v::bigint ELSE 0 END
    FROM (SELECT p_fields::jsonb ->> p_field AS v) x;
$$;

-- Judges one change of `p_old` (NULL for a new record) into `p_new` by
-- `p_actor` at `p_at`, under the rules `p_doc`. Refuses (CQ403) whatever
-- the rules do not allow; returns nothing.
CREATE FUNCTION judge_change(p_doc jsonb, p_old records, p_new records, p_actor text,
    p_at bigint, p_kind text, p_event text, p_from text, p_to text, p_reason text,
    p_note text) RETURNS void LANGUAGE plpgsql STABLE
SET search_path = carequeue, pg_temp AS $$
DECLARE
    who text := format('record %s: %s', p_new.id, p_kind);
    mine text[] := roles_of(p_actor);
    sup boolean := any_role(p_doc, roles_of(p_actor), 'supervises');
    stage jsonb;
    t jsonb;
    target jsonb;
    changed text[];
    allowed text[];
    owner text;
    k text;
    v jsonb;
    lvl jsonb;
BEGIN
    IF p_doc IS NULL THEN
        PERFORM refuse('no pipeline is stored: an admin applies one first');
    END IF;
    IF p_new.updated_at IS DISTINCT FROM p_at THEN
        PERFORM refuse(format('%s: its record is dated %s, the change %s', who, p_new.updated_at, p_at));
    END IF;
    IF p_kind = 'create' THEN
        stage := p_doc -> 'stages' -> (p_doc ->> 'entry');
        IF p_new.stage IS DISTINCT FROM p_doc ->> 'entry' OR p_to IS DISTINCT FROM p_new.stage THEN
            PERFORM refuse(format('%s: a new record starts at the entry stage `%s`', who, p_doc ->> 'entry'));
        END IF;
        IF p_new.substatus IS DISTINCT FROM stage ->> 'initial' OR p_new.assignee IS NOT NULL
            OR p_new.owner_role IS NOT NULL OR p_new.notify_role IS NOT NULL
            OR p_new.escalation <> 0 OR p_new.priority <> 0 OR p_new.breach_reason IS NOT NULL
            OR p_new.version <> 1 OR p_new.entered_at <> p_at OR p_new.created_at <> p_at THEN
            PERFORM refuse(format('%s: a new record starts fresh at the entry stage, unassigned, at the time of its creation', who));
        END IF;
        IF btrim(p_new.patient) = '' THEN
            PERFORM refuse(format('%s: the patient name is empty', who));
        END IF;
        FOR k IN SELECT jsonb_object_keys(p_new.fields::jsonb) LOOP
            IF NOT (p_doc -> 'fields') ? k THEN
                PERFORM refuse(format('%s: field `%s` is not in the pipeline', who, k));
            END IF;
        END LOOP;
        FOR k IN SELECT f.key FROM jsonb_each(p_doc -> 'fields') f
                 WHERE (f.value ->> 'required')::boolean LOOP
            IF NOT p_new.fields::jsonb ? k THEN
                PERFORM refuse(format('%s: field `%s` is required', who, k));
            END IF;
        END LOOP;
        RETURN;
    END IF;

    -- Every other change: the same record, one version on.
    IF p_new.id <> p_old.id OR p_new.version <> p_old.version + 1 THEN
        PERFORM refuse(format('%s: a change moves its record one version on', who));
    END IF;
    stage := p_doc -> 'stages' -> p_old.stage;
    IF stage IS NULL THEN
        PERFORM refuse(format('%s: stage `%s` is not in the pipeline in force', who, p_old.stage));
    END IF;
    changed := changed_columns(p_old, p_new);
    owner := owner_of(p_doc, p_old);

    IF p_kind IN ('transition', 'override', 'timer') THEN
        t := p_doc -> 'transitions' -> p_event;
        IF t IS NULL THEN
            PERFORM refuse(format('%s: no event `%s` in the pipeline', who, p_event));
        END IF;
        IF (stage ->> 'terminal')::boolean THEN
            PERFORM refuse(format('%s: stage `%s` is terminal', who, p_old.stage));
        END IF;
        IF NOT (t -> 'from') ? p_old.stage THEN
            PERFORM refuse(format('%s: event `%s` does not lead from stage `%s`', who, p_event, p_old.stage));
        END IF;
        IF p_new.stage IS DISTINCT FROM t ->> 'to' OR p_to IS DISTINCT FROM t ->> 'to'
            OR p_from IS DISTINCT FROM p_old.stage THEN
            PERFORM refuse(format('%s: event `%s` leads to `%s`', who, p_event, t ->> 'to'));
        END IF;
        IF p_kind = 'timer' THEN
            IF p_actor <> 'system' OR NOT (stage -> 'timers') ? p_event THEN
                PERFORM refuse(format('%s: no timer of stage `%s` fires `%s`', who, p_old.stage, p_event));
            END IF;
        ELSE
            IF NOT EXISTS (SELECT 1 FROM jsonb_array_elements_text(t -> 'roles') r
                           WHERE r = ANY (mine)) THEN
                PERFORM refuse(format('%s: role(s) %s may not fire `%s`', who,
                    coalesce(nullif(array_to_string(mine, ', '), ''), 'none'), p_event));
            END IF;
        END IF;
        IF p_kind = 'override' THEN
            IF NOT sup THEN
                PERFORM refuse(format('%s: only a supervising role may override guards', who));
            END IF;
            IF p_note IS NULL OR p_note NOT LIKE 'override: %' OR btrim(substr(p_note, 11)) = '' THEN
                PERFORM refuse(format('%s: an override needs its reason in the note', who));
            END IF;
        ELSIF p_kind = 'transition' THEN
            IF (t ->> 'reason')::boolean AND NOT (t -> 'reasons') ? coalesce(p_reason, '') THEN
                PERFORM refuse(format('%s: `%s` needs a reason code from its list', who, p_event));
            END IF;
            IF breached(p_old, p_at) AND p_old.breach_reason IS NULL
                AND jsonb_array_length(stage -> 'breach') > 0 THEN
                IF (t ->> 'reason')::boolean OR NOT (stage -> 'breach') ? coalesce(p_reason, '') THEN
                    PERFORM refuse(format('%s: the SLA was breached in this stage: a breach reason of the stage is needed', who));
                END IF;
            ELSIF NOT (t ->> 'reason')::boolean AND p_reason IS NOT NULL THEN
                PERFORM refuse(format('%s: `%s` takes no reason here', who, p_event));
            END IF;
            IF (t ->> 'note')::boolean AND btrim(coalesce(p_note, '')) = '' THEN
                PERFORM refuse(format('%s: `%s` needs a note', who, p_event));
            END IF;
            IF (t ->> 'no_sub')::boolean AND p_old.substatus IS NOT NULL THEN
                PERFORM refuse(format('%s: sub-status `%s` is open', who, p_old.substatus));
            END IF;
            IF (t ->> 'assignee')::boolean AND p_old.assignee IS DISTINCT FROM p_actor THEN
                PERFORM refuse(format('%s: only its assignee may fire `%s`', who, p_event));
            END IF;
            IF t ->> 'counter' IS NOT NULL
                AND counter_value(p_old.fields, t ->> 'counter') >= (t ->> 'max')::bigint THEN
                PERFORM refuse(format('%s: `%s` has reached its maximum', who, t ->> 'counter'));
            END IF;
        END IF;
        -- The new stay.
        IF p_new.substatus IS DISTINCT FROM p_doc -> 'stages' -> (t ->> 'to') ->> 'initial'
            OR p_new.entered_at <> p_at OR p_new.owner_role IS NOT NULL
            OR p_new.notify_role IS NOT NULL OR p_new.escalation <> 0 OR p_new.priority <> 0
            OR p_new.breach_reason IS NOT NULL
            OR p_new.assignee IS DISTINCT FROM (CASE
                WHEN (stage ->> 'owner') IS DISTINCT FROM
                     (p_doc -> 'stages' -> (t ->> 'to') ->> 'owner') THEN NULL
                ELSE p_old.assignee END) THEN
            PERFORM refuse(format('%s: a move starts a fresh stay in `%s`', who, t ->> 'to'));
        END IF;
        -- Fields: only what the transition counts or sets.
        FOR k, v IN SELECT coalesce(a.key, b.key), b.value
                    FROM jsonb_each(p_old.fields::jsonb) a
                    FULL JOIN jsonb_each(p_new.fields::jsonb) b USING (key)
                    WHERE a.value IS DISTINCT FROM b.value LOOP
            IF k = t ->> 'counter' THEN
                IF v IS DISTINCT FROM to_jsonb((counter_value(p_old.fields, k) + 1)::text) THEN
                    PERFORM refuse(format('%s: `%s` counts one up', who, k));
                END IF;
            ELSIF (t -> 'sets') ? k THEN
                IF v IS DISTINCT FROM (t -> 'sets' -> k)
                    AND NOT (jsonb_typeof(t -> 'sets' -> k) = 'null'
                             AND v #>> '{}' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$') THEN
                    PERFORM refuse(format('%s: `%s` is set to what the transition says', who, k));
                END IF;
            ELSE
                PERFORM refuse(format('%s: `%s` does not change field `%s`', who, p_event, k));
            END IF;
        END LOOP;
        allowed := '{stage,substatus,assignee,owner_role,notify_role,escalation,priority,breach_reason,entered_at,due_at,warn_at,paused_since,paused_left,sort_due,timer_at,fields}';
    ELSIF p_kind = 'escalation' THEN
        lvl := stage -> 'levels' -> (p_old.escalation::int);
        IF p_actor <> 'system' OR lvl IS NULL OR p_new.escalation <> p_old.escalation + 1 THEN
            PERFORM refuse(format('%s: stage `%s` has no escalation level %s', who, p_old.stage, p_old.escalation + 1));
        END IF;
        IF p_new.notify_role IS DISTINCT FROM coalesce(lvl ->> 'notify', p_old.notify_role)
            OR p_new.owner_role IS DISTINCT FROM coalesce(lvl ->> 'reassign', p_old.owner_role)
            OR p_new.assignee IS DISTINCT FROM (CASE WHEN lvl ->> 'reassign' IS NULL
                                                     THEN p_old.assignee END)
            OR p_new.priority <> greatest(p_old.priority,
                                          coalesce((lvl ->> 'priority')::int, p_old.priority)) THEN
            PERFORM refuse(format('%s: level %s does what the pipeline says', who, p_new.escalation));
        END IF;
        allowed := '{escalation,priority,owner_role,notify_role,assignee,timer_at,sort_due}';
    ELSIF p_kind IN ('claim', 'assign') THEN
        IF (stage ->> 'terminal')::boolean THEN
            PERFORM refuse(format('%s: the record is closed', who));
        END IF;
        IF NOT sup AND NOT owner = ANY (mine) THEN
            PERFORM refuse(format('%s: `%s` does not hold role `%s` or a supervising role', who, p_actor, owner));
        END IF;
        IF p_new.assignee IS NULL OR p_new.assignee IS DISTINCT FROM p_to
            OR p_from IS DISTINCT FROM p_old.assignee
            OR p_new.assignee IS NOT DISTINCT FROM p_old.assignee THEN
            PERFORM refuse(format('%s: the event names the record''s holders as they are', who));
        END IF;
        IF NOT owner = ANY (roles_of(p_to)) AND NOT any_role(p_doc, roles_of(p_to), 'supervises') THEN
            PERFORM refuse(format('%s: `%s` does not hold the owning role `%s`', who, p_to, owner));
        END IF;
        IF p_old.assignee IS NOT NULL AND p_old.assignee <> p_actor AND p_old.assignee <> p_to
            AND NOT sup THEN
            PERFORM refuse(format('%s: it is held by `%s`; taking a record someone holds needs a supervising role', who, p_old.assignee));
        END IF;
        IF (p_kind = 'claim') <> (p_to = p_actor) THEN
            PERFORM refuse(format('%s: a claim gives the record to its actor, an assignment to another', who));
        END IF;
        IF p_kind = 'claim' AND NOT EXISTS (
            SELECT 1 FROM jsonb_each(p_doc -> 'transitions') x
            WHERE (x.value -> 'from') ? p_old.stage
              AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(x.value -> 'roles') r
                          WHERE r = ANY (mine))) THEN
            PERFORM refuse(format('%s: `%s` could fire no event in stage `%s`', who, p_actor, p_old.stage));
        END IF;
        allowed := '{assignee}';
    ELSIF p_kind = 'release' THEN
        IF p_old.assignee IS NULL OR p_new.assignee IS NOT NULL
            OR p_from IS DISTINCT FROM p_old.assignee THEN
            PERFORM refuse(format('%s: a release frees a held record', who));
        END IF;
        IF p_old.assignee <> p_actor AND NOT sup THEN
            PERFORM refuse(format('%s: it is assigned to `%s`; only they or a supervisor may release it', who, p_old.assignee));
        END IF;
        allowed := '{assignee}';
    ELSIF p_kind IN ('substatus', 'pause', 'resume') THEN
        IF NOT sup AND NOT owner = ANY (mine) THEN
            PERFORM refuse(format('%s: `%s` does not hold the owning role', who, p_actor));
        END IF;
        IF p_to IS NOT NULL AND NOT (stage -> 'subs') ? p_to THEN
            PERFORM refuse(format('%s: `%s` is not a sub-status of stage `%s`', who, p_to, p_old.stage));
        END IF;
        IF p_new.substatus IS DISTINCT FROM p_to OR p_from IS DISTINCT FROM p_old.substatus
            OR p_to IS NOT DISTINCT FROM p_old.substatus THEN
            PERFORM refuse(format('%s: the event names the sub-status as it changes', who));
        END IF;
        IF p_kind <> (CASE
            WHEN coalesce((stage -> 'subs' -> p_old.substatus ->> 'pauses')::boolean, false)
                 = coalesce((stage -> 'subs' -> p_to ->> 'pauses')::boolean, false) THEN 'substatus'
            WHEN coalesce((stage -> 'subs' -> p_to ->> 'pauses')::boolean, false) THEN 'pause'
            ELSE 'resume' END) THEN
            PERFORM refuse(format('%s: the wrong kind for this sub-status change', who));
        END IF;
        allowed := CASE WHEN p_kind = 'substatus' THEN '{substatus,timer_at}'::text[]
            ELSE '{substatus,due_at,warn_at,paused_since,paused_left,sort_due,timer_at}' END;
    ELSIF p_kind = 'note' THEN
        IF btrim(coalesce(p_note, '')) = '' THEN
            PERFORM refuse(format('%s: the note is empty', who));
        END IF;
        allowed := '{}';
    ELSIF p_kind = 'ack' THEN
        IF NOT breached(p_old, p_at) OR p_old.breach_reason IS NOT NULL THEN
            PERFORM refuse(format('%s: there is no breach to acknowledge', who));
        END IF;
        IF NOT sup AND NOT owner = ANY (mine) THEN
            PERFORM refuse(format('%s: `%s` does not hold the owning role or a supervising role', who, p_actor));
        END IF;
        IF NOT (stage -> 'breach') ? coalesce(p_reason, '')
            OR p_new.breach_reason IS DISTINCT FROM p_reason THEN
            PERFORM refuse(format('%s: the reason is not a breach reason of stage `%s`', who, p_old.stage));
        END IF;
        allowed := '{breach_reason}';
    ELSE
        PERFORM refuse(format('%s: an event of this kind is made only by `migrate`, `adopt`, `pipeline apply`, `user` or `import`', who));
    END IF;
    IF NOT changed <@ allowed THEN
        PERFORM refuse(format('%s: it may not change %s', who,
            array_to_string(ARRAY(SELECT unnest(changed) EXCEPT SELECT unnest(allowed)), ', ')));
    END IF;
END $$;

-- Begins a write transaction (members): the session's user, and the
-- server's time for the transaction, with the events log's head taken for
-- the rest of it (the same bounded wait, and eviction of a stalled
-- holder, as every writer; see `take_chain`), so a transaction that reads
-- before it writes writes over what it read, as under SQLite's
-- `BEGIN IMMEDIATE`.
CREATE FUNCTION begin_change(OUT actor text, OUT at bigint) LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    actor := session_actor();
    PERFORM take_chain('events');
    at := floor(extract(epoch FROM now()))::bigint;
END $$;

-- One change as `p_actor` (internal): judged, then the record written
-- (only while it is still at the version the change was decided on: else
-- SQLSTATE CQ409, stale) and its event sealed. A change whose op id is in
-- the log already is not applied again: its event's id comes back negated.
CREATE FUNCTION change_as(p_actor text, p_record jsonb, p_expected bigint, p_at bigint,
    p_kind text, p_event text, p_from text, p_to text, p_reason text, p_note text,
    p_data text, p_op_id text, OUT record_id bigint, OUT event_id bigint) LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE r records; old records; seen events; t bigint;
BEGIN
    PERFORM take_chain('events');
    IF p_op_id IS NOT NULL THEN
        SELECT * INTO seen FROM events e WHERE e.op_id = p_op_id;
        IF FOUND THEN
            record_id := seen.record_id;
            event_id := -seen.id;
            RETURN;
        END IF;
    END IF;
    r := jsonb_populate_record(NULL::records, p_record);
    IF p_expected = 0 THEN
        t := change_time(p_at, 0);
        -- The create's event carries what the record starts with, so the
        -- log alone tells who the record is about.
        IF p_kind <> 'create' OR p_data IS NULL
            OR (p_data::jsonb ->> 'patient') IS DISTINCT FROM r.patient
            OR (p_data::jsonb -> 'fields') IS DISTINCT FROM r.fields::jsonb THEN
            PERFORM refuse('a new record comes with its create event, which carries its patient and fields');
        END IF;
        r.id := (SELECT coalesce(max(id), 0) + 1 FROM records);
        PERFORM judge_change(current_rules(), NULL, r, p_actor, t, p_kind, p_event, p_from,
            p_to, p_reason, p_note);
        INSERT INTO records SELECT (r).*;
    ELSE
        SELECT * INTO old FROM records WHERE id = r.id FOR UPDATE;
        IF NOT FOUND THEN
            PERFORM refuse(format('no record %s', r.id));
        END IF;
        IF old.version <> p_expected THEN
            RAISE EXCEPTION 'record % changed since version %', r.id, p_expected
                USING ERRCODE = 'CQ409';
        END IF;
        t := change_time(p_at, old.updated_at);
        PERFORM judge_change(current_rules(), old, r, p_actor, t, p_kind, p_event, p_from,
            p_to, p_reason, p_note);
        UPDATE records SET stage = r.stage, substatus = r.substatus,
            assignee = r.assignee, owner_role = r.owner_role, entered_at = r.entered_at,
            due_at = r.due_at, warn_at = r.warn_at, paused_since = r.paused_since,
            paused_left = r.paused_left, sort_due = r.sort_due, escalation = r.escalation,
            priority = r.priority, breach_reason = r.breach_reason, fields = r.fields,
            updated_at = r.updated_at, version = r.version, timer_at = r.timer_at,
            notify_role = r.notify_role
        WHERE records.id = r.id;
    END IF;
    record_id := r.id;
    event_id := seal_event(r.id, t, p_actor, p_kind, p_event, p_from, p_to, p_reason,
        p_note, p_data, p_op_id);
END $$;

-- One change as this session's user.
CREATE FUNCTION write_change(p_record jsonb, p_expected bigint, p_at bigint, p_kind text,
    p_event text, p_from text, p_to text, p_reason text, p_note text, p_data text,
    p_op_id text, OUT record_id bigint, OUT event_id bigint) LANGUAGE sql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    SELECT * FROM change_as(session_actor(), p_record, p_expected, p_at, p_kind, p_event,
        p_from, p_to, p_reason, p_note, p_data, p_op_id);
$$;

-- A timer or an escalation the sweep fires: its actor is `system`, its
-- login the enabled user's who ran the sweep; nothing else may be written
-- as `system` (and `verify` re-checks that each was due).
CREATE FUNCTION write_system_change(p_record jsonb, p_expected bigint, p_at bigint,
    p_kind text, p_event text, p_from text, p_to text, p_reason text, p_note text,
    p_data text, p_op_id text, OUT record_id bigint, OUT event_id bigint) LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    PERFORM session_actor();
    IF p_kind NOT IN ('timer', 'escalation') THEN
        PERFORM refuse(format('the system actor fires only timers and escalations, not %s', p_kind));
    END IF;
    SELECT * INTO record_id, event_id FROM change_as('system', p_record, p_expected, p_at,
        p_kind, p_event, p_from, p_to, p_reason, p_note, p_data, p_op_id);
END $$;

-- Whether this session's login is an admin of the database.
CREATE FUNCTION session_admin() RETURNS boolean LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    SELECT pg_has_role(session_login(), '@admin@', 'MEMBER');
$$;

-- What `pipeline apply` writes besides moves (admins only): a record's
-- stage renamed, with its `rename` event; no other kind.
CREATE FUNCTION write_admin_change(p_record jsonb, p_expected bigint, p_at bigint,
    p_kind text, p_event text, p_from text, p_to text, p_reason text, p_note text,
    p_data text, p_op_id text, OUT record_id bigint, OUT event_id bigint) LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE who text := session_actor(); r records; old records; t bigint;
BEGIN
    IF NOT session_admin() THEN
        PERFORM refuse('only an admin renames stages');
    END IF;
    IF p_kind <> 'rename' THEN
        SELECT * INTO record_id, event_id FROM write_change(p_record, p_expected, p_at,
            p_kind, p_event, p_from, p_to, p_reason, p_note, p_data, p_op_id);
        RETURN;
    END IF;
    PERFORM take_chain('events');
    r := jsonb_populate_record(NULL::records, p_record);
    SELECT * INTO old FROM records WHERE id = r.id FOR UPDATE;
    IF NOT FOUND OR old.version <> p_expected THEN
        RAISE EXCEPTION 'record % changed since version %', r.id, p_expected
            USING ERRCODE = 'CQ409';
    END IF;
    t := change_time(p_at, old.updated_at);
    IF p_from IS DISTINCT FROM old.stage OR r.stage IS DISTINCT FROM p_to
        OR changed_columns(old, r) <> '{stage}' OR r.version <> old.version + 1
        OR r.updated_at <> t THEN
        PERFORM refuse(format('record %s: a rename changes its stage''s name only', r.id));
    END IF;
    UPDATE records SET stage = r.stage, version = r.version, updated_at = r.updated_at
        WHERE id = r.id;
    record_id := r.id;
    event_id := seal_event(r.id, t, who, p_kind, p_event, p_from, p_to, p_reason, p_note,
        p_data, p_op_id);
END $$;

-- An import's bulk path: staging tables in the session's own temporary
-- schema, owned here (so only `import_finish` reads them) and open to the
-- session's login for COPY; gone at commit. Returns the id the first new
-- record without one of its own takes.
CREATE FUNCTION import_begin() RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    PERFORM session_actor();
    PERFORM take_chain('events');
    DROP TABLE IF EXISTS pg_temp.import_records, pg_temp.import_events;
    CREATE TEMP TABLE import_records (r jsonb NOT NULL) ON COMMIT DROP;
    CREATE TEMP TABLE import_events (
        id bigint PRIMARY KEY, record_id bigint NOT NULL, at bigint NOT NULL,
        kind text NOT NULL, event text, from_stage text, to_stage text, reason text,
        note text, data text
    ) ON COMMIT DROP;
    EXECUTE format('GRANT INSERT ON pg_temp.import_records, pg_temp.import_events TO %I',
        session_login());
    RETURN (SELECT coalesce(max(id), 0) + 1 FROM records);
END $$;

-- The staged records and their events into the store, as this session's
-- user, sealed here in the order staged. Each record is new (its id after
-- every stored one), unassigned or held by a user of its owning role, and
-- starts at the entry stage at the server's time, unless the user holds a
-- supervising role (an import with migration columns: any stage, entered
-- when the file says, never in the future); its events are its create,
-- then at most a sub-status change and an assignment.
CREATE FUNCTION import_finish() RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE who text := session_actor(); doc jsonb := current_rules();
    sup boolean; c record; e record; h bytea; n bigint; first bigint; bad text;
    now_s bigint := floor(extract(epoch FROM now()))::bigint;
BEGIN
    sup := any_role(doc, roles_of(who), 'supervises');
    SELECT * INTO c FROM take_chain('events');
    first := (SELECT coalesce(max(id), 0) FROM records);
    CREATE TEMP TABLE import_rows ON COMMIT DROP AS
        SELECT p.* FROM pg_temp.import_records, jsonb_populate_record(NULL::records, r) p;
    -- Temporary tables have no statistics until analysed: without them the
    -- checks below would compare every row with every event.
    CREATE INDEX ON import_rows (id);
    CREATE INDEX ON pg_temp.import_events (record_id);
    ANALYZE import_rows;
    ANALYZE pg_temp.import_events;
    SELECT format('record %s: %s', x.id, x.why) INTO bad FROM (
        SELECT i.id, CASE
            WHEN i.id <= first THEN 'its id is taken'
            WHEN NOT (doc -> 'stages') ? i.stage THEN 'its stage is not in the pipeline'
            WHEN NOT sup AND i.stage <> doc ->> 'entry' THEN 'a new record starts at the entry stage (migration columns need a supervising role)'
            WHEN NOT sup AND NOT trusting() AND i.entered_at <> now_s THEN 'it is dated by the client'
            WHEN i.entered_at > now_s + 60 THEN 'it is dated in the future'
            WHEN i.version < 1 OR i.escalation <> 0 OR i.breach_reason IS NOT NULL
                 OR i.owner_role IS NOT NULL OR i.notify_role IS NOT NULL
                 OR i.created_at <> i.entered_at OR i.updated_at <> i.entered_at THEN 'it does not start fresh'
            WHEN i.substatus IS NOT NULL AND NOT (doc -> 'stages' -> i.stage -> 'subs') ? i.substatus THEN 'its sub-status is not of its stage'
            WHEN i.assignee IS NOT NULL AND NOT sup THEN 'an assignee needs a supervising role'
            WHEN i.assignee IS NOT NULL AND NOT (
                (doc -> 'stages' -> i.stage ->> 'owner') = ANY (roles_of(i.assignee))
                OR any_role(doc, roles_of(i.assignee), 'supervises')) THEN 'its assignee does not hold its owning role'
            END AS why
        FROM import_rows i) x WHERE x.why IS NOT NULL ORDER BY x.id LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM refuse('import: ' || bad);
    END IF;
    SELECT format('record %s: %s', e2.record_id, 'its events are not its create, sub-status and assignment as the record shows them') INTO bad
    FROM pg_temp.import_events e2 LEFT JOIN import_rows i ON i.id = e2.record_id
    WHERE i.id IS NULL OR e2.at <> i.entered_at
       OR (e2.kind = 'create' AND e2.to_stage IS DISTINCT FROM i.stage)
       OR (e2.kind IN ('substatus', 'pause', 'resume') AND e2.to_stage IS DISTINCT FROM i.substatus)
       OR (e2.kind = 'assign' AND e2.to_stage IS DISTINCT FROM i.assignee)
       OR e2.kind NOT IN ('create', 'substatus', 'pause', 'resume', 'assign')
    LIMIT 1;
    IF bad IS NOT NULL THEN
        PERFORM refuse('import: ' || bad);
    END IF;
    IF EXISTS (SELECT 1 FROM import_rows i WHERE NOT EXISTS (
        SELECT 1 FROM pg_temp.import_events e3 WHERE e3.record_id = i.id AND e3.kind = 'create')) THEN
        PERFORM refuse('import: every record comes with its create event');
    END IF;
    INSERT INTO records SELECT * FROM import_rows;
    n := c.length;
    h := c.head;
    FOR e IN SELECT * FROM pg_temp.import_events ORDER BY id LOOP
        n := n + 1;
        h := chain_digest(h, n, e.record_id, e.at, who, e.kind, e.event, e.from_stage,
            e.to_stage, e.reason, e.note, e.data);
        INSERT INTO events (id, record_id, at, actor, login, kind, event, from_stage,
            to_stage, reason, note, data, hash)
        VALUES (n, e.record_id, e.at, who, session_login(), e.kind, e.event, e.from_stage,
            e.to_stage, e.reason, e.note, e.data, h);
    END LOOP;
    UPDATE chains SET length = n, head = h, at = greatest(chains.at, now_s)
        WHERE name = 'events';
    PERFORM pg_notify('carequeue_events', n::text);
    DROP TABLE import_rows;
    RETURN n;
END $$;

-- Adds or changes a user (admins only), logged as a `user` event by this
-- session's user, and links the user's login where the server has it:
-- the member role, and the admin role for a user holding an admin role
-- (taken back when they no longer do). The owner's grant, so no admin
-- needs CREATEROLE.
CREATE FUNCTION write_user(p_name text, p_roles text, p_login text, p_enabled boolean,
    p_at bigint, p_data text) RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE who text := session_actor(); doc jsonb := current_rules(); t bigint; admin boolean;
    r text;
BEGIN
    IF NOT session_admin() THEN
        PERFORM refuse('only an admin adds or changes users');
    END IF;
    PERFORM take_chain('events');
    t := change_time(p_at, 0);
    IF p_name IS NULL OR p_name <> btrim(p_name) OR p_name = '' OR octet_length(p_name) > 200
        OR p_name = 'system' THEN
        PERFORM refuse('a user''s name is 1 to 200 bytes, not `system`, without spaces at either end');
    END IF;
    FOREACH r IN ARRAY string_to_array(p_roles, ' ') LOOP
        IF NOT (doc -> 'roles') ? r THEN
            PERFORM refuse(format('role `%s` is not in the pipeline', r));
        END IF;
    END LOOP;
    admin := any_role(doc, string_to_array(p_roles, ' '), 'admin');
    INSERT INTO users (name, login, roles, created_at, enabled)
    VALUES (p_name, p_login, p_roles, t, p_enabled)
    ON CONFLICT (name) DO UPDATE SET login = excluded.login, roles = excluded.roles,
        enabled = excluded.enabled;
    IF p_login IS NOT NULL
        AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_login AND rolcanlogin) THEN
        IF p_enabled THEN
            EXECUTE format('GRANT %I TO %I', '@member@', p_login);
        END IF;
        IF p_enabled AND admin THEN
            EXECUTE format('GRANT %I TO %I', '@admin@', p_login);
        ELSIF pg_has_role(p_login, '@admin@', 'MEMBER') THEN
            EXECUTE format('REVOKE %I FROM %I', '@admin@', p_login);
        END IF;
    END IF;
    RETURN seal_event(NULL, t, who, 'user', NULL, NULL, p_name, NULL, NULL, p_data, NULL);
END $$;

-- What `pipeline apply` changes (admins only): the next pipeline version,
-- its rules and its event, and the roles that may read the access log.
CREATE FUNCTION store_pipeline(p_version integer, p_hash text, p_text text, p_at bigint, p_kind text,
    p_data text, p_log_readers text, p_rules jsonb)
RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE who text := session_actor(); n bigint; v integer; t bigint;
BEGIN
    IF NOT session_admin() THEN
        PERFORM refuse('only an admin applies a pipeline');
    END IF;
    IF p_kind NOT IN ('pipeline', 'pipeline_applied') THEN
        PERFORM refuse('a pipeline is stored by `init`, `adopt` or `pipeline apply`');
    END IF;
    PERFORM take_chain('events');
    t := change_time(p_at, 0);
    v := (SELECT coalesce(max(version), 0) + 1 FROM pipelines);
    IF p_version IS DISTINCT FROM v THEN
        RAISE EXCEPTION 'pipeline version % was stored meanwhile', p_version
            USING ERRCODE = 'serialization_failure';
    END IF;
    n := seal_event(NULL, t, who, p_kind, NULL, NULL, NULL, NULL, NULL, p_data, NULL);
    INSERT INTO pipelines (version, hash, text, event_id) VALUES (v, p_hash, p_text, n);
    INSERT INTO rules (version, doc) VALUES (v, p_rules);
    INSERT INTO meta (key, value) VALUES ('log_readers', p_log_readers)
        ON CONFLICT (key) DO UPDATE SET value = excluded.value;
    RETURN v;
END $$;

-- The rules of the pipeline versions `migrate` or step 2 brought without
-- them (the owner's, once).
CREATE FUNCTION set_rules(p_version integer, p_rules jsonb) RETURNS void LANGUAGE sql
SET search_path = carequeue, pg_temp AS $$
    INSERT INTO rules (version, doc) VALUES (p_version, p_rules)
    ON CONFLICT (version) DO UPDATE SET doc = excluded.doc;
$$;

-- One access-log entry as this session's user, for the reads the client
-- logs itself (console opened, a view visited, an export refused): dated
-- and sealed by the server.
CREATE FUNCTION log_access(p_action text, p_record_id bigint, p_detail text)
RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    IF octet_length(p_action) > 64 OR p_action !~ '^[a-z_-]+$' THEN
        PERFORM refuse('an access entry''s action is a word');
    END IF;
    RETURN seal_access(p_action, p_record_id, p_detail);
END $$;

REVOKE ALL ON ALL TABLES IN SCHEMA carequeue FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA carequeue FROM PUBLIC;
GRANT SELECT ON meta, users, records, events, pipelines, rules, chains, stage_counts
    TO "@member@";
GRANT EXECUTE ON FUNCTION session_login(), session_actor(), session_admin(), begin_change(),
    write_change(jsonb, bigint, bigint, text, text, text, text, text, text, text, text),
    write_system_change(jsonb, bigint, bigint, text, text, text, text, text, text, text, text),
    import_begin(), import_finish(), log_access(text, bigint, text),
    my_views(), save_view(text, text, text, text, text, text, text, bigint), delete_view(text),
    access_entries(text, bigint, bigint, bigint)
    TO "@member@";
GRANT EXECUTE ON FUNCTION write_user(text, text, text, boolean, bigint, text),
    store_pipeline(integer, text, text, bigint, text, text, text, jsonb),
    write_admin_change(jsonb, bigint, bigint, text, text, text, text, text, text, text, text),
    retime_record(bigint, bigint, bigint, bigint, bigint, bigint, bigint, text, text),
    rename_role(text, text)
    TO "@admin@";
UPDATE meta SET value = '2' WHERE key = 'schema_step';
