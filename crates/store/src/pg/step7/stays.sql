-- Step 7: stays kept current (issue 25), as on SQLite (see
-- `sqlite::stays`): one row per visit of a record to a stage.
--
-- The server marks every record an event is appended about (a trigger on
-- the log, which members cannot skip); the writer settles those records'
-- stays in the same transaction through `stays_settle`, which accepts rows
-- only for a record so marked, only under the key the table is built
-- under, and clears the mark. Working time under a calendar is the
-- engine's, taken as sent, as the warning times are: `verify` rebuilds
-- every record's stays from the log and names one that differs. A rebuild
-- (after a pipeline change of calendars or pause rules) reads the whole
-- log, so only a session that may read every record (its audit read
-- logged) may run it. The rows name no patient: record ids, stages, times
-- and reason codes, as the log's own columns members read.
SET LOCAL search_path = carequeue, pg_temp;

CREATE TABLE stays (
    record_id bigint NOT NULL,
    visit integer NOT NULL CHECK (visit >= 0),
    stage text,
    entered_at bigint NOT NULL,
    left_at bigint,
    working bigint,
    paused bigint NOT NULL,
    paused_since bigint,
    owner_acted bigint,
    paused_after_action bigint NOT NULL,
    assigned boolean NOT NULL,
    re_entry boolean NOT NULL,
    ever_active boolean NOT NULL,
    ack text,
    exit_kind text,
    exit_from text,
    exit_to text,
    exit_reason text,
    events integer NOT NULL,
    PRIMARY KEY (record_id, visit)
);
CREATE TABLE stays_dirty (record_id bigint PRIMARY KEY);

CREATE FUNCTION stays_mark() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    IF NEW.record_id IS NOT NULL THEN
        INSERT INTO stays_dirty VALUES (NEW.record_id) ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER events_stays AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION stays_mark();

-- What the stays of one record are built from: its events as the audit
-- reads them (an escalation's data says whether it reassigned; no other
-- event's data, and no note).
CREATE FUNCTION stay_events(p_id bigint)
RETURNS TABLE (at bigint, actor text, kind text, from_stage text, to_stage text,
               reason text, data text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    SELECT e.at, e.actor, e.kind, e.from_stage, e.to_stage, e.reason,
           CASE WHEN e.kind = 'escalation' THEN e.data END
    FROM events e WHERE e.record_id = p_id ORDER BY e.id;
$$;

-- Writes `p_rows` as the stays of record `p_id` from visit `p_from` on,
-- built under key `p_key`: only for a record an event was appended about
-- and not settled since, only under the key the table is built under.
CREATE FUNCTION stays_settle(p_key text, p_id bigint, p_from integer, p_rows jsonb)
RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    PERFORM session_actor();
    IF NOT EXISTS (SELECT 1 FROM stays_dirty WHERE record_id = p_id) THEN
        PERFORM refuse(format('record %s: its stays are written only after an event about it', p_id));
    END IF;
    IF p_key IS DISTINCT FROM (SELECT value FROM meta WHERE key = 'stays_key') THEN
        PERFORM refuse('the stays are built under another pipeline: they wait for a rebuild');
    END IF;
    IF EXISTS (SELECT 1 FROM jsonb_populate_recordset(NULL::stays, p_rows) r
               WHERE r.record_id <> p_id OR r.visit < p_from) THEN
        PERFORM refuse(format('record %s: rows of another record, or before visit %s', p_id, p_from));
    END IF;
    DELETE FROM stays WHERE record_id = p_id AND visit >= p_from;
    INSERT INTO stays SELECT * FROM jsonb_populate_recordset(NULL::stays, p_rows);
    DELETE FROM stays_dirty WHERE record_id = p_id;
    UPDATE meta SET value = greatest(value::bigint, (SELECT max(e.at) FROM events e WHERE e.record_id = p_id))::text
        WHERE key = 'stays_through';
END $$;

-- A database with no record yet has its stays built under `p_key`:
-- there is nothing to build.
CREATE FUNCTION stays_start_empty(p_key text) RETURNS boolean LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    PERFORM session_actor();
    IF EXISTS (SELECT 1 FROM meta WHERE key = 'stays_key')
       OR EXISTS (SELECT 1 FROM events WHERE record_id IS NOT NULL) THEN
        RETURN false;
    END IF;
    INSERT INTO meta VALUES ('stays_key', p_key), ('stays_through', '0');
    RETURN true;
END $$;

-- A rebuild: empties the table (a session that may read every record).
CREATE FUNCTION stays_rebuild_start() RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    PERFORM session_actor();
    PERFORM may_read_all();
    -- One rebuild at a time, and no settle meanwhile.
    LOCK TABLE stays, stays_dirty IN EXCLUSIVE MODE;
    DELETE FROM stays;
    DELETE FROM stays_dirty;
    DELETE FROM meta WHERE key IN ('stays_key', 'stays_through');
    PERFORM set_config('carequeue.stays_rebuild', txid_current()::text, true);
END $$;

-- A rebuild's rows, a batch at a time, in the transaction that started it.
CREATE FUNCTION stays_rebuild_rows(p_rows jsonb) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    IF current_setting('carequeue.stays_rebuild', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM refuse('no rebuild of the stays was started in this transaction');
    END IF;
    INSERT INTO stays SELECT * FROM jsonb_populate_recordset(NULL::stays, p_rows);
END $$;

-- Ends a rebuild: the rows are those of key `p_key`, through `p_through`.
CREATE FUNCTION stays_rebuild_end(p_key text, p_through bigint) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
BEGIN
    IF current_setting('carequeue.stays_rebuild', true) IS DISTINCT FROM txid_current()::text THEN
        PERFORM refuse('no rebuild of the stays was started in this transaction');
    END IF;
    INSERT INTO meta VALUES ('stays_key', p_key), ('stays_through', p_through::text);
END $$;

REVOKE ALL ON stays, stays_dirty FROM PUBLIC;
GRANT SELECT ON stays, stays_dirty TO "@member@";
REVOKE ALL ON FUNCTION stays_mark(), stay_events(bigint), stays_settle(text, bigint, integer, jsonb),
    stays_start_empty(text),
    stays_rebuild_start(), stays_rebuild_rows(jsonb), stays_rebuild_end(text, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION stay_events(bigint), stays_settle(text, bigint, integer, jsonb),
    stays_start_empty(text),
    stays_rebuild_start(), stays_rebuild_rows(jsonb), stays_rebuild_end(text, bigint)
    TO "@member@";
UPDATE meta SET value = '7' WHERE key = 'schema_step';
