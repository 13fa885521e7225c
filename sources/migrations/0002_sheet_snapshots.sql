-- The last good read of a Google Sheet (feedback), served when Google is slow, over quota or down.
-- A snapshot is not a version: one row per sheet and worksheet, replaced on every good read; rows are the contract
-- columns as CSV text, read back through the same contract checks as a file.

CREATE TABLE sheet_snapshots (
    sheet_key TEXT NOT NULL,
    worksheet TEXT NOT NULL,
    title TEXT NOT NULL,
    read_at TIMESTAMP NOT NULL, -- UTC
    rows_read BIGINT NOT NULL,
    rows_skipped BIGINT NOT NULL,
    content TEXT NOT NULL,
    problems TEXT NOT NULL,
    PRIMARY KEY (sheet_key, worksheet)
);
