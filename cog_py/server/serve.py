"""Running the app on uvicorn: uvloop + httptools, no proxy headers, no access log, no ticks.

uvicorn's own main loop wakes ten times a second and re-raises captured signals on the way
out (which would turn a graceful SIGTERM into exit code 143); this subclass waits on an event
instead and owns the signals, so an idle server uses no CPU and a drained one exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib.util
import logging
import signal
from typing import Iterator

from cog_py.server import uvicorn_lite as uvicorn   # uvicorn.Config/Server without its package init (click...)
from cog_py.server.app import Lifecycle, create_app
from cog_py.server.limits import protocol_class
from cog_py.server.settings import Settings
from cog_py.server.supervisor import Spawned

log = logging.getLogger("cog_py.server")


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle, settings: Settings) -> None:
        super().__init__(config)
        self.lifecycle = lifecycle
        self.settings = settings
        self._exit: asyncio.Event | None = None
        self._sigints = 0

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield   # installed on the loop in main_loop()

    async def main_loop(self) -> None:
        gc.freeze()   # start-up's objects (modules, the app) are never scanned again
        gc.enable()   # disabled by __main__ for the start-up
        loop = asyncio.get_running_loop()
        self._exit = asyncio.Event()
        self.server_state.default_headers = list(self.config.encoded_headers)
        self.lifecycle.exit = self._exit.set
        loop.add_signal_handler(signal.SIGTERM, self._on_sigterm)
        loop.add_signal_handler(signal.SIGINT, self._on_sigint)
        await self._exit.wait()
        loop.remove_signal_handler(signal.SIGTERM)
        loop.remove_signal_handler(signal.SIGINT)

    def _on_sigterm(self) -> None:
        if self.settings.await_explicit_shutdown:
            log.info("SIGTERM ignored (--await-explicit-shutdown): POST /shutdown to stop")
            return
        self.lifecycle.request_shutdown()

    def _on_sigint(self) -> None:
        self._sigints += 1
        if self._sigints > 1:
            self.force_exit = True
            if self._exit is not None:
                self._exit.set()
            return
        self.lifecycle.request_shutdown()


def serve(settings: Settings, spawned: Spawned | None = None) -> int:
    """Serve until shut down; return the exit status."""
    app, lifecycle = create_app(settings, spawned)
    has_uvloop = importlib.util.find_spec("uvloop") is not None
    has_httptools = importlib.util.find_spec("httptools") is not None
    protocol = protocol_class("httptools" if has_httptools else "h11", settings.header_timeout)
    if has_httptools:
        from cog_py.server.quick import with_quick_path

        protocol = with_quick_path(protocol, app, settings.max_request_bytes, settings.header_timeout)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="uvloop" if has_uvloop else "asyncio",
        http=protocol,
        lifespan="on",
        ws="none",   # no websocket routes: nothing of websockets/wsproto imported
        access_log=False,
        proxy_headers=False,
        server_header=False,
        date_header=False,
        log_config=None,
        timeout_graceful_shutdown=5,
    )
    server = _Server(config, lifecycle, settings)
    server.run()
    return 0
