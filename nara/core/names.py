"""What a nara name may be, and how peer-chosen text is made safe to keep, log and show.

The reference has no name rule of its own: its names are generated (``adjective-noun-042``,
names.go:42-58) or the host's short name, and ``-nara-id`` takes anything. A name is also an MQTT
topic level (``nara/newspaper/{name}``, ``nara/ledger/{name}/request``) and the prefix of the
broker client id, so nara accepts as a name exactly what every generated name and every short
host name is made of:

    1 to 64 characters, each an ASCII letter, digit, ``-``, ``_`` or ``.``

That excludes the MQTT wildcards ``+`` and ``#``, the level separator ``/``, NUL, whitespace,
control characters and markup. A message from a nara whose name breaks the rule is dropped
(``invalid_name``); our own ``-nara-id`` must follow it too (exit 2).
"""

from __future__ import annotations

import re
from typing import Final

MAX_NAME_LEN: Final = 64
_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Anything a terminal or a log parser could take for structure: C0/C1 controls, DEL, the Unicode
# line and paragraph separators and the bidi overrides that reorder what a reader sees.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def valid_name(name: object) -> bool:
    """True when ``name`` may be a nara name (see the module docstring)."""
    return isinstance(name, str) and _NAME.fullmatch(name) is not None


def name_problem(name: str) -> str:
    """Why ``name`` is not a valid nara name, as a short phrase; "" when it is valid."""
    if not name:
        return "is empty"
    if len(name) > MAX_NAME_LEN:
        return f"is {len(name)} characters long (at most {MAX_NAME_LEN})"
    if not valid_name(name):
        return "may only contain ASCII letters, digits, '-', '_' and '.'"
    return ""


def printable(text: str, limit: int = 80) -> str:
    """``text`` made safe for one log line: control characters escaped, at most ``limit`` chars."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    return _UNSAFE.sub(_escape, cut)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def has_unsafe(text: str) -> bool:
    return _UNSAFE.search(text) is not None
