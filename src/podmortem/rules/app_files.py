"""The app.file-missing and app.missing-module rules: something the app loads at start is not in the container.

Part of the application family (rules/app.py lists them in its RULES). A missing file or
directory is a question of volumes and paths (which mount the path falls under, which mount
holds the file instead); a missing module or library is a question of how the image was built,
and the fix names the usual packaging mistake of each runtime.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from podmortem.kube.kubectl import kubectl
from podmortem.model import APPLY, ContainerEvidence, Hit, Joined, PodEvidence, Remedy
from podmortem.model.evidence import VolumeMount
from podmortem.rules import patterns as pt
from podmortem.rules.app_findings import (
    SECRET_KEYS,
    app_citations,
    base_commands,
    container_title,
    log_rule_hits,
    mount_for,
    one_container_patch,
    quoted_match,
    volume_text,
)
from podmortem.rules.base import rule
from podmortem.rules.evidence import debug_command, namespace_of, watch_command
from podmortem.rules.facts import printed
from podmortem.rules.outside import FILE_SOURCE, IMAGE_CONTENT

# --- app.file-missing ----------------------------------------------------------------------------


def _config_mounts(pod: PodEvidence, c: ContainerEvidence) -> list[VolumeMount]:
    """The container's mounts of ConfigMap, Secret and projected volumes: where config files come from."""
    if c.spec is None:
        return []
    found = []
    for m in c.spec.mounts:
        v = pod.volume(m.name)
        if v is not None and v.kind in ("configMap", "secret", "projected"):
            found.append(m)
    return found


@rule("file-not-found", cause="app.file-missing", title="A file or directory the app needs at start is absent",
      needs=("logs", "status", "spec"), when=printed)
