"""Sign-in in the app: the gate before any page, who is signed in and in which role, page checks, audit lines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitSecretNotFoundError

from insights.formatting import markdown_bullets
from sources.access import Access, hosted_problems, local_access, resolve_access
from sources.settings import Settings
from sources.store import Outcome, Store, StoreError

_SIGNED_IN_KEY = "_pillars_signed_in"
_REFUSED_KEY = "_pillars_refused"


def secrets_table(name: str) -> dict[str, Any] | None:
    """A table of Streamlit's own secrets (wherever Streamlit finds them): None without any secrets, {} without it."""
    try:
        if not st.secrets.load_if_toml_exists() and name not in st.secrets:
            return None
        table = st.secrets.get(name)
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        return None
    if table is None:
        return {}
    return table.to_dict() if hasattr(table, "to_dict") else dict(table)


def auth_section() -> dict[str, Any] | None:
    """The [auth] table of Streamlit's secrets (sign-in configured), or None (local mode)."""
    return secrets_table("auth") or None


def providers(auth: dict[str, Any]) -> list[str | None]:
    """The sign-in providers: None for a single provider set in [auth] itself, else the names of [auth.<name>]."""
    named: list[str | None] = [
        name for name, value in sorted(auth.items()) if isinstance(value, dict) and "client_id" in value
    ]
    return [None] if "client_id" in auth or not named else named


def current_access(current: Settings) -> Access | None:
    """Who is using the app: the local user (admin) without sign-in configured; None while nobody is signed in."""
    if auth_section() is None:
        return local_access(current.local_user)
    if not st.user.is_logged_in:
        return None
    email = st.user.get("email")
    if not isinstance(email, str) or not email.strip():
        # an identity provider that sends no e-mail claim can't be matched against the access list
        return resolve_access("(no e-mail address)", current)
    if st.user.get("email_verified") is False:
        # the provider says the address is not proven to be theirs: it grants nothing
        return Access(email=email.strip().lower(), role=None)
    return resolve_access(email, current)


def record(
    store: Store, access: Access | None, action: str, *, outcome: Outcome = "ok", target: str = "", detail: str = ""
) -> None:
    """One audit line; a store that can't be written to must not take the page down with it (it is logged)."""
    email = access.email if access is not None else "(signed out)"
    try:
        store.record(email, action, outcome=outcome, target=target, detail=detail)
    except StoreError:
        st.toast("This action could not be written to the audit log.", icon=":material/warning:")


def gate(current: Settings, store: Callable[[], Store]) -> Access:
    """Let in only who may: a hosted set-up that is unsafe stops here, then a visitor who has not signed in sees only
    the sign-in screen, and one not on the access list only a refusal. Returns the access of who got in."""
    auth = auth_section()
    problems = hosted_problems(current, auth)
    if problems:
        st.title("Pillars")
        st.error(
            "Pillars is set up as hosted (hosted = true) and refuses to start:\n\n" + markdown_bullets(problems),
            icon=":material/gpp_bad:",
        )
        st.stop()
    access = current_access(current)
    if access is None:
        _sign_in_screen(providers(auth or {}))
        st.stop()
    assert access is not None  # st.stop() ends the run above
    if not access.allowed:
        if st.session_state.get(_REFUSED_KEY) != access.email:
            st.session_state[_REFUSED_KEY] = access.email
            record(store(), access, "sign_in", outcome="refused", detail="not on the access list")
        st.title("Pillars")
        st.error(
            f"Access refused: {access.email} is not on Pillars' access list. Ask an admin to add you.",
            icon=":material/block:",
        )
        st.button("Sign out", on_click=st.logout, icon=":material/logout:")
        st.stop()
    if not access.local and st.session_state.get(_SIGNED_IN_KEY) != access.email:
        st.session_state[_SIGNED_IN_KEY] = access.email
        _record_sign_in(store(), access)
    return access


def _record_sign_in(store: Store, access: Access) -> None:
    """One audit line per sign-in, not per browser tab or reload (each is a new session): the identity token's
    issue time tells a new sign-in from a session of one already recorded, on any replica."""
    issued = st.user.get("iat")
    when = (
        f"signed in at {datetime.fromtimestamp(issued, UTC):%Y-%m-%d %H:%M:%S} UTC"
        if isinstance(issued, int | float)
        else "signed in"
    )
    detail = when + (f"; product lines {', '.join(access.product_lines)}" if access.product_lines else "")
    if isinstance(issued, int | float):
        try:
            seen = store.audit_log(email=access.email, actions=("sign_in",), limit=20)
        except StoreError:
            seen = None
        if seen is not None and (access.email, detail) in seen.select("email", "detail").rows():
            return
    record(store, access, "sign_in", target=access.role or "", detail=detail)


def _sign_in_screen(names: list[str | None]) -> None:
    st.title("Pillars")
    st.markdown("Sign in with your company account to open the dashboard.")
    for name in names:
        label = "Sign in" if name is None else f"Sign in with {name.capitalize()}"
        st.button(label, type="primary", icon=":material/login:", on_click=st.login, args=(name,) if name else ())


def identity(access: Access) -> None:
    """The sidebar's note of who is signed in (or of local mode), with the sign-out button."""
    with st.sidebar:
        if access.local:
            st.badge("Local mode — no sign-in", icon=":material/computer:", color="orange")
            st.caption(f"Running for {access.email} on this machine, with every right. Configure [auth] to host it.")
            return
        st.caption(f"Signed in as {access.label}")
        st.button("Sign out", on_click=st.logout, icon=":material/logout:", key="sign_out")


def page_access(current: Settings, store: Store, allowed: Callable[[Access], bool], what: str) -> Access:
    """The access of whoever runs this page, checked again here (a page must not rely on the navigation alone):
    anyone else sees a refusal, which is recorded, and the page stops."""
    access = current_access(current)
    if access is not None and access.allowed and allowed(access):
        return access
    record(store, access, "open_page", outcome="refused", target=what)
    if access is None:
        st.error("Sign in to open this page.", icon=":material/lock:")
    else:
        st.error(
            f"Access refused: {what} is not open to {access.email} ({access.role or 'not on the access list'}).",
            icon=":material/block:",
        )
    st.stop()
    raise AssertionError("unreachable: st.stop() ends the run")
