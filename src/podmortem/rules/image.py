"""Rules for the image family of causes (see shared/causes.md)."""

from __future__ import annotations

from podmortem.rules._base import Rule

RULES: tuple[Rule, ...] = ()
