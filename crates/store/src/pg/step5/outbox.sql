-- Step 5: webhook delivery (issue 24).
--
-- Per target a cursor into the event feed and one message per event it
-- wants; its body is made again from the log on each attempt, so nothing
-- here copies an event. A lease lets one deliverer per database send.
-- Members have no rights on these tables: they read and write them
-- through the functions below, which take the actor and the login from
-- the session, accept only the lease holder's writes, fill a message's
-- record and kind from the log itself, and allow only a pending message
-- to be settled. The last error is a status or an error class of plain
-- characters (never a response body).

CREATE TABLE delivery_cursors (
    target text PRIMARY KEY,
    seq bigint NOT NULL
);
CREATE TABLE deliveries (
    target text NOT NULL,
    seq bigint NOT NULL REFERENCES events(id),
    record_id bigint NOT NULL,
    kind text NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    next_at bigint NOT NULL,
    first_failed_at bigint,
    last_error text CHECK (last_error ~ '^[A-Za-z0-9 ._:-]{1,80}$'),
    delivered_at bigint,
    PRIMARY KEY (target, seq)
);
CREATE INDEX deliveries_due ON deliveries (next_at, seq) WHERE status = 'pending';
CREATE INDEX deliveries_open ON deliveries (target, record_id, seq) WHERE status <> 'delivered';
CREATE TABLE delivery_lease (
    id integer PRIMARY KEY CHECK (id = 1),
    holder text NOT NULL,
    login text NOT NULL,
    expires bigint NOT NULL
);

-- The time a lease is judged at: the server's, outside trust mode (a
-- client's clock set ahead would otherwise expire a live lease and take
-- it); the client's in a trust-mode database, where tests move time.
CREATE FUNCTION lease_time(p_now bigint) RETURNS bigint LANGUAGE sql STABLE
SET search_path = carequeue, pg_temp AS $$
    SELECT CASE WHEN trusting() THEN p_now
                ELSE floor(extract(epoch FROM clock_timestamp()))::bigint END;
$$;

-- Refuses a deliverer whose user holds no supervising or admin role:
-- the deliverer decides what leaves for other systems and records what
-- arrived, so it is one the clinic trusts with that.
CREATE FUNCTION may_deliver() RETURNS void LANGUAGE plpgsql STABLE
SET search_path = carequeue, pg_temp AS $$
DECLARE who text := session_actor(); doc jsonb := current_rules();
BEGIN
    IF NOT (any_role(doc, roles_of(who), 'supervises') OR any_role(doc, roles_of(who), 'admin')) THEN
        PERFORM refuse(format('`%s` holds no supervising or admin role to deliver webhooks', who));
    END IF;
END $$;

-- Takes or renews the lease for `p_holder` (of this session's login),
-- unless another's has not expired; says who holds it.
CREATE FUNCTION delivery_lease(p_holder text, p_now bigint, p_ttl bigint,
    OUT holder text, OUT expires bigint) LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE t bigint := lease_time(p_now);
BEGIN
    PERFORM may_deliver();
    IF p_ttl <= 0 OR p_ttl > 120 THEN
        PERFORM refuse('a delivery lease lasts 1 to 120 seconds');
    END IF;
    INSERT INTO delivery_lease AS l VALUES (1, p_holder, session_login(), t + p_ttl)
    ON CONFLICT (id) DO UPDATE SET holder = excluded.holder, login = excluded.login,
        expires = excluded.expires
    WHERE (l.holder = excluded.holder AND l.login = excluded.login) OR l.expires < t;
    SELECT l.holder, l.expires INTO holder, expires FROM delivery_lease l WHERE l.id = 1;
END $$;

CREATE FUNCTION delivery_release(p_holder text) RETURNS void LANGUAGE sql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    DELETE FROM delivery_lease WHERE id = 1 AND holder = p_holder AND login = session_login();
$$;

-- Refuses a write by anyone but the lease's live holder.
CREATE FUNCTION delivery_holds(p_holder text, p_now bigint) RETURNS void LANGUAGE plpgsql
SET search_path = carequeue, pg_temp AS $$
BEGIN
    PERFORM may_deliver();
    IF NOT EXISTS (SELECT 1 FROM delivery_lease WHERE id = 1 AND holder = p_holder
                   AND login = session_login() AND expires >= lease_time(p_now)) THEN
        PERFORM refuse('this deliverer does not hold the delivery lease');
    END IF;
END $$;

CREATE FUNCTION delivery_cursor(p_target text) RETURNS bigint LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    SELECT seq FROM delivery_cursors WHERE target = p_target;
$$;

-- Queues events `p_seqs` for `p_target` and moves its cursor from
-- `p_after` (NULL: a target never seen) to `p_upto`.
CREATE FUNCTION delivery_enqueue(p_holder text, p_target text, p_after bigint, p_upto bigint,
    p_seqs bigint[], p_now bigint) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE at bigint; n bigint;
BEGIN
    PERFORM delivery_holds(p_holder, p_now);
    IF p_target !~ '^[A-Za-z0-9_.-]{1,64}$' THEN
        PERFORM refuse('a target name is 1 to 64 letters, digits, _ . -');
    END IF;
    SELECT seq INTO at FROM delivery_cursors WHERE target = p_target FOR UPDATE;
    IF at IS DISTINCT FROM p_after OR p_upto < coalesce(p_after, 0)
        OR p_upto > (SELECT length FROM chains WHERE name = 'events') THEN
        PERFORM refuse(format('target %s: its cursor moved meanwhile', p_target));
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(p_seqs) s
               WHERE s <= coalesce(p_after, -1) OR s > p_upto) THEN
        PERFORM refuse(format('an event is not after the cursor of target %s', p_target));
    END IF;
    INSERT INTO deliveries (target, seq, record_id, kind, next_at)
    SELECT p_target, e.id, e.record_id, e.kind, p_now FROM events e
    WHERE e.id = ANY(p_seqs) AND e.record_id IS NOT NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> (SELECT count(DISTINCT s) FROM unnest(p_seqs) s) THEN
        PERFORM refuse('an event queued is no event of a record');
    END IF;
    INSERT INTO delivery_cursors VALUES (p_target, p_upto)
    ON CONFLICT (target) DO UPDATE SET seq = excluded.seq;
