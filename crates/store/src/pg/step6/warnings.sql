-- Early SLA warnings (issue 24): each record keeps the working time into
-- its stay of the last warning fired (`warned`) and when the next is due
-- (`warning_at`, on an index the sweep reads). The sweep fires them as
-- `system`, and the server checks each is one of the stage's thresholds,
-- past the last one fired, while the clock runs; `verify` re-checks it
-- was due. Every other change keeps `warned`, or starts it over with a
-- new stay; `warning_at` is the engine's, taken as sent where the clock
-- changes, and replayed by `verify`.
SET LOCAL search_path = carequeue, pg_temp;

ALTER TABLE records ADD COLUMN warned bigint NOT NULL DEFAULT 0,
    ADD COLUMN warning_at bigint;
CREATE INDEX records_warning ON records (warning_at, id) WHERE warning_at IS NOT NULL;
GRANT SELECT (warned, warning_at) ON records TO "@member@";
-- A view's `*` is the columns there were when it was made: made again,
-- with the new ones at the end, behind the same gate.
CREATE OR REPLACE VIEW records_read AS SELECT * FROM records WHERE (SELECT may_read_all());

ALTER FUNCTION judge_change(jsonb, records, records, text, bigint, text, text, text, text,
    text, text) RENAME TO judge_change_step2;

-- Judges one change as step 2 did, and the warning columns besides.
CREATE FUNCTION judge_change(p_doc jsonb, p_old records, p_new records, p_actor text,
    p_at bigint, p_kind text, p_event text, p_from text, p_to text, p_reason text,
    p_note text) RETURNS void LANGUAGE plpgsql STABLE
SET search_path = carequeue, pg_temp AS $$
DECLARE
    who text := format('record %s: %s', p_new.id, p_kind);
    stage jsonb;
    max bigint;
    every bigint;
    rest records := p_new;
BEGIN
    IF p_old IS NULL THEN
        IF p_new.warned <> 0 THEN
            PERFORM refuse(format('%s: a new record has fired no warning', who));
        END IF;
        PERFORM judge_change_step2(p_doc, p_old, p_new, p_actor, p_at, p_kind, p_event,
            p_from, p_to, p_reason, p_note);
        RETURN;
    END IF;
    IF p_kind = 'sla_warning' THEN
        IF p_doc IS NULL THEN
            PERFORM refuse('no pipeline is stored: an admin applies one first');
        END IF;
        IF p_new.updated_at IS DISTINCT FROM p_at THEN
            PERFORM refuse(format('%s: its record is dated %s, the change %s', who, p_new.updated_at, p_at));
        END IF;
        -- A warning names its threshold and nothing else: no free text
        -- reaches a webhook through it.
        IF p_from IS NOT NULL OR p_to IS NOT NULL OR p_reason IS NOT NULL OR p_note IS NOT NULL
            OR p_event IS NULL
            OR p_event !~ '^([0-9]{1,2}%|[0-9dhms]{1,16}|breach\+[0-9dhms]{1,16})$' THEN
            PERFORM refuse(format('%s: a warning names its threshold and nothing else', who));
        END IF;
        stage := p_doc -> 'stages' -> p_old.stage;
        max := (stage ->> 'max')::bigint;
        every := coalesce((stage ->> 'repeat')::bigint, 0);
        IF p_actor <> 'system' THEN
            PERFORM refuse(format('%s: only the system fires warnings', who));
        END IF;
        IF p_new.id <> p_old.id OR p_new.version <> p_old.version + 1 THEN
            PERFORM refuse(format('%s: a change moves its record one version on', who));
        END IF;
        IF p_old.due_at IS NULL THEN
            PERFORM refuse(format('%s: the clock is not running', who));
        END IF;
        IF p_new.warned <= p_old.warned OR NOT (
               coalesce(stage -> 'warn', '[]') @> to_jsonb(p_new.warned)
               OR (every > 0 AND p_new.warned > max AND (p_new.warned - max) % every = 0)) THEN
            PERFORM refuse(format('%s: stage `%s` has no warning at %s s past the last one',
                who, p_old.stage, p_new.warned));
        END IF;
        IF NOT changed_columns(p_old, p_new) <@ '{warned,warning_at}'::text[] THEN
            PERFORM refuse(format('%s: a warning changes nothing but the warning columns', who));
        END IF;
        RETURN;
    END IF;
    IF p_kind IN ('transition', 'override', 'timer') THEN
        IF p_new.warned <> 0 THEN
            PERFORM refuse(format('%s: a new stay has fired no warning', who));
        END IF;
    ELSIF p_new.warned <> p_old.warned THEN
        PERFORM refuse(format('%s: only a warning or a new stay changes the last warning', who));
    END IF;
    IF p_new.warning_at IS DISTINCT FROM p_old.warning_at
        AND p_kind NOT IN ('transition', 'override', 'timer', 'pause', 'resume', 'rename') THEN
        PERFORM refuse(format('%s: a %s does not move the next warning', who, p_kind));
    END IF;
    rest.warned := p_old.warned;
    rest.warning_at := p_old.warning_at;
    PERFORM judge_change_step2(p_doc, p_old, rest, p_actor, p_at, p_kind, p_event, p_from,
        p_to, p_reason, p_note);
