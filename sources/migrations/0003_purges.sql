-- A record of every purge: an admin removed the rows one version added (personal data) from the store and its copies.
-- The version's row in versions stays, so the history still shows it; this table says who purged it, when and why.

CREATE TABLE purges (
    dataset TEXT NOT NULL,
    version INTEGER NOT NULL,
    purged_by TEXT NOT NULL,
    purged_at TIMESTAMP NOT NULL, -- UTC
    reason TEXT NOT NULL,
    rows_removed BIGINT NOT NULL
);
CREATE INDEX purges_dataset ON purges (dataset, version);
