-- Who did what, and when: sign-ins, uploads, rollbacks, purges and refused attempts, for the admins' audit page.
-- Rows are only ever added; nothing in the app updates or deletes them.

CREATE TABLE audit_log (
    at TIMESTAMP NOT NULL, -- UTC
    email TEXT NOT NULL,
    action TEXT NOT NULL, -- sign_in, upload, rollback, purge, open_page, ...
    outcome TEXT NOT NULL, -- ok or refused
    target TEXT NOT NULL, -- what was touched: a dataset and version, a page
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_email ON audit_log (email);
