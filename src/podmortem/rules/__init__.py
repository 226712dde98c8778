"""The rule catalogue: every rule, listed explicitly, family by family.

A rule is registered by adding it to its family module's RULES tuple; nothing registers itself
by import side effect. Order does not decide ranking (the engine does), but it is stable.
"""

from __future__ import annotations

from podmortem.rules import app, config, image, node, probes, resources, security, volume
from podmortem.rules.base import DOC_HEADINGS, Rule, rule

ALL_RULES: tuple[Rule, ...] = (
    *node.RULES,
    *config.RULES,
    *security.RULES,
    *image.RULES,
    *volume.RULES,
    *resources.RULES,
    *probes.RULES,
    *app.RULES,
)


def by_id(rule_id: str) -> Rule:
    for r in ALL_RULES:
        if r.id == rule_id:
            return r
    raise KeyError(rule_id)


def for_cause(cause: str) -> tuple[Rule, ...]:
    return tuple(r for r in ALL_RULES if r.cause == cause)


__all__ = ["ALL_RULES", "DOC_HEADINGS", "Rule", "by_id", "for_cause", "rule"]
