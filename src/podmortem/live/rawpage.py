"""The list-page envelope shared by the typed page decoders (eventpage, podpage), worded for API calls.

A page is read (sources/podview.page_items) as its `continue` token and a list of undecoded
items (`msgspec.Raw`), so each decoder reads every item only as far as it needs. A body that is
valid JSON of another shape is read whole with orjson instead ("the plain way"), and the decoder
judges those items by its plain rule. Invalid JSON is one `CallFailed` line, whichever way it was
found.
"""

from __future__ import annotations

from typing import Any, NoReturn

import orjson

from podmortem.kube.typedjson import msgspec
from podmortem.live.client import Call, CallFailed
from podmortem.sources.podview import ListMeta, page_items


def invalid_json(call: Call, exc: Exception) -> NoReturn:
    raise CallFailed(call, 200, f"the API answered {call.describe()} with invalid JSON ({exc})") from None


class _Envelope(msgspec.Struct):
    metadata: ListMeta | None = None


_ENVELOPE = msgspec.json.Decoder(_Envelope)


def continue_token(body: bytes) -> str | None:
    """The page's continue token, read from the part of the body before its items (the API server
    writes a list's metadata before its items); None when that part does not say. Only a guess for
    raw_pages to fetch ahead with: the page's own decoding decides which token is followed."""
    end = body.find(b'"items"', 0, _HEAD_BYTES)
    if end < 0:
        return None
    head = body[:end].rstrip()
    if not head.endswith(b","):
        return None
    try:
        meta = _ENVELOPE.decode(head[:-1] + b"}").metadata
    except (msgspec.DecodeError, RecursionError):  # ValidationError is a DecodeError
        return None
    cont = meta.cont if meta is not None else None
    return cont if type(cont) is str and cont else None


# Where a list's items start at the latest for continue_token: its kind, apiVersion and metadata
# (resourceVersion, a continue token of some hundred bytes, remainingItemCount) come first.
_HEAD_BYTES = 16384


def raw_items(body: bytes, call: Call) -> tuple[list[msgspec.Raw], str] | None:
    """The page's undecoded items and continue token; None when the body is JSON of another shape."""
    try:
        return page_items(body)
    except msgspec.DecodeError as exc:
        invalid_json(call, exc)


def whole(raw: msgspec.Raw, call: Call) -> Any:
    """One item decoded whole, as the plain list gives it."""
    try:
        return orjson.loads(memoryview(raw))
    except ValueError as exc:  # msgspec accepted what orjson does not (an integer past 64 bits)
        invalid_json(call, exc)


def plain_items(body: bytes, call: Call) -> tuple[list[dict[str, Any]], str]:
    """The page read whole: its items that are objects, and its continue token."""
    try:
        doc = orjson.loads(body)
    except ValueError as exc:
        invalid_json(call, exc)
    if not isinstance(doc, dict):
        raise CallFailed(call, 200, f"the API answered {call.describe()} with JSON that is not an object")
    meta = doc.get("metadata")
    cont = str(meta.get("continue") or "") if isinstance(meta, dict) else ""
    items = doc.get("items")
    return ([i for i in items if type(i) is dict] if isinstance(items, list) else []), cont
