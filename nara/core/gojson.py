"""Go-compatible JSON: bytes exactly as Go's ``json.Marshal`` writes them, and strict reads.

Why not ``json.dumps``: Go escapes ``<``, ``>``, ``&``, U+2028/U+2029, keeps other non-ASCII raw,
and formats float64 like ECMAScript (``0.00001``, ``1e-7``, ``1e+21``, ``1`` for ``1.0``). Signed
bytes (newspaper ``Status``, spec §3.4) and golden vectors (§7) depend on that.

Reading is strict where Python's ``json`` is lax: ``NaN``/``Infinity`` are rejected, input must be
UTF-8, and the typed field readers reject a float or bool where Go has an integer (spec §0.5), or
an integer outside the Go type's range. ``null`` reads as "absent", as Go leaves the zero value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Final

__all__ = [
    "INT64",
    "UINT32",
    "UINT64",
    "JSONError",
    "RawJSON",
    "clean_str",
    "dumps",
    "dumps_sorted",
    "field_bool",
    "field_float",
    "field_int",
    "field_list",
    "field_obj",
    "field_str",
    "format_float",
    "loads",
    "parse_object",
    "parse_object_spans",
]

INT64: Final = (-(1 << 63), (1 << 63) - 1)
UINT64: Final = (0, (1 << 64) - 1)
UINT32: Final = (0, (1 << 32) - 1)


class RawJSON:
    """Pre-encoded JSON spliced verbatim (Go's ``json.RawMessage``), e.g. signed Status bytes."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)

    def __repr__(self) -> str:
        return f"RawJSON({self.data[:40]!r}{'…' if len(self.data) > 40 else ''})"


# --- encoding -------------------------------------------------------------------------------

# Go (>= 1.22) writes \b \f \n \r \t short; other C0 controls as \u00xx (lowercase hex);
# HTML-sensitive <>& and the JS line separators as \u escapes; lone surrogates cannot be
# valid UTF-8, so they become the escaped replacement character like Go's invalid bytes.
_ESCAPE_RE: Final = re.compile('[\x00-\x1f"\\\\<>&\u2028\u2029\ud800-\udfff]')
_SHORT: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}


def _escape_char(m: re.Match[str]) -> str:
    c = m.group(0)
    short = _SHORT.get(c)
    if short is not None:
        return short
    if "\ud800" <= c <= "\udfff":
        return "\\ufffd"
    return f"\\u{ord(c):04x}"


def _encode_str(s: str) -> str:
    return '"' + _ESCAPE_RE.sub(_escape_char, s) + '"'


def format_float(x: float) -> str:
    """Format a float64 the way Go's encoding/json does (ES6 number-to-string rules).

    Shortest round-trip digits (Python's ``repr`` and Go's ``strconv`` agree on them); plain
    notation when 1e-6 <= |x| < 1e21, otherwise ``d.ddde±XX`` where a negative exponent loses
    its zero padding (``1e-7``) and a positive one keeps two digits (``1e+21``).
    """
    if math.isnan(x) or math.isinf(x):
        raise ValueError(f"json: unsupported value: {x!r}")
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    text = repr(float(x))
    sign = ""
    if text[0] == "-":
        sign, text = "-", text[1:]
    mantissa, _, exp_text = text.partition("e")
    int_part, _, frac_part = mantissa.partition(".")
    all_digits = int_part + frac_part
    point = len(int_part) + (int(exp_text) if exp_text else 0)
    stripped = all_digits.lstrip("0")
    point -= len(all_digits) - len(stripped)
    digits = stripped.rstrip("0")  # value = 0.<digits> * 10**point
    if 1e-6 <= abs(x) < 1e21:
        if point <= 0:
            body = "0." + "0" * -point + digits
        elif point >= len(digits):
            body = digits + "0" * (point - len(digits))
        else:
            body = digits[:point] + "." + digits[point:]
        return sign + body
    exp = point - 1
    head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    tail = f"e-{-exp}" if exp < 0 else f"e+{exp:02d}"
    return sign + head + tail


def _encode(value: object, out: list[str], sort_keys: bool) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_encode_str(value))
    elif isinstance(value, int):
        out.append(str(int(value)))
    elif isinstance(value, float):
        out.append(format_float(value))
    elif isinstance(value, RawJSON):
        out.append(value.data.decode("utf-8"))
    elif isinstance(value, Mapping):
        items = list(value.items())
        for k, _ in items:
            if not isinstance(k, str):
                raise TypeError(f"json: map key must be str, not {type(k).__name__}")
        if sort_keys:
            items.sort(key=lambda kv: kv[0])  # Go sorts map keys bytewise == by code point
        out.append("{")
        for i, (k, v) in enumerate(items):
            if i:
                out.append(",")
            out.append(_encode_str(k))
            out.append(":")
            _encode(v, out, sort_keys)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, v in enumerate(value):
            if i:
                out.append(",")
            _encode(v, out, sort_keys)
        out.append("]")
    else:
        raise TypeError(f"json: unsupported type {type(value).__name__}")


