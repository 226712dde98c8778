"""What the API server checks before it looks at a request's object: size, media type, YAML aliases, token.

Each check answers the way kube-apiserver v1.32 does, with its Status texts:

- Bodies over 3 MiB are refused with 413 `RequestEntityTooLarge` ("Request entity too large: limit is
  3145728"): `limitedReadBody` in staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go reads at
  most `MaxRequestBodyBytes` (default 3 * 1024 * 1024, apiserver/pkg/server/config.go).
- A body is decoded as YAML only when its Content-Type says YAML; an unknown media type is 415
  (`NegotiateInputSerializerForMediaType`, apiserver/pkg/endpoints/handlers/negotiation; an empty
  Content-Type means the first supported type, JSON).
- YAML goes through go-yaml's alias budget (`allowedAliasRatio` in gopkg.in/yaml.v2 v2.4.0
  decode.go, the CVE-2019-11253 fix that sigs.k8s.io/yaml inherits): once more than 100 nodes came
  from aliases and more than 1000 were decoded, alias-made nodes may be at most 99% of the decoded
  ones (for documents up to 400,000 decodes, falling to 10% at 4,000,000). A 500-byte "billion
  laughs" body is a 400 before anything is expanded.
- With `--token`, a request without `Authorization: Bearer <token>` is 401 `Unauthorized`, the body
  the authentication filter writes (apiserver/pkg/endpoints/handlers/responsewriters/errors.go).
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml

from podmortem.kube.yamldocs import (  # go-yaml's budget, one definition
    allowed_alias_ratio,
    build,
    compose_one,
)
from podmortem.sim.cluster import ApiError

MAX_BODY_BYTES = 3 * 1024 * 1024
JSON_TYPES = ("application/json", "application/merge-patch+json", "application/strategic-merge-patch+json",
              "application/json-patch+json")
YAML_TYPES = ("application/yaml", "application/apply-patch+yaml")
PROTOBUF_TYPE = "application/vnd.kubernetes.protobuf"
ACCEPTED = "application/json, application/yaml, application/vnd.kubernetes.protobuf"



def too_large() -> ApiError:
    return ApiError(413, "RequestEntityTooLarge", f"Request entity too large: limit is {MAX_BODY_BYTES}", {})


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def unsupported_media_type(accepted: str = ACCEPTED) -> ApiError:
    return ApiError(415, "UnsupportedMediaType",
                    f"the body of the request was in an unknown format - accepted media types include: {accepted}", {})


def media_type(content_type: str | None) -> str:
    """The bare media type of a Content-Type header, lower case; JSON when there is none."""
    bare = (content_type or "").split(";")[0].strip().lower()
    return bare or "application/json"


def token_ok(authorization: str | None, token: str) -> bool:
    scheme, _, value = (authorization or "").strip().partition(" ")
    return scheme.lower() == "bearer" and value.strip() == token


class AliasBudgetError(ValueError):
    pass


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [x for pair in node.value for x in pair]
    return []


def _document_order(root: yaml.Node) -> tuple[list[yaml.Node | None], dict[int, list[bool]]]:
    """The nodes in document order (None marks an alias) and, per node, which child edges are aliases.

    A composed PyYAML graph shares one node object between an anchor and its aliases: the first
    occurrence in document order is the anchored node, every later one an alias.
    """
    order: list[yaml.Node | None] = []
    alias_edges: dict[int, list[bool]] = {}
    seen: set[int] = set()
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, int, int, bool]] = [(root, 0, -1, False)]  # node, parent id, index, done
    while stack:
        node, parent, index, done = stack.pop()
        key = id(node)
        if done:
            open_nodes.discard(key)
            continue
        if key in seen:
            if key in open_nodes:
                raise AliasBudgetError("yaml: anchor value contains itself")
            alias_edges[parent][index] = True
            order.append(None)
            order.append(node)
            continue
        seen.add(key)
        open_nodes.add(key)
        order.append(node)
        kids = _children(node)
        alias_edges[key] = [False] * len(kids)
        stack.append((node, parent, index, True))
        stack.extend((kid, key, i, False) for i, kid in reversed(list(enumerate(kids))))
    return order, alias_edges


def _expanded_sizes(root: yaml.Node, alias_edges: dict[int, list[bool]]) -> dict[int, int]:
    """How many decode steps each node takes with its aliases expanded (an alias is a step of its own)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        kids = _children(node)
        if done:
            sizes[key] = 1 + sum(sizes[id(k)] + (1 if alias else 0) for k, alias in zip(kids, alias_edges[key], strict=True))
            continue
        if key in sizes:
            continue
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in sizes)
    return sizes


def check_alias_budget(root: yaml.Node) -> None:
    """Refuse a document whose decoding would be mostly alias expansion, counting as go-yaml does.

    go-yaml counts every node it decodes and, separately, those decoded under an alias; the alias
    node itself is decoded outside it. It checks the ratio at every node; it is highest at the end
    of each alias's expansion, so checking there gives the same answer.
    """
    order, alias_edges = _document_order(root)
    sizes = _expanded_sizes(root, alias_edges)
    decodes = 0
    aliased = 0
    it = iter(order)
    for node in it:
        if node is None:
            target = next(it)
            assert target is not None
            decodes += 1 + sizes[id(target)]
            aliased += sizes[id(target)]
            if aliased > 100 and decodes > 1000 and aliased / decodes > allowed_alias_ratio(decodes):
                raise AliasBudgetError("yaml: document contains excessive aliasing")
        else:
            decodes += 1


def load_yaml(raw: bytes) -> Any:
    """One YAML document, its aliases within go-yaml's budget; `ApiError` 400 otherwise."""
    try:
        node = compose_one(raw)
        if node is None:
            return None
        check_alias_budget(node)
        return build(node)
    except (yaml.YAMLError, AliasBudgetError) as exc:
        text = " ".join(str(exc).split())
        raise ApiError(400, "BadRequest", f"error converting YAML to JSON: {text}") from None
    except RecursionError:
        raise ApiError(400, "BadRequest", "error converting YAML to JSON: yaml: the document is nested too deeply") \
            from None


def load_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "BadRequest", f"the body could not be decoded as JSON: {exc}") from None


def decode_body(raw: bytes, content_type: str | None) -> Any:
    """A JSON or YAML request body by its media type (protobuf is the caller's); None when empty."""
    kind = media_type(content_type)
    if kind in YAML_TYPES:
        return load_yaml(raw) if raw.strip() else None
    if kind in JSON_TYPES:
        return load_json(raw) if raw.strip() else None
    raise unsupported_media_type()
