"""Go-compatible JSON: the encoder writes Go's bytes, the strict reader rejects what Go rejects."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nara.core import gojson
from nara.core.gojson import (
    UINT32,
    UINT64,
    JSONError,
    RawJSON,
    dumps,
    dumps_sorted,
    field_bool,
    field_float,
    field_int,
    field_list,
    field_obj,
    field_str,
    format_float,
    loads,
    parse_object_spans,
)

VECTORS = json.loads((Path(__file__).parent.parent / "data" / "wire_vectors.json").read_text())

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize(("value", "expected"), VECTORS["go_floats"])
def test_float_formatting_matches_go(value: str, expected: str) -> None:
    """float64 prints like Go's json: 0.00001 not 1e-05, 1e-7, 1e+21, 1 for 1.0, -0 for -0.0."""
    assert format_float(float(value)) == expected
    assert dumps(float(value)) == expected.encode()


def test_go_float_edge_cases_named_in_the_brief() -> None:
    """The cases most likely to differ from Python's repr, spelled out."""
    assert dumps([0.00001, 1e-07, 1e21, 123456789.0, -0.0, 0.1 + 0.2]) == (
        b"[0.00001,1e-7,1e+21,123456789,-0,0.30000000000000004]"
    )


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_raise(bad: float) -> None:
    """Go's Marshal fails on NaN/Inf; so do we, rather than emit invalid JSON."""
    with pytest.raises(ValueError):
        dumps({"x": bad})


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_format_round_trips_and_uses_go_notation(x: float) -> None:
    """Any finite float reads back exactly; plain notation exactly when 1e-6 <= |x| < 1e21."""
    text = format_float(x)
    assert float(text) == x
    assert math.copysign(1, float(text)) == math.copysign(1, x)
    if x == 0 or 1e-6 <= abs(x) < 1e21:
        assert re.fullmatch(r"-?\d+(\.\d+)?", text), text
    else:
        assert re.fullmatch(r"-?\d(\.\d+)?e(-[1-9]\d*|\+\d\d+)", text), text


@pytest.mark.parametrize(("value", "expected"), VECTORS["go_strings"])
def test_string_escaping_matches_go(value: str, expected: str) -> None:
    """<>& and U+2028/9 as \\u escapes, \\b\\f\\n\\r\\t short, other controls \\u00xx, rest raw."""
    assert dumps(value) == expected.encode()


def test_lone_surrogate_becomes_escaped_replacement_char() -> None:
    """A lone surrogate cannot be UTF-8; Go writes invalid input as \\ufffd."""
    assert dumps("a\ud800b") == b'"a\\ufffdb"'


def test_containers_keep_order_and_have_no_spaces() -> None:
    """dumps keeps insertion order (struct order); dumps_sorted sorts every level, no newline."""
    value = {"b": 1, "a": [True, False, None, (1, "x")], "c": {"z": 1, "y": 2}}
    assert dumps(value) == b'{"b":1,"a":[true,false,null,[1,"x"]],"c":{"z":1,"y":2}}'
    assert dumps_sorted(value) == b'{"a":[true,false,null,[1,"x"]],"b":1,"c":{"y":2,"z":1}}'
    assert dumps({}) == b"{}" and dumps([]) == b"[]"


def test_raw_json_is_spliced_verbatim() -> None:
    """RawJSON carries signed bytes unchanged, like Go's json.RawMessage."""
    raw = RawJSON(b'{"height":0.00001, "x" : 1}')
    assert dumps({"Status": raw}) == b'{"Status":{"height":0.00001, "x" : 1}}'


def test_unsupported_values_raise_type_error() -> None:
    """Non-string map keys and unknown types are programming errors, not silently coerced."""
    with pytest.raises(TypeError):
        dumps({1: "x"})
    with pytest.raises(TypeError):
        dumps({"x": object()})


