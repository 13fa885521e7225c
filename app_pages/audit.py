"""Audit log (admins): who signed in, uploaded, rolled back or purged, and every refused attempt, filterable."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import streamlit as st

from sources.store import Outcome
from ui.access import page_access
from ui.components import download_csv
from ui.data import settings, store

ACTIONS = {
    "sign_in": "Sign-ins",
    "upload": "Uploads",
    "rollback": "Rollbacks",
    "purge": "Purges",
    "open_page": "Pages opened without the right",
}
OUTCOMES: dict[Outcome, str] = {"ok": "Allowed", "refused": "Refused"}
COLUMNS = {
    "at": st.column_config.DatetimeColumn("When", format="D MMM YYYY, HH:mm:ss z"),
    "email": st.column_config.TextColumn("Who"),
    "action": st.column_config.TextColumn("Action"),
    "outcome": st.column_config.TextColumn("Outcome"),
    "target": st.column_config.TextColumn("What"),
    "detail": st.column_config.TextColumn("Detail", width="large"),
}
SHOWN = 10_000

current = settings()
the_store = store(current)
# checked here too: the navigation registers this page for admins only, but a page must not rely on that alone
page_access(current, the_store, lambda access: access.at_least("admin"), "the audit log")

st.title("Audit log")
st.caption(
    "Sign-ins, uploads, rollbacks, purges and refused attempts, newest first, in the store "
    f"({current.timezone} times). Nothing here can be edited or deleted from the app."
)
today = datetime.now(current.zone).date()
days_column, email_column, action_column, outcome_column = st.columns([2, 2, 3, 1])
days = days_column.date_input("Between", value=(today - timedelta(days=30), today), max_value=today, key="audit_days")
email = email_column.text_input("Who (part of the e-mail address)", key="audit_email")
actions = action_column.multiselect(
    "Actions", options=list(ACTIONS), format_func=ACTIONS.__getitem__, placeholder="All actions", key="audit_actions"
)
outcome_options: list[Outcome | None] = [None, *OUTCOMES]
outcome = outcome_column.selectbox(
    "Outcome", options=outcome_options, format_func=lambda key: OUTCOMES[key] if key else "Any", key="audit_outcome"
)

first, last = (days[0], days[-1]) if isinstance(days, tuple) and days else (today - timedelta(days=30), today)
since = datetime.combine(first, time.min, current.zone).astimezone(UTC)
until = datetime.combine(last + timedelta(days=1), time.min, current.zone).astimezone(UTC)
log = the_store.audit_log(
    since=since,
    until=until,
    email=email.strip() or None,
    actions=tuple(actions) or None,
    outcome=outcome,
    limit=SHOWN + 1,
)
if log.height == 0:
    st.info("Nothing recorded for these filters.", icon=":material/policy:")
else:
    more = log.height > SHOWN
    log = log.head(SHOWN).with_columns(log.get_column("at").head(SHOWN).dt.convert_time_zone(current.timezone))
    st.caption(
        f"{log.height:,} lines" + (f" (the latest {SHOWN:,}; narrow the filters for older ones)" if more else "")
    )
    st.dataframe(log, hide_index=True, width="stretch", column_config=COLUMNS)
    download_csv(log, "pillars-audit-log.csv", "Download these lines (CSV)", key="audit_download")
