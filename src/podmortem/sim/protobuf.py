"""Decoding the Kubernetes protobuf encoding for the few objects kubectl sends that way.

kubectl's typed clients (`kubectl create configmap|secret|namespace ...`) send request bodies as
`application/vnd.kubernetes.protobuf`: the magic `k8s\\x00` and a runtime.Unknown envelope whose
`raw` field holds the object. This module reads the protobuf wire format and the fields of
ObjectMeta, ConfigMap, Secret and Namespace (field numbers from the `generated.proto` files of
k8s.io/api and k8s.io/apimachinery). Other kinds are refused with 415 by the server, which answers
in JSON either way.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

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
    if decoder is None:
        raise ProtobufError(f"the simulated API server decodes protobuf only for ConfigMap, Secret and Namespace, "
                            f"not {kind or 'this object'}; send JSON (kubectl create -f / apply -f)")
    return decoder(raw)
