-- Step 4: the keypress reads of issue 26.
--
-- A record handed to a role by an escalation (`owner_role`) is found on an
-- index of its own: a role's My Queue (`owner_role IN (…)`) reads the few
-- records handed to it, in the queue's order, rather than every record of
-- its stages; the index holds what the count and the board test (stage,
-- owner, clock), so they are counted from it alone.

CREATE INDEX records_owner_role ON records (owner_role, sort_due, id)
    INCLUDE (stage, assignee, warn_at, due_at, paused_since, paused_left)
    WHERE owner_role IS NOT NULL;

UPDATE meta SET value = '4' WHERE key = 'schema_step';
