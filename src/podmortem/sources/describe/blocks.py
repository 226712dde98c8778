"""Lines inside an open describe block: container sub-blocks, volumes, labels, annotations.

A container's Command/Args, Environment, Environment Variables from, Mounts, Limits and
Requests lists and its State/Last State fields; a volume's attributes; label and annotation
lists; conditions, tolerations, node selectors, IPs and pod resources. Each handler says
whether the line was its own. It builds on `state` and reads values with `fields`; it must
not import `parser`.
"""

from __future__ import annotations

import re

from podmortem.model import EnvFrom, VolumeMount
from podmortem.sources.describe.builders import StateB, VolumeB
from podmortem.sources.describe.fields import (
    ENV_FROM,
    ENV_NAME,
    MOUNT,
    RESOURCE_LINE,
    env_value,
    leading_int,
    none_if_unset,
)
from podmortem.sources.describe.state import ParserState
from podmortem.sources.describe.times import parse_time
from podmortem.sources.describe.vocabulary import (
    ANNOTATION,
    CONDITION,
    CONTAINER_KEYS,
    CONTAINER_START,
    DNS_NAME,
    LABEL,
    STATE_KEYS,
    TOLERATION,
    TOP_KEYS,
    TOP_ONLY,
    VOLUME_ATTRS,
    VOLUME_KINDS,
)


