"""The kubectl command builder (podmortem.kube.kubectl): where -n goes, NAMESPACE when unknown, quoting."""

from __future__ import annotations

import shlex

import pytest

from podmortem.kube.kubectl import kubectl, object_ref
from podmortem.model.remedy import Command, Joined, Placeholder, placeholders_in
from podmortem.shell import render_command


def line(cmd: Command) -> str:
    return render_command(cmd)


def test_the_namespace_goes_after_the_leading_words_before_the_first_flag() -> None:
    assert line(kubectl("get", "pod", "web-1", "-o", "yaml", namespace="shop")) == \
        "kubectl get pod web-1 -n shop -o yaml"
    assert line(kubectl("describe", "pvc", "data", namespace="shop")) == "kubectl describe pvc data -n shop"
    # an assembled flag (`--image=` + a value) is a flag too
    assert line(kubectl("run", "t", Joined(("--image=", "busybox")), "--", "ls", namespace="shop")) == \
        "kubectl run t -n shop --image=busybox -- ls"


def test_an_unknown_namespace_is_the_namespace_placeholder_never_default() -> None:
    for unknown in (None, ""):
        cmd = kubectl("logs", "web-1", "--previous", namespace=unknown)
        assert line(cmd) == "kubectl logs web-1 -n NAMESPACE --previous"
        assert placeholders_in(cmd) == ["NAMESPACE"]


def test_cluster_scoped_commands_take_no_namespace() -> None:
    assert line(kubectl("describe", "node", "n1")) == "kubectl describe node n1"
    assert line(kubectl("get", "pvc", all_namespaces=True)) == "kubectl get pvc -A"
    assert line(kubectl("auth", "can-i", "get", "pods", Joined(("--as=", "u")), all_namespaces=True)) == \
        "kubectl auth can-i get pods -A --as=u"


def test_context_follows_the_namespace() -> None:
    assert line(kubectl("get", "pods", "-o", "wide", namespace="a", context="prod eu")) == \
        "kubectl get pods -n a --context 'prod eu' -o wide"


def test_flags_after_places_the_flags_before_a_trailing_positional_word() -> None:
    cmd = kubectl("port-forward", object_ref("pod", "web-1"), "8080", namespace="shop", flags_after=2,
                  background=True)
    assert line(cmd) == "kubectl port-forward pod/web-1 -n shop 8080 &"


def test_every_value_is_one_shell_word() -> None:
    hostile = "x; rm -rf / #"
    cmd = kubectl("get", "pod", hostile, "-o", "yaml", namespace="$(id)", context="`id`")
    assert shlex.split(line(cmd)) == ["kubectl", "get", "pod", hostile, "-n", "$(id)", "--context", "`id`", "-o", "yaml"]


def test_the_namespace_is_the_builders_to_place() -> None:
    for words in (("get", "pods", "-n", "x"), ("get", "pods", "--namespace=x"), ("get", "pods", "-A")):
        with pytest.raises(ValueError):
            kubectl(*words)
    with pytest.raises(ValueError):
        kubectl("get", "pods", namespace="x", all_namespaces=True)
    # after `--` the words are the container's command: `-n` there is not kubectl's
    assert line(kubectl("debug", "node/n1", "-it", "--", "echo", "-n", "x")) == "kubectl debug node/n1 -it -- echo -n x"


def test_object_ref_names_an_object_as_kubectl_does() -> None:
    assert line(kubectl("rollout", "undo", object_ref("Deployment", "web"))) == "kubectl rollout undo deployment/web"
    ref = object_ref(None, None)
    assert ref == Joined((Placeholder("KIND"), "/", Placeholder("NAME")))
    assert line(kubectl("get", ref)) == "kubectl get KIND/NAME"
