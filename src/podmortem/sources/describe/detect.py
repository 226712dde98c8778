"""Whether a text is `kubectl describe` output rather than an application log.

The loader asks this of every input it cannot read as objects, so it reads only as far as the
first sure sign: a key only describe writes, an Events header or row, or a message only the
kubelet writes. It imports `events` for the row shapes; never the line-driven parser.
"""

from __future__ import annotations

import re

from podmortem.sources.describe.events import BARE_ROW, HEADER_MODERN, HEADER_OLD, MODERN_ROW, OLD_ROW

_STRONG_KEY = re.compile(
    r"^[ \t]*(?:Containers|Init Containers|State|Last State|Last Termination State|Events|Restart Count|"
    r"Controlled By|Exit Code|QoS Class|Container ID|Image ID)[ \t]*:")
_WEAK_KEY = re.compile(r"^[ \t]*(?:Name|Namespace|Node|Status|Labels|Annotations|Start Time|Image|Ready|"
                       r"Conditions|Volumes|Reason|Mounts)[ \t]*:")
# Messages only the kubelet and its neighbours write (facts 2.5, 2.6), as pasted on their own.
_KUBELET_MESSAGE = re.compile(
    r"Back-off restarting failed container|Back-off pulling image|Failed to pull image \"|"
    r"MountVolume\.\w+ failed for volume|(?:Liveness|Readiness|Startup) probe (?:failed|errored)|"
    r"Successfully assigned \S+ to |Container image \"[^\"]+\" already present on machine|"
    r"Error: (?:ErrImagePull|ImagePullBackOff|failed to (?:start|create) container|container has runAsNonRoot|"
    r"configmaps? \"|secrets? \"|couldn't find key|failed to create containerd task|container create failed)|"
    r"Failed to create pod sandbox|FailedCreatePodSandBox|\{kubelet [^}]*\}|"
    r"failed to \"StartContainer\" for \"|container's runAsUser breaks non-root policy")


def looks_like_describe(text: str) -> bool:
    """Whether text reads as `kubectl describe` output (or its Events rows, or kubelet messages)
    rather than an application log."""
    weak = 0
    for raw in text.splitlines():
        s = raw.strip()
        if not s or s[0] in "{[":  # JSON log lines can quote anything
            continue
        if _STRONG_KEY.match(s) or HEADER_MODERN.match(s) or HEADER_OLD.match(s):
            return True
        if _WEAK_KEY.match(s):
            weak += 1
            if weak >= 2:
                return True
            continue
        if s[:1] in ("N", "W") and (MODERN_ROW.match(s) or BARE_ROW.match(s)):
            return True
        if OLD_ROW.match(s) or _KUBELET_MESSAGE.search(s):
            return True
    return False
