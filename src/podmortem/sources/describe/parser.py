"""Pasted `kubectl describe pod` text -> PodEvidence: the line-driven parser.

People paste describe output from every kubectl since 1.0, and seldom whole: indentation
stripped by a chat client, lines cut with `...` or `<snip>`, only the Events table, one event
line, a container block starting at `State:`, shell prompts, or several pods from
`kubectl describe pods`. So the parser is driven by describe's vocabulary (the keys kubectl
writes, shared/kubernetes-facts.md section 4.6) and uses indentation only where it survived,
to tell a child line from its parent: one pass over the lines, a small state machine.

Nothing is dropped: a line no rule here can place is kept in `PodEvidence.loose_lines`, where
rules still search it. The parser never raises and is linear in the size of its input.
It imports only the evidence model and its sibling modules, and none of them may import it;
code outside the package imports `podmortem.sources.describe`, not this module.
"""

from __future__ import annotations

import re

from podmortem.model import ContainerEvidence, Owner, PodEvidence, Port
from podmortem.model.evidence import DESCRIBE
from podmortem.model.evolve import evolve
from podmortem.sources.boundary import guard_pod
from podmortem.sources.describe.blocks import BlockLines
from podmortem.sources.describe.builders import ContainerB, PodB
from podmortem.sources.describe.events import (
    HEADER_GET,
    HEADER_MODERN,
    HEADER_OLD,
    column_event,
    column_starts,
    event_row,
)
from podmortem.sources.describe.fields import (
    ENV_NAME,
    PORT,
    bool_field,
    leading_int,
    none_if_unset,
    parse_probe,
)
from podmortem.sources.describe.getpods import pod_rows
from podmortem.sources.describe.lines import (
    FENCE,
    SEPARATOR,
    SNIP,
    dedent,
    hard_wrapped,
    indent,
    prepare,
)
from podmortem.sources.describe.prompts import NOT_FOUND_BUT_EVENTS, PROMPT, VERBS, describe_target
from podmortem.sources.describe.times import parse_time
from podmortem.sources.describe.vocabulary import (
    ANNOTATION,
    CONTAINER_KEYS,
    CONTAINER_START,
    DNS_NAME,
    KEY,
    OWNER,
    STATE_KEYS,
    TERMINATED_ONLY,
    TERMINATED_REASONS,
    TOP_KEYS,
)


