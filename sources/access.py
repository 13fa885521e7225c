"""Who may see and do what: roles and product-line scopes from the settings, the hosted-mode checks, scoped data."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import polars as pl

from sources.files import DataBundle, date_span
from sources.settings import Settings

Role = Literal["viewer", "editor", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "editor", "admin")
"""From least to most: each role may do what the ones before it may."""
MIN_COOKIE_SECRET_LENGTH = 32
_WEAK_SECRETS = re.compile(r"^(.)\1*$|secret|change|password|example|xxx|todo|default|streamlit|pillars|cookie", re.I)


@dataclass(frozen=True)
class Access:
    """One person's access: who, in which role, limited to which product lines (None = all), and how they got in."""

    email: str
    role: Role | None
    product_lines: tuple[str, ...] | None = None
    local: bool = False

    @property
    def allowed(self) -> bool:
        """True when the person is on the access list (always, in local mode)."""
        return self.role is not None

    @property
    def scoped(self) -> bool:
        """True when the person sees only some product lines."""
        return self.product_lines is not None

    def at_least(self, role: Role) -> bool:
        """True when the person's role is ``role`` or above."""
        return self.role is not None and ROLES.index(self.role) >= ROLES.index(role)

    @property
    def can_upload(self) -> bool:
        """Editors and admins upload (a scoped one only rows of their product lines)."""
        return self.at_least("editor")

    @property
    def can_replace_all(self) -> bool:
        """Replacing a whole dataset and rolling back touch every product line: unscoped editors and admins only."""
        return self.at_least("editor") and not self.scoped

    @property
    def can_purge(self) -> bool:
        """A purge removes rows everywhere, for good: admins only (DESIGN.md §2), and never a scoped one."""
        return self.at_least("admin") and not self.scoped

    @property
    def label(self) -> str:
        """'ana@example.com · editor · Atlas, Cirrus', for the sidebar."""
        parts = [self.email, self.role or "not on the access list"]
        if self.product_lines is not None:
            parts.append(", ".join(self.product_lines))
        return " · ".join(parts)


def local_access(user: str) -> Access:
    """Local mode (no sign-in configured): the one person at the keyboard may do everything."""
    return Access(email=user, role="admin", product_lines=None, local=True)


def _matches(entry: str, email: str) -> bool:
    return email == entry or (entry.startswith("@") and email.endswith(entry))


def resolve_access(email: str, settings: Settings) -> Access:
    """The access of a signed-in ``email``: the highest role any matching entry gives (an exact address or its
    @domain, case-insensitive), and the scope of the exact address, else of its domain; no role when unlisted."""
    address = email.strip().lower()
    role: Role | None = None
    for candidate, entries in (("viewer", settings.viewers), ("editor", settings.editors), ("admin", settings.admins)):
        if any(_matches(entry, address) for entry in entries):
            role = candidate  # type: ignore[assignment]  # the tuple's literals are Roles
    scope = settings.scopes.get(address)
    if scope is None:
        domains = [entry for entry in settings.scopes if entry.startswith("@") and address.endswith(entry)]
        # the longest matching domain is the most specific (@eu.example.com over @example.com)
        scope = settings.scopes[max(domains, key=len)] if domains else None
    return Access(email=address, role=role, product_lines=tuple(sorted(set(scope))) if scope else None)


def hosted_problems(settings: Settings, auth: Mapping[str, object] | None) -> list[str]:
    """Why a hosted Pillars must not start (empty when it may): sign-in missing, a weak cookie secret, a local store."""
    if not settings.hosted:
        return []
    problems = []
    if not auth:
        problems.append(
            "hosted = true but no [auth] section is in the secrets: configure sign-in (see docs/hosting.md) "
            "or set hosted = false for a one-person local install"
        )
    else:
        secret = str(auth.get("cookie_secret", ""))
        if len(secret) < MIN_COOKIE_SECRET_LENGTH or len(set(secret)) < 8 or _WEAK_SECRETS.search(secret):
            problems.append(
                f"[auth] cookie_secret is weak (it needs at least {MIN_COOKIE_SECRET_LENGTH} random characters, "
                "no words): generate one with python -c 'import secrets; print(secrets.token_hex(32))' and use the "
                "same one on every replica"
            )
    if settings.store_url.startswith("sqlite"):
        problems.append(
            f"hosted = true but the store is a local SQLite file ({settings.store_url}): hosted disks are wiped on "
            "restart, so set store_url to a PostgreSQL database (postgresql://user@host/db)"
        )
    return problems


SCOPE_COLUMN = "product_line"


def rows_of_lines(frame: pl.DataFrame, dataset: str, product_lines: Sequence[str]) -> pl.DataFrame:
    """The rows of ``frame`` a user scoped to ``product_lines`` may see.

    A dataset without product lines (catalog, practices) is whole. Events without a product line concern everyone and
    stay; a target without one is the company's, a number about every line, so it goes.
    """
    if SCOPE_COLUMN not in frame.columns:
        return frame
    in_scope = pl.col(SCOPE_COLUMN).cast(pl.String).is_in(list(product_lines))
    if dataset == "events":
        in_scope = in_scope | pl.col(SCOPE_COLUMN).is_null()
    return frame.filter(in_scope)


def scoped_bundle(bundle: DataBundle, product_lines: Sequence[str]) -> DataBundle:
    """``bundle`` as a user scoped to ``product_lines`` sees it: frames, row counts and date spans of their lines only,
    with a key of its own so that no cache shares numbers between scopes."""
    frames = {name: rows_of_lines(frame, name, product_lines) for name, frame in bundle.frames.items()}
    sources = {}
    for name, info in bundle.sources.items():
        frame = frames.get(name)
        if frame is None:
            sources[name] = info
            continue
        first, latest = date_span(frame)
        # problems and reading notes quote rows and values of every line: unscoped users see them, a scoped one a count
        hidden = info.problems.height + len(info.notes)
        notes = (f"{hidden} problems and notes about rows of all product lines are shown to unscoped users only",)
        sources[name] = replace(
            info,
            rows=frame.height,
            first_date=first,
            latest_date=latest,
            problems=info.problems.clear(),
            notes=notes if hidden else (),
        )
    scope = "|".join(sorted(product_lines))
    key = hashlib.sha256(f"{bundle.key}:scope:{scope}".encode()).hexdigest()[:16]
    return replace(bundle, frames=frames, sources=sources, key=key)
