"""A JSON list file (`kubectl get pods -A -o json`, a List) read through the typed pod view.

sources/jsonstream.py reads such a file item by item with the standard library, which builds every
pod's dicts before sources.healthy can say that nine in ten are plainly healthy. Here msgspec reads
the list as undecoded items (`msgspec.Raw`, views into the text: no copy) and each item through
sources/podview.py's typed view, the one the live pod list is judged with. Other objects are
decoded whole here; a pod that is not plainly healthy is decoded when its evidence is built
(explain's forked workers, loader.Bundle.pods_pending), a plainly healthy one only if something
names it (`whole`). An ASCII file is read from its bytes, never made text (loader.Bundle).
On the benchmark's slim 10,000-pod list, reading to what explain's chain takes (PlainPods and
pending pods) went from 0.110 s of CPU with jsonstream to 0.063 s, on the fat list from 0.63 to
0.42 s (in-process, best of 15 and of 5, load 4 to 9 on 2 CPUs, 2026-12-06); the fat list's peak
memory fell from 338 to 255 MB.

The standard library's reading stays the reference, and the caller falls back to it (`Declined`)
whenever this reading could differ: a top level other than {apiVersion, kind, metadata, items} with
`items` an array; JSON msgspec refuses (NaN, lone surrogates, invalid text: jsonstream then words
the error as before); an item that had to be decoded whole and that neither msgspec nor the
standard library can decode. An item the view cannot type (a field of an odd type, most pods that
are not plainly healthy) is decoded whole and judged by the plain rule, as jsonstream's items are.

Two differences are deliberate: a top-level key given twice counts once, the last (as json.load and
kubectl read it; jsonstream read pods from every `items` array); and a pod the view typed is not
decoded whole while reading, so a number it holds past the standard library's 4,300-digit limit, or
nesting the standard library finds too deep, is found when the pod is built (`whole` then refuses
it, and the loader says so in one line, exit 2).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from podmortem.kube.typedjson import msgspec
from podmortem.sources.healthy import plain_pod
from podmortem.sources.jsonstream import fields_before
from podmortem.sources.podview import POD_VIEW, plain_view


class Declined(Exception):
    """This text is read the standard library's way instead (sources/jsonstream.py)."""


class _ListFile(msgspec.Struct, forbid_unknown_fields=True):
    apiVersion: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    kind: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    metadata: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    items: list[msgspec.Raw] | msgspec.UnsetType = msgspec.UNSET


_LIST = msgspec.json.Decoder(_ListFile)
_ANY = msgspec.json.Decoder()


def whole(raw: msgspec.Raw) -> Any:
    """An item decoded whole, exactly as json.loads decodes its text (msgspec's untyped decoding
    gives the same values where it succeeds; the standard library reads what it refuses, such as a
    float past the double range, which it reads as infinity). ValueError when neither can."""
    try:
        return _ANY.decode(raw)
    except msgspec.DecodeError:
        pass
    try:
        return json.loads(bytes(raw))
    except RecursionError:
        raise ValueError("nested too deeply") from None


@dataclass(frozen=True, slots=True)
class ListHead:
    """The list's top-level fields other than `items` (decoded whole), and `kind` as a pod item sees
    it: only when it comes before `items` (jsonstream's rule: the API writes `kind` first, kubectl
    after, and kubectl's items carry their own kind)."""

    fields: dict[str, Any]
    kind_before_items: Any


# What the item iterator gives, as plain tuples (10,000 of them: a dataclass's __init__ cost more
# than a pod's view): (PLAIN, summary, raw) a plainly healthy pod, (POD, object or None, raw) any
# other pod (its object when it had to be decoded to be judged; the caller decodes it when needed,
# with `whole`), (OTHER, object, raw) any other item.
PLAIN, POD, OTHER = 0, 1, 2
Item = tuple[int, Any, msgspec.Raw]


def read_list(text: str | bytes) -> tuple[ListHead, Iterator[Item]]:
    """The head of a JSON list and its items, judged one at a time as the iterator is advanced.
    `text` is a str, or bytes that are ASCII (text that needs no decoding). Raises Declined, when
    reading the head or any item, for the caller to read the text from the start with jsonstream."""
    try:
        doc = _LIST.decode(text)
    except (msgspec.DecodeError, RecursionError):  # another shape, or invalid JSON: jsonstream says which
        raise Declined from None
    if doc.items is msgspec.UNSET:
        raise Declined
    fields: dict[str, Any] = {}
    for name in ("apiVersion", "kind", "metadata"):
        value = getattr(doc, name)
        if value is not msgspec.UNSET:
            fields[name] = _whole_or_decline(value)
    kind = fields.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and kind not in ("List", "PodList"):
        raise Declined  # an EventList, a ConfigMapList...: no pod to tell apart, each item is decoded whole
    before = _head(text)
    if before is None:
        raise Declined
    kind = before.get("kind")
    return ListHead(fields, kind), _items(doc.items, kind)


_HEAD_BYTES = 64 * 1024


def _head(text: str | bytes) -> dict[str, Any] | None:
    """jsonstream.fields_before(text, "items"), reading only the head of ASCII bytes when it fits
    (the head is the list's kind, apiVersion and metadata; fields_before answers None, not a wrong
    answer, for a head cut short)."""
    if isinstance(text, str):
        return fields_before(text, "items")
    if len(text) > _HEAD_BYTES:
        found = fields_before(text[:_HEAD_BYTES].decode("ascii"), "items")
        if found is not None:
            return found
    return fields_before(text.decode("ascii"), "items")


def _whole_or_decline(raw: msgspec.Raw) -> Any:
    try:
        return whole(raw)
    except ValueError:
        raise Declined from None


def _items(raws: list[msgspec.Raw], list_kind: Any) -> Iterator[Item]:
    pod_list = list_kind == "PodList"
    decode = POD_VIEW.decode
    for raw in raws:
        try:
            view = decode(raw)
        except msgspec.ValidationError:  # not a plainly healthy pod's shape: the plain rule
            obj = _whole_or_decline(raw)
            if type(obj) is dict and (obj.get("kind") or ("Pod" if pod_list else None)) == "Pod":
                plain = plain_pod(obj)
                yield (POD, obj, raw) if plain is None else (PLAIN, plain, raw)
            else:
                yield OTHER, obj, raw
            continue
        except (msgspec.DecodeError, RecursionError):
            raise Declined from None
        if (view.kind or ("Pod" if pod_list else None)) != "Pod":
            yield OTHER, _whole_or_decline(raw), raw
            continue
        plain = plain_view(view)
        yield (POD, None, raw) if plain is None else (PLAIN, plain, raw)
