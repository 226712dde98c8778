"""The app.config-invalid rule: the app rejects its configuration (a flag, a file's syntax, a value).

Part of the application family (rules/app.py lists it in its RULES). Besides the parser's or
server's error line it finds where the rejected setting comes from: the container's args or
command for a flag, the mounted ConfigMap or Secret for a config file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from podmortem.kube.kubectl import kubectl
from podmortem.model import APPLY, ContainerEvidence, Hit, PodEvidence, Remedy
from podmortem.rules import patterns as pt
from podmortem.rules.app_analysis import Analysis, Candidate
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
from podmortem.rules.evidence import namespace_of, pod_arg, watch_command, workload_ref
from podmortem.rules.facts import printed
from podmortem.rules.outside import CONFIG_CONTENT

_FLAG_DETAILS = frozenset({"unknown-flag", "unknown-option", "required-flag", "invalid-flag-value", "jvm-option"})
_SYNTAX_DETAILS = frozenset({"yaml-syntax", "json-syntax", "toml-syntax", "ini-syntax", "xml-syntax"})


def _args_without(c: ContainerEvidence, flag: str) -> tuple[str, tuple[str, ...]] | None:
    """The spec field (args or command) holding a rejected flag, and that field without it."""
    if c.spec is None:
        return None
    name = flag.split("=", 1)[0].strip("'\" ")
    for field, items in (("args", c.spec.args), ("command", c.spec.command)):
        kept = tuple(a for a in items if a.split("=", 1)[0] != name)
        if len(kept) < len(items):
            return field, kept
    return None


def _path_near(an: Analysis, cand: Candidate) -> str | None:
    """A config path named on the line or the lines just before a syntax error."""
    seg = cand.line.segment
    for k in range(cand.index, max(-1, cand.index - 4), -1):
        ln = an.lines[k]
        if ln.segment != seg:
            break
        m = re.search(r"(/[\w.@+-]+(?:/[\w.@+-]+)*\.(?:ya?ml|json|toml|conf|cfg|ini|properties|xml|env))\b", ln.text)
        if m:
            return m.group(1)
    return None


@rule("config-rejected", cause="app.config-invalid",
      title="The app rejects its configuration (syntax, flag or value)", needs=("logs", "status", "spec"), when=printed)
def config_rejected(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A log line in which the app or server rejects its configuration: unknown or missing
    command-line flags (Go flag/pflag/cobra, argparse, click, getopt, the JVM launcher), invalid
    flag values, YAML/JSON/TOML/INI syntax errors in the parsers' own words, Spring Boot binding
    failures, nginx `[emerg]` directives, Apache, HAProxy, PostgreSQL, MySQL, Redis and
    Elasticsearch config errors, a broken java command line ("Could not find or load main
    class"), and a database server rejecting the configured credentials or database name.

    ## Why the pod crash-loops
    The process checks its configuration at start and exits on the first error; the config
    (ConfigMap, args, env) is the same on every restart.

    ## Evidence used
    The parser's or server's error line in the crashed container's log; the container's args
    when the rejected flag appears there; the volume that holds a rejected config file.

    ## How to fix
    Correct the flag or value (flags differ between image versions: check the image's
    `--help`), or fix the file in its ConfigMap and validate it before rolling out.

    ## Near misses
    A config file that is absent rather than malformed is `app.file-missing`; a variable that is
    not set is `app.missing-env`; an unresolvable upstream host in an nginx config is
    `app.dependency-unreachable`.
    """
    for c, an, cand in log_rule_hits(pod, pt.CONFIG_INVALID):
        who = container_title(c)
        subject = cand.subject
        patch = None
        cmds = base_commands(pod, c)
        if cand.detail == "jvm-option":
            summary = f"{who} starts a JVM that rejects one of its options: {quoted_match(cand)}."
            fix = ("Remove or replace the JVM option: options are removed between Java versions, so check the "
                   "options passed in JAVA_OPTS / JAVA_TOOL_OPTIONS / JDK_JAVA_OPTIONS and in the args against the "
                   "Java version of the image.")
            cmds.append(kubectl("set", "env", workload_ref(pod), "--list", namespace=namespace_of(pod)))
        elif cand.detail in _FLAG_DETAILS:
            summary = f"{who} rejects its command line: {quoted_match(cand)}."
            fix = ("Fix the container's command/args: flags differ between versions, so remove or rename the flag "
                   "this image does not know (check the image's --help), or use the image version the flags are "
                   "written for.")
            where = _args_without(c, subject) if subject else None
            if where is not None:
                field, kept = where
                summary += f" The flag comes from the container's {field}."
                patch = one_container_patch(c, {field: list(kept)})
            cmds.append(kubectl("get", "pod", pod_arg(pod), "-o", "jsonpath={.spec.containers[*].args}",
                                namespace=namespace_of(pod)))
        elif cand.detail == "java-main-class":
            if subject and re.fullmatch(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*", subject):
                summary = (f"{who} starts a JVM that cannot load its main class: {quoted_match(cand)}. The class name or "
                           "the classpath given on the java command line is wrong.")
                fix = ("Check the main class name (spelling, package) and the classpath (-cp, or the jar's "
                       "Main-Class manifest entry) of the java command.")
            else:
                summary = (f"{who} starts a JVM whose command line is broken: {quoted_match(cand)}. The main class it got "
                           "is not a class name: usually stray quotes or spaces in a variable expanded into the java "
                           "command (JAVA_OPTS-style settings).")
                fix = ("Check the env values expanded into the java command line (no literal quotes inside the "
                       "value), the classpath, and the main class name.")
            cmds.append(kubectl("set", "env", workload_ref(pod), "--list", namespace=namespace_of(pod)))
        elif cand.detail == "credentials-rejected":
            summary = f"{who} reaches its server, which rejects the configured credentials: {quoted_match(cand)}."
            fix = ("Make the user and password the app is given (usually env from a Secret) match the server's; "
                   "check which Secret and key the env refers to.")
            cmds.append(kubectl("set", "env", workload_ref(pod), "--list", namespace=namespace_of(pod)))
        else:
            path = subject if subject and subject.startswith("/") else _path_near(an, cand)
            what = f" {path}" if path else ""
            summary = f"{who} cannot use its configuration{what}: {quoted_match(cand)}."
            fix = ("Fix the configuration the log points at (line and column where given) and validate it before "
                   "rolling it out.")
            if cand.detail in _SYNTAX_DETAILS:
                fix = ("Fix the syntax error at the line the parser names (indentation, quoting, a missing ':' or "
                       "','); validate the file before rolling it out.")
            if path:
                m = mount_for(c, path)
                if m is not None:
                    vol = pod.volume(m.name)
                    summary += f" The file comes from {volume_text(pod, m)} mounted at {m.mount_path}."
                    if vol is not None and vol.kind in ("configMap", "secret") and vol.ref_name:
                        if vol.kind == "configMap":
                            cmds.append(kubectl("get", "configmap", vol.ref_name, "-o", "yaml",
                                                namespace=namespace_of(pod)))
                        else:
                            cmds.append(kubectl("get", "secret", vol.ref_name, "-o", SECRET_KEYS,
                                                namespace=namespace_of(pod)))
        if patch is not None:
            cmds.append(APPLY)
        cmds.append(watch_command(pod))
        yield Hit(c.name or None, summary, app_citations(pod, c, an, cand), Remedy(fix, patch, tuple(cmds), outside_spec=None if patch is not None else CONFIG_CONTENT),
                  cand.confidence, c.init, cand.detail, cand.strength)
