"""`cog playground`: serve the page, forward everything else to a running model, host a webhook sink.

One origin for the browser: `/playground...` is ours, every other path goes to the target
(so CORS never matters and the page's requests are the same as against the model's own
server). The model's webhooks are POSTed to `/playground/webhook`; the page listens to
`/playground/webhook/events` (Server-Sent Events) and sees every delivery as it arrives.

Standard library only: a threading HTTP server (one thread per connection, so a streamed
response or a long synchronous prediction never blocks the others) and http.client upstream.
Only loopback clients may use the page and the proxy; the webhook sink takes deliveries from
anywhere (a model in a container is not on the loopback interface).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cog_py.playground import assets

WEBHOOK_PATH = "/playground/webhook"
EVENTS_PATH = "/playground/webhook/events"
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
              "transfer-encoding", "upgrade", "host", "content-length"}
UPSTREAM_TIMEOUT_S = 3600.0      # a synchronous prediction may run for a long time
KEEPALIVE_S = 15.0
MAX_WEBHOOK_BYTES = 64 * 1024 * 1024
HISTORY = 1000                    # webhook deliveries kept for a page that connects late


class WebhookSink:
    """The deliveries received so far, and a condition the event streams wait on."""

    def __init__(self, capacity: int = HISTORY) -> None:
        self.capacity = capacity
        self.events: list[dict[str, Any]] = []
        self.first = 0            # the sequence number of events[0]
        self.closed = False
        self.cond = threading.Condition()

    def add(self, body: Any, headers: dict[str, str]) -> int:
        with self.cond:
            seq = self.first + len(self.events)
            self.events.append({"seq": seq, "received_at": time.time(), "body": body,
                                "user_agent": headers.get("user-agent", "")})
            if len(self.events) > self.capacity:
                del self.events[0]
                self.first += 1
            self.cond.notify_all()
            return seq

    def after(self, seq: int, timeout: float) -> list[dict[str, Any]] | None:
        """Events with a sequence number >= seq (waiting up to `timeout` for one); None once closed."""
        with self.cond:
            if self.first + len(self.events) <= seq and not self.closed:
                self.cond.wait(timeout)
            if self.closed:
                return None
            start = max(0, seq - self.first)
            return self.events[start:]

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()


@dataclass
class Target:
    """The model's server, from --target (http://host:port)."""

    url: str
    host: str = field(init=False)
    port: int = field(init=False)
    base_path: str = field(init=False)

    def __post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.url if "://" in self.url else "http://" + self.url)
        if parts.scheme != "http" or not parts.hostname:
            from cog_py.errors import CogError

            raise CogError(f"--target {self.url!r} is not an http://HOST[:PORT] address",
                             hint="Pass the address of a running model, e.g. --target http://localhost:8393.")
        self.url = f"http://{parts.netloc}{parts.path.rstrip('/')}"
        self.host = parts.hostname
        self.port = parts.port or 80
        self.base_path = parts.path.rstrip("/")

    def connect(self, timeout: float = UPSTREAM_TIMEOUT_S) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def request_limit(self) -> int:
        """The target's request size limit, when it is a cog_py server that says; else the default."""
        try:
            conn = self.connect(timeout=5)
            try:
                conn.request("GET", self.base_path + "/playground/config.json")
                response = conn.getresponse()
                body = response.read()
            finally:
                conn.close()
            if response.status == 200:
                value = json.loads(body).get("max_request_bytes")
                if isinstance(value, int) and value > 0:
                    return value
        except (OSError, ValueError, http.client.HTTPException):
            pass
        return assets.DEFAULT_MAX_REQUEST_BYTES


class PlaygroundServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], target: Target, webhook_host: str | None = None) -> None:
        super().__init__(address, Handler)
        self.target = target
        self.sink = WebhookSink()
        self.port = int(self.server_address[1])
        host = webhook_host or _reachable(address[0])
        self.webhook_url = f"http://{_bracket(host)}:{self.port}{WEBHOOK_PATH}"
        self.max_request_bytes = target.request_limit()

    @property
    def url(self) -> str:
        return f"http://{_bracket(_reachable(str(self.server_address[0])))}:{self.port}"

    def config(self) -> bytes:
        return assets.config(mode="proxy", max_bytes=self.max_request_bytes, target=self.target.url,
                             webhook_url=self.webhook_url, webhook_events_url=EVENTS_PATH)

    def stop(self) -> None:
        self.sink.close()
        self.shutdown()
        self.server_close()


def _reachable(host: str) -> str:
    return "127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class Handler(BaseHTTPRequestHandler):
    server: PlaygroundServer
    protocol_version = "HTTP/1.0"     # one request per connection; streamed bodies end at close
    server_version = "cog-playground"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        pass

    # -- dispatch ---------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._route()

    def do_HEAD(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def do_PUT(self) -> None:
        self._route()

    def do_DELETE(self) -> None:
        self._route()

    def do_OPTIONS(self) -> None:
        self._route()

    def _route(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path == WEBHOOK_PATH and self.command == "POST":
            self._webhook()
            return
        if not _loopback(self.client_address[0]):
            self._send(403, b'{"error": "cog playground answers only on this machine (loopback clients)"}')
            return
        if self.command in ("GET", "HEAD"):
            if path == "/":
                self.send_response(302)
                self.send_header("Location", "/playground")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if path == "/playground/config.json":
                self._send(200, self.server.config())
                return
            if path == EVENTS_PATH:
                self._events()
                return
            found = assets.asset(path)
            if found is not None:
                self._send(200, found[0], found[1].decode())
                return
        self._forward()

    # -- ours -------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _body(self, limit: int | None = None) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        if limit is not None and length > limit:
            raise ValueError(f"body of {length} bytes is over {limit}")
        return self.rfile.read(length) if length > 0 else b""

    def _webhook(self) -> None:
        try:
            raw = self._body(MAX_WEBHOOK_BYTES)
            body: Any = json.loads(raw) if raw else None
        except ValueError as exc:
            self._send(400, json.dumps({"error": f"not a JSON webhook: {exc}"}).encode())
            return
        self.server.sink.add(body, {k.lower(): v for k, v in self.headers.items()})
        self._send(200, b"{}")

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        seq = 0
        try:
            while True:
                events = self.server.sink.after(seq, KEEPALIVE_S)
                if events is None:
                    return
                if not events:
                    self.wfile.write(b": keep-alive\n\n")
                for event in events:
                    self.wfile.write(b"data: " + json.dumps(event).encode() + b"\n\n")
                    seq = event["seq"] + 1
                self.wfile.flush()
        except OSError:  # the page went away
            return

    # -- theirs -----------------------------------------------------------------------------
    def _forward(self) -> None:
        target = self.server.target
        try:
            body = self._body()
        except ValueError:
            self._send(400, b'{"error": "invalid Content-Length"}')
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if body or self.command in ("POST", "PUT"):
            headers["Content-Length"] = str(len(body))
        conn = target.connect()
        try:
            try:
                conn.request(self.command, target.base_path + self.path, body=body or None, headers=headers)
                response = conn.getresponse()
            except (OSError, http.client.HTTPException) as exc:
                self._send(502, json.dumps({"error": f"cannot reach the model at {target.url}: {exc}"}).encode())
                return
            self.send_response(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP - {"content-length"} and name.lower() not in ("server", "date"):
                    self.send_header(name, value)
            self.end_headers()
            if self.command == "HEAD":
                return
            try:
                while True:
                    chunk = response.read1(65536)
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except OSError:  # either side went away: closing upstream tells the model
                return
        finally:
            conn.close()


def start(target: str, host: str = "127.0.0.1", port: int = 0, webhook_host: str | None = None) -> PlaygroundServer:
    """Bind the playground server (serve it with serve_forever(); stop it with stop())."""
    return PlaygroundServer((host, port), Target(target), webhook_host)
