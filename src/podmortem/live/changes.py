"""What changed: the rollout revision that started a crash loop, and its pod template diff.

A Deployment keeps one ReplicaSet per pod template, numbered by the annotation
`deployment.kubernetes.io/revision`. When a new template crashes, the controller keeps pods of
the previous ReplicaSet running (maxUnavailable), so the last revision that ran is the newest
older revision with ready pods and no failing pod. The first revision after it started the
crash loop; diffing its template against the good one names what to undo:
"Crash loop began with revision 7, which changed image 1.4.2 -> 1.5.0 and removed env DB_HOST."

Pure: takes API objects as dicts, returns data. Plain env values are shown redacted and cut short,
since people do put credentials in plain env.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from podmortem.redact import redact

REVISION = "deployment.kubernetes.io/revision"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"
MAX_LISTED = 6
MAX_VALUE = 40

Obj = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class RevisionChange:
    namespace: str
    deployment: str
    revision: int  # the revision the failing pods run
    began: int  # the revision that started the crash loop (first after the last good one)
    last_good: int | None  # the newest earlier revision that ran; None when there is none
    last_good_confirmed: bool  # True when that revision had ready pods and no failing one
    changes: tuple[str, ...]  # between last_good and began
    newest: int  # the deployment's newest revision

    def sentence(self) -> str:
        if self.last_good is None:
            return (f"Crash loop began with revision {self.began} of deployment/{self.deployment}, its first "
                    f"revision: there is no earlier template to compare with.")
        text = f"Crash loop began with revision {self.began}"
        if not self.changes:
            text += (f", whose pod template differs from revision {self.last_good} in nothing podmortem compares: "
                     f"look outside the template (a dependency, a ConfigMap or Secret, the node)")
        else:
            shown = list(self.changes[:MAX_LISTED])
            if len(self.changes) > MAX_LISTED:
                shown.append(f"{len(self.changes) - MAX_LISTED} more changes")
            text += f", which {_join(shown)}"
        if not self.last_good_confirmed:
            text += f" (compared with revision {self.last_good}; it is not confirmed that it ran)"
        elif self.last_good != self.began - 1:
            text += f" (compared with revision {self.last_good}, the last that ran)"
        text += "."
        if self.revision != self.began:
            text += f" Revision {self.revision}, which the failing pods run, still crashes."
        if self.newest > self.revision:
            text += f" A newer revision {self.newest} exists."
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"deployment": f"{self.namespace}/{self.deployment}", "revision": self.revision,
                "began_with_revision": self.began, "last_good_revision": self.last_good,
                "last_good_confirmed": self.last_good_confirmed, "changes": list(self.changes),
                "newest_revision": self.newest, "summary": self.sentence()}


def _join(items: Sequence[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def revision_of(rs: Obj) -> int | None:
    value = ((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION)
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _owned_by(rs: Obj, deployment: Obj) -> bool:
    dmeta = deployment.get("metadata") or {}
    for ref in (rs.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("kind") == "Deployment" and ref.get("name") == dmeta.get("name"):
            return not (ref.get("uid") and dmeta.get("uid") and ref.get("uid") != dmeta.get("uid"))
    return False


def what_changed(deployment: Obj, replicasets: Iterable[Obj], failing_rs: str,
                 failing_rs_names: set[str]) -> RevisionChange | None:
    """The revision story for pods of ReplicaSet `failing_rs`; None when revisions cannot be told.

    failing_rs_names: every ReplicaSet of the deployment that has a failing pod now.
    """
    owned = [rs for rs in replicasets if _owned_by(rs, deployment)]
    by_rev: dict[int, Obj] = {}
    for rs in owned:
        rev = revision_of(rs)
        if rev is not None:
            by_rev[rev] = rs
    current = next((rs for rs in owned if (rs.get("metadata") or {}).get("name") == failing_rs), None)
    if current is None:
        return None
    revision = revision_of(current)
    if revision is None:
        return None
    meta = deployment.get("metadata") or {}
    ns, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
    newest = max(by_rev)
    earlier = sorted((r for r in by_rev if r < revision), reverse=True)

    def ran(rs: Obj) -> bool:
        st = rs.get("status") or {}
        ready = (st.get("readyReplicas") or 0) + (st.get("availableReplicas") or 0)
        return ready > 0 and (rs.get("metadata") or {}).get("name") not in failing_rs_names

    good = next((r for r in earlier if ran(by_rev[r])), None)
    confirmed = good is not None
    if good is None:
        # No earlier revision has ready pods (all scaled down, or all failing): compare with the
        # newest earlier one that is not failing now, and say it is unconfirmed.
        good = next((r for r in earlier if (by_rev[r].get("metadata") or {}).get("name") not in failing_rs_names),
                    None)
    if good is None:
        began = min(earlier) if earlier else revision
        return RevisionChange(ns, name, revision, began, None, False, (), newest)
    began = min(r for r in by_rev if good < r <= revision)
    changes = template_diff(_template(by_rev[good]), _template(by_rev[began]))
    return RevisionChange(ns, name, revision, began, good, confirmed, tuple(changes), newest)


def _template(rs: Obj) -> Obj:
    return (rs.get("spec") or {}).get("template") or {}


# -- the diff --------------------------------------------------------------------------------------


def _image_change(old: str | None, new: str | None) -> str:
    def split(ref: str) -> tuple[str, str]:
        if "@" in ref:
            repo, _, digest = ref.partition("@")
            return repo, "@" + digest[:19]
        slash = ref.rfind("/")
        colon = ref.rfind(":")
        if colon > slash:
            return ref[:colon], ref[colon + 1:]
        return ref, "latest"

    if old and new:
        (r1, t1), (r2, t2) = split(old), split(new)
        if r1 == r2:
            return f"changed image {t1} -> {t2}"
    return f"changed image {old or '(none)'} -> {new or '(none)'}"


def _short(value: Any) -> str:
    text = redact(str(value))
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _env_source(e: Obj) -> str:
    vf = e.get("valueFrom") or {}
    if not vf:
        return f"= {_short(e.get('value', ''))}"
    for key, label in (("configMapKeyRef", "configmap"), ("secretKeyRef", "secret")):
        if key in vf:
            r = vf[key] or {}
            return f"from {label} {r.get('name')} key {r.get('key')}"
    if "fieldRef" in vf:
        return f"from field {(vf['fieldRef'] or {}).get('fieldPath')}"
    if "resourceFieldRef" in vf:
        return f"from resource {(vf['resourceFieldRef'] or {}).get('resource')}"
    return "from another source"


def _env_diff(old: Sequence[Obj], new: Sequence[Obj], where: str) -> list[str]:
    o = {str(e.get("name")): e for e in old if e.get("name")}
    n = {str(e.get("name")): e for e in new if e.get("name")}
    out = [f"removed env {k}{where}" for k in o if k not in n]
    out += [f"added env {k}{where} ({_env_source(n[k])})" for k in n if k not in o]
    for k in o:
        if k in n and _env_source(o[k]) != _env_source(n[k]):
            out.append(f"changed env {k}{where} ({_env_source(o[k])} -> {_env_source(n[k])})")
    return out


def _env_from_name(e: Obj) -> str:
    for key, label in (("configMapRef", "configmap"), ("secretRef", "secret")):
        if key in e:
            return f"{label} {(e[key] or {}).get('name')}" + (f" (prefix {e['prefix']})" if e.get("prefix") else "")
    return "an unknown source"


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested dicts as dotted keys, for field-by-field diffs of probes and securityContexts."""
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix: value}


