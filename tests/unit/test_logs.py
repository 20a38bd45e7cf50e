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
