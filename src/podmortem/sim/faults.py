"""Fault injection for reliability tests: errors, throttling, refusals, slowness, dropped watches.

A rule matches requests by verb, resource and namespace, fires for a fraction of them (`rate`) or
for the first `count`, and then does one of:

- `error` (HTTP 500 InternalError Status), `throttle` (429 TooManyRequests with Retry-After),
  `forbidden` (403 with the real RBAC message), `slow` (sleep `delay` seconds first),
- `drop-watch` (end watch streams after `after` seconds without a clean close),
- `expire-continue` (every continue token answers 410 Expired).

On the command line: `--fault 'KIND[:key=value,...]'`, e.g. `--fault forbidden:verb=list,resource=secrets`,
`--fault error:rate=0.2`, `--fault throttle:retry-after=2,count=3`, `--fault slow:delay=1.5,resource=pods`,
`--fault drop-watch:after=5`, `--fault expire-continue`.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

from podmortem.errors import InputError

KINDS = ("error", "throttle", "forbidden", "slow", "drop-watch", "expire-continue")
_ALIASES = {"500": "error", "429": "throttle", "403": "forbidden"}


@dataclass
class FaultRule:
    kind: str
    verb: str | None = None  # get, list, watch, create, update, patch, delete
    resource: str | None = None  # plural, e.g. pods; "pods/log" for the log subresource
    namespace: str | None = None
    rate: float = 1.0
    count: int | None = None  # fire for the first `count` matching requests only
    delay: float = 1.0  # slow
    retry_after: int = 1  # throttle
    after: float = 2.0  # drop-watch: seconds of streaming before the connection is cut
    user: str = "podmortem"  # forbidden: who the message says was refused
    fired: int = 0

    def matches(self, verb: str, resource: str, namespace: str | None) -> bool:
        if self.verb and self.verb != verb:
            return False
        if self.resource and self.resource != resource:
            return False
        if self.namespace and self.namespace != namespace:
            return False
        return not (self.count is not None and self.fired >= self.count)


@dataclass
class Faults:
    rules: list[FaultRule] = field(default_factory=list)
    seed: int = 0
    _rng: random.Random = field(default_factory=lambda: random.Random(0))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()

    def pick(self, verb: str, resource: str, namespace: str | None, kinds: tuple[str, ...]) -> FaultRule | None:
        """The first rule of one of `kinds` that fires for this request (counting it)."""
        with self._lock:
            for rule in self.rules:
                if rule.kind in kinds and rule.matches(verb, resource, namespace):
                    if rule.rate < 1.0 and self._rng.random() >= rule.rate:
                        continue
                    rule.fired += 1
                    return rule
        return None

    def peek(self, verb: str, resource: str, namespace: str | None, kinds: tuple[str, ...]) -> FaultRule | None:
        """The first rule of one of `kinds` that matches, without firing it (an access review asks, it does not act)."""
        with self._lock:
            return next((r for r in self.rules if r.kind in kinds and r.matches(verb, resource, namespace)), None)


def parse_fault(text: str) -> FaultRule:
    """`KIND[:key=value,...]` from the command line."""
    kind, _, rest = text.partition(":")
    kind = _ALIASES.get(kind.strip(), kind.strip())
    if kind not in KINDS:
        raise InputError(f"--fault {text!r}: unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    rule = FaultRule(kind)
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, eq, value = part.partition("=")
        key = key.strip().replace("-", "_")
        if not eq:
            raise InputError(f"--fault {text!r}: {part!r} is not key=value")
        try:
            if key in ("verb", "resource", "namespace", "user"):
                setattr(rule, key, value.strip())
            elif key in ("rate", "delay", "after"):
                setattr(rule, key, float(value))
            elif key in ("count", "retry_after"):
                setattr(rule, key, int(value))
            else:
                raise InputError(f"--fault {text!r}: unknown key {key!r} (verb, resource, namespace, rate, count, "
                                 "delay, retry-after, after, user)")
        except ValueError:
            raise InputError(f"--fault {text!r}: {key} needs a number, not {value!r}") from None
    return rule