END $$;

CREATE FUNCTION delivery_due(p_now bigint, p_targets text[], p_limit bigint)
RETURNS SETOF deliveries
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    SELECT d.* FROM deliveries d
    WHERE d.status = 'pending' AND d.next_at <= p_now AND d.target = ANY (p_targets)
      AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.target = d.target
          AND o.record_id = d.record_id AND o.seq < d.seq AND o.status <> 'delivered')
    ORDER BY d.seq LIMIT p_limit;
$$;

-- Records an attempt at a pending message: `p_status` delivered, pending
-- (failed, tried again at `p_next`) or dead.
CREATE FUNCTION delivery_settle(p_holder text, p_target text, p_seq bigint, p_status text,
    p_error text, p_next bigint, p_now bigint) RETURNS void LANGUAGE plpgsql
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE n bigint;
BEGIN
    PERFORM delivery_holds(p_holder, p_now);
    IF p_status NOT IN ('delivered', 'pending', 'dead')
        OR (p_status = 'delivered') <> (p_error IS NULL)
        OR (p_status = 'pending') <> (p_next IS NOT NULL) THEN
        PERFORM refuse('a delivery is delivered, or failed with an error (and a next attempt while pending)');
    END IF;
    UPDATE deliveries SET status = p_status, attempts = attempts + 1,
        next_at = coalesce(p_next, next_at),
        first_failed_at = CASE WHEN p_error IS NULL THEN first_failed_at
                               ELSE coalesce(first_failed_at, p_now) END,
        last_error = coalesce(p_error, last_error),
        delivered_at = CASE WHEN p_status = 'delivered' THEN p_now END
    WHERE target = p_target AND seq = p_seq AND status = 'pending';
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n <> 1 THEN
        PERFORM refuse(format('msg_%s_%s is not a pending message', p_target, p_seq));
    END IF;
END $$;

CREATE FUNCTION delivery_rows(p_failed boolean, p_target text, p_limit bigint)
RETURNS SETOF deliveries LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    SELECT d.* FROM deliveries d
    WHERE (p_target IS NULL OR d.target = p_target)
      AND (NOT p_failed OR d.status = 'dead' OR (d.status = 'pending' AND d.attempts > 0))
    ORDER BY d.seq DESC, d.target LIMIT p_limit;
$$;

-- Queues dead or failing messages again (any member: it only sends what
-- was due anyway, again).
CREATE FUNCTION delivery_requeue(p_target text, p_seq bigint, p_now bigint) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
DECLARE n bigint;
    who text := session_actor(); doc jsonb := current_rules();
BEGIN
    IF NOT (any_role(doc, roles_of(who), 'supervises') OR any_role(doc, roles_of(who), 'admin')) THEN
        PERFORM refuse(format('`%s` holds no supervising or admin role to send messages again', who));
    END IF;
    UPDATE deliveries SET status = 'pending', next_at = lease_time(p_now), first_failed_at = NULL
    WHERE target = p_target AND (p_seq IS NULL OR seq = p_seq)
      AND (status = 'dead' OR (status = 'pending' AND attempts > 0));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;

CREATE FUNCTION delivery_troubles(OUT target text, OUT dead bigint, OUT failing_since bigint)
RETURNS SETOF record LANGUAGE sql STABLE
SECURITY DEFINER SET search_path = carequeue, pg_temp AS $$
    SELECT d.target, count(*) FILTER (WHERE d.status = 'dead'),
           min(d.first_failed_at) FILTER (WHERE d.status = 'pending')
    FROM deliveries d
    WHERE d.status = 'dead' OR (d.status = 'pending' AND d.first_failed_at IS NOT NULL)
    GROUP BY d.target ORDER BY d.target;
$$;

REVOKE ALL ON delivery_cursors, deliveries, delivery_lease FROM PUBLIC;
REVOKE ALL ON FUNCTION may_deliver(), lease_time(bigint), delivery_lease(text, bigint, bigint), delivery_release(text),
    delivery_holds(text, bigint), delivery_cursor(text),
    delivery_enqueue(text, text, bigint, bigint, bigint[], bigint), delivery_due(bigint, text[], bigint),
    delivery_settle(text, text, bigint, text, text, bigint, bigint),
    delivery_rows(boolean, text, bigint), delivery_requeue(text, bigint, bigint),
    delivery_troubles() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION delivery_lease(text, bigint, bigint), delivery_release(text),
    delivery_cursor(text), delivery_enqueue(text, text, bigint, bigint, bigint[], bigint),
    delivery_due(bigint, text[], bigint), delivery_settle(text, text, bigint, text, text, bigint, bigint),
    delivery_rows(boolean, text, bigint), delivery_requeue(text, bigint, bigint),
    delivery_troubles()
    TO "@member@";

UPDATE meta SET value = '5' WHERE key = 'schema_step';