class BlockLines(ParserState):
    """The handlers for lines inside a block the parser has open."""

    def _in_block(self, idx: int, s: str, raw: str, ind: int, key: str | None, value: str | None) -> bool:
        if self.container is not None and self.sub is not None and self._container_sub(idx, s, ind, key, value):
            return True
        sec = self.section
        if sec == "volumes":
            return self._volumes_line(idx, s, ind, key, value)
        if sec == "labels":
            return self._labels_line(s, ind, key)
        if sec == "annotations":
            return self._annotations_line(s, raw, ind, key)
        if sec in ("conditions", "gates"):
            m = CONDITION.match(s)
            if m and sec == "conditions":
                self.pod.conditions[m["type"]] = m["status"]
            return bool(m) or bool(re.fullmatch(r"Type[ \t]+Status", s))
        if sec in ("tolerations", "selectors", "topology"):
            if key in TOP_KEYS or key in CONTAINER_KEYS:
                return False
            return bool(ind > self.section_indent or TOLERATION.search(s) or LABEL.match(s))
        if sec == "ips":
            return key == "IP" or (ind > self.section_indent and key is None)
        if sec == "resources":
            if key in ("Limits", "Requests") or (RESOURCE_LINE.match(s) and ind > self.section_indent):
                return True
            return bool(RESOURCE_LINE.match(s)) and ind == self.section_indent and key not in TOP_KEYS
        return False

    def _container_sub(self, idx: int, s: str, ind: int, key: str | None, value: str | None) -> bool:
        c = self.container
        assert c is not None
        sub = self.sub
        deeper = ind > self.sub_indent
        if sub == "state":
            st = self.state
            assert st is not None
            if key in STATE_KEYS and ind >= self.sub_indent:
                self._state_key(st, key, value)
                return True
            return False
        if sub in ("limits", "requests"):
            m = RESOURCE_LINE.match(s)
            if m and (deeper or key not in CONTAINER_KEYS):
                (c.limits if sub == "limits" else c.requests)[m["name"]] = m["value"]
                return True
            return False
        if sub in ("command", "args"):
            if not deeper and (key in CONTAINER_KEYS or key in TOP_KEYS):
                return False
            if not deeper and DNS_NAME.match(s) and self._next_key(idx) in CONTAINER_START:
                return False
            (c.command if sub == "command" else c.args).append(s)
            return True
        if sub == "env":
            if not deeper:
                if key in CONTAINER_KEYS or key in TOP_KEYS:
                    return False
                if DNS_NAME.match(s) and self._next_key(idx) in CONTAINER_START:
                    return False
            m = ENV_NAME.match(s)
            if m:
                e = env_value(m["name"], m["value"])
                c.env.append(e)
                self.cont = e.append if e.ref_kind is None else None
                return True
            if (deeper or not key) and c.env and c.env[-1].ref_kind is None:
                c.env[-1].append(s, "\n")  # the next line of a multi-line value
                return True
            return False
        if sub == "envfrom":
            m = ENV_FROM.match(s)
            if m:
                kind = "configmap" if m["kind"].lower() == "configmap" else "secret"
                c.env_from.append(EnvFrom(kind, m["name"], (m["opt"] or "").lower() == "true", m["prefix"]))
                return True
            return False
        if sub in ("mounts", "devices"):
            m = MOUNT.match(s)
            if m and (deeper or key is None):
                if sub == "mounts":
                    flags = [f.strip() for f in (m["flags"] or "").split(",")]
                    sub_path = None
                    for f in flags:
                        if f.startswith("path="):
                            sub_path = f[5:].strip('"')
                    c.mounts.append(VolumeMount(m["name"], m["path"], sub_path, "ro" in flags))
                return True
            return False
        if sub == "qos":
            return bool(RESOURCE_LINE.match(s)) and key not in CONTAINER_KEYS
        return False

    def _state_key(self, st: StateB, key: str | None, value: str | None) -> None:
        v = none_if_unset(value)
        st.seen = True
        self.cont = None
        if key == "Reason":
            st.reason = v
        elif key == "Message":
            st.message = v or ""
            self.cont = self.raw_cont = st.append
        elif key == "Exit Code":
            st.exit_code = leading_int(v)
        elif key == "Signal":
            st.signal = leading_int(v)
        elif key == "Started":
            st.started = parse_time(v)
        elif key == "Finished":
            st.finished = parse_time(v)

    def _volumes_line(self, idx: int, s: str, ind: int, key: str | None, value: str | None) -> bool:
        vol = self.volume
        m = DNS_NAME.match(s)
        # `  name:` under `Volumes:`; with the indentation lost, only a following `Type:` says so
        typed = m is not None and self._next_key(idx) == "Type"
        if m and (typed or (ind > self.section_indent and (vol is None or ind <= self.volume_indent))):
            self.volume = VolumeB(m["name"])
            self.volume_indent = ind
            self.pod.volumes.append(self.volume)
            return True
        if vol is None:
            return s in ("No volumes.",)
        deeper = ind > self.volume_indent
        if key is not None and (deeper or key in VOLUME_ATTRS) and key not in TOP_ONLY and (
                deeper or key not in vol.attrs):
            vol.attrs.add(key)
            v = none_if_unset(value)
            if key == "Type" and v:
                word = v.split()[0].rstrip(",")  # `ConfigMap (a volume populated by a ConfigMap)`
                vol.kind = VOLUME_KINDS.get(word.lower(), word[:1].lower() + word[1:])
            elif key in ("Name", "SecretName", "ClaimName", "Path") and v and vol.ref_name is None:
                if not (key == "Path" and vol.kind not in ("hostPath", None)):
                    vol.ref_name = v
            elif key in ("Optional", "ConfigMapOptional") and v:
                vol.optional = v.lower() == "true" or vol.optional
            return True
        if key is None and (deeper or "->" in s):
            if "->" in s:
                vol.items.append(s.split("->")[-1].strip())
            return True
        return False

    def _labels_line(self, s: str, ind: int, key: str | None) -> bool:
        if key in TOP_KEYS:
            return False
        if LABEL.match(s):
            self._add_labels(s)
            return True
        return False

    def _add_labels(self, text: str) -> None:
        # kubectl 1.0-1.2 printed labels comma-separated on one line; values cannot hold commas.
        for part in text.split(","):
            k, eq, v = part.strip().partition("=")
            if eq and k:
                self.pod.labels[k] = v

    def _annotations_line(self, s: str, raw: str, ind: int, key: str | None) -> bool:
        top = key in TOP_ONLY or (key in TOP_KEYS and ind <= self.section_indent)
        if top and ind <= self.section_indent:
            return False
        m = ANNOTATION.match(s)
        if m and ind <= self.value_col:
            self._add_annotation(m["key"], m["value"])
            return True
        if self.annotation is not None and (ind > self.section_indent or key not in TOP_KEYS):
            # kubectl indents a multi-line value 2 past the value column; keep the rest (JSON nesting)
            text = raw.expandtabs(8)[min(ind, self.value_col + 2):].rstrip()
            prev = self.pod.annotations.get(self.annotation, "")
            self.pod.annotations[self.annotation] = f"{prev}\n{text}" if prev else text
            return True
        return False

    def _add_annotation(self, key: str, value: str) -> None:
        self.annotation = key
        self.pod.annotations[key] = value.strip()
