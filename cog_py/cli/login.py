"""`cog login [REGISTRY]`: check credentials with the registry and store them for Docker."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from cog_py.cli import console

HELP = """Log in to a container registry.

REGISTRY defaults to $COG_REGISTRY_HOST, else r8.im. The credentials are checked with the registry and stored in the Docker config file (or its credential store), where docker and cog find them.

For r8.im (Replicate) you log in with your CLI auth token: pasted when asked, or with --token-stdin; Replicate says which user it belongs to. Other registries take a username and password (--password-stdin to read it from stdin).
"""


def login(
    registry: Annotated[Optional[str], typer.Argument(metavar="REGISTRY", help="Registry host, e.g. localhost:5000.",
                        show_default=False)] = None,
    username: Annotated[Optional[str], typer.Option("-u", "--username", help="User name.")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    token_stdin: Annotated[bool, typer.Option("--token-stdin", help="Read an access token from stdin.")] = False,
) -> None:
    from cog_py.docker.registry import check_credentials, registry_host, store_credentials, verify_login
    from cog_py.docker.replicate import is_replicate
    from cog_py.errors import CogError, DockerError, UsageError
    from cog_py.run.local import docker_client

    host = registry_host(registry)
    if password_stdin and token_stdin:
        raise UsageError("Use only one of --password-stdin and --token-stdin")
    if is_replicate(host):
        if password_stdin:
            raise UsageError(f"{host} takes a CLI auth token, not a password",
                           hint="Pipe the token to `cog login --token-stdin`, or run `cog login` and paste it.")
        _replicate_login(host, username, token_stdin)
        return
    if not username:
        username = typer.prompt("Username")
    if password_stdin or token_stdin:
        secret = sys.stdin.read().rstrip("\r\n")
    else:
        secret = typer.prompt("Password", hide_input=True)
    if not secret:
        raise UsageError("The password is empty")
    try:
        client = docker_client()
    except DockerError:
        console.debug("No Docker engine answers: checking the credentials with the registry directly")
        check_credentials(host, username, secret)
    else:
        verify_login(client, host, username, secret)
    path = store_credentials(host, username, secret)
    console.debug(f"Credentials stored via {path}")
    console.success(f"Login succeeded for {host}")


def _replicate_login(host: str, username: str | None, token_stdin: bool) -> None:
    """Replicate's flow: the token is verified by Replicate, which names its user."""
    from cog_py.docker.registry import store_credentials
    from cog_py.docker.replicate import token_url, verify_token

    if token_stdin:
        token = sys.stdin.read().strip()
    else:
        url = token_url(host)
        console.info(f"This command will authenticate Docker with Replicate's '{host}' Docker registry. "
                     "You will need a Replicate account.")
        typer.prompt("Hit enter to get started. A browser will open with an authentication token that you need "
                     "to paste here", default="", show_default=False, prompt_suffix=".\n", err=True)
        console.info(f"If it doesn't open automatically, open this URL in your web browser:\n{url}")
        _open_browser(url)
        token = typer.prompt("CLI auth token", hide_input=True, err=True).strip()
    user = verify_token(host, token)
    if username and username != user:
        console.warn(f"The token belongs to {user}, not {username}: logging in as {user}")
    path = store_credentials(host, user, token)
    console.debug(f"Credentials stored via {path}")
    console.success(f"You've successfully authenticated as {user}! You can now use the '{host}' registry.")


def _open_browser(url: str) -> None:
    """Open the URL where a desktop can show it; on a headless Linux box (ssh, CI) only print
    it: Python's webbrowser would fall back to a text browser taking over this terminal."""
    import os
    import webbrowser

    headless = sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if headless and not os.environ.get("BROWSER"):
        return
    try:
        webbrowser.open(url)
    except Exception:  # noqa: BLE001 - the URL was printed; a browser is a convenience
        console.debug("Could not open a browser")


def register(app: typer.Typer) -> None:
    app.command("login", help=HELP, short_help="Log in to a container registry.")(login)
