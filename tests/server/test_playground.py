"""GET /playground in the model's server: plain ASGI, files read on first request, COG_PLAYGROUND=0 off."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

from cog_py.server.ops import ColdRoutes
from cog_py.server.runner import Runner
from cog_py.server.settings import Settings
from tests.server.conftest import REPO


async def _call(app: Any, method: str, path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "http", "method": method, "path": path, "headers": []}, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


def _cold_routes(settings: Settings, built: list[str]) -> ColdRoutes:
    async def framework(scope: Any, receive: Any, send: Any) -> None:
        built.append(scope["path"])
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return ColdRoutes(Runner(settings, schema=None), lambda: None, build_framework=lambda: framework)


def test_the_page_and_its_assets_never_build_the_framework() -> None:
    async def main() -> None:
        built: list[str] = []
        app = _cold_routes(Settings(), built)
        status, headers, body = await _call(app, "GET", "/playground")
        assert status == 200 and headers[b"content-type"].startswith(b"text/html") and b"<form" in body
        for path, kind in (("/playground/app.js", b"text/javascript"), ("/playground/style.css", b"text/css"),
                           ("/playground/config.json", b"application/json")):
            status, headers, body = await _call(app, "GET", path)
            assert status == 200 and headers[b"content-type"].startswith(kind), path
            assert int(headers[b"content-length"]) == len(body) > 0
        status, _, body = await _call(app, "HEAD", "/playground")
        assert status == 200 and body == b""
        assert built == []
        assert (await _call(app, "GET", "/playground/nope"))[0] == 404   # not ours: the framework's 404
        assert (await _call(app, "GET", "/playgroundx"))[0] == 404
        assert built == ["/playground/nope", "/playgroundx"]

    asyncio.run(main())


def test_cog_playground_0_turns_it_off() -> None:
    async def main() -> None:
        built: list[str] = []
        app = _cold_routes(Settings(playground=False), built)
        assert (await _call(app, "GET", "/playground"))[0] == 404
        assert built == ["/playground"]

    asyncio.run(main())


def test_serving_the_page_imports_nothing_heavy() -> None:
    code = (
        "import asyncio, sys\n"
        "from cog_py.server.ops import ColdRoutes\n"
        "from cog_py.server.runner import Runner\n"
        "from cog_py.server.settings import Settings\n"
        "before = set(sys.modules)\n"
        "sent = []\n"
        "async def send(m): sent.append(m)\n"
        "async def receive(): return {'type': 'http.request', 'body': b''}\n"
        "app = ColdRoutes(Runner(Settings(), schema=None), lambda: None)\n"
        "for p in ('/playground', '/playground/app.js', '/playground/config.json'):\n"
        "    asyncio.run(app({'type': 'http', 'method': 'GET', 'path': p, 'headers': []}, receive, send))\n"
        "assert [m['status'] for m in sent if 'status' in m] == [200, 200, 200], sent\n"
        "new = sorted(m for m in set(sys.modules) - before if not m.startswith('cog_py.playground'))\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'pydantic', 'starlette', 'jinja2')]\n"
        "assert not heavy, heavy\n"
        "print(new)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO,
                         env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr


def test_a_real_server_serves_the_page_with_its_request_limit(make_server: Any) -> None:
    server = make_server("hello.py:Predictor", env={"COG_MAX_REQUEST_BYTES": "12345"})
    page = server.get("/playground")
    assert page.status_code == 200 and "Cog playground" in page.text
    assert server.get("/playground/config.json").json() == {
        "mode": "container", "max_request_bytes": 12345, "target": None, "webhook_url": None,
        "webhook_events_url": None}
    off = make_server("hello.py:Predictor", env={"COG_PLAYGROUND": "0"})
    assert off.get("/playground").status_code == 404
    assert off.get("/playground/app.js").status_code == 404
