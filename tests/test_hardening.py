"""Hardening: the committed server config, no HTML from data, locked dependencies, secrets kept out of git, and docs."""

from __future__ import annotations

import ast
import fnmatch
import os
import re
import textwrap
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".streamlit" / "config.toml"
SECRETS_EXAMPLE = ROOT / ".streamlit" / "secrets.toml.example"
GITIGNORE = ROOT / ".gitignore"
PYPROJECT = ROOT / "pyproject.toml"
HOSTING = ROOT / "docs" / "hosting.md"
LOCKS = ("requirements.lock", "requirements-dev.lock")
APP_CODE = ("app.py", "app_pages", "ui", "sources", "insights")
# Not part of the repository's own code: virtualenvs, caches, test output.
SKIPPED_DIRS = frozenset({".venv", "venv", "__pycache__", "test-output", "node_modules", "build", "dist"})

# Streamlit ≥ 1.67 is past every published Streamlit advisory and is the first with `bind=` (DESIGN.md §3).
STREAMLIT_MINIMUM = Version("1.67")
# What Streamlit 1.67's `auth` extra requires (its METADATA: Authlib>=1.3.2, httpx>=0.24.1); st.login fails without.
AUTH_EXTRA_MINIMUMS = {"authlib": Version("1.3.2"), "httpx": Version("0.24.1")}


def _relative(path: Path) -> str:
    """A path as the failure message names it: relative to the repository."""
    return path.relative_to(ROOT).as_posix()


# --- (a) .streamlit/config.toml ---------------------------------------------------------------------------------------


def _config() -> dict[str, Any]:
    with CONFIG.open("rb") as handle:
        return tomllib.load(handle)


def _config_line(section: str, key: str) -> str:
    """Where `key` of `[section]` is set in config.toml, as "file:line" (or "file" with a note when it is not set)."""
    current = ""
    for number, line in enumerate(CONFIG.read_text(encoding="utf-8").splitlines(), start=1):
        header = re.fullmatch(r"\s*\[([^\]]+)\]\s*(#.*)?", line)
        if header:
            current = header.group(1).strip()
        elif current == section and re.match(rf"\s*{re.escape(key)}\s*=", line):
            return f"{_relative(CONFIG)}:{number}"
    return f"{_relative(CONFIG)} (no `{key}` under [{section}])"