class _Parser(BlockLines):
    """One pass over the lines of a paste; the pods it found, as builders."""

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> list[PodB]:
        for idx, raw in enumerate(self.lines):
            self._line(idx, raw)
            self.prev_raw = raw
        return self.pods

    def _line(self, idx: int, raw: str) -> None:
        s = raw.strip()
        if not s:
            if self.cont is not None and self.cont == self.raw_cont:
                self.cont("", "\n")  # a raw message keeps its blank lines
                return
            self.cont = None  # nothing else continues across a blank line
            return
        if FENCE.match(s) or SNIP.match(s):
            self.cont = None
            return
        if SEPARATOR.match(s):
            return
        if self._prompt(s):
            return
        ind = indent(raw)
        if self._events_line(s, raw, ind):
            return
        if self.cont is not None and self._continuation(s, raw, ind):
            return
        key_m = KEY.match(s)
        key = key_m["key"] if key_m else None
        value = key_m["value"] if key_m else None
        if self._in_block(idx, s, raw, ind, key, value):
            return
        if key is not None and self._key(idx, key, value, raw, ind):
            return
        m = DNS_NAME.match(s)
        if m and self._name_line(idx, m["name"], ind):
            return
        self.cont = None
        self._loose(s)

    # -- prompts and hints ---------------------------------------------------------------------
    def _prompt(self, s: str) -> bool:
        m = PROMPT.match(s)
        if m:
            tokens = m["args"].split()
            if not tokens or (tokens[0] not in VERBS and not tokens[0].startswith("-")):
                return False
            self.cont = None
            if "describe" in tokens:
                self._describe_command(tokens)
            return True
        m = NOT_FOUND_BUT_EVENTS.match(s)
        if m:
            if self.pod.other_pod(m["name"]):
                self._new_pod()
            self.pod.hint_name = m["name"]
            self._loose(s)
            return True
        return False

    def _describe_command(self, tokens: list[str]) -> None:
        """`kubectl describe pod NAME -n NS` opens a new pod and names it if its output does not."""
        name, namespace = describe_target(tokens)
        if self.pod.other_pod(name) or (name is None and self.pod.hint_name):
            self._new_pod()
        else:
            self._reset("top", 0)
        if name:
            self.pod.hint_name = name
        if namespace:
            self.pod.hint_namespace = namespace

    # -- events --------------------------------------------------------------------------------
    def _events_line(self, s: str, raw: str, ind: int) -> bool:
        if HEADER_MODERN.match(s):
            self._enter_events(ind)
            self.columns = column_starts(raw)
            return True
        if HEADER_OLD.match(s) or HEADER_GET.match(s):
            self._enter_events(ind)
            return True
        in_events = self.section == "events"
        e = None
        if in_events and self.columns is not None and len(self.columns) == 5:
            e = column_event(raw, self.columns)
        if e is None:
            e = event_row(raw.lstrip(), raw, in_events)
        if e is None:
            return False
        if not in_events:
            self._enter_events(ind)
        self.pod.events.append(e)
        self.pod.has_events = True
        self.cont = e.append
        return True

    def _enter_events(self, ind: int) -> None:
        self._reset("events", ind)
        self.columns = None
        self.pod.has_events = True

    def _continuation(self, s: str, raw: str, ind: int) -> bool:
        """A line that carries on the previous value (a wrapped event or a multi-line message)."""
        assert self.cont is not None
        key_m = KEY.match(s)
        if key_m:
            key = key_m["key"]
            if (key in TOP_KEYS or key in CONTAINER_KEYS
                    or (self.sub == "state" and key in STATE_KEYS)
                    or (self.sub == "env" and ENV_NAME.match(s))
                    or (self.section == "annotations" and ind <= self.value_col)):
                return False
        if self.section == "annotations" and ind <= self.value_col and ANNOTATION.match(s):
            return False
        if DNS_NAME.match(s) and self.section in ("containers", "volumes"):
            return False
        if self.cont == self.raw_cont:
            self.cont(dedent(raw, self.margin).rstrip(), "\n")
        elif hard_wrapped(self.prev_raw, raw, self.width, self.at_width):
            self.cont(raw.rstrip(), "")
        else:
            self.cont(s, "\n")
        return True

    # -- lines inside a block ------------------------------------------------------------------
    # -- keys ----------------------------------------------------------------------------------
    def _key(self, idx: int, key: str, value: str | None, raw: str, ind: int) -> bool:
        if key in ("Reason", "Message") and self.container is not None:
            return False  # a state line out of place: keep it searchable rather than misfile it
        if key in TOP_KEYS:
            return self._top_key(idx, key, value, raw, ind)
        if key in ("SeccompProfile", "LocalhostProfile") and self.container is None:
            return True  # the pod-level field (kubectl >= 1.19): nothing to keep
        if key in CONTAINER_KEYS:
            self._container_key(key, value, ind)
            return True
        if key in TERMINATED_ONLY:
            # `Exit Code:` with no `State:` above it: a pasted piece of a terminated state. It is
            # the current state unless the paste showed that one, and takes the `Reason:` just above.
            c = self._ensure_container(ind)
            st = c.last_state if (c.state.seen and c.state.kind != "terminated") else c.state
            if not st.seen and self.pending_reason == idx - 1 and self.pod.reason in TERMINATED_REASONS:
                st.reason, self.pod.reason = self.pod.reason, None
            self.state, self.sub, self.sub_indent = st, "state", ind
            self._state_key(st, key, value)
            return True
        return False

    def _top_key(self, idx: int, key: str, value: str | None, raw: str, ind: int) -> bool:
        pod = self.pod
        v = none_if_unset(value)
        if key == "Name" and pod.other_pod(v):
            self._new_pod()
            pod = self.pod
        self._reset("top", ind)
        if key == "Name":
            pod.name = v
            self.margin = ind
        elif key == "Namespace":
            pod.namespace = v
        elif key == "Node":
            pod.node = none_if_unset(v.split("/", 1)[0]) if v else None
        elif key == "Start Time":
            pod.started_at = parse_time(v)
        elif key == "Status":
            pod.top_status = True
            if v:
                pod.phase = None if v.startswith("Terminating") else v.split()[0]
        elif key == "Reason":
            pod.reason = v
            self.pending_reason = idx
        elif key == "Message":
            pod.message = v
            self.cont = pod.append_message
        elif key in ("Controlled By", "Controllers", "Created By"):
            m = OWNER.match(v or "")
            if m:
                pod.owner = Owner(m["kind"], m["name"].rstrip(","))
        elif key == "Replication Controllers" and v:
            pod.owner = Owner("ReplicationController", v.split()[0])
        elif key == "QoS Class":
            pod.qos = v
        elif key == "Labels":
            self.section, self.value_col = "labels", self._value_col(raw, value)
            if v:
                self._add_labels(v)
        elif key == "Annotations":
            self.section, self.value_col = "annotations", self._value_col(raw, value)
            if v:
                m = ANNOTATION.match(v)
                if m:
                    self._add_annotation(m["key"], m["value"])
        elif key in ("Init Containers", "Containers", "Ephemeral Containers"):
            self.section = "containers"
            self.init = key == "Init Containers"
            self.ephemeral = key == "Ephemeral Containers"
        elif key == "Conditions":
            self.section = "conditions"
            pod.top_status = True
        elif key == "Readiness Gates":
            self.section = "gates"
        elif key == "Volumes":
            self.section = "volumes"
        elif key == "Events":
            self.section, self.columns = "events", None
            pod.has_events = True
        elif key in ("Tolerations", "Node-Selectors", "Topology Spread Constraints"):
            self.section = {"Tolerations": "tolerations", "Node-Selectors": "selectors"}.get(key, "topology")
        elif key in ("IPs", "Pod IPs"):
            self.section = "ips"
        elif key == "Resources":
            self.section = "resources"
        return True

    @staticmethod
    def _value_col(raw: str, value: str | None) -> int:
        line = raw.expandtabs(8)
        if value:
            at = line.find(value.strip()[:20])
            if at > 0:
                return at
        return indent(raw) + 1

    def _ensure_container(self, ind: int) -> ContainerB:
        if self.container is None:
            init = self.init if self.section == "containers" else False
            eph = self.ephemeral if self.section == "containers" else False
            self.container = ContainerB("", init=init, ephemeral=eph)
            self.container_indent = max(ind - 2, 0)
            self.pod.containers.append(self.container)
            if self.section != "containers":
                self.section, self.section_indent = "containers", max(ind - 4, 0)
                self.init = self.ephemeral = False
        return self.container

    def _container_key(self, key: str, value: str | None, ind: int) -> None:
        c = self._ensure_container(ind)
        if key in c.keys and key not in ("SeccompProfile", "LocalhostProfile", "Started") and not c.name:
            # The same field again in a block without a name line: a second headerless container.
            self.container = None
            c = self._ensure_container(ind)
        if key == "Last Termination State":
            key = "Last State"
        c.keys.add(key)
        self.sub, self.sub_indent, self.state, self.cont = None, ind, None, None
        v = none_if_unset(value)
        if key == "Image":
            c.image = v
        elif key == "Container ID":
            c.container_id = v
        elif key == "Image ID":
            c.image_id = v
        elif key in ("Port", "Ports"):
            for m in PORT.finditer(v or ""):
                c.ports.append(Port(int(m["port"]), m["name"] or None, (m["proto"] or "TCP").upper()))
        elif key in ("Command", "Args"):
            self.sub = key.lower()
            if v:
                (c.command if key == "Command" else c.args).append(v)
        elif key in ("State", "Last State"):
            st = c.state if key == "State" else c.last_state
            st.seen = True
            kind = (v or "").split()[0].lower() if v else None
            st.kind = kind if kind in ("running", "waiting", "terminated") else None
            self.sub, self.state = "state", st
        elif key == "Started":
            # `Started:` outside a state block: describe never prints it so; a running state's start.
            st = c.state
            st.seen, st.started = True, parse_time(v)
        elif key == "Ready":
            c.ready = bool_field(v)
        elif key == "Restart Count":
            c.restart_count = leading_int(v)
        elif key in ("Limits", "Requests"):
            self.sub = key.lower()
        elif key in ("Liveness", "Readiness", "Startup"):
            probe = parse_probe(key.lower(), v or "")
            if probe is not None:
                c.probes[key.lower()] = probe
        elif key in ("Environment", "Environment Variables"):
            if v is None:
                self.sub = "env"
        elif key == "Environment Variables from":
            if v is None:
                self.sub = "envfrom"
        elif key in ("Mounts", "Devices"):
            if v is None:
                self.sub = key.lower()
        elif key == "QoS Tier":
            self.sub = "qos"

    def _name_line(self, idx: int, name: str, ind: int) -> bool:
        """A `name:` line: a container header when the block around or after it says so."""
        nxt = self._next_key(idx)
        if self.section == "containers":
            header = self.container is None or ind <= self.container_indent or nxt in CONTAINER_START \
                or nxt in CONTAINER_KEYS or ind < self.sub_indent
        else:
            header = nxt in CONTAINER_START
            if header:
                self._reset("containers", max(ind - 2, 0))
                self.init = self.ephemeral = False
        if not header:
            return False
        self.container = ContainerB(name, init=self.init, ephemeral=self.ephemeral)
        self.container_indent = ind
        self.sub, self.state, self.cont = None, None, None
        self.pod.containers.append(self.container)
        return True


