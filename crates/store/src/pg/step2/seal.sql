-- carequeue on PostgreSQL, schema step 2, part 1: the server seals both
-- logs. Every event and access entry is dated, numbered and hashed here,
-- in SQL, with the same hash input as on SQLite (so `verify` reads both
-- stores alike): no client sends a hash, so none can poison a chain.
SET LOCAL search_path = carequeue, pg_temp;

-- No function made from here on is anyone's to call unless granted.
ALTER DEFAULT PRIVILEGES IN SCHEMA carequeue REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- Ending a session that stalls while it holds a log (see `take_chain`)
-- takes the rights to see what other sessions do and to signal them;
-- where the server does not let the owner take them (only a superuser
-- grants them), a stalled session is only waited out.
DO $$
BEGIN
    EXECUTE format('GRANT pg_read_all_stats, pg_signal_backend TO %I', current_user);
EXCEPTION WHEN OTHERS THEN
    NULL;
END $$;

-- Each chain's latest time, and the transaction that holds its head.
ALTER TABLE chains ADD COLUMN at bigint NOT NULL DEFAULT 0;
ALTER TABLE chains ADD COLUMN holder xid8;
UPDATE chains SET at = coalesce((SELECT max(e.at) FROM events e), 0) WHERE name = 'events';
UPDATE chains SET at = coalesce((SELECT max(a.at) FROM access_log a), 0) WHERE name = 'access';

-- Bounds every row keeps from now on (rows of step 1 are kept as they
-- were, and `verify` judges them): ids a client cannot push to the end of
-- the range, times between 1970 and 9999, texts no longer than 4 KiB and
-- fields no larger than 256 KiB.
ALTER TABLE records ADD CONSTRAINT records_bounds CHECK (
    id BETWEEN 1 AND 4503599627370496
    AND entered_at BETWEEN 0 AND 253402300799 AND created_at BETWEEN 0 AND 253402300799
    AND updated_at BETWEEN 0 AND 253402300799
    AND octet_length(patient) <= 4096 AND octet_length(fields) <= 262144
    AND coalesce(octet_length(substatus), 0) <= 4096
    AND coalesce(octet_length(breach_reason), 0) <= 4096) NOT VALID;
ALTER TABLE events ADD CONSTRAINT events_bounds CHECK (
    at BETWEEN 0 AND 253402300799
    AND coalesce(octet_length(note), 0) <= 8192
    AND coalesce(octet_length(reason), 0) <= 4096
    AND coalesce(octet_length(event), 0) <= 4096
    AND coalesce(octet_length(from_stage), 0) <= 4096
    AND coalesce(octet_length(to_stage), 0) <= 4096
    AND coalesce(octet_length(op_id), 0) <= 200
    AND coalesce(octet_length(data), 0) <= 1048576) NOT VALID;
ALTER TABLE access_log ADD CONSTRAINT access_bounds CHECK (
    at BETWEEN 0 AND 253402300799 AND coalesce(octet_length(detail), 0) <= 8192
    AND octet_length(action) <= 64) NOT VALID;

-- One part of the hash input: its length in 8 bytes, little-endian, then
-- its UTF-8 bytes; an absent value is the one byte 0 (SQLite's NONE) with
-- its length. Written as one expression (and STABLE, as `convert_to` is)
-- so the planner inlines it: an import hashes tens of thousands of events
-- in one call, at a few microseconds each instead of hundreds.
CREATE FUNCTION hash_part(p text) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN p IS NULL THEN '\x010000000000000000'::bytea ELSE
        set_byte(set_byte(set_byte(set_byte('\x0000000000000000'::bytea,
            0, octet_length(convert_to(p, 'UTF8')) & 255),
            1, (octet_length(convert_to(p, 'UTF8')) >> 8) & 255),
            2, (octet_length(convert_to(p, 'UTF8')) >> 16) & 255),
            3, (octet_length(convert_to(p, 'UTF8')) >> 24) & 255)
        || convert_to(p, 'UTF8') END
$$;

-- The hash of one entry after `p_prev` (the previous hash, empty for the
-- first): as `chain_hash` computes it on SQLite. Inlined as `hash_part` is.
CREATE FUNCTION chain_digest(p_prev bytea, p_id bigint, p_record bigint, p_at bigint,
    t1 text, t2 text, t3 text, t4 text, t5 text, t6 text, t7 text, t8 text)
RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT sha256(convert_to(CASE WHEN length(p_prev) = 0 THEN repeat('0', 64)
                                  ELSE encode(p_prev, 'hex') END, 'UTF8')
        || carequeue.hash_part(p_id::text) || carequeue.hash_part(p_record::text)
        || carequeue.hash_part(p_at::text)
        || carequeue.hash_part(t1) || carequeue.hash_part(t2) || carequeue.hash_part(t3)
        || carequeue.hash_part(t4) || carequeue.hash_part(t5) || carequeue.hash_part(t6)
        || carequeue.hash_part(t7) || carequeue.hash_part(t8))
$$;

-- Whether the database trusts its clients' clocks and `SET ROLE` (demos
-- and tests, fixed at `init`).
CREATE FUNCTION trusting() RETURNS boolean LANGUAGE sql STABLE
SET search_path = carequeue, pg_temp AS $$
    SELECT coalesce((SELECT value = 'true' FROM meta WHERE key = 'trust'), false);
