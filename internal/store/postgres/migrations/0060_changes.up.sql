-- 0060_changes: the outbox of changes nodes cache. Every write that changes
-- something a node caches inserts a row here in its own transaction (so the
-- row exists exactly when the change committed) and NOTIFYs the channel to
-- wake the listeners, which read every row after the last id they applied.
-- A listener that lost its connection replays what it missed from here
-- instead of dropping every cache. committed_at is clock_timestamp() at the
-- insert, the last statement of the transaction: the commit to within a
-- round trip (castellan_change_apply_seconds measures from it). Rows are
-- pruned after changeRetention.
CREATE TABLE changes (
    id           BIGSERIAL   PRIMARY KEY,
    kind         TEXT        NOT NULL,
    key          TEXT        NOT NULL DEFAULT '',
    committed_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
