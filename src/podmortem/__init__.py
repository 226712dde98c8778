"""podmortem: why Kubernetes pods crash-loop, with the evidence and the fix.

Library use:

    from podmortem import diagnose, load_pods
    for pod in load_pods(["pods.json"]):
        print(diagnose(pod).findings[0].cause)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from podmortem.model import PodDiagnosis, PodEvidence


def diagnose(pod: PodEvidence, **kwargs: Any) -> PodDiagnosis:
    from podmortem.engine import diagnose as _diagnose

    return _diagnose(pod, **kwargs)


def load_pods(paths: list[str], describe: list[str] | None = None, logs: list[str] | None = None) -> list[PodEvidence]:
    from podmortem.sources.loader import Inputs, load

    return load(Inputs(list(paths), list(describe or []), list(logs or [])))


__all__ = ["__version__", "diagnose", "load_pods"]
