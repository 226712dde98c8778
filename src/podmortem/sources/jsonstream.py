"""Read a large JSON list (`kubectl get pods -A -o json`) one item at a time.

A PodList of a big cluster is hundreds of megabytes. Parsing it whole holds the text, the whole
tree of dicts and (with orjson) the parser's own copy at once: several times the file size.
Walking the top-level object here and handing each element of its `items` array to a callback
as soon as it is parsed lets the caller turn a pod into evidence and drop its dicts, so memory
stays near the size of the text. Values are parsed by the standard library's C scanner
(`JSONDecoder.raw_decode`); only the top level is walked in Python.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

_WS = re.compile(r"[ \t\n\r]*")
_decoder = json.JSONDecoder()


def _skip(text: str, i: int) -> int:
    """The index of the first non-whitespace character at or after i (JSON whitespace only)."""
    m = _WS.match(text, i)
    return m.end() if m else i


class StreamError(ValueError):
    """The text is not valid JSON; the message says where, like json.JSONDecodeError."""


def _error(text: str, pos: int, what: str) -> StreamError:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return StreamError(f"{what}: line {line} column {col} (char {pos})")


def parse_streaming(text: str, on_item: Callable[[Any, dict[str, Any]], Any]) -> Any:
    """Parse one JSON document. If it is an object with an `items` array, each element is passed
    to `on_item(item, top)` as soon as it is parsed, `top` holding the top-level fields read so far
    (the API writes `kind` before `items`, kubectl after), and the array in the result holds only
    what `on_item` returned other than None. Any other document is parsed whole and returned.
    Raises StreamError (a ValueError) for invalid or truncated JSON.
    """
    return parse_streaming_spans(text, lambda item, top, _start, _end: on_item(item, top))


def parse_streaming_spans(text: str, on_item: Callable[[Any, dict[str, Any], int, int], Any]) -> Any:
    """`parse_streaming`, with each item's place in the text: `on_item(item, top, start, end)`, where
    `decode_at(text, start)` gives the item again (a caller may keep the place instead of the item)."""
    raw = _decoder.raw_decode
    n = len(text)
    i = _skip(text, 0)
    try:
        if i >= n or text[i] != "{":
            value, end = raw(text, i)
            if _skip(text, end) != n:
                raise _error(text, _skip(text, end), "Extra data")
            return value
        result: dict[str, Any] = {}
        i = _skip(text, i + 1)
        if i < n and text[i] == "}":
            i += 1
        else:
            while True:
                if i >= n or text[i] != '"':
                    raise _error(text, i, "Expecting property name enclosed in double quotes")
                key, i = raw(text, i)
                i = _skip(text, i)
                if i >= n or text[i] != ":":
                    raise _error(text, i, "Expecting ':' delimiter")
                i = _skip(text, i + 1)
                if key == "items" and i < n and text[i] == "[":
                    kept: list[Any] = []
                    i = _skip(text, i + 1)
                    if i < n and text[i] == "]":
                        i += 1
                    else:
                        while True:
                            start = i
                            item, i = raw(text, i)
                            out = on_item(item, result, start, i)
                            del item  # let the item's dicts go before the next one is parsed
                            if out is not None:
                                kept.append(out)
                            i = _skip(text, i)
                            if i < n and text[i] == ",":
                                i = _skip(text, i + 1)
                                continue
                            if i < n and text[i] == "]":
                                i += 1
                                break
                            raise _error(text, i, "Expecting ',' delimiter")
                    result[key] = kept
                else:
                    result[key], i = raw(text, i)
                i = _skip(text, i)
                if i < n and text[i] == ",":
                    i = _skip(text, i + 1)
                    continue
                if i < n and text[i] == "}":
                    i += 1
                    break
                raise _error(text, i, "Expecting ',' delimiter")
        end = _skip(text, i)
        if end != n:
            raise _error(text, end, "Extra data")
        return result
    except StreamError:
        raise
    except ValueError as exc:  # JSONDecodeError, and an integer past Python's digit limit (not a JSONDecodeError)
        raise StreamError(str(exc)) from None
    except RecursionError:
        raise StreamError("nested too deeply") from None


def decode_at(text: str, start: int) -> Any:
    """The JSON value that starts at `start` (an item's place given by `parse_streaming_spans`)."""
    return _decoder.raw_decode(text, start)[0]


def fields_before(text: str, key: str) -> dict[str, Any] | None:
    """The top-level fields of the JSON object `text` that come before its first `key` (what
    `parse_streaming` shows `on_item` as `top`); None when the text is not an object that has `key`
    or its head is not valid JSON. Only the head is read."""
    raw = _decoder.raw_decode
    n = len(text)
    i = _skip(text, 0)
    if i >= n or text[i] != "{":
        return None
    seen: dict[str, Any] = {}
    i = _skip(text, i + 1)
    try:
        while i < n and text[i] == '"':
            name, i = raw(text, i)
            i = _skip(text, i)
            if i >= n or text[i] != ":":
                return None
            i = _skip(text, i + 1)
            if name == key:
                return seen
            seen[name], i = raw(text, i)
            i = _skip(text, i)
            if i >= n or text[i] != ",":
                return None
            i = _skip(text, i + 1)
    except (ValueError, RecursionError):
        return None
    return None
