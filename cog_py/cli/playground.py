"""`cog playground`: a web page to try a running model, on a local server that proxies to it."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from cog_py.cli import console

HELP = """Open a web page to try a running model.

Serves a page built from the model's OpenAPI schema on http://HOST:PORT/playground, forwards every other request to the model at --target (so the browser talks to one origin), and hosts a webhook sink whose deliveries the page shows live. Works with any server that speaks Cog's HTTP API: 'cog serve', a model's image, or Cog's own runtime. Runs until Ctrl-C.
"""


def playground(
    target: Annotated[str, typer.Option("--target", metavar="URL",
                      help="The running model's HTTP address.")] = "http://localhost:8393",
    port: Annotated[int, typer.Option("-p", "--port", help="Port to serve the page on (0: a free port).")] = 0,
    host: Annotated[str, typer.Option("--host", help="Interface to bind (only loopback clients are answered).")]
    = "127.0.0.1",
    webhook_host: Annotated[Optional[str], typer.Option("--webhook-host", metavar="HOST",
                            help="Host name the model uses to reach the webhook sink (default: --host).")] = None,
    no_open: Annotated[bool, typer.Option("--no-open", help="Do not open the page in a browser.")] = False,
) -> None:
    from cog_py.playground.proxy import start

    try:
        server = start(target, host=host, port=port, webhook_host=webhook_host)
    except OSError as exc:
        from cog_py.errors import CogError

        raise CogError(f"cannot serve on {host}:{port}: {exc.strerror or exc}",
                       hint="Choose another port with -p (0 picks a free one).") from exc
    url = f"{server.url}/playground"
    console.info(f"Playground on {url}, proxying to {server.target.url} (webhooks: {server.webhook_url}). "
                 "Press Ctrl-C to stop.")
    console.output(url)
    if not no_open:
        import webbrowser

        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.sink.close()
        server.server_close()


def register(app: typer.Typer) -> None:
    app.command("playground", help=HELP, short_help="Open a web page to try a running model.")(playground)
