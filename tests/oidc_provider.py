"""A local OpenID Connect provider for login tests: `oidc-provider-mock` served from a thread on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import werkzeug.serving

with warnings.catch_warnings():
    # The mock imports Authlib modules that Authlib itself has deprecated (authlib.jose, its httpx client). Authlib
    # turns its own warnings on when first imported, so import that first, then silence them for the mock's import.
    import authlib.deprecate  # type: ignore[import-untyped]

    warnings.simplefilter("ignore", authlib.deprecate.AuthlibDeprecationWarning)
    from oidc_provider_mock import app as provider_app  # type: ignore[import-untyped]


@dataclass(frozen=True)
class OidcProvider:
    """A running provider and the one client registered with it (the app under test)."""

    url: str
    client_id: str
    client_secret: str

    @property
    def discovery_url(self) -> str:
        """The provider's metadata document, Streamlit's `server_metadata_url`."""
        return f"{self.url}/.well-known/openid-configuration"


def register_client(provider_url: str, redirect_uri: str) -> tuple[str, str]:
    """Register a client through the provider's dynamic registration endpoint; returns (client_id, client_secret).

    Registration makes the provider check what a real one checks: the redirect URI, and the secret the app sends
    to the token endpoint (Authlib's default, client_secret_basic).
    """
    request = urllib.request.Request(
        f"{provider_url}/oauth2/clients",
        data=json.dumps({"redirect_uris": [redirect_uri]}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        registered = json.loads(response.read())
    return str(registered["client_id"]), str(registered["client_secret"])


@contextmanager
def running_provider(redirect_uri: str) -> Iterator[OidcProvider]:
    """Serve a provider on a free port of 127.0.0.1 from a background thread, with a client for `redirect_uri`.

    It signs real RS256 ID tokens with a key made at start and publishes it at /jwks. Its sign-in page takes any
    subject ("sub"), and the e-mail claim it issues is that subject, so a test signs in as an address by typing it.
    Only registered clients are accepted, so a wrong client id, secret or redirect URI fails as it would in production.
    """
    wsgi_app = provider_app(require_client_registration=True, require_nonce=True)
    server = werkzeug.serving.make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        client_id, client_secret = register_client(url, redirect_uri)
        yield OidcProvider(url=url, client_id=client_id, client_secret=client_secret)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