END $$;

-- One change as `p_actor`, as step 2's, writing the warning columns too.
CREATE OR REPLACE FUNCTION change_as(p_actor text, p_record jsonb, p_expected bigint,
    p_at bigint, p_kind text, p_event text, p_from text, p_to text, p_reason text,
    p_note text, p_data text, p_op_id text, OUT record_id bigint, OUT event_id bigint)
LANGUAGE plpgsql
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
    -- A change that does not name the warning columns (a client from
    -- before them) leaves them as they are: none for a new record.
    r.warned := coalesce(r.warned, 0);
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
        IF NOT p_record ? 'warned' THEN
            r.warned := old.warned;
        END IF;
        IF NOT p_record ? 'warning_at' THEN
            r.warning_at := old.warning_at;
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
            notify_role = r.notify_role, warned = r.warned, warning_at = r.warning_at
        WHERE records.id = r.id;
    END IF;
    record_id := r.id;
    event_id := seal_event(r.id, t, p_actor, p_kind, p_event, p_from, p_to, p_reason,
        p_note, p_data, p_op_id);
END $$;

-- A timer, an escalation or a warning the sweep fires: its actor is
-- `system`; nothing else may be written as `system`.
CREATE OR REPLACE FUNCTION write_system_change(p_record jsonb, p_expected bigint, p_at bigint,
    p_kind text, p_event text, p_from text, p_to text, p_reason text, p_note text,
    p_data text, p_op_id text, OUT record_id bigint, OUT event_id bigint) LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    PERFORM session_actor();
    IF p_kind NOT IN ('timer', 'escalation', 'sla_warning') THEN
        PERFORM refuse(format('the system actor fires only timers, escalations and warnings, not %s', p_kind));
    END IF;
    PERFORM may_change(p_kind, p_record);
    SELECT * INTO record_id, event_id FROM change_as('system', p_record, p_expected, p_at,
        p_kind, p_event, p_from, p_to, p_reason, p_note, p_data, p_op_id);
END $$;

-- A record's clock, timer, next warning and escalation roles as a newly
-- applied pipeline recomputes them (admins, inside their apply).
CREATE FUNCTION retime_record(p_id bigint, p_due_at bigint, p_warn_at bigint,
    p_paused_since bigint, p_paused_left bigint, p_sort_due bigint, p_timer_at bigint,
    p_owner_role text, p_notify_role text, p_warning_at bigint) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    IF NOT pg_has_role(session_login(), '@admin@', 'MEMBER') THEN
        RAISE EXCEPTION 'only an admin re-times records'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE records SET due_at = p_due_at, warn_at = p_warn_at, paused_since = p_paused_since,
        paused_left = p_paused_left, sort_due = p_sort_due, timer_at = p_timer_at,
        owner_role = p_owner_role, notify_role = p_notify_role, warning_at = p_warning_at
    WHERE id = p_id;
END $$;
DROP FUNCTION retime_record(bigint, bigint, bigint, bigint, bigint, bigint, bigint, text, text);

-- An import's records start with no warning fired, as a new record does:
-- checked here, then imported as step 2 does.
ALTER FUNCTION import_finish() RENAME TO import_finish_step2;
REVOKE ALL ON FUNCTION import_finish_step2() FROM PUBLIC, "@member@";
CREATE FUNCTION import_finish() RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE bad bigint;
BEGIN
    PERFORM session_actor();
    SELECT (p.r ->> 'id')::bigint INTO bad FROM pg_temp.import_records p
    WHERE coalesce((p.r ->> 'warned')::bigint, 0) <> 0 LIMIT 1;
    IF FOUND THEN
        PERFORM refuse(format('record %s: it does not start fresh (a warning fired)', bad));
    END IF;
    RETURN import_finish_step2();
END $$;
REVOKE ALL ON FUNCTION import_finish() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION import_finish() TO "@member@";

REVOKE ALL ON FUNCTION judge_change(jsonb, records, records, text, bigint, text, text, text,
    text, text, text), judge_change_step2(jsonb, records, records, text, bigint, text, text,
    text, text, text, text), change_as(text, jsonb, bigint, bigint, text, text, text, text,
    text, text, text, text),
    retime_record(bigint, bigint, bigint, bigint, bigint, bigint, bigint, text, text, bigint)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    retime_record(bigint, bigint, bigint, bigint, bigint, bigint, bigint, text, text, bigint)
    TO "@admin@";
UPDATE meta SET value = '6' WHERE key = 'schema_step';
