"""A local Google Sheets v4 API (and OAuth token endpoint) over real HTTP, serving whatever grid a test gives it."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit, urlunsplit

import gspread
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from google.auth.credentials import Credentials
from requests.adapters import HTTPAdapter

# Google's own error bodies (tests/fixtures/sheets-api-recordings/ holds the recorded originals)
_STATUS = {
    400: "INVALID_ARGUMENT",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}
_MESSAGE = {
    403: "The caller does not have permission",
    404: "Requested entity was not found.",
    429: "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' of service "
    "'sheets.googleapis.com'.",
    500: "Internal error encountered.",
    503: "The service is currently unavailable.",
}


def error_body(code: int, message: str | None = None) -> dict[str, Any]:
    """The JSON body Google sends with an error status."""
    return {"error": {"code": code, "message": message or _MESSAGE.get(code, "Error"), "status": _STATUS[code]}}


def column_letter(number: int) -> str:
    """1 → A, 27 → AA: a column's A1 name."""
    letters = ""
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


@dataclass
class Spreadsheet:
    """A spreadsheet the server knows: its title and worksheets (title → grid of typed cells, row by row)."""

    title: str
    worksheets: dict[str, list[list[Any]]]
    private: bool = False


@dataclass
class Fault:
    """A scripted failure for the next request to the Sheets API: an HTTP status, or a delay (a timeout)."""

    status: int | None = None
    delay: float = 0.0


@dataclass
class SheetsApi:
    """The server's state: spreadsheets by key, scripted faults, the service account's public key, a request log."""

    spreadsheets: dict[str, Spreadsheet] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    public_key: rsa.RSAPublicKey | None = None
    requests: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, *faults: Fault) -> None:
        """Make the next requests fail, one fault per request, in order."""
        with self.lock:
            self.faults.extend(faults)

    def sheets_requests(self) -> list[str]:
        """The Sheets API requests received so far (token requests left out)."""
        with self.lock:
            return [path for path in self.requests if path.startswith("GET /v4/")]

    def _next_fault(self) -> Fault | None:
        with self.lock:
            return self.faults.pop(0) if self.faults else None


def metadata(key: str, sheet: Spreadsheet) -> dict[str, Any]:
    """The spreadsheet resource as `GET /v4/spreadsheets/{id}?includeGridData=false` returns it."""
    return {
        "spreadsheetId": key,
        "properties": {
            "title": sheet.title,
            "locale": "en_US",
            "autoRecalc": "ON_CHANGE",
            "timeZone": "Etc/GMT",
        },
        "sheets": [
            {
                "properties": {
                    "sheetId": index,
                    "title": title,
                    "index": index,
                    "sheetType": "GRID",
                    "gridProperties": {
                        "rowCount": max(1000, len(grid)),
                        "columnCount": max(26, *(len(row) for row in grid), 0) if grid else 26,
                    },
                }
            }
            for index, (title, grid) in enumerate(sheet.worksheets.items())
        ],
        "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{key}/edit",
    }


