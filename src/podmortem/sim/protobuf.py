"""Decoding the Kubernetes protobuf encoding of the objects kubectl sends that way.

kubectl's typed clients (`kubectl create configmap|secret|namespace|deployment|job|cronjob|service|
serviceaccount ...`, `kubectl debug --copy-to`) send request bodies as
`application/vnd.kubernetes.protobuf`: the magic `k8s\\x00` and a runtime.Unknown envelope whose
`raw` field holds the object. This module reads the protobuf wire format; ConfigMap, Secret and
Namespace have hand-written readers, the other kinds are read through the field table of
protobuf_schema.py (the `generated.proto` files of k8s.io/api v0.32.9). Kinds outside both are
refused with 415 by the server, which answers in JSON either way.
"""

from __future__ import annotations

import base64
import struct
import time
from collections.abc import Iterator
from typing import Any

from podmortem.sim.protobuf_schema import MESSAGES

MAGIC = b"k8s\x00"


class ProtobufError(ValueError):
    """A body that is not the protobuf the API server expects, or a kind this module does not decode."""


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtobufError("truncated varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ProtobufError("varint too long")


def fields(data: bytes) -> Iterator[tuple[int, int, Any]]:
    """(field number, wire type, value) of each field: ints for varints, bytes for length-delimited."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            length, pos = _varint(data, pos)
            chunk = data[pos:pos + length]
            if len(chunk) != length:
                raise ProtobufError("truncated field")
            value = chunk
            pos += length
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ProtobufError(f"unsupported wire type {wire}")
        yield number, wire, value


def _text(value: bytes) -> str:
    return value.decode("utf-8")


def _map_entry(data: bytes) -> tuple[str, bytes]:
    key, val = "", b""
    for number, _, value in fields(data):
        if number == 1:
            key = _text(value)
        elif number == 2:
            val = value
    return key, val


def _object_meta(data: bytes) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    names = {1: "name", 2: "generateName", 3: "namespace", 5: "uid", 6: "resourceVersion"}
    for number, _, value in fields(data):
        if number in names:
            if value:  # gogo-protobuf writes empty strings too; the JSON form omits them
                meta[names[number]] = _text(value)
        elif number == 11:
            k, v = _map_entry(value)
            meta.setdefault("labels", {})[k] = _text(v)
        elif number == 12:
            k, v = _map_entry(value)
            meta.setdefault("annotations", {})[k] = _text(v)
        elif number == 14:
            meta.setdefault("finalizers", []).append(_text(value))
    return meta


def _configmap(raw: bytes) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}
    for number, _, value in fields(raw):
        if number == 1:
            obj["metadata"] = _object_meta(value)
        elif number == 2:
            k, v = _map_entry(value)
            obj.setdefault("data", {})[k] = _text(v)
        elif number == 3:
            k, v = _map_entry(value)
            obj.setdefault("binaryData", {})[k] = base64.b64encode(v).decode()
        elif number == 4:
            obj["immutable"] = bool(value)
    return obj


def _secret(raw: bytes) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": {}}
    for number, _, value in fields(raw):
        if number == 1:
            obj["metadata"] = _object_meta(value)
        elif number == 2:
            k, v = _map_entry(value)
            obj.setdefault("data", {})[k] = base64.b64encode(v).decode()
        elif number == 3 and value:
            obj["type"] = _text(value)
        elif number == 4:
            k, v = _map_entry(value)
            obj.setdefault("stringData", {})[k] = _text(v)
        elif number == 5:
            obj["immutable"] = bool(value)
    return obj


def _namespace(raw: bytes) -> dict[str, Any]:
    obj: dict[str, Any] = {"apiVersion": "v1", "kind": "Namespace", "metadata": {}}
    for number, _, value in fields(raw):
        if number == 1:
            obj["metadata"] = _object_meta(value)
    return obj


DECODERS = {("v1", "ConfigMap"): _configmap, ("v1", "Secret"): _secret, ("v1", "Namespace"): _namespace}
_PACKAGES = {"v1": "core", "apps/v1": "apps", "batch/v1": "batch", "authorization.k8s.io/v1": "authorization"}

# gogo-protobuf writes every non-pointer field, zero values included, while the JSON form omits them
# (omitempty). Zero values are dropped except for these pointer fields, where 0 or false is a
# choice (runAsUser: 0 is root, replicas: 0 scales to zero, automountServiceAccountToken: false...).
_ZERO_MEANINGFUL = frozenset({
    "automountServiceAccountToken", "readOnlyRootFilesystem", "runAsNonRoot", "allowPrivilegeEscalation",
    "privileged", "runAsUser", "runAsGroup", "fsGroup", "replicas", "terminationGracePeriodSeconds", "backoffLimit",
    "parallelism", "completions", "suspend", "optional", "shareProcessNamespace", "enableServiceLinks",
    "setHostnameAsFQDN", "hostUsers", "revisionHistoryLimit", "successfulJobsHistoryLimit",
    "failedJobsHistoryLimit", "startingDeadlineSeconds", "activeDeadlineSeconds", "ttlSecondsAfterFinished",
    "progressDeadlineSeconds", "defaultMode", "mode", "partition", "maxUnavailable", "maxSurge", "readOnly",
})


def _signed(value: int) -> int:
    """A varint as the two's-complement int64 (or sign-extended int32) it encodes."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _scalar(kind: str, wire: int, value: Any) -> Any:
    if kind == "string":
        return _text(value)
    if kind == "bool":
        return bool(value)
    if kind in ("int32", "int64"):
        return _signed(int(value))
    if kind == "double":
        return struct.unpack("<d", value)[0] if isinstance(value, bytes) and len(value) == 8 else 0.0
    if kind == "bytes":
        return base64.b64encode(value).decode()
    if kind == "time":
        seconds = 0
        for n, _, v in fields(value):
            if n == 1:
                seconds = _signed(int(v))
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
    if kind == "quantity":
        return next((_text(v) for n, _, v in fields(value) if n == 1), "0")
    if kind == "intorstr":
        parts = {n: v for n, _, v in fields(value)}
        return _text(parts.get(3, b"")) if parts.get(1) == 1 else _signed(int(parts.get(2, 0)))
    raise ProtobufError(f"unknown field type {kind}")


def _zero(value: Any) -> bool:
    return value in ("", 0, False) and not isinstance(value, float)


def message(name: str, data: bytes, depth: int = 0) -> dict[str, Any]:
    """One message of protobuf_schema.MESSAGES as its JSON form."""
    if depth > 64:
        raise ProtobufError("the object is nested too deeply")
    schema = MESSAGES[name]
    out: dict[str, Any] = {}
    for number, wire, value in fields(data):
        spec = schema.get(number)
        if spec is None:
            continue  # a field of a newer API version, or status: not kept, as the API server drops unknown ones
        json_name, kind = spec[0], spec[1]
        repeated = len(spec) > 2 and bool(spec[2])
        if kind.startswith("map:"):
            key, raw = _map_entry(value)
            out.setdefault(json_name, {})[key] = _scalar(kind[4:], 2, raw)
            continue
        if kind in MESSAGES:
            item: Any = message(kind, value, depth + 1)
        elif repeated and wire == 2 and kind in ("int32", "int64", "bool"):
            pos, items = 0, []
            while pos < len(value):
                v, pos = _varint(value, pos)
                items.append(_scalar(kind, 0, v))
            out.setdefault(json_name, []).extend(items)
            continue
        else:
            item = _scalar(kind, wire, value)
            if not repeated and _zero(item) and json_name not in _ZERO_MEANINGFUL:
                continue
        if repeated:
            out.setdefault(json_name, []).append(item)
        else:
            out[json_name] = item
    return out


def decode(body: bytes) -> dict[str, Any]:
    """The JSON form of a protobuf-encoded object; ProtobufError for other kinds or malformed bodies."""
    if not body.startswith(MAGIC):
        raise ProtobufError("the body does not start with the protobuf magic number")
    api_version = kind = ""
    raw = b""
    for number, _, value in fields(body[len(MAGIC):]):
        if number == 1:
            for n, _, v in fields(value):
                if n == 1:
                    api_version = _text(v)
                elif n == 2:
                    kind = _text(v)
        elif number == 2:
            raw = value
    decoder = DECODERS.get((api_version, kind))
    if decoder is not None:
        return decoder(raw)
    name = f"{_PACKAGES.get(api_version, '')}.{kind}"
    if name not in MESSAGES:
        raise ProtobufError(f"the simulated API server does not decode protobuf for {kind or 'this object'} "
                            f"({api_version}); send JSON (kubectl create -f / apply -f)")
    try:
        obj = message(name, raw)
    except (UnicodeDecodeError, KeyError) as exc:
        raise ProtobufError(f"the {kind} could not be decoded: {exc}") from None
    return {"apiVersion": api_version, "kind": kind, **obj}