$$;

-- Takes a chain's head for this transaction (internal: no member may call
-- it). A writer waits at most 3 s; meanwhile a session that holds the head
-- is ended (its transaction rolls back) when it has sat idle inside its
-- transaction for more than 5 s, when its transaction began more than
-- 30 s ago whatever it is doing (a `pg_sleep` typed after
-- `begin_change`), or when it holds the lock outside any transaction (the
-- advisory lock taken by hand), so one stalled session cannot stop the
-- team for long. A transaction that began more than 30 s before it takes
-- the head is refused outside trust mode: its entries, dated when it
-- began, would follow later ones by more than `verify` allows.
CREATE FUNCTION take_chain(p_name text, OUT length bigint, OUT head bytea, OUT at bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE key bigint := hashtext('carequeue.chain.' || p_name); held xid8; tries int := 0;
    stalled int;
BEGIN
    LOOP
        BEGIN
            PERFORM set_config('lock_timeout', '3s', true);
            PERFORM pg_advisory_xact_lock(key);
            PERFORM set_config('lock_timeout', '0', true);
            EXIT;
        EXCEPTION WHEN lock_not_available THEN
            PERFORM set_config('lock_timeout', '0', true);
            tries := tries + 1;
            stalled := 0;
            IF tries <= 3 THEN
                FOR stalled IN
                    SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
                    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                      AND l.database = (SELECT oid FROM pg_database
                                        WHERE datname = current_database())
                      AND ((l.classid::bigint << 32) | l.objid::bigint) = key
                      AND a.state IS NOT NULL
                      AND ((a.state LIKE 'idle in transaction%'
                            AND a.state_change < clock_timestamp() - interval '5 s')
                           OR a.state = 'idle' OR a.xact_start IS NULL
                           OR a.xact_start < clock_timestamp() - interval '30 s')
                LOOP
                    BEGIN
                        PERFORM pg_terminate_backend(stalled, 2000);
                    EXCEPTION WHEN insufficient_privilege THEN
                        stalled := 0;
                    END;
                END LOOP;
            END IF;
            IF stalled = 0 THEN
                RAISE EXCEPTION 'the % log is busy: another session has held it for more than 3 s; try again', p_name
                    USING ERRCODE = 'lock_not_available';
            END IF;
        END;
    END LOOP;
    SELECT c.length, c.head, c.at, c.holder INTO length, head, at, held
        FROM chains c WHERE c.name = p_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no chain %', p_name;
    END IF;
    IF held IS DISTINCT FROM pg_current_xact_id() THEN
        IF NOT trusting() AND clock_timestamp() - now() > interval '30 s' THEN
            RAISE EXCEPTION 'this transaction began % ago: a change is written within 30 s of its start', date_trunc('second', clock_timestamp() - now())
                USING ERRCODE = 'CQ408';
        END IF;
        UPDATE chains SET holder = pg_current_xact_id() WHERE name = p_name;
    END IF;
END $$;

-- Appends one event, sealed here (internal): its id the chain's next, its
-- login the session's, its hash over the previous one. Consoles hear the
-- new length at commit (a number, no PHI).
CREATE FUNCTION seal_event(p_record_id bigint, p_at bigint, p_actor text, p_kind text,
    p_event text, p_from text, p_to text, p_reason text, p_note text, p_data text,
    p_op_id text) RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE c record; h bytea;
BEGIN
    SELECT * INTO c FROM take_chain('events');
    h := chain_digest(c.head, c.length + 1, p_record_id, p_at, p_actor, p_kind, p_event,
        p_from, p_to, p_reason, p_note, p_data);
    INSERT INTO events (id, record_id, at, actor, login, kind, event, from_stage,
        to_stage, reason, note, data, op_id, hash)
    VALUES (c.length + 1, p_record_id, p_at, p_actor, session_login(), p_kind, p_event,
        p_from, p_to, p_reason, p_note, p_data, p_op_id, h);
    UPDATE chains SET length = c.length + 1, head = h, at = greatest(c.at, p_at)
        WHERE name = 'events';
    PERFORM pg_notify('carequeue_events', (c.length + 1)::text);
    RETURN c.length + 1;
END $$;

-- Appends one access entry as this session's user (internal: the read
-- functions call it in the transaction of their read), dated by the
-- server's clock, never a client's.
CREATE FUNCTION seal_access(p_action text, p_record_id bigint, p_detail text)
RETURNS bigint LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE who text := session_actor(); c record; h bytea; t bigint;
BEGIN
    SELECT * INTO c FROM take_chain('access');
    t := greatest(c.at, floor(extract(epoch FROM clock_timestamp()))::bigint);
    h := chain_digest(c.head, c.length + 1, p_record_id, t, who, p_action, p_detail,
        NULL, NULL, NULL, NULL, NULL);
    INSERT INTO access_log (id, at, actor, login, action, record_id, detail, hash)
    VALUES (c.length + 1, t, who, session_login(), p_action, p_record_id, p_detail, h);
    UPDATE chains SET length = c.length + 1, head = h, at = t WHERE name = 'access';
    RETURN c.length + 1;
END $$;
