"""The error tree of cog_py. Standard library only: the worker and the SDK import it.

    CogError                      message + hint + exit code; rendered once by the CLI boundary
    ├── ConfigError               cog.yaml could not be loaded or is invalid (one line per problem)
    ├── PredictorError            predict.py cannot be used: import error, bad signature, bad type
    │   └── SchemaError           an input or output type cannot be expressed in the schema
    ├── InputValidationError      prediction inputs do not match the schema (list of (name, msg))
    │   └── InputPreparationError an input passed the schema but could not be made (a failed download)
    ├── UsageError                a command-line argument, flag or input value is malformed
    ├── ModelServerError          the model's HTTP server is unreachable or answered unexpectedly
    ├── BuildError                a Docker build failed or cannot start
    ├── DockerError               the engine is missing, unreachable or refused a request
    ├── RegistryError             push/login problems
    └── RayError                  Ray Serve options, or Ray itself, missing or refused (cog_py.ray)
"""

from __future__ import annotations


class CogError(Exception):
    """Base of every error we raise on purpose. `hint` says what to do next."""

    exit_code: int = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(CogError):
    """cog.yaml is missing, malformed or invalid."""


class PredictorError(CogError):
    """The predictor reference cannot be loaded or its signature cannot be used."""


class SchemaError(PredictorError):
    """A type used in predict()/train() is not supported in the schema."""


class InputValidationError(CogError):
    """Prediction inputs do not match the schema. `errors` is a list of (input name, message)."""

    def __init__(self, errors: list[tuple[str, str]], hint: str | None = None) -> None:
        self.errors = list(errors)
        if len(self.errors) == 1:
            message = self.errors[0][1]
        else:
            message = "input validation failed:\n" + "\n".join(f"- {m}" for _, m in self.errors)
        super().__init__(message, hint)


class InputPreparationError(InputValidationError):
    """An input passed the schema but could not be turned into a value (a failed download).
    Cog answers it with a failed prediction rather than a 422."""


class UsageError(CogError):
    """A command-line argument, flag or input value is malformed; nothing was built or started."""


class ModelServerError(CogError):
    """The model's HTTP server (in a local container) is unreachable or answered unexpectedly."""


class BuildError(CogError):
    """An image build failed or could not start."""


class DockerError(CogError):
    """The Docker engine is missing, unreachable or refused a request."""


class RegistryError(CogError):
    """A registry refused a login, a push or a pull, or could not be reached."""


class RayError(CogError):
    """Ray Serve cannot be used: bad scaling options, Ray missing or at another version."""