def _parse(text: str) -> list[PodEvidence]:
    if not text or not text.strip():
        return []
    pods = _Parser(prepare(text)).run()
    return [_with_pod_row(_with_event_containers(p.build())) for p in pods
            if p.has_content or p.loose or p.hint_name]


def _with_pod_row(pod: PodEvidence) -> PodEvidence:
    """A pasted `kubectl get pods` row names the pod and says when an init container is failing.

    Only for a paste without a describe of the pod itself: the row is kubectl's summary of the same
    status. When STATUS starts with `Init:` and the paste names no init container, the container
    whose log came with the paste is an init container, name unknown unless events gave one.
    """
    rows = pod_rows(pod.loose_lines)
    if pod.name is not None:
        rows = [r for r in rows if r.name == pod.name]
    if len(rows) != 1:
        return pod
    row = rows[0]
    pod = evolve(pod, name=pod.name or row.name, namespace=pod.namespace or row.namespace)
    if not row.init_failing or any(c.init for c in pod.containers):
        return pod
    if pod.containers:
        if len(pod.containers) == 1 and pod.containers[0].status is None:
            return evolve(pod, containers=(evolve(pod.containers[0], init=True),))
        return pod
    return evolve(pod, containers=(ContainerEvidence("", True),))


# Kubelet event messages that name the container they are about (facts 2.5).
_EVENT_CONTAINER = re.compile(
    r"(?:Back-off restarting failed container |(?:Created|Started|Stopping|Killing) container |Container )"
    r"([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)(?: in pod |(?: failed (?:liveness|startup) probe| definition changed)|$)")