def file_not_found(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A log line in which the app fails to open a file or directory it needs: "No such file or
    directory" with a path (Python `FileNotFoundError`, Go `open PATH`, Ruby `Errno::ENOENT`,
    coreutils), Node `ENOENT`, Java `FileNotFoundException` / `NoSuchFileException`, .NET "Could
    not find file", nginx `open() "PATH" failed`, a missing main script or jar.

    ## Why the pod crash-loops
    The path is not in the image and no volume provides it there (a volume mounted at another
    path, a ConfigMap key with another name, a subPath mistake, or a volume mounted over the
    image's own directory hides the file). Every restart sees the same filesystem.

    ## Evidence used
    The error line and the path it names; the container's volumeMounts and the pod's volumes,
    to say which volume the path falls under.

    ## How to fix
    Mount the ConfigMap, Secret or volume that holds the file at the path the app reads (or
    point the app at where it is mounted); mount single files with `subPath` so a mount does
    not hide the rest of the image's directory.

    ## Near misses
    A missing executable (the entrypoint or a script the shell runs) is
    `image.command-not-found`; "Permission denied" on an existing file is
    `security.permission-denied`; a missing shared library is `app.missing-module`.
    """
    for c, an, cand in log_rule_hits(pod, pt.FILE_MISSING):
        who = container_title(c)
        path = cand.subject
        shown = f" {path}" if path else ""
        summary = f"{who} exits because{shown or ' a file it needs'} does not exist: {quoted_match(cand)}."
        if cand.detail == "empty-path":
            summary = (f"{who} exits opening a file whose path is empty: {quoted_match(cand)}. The setting meant to hold "
                       "the path (an environment variable, a flag or a config key) is most likely unset or empty.")
        patch = None
        cmds = base_commands(pod, c)
        if cand.detail in ("entry-script-missing", "jar-missing", "node-entry-script-missing"):
            summary += " That is the program the container was told to run: the image lacks it at that path."
        m = mount_for(c, path) if path else None
        if m is not None and path:
            vol = pod.volume(m.name)
            rel = posixpath.relpath(path, m.mount_path) if path != m.mount_path else ""
            summary += f" The path is inside {volume_text(pod, m)} mounted at {m.mount_path}"
            summary += f" (subPath {m.sub_path})." if m.sub_path else "."
            if vol is not None and vol.items and rel and rel not in vol.items:
                summary += f" The volume projects only {', '.join(vol.items)}, not {rel}."
            fix = (f"Make {volume_text(pod, m)} provide {rel or path} (check the ConfigMap/Secret key names, items "
                   "and subPath), or point the app at where the file really is. A volume mounted over a directory "
                   "of the image hides the image's own files there; mount single files with subPath.")
            if vol is not None and vol.ref_name and vol.kind == "configMap":
                cmds.append(kubectl("get", "configmap", vol.ref_name, "-o", "jsonpath={.data}",
                                    namespace=namespace_of(pod)))
            elif vol is not None and vol.ref_name and vol.kind == "secret":
                cmds.append(kubectl("get", "secret", vol.ref_name, "-o", SECRET_KEYS, namespace=namespace_of(pod)))
        else:
            fix = ("Mount the ConfigMap, Secret or volume that holds the file at the path the app reads, or fix the "
                   "path the app is given; if the file belongs in the image, add it to the image.")
            elsewhere = _config_mounts(pod, c)
            if c.spec is not None and path:
                summary += " No volume is mounted at that path, so it would have to be in the image."
            if path and path.startswith("/") and len(elsewhere) == 1 and not elsewhere[0].sub_path:
                m = elsewhere[0]
                directory, base = posixpath.split(path)
                summary += (f" {volume_text(pod, m).capitalize()} is mounted at {m.mount_path} instead; if it holds "
                            f"{base}, the app looks in the wrong place.")
                fix = (f"Mount {volume_text(pod, m)} where the app reads it ({directory}), or point the app at "
                       f"{posixpath.join(m.mount_path, base)}.")
                patch = one_container_patch(c, {"volumeMounts": [{"name": m.name, "mountPath": directory,
                                                                "readOnly": True}]})
            elif path and path.startswith("/") and cand.detail not in ("entry-script-missing", "jar-missing",
                                                                         "node-entry-script-missing"):
                base = posixpath.basename(path)
                mount: dict[str, object] = {"name": "app-config", "mountPath": path}
                if "." in base:
                    mount["subPath"] = base
                # A template: CONFIGMAP_NAME is the reader's to fill in, so it is shown, not applied.
                template = one_container_patch(c, {"volumeMounts": [mount]},
                                            {"volumes": [{"name": "app-config", "configMap": {"name": "CONFIGMAP_NAME"}}]})
                fix += (" A mount to start from (fill in CONFIGMAP_NAME, the ConfigMap that holds the file): "
                        + _flow(template) + ".")
        image = c.spec.image if c.spec and c.spec.image else None
        if image and path:
            look = posixpath.dirname(path.rstrip("/")) or "/"
            cmds.append(kubectl("run", "fs-check", "--rm", "-it", "--restart=Never",
                                Joined(("--image=", image)), "--command", "--", "ls", "-la", look,
                                namespace=namespace_of(pod)))
        else:
            cmds.append(debug_command(pod, c.name or None))
        if patch is not None:
            cmds.append(APPLY)
        cmds.append(watch_command(pod))
        yield Hit(c.name or None, summary, app_citations(pod, c, an, cand), Remedy(fix, patch, tuple(cmds), outside_spec=None if patch is not None else FILE_SOURCE),
                  cand.confidence, c.init, cand.detail, cand.strength)


# --- app.missing-module --------------------------------------------------------------------------

# Python import names whose distribution has another name: the fix names the package to install.
_PY_DISTRIBUTIONS = {
    "yaml": "PyYAML", "cv2": "opencv-python-headless", "PIL": "Pillow", "sklearn": "scikit-learn",
    "bs4": "beautifulsoup4", "dotenv": "python-dotenv", "jwt": "PyJWT", "psycopg2": "psycopg2-binary",
    "MySQLdb": "mysqlclient", "attr": "attrs", "dateutil": "python-dateutil", "Crypto": "pycryptodome",
    "magic": "python-magic", "serial": "pyserial", "OpenSSL": "pyOpenSSL", "jose": "python-jose",
    "multipart": "python-multipart", "docx": "python-docx", "fitz": "PyMuPDF", "git": "GitPython",
    "zmq": "pyzmq", "skimage": "scikit-image", "kafka": "kafka-python", "google.protobuf": "protobuf",
    "ldap": "python-ldap", "socks": "PySocks", "pkg_resources": "setuptools",
}


def _module_fix(detail: str, module: str | None) -> str:
    mod = module or "the module"
    if detail.startswith("python"):
        top = (module or "").split(".")[0]
        dist = _PY_DISTRIBUTIONS.get(module or "", _PY_DISTRIBUTIONS.get(top))
        pkg = f" (the package is {dist})" if dist else ""
        return (f"Install {mod}{pkg} in the image (requirements/pyproject) and rebuild; if it is installed in a "
                "build stage, copy that stage's site-packages/venv into the final image and keep PYTHONPATH/WORKDIR "
                "right.")
    if detail == "node-native-abi":
        return ("Rebuild node_modules inside the image with the Node version it runs (npm rebuild / npm ci in the "
                "final base image); native modules are tied to one Node ABI and one libc.")
    if detail.startswith("node"):
        return (f"Add {mod} to dependencies (not devDependencies: `npm ci --omit=dev` leaves those out) and make "
                "sure node_modules is copied into the final image stage; then rebuild.")
    if detail.startswith("java"):
        if detail == "java-dependency-conflict":
            return ("Two versions of a library meet on the classpath: align the dependency versions (mvn "
                    "dependency:tree / gradle dependencies) and rebuild.")
        return (f"Put the jar that provides {mod} on the classpath in the image (a fat jar, or the dependency "
                "jars next to the app and in -cp), and check that the build did not mark it provided/test-only.")
    if detail in ("shared-library-missing", "glibc-version"):
        return (f"Install the OS package that provides {mod} in the image (apt-get/apk/dnf), or build the binary "
                "on the same base image it runs on (glibc vs musl, same glibc version).")
    if detail.startswith("dotnet"):
        return ("Publish the app with all its dependencies, and use a base image with the .NET runtime version the "
                "app targets (e.g. mcr.microsoft.com/dotnet/aspnet:<same major>).")
    if detail.startswith("ruby"):
        return (f"Install {mod} in the image (bundle install without excluding its group; check BUNDLE_WITHOUT and "
                "Gemfile.lock), then rebuild.")
    if detail.startswith("php"):
        return (f"Install {mod} in the image (composer install, or docker-php-ext-install for an extension), and "
                "check that vendor/ is copied into the final image.")
    return f"Install {mod} in the image the container runs, then rebuild and roll out."


@rule("module-not-found", cause="app.missing-module", title="The image lacks a module or library the code imports",
      needs=("logs", "status", "spec"), when=printed)
def module_not_found(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A log line in which the runtime cannot load code the app imports: Python
    `ModuleNotFoundError` / `ImportError`, Node "Cannot find module" and `ERR_MODULE_NOT_FOUND`,
    Java `NoClassDefFoundError` / `ClassNotFoundException` / `UnsatisfiedLinkError`, the dynamic
    linker's "error while loading shared libraries", .NET "Could not load file or assembly" and
    missing frameworks, Ruby `LoadError` / `Bundler::GemNotFound`, PHP missing classes and
    extensions, Perl `@INC`, Go plugins.

    ## Why the pod crash-loops
    The code and the image do not match: a dependency is not installed, was installed as a dev
    dependency, or lives in a build stage that was not copied into the final image. Restarts run
    the same image, so the import fails every time.

    ## Evidence used
    The runtime's import error in the crashed container's log and the module it names.

    ## How to fix
    Install the module in the image and rebuild (the remedy names the usual packaging mistake per
    runtime); roll out the fixed image.

    ## Near misses
    A missing config or data file is `app.file-missing`; a missing entrypoint binary is
    `image.command-not-found`; a main class that cannot be found because the java command line is
    broken is `app.config-invalid`.
    """
    for c, an, cand in log_rule_hits(pod, pt.MISSING_MODULE):
        module = cand.subject
        what = module or "a module it imports"
        summary = f"{container_title(c)} exits because the image lacks {what}: {quoted_match(cand)}."
        cmds = base_commands(pod, c)
        image = c.spec.image if c.spec and c.spec.image else None
        if image and module and cand.detail.startswith("python") and re.fullmatch(r"[\w.]+", module):
            cmds.append(kubectl("run", "import-check", "--rm", "-it", "--restart=Never",
                                Joined(("--image=", image)), "--command", "--", "python", "-c", "import " + module,
                                namespace=namespace_of(pod)))
        else:
            cmds.append(debug_command(pod, c.name or None))
        cmds.append(watch_command(pod))
        yield Hit(c.name or None, summary, app_citations(pod, c, an, cand),
                  Remedy(_module_fix(cand.detail, module), None, tuple(cmds), outside_spec=IMAGE_CONTENT),
                  cand.confidence, c.init, cand.detail, cand.strength)


def _flow(patch: dict[str, object]) -> str:
    """A patch as one line of JSON, for a template shown in the text (not applied)."""
    import json

    return json.dumps(patch, separators=(",", ":"))