def values_range(title: str, grid: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """A values read of a whole worksheet: trailing empty cells and rows left out, as the API does."""
    rows = [_trimmed(row) for row in grid]
    while rows and not rows[-1]:
        rows.pop()
    if not rows:
        return {"range": f"{_quoted(title)}!A1:Z1000", "majorDimension": "ROWS"}
    width = max(len(row) for row in rows)
    return {
        "range": f"{_quoted(title)}!A1:{column_letter(width)}{len(rows)}",
        "majorDimension": "ROWS",
        "values": rows,
    }


def _trimmed(row: Sequence[Any]) -> list[Any]:
    cells = list(row)
    while cells and cells[-1] in ("", None):
        cells.pop()
    return ["" if cell is None else cell for cell in cells]


def _quoted(title: str) -> str:
    return title if re.fullmatch(r"\w+", title) else "'" + title.replace("'", "''") + "'"


def _sheet_name(range_text: str) -> str:
    name = range_text.split("!", maxsplit=1)[0] if "!" in range_text else range_text
    if name.startswith("'") and name.endswith("'"):
        name = name[1:-1].replace("''", "'")
    return name


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        api = self.server.api
        with api.lock:
            api.requests.append(f"POST {self.path}")
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        if urlsplit(self.path).path != "/token" or not self._valid_assertion(form.get("assertion", [""])[0]):
            self._send(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
            return
        self._send(200, {"access_token": "local-access-token", "expires_in": 3599, "token_type": "Bearer"})

    def _valid_assertion(self, assertion: str) -> bool:
        """Check the service account's signed JWT (RS256) with its public key, as Google does."""
        public_key = self.server.api.public_key
        parts = assertion.split(".")
        if public_key is None or len(parts) != 3:
            return False
        try:
            public_key.verify(
                _b64decode(parts[2]), f"{parts[0]}.{parts[1]}".encode(), padding.PKCS1v15(), hashes.SHA256()
            )
        except Exception:  # any failure to verify is an invalid grant
            return False
        claims = json.loads(_b64decode(parts[1]))
        return "spreadsheets.readonly" in claims.get("scope", "")

    def do_GET(self) -> None:
        api = self.server.api
        with api.lock:
            api.requests.append(f"GET {self.path}")
        if self.headers.get("Authorization") != "Bearer local-access-token":
            self._send(
                401,
                {
                    "error": {
                        "code": 401,
                        "message": "Request is missing valid credentials.",
                        "status": "UNAUTHENTICATED",
                    }
                },
            )
            return
        fault = api._next_fault()
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status is not None:
                self._send(fault.status, error_body(fault.status))
                return
        parts = urlsplit(self.path)
        match = re.fullmatch(r"/v4/spreadsheets/([^/]+)(?:/values/(.+))?", parts.path)
        if match is None:
            self._send(404, error_body(404))
            return
        key, range_text = match.group(1), match.group(2)
        sheet = api.spreadsheets.get(key)
        if sheet is None:
            self._send(404, error_body(404))
            return
        if sheet.private:
            self._send(403, error_body(403))
            return
        if range_text is None:
            self._send(200, metadata(key, sheet))
            return
        name = _sheet_name(unquote(range_text))
        if name not in sheet.worksheets:
            self._send(400, error_body(400, f"Unable to parse range: {unquote(range_text)}"))
            return
        self._send(200, values_range(name, sheet.worksheets[name]))

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a timeout test)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, api: SheetsApi) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.api = api


@dataclass
class LocalSheets:
    """A running local Sheets API: its base URL, state, and a service account whose token_uri points at it."""

    base_url: str
    api: SheetsApi
    service_account: dict[str, str]

    def add(self, key: str, title: str, worksheets: dict[str, list[list[Any]]], *, private: bool = False) -> None:
        """Serve a spreadsheet under ``key``."""
        self.api.spreadsheets[key] = Spreadsheet(title, worksheets, private)

    def http_client(self) -> type[gspread.HTTPClient]:
        """A gspread HTTPClient class whose session sends every Google API request to this server."""
        base = self.base_url

        class LocalHTTPClient(gspread.HTTPClient):
            def __init__(self, auth: Credentials, session: requests.Session | None = None) -> None:
                super().__init__(auth, session)
                self.session.mount("https://", HostRewritingAdapter(base))

        return LocalHTTPClient


class HostRewritingAdapter(HTTPAdapter):
    """A requests adapter that sends a request to ``base`` (scheme and host) instead, keeping its path and query."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self._base = urlsplit(base)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        url = urlsplit(request.url or "")
        request.url = urlunsplit((self._base.scheme, self._base.netloc, url.path, url.query, url.fragment))
        return super().send(request, *args, **kwargs)


def service_account_info(token_uri: str) -> tuple[dict[str, str], rsa.RSAPublicKey]:
    """A real service-account JSON with a freshly generated RSA key, and its public key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "pillars-test",
        "private_key_id": "0123456789abcdef",
        "private_key": pem,
        "client_email": "pillars-reader@pillars-test.iam.gserviceaccount.com",
        "client_id": "100000000000000000001",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
    }
    return info, key.public_key()


def serve() -> Iterator[LocalSheets]:
    """Run a local Sheets API on a free loopback port until the generator is closed."""
    api = SheetsApi()
    server = _Server(api)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    info, public_key = service_account_info(f"{base}/token")
    api.public_key = public_key
    try:
        yield LocalSheets(base, api, info)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