def _flattened(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested TOML tables as Streamlit's dotted option names: {"server": {"port": 1}} → {"server.port": 1}."""
    options: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            options.update(_flattened(value, prefix=f"{name}."))
        else:
            options[name] = value
    return options


@pytest.mark.parametrize(
    ("section", "key", "expected"),
    [
        ("server", "enableXsrfProtection", True),
        ("server", "enableCORS", True),
        ("server", "enableStaticServing", False),
        ("server", "enableAgentApi", False),
        ("client", "showErrorDetails", "none"),
        ("client", "showErrorLinks", "false"),
        ("client", "toolbarMode", "viewer"),
        ("runner", "magicEnabled", False),
    ],
)
def test_config_sets_the_hardened_value(section: str, key: str, expected: object) -> None:
    value = _config().get(section, {}).get(key)
    # type too: "true" (a string) or 1 is not the boolean Streamlit expects
    assert (value, type(value)) == (expected, type(expected)), (
        f"{_config_line(section, key)}: {section}.{key} is {value!r}; hosting needs {expected!r}"
    )


def test_config_sets_an_upload_limit() -> None:
    limit = _config().get("server", {}).get("maxUploadSize")
    where = _config_line("server", "maxUploadSize")
    assert type(limit) is int, f"{where}: server.maxUploadSize must be set explicitly (megabytes), found {limit!r}"
    assert 1 <= limit <= 200, f"{where}: server.maxUploadSize = {limit} MB; keep it at most Streamlit's default 200"


def test_config_options_are_streamlit_options_of_the_right_type() -> None:
    from streamlit import config  # noqa: PLC0415 - the only test here that needs Streamlit itself

    known = config.get_config_options()
    problems: list[str] = []
    for name, value in _flattened(_config()).items():
        section, _, key = name.rpartition(".")
        option = known.get(name)
        if option is None:
            problems.append(f"{_config_line(section, key)}: {name} is not a Streamlit option (a typo is ignored)")
            continue
        expected_type = option.type
        # TOML writes 1000 for a float option; bool is an int subclass, so compare types exactly
        accepted = (int, float) if expected_type is float else (expected_type,)
        if type(value) not in accepted:
            problems.append(f"{_config_line(section, key)}: {name} = {value!r} is not a {expected_type.__name__}")
    assert not problems, "\n".join(problems)


# --- (b) no HTML from data ------------------------------------------------------------------------------------------

# The functions that put raw HTML on the page; any `<x>.html(...)` counts too (st.sidebar.html, a column's .html).
HTML_FUNCTIONS = frozenset({"streamlit.html", "streamlit.components.v1.html"})


@dataclass(frozen=True)
class Finding:
    """A call that may put text from data into the page as HTML."""

    path: str
    line: int
    code: str
    problem: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: `{self.code}` {self.problem}"


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name → the dotted path it stands for, from every absolute import in the module."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    root = alias.name.split(".", 1)[0]
                    names[root] = root
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted_name(node: ast.expr) -> str | None:
    """`st.components.v1.html` for that attribute chain; None when the chain does not start at a plain name."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _resolved_name(function: ast.expr, names: dict[str, str]) -> str | None:
    """The called function's full dotted path, with the module aliases of the file resolved."""
    dotted = _dotted_name(function)
    if dotted is None:
        return None
    root, _, rest = dotted.partition(".")
    module = names.get(root, root)
    return f"{module}.{rest}" if rest else module


def _is_false(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _allows_unsafe_html(call: ast.Call) -> bool:
    """True when the call passes unsafe_allow_html as anything but a literal False (also in a `**{...}` literal)."""
    for keyword in call.keywords:
        if keyword.arg == "unsafe_allow_html" and not _is_false(keyword.value):
            return True
        if keyword.arg is None and isinstance(keyword.value, ast.Dict):
            for key, value in zip(keyword.value.keys, keyword.value.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "unsafe_allow_html" and not _is_false(value):
                    return True
    return False


def _html_body(call: ast.Call) -> ast.expr | None:
    """The argument holding the HTML: the first positional one, or `body=` (st.html) / `html=` (components.html)."""
    if call.args:
        return call.args[0]
    return next((keyword.value for keyword in call.keywords if keyword.arg in {"body", "html"}), None)


def scan_for_html(source: str, path: str, *, html_calls: bool = True) -> list[Finding]:
    """Every call in `source` that passes unsafe_allow_html, and (with `html_calls`) every raw-HTML call whose HTML is
    not one literal string: a constant string is the only HTML the app may write, so no data can reach it."""
    tree = ast.parse(source, filename=path)
    names = _imported_names(tree)
    findings: list[Finding] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        code = ast.unparse(node)[:100]
        if _allows_unsafe_html(node):
            findings.append(Finding(path, node.lineno, code, "passes unsafe_allow_html; render text, not HTML"))
        if not html_calls:
            continue
        is_html_call = _resolved_name(node.func, names) in HTML_FUNCTIONS or (
            isinstance(node.func, ast.Attribute) and node.func.attr == "html"
        )
        body = _html_body(node)
        is_literal = isinstance(body, ast.Constant) and isinstance(body.value, str)
        if is_html_call and not is_literal:
            findings.append(Finding(path, node.lineno, code, "writes HTML that is not a literal string"))
    return findings


def _python_files(*entries: str) -> list[Path]:
    """The .py files of these repository entries (files or folders), skipping virtualenvs, caches and output."""
    files: list[Path] = []
    for entry in entries:
        path = ROOT / entry
        candidates = [path] if path.is_file() else sorted(path.rglob("*.py"))
        files.extend(
            candidate
            for candidate in candidates
            if not any(part in SKIPPED_DIRS or part.startswith(".") for part in candidate.relative_to(ROOT).parts[:-1])
        )
    return files


@pytest.mark.parametrize(
    ("source", "expected_lines"),
    [
        ("import streamlit as st\nst.markdown(text, unsafe_allow_html=True)\n", [2]),
        ("import streamlit as st\nst.write(text, unsafe_allow_html=flag)\n", [2]),
        ("import streamlit as st\nst.caption(text, **{'unsafe_allow_html': True})\n", [2]),
        ("import streamlit as st\nst.markdown(text)\nst.markdown(text, unsafe_allow_html=False)\n", []),
        ("import streamlit as st\nst.html(text)\n", [2]),
        ("import streamlit as st\nst.html(f'<b>{name}</b>')\n", [2]),
        ("import streamlit as st\nst.html('<b>' + name + '</b>')\n", [2]),
        ("import streamlit as st\nst.html(body=text)\n", [2]),
        ("import streamlit as st\nst.html('<hr>')\nst.html(body='<hr>')\n", []),
        ("import streamlit as st\nst.sidebar.html(text)\n", [2]),
        ("import streamlit as st\nleft, right = st.columns(2)\nleft.html(text)\n", [3]),
        ("import streamlit as st\nst.components.v1.html(text, height=200)\n", [2]),
        ("import streamlit.components.v1 as components\ncomponents.html(text)\n", [2]),
        ("from streamlit.components.v1 import html as raw\nraw(text)\n", [2]),
        ("from streamlit import html\nhtml(text)\n", [2]),
        ("from ui import components\ncomponents.download_csv(frame)\n", []),
        ("import plotly.graph_objects as go\nfigure.to_html()\n", []),
    ],
)
def test_the_scan_finds_html_calls(source: str, expected_lines: list[int]) -> None:
    assert [finding.line for finding in scan_for_html(source, "example.py")] == expected_lines


def test_app_code_writes_no_html_from_data() -> None:
    files = _python_files(*APP_CODE)
    for entry in APP_CODE:
        assert any(file == ROOT / entry or ROOT / entry in file.parents for file in files), (
            f"nothing scanned in {entry}"
        )
    findings = [
        finding for file in files for finding in scan_for_html(file.read_text(encoding="utf-8"), _relative(file))
    ]
    assert not findings, "\n".join(str(finding) for finding in findings)


def test_no_python_file_anywhere_passes_unsafe_allow_html() -> None:
    files = [file for file in _python_files(".") if file.name != Path(__file__).name]
    assert len(files) > 50, f"only {len(files)} Python files found under {ROOT}"
    findings = [
        finding
        for file in files
        for finding in scan_for_html(file.read_text(encoding="utf-8"), _relative(file), html_calls=False)
    ]
    assert not findings, "\n".join(str(finding) for finding in findings)


# --- (c) locked dependencies ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pin:
    """One `name==version` line of a lock file."""

    version: Version
    line: int


def _lock_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, requirement) for each requirement of a pip-compile lock; comments and pip options dropped."""
    lines: list[tuple[int, str]] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        # pip reads "#" at the start or after whitespace as a comment; a trailing "\" continues onto --hash lines
        text = re.split(r"(?:^|\s)#", raw, maxsplit=1)[0].strip().removesuffix("\\").strip()
        if text and not text.startswith("-"):
            lines.append((number, text))
    return lines


def _lock_pins(path: Path) -> dict[str, Pin]:
    """Canonical package name → its pinned version, for the `==` lines of a lock file."""
    pins: dict[str, Pin] = {}
    for number, text in _lock_lines(path):
        requirement = Requirement(text)
        specifiers = list(requirement.specifier)
        if len(specifiers) == 1 and specifiers[0].operator == "==":
            pins[canonicalize_name(requirement.name)] = Pin(Version(specifiers[0].version), number)
    return pins


@pytest.mark.parametrize("lock", LOCKS)
def test_every_lock_line_is_an_exact_pin(lock: str) -> None:
    problems: list[str] = []
    for number, text in _lock_lines(ROOT / lock):
        try:
            specifiers = list(Requirement(text).specifier)
        except InvalidRequirement as error:
            problems.append(f"{lock}:{number}: {text!r} is not a requirement ({error})")
            continue
        if len(specifiers) != 1 or specifiers[0].operator != "==":
            problems.append(f"{lock}:{number}: {text!r} is not pinned with ==")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lock", LOCKS)
def test_lock_pins_streamlit_past_the_known_advisories(lock: str) -> None:
    pin = _lock_pins(ROOT / lock).get("streamlit")
    assert pin is not None, f"{lock}: streamlit is not pinned"
    assert pin.version >= STREAMLIT_MINIMUM, f"{lock}:{pin.line}: streamlit {pin.version} < {STREAMLIT_MINIMUM}"


@pytest.mark.parametrize("lock", LOCKS)
@pytest.mark.parametrize(("package", "minimum"), sorted(AUTH_EXTRA_MINIMUMS.items()))
def test_lock_has_the_streamlit_auth_extra(lock: str, package: str, minimum: Version) -> None:
    pin = _lock_pins(ROOT / lock).get(package)
    assert pin is not None, f"{lock}: {package} is missing; lock `streamlit[auth]` so st.login works"
    assert pin.version >= minimum, (
        f"{lock}:{pin.line}: {package} {pin.version} < {minimum}, which streamlit[auth] needs"
    )


def test_pyproject_requires_streamlit_with_auth_from_1_67() -> None:
    with PYPROJECT.open("rb") as handle:
        dependencies: list[str] = tomllib.load(handle)["project"]["dependencies"]
    streamlit = [Requirement(text) for text in dependencies if canonicalize_name(Requirement(text).name) == "streamlit"]
    assert len(streamlit) == 1, f"pyproject.toml: expected one streamlit dependency, found {dependencies}"
    requirement = streamlit[0]
    assert "auth" in requirement.extras, f"pyproject.toml: `{requirement}` lacks the [auth] extra st.login needs"
    assert requirement.specifier.contains("1.67.0"), f"pyproject.toml: `{requirement}` does not admit 1.67.0"
    assert not requirement.specifier.contains("1.66.99"), f"pyproject.toml: `{requirement}` admits a version < 1.67"


# --- (d) secrets stay out of git --------------------------------------------------------------------------------------


def _gitignore_pattern_matches(pattern: str, path: str) -> bool:
    """Whether one .gitignore pattern matches `path` or a folder above it (the forms git documents: anchored with a
    slash, a bare name at any depth, a trailing slash for folders, *, ? and **)."""
    folders_only = pattern.endswith("/")
    pattern = pattern.rstrip("/")
    anchored = "/" in pattern
    pattern = pattern.removeprefix("/")
    parts = path.split("/")
    for depth in range(1, len(parts) + 1):
        candidate = "/".join(parts[:depth])
        if folders_only and depth == len(parts):
            continue
        if anchored:
            if fnmatch.fnmatchcase(candidate, pattern) or (
                pattern.startswith("**/") and fnmatch.fnmatchcase(candidate, pattern.removeprefix("**/"))
            ):
                return True
        elif fnmatch.fnmatchcase(parts[depth - 1], pattern):
            return True
    return False


def gitignore_verdict(lines: list[str], path: str) -> int | None:
    """The 1-based line of .gitignore that ignores `path` (the last matching pattern wins), or None if not ignored."""
    verdict: int | None = None
    for number, raw in enumerate(lines, start=1):
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negated = pattern.startswith("!")
        if _gitignore_pattern_matches(pattern.removeprefix("!"), path):
            verdict = None if negated else number
    return verdict


@pytest.mark.parametrize(
    ("lines", "path", "expected"),
    [
        ([".streamlit/secrets.toml"], ".streamlit/secrets.toml", 1),
        (["/.streamlit/secrets.toml"], ".streamlit/secrets.toml", 1),
        (["secrets.toml"], ".streamlit/secrets.toml", 1),
        (["**/secrets.toml"], ".streamlit/secrets.toml", 1),
        (["# .streamlit/secrets.toml", "data/"], ".streamlit/secrets.toml", None),
        ([".streamlit/secrets.toml", "!.streamlit/secrets.toml"], ".streamlit/secrets.toml", None),
        ([".streamlit/"], ".streamlit/config.toml", 1),
        (["*.toml", "!config.toml"], ".streamlit/config.toml", None),
        (["secrets.toml"], ".streamlit/secrets.toml.example", None),
        (["data/"], "data", None),
    ],
)
def test_the_gitignore_reader(lines: list[str], path: str, expected: int | None) -> None:
    assert gitignore_verdict(lines, path) == expected


def test_gitignore_keeps_the_secrets_out_of_git() -> None:
    lines = GITIGNORE.read_text(encoding="utf-8").splitlines()
    assert gitignore_verdict(lines, ".streamlit/secrets.toml") is not None, (
        f"{_relative(GITIGNORE)}: .streamlit/secrets.toml is not ignored; add the line `.streamlit/secrets.toml`"
    )


@pytest.mark.parametrize("committed", [".streamlit/config.toml", ".streamlit/secrets.toml.example"])
def test_gitignore_keeps_the_committed_config(committed: str) -> None:
    line = gitignore_verdict(GITIGNORE.read_text(encoding="utf-8").splitlines(), committed)
    assert line is None, f"{_relative(GITIGNORE)}:{line}: ignores {committed}, which must be committed"


# --- the example secrets and the hosting guide ------------------------------------------------------------------------


def test_the_example_secrets_load(monkeypatch: pytest.MonkeyPatch) -> None:
    from sources.settings import load_settings  # noqa: PLC0415 - keeps the config checks above free of app imports

    for name in [name for name in os.environ if name.startswith("PILLARS_")]:
        monkeypatch.delenv(name)  # the example alone, not this machine's environment
    with SECRETS_EXAMPLE.open("rb") as handle:
        example = tomllib.load(handle)
    assert "auth" not in example, (
        f"{_relative(SECRETS_EXAMPLE)}: [auth] must stay commented out (local mode by default)"
    )
    settings = load_settings(secrets_table=example["pillars"])
    assert settings.hosted is False
    assert settings.store_url.startswith("sqlite:///")


def _toml_blocks(markdown: str) -> list[tuple[int, str]]:
    """(line of the opening fence, text) of every ```toml block of a Markdown file."""
    blocks: list[tuple[int, str]] = []
    # a block inside a list item is indented: its closing fence has the same indent, its text loses it
    for match in re.finditer(r"^( *)```toml\n(.*?)^\1```", markdown, flags=re.MULTILINE | re.DOTALL):
        blocks.append((markdown.count("\n", 0, match.start()) + 1, textwrap.dedent(match.group(2))))
    return blocks


def _provider_problems(where: str, name: str, provider: dict[str, Any]) -> list[str]:
    """What st.login would reject in one provider table (streamlit/auth_util.py: validate_auth_credentials)."""
    required = ("client_id", "client_secret", "server_metadata_url")
    problems = [f"{where}: [{name}] lacks {key}" for key in required if key not in provider]
    url = str(provider.get("server_metadata_url", ""))
    if url and not (url.startswith("https://") and url.endswith("/.well-known/openid-configuration")):
        problems.append(f"{where}: {name}.server_metadata_url {url!r} is not an https OIDC discovery URL")
    if "_" in name:
        problems.append(f"{where}: provider name {name!r} contains '_', which st.login does not accept")
    return problems


def test_hosting_guide_secrets_blocks_are_what_streamlit_accepts() -> None:
    markdown = HOSTING.read_text(encoding="utf-8")
    blocks = _toml_blocks(markdown)
    assert blocks, f"{_relative(HOSTING)}: no ```toml blocks"
    problems: list[str] = []
    auth_blocks = 0
    for line, text in blocks:
        where = f"{_relative(HOSTING)}:{line}"
        try:
            secrets = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            problems.append(f"{where}: not valid TOML ({error})")
            continue
        auth = secrets.get("auth")
        if not isinstance(auth, dict):
            continue
        auth_blocks += 1
        for key in ("redirect_uri", "cookie_secret"):
            if key not in auth:
                problems.append(f"{where}: [auth] lacks {key}")
        if not str(auth.get("redirect_uri", "")).endswith("/oauth2callback"):
            problems.append(f"{where}: redirect_uri must end with /oauth2callback")
        named = {name: table for name, table in auth.items() if isinstance(table, dict) and name != "client_kwargs"}
        if named:
            for name, provider in named.items():
                problems.extend(_provider_problems(where, f"auth.{name}", provider))
        else:
            problems.extend(_provider_problems(where, "auth", auth))
    assert auth_blocks >= 4, f"{_relative(HOSTING)}: expected [auth] blocks for Google, Entra ID, Okta and several"
    assert not problems, "\n".join(problems)


def test_hosting_guide_proxy_body_limit_covers_the_upload_limit() -> None:
    markdown = HOSTING.read_text(encoding="utf-8")
    limit = _config()["server"]["maxUploadSize"]
    sizes = [
        (markdown.count("\n", 0, match.start()) + 1, int(match.group(1)))
        for match in re.finditer(r"client_max_body_size\s+(\d+)m\s*;", markdown)
    ]
    assert sizes, f"{_relative(HOSTING)}: the nginx example sets no client_max_body_size"
    for line, size in sizes:
        # Streamlit accepts maxUploadSize plus 1 MB of multipart envelope; a smaller proxy limit refuses a full file
        assert size >= limit + 1, f"{_relative(HOSTING)}:{line}: client_max_body_size {size}m < {limit + 1}m"