def _numbers_as_floats(value: object) -> object:
    """Go writes integral floats without a fraction (1e16 → 10000000000000000), so compare
    numbers as floats."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, dict):
        return {k: _numbers_as_floats(v) for k, v in value.items()}
    if isinstance(value, list | tuple):  # tuples: pairs from object_pairs_hook
        return [_numbers_as_floats(v) for v in value]
    return value


@given(JSON_VALUES)
def test_encoder_output_is_json_that_means_the_same(value: object) -> None:
    """Whatever we write, a JSON parser reads back the same value (both key orders)."""
    assert _numbers_as_floats(json.loads(dumps(value))) == _numbers_as_floats(value)
    assert _numbers_as_floats(json.loads(dumps_sorted(value))) == _numbers_as_floats(value)
    assert b" " not in dumps([1, {"a": 2}])


@given(JSON_VALUES)
def test_sorted_matches_python_sorted_modulo_escaping(value: object) -> None:
    """Key order of dumps_sorted is Python's sort_keys order (code point = Go's byte order)."""
    ours = json.loads(dumps_sorted(value), object_pairs_hook=list)
    ref = json.loads(json.dumps(value, sort_keys=True), object_pairs_hook=list)
    assert _numbers_as_floats(ours) == _numbers_as_floats(ref)


def test_loads_is_strict() -> None:
    """NaN/Infinity, non-UTF-8, trailing data and raw control chars are not JSON."""
    for bad in (b"NaN", b"[Infinity]", b"\xff", b"{} x", b'"a\x01"', b"", b"[01]"):
        with pytest.raises(JSONError):
            loads(bad)
    assert loads(b' {"a": [1, 2.5, "\\u00e9"]} \n') == {"a": [1, 2.5, "é"]}


def test_deep_nesting_is_a_json_error_not_a_crash() -> None:
    """Hostile nesting must not surface as RecursionError."""
    with pytest.raises(JSONError):
        loads(b"[" * 100_000 + b"]" * 100_000)
    with pytest.raises(JSONError):
        parse_object_spans(b'{"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}")


def test_object_spans_are_the_exact_source_bytes() -> None:
    """Spans keep whitespace, escapes and order inside the value; last duplicate wins."""
    raw = (
        ' \n{ "Signature" : "s" ,"Status":{"x" :1,"s":"}\\"{","e":"\\u003c💎"} ,'
        '"Status" :  {"y": [1, 2]}\t}\r\n'
    ).encode()
    values, spans = parse_object_spans(raw)
    assert values == {"Signature": "s", "Status": {"y": [1, 2]}}
    assert spans["Status"] == b'{"y": [1, 2]}'
    assert spans["Signature"] == b'"s"'
    _, spans2 = parse_object_spans('{"Status":{"e":"\\u003c💎 <"}}'.encode())
    assert spans2["Status"] == '{"e":"\\u003c💎 <"}'.encode()
    assert parse_object_spans(b"{}") == ({}, {})


@pytest.mark.parametrize(
    "bad", [b'{"a":1,}', b'{"a" 1}', b"{1:2}", b'{"a":1', b'{"a":1}}', b"{", b'{"a":NaN}']
)
def test_object_spans_reject_malformed_objects(bad: bytes) -> None:
    with pytest.raises(JSONError):
        parse_object_spans(bad)


def test_object_spans_tell_non_objects_apart() -> None:
    """Valid JSON that is not an object is a TypeError (schema), garbage a JSONError."""
    with pytest.raises(TypeError):
        parse_object_spans(b"[1, 2]")
    with pytest.raises(JSONError):
        parse_object_spans(b"[1, 2")


def test_int_reader_is_go_strict() -> None:
    """A float (even 1.0) or bool in an int field fails; ranges follow the Go type; null = 0."""
    d = {"i": 5, "f": 1.0, "b": True, "n": None, "neg": -1, "big": 2**63, "u32": 2**32}
    assert field_int(d, "i") == 5
    assert field_int(d, "n") == 0 and field_int(d, "absent") == 0
    for key in ("f", "b", "big"):
        with pytest.raises(ValueError):
            field_int(d, key)
    with pytest.raises(ValueError):
        field_int(d, "neg", bounds=UINT64)
    assert field_int(d, "big", bounds=UINT64) == 2**63
    with pytest.raises(ValueError):
        field_int(d, "u32", bounds=UINT32)
    with pytest.raises(ValueError):
        field_int(d, "absent", required=True)


def test_other_readers() -> None:
    """Floats accept ints (Go does) but not bools or infinities; strings, bools, objects, lists."""
    d: dict[str, object] = {
        "i": 3,
        "f": 2.5,
        "b": True,
        "s": "x\ud800",
        "o": {"k": 1},
        "l": [1],
        "inf": math.inf,
        "huge": 10**400,
    }
    assert field_float(d, "i") == 3.0 and field_float(d, "f") == 2.5
    for key in ("b", "s", "inf", "huge"):
        with pytest.raises(ValueError):
            field_float(d, key)
    assert field_str(d, "s") == "x\ufffd"  # Go decodes a lone surrogate escape to U+FFFD
    assert field_str(d, "absent") == ""
    with pytest.raises(ValueError):
        field_str(d, "i")
    with pytest.raises(ValueError):
        field_str(d, "absent", required=True)
    assert field_bool(d, "b") is True and field_bool(d, "absent") is False
    with pytest.raises(ValueError):
        field_bool(d, "i")
    assert field_obj(d, "o") == {"k": 1} and field_obj(d, "absent") is None
    with pytest.raises(ValueError):
        field_obj(d, "l")
    assert field_list(d, "l") == [1] and field_list(d, "absent") is None
    with pytest.raises(ValueError):
        field_list(d, "o")
    assert gojson.clean_str("ok") == "ok"


def _exact_sorted(value: object) -> bytes:
    out: list[str] = []
    gojson._encode(value, out, sort_keys=True)
    return "".join(out).encode("utf-8")


TRICKY_PIECES = [*'aé🧪<>&\u2028\u2029\x00\x1f\x7f"\\\b\f\n\r\t\ud800 ', "1.0,", "2e-", "8e+1"]
TRICKY_PIECES += ["1e+21,", ".", "0.0]", ".0}"]
TRICKY_TEXT = st.lists(st.sampled_from(TRICKY_PIECES), max_size=6).map("".join)
TRICKY_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.0, -0.0, 1.0, 1e-7, 1e-5, 1e16, 1e21, 0.1, 123456.0, 0.25])
    | TRICKY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TRICKY_TEXT, inner, max_size=4),
    max_leaves=20,
)


@given(TRICKY_VALUES)
def test_fast_sorted_encoder_writes_the_exact_encoders_bytes(value: object) -> None:
    """dumps_sorted's C-encoder fast path never changes a byte: floats, <>&, U+2028/9, controls,
    surrogates and look-alikes inside strings all come out as the exact encoder writes them."""
    assert dumps_sorted(value) == _exact_sorted(value)


def test_fast_sorted_encoder_is_taken_for_a_typical_card_and_skipped_when_unsure() -> None:
    card = {"Name": "a<b", "HostStats": {"LoadAvg": 0.25, "Uptime": 10}, "Flair": "🧪", "Up": True}
    assert gojson._fast_sorted(card) == _exact_sorted(card)
    assert b"\\u003c" in dumps_sorted(card)
    assert gojson._fast_sorted({"x": 1.0, "y": [0.0, 10.0], "z": "1.0,"}) == (
        b'{"x":1,"y":[0,10],"z":"1.0,"}'  # Go writes integral floats bare; strings untouched
    )
    assert gojson._fast_sorted({"x": 1e-7}) is None  # Go writes 1e-7
    assert gojson._fast_sorted({"x": [1e16]}) is None and gojson._fast_sorted(-0.0) is None
    with pytest.raises(TypeError):
        dumps_sorted({1: "x"})  # like dumps: not silently coerced
    assert gojson._fast_sorted({"x": "\ud800"}) is None  # not UTF-8
    assert gojson._fast_sorted({"k": "R8e+JUk="}) == b'{"k":"R8e+JUk="}'  # base64, not a float
    assert gojson._fast_sorted({"x": RawJSON(b"1")}) is None
    assert dumps_sorted({"x": RawJSON(b"1"), "y": 1.0}) == b'{"x":1,"y":1}'
