"""Log lines cannot be forged through a peer's name or topic: control characters are escaped."""

from __future__ import annotations

import json
import logging

from nara.logs import JSONFormatter, TextFormatter


def record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("nara.node", logging.INFO, __file__, 1, msg, args, None)


def test_text_lines_escape_newlines_and_terminal_escapes() -> None:
    line = TextFormatter("%(levelname)s %(message)s").format(
        record("%s is now ONLINE", "evil\n12:00:00 INFO nara: forged\x1b[31m\u202e")
    )
    assert "\n" not in line and "\x1b" not in line and "\u202e" not in line
    assert line == "INFO evil\\x0a12:00:00 INFO nara: forged\\x1b[31m\\u202e is now ONLINE"


def test_json_lines_escape_too_and_stay_bounded() -> None:
    line = JSONFormatter().format(record("%s", "a\u2028b" + "x" * 10_000))
    assert "\u2028" not in line and "\n" not in line
    assert len(json.loads(line)["msg"]) < 2100


def test_malformed_http_requests_log_no_traceback() -> None:
    from aiohttp.http_exceptions import BadHttpMessage

    from nara.logs import MalformedRequestFilter

    try:
        raise BadHttpMessage("Invalid method encountered")
    except BadHttpMessage:
        import sys

        rec = logging.LogRecord(
            "aiohttp.server", logging.ERROR, __file__, 1, "Error", (), sys.exc_info()
        )
    assert not MalformedRequestFilter(debug=False).filter(rec)
    assert MalformedRequestFilter(debug=True).filter(rec)
    assert rec.levelno == logging.DEBUG and rec.exc_info is None
