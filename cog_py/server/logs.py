"""The server's own log lines: JSON by default, plain text with LOG_FORMAT=console."""

from __future__ import annotations

import json
import logging
import sys
import time

from cog_py.server.settings import Settings

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING, "warning": logging.WARNING,
           "error": logging.ERROR}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def configure_logging(settings: Settings) -> None:
    """Send cog_py and uvicorn logs to stderr at COG_LOG_LEVEL, formatted per LOG_FORMAT."""
    handler = logging.StreamHandler(sys.stderr)
    if settings.log_format == "console":
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    level = _LEVELS.get(settings.log_level, logging.INFO)
    for name in ("cog_py", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
