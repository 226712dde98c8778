"""Container images as the kubelet and containerd name them: normalised references and pull policy.

Pure functions of an image string. Imports no other module of the kubelet package.
"""

from __future__ import annotations

import hashlib


def digest_of(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def normalize_image(image: str) -> str:
    """docker.io/library/nginx:1.25 for nginx:1.25, as containerd reports status.image."""
    name = image
    digest = ""
    if "@" in name:
        name, digest = name.split("@", 1)
        digest = "@" + digest
    first = name.split("/", 1)[0]
    if "/" not in name:
        name = f"docker.io/library/{name}"
    elif "." not in first and ":" not in first and first != "localhost":
        name = f"docker.io/{name}"
    last = name.rsplit("/", 1)[-1]
    if ":" not in last and not digest:
        name += ":latest"
    return name + digest


def image_pull_policy(image: str, policy: str | None) -> str:
    if policy:
        return policy
    last = image.rsplit("/", 1)[-1]
    if "@" in image:
        return "IfNotPresent"
    return "Always" if ":" not in last or last.endswith(":latest") else "IfNotPresent"