def dumps(value: object) -> bytes:
    """Encode like Go's ``json.Marshal``; dict insertion order is kept (pass struct order)."""
    out: list[str] = []
    _encode(value, out, sort_keys=False)
    return "".join(out).encode("utf-8")


def dumps_sorted(value: object) -> bytes:
    """Encode like Go marshals ``map[string]any``: keys sorted at every depth; no newline added.

    The read model encodes every card with this on each change, so it first tries the standard
    library's C encoder and keeps its output when it is provably Go's bytes (``_fast_sorted``);
    anything it cannot vouch for goes through the exact encoder. Same bytes either way.
    """
    fast = _fast_sorted(value)
    if fast is not None:
        return fast
    out: list[str] = []
    _encode(value, out, sort_keys=True)
    return "".join(out).encode("utf-8")


def _no_default(value: object) -> object:
    raise TypeError(f"json: unsupported type {type(value).__name__}")


_FAST: Final = json.JSONEncoder(
    ensure_ascii=False,
    allow_nan=False,
    sort_keys=True,
    separators=(",", ":"),
    default=_no_default,
)
# <>& and the JS line separators: Go escapes them, Python's encoder keeps them raw.
_HTML_SENSITIVE: Final = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"))
_SEPARATORS: Final = (("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


class _NotFast(Exception):
    """The value has something only the exact encoder writes right."""


def _plain_float(x: float) -> object:
    """``x`` as something whose Python repr is Go's text: an int for an integral float, the
    float itself where repr has no exponent (1e-4 <= |x| < 1e16). -0.0, exponents, NaN: no."""
    if x.is_integer():
        if x == 0 and math.copysign(1.0, x) < 0:
            raise _NotFast
        if -1e16 < x < 1e16:
            return int(x)
        raise _NotFast
    if 1e-4 <= abs(x) < 1e16:  # repr is plain decimal here, and shortest digits like Go's
        return x
    raise _NotFast


def _go_ready(value: object) -> object:
    """``value`` with floats rewritten for the C encoder (a copy only where one changed), or
    ``_NotFast`` for a non-str key, a RawJSON, a non-dict Mapping or any other type."""
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return value
    if t is float:
        assert isinstance(value, float)
        return _plain_float(value)
    if t is dict:
        assert isinstance(value, dict)
        out: dict[str, object] | None = None
        for k, v in value.items():
            if type(k) is not str:
                raise _NotFast
            w = _go_ready(v)
            if w is not v:
                if out is None:
                    out = dict(value)
                out[k] = w
        return value if out is None else out
    if t is list or t is tuple:
        assert isinstance(value, list | tuple)
        items: list[object] | None = None
        for i, v in enumerate(value):
            w = _go_ready(v)
            if w is not v:
                if items is None:
                    items = list(value)
                items[i] = w
        return value if items is None else items
    raise _NotFast  # subclasses, RawJSON, Mappings, unknown types: the exact encoder decides


def _fast_sorted(value: object) -> bytes | None:
    """``value`` through the C encoder, or None when its bytes might not be Go's.

    Python escapes the C0 controls, ``"`` and ``\\`` exactly as Go does (short forms for
    \\b \\f \\n \\r \\t, lowercase ``\\u00xx`` otherwise) and sorts str keys by code point
    (Go's byte order). It differs on floats (``_go_ready`` hands it only floats whose repr is
    Go's text), ``<>&`` and U+2028/9 (replaced below: outside strings JSON has none of them) and
    lone surrogates (not UTF-8: the encode fails). Everything else takes the exact path.
    """
    try:
        text = _FAST.encode(_go_ready(value))
    except (_NotFast, TypeError, ValueError, RecursionError):
        return None
    for plain, escaped in _HTML_SENSITIVE:
        if plain in text:
            text = text.replace(plain, escaped)
    if "\u2028" in text or "\u2029" in text:
        for plain, escaped in _SEPARATORS:
            text = text.replace(plain, escaped)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return None


# --- strict decoding ------------------------------------------------------------------------


class JSONError(ValueError):
    """The bytes are not one strict JSON document."""


def _reject_constant(name: str) -> object:
    raise JSONError(f"not JSON: {name}")


# strict=True (default) already rejects raw control characters inside strings, like Go.
_DECODER: Final = json.JSONDecoder(parse_constant=_reject_constant)
_WS: Final = " \t\n\r"


def _text(raw: bytes) -> str:
    try:
        return bytes(raw).decode("utf-8")  # strict: also rejects encoded surrogates
    except (UnicodeDecodeError, TypeError) as e:
        raise JSONError("not UTF-8") from e


def _skip_ws(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] in _WS:
        i += 1
    return i


def _value_at(text: str, i: int) -> tuple[object, int]:
    try:
        return _DECODER.raw_decode(text, i)
    except (ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError
        raise JSONError(str(e).splitlines()[0][:80] if str(e) else "bad JSON") from e


def loads(raw: bytes) -> object:
    """Parse one strict JSON document (UTF-8, no NaN/Infinity, nothing after it)."""
    text = _text(raw)
    start = _skip_ws(text, 0)
    value, end = _value_at(text, start)
    if _skip_ws(text, end) != len(text):
        raise JSONError("extra data after JSON value")
    return value


def parse_object(raw: bytes) -> dict[str, object]:
    """A top-level JSON object, as strict as ``loads`` (and ``parse_object_spans``, whose values
    it equals: the last of a repeated key wins), in one pass of the C parser; TypeError when the
    document is valid JSON but not an object. For messages that need no source bytes."""
    value = loads(raw)
    if not isinstance(value, dict):
        raise TypeError("top-level JSON value is not an object")
    return value


def parse_object_spans(raw: bytes) -> tuple[dict[str, object], dict[str, bytes]]:
    """Parse a top-level JSON object and keep each member value's exact source bytes.

    The newspaper signature covers the ``Status`` value exactly as the sender wrote it
    (spec §3.4), so re-serialising is not an option. Valid UTF-8 decodes and re-encodes
    byte-for-byte, so slicing the text and encoding the slice gives the original bytes.
    A repeated key keeps its last occurrence, as Go's decoder does.
    """
    text = _text(raw)
    i = _skip_ws(text, 0)
    if i >= len(text) or text[i] != "{":
        # Tell "valid JSON but not an object" apart from garbage for the drop reason.
        loads(raw)
        raise TypeError("top-level JSON value is not an object")
    values: dict[str, object] = {}
    spans: dict[str, bytes] = {}
    i = _skip_ws(text, i + 1)
    if i < len(text) and text[i] == "}":
        i += 1
    else:
        while True:
            if i >= len(text) or text[i] != '"':
                raise JSONError("expected object key")
            key, i = _value_at(text, i)
            assert isinstance(key, str)
            i = _skip_ws(text, i)
            if i >= len(text) or text[i] != ":":
                raise JSONError("expected ':'")
            start = _skip_ws(text, i + 1)
            value, end = _value_at(text, start)
            values[key] = value
            spans[key] = text[start:end].encode("utf-8")
            i = _skip_ws(text, end)
            if i < len(text) and text[i] == ",":
                i = _skip_ws(text, i + 1)
                continue
            if i < len(text) and text[i] == "}":
                i += 1
                break
            raise JSONError("expected ',' or '}'")
    if _skip_ws(text, i) != len(text):
        raise JSONError("extra data after JSON value")
    return values, spans


# --- typed field readers (raise ValueError with a short reason) ----------------------------

_SURROGATE_RE: Final = re.compile("[\ud800-\udfff]")


def clean_str(s: str) -> str:
    """Lone surrogates from ``\\ud800``-style escapes become U+FFFD, as Go decodes them."""
    if s.isascii():  # most strings; no surrogate can be there
        return s
    return _SURROGATE_RE.sub("\ufffd", s) if _SURROGATE_RE.search(s) else s


def _get(d: Mapping[str, object], key: str, required: bool) -> object:
    v = d.get(key)
    if v is None and required:
        raise ValueError(f"missing {key}")
    return v


def field_str(d: Mapping[str, object], key: str, *, required: bool = False) -> str:
    v = d.get(key)
    if type(v) is str:  # the common case, without the checks below
        return v if v.isascii() else clean_str(v)
    v = _get(d, key, required)
    if v is None:
        return ""
    if not isinstance(v, str):
        raise ValueError(f"{key}: expected string, got {type(v).__name__}")
    return clean_str(v)


def field_int(
    d: Mapping[str, object],
    key: str,
    *,
    bounds: tuple[int, int] = INT64,
    required: bool = False,
) -> int:
    """A JSON integer literal within the Go type's range; floats (even 1.0) and bools fail."""
    v = d.get(key)
    if type(v) is int and bounds[0] <= v <= bounds[1]:  # the common case (bool is not int)
        return v
    v = _get(d, key, required)
    if v is None:
        return 0
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"{key}: expected integer, got {type(v).__name__}")
    if not bounds[0] <= v <= bounds[1]:
        raise ValueError(f"{key}: integer out of range")
    return v


def field_float(d: Mapping[str, object], key: str, *, required: bool = False) -> float:
    """A JSON number (integers accepted, as Go does for float64); not bool, not infinite."""
    v = _get(d, key, required)
    if v is None:
        return 0.0
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"{key}: expected number, got {type(v).__name__}")
    try:
        f = float(v)
    except OverflowError as e:
        raise ValueError(f"{key}: number out of range") from e
    if math.isinf(f) or math.isnan(f):
        raise ValueError(f"{key}: number out of range")
    return f


def field_bool(d: Mapping[str, object], key: str) -> bool:
    v = d.get(key)
    if v is None:
        return False
    if not isinstance(v, bool):
        raise ValueError(f"{key}: expected bool, got {type(v).__name__}")
    return v


def field_obj(
    d: Mapping[str, object], key: str, *, required: bool = False
) -> Mapping[str, object] | None:
    v = _get(d, key, required)
    if v is None:
        return None
    if not isinstance(v, dict):
        raise ValueError(f"{key}: expected object, got {type(v).__name__}")
    return v


def field_list(d: Mapping[str, object], key: str) -> list[object] | None:
    v = d.get(key)
    if v is None:
        return None
    if not isinstance(v, list):
        raise ValueError(f"{key}: expected array, got {type(v).__name__}")
    return v
