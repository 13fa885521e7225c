"""Pillars' entry script: page config, the sign-in gate, the global filters (drawn before any page), routing by role."""

from __future__ import annotations

import streamlit as st
from pydantic import ValidationError

from insights.formatting import markdown_bullets
from sources.settings import settings_problems
from ui.access import gate, identity
from ui.data import bundle, settings, store
from ui.filters import render_filters
from ui.runtime import freeze_imported_objects, note_script_run

freeze_imported_objects()  # the first run of a process, after the imports above
note_script_run()  # background work (the Overview's earlier periods) waits for a pause between runs

st.set_page_config(page_title="Pillars", page_icon=":material/account_balance:", layout="wide")

try:
    current = settings()
except ValidationError as error:
    # one line per setting, never the values given: a store URL may carry a password, and this shows before sign-in
    st.error(
        "Pillars' settings are invalid; fix the environment or the secrets ([pillars]):\n\n"
        + markdown_bullets(settings_problems(error))
    )
    st.stop()

# Before anything else: a visitor who has not signed in (or is not on the access list) sees nothing but this gate,
# and no page is registered for them, so no URL reaches one.
access = gate(current, lambda: store(current))
data = bundle(current)
render_filters(data.frames, current.fiscal_year_start_month, data_version=data.key)
identity(access)  # under the filters: who is signed in matters less than what they look at

pages = {
    "Insights": [
        st.Page(
            "app_pages/overview.py",
            title="Overview",
            icon=":material/dashboard:",
            url_path="overview",
            default=True,
        ),
        st.Page(
            "app_pages/business.py",
            title="Business Data & Insights",
            icon=":material/trending_up:",
            url_path="business",
        ),
        st.Page(
            "app_pages/customers.py",
            title="Customer & Market Insights",
            icon=":material/forum:",
            url_path="customers",
        ),
        st.Page("app_pages/process.py", title="Process & Practices", icon=":material/checklist:", url_path="process"),
    ],
    "Sources": [
        st.Page("app_pages/data.py", title="Data", icon=":material/database:", url_path="data"),
    ],
}
if access.at_least("admin"):
    # only admins have the audit log registered; the page checks the role again itself
    pages["Sources"].append(
        st.Page("app_pages/audit.py", title="Audit log", icon=":material/policy:", url_path="audit"),
    )
st.navigation(pages).run()