def _field_diff(old: Any, new: Any, label: str) -> list[str]:
    if old == new:
        return []
    if not old:
        return [f"added {label}"]
    if not new:
        return [f"removed {label}"]
    fo, fn = _flat(old), _flat(new)
    parts = []
    for k in sorted(set(fo) | set(fn)):
        if fo.get(k) != fn.get(k):
            parts.append(f"{k} {_short(fo.get(k, '(unset)'))} -> {_short(fn.get(k, '(unset)'))}")
    return [f"changed {label}: " + "; ".join(parts)]


_PROBES = (("livenessProbe", "liveness probe"), ("readinessProbe", "readiness probe"), ("startupProbe", "startup probe"))


def _resources_diff(old: Obj, new: Obj, where: str) -> list[str]:
    out = []
    for section, word in (("limits", "limit"), ("requests", "request")):
        o = (old.get(section) or {})
        n = (new.get(section) or {})
        for res in sorted(set(o) | set(n)):
            if o.get(res) == n.get(res):
                continue
            if res not in n:
                out.append(f"removed {res} {word}{where} (was {o[res]})")
            elif res not in o:
                out.append(f"added {res} {word} {n[res]}{where}")
            else:
                out.append(f"changed {res} {word} {o[res]} -> {n[res]}{where}")
    return out


