"""`cog push [IMAGE]`: build the release image and push it to a registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from cog_py.cli import console
from cog_py.cli.options import DEFAULT_CONFIG_FILE, ConfigFileOption

HELP = """Build and push the model's image to a Docker registry.

IMAGE defaults to `image:` in cog.yaml. Log in first with `cog login REGISTRY`.
"""


def push(
    image: Annotated[Optional[str], typer.Argument(metavar="IMAGE", help="Where to push, e.g. registry.example.com/you/model.",
                     show_default=False)] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Do not use the build cache.")] = False,
    secret: Annotated[list[str], typer.Option("--secret", metavar="id=ID,src=PATH",
                      help="A build secret (repeatable).")] = [],  # noqa: B006
    file: ConfigFileOption = DEFAULT_CONFIG_FILE,
) -> None:
    from cog_py.predict.push import PushOptions
    from cog_py.predict.push import push as push_model

    ref = push_model(PushOptions(image=image, config_file=file, no_cache=no_cache, secrets=tuple(secret),
                                 cwd=Path.cwd()), console)
    console.success("Image pushed")
    console.info(f"  image  {ref}")


def register(app: typer.Typer) -> None:
    app.command("push", help=HELP, short_help="Build and push the model's image.")(push)
