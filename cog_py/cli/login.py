"""`cog login [REGISTRY]`: check credentials with the registry and store them for Docker."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from cog_py.cli import console

HELP = """Log in to a container registry.

REGISTRY defaults to $COG_REGISTRY_HOST, else r8.im. The credentials are checked with the registry and stored in the Docker config file (or its credential store), where docker and cog find them.
"""


def login(
    registry: Annotated[Optional[str], typer.Argument(metavar="REGISTRY", help="Registry host, e.g. localhost:5000.",
                        show_default=False)] = None,
    username: Annotated[Optional[str], typer.Option("-u", "--username", help="User name.")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
    token_stdin: Annotated[bool, typer.Option("--token-stdin", help="Read an access token from stdin.")] = False,
) -> None:
    from cog_py.docker.registry import check_credentials, registry_host, store_credentials, verify_login
    from cog_py.errors import CogError, DockerError
    from cog_py.predict.local import docker_client

    host = registry_host(registry)
    if password_stdin and token_stdin:
        raise CogError("Use only one of --password-stdin and --token-stdin")
    if not username:
        if token_stdin and host == "r8.im":
            raise CogError("Logging in to r8.im with a token needs --username (Replicate's token exchange is not supported)")
        username = typer.prompt("Username")
    if password_stdin or token_stdin:
        secret = sys.stdin.read().rstrip("\r\n")
    else:
        secret = typer.prompt("Password", hide_input=True)
    if not secret:
        raise CogError("The password is empty")
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


def register(app: typer.Typer) -> None:
    app.command("login", help=HELP, short_help="Log in to a container registry.")(login)
