"""Parse `--secret id=..,src=..|env=..` (Cog's syntax; `type=file|env` optional)."""

from __future__ import annotations

from pathlib import Path

from cog_py.build.plan import SecretSpec
from cog_py.errors import BuildError


def parse_secret(text: str, project_dir: Path) -> SecretSpec:
    """One `--secret` value; a relative `src` is resolved against the project directory."""
    fields: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise BuildError(f"invalid --secret {text!r}: expected key=value pairs")
        key = key.lower()
        if key in ("source",):
            key = "src"
        if key not in ("id", "src", "env", "type"):
            raise BuildError(f"invalid --secret {text!r}: unexpected key '{key}'",
                             hint="Use id=NAME,src=FILE or id=NAME,env=VARIABLE.")
        fields[key] = value
    if not fields.get("id"):
        raise BuildError(f"invalid --secret {text!r}: id is required")
    kind = fields.get("type")
    if kind not in (None, "file", "env"):
        raise BuildError(f"invalid --secret {text!r}: type must be file or env")
    if "src" in fields and "env" in fields:
        raise BuildError(f"invalid --secret {text!r}: give src or env, not both")
    if kind == "env" or ("env" in fields):
        return SecretSpec(id=fields["id"], env=fields.get("env") or fields.get("src") or fields["id"])
    src = fields.get("src") or fields["id"]
    path = Path(src)
    if not path.is_absolute():
        path = project_dir / path
    if not path.is_file():
        raise BuildError(f"--secret {fields['id']}: file not found: {path}")
    return SecretSpec(id=fields["id"], src=str(path))


def cli_form(spec: SecretSpec) -> str:
    """The `--secret` argument for the docker CLI."""
    if spec.env is not None:
        return f"id={spec.id},env={spec.env}"
    return f"id={spec.id},src={spec.src}"
