"""Wording shared by the rules' summaries and commands: how a container or node is named in a sentence.

Evidence often lacks names (a log alone has no container name, describe text may lack the node),
so each helper has a wording for the unnamed case instead of leaving a gap in the sentence.
"""

from __future__ import annotations

from podmortem.model import PodEvidence


def who(container: str | None) -> str:
    """`container app`, or `the container` when its name is unknown."""
    return f"container {container}" if container else "the container"


def node_of(pod: PodEvidence) -> str:
    return f"node {pod.node}" if pod.node else "the node"


def first_upper(text: str) -> str:
    """The text with its first letter capitalised (str.capitalize would lower-case the rest)."""
    return text[:1].upper() + text[1:]


__all__ = ["first_upper", "node_of", "who"]
