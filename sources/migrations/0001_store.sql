-- The store's first schema: a row per committed version, and per dataset one typed table of rows.
-- A version's content is the rows with added_in <= version and (removed_in null or > version): appending only inserts,
-- replacing marks the old rows removed, and every version stays readable. Columns follow sources/contracts.py; nulls in
-- required columns are refused here too. Plain SQL that SQLite and PostgreSQL both read; statements end with ';'.
-- One index per table, on (removed_in, its date): it finds the current rows of a date range (key checks, slices).
-- An index on added_in (for purges) was measured at +0.5 s per million rows committed and left out.

CREATE TABLE versions (
    dataset TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 0),
    mode TEXT NOT NULL,
    file_name TEXT,
    sha256 TEXT,
    "rows" BIGINT NOT NULL,
    rows_added BIGINT NOT NULL,
    rows_removed BIGINT NOT NULL,
    committed_by TEXT NOT NULL,
    committed_at TIMESTAMP NOT NULL, -- UTC
    based_on INTEGER,
    PRIMARY KEY (dataset, version)
);

CREATE TABLE rows_metrics (
    "date" DATE NOT NULL,
    product_line TEXT NOT NULL,
    metric TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    segment TEXT,
    region TEXT,
    added_in INTEGER NOT NULL,
    removed_in INTEGER
);
CREATE INDEX rows_metrics_current ON rows_metrics (removed_in, "date");

CREATE TABLE rows_metric_catalog (
    metric TEXT NOT NULL,
    label TEXT NOT NULL,
    unit TEXT NOT NULL,
    aggregation TEXT NOT NULL,
    higher_is_better BOOLEAN NOT NULL,
    pillar TEXT,
    question TEXT,
    owner TEXT,
    description TEXT,
    "format" TEXT,
    "min" DOUBLE PRECISION,
    "max" DOUBLE PRECISION,
    overview BIGINT,
    "role" TEXT,
    added_in INTEGER NOT NULL,
    removed_in INTEGER
);
CREATE INDEX rows_metric_catalog_current ON rows_metric_catalog (removed_in);

CREATE TABLE rows_targets (
    metric TEXT NOT NULL,
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    target DOUBLE PRECISION NOT NULL,
    product_line TEXT,
    added_in INTEGER NOT NULL,
    removed_in INTEGER
);
CREATE INDEX rows_targets_current ON rows_targets (removed_in, period_start);

CREATE TABLE rows_feedback (
    "date" DATE NOT NULL,
    product_line TEXT NOT NULL,
    channel TEXT NOT NULL,
    "text" TEXT NOT NULL,
    id TEXT,
    account TEXT,
    segment TEXT,
    account_arr DOUBLE PRECISION,
    nps_score BIGINT,
    sentiment TEXT,
    theme TEXT,
    category TEXT,
    added_in INTEGER NOT NULL,
    removed_in INTEGER
);
CREATE INDEX rows_feedback_current ON rows_feedback (removed_in, "date");

CREATE TABLE rows_adoption (
    "date" DATE NOT NULL,
    team TEXT NOT NULL,
    product_line TEXT NOT NULL,
    practice TEXT NOT NULL,
    status TEXT,
    artifact TEXT,
    owner TEXT,
    added_in INTEGER NOT NULL,
    removed_in INTEGER
);
CREATE INDEX rows_adoption_current ON rows_adoption (removed_in, "date");

CREATE TABLE rows_practices (
    practice TEXT NOT NULL,
    cadence_days BIGINT NOT NULL,
    description TEXT,
    since DATE,
    added_in INTEGER NOT NULL,
    removed_in INTEGER
);
CREATE INDEX rows_practices_current ON rows_practices (removed_in);

CREATE TABLE rows_teams (
    team TEXT NOT NULL,
    product_line TEXT NOT NULL,
    pm TEXT,
    active_from DATE,
    active_to DATE,
    added_in INTEGER NOT NULL,
    removed_in INTEGER
);
CREATE INDEX rows_teams_current ON rows_teams (removed_in);

CREATE TABLE rows_events (
    "date" DATE NOT NULL,
    event TEXT NOT NULL,
    product_line TEXT,
    kind TEXT,
    added_in INTEGER NOT NULL,
    removed_in INTEGER
);
CREATE INDEX rows_events_current ON rows_events (removed_in, "date");
