"""Docker image label keys. Cog's `run.cog.*` names are kept so Cog tooling reads our images."""

from __future__ import annotations

COG_VERSION = "run.cog.version"
COG_CONFIG = "run.cog.config"
COG_OPENAPI_SCHEMA = "run.cog.openapi_schema"
COG_PIP_FREEZE = "run.cog.pip_freeze"
COG_PUSH_ID = "run.cog.push_id"

OCI_VERSION = "org.opencontainers.image.version"
OCI_REVISION = "org.opencontainers.image.revision"
OCI_SOURCE = "org.opencontainers.image.source"
OCI_CREATED = "org.opencontainers.image.created"

# Marks images seeded by scripts/engine as local stand-ins for public base images (test fixtures).
STANDIN = "dev.cog-py.standin"