# Names charts give init containers (init-chown-data, wait-for-db-init, init): only a hint, used
# when the paste has no Init Containers block to say so.
_INIT_NAME = re.compile(r"^init(?:$|[-_])|[-_]init$")


def _with_event_containers(pod: PodEvidence) -> PodEvidence:
    """A pod pasted without container blocks still gets the containers its events name.

    Findings can then name the container, and logs passed with --logs go to it.
    """
    if pod.containers:
        return pod
    found: dict[str, bool] = {}
    for e in pod.events:
        name = e.container
        init = e.about_init_container
        if name is None:
            m = _EVENT_CONTAINER.search(e.message)
            if m is None:
                continue
            if m.group(1) in ("created", "started"):  # 1.35+ \"Container created\" names none
                continue
            name, init = m.group(1), bool(_INIT_NAME.search(m.group(1)))
        found.setdefault(name, init)
    if not found:
        return pod
    return evolve(pod, containers=tuple(ContainerEvidence(n, init) for n, init in found.items()))


def parse_describe(text: str) -> list[PodEvidence]:
    """Every pod in pasted `kubectl describe pod(s)` text; [] when the text is empty.

    Partial and damaged pastes give partial evidence, never an error. Should the parser meet
    something it was not written for and fail, the text is still returned, as loose lines.
    """
    try:
        return [guard_pod(p) for p in _parse(text)]
    except Exception:  # the last line of defence: a paste must never crash a diagnosis
        lines = tuple(s for s in (ln.strip() for ln in (text or "").splitlines())
                      if s and not SEPARATOR.match(s))
        return [guard_pod(PodEvidence(origin=DESCRIBE, loose_lines=lines))] if lines else []
