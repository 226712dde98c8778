"""What changed: naming the revision that started a crash loop and diffing its template."""

from __future__ import annotations

import copy
from typing import Any

from fakeapi import deployment, replicaset

from podmortem.live.changes import template_diff, what_changed


def tmpl(**container: Any) -> dict[str, Any]:
    c = {"name": "app", "image": "registry.example/web:1.4.2", "env": [{"name": "DB_HOST", "value": "db"}],
         "resources": {"limits": {"memory": "256Mi"}}}
    c.update(container)
    return {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [c]}}


def test_sentence_names_revision_image_and_env() -> None:
    good, bad = tmpl(), tmpl(image="registry.example/web:1.5.0", env=[])
    rss = [replicaset("web-a", "web", 6, good, ready=2), replicaset("web-b", "web", 7, bad)]
    change = what_changed(deployment("web", bad, revision=7), rss, "web-b", {"web-b"})
    assert change is not None
    assert change.began == 7 and change.last_good == 6 and change.last_good_confirmed
    assert change.sentence() == ("Crash loop began with revision 7, which changed image 1.4.2 -> 1.5.0 "
                                 "and removed env DB_HOST.")


def test_last_good_is_the_revision_that_ran_not_just_the_previous_one() -> None:
    """6 ran; 7 crashed and was scaled to 0; 8 (the current one) crashes too: the loop began with 7."""
    r6, r7, r8 = tmpl(), tmpl(image="registry.example/web:1.5.0"), tmpl(image="registry.example/web:1.5.1")
    rss = [replicaset("w6", "web", 6, r6, ready=3), replicaset("w7", "web", 7, r7, replicas=0),
           replicaset("w8", "web", 8, r8)]
    change = what_changed(deployment("web", r8, revision=8), rss, "w8", {"w8"})
    assert change is not None
    assert (change.began, change.last_good, change.revision) == (7, 6, 8)
    assert "changed image 1.4.2 -> 1.5.0" in change.changes
    assert "Revision 8, which the failing pods run, still crashes." in change.sentence()


def test_previous_revision_with_failing_pods_did_not_run() -> None:
    r5, r6, r7 = tmpl(), tmpl(args=["--fast"]), tmpl(args=["--fast", "--v=2"])
    rss = [replicaset("w5", "web", 5, r5, ready=1), replicaset("w6", "web", 6, r6, ready=1),
           replicaset("w7", "web", 7, r7)]
    # w6 shows a ready replica, but one of its pods is failing right now: it is not the last good one
    change = what_changed(deployment("web", r7, revision=7), rss, "w7", {"w6", "w7"})
    assert change is not None and change.last_good == 5 and change.began == 6


def test_first_revision_has_nothing_to_compare() -> None:
    r1 = tmpl()
    change = what_changed(deployment("web", r1), [replicaset("w1", "web", 1, r1)], "w1", {"w1"})
    assert change is not None and change.last_good is None
    assert "its first revision" in change.sentence()


def test_unconfirmed_good_revision_is_said() -> None:
    r1, r2 = tmpl(), tmpl(image="registry.example/web:2.0")
    rss = [replicaset("w1", "web", 1, r1, replicas=0), replicaset("w2", "web", 2, r2)]
    change = what_changed(deployment("web", r2, revision=2), rss, "w2", {"w2"})
    assert change is not None and not change.last_good_confirmed
    assert "not confirmed that it ran" in change.sentence()


def test_replicasets_of_other_deployments_are_ignored() -> None:
    good, bad = tmpl(), tmpl(image="registry.example/web:1.5.0")
    rss = [replicaset("web-a", "web", 6, good, ready=1), replicaset("web-b", "web", 7, bad),
           replicaset("other-a", "other", 9, tmpl(image="x:9"), ready=1)]
    change = what_changed(deployment("web", bad, revision=7), rss, "web-b", {"web-b"})
    assert change is not None and change.last_good == 6


def test_diff_covers_command_env_refs_resources_probes_security() -> None:
    old = tmpl(command=["/app"], envFrom=[{"configMapRef": {"name": "cfg"}}],
               livenessProbe={"httpGet": {"path": "/healthz", "port": 8080}, "initialDelaySeconds": 30},
               securityContext={"runAsNonRoot": False})
    new = copy.deepcopy(old)
    c = new["spec"]["containers"][0]
    c["command"] = ["/app", "--migrate"]
    c["env"] = [{"name": "DB_HOST", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "host"}}}]
    c["envFrom"] = [{"secretRef": {"name": "creds"}}]
    c["resources"] = {"limits": {"memory": "64Mi"}}
    c["livenessProbe"]["initialDelaySeconds"] = 1
    c["securityContext"] = {"runAsNonRoot": True}
    new["spec"]["volumes"] = [{"name": "conf", "configMap": {"name": "app-conf"}}]
    diff = template_diff(old, new)
    assert "changed command [/app] -> [/app --migrate]" in diff
    assert "changed env DB_HOST (= db -> from configmap cfg key host)" in diff
    assert "removed envFrom configmap cfg" in diff and "added envFrom secret creds" in diff
    assert "changed memory limit 256Mi -> 64Mi" in diff
    assert "changed liveness probe: initialDelaySeconds 30 -> 1" in diff
    assert "changed securityContext: runAsNonRoot False -> True" in diff
    assert "added volume conf (configmap app-conf)" in diff


def test_env_values_are_redacted_in_diffs() -> None:
    old = tmpl(env=[{"name": "DATABASE_URL", "value": "postgres://app:oldpass@db:5432/app"}])
    new = tmpl(env=[{"name": "DATABASE_URL", "value": "postgres://app:newpass@db2:5432/app"}])
    text = " ".join(template_diff(old, new))
    assert "oldpass" not in text and "newpass" not in text and "DATABASE_URL" in text


def test_rollout_restart_only() -> None:
    old, new = tmpl(), tmpl()
    new["metadata"]["annotations"] = {"kubectl.kubernetes.io/restartedAt": "2026-01-15T10:00:00Z"}
    assert template_diff(old, new) == ["changed nothing but the restart time (a `kubectl rollout restart`)"]


def test_multi_container_diffs_say_which_container() -> None:
    old = {"spec": {"containers": [{"name": "app", "image": "a:1"}, {"name": "proxy", "image": "envoy:1.28"}]}}
    new = {"spec": {"containers": [{"name": "app", "image": "a:1"}, {"name": "proxy", "image": "envoy:1.29"}]}}
    assert template_diff(old, new) == ["changed image 1.28 -> 1.29 of container proxy"]
