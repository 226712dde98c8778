"""`podmortem lint`: static checks of Kubernetes manifests for crash-loop causes, before they are applied.

The pieces, each with one job: loader (files to objects with line numbers), workloads (the pod
template of each kind), podmortem.kube.images (reference grammar and facts about known
images, shared with the rules and the simulator), commands (what a command runs and whether it ends), checks/ (the catalogue), bundle
(references across files), runner (checks over a stream of files), render and sarif (output),
command (the click command). See docs/lint.md.
"""

from __future__ import annotations

from podmortem.lint.loader import Source, read_sources
from podmortem.lint.model import LintFinding, LintReport
from podmortem.lint.runner import LintOptions, lint_sources

__all__ = ["LintFinding", "LintOptions", "LintReport", "Source", "lint_sources", "read_sources"]
