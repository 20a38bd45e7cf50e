"""Logging set-up: human-readable text or one JSON object per line, on stderr."""

from __future__ import annotations

import json
import logging
import sys
import time

from aiohttp.http_exceptions import HttpProcessingError

from nara.core.names import printable

MAX_MESSAGE_CHARS = 2000  # one log line never carries a payload dump

_STD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JSONFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": printable(record.getMessage(), MAX_MESSAGE_CHARS),
        }
        for key, value in record.__dict__.items():
            if key not in _STD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """One record, one line: control characters in the message (a peer's name or topic with a
    newline, an ANSI escape) are shown escaped, so nobody can forge a log line through us.
    Tracebacks, which we write ourselves, keep their lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = printable(record.message, MAX_MESSAGE_CHARS)
        return super().formatMessage(record)


class MalformedRequestFilter(logging.Filter):
    """aiohttp logs every malformed HTTP request (a garbage request line, an 8 KiB header) as
    an ERROR with a full traceback, so any client could flood our log. Such a request is the
    client's problem, not ours: one escaped line at debug level, no traceback."""

    def __init__(self, debug: bool) -> None:
        super().__init__()
        self.debug = debug

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if not isinstance(exc, HttpProcessingError):
            return True
        if not self.debug:
            return False
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        record.msg, record.args = "rejected a malformed HTTP request: %s", (str(exc),)
        record.exc_info, record.exc_text = None, None
        return True


def setup_logging(level: str, fmt: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(
            TextFormatter(
                "%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S%z"
            )
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Library chatter stays at warning unless we debug nara itself.
    for noisy in ("aiohttp.access", "nara.plaza.mqtt"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if level == "debug" else logging.WARNING)
    server = logging.getLogger("aiohttp.server")
    server.filters[:] = [MalformedRequestFilter(debug=level == "debug")]