def container_diff(old: Obj, new: Obj, where: str) -> list[str]:
    out = []
    if old.get("image") != new.get("image"):
        out.append(_image_change(old.get("image"), new.get("image")) + where)
    for key in ("command", "args"):
        if (old.get(key) or []) != (new.get(key) or []):
            o = " ".join(map(str, old.get(key) or [])) or "(image default)"
            n = " ".join(map(str, new.get(key) or [])) or "(image default)"
            out.append(f"changed {key}{where} [{_short(o)}] -> [{_short(n)}]")
    out += _env_diff(old.get("env") or [], new.get("env") or [], where)
    ofrom = {_env_from_name(e) for e in old.get("envFrom") or []}
    nfrom = {_env_from_name(e) for e in new.get("envFrom") or []}
    out += [f"removed envFrom {x}{where}" for x in sorted(ofrom - nfrom)]
    out += [f"added envFrom {x}{where}" for x in sorted(nfrom - ofrom)]
    out += _resources_diff(old.get("resources") or {}, new.get("resources") or {}, where)
    for key, label in _PROBES:
        out += _field_diff(old.get(key), new.get(key), label + where)
    out += _field_diff(old.get("securityContext"), new.get("securityContext"), "securityContext" + where)
    om = {(m.get("mountPath"), m.get("name"), m.get("subPath")) for m in old.get("volumeMounts") or []}
    nm = {(m.get("mountPath"), m.get("name"), m.get("subPath")) for m in new.get("volumeMounts") or []}
    out += [f"removed mount {p} (volume {v}){where}" for p, v, _ in sorted(om - nm, key=str)]
    out += [f"added mount {p} (volume {v}{', subPath ' + s if s else ''}){where}" for p, v, s in sorted(nm - om, key=str)]
    return out


def _volume_source(v: Obj) -> str:
    for key, label, name_key in (("configMap", "configmap", "name"), ("secret", "secret", "secretName"),
                                 ("persistentVolumeClaim", "claim", "claimName")):
        if key in v:
            return f"{label} {(v[key] or {}).get(name_key)}"
    kind = next((k for k in v if k != "name"), "unknown")
    return kind


def template_diff(old: Obj, new: Obj) -> list[str]:
    """Human-readable differences between two pod templates, the most telling first."""
    ospec, nspec = old.get("spec") or {}, new.get("spec") or {}
    out: list[str] = []
    for key, kind in (("initContainers", "init container"), ("containers", "container")):
        oc = {str(c.get("name")): c for c in ospec.get(key) or []}
        nc = {str(c.get("name")): c for c in nspec.get(key) or []}
        single = key == "containers" and len(oc) == 1 and len(nc) == 1 and set(oc) == set(nc)
        for name in nc:
            if name in oc:
                out += container_diff(oc[name], nc[name], "" if single else f" of {kind} {name}")
        out += [f"removed {kind} {n}" for n in oc if n not in nc]
        out += [f"added {kind} {n}" for n in nc if n not in oc]
    ov = {str(v.get("name")): _volume_source(v) for v in ospec.get("volumes") or []}
    nv = {str(v.get("name")): _volume_source(v) for v in nspec.get("volumes") or []}
    for name in sorted(set(ov) | set(nv)):
        if ov.get(name) != nv.get(name):
            if name not in nv:
                out.append(f"removed volume {name} ({ov[name]})")
            elif name not in ov:
                out.append(f"added volume {name} ({nv[name]})")
            else:
                out.append(f"changed volume {name} {ov[name]} -> {nv[name]}")
    out += _field_diff(ospec.get("securityContext"), nspec.get("securityContext"), "pod securityContext")
    if ospec.get("serviceAccountName") != nspec.get("serviceAccountName"):
        out.append(f"changed serviceAccountName {ospec.get('serviceAccountName') or 'default'} -> "
                   f"{nspec.get('serviceAccountName') or 'default'}")
    if not out:
        oa = (old.get("metadata") or {}).get("annotations") or {}
        na = (new.get("metadata") or {}).get("annotations") or {}
        if oa.get(RESTARTED_AT) != na.get(RESTARTED_AT):
            out.append("changed nothing but the restart time (a `kubectl rollout restart`)")
    return out
