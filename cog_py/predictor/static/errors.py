"""Errors of the static (ast) inspector. Standard library only.

`StaticSchemaUnresolved` is not the user's fault: the source is valid Python whose types or
defaults only an import can tell (a type from an installed package, a default computed at import
time). Callers catch it and fall back to importing the predictor inside the built image. Every
other error raised by the static inspector is a real mistake in predict.py.
"""

from __future__ import annotations

from cog_py.errors import PredictorError


class StaticSchemaUnresolved(PredictorError):
    """The source cannot be resolved without importing it; fall back to runtime inspection."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint or FALLBACK_HINT)


FALLBACK_HINT = "the schema will be read by importing the predictor inside the built image"


UNRESOLVED_TYPE_HINT = (
    "If this is a JSON-shaped third-party type, mark it opaque with Annotated[X, cog.Opaque]. "
    "Otherwise define it as a BaseModel subclass in your predict file, or provide a .pyi stub"
)

DEFAULT_LITERAL_HINT = (
    "Defaults must be literals (string, int, float, bool, None, list) or Input() calls."
)


def unresolved_type(name: str, module: str, where: str) -> StaticSchemaUnresolved:
    """Build Cog's message for a type imported from a package we cannot read."""
    return StaticSchemaUnresolved(
        f"{where}cannot resolve type '{name}' (imported from '{module}') - external types cannot be "
        f"statically analyzed. {UNRESOLVED_TYPE_HINT}",
    )
