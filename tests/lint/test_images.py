"""Image reference grammar (as the kubelet parses references) and the image facts lookup."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from podmortem.kube.images import ImageReferenceError, facts_for, parse_reference, runtimes

SHA = "4d2a5fb1c2b2a7f18e8c2f0e8d6b3a9c1f5e7d9b0a2c4e6f8a1b3c5d7e9f0a1b"


@pytest.mark.parametrize(
    ("text", "familiar", "tag", "digest"),
    [
        ("nginx", "nginx", None, None),
        ("nginx:1.27-alpine", "nginx", "1.27-alpine", None),
        ("docker.io/library/nginx:1", "nginx", "1", None),
        ("index.docker.io/bitnami/redis:7", "bitnami/redis", "7", None),
        ("localhost/app", "localhost/app", None, None),
        ("localhost:5000/team/app:v1", "localhost:5000/team/app", "v1", None),
        ("registry.example.com:443/a/b/c:x_y.z-1", "registry.example.com:443/a/b/c", "x_y.z-1", None),
        ("Registry.Example.com/team/app", "Registry.Example.com/team/app", None, None),
        ("[fd00::1]:5000/app:1", "[fd00::1]:5000/app", "1", None),
        (f"ghcr.io/org/app@sha256:{SHA}", "ghcr.io/org/app", None, f"sha256:{SHA}"),
        (f"app:1.0@sha256:{SHA}", "app", "1.0", f"sha256:{SHA}"),
        ("my__app/x-y--z.w:1", "my__app/x-y--z.w", "1", None),
    ],
)
def test_valid_references(text: str, familiar: str, tag: str | None, digest: str | None) -> None:
    ref = parse_reference(text)
    assert (ref.familiar, ref.tag, ref.digest) == (familiar, tag, digest)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("Nginx:1", "lowercase"),
        ("registry.example.com/Team/app", "lowercase"),
        ("nginx:1.0 ", "whitespace"),
        ("{{ .Values.image }}", "template"),
        ("app:$(TAG)", "template"),
        ("app:-bad", "tag"),
        ("app:" + "x" * 129, "tag"),
        ("app@sha256:abc", "digest"),
        (f"app@sha256:{SHA}00", "64"),
        ("app@md5:" + "a" * 32 + "!", "digest"),
        ("a//b", "component"),
        ("-app", "component"),
        ("app_:1", "component"),
        ("registry-.example.com/app", "host"),
        ("a/" * 130 + "b", "255"),
    ],
)
def test_invalid_references(text: str, why: str) -> None:
    with pytest.raises(ImageReferenceError, match=why):
        parse_reference(text)


_component = st.from_regex(r"[a-z0-9]{1,6}(?:(?:[._]|__|-{1,2})[a-z0-9]{1,6}){0,2}", fullmatch=True)
_tag = st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)
_host = st.sampled_from(["", "ghcr.io/", "registry.example.com:5000/", "localhost/", "docker.io/"])


@settings(max_examples=300, deadline=None)
@given(_host, st.lists(_component, min_size=1, max_size=3), st.one_of(st.none(), _tag))
def test_generated_valid_references_parse(host: str, path: list[str], tag: str | None) -> None:
    # a first component with a dot is a registry host, where _ is not allowed: not a path
    assume(host or len(path) == 1 or "." not in path[0])
    text = host + "/".join(path) + (f":{tag}" if tag else "")
    ref = parse_reference(text)
    assert ref.tag == tag
    assert f"{ref.domain}/{ref.path}".endswith("/".join(path))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_parses_or_raises_reference_error(text: str) -> None:
    with contextlib.suppress(ImageReferenceError):
        parse_reference(text)


@pytest.mark.parametrize(
    ("image", "user", "shells", "runtime"),
    [
        ("nginx:1.27", "root", ("/bin/sh", "/bin/bash", "/usr/bin/bash", "/bin/dash"), "native"),
        ("nginx:1.27-alpine", "root", ("/bin/sh", "/bin/ash"), "native"),
        ("mirror.example.com/library/nginx:1.27", "root", ("/bin/sh", "/bin/bash", "/usr/bin/bash", "/bin/dash"),
         "native"),
        ("public.ecr.aws/docker/library/postgres:16", "root", ("/bin/sh", "/bin/bash", "/usr/bin/bash", "/bin/dash"),
         "database"),
        ("postgres:16-alpine", "root", ("/bin/sh", "/bin/ash", "/bin/bash"), "database"),
        ("gcr.io/distroless/static-debian12", "root", (), "native"),
        ("gcr.io/distroless/static-debian12:nonroot", 65532, (), "native"),
        ("gcr.io/distroless/java17-debian12:debug-nonroot", 65532, ("/busybox/sh",), "jvm"),
        ("quay.io/prometheus/prometheus:v2.53.0", "nobody", ("/bin/sh",), "native"),
        ("registry.example.com/bitnami/postgresql:16", 1001, ("/bin/sh", "/bin/bash", "/usr/bin/bash"), "database"),
        ("cgr.dev/chainguard/nginx:latest-dev", 65532, None, None),
    ],
)
def test_facts_lookup(image: str, user: object, shells: tuple[str, ...] | None, runtime: str | None) -> None:
    facts = facts_for(image)
    assert facts is not None
    assert (facts.user, facts.shells, facts.runtime) == (user, shells, runtime)


@pytest.mark.parametrize("image", ["registry.example.com/nginx:1", "myorg/postgres:16", "nginx-ingress:1", "Nginx"])
def test_unknown_images_have_no_facts(image: str) -> None:
    assert facts_for(image) is None


def test_every_fact_entry_has_a_source_and_runtimes_have_reasons() -> None:
    from podmortem.kube.images import _data

    table, entries = _data()
    for entry in entries:
        assert len(entry.facts.source) > 20, entry.patterns
        for pattern, _variant in entry.variants:
            assert isinstance(pattern, re.Pattern)
    for runtime in table.values():
        assert runtime.start_seconds > 0 and len(runtime.reason) > 20
    assert set(table) >= {"jvm", "node", "python", "native", "unknown", "database"}
    assert runtimes()["jvm"].start_seconds >= 60
