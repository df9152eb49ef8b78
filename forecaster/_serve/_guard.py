"""The explorer as a local server: who may use it, from which page, with how much.

Like Jupyter's server, the explorer runs computations for whoever reaches it, so it checks
every request before a route sees it (:class:`Guard`, an ASGI middleware):

- **A token.** ``forecaster serve`` makes a random one (``secrets.token_urlsafe``) and prints
  the address with ``?token=...``. The page opened with it gets a session cookie (HttpOnly,
  SameSite=Strict, signed with a secret of this process), which authorises the page's own
  API calls; a script may send ``?token=`` or ``Authorization: token <token>`` instead. Any
  other request for the page or ``/api/`` is a 403. ``--no-token`` turns this off.
- **The Host header** must name this machine (127.0.0.1, localhost, ::1, or the bound
  address; any port, as an SSH tunnel remaps it): a page of another site that has its name
  re-pointed to 127.0.0.1 (DNS rebinding) sends its own name and gets a 403. A wildcard bind
  (0.0.0.0) cannot know its names: there the token is the guard.
- **The Origin of a POST** (every state-changing request) must be this server's: a form or
  script of another site cannot start or cancel jobs, token or not.
- **A body limit**: a POST larger than :data:`MAX_BODY` bytes is a 413 (read in pieces, so a
  body without a Content-Length is cut too).

A request's *client* (the session of its cookie, else its address) is what the job queue
caps per client, so one page cannot crowd out another's runs (:mod:`._jobs`).
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import ipaddress
import json
import secrets
import socket
import urllib.parse
from typing import Any

from .._errors import ConfigError, EnvironmentFault

#: The largest POST body read (a state is a few hundred bytes).
MAX_BODY = 64 * 1024
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


class TooLarge(Exception):
    """A request body over :data:`MAX_BODY`."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is an address only this machine reaches (127.0.0.0/8, ::1,
    localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_wildcard(host: str) -> bool:
    """Whether ``host`` binds every interface (0.0.0.0, ::, the empty name)."""
    try:
        return not host or ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def _hostname(host_header: str) -> str:
    """The name of a Host header without its port (``[::1]:8050`` -> ``::1``)."""
    text = host_header.strip().lower()
    if text.startswith("["):
        return text[1 : text.find("]")] if "]" in text else text
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


class Guard:
    """The ASGI middleware that checks Host, token and Origin before any route runs.

    ``token`` None: no token asked (``--no-token``). ``host`` is the bound address (its name
    is allowed in Host headers besides the loopback names); ``port`` names the cookie, as
    browsers share cookies between the ports of one host.
    """

    def __init__(self, app: Any, token: str | None, host: str, port: int | None):
        self.app = app
        self.token = token
        self.secret = secrets.token_bytes(32)  # signs session cookies; dies with the process
        self.cookie = f"forecaster-explorer-{port}" if port else "forecaster-explorer"
        self.any_host = is_wildcard(host)
        self.hosts = {*LOOPBACK_NAMES, host.strip("[]").lower()}

    # ------------------------------------------------------------------ sessions and tokens
    def _sign(self, session: str) -> str:
        return hmac.new(self.secret, session.encode(), hashlib.sha256).hexdigest()[:32]

    def new_cookie(self) -> str:
        session = secrets.token_urlsafe(12)
        return f"{session}.{self._sign(session)}"

    def session(self, cookies: dict[str, str]) -> str | None:
        """The session of a valid cookie, else None."""
        session, _, mac = cookies.get(self.cookie, "").partition(".")
        if session and hmac.compare_digest(mac, self._sign(session)):
            return session
        return None

    def token_given(self, query: dict[str, list[str]], headers: dict[str, str]) -> bool:
        """Whether the request carries the right token (``?token=`` or the header)."""
        if self.token is None:
            return False
        given = [*query.get("token", [])]
        scheme, _, value = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "token":
            given.append(value.strip())
        return any(hmac.compare_digest(g.encode(), self.token.encode()) for g in given)

    # ------------------------------------------------------------------------- the checks
    def host_allowed(self, host_header: str) -> bool:
        return self.any_host or _hostname(host_header) in self.hosts

    @staticmethod
    def origin_allowed(origin: str | None, host_header: str) -> bool:
        """A POST's Origin is this server's (``http://<Host>``); none at all is a
        non-browser client (browsers send it on every cross-origin POST)."""
        if origin is None:
            return True
        parsed = urllib.parse.urlsplit(origin)
        return parsed.scheme in ("http", "https") and parsed.netloc.lower() == host_header.lower()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host_header = headers.get("host", "")
        path = scope["path"]
        if not self.host_allowed(host_header):
            await _refuse(send, 403, "Host", "a Host header naming this machine "
                          f"({', '.join(sorted(self.hosts))}); another name is a rebound DNS "
                          "name of another site")  # fmt: skip
            return
        origin = headers.get("origin")
        if scope["method"] == "POST" and not self.origin_allowed(origin, host_header):
            await _refuse(send, 403, "Origin", "a request from this server's own page")
            return
        cookies = _cookies(headers.get("cookie", ""))
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
        session = self.session(cookies)
        with_token = self.token_given(query, headers)
        guarded = path == "/" or path.startswith("/api/")
        if guarded and self.token is not None and session is None and not with_token:
            await _refuse(send, 403, "token", "the address forecaster serve printed (it ends "
                          "?token=...), or the header Authorization: token <token>")  # fmt: skip
            return
        client = scope.get("client") or ("?", 0)
        scope["forecaster"] = {
            "client": f"session:{session}" if session else f"address:{client[0]}",
            "new_cookie": None if session else self.new_cookie(),
            "cookie_name": self.cookie,
        }
        await self.app(scope, receive, send)


def _cookies(text: str) -> dict[str, str]:
    out = {}
    for part in text.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out[name] = value
    return out


async def _refuse(send: Any, status: int, field: str, allowed: str) -> None:
    body = json.dumps({"field": field, "message": f"{field}: refused; allowed: {allowed}"})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }  # fmt: skip
    )
    await send({"type": "http.response.body", "body": body.encode()})


async def read_body(receive: Any, limit: int = MAX_BODY) -> bytes:
    """A request's body, read in pieces; :class:`TooLarge` past ``limit`` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def loads(field: str, text: str | bytes) -> Any:
    """JSON from a page: a ConfigError naming ``field`` for text that is not JSON or nests
    deeper than Python's parser goes (a RecursionError is the client's mistake, not ours)."""
    shown = text[:40] if isinstance(text, str) else "(request body)"
    try:
        return json.loads(text)
    except RecursionError:
        raise ConfigError(field, shown, "a JSON object nested a few levels, not hundreds") from None
    except ValueError:
        raise ConfigError(field, shown, "a JSON object") from None


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``: one line for a port in use (exit 1) or an address
    that is not this machine's (exit 2), instead of the server's traceback."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                   flags=socket.AI_PASSIVE)  # fmt: skip
    except socket.gaierror:
        raise ConfigError("--host", host, "an address or name of this machine") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise EnvironmentFault(
                f"port {port} on {host} is in use (stop what serves it, or choose another: "
                "--port N)"
            ) from None
        if err.errno == errno.EACCES:
            raise EnvironmentFault(
                f"port {port} on {host} needs privileges (choose a port above 1023)"
            ) from None
        if err.errno == errno.EADDRNOTAVAIL:
            raise ConfigError("--host", host, "an address of this machine") from None
        raise
    sock.setblocking(False)
    return sock
