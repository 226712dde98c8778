"""`--write-patches DIR`: each remedy's patch as a YAML file, and the apply command naming that file.

File names are built by podmortem, never taken from the evidence: an index and a slug of the target's
kind and name reduced to `[a-z0-9-]` (`01-deployment-web.yaml`), so a pod or owner named
`../../etc/x` or with a newline stays inside DIR as a plain name. DIR itself is refused when it is
a symbolic link or not a directory; files are opened relative to DIR's descriptor with O_NOFOLLOW, so
a symbolic link planted at a file's name is refused, not followed. The same patch for several pods
(a group of replicas) is written once.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence

from podmortem.errors import UsageError
from podmortem.model import Finding, PodDiagnosis
from podmortem.model.evolve import evolve
from podmortem.model.remedy import Remedy
from podmortem.render.commands import patch_json, patch_yaml

MAX_SLUG = 48


PatchDirError = UsageError  # DIR cannot safely receive the patch files: exit code 2, one line


def slug(remedy: Remedy) -> str:
    t = remedy.target
    words = [w for w in ((t.kind or "").lower(), t.name or "") if w] if t is not None else []
    text = re.sub(r"[^a-z0-9]+", "-", "-".join(words).lower()).strip("-")[:MAX_SLUG].strip("-")
    return text or "patch"


def open_dir(folder: str) -> int:
    """A descriptor of DIR, created if missing; refused when it is a symlink or not a directory."""
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        try:
            os.makedirs(folder, mode=0o755, exist_ok=True)
        except OSError as e:
            raise PatchDirError(f"--write-patches: cannot create {folder!r}: {e.strerror}") from None
        st = os.lstat(folder)
    if stat.S_ISLNK(st.st_mode):
        raise PatchDirError(f"--write-patches: {folder!r} is a symbolic link; give the directory itself")
    if not stat.S_ISDIR(st.st_mode):
        raise PatchDirError(f"--write-patches: {folder!r} is not a directory")
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as e:
        raise PatchDirError(f"--write-patches: cannot open {folder!r}: {e.strerror}") from None


def _write(dir_fd: int, name: str, text: str, folder: str) -> None:
    assert "/" not in name and name not in (".", "..")
    try:
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644, dir_fd=dir_fd)
    except OSError as e:  # ELOOP: a symbolic link sits at that name
        raise PatchDirError(f"--write-patches: cannot write {name!r} in {folder!r}: {e.strerror}") from None
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def write_patches(diagnoses: Sequence[PodDiagnosis], folder: str) -> list[PodDiagnosis]:
    """The diagnoses with each patch written to a file in `folder` and its remedy naming that file."""
    dir_fd = open_dir(folder)
    written: dict[tuple[str, str], str] = {}  # (target, patch json) -> path
    out: list[PodDiagnosis] = []
    try:
        for d in diagnoses:
            findings: list[Finding] = []
            for f in d.findings:
                r = f.remedy
                if r.patch is None:
                    findings.append(f)
                    continue
                key = (repr(r.target), patch_json(r.patch))
                path = written.get(key)
                if path is None:
                    name = f"{len(written) + 1:02d}-{slug(r)}.yaml"
                    _write(dir_fd, name, patch_yaml(r.patch) or "", folder)
                    path = os.path.join(folder, name)
                    written[key] = path
                findings.append(evolve(f, remedy=evolve(r, patch_file=path)))
            out.append(evolve(d, findings=tuple(findings)) if findings != list(d.findings) else d)
    finally:
        os.close(dir_fd)
    return out


__all__ = ["PatchDirError", "open_dir", "slug", "write_patches"]
