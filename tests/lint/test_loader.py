"""The manifest loader: documents, kinds, line numbers, inputs, and errors with one-line messages."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from podmortem.errors import BinaryInput, EmptyInput, InputError
from podmortem.lint.loader import STDIN_NAME, Source, build, decode, load_manifests, read_sources

BUNDLE = """\
# leading comment
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  a: "1"
---
apiVersion: v1
kind: Service
metadata:
  name: svc
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
        - name: app
          image: nginx:1.27
          resources:
            limits:
              memory: 128Mi
---
---
just a string
---
- a list
"""


def test_only_checked_kinds_are_built_and_everything_is_counted() -> None:
    from podmortem.lint.loader import ReadStats

    stats = ReadStats()
    found = list(load_manifests(Source("b.yaml", BUNDLE), stats))
    assert [(m.kind, m.name, m.namespace, m.line) for m in found] == [
        ("ConfigMap", "cfg", None, 2),
        ("Deployment", "web", "shop", 14),
    ]
    assert stats.objects == 3  # the Service is counted, not built; the string and list are not objects


def test_line_of_fields_and_items() -> None:
    web = list(load_manifests(Source("b.yaml", BUNDLE)))[1]
    container = web.obj["spec"]["template"]["spec"]["containers"][0]
    containers = web.obj["spec"]["template"]["spec"]["containers"]
    assert web.line_of(container) == 23
    assert web.line_of(container, "image") == 24
    assert web.line_of(containers, 0) == 23
    limits = container["resources"]["limits"]
    assert web.line_of(limits, "memory") == 27
    assert web.line_of(limits, "cpu") == 27  # unknown key: the mapping's own line
    assert web.line_of({"not": "indexed"}) == web.line


def test_list_kinds_are_unpacked() -> None:
    text = "apiVersion: v1\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: a}\n  spec: {}\n- kind: Secret\n  metadata: {name: s}\n"
    found = list(load_manifests(Source("l.yaml", text)))
    assert [(m.kind, m.name, m.line) for m in found] == [("Pod", "a", 4), ("Secret", "s", 7)]


def test_json_with_tabs_keeps_lines() -> None:
    text = '{\n\t"kind": "Pod",\n\t"metadata": {"name": "p"},\n\t"spec": {\n\t\t"containers": []\n\t}\n}\n'
    (pod,) = list(load_manifests(Source("p.json", text)))
    assert pod.line_of(pod.obj, "spec") == 4


def test_values_match_safe_load() -> None:
    text = "kind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: yes\n  b: 0x1F\n  c: ~\n  d: 1.5\n  e: '007'\n  f: 1_000\n"
    (m,) = list(load_manifests(Source("x", text)))
    assert m.obj == yaml.safe_load(text)


def test_merge_keys_and_aliases() -> None:
    text = "kind: Pod\nmetadata: {name: p}\nbase: &b {x: 1, y: 2}\nspec:\n  <<: *b\n  y: 3\n  again: *b\n"
    (m,) = list(load_manifests(Source("x", text)))
    assert m.obj["spec"] == {"x": 1, "y": 3, "again": {"x": 1, "y": 2}}


def test_alias_bomb_is_bounded() -> None:
    lines = ["kind: Pod", "metadata: {name: p}", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(InputError, match="aliases"):
        list(load_manifests(Source("bomb.yaml", "\n".join(lines) + "\n")))


def test_invalid_yaml_is_one_line_with_file_and_line() -> None:
    with pytest.raises(InputError) as info:
        list(load_manifests(Source("bad.yaml", "kind: Pod\nmetadata:\n  name: [unclosed\n")))
    text = info.value.one_line()
    assert text.startswith("bad.yaml:") and "\n" not in text


def test_unrendered_helm_template_gets_a_hint() -> None:
    text = "kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n    {{- include \"x\" . | nindent 4 }}\n"
    with pytest.raises(InputError) as info:
        list(load_manifests(Source("t.yaml", text)))
    assert "helm template" in info.value.one_line()


def test_decode_rejects_binary_and_accepts_bom() -> None:
    with pytest.raises(BinaryInput):
        decode("x.yaml", b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(BinaryInput):
        decode("x.yaml", b"kind: Pod\n\xff\xfe\xfa")
    assert decode("x.yaml", "\ufeffkind: Pod\n".encode()).text == "kind: Pod\n"
    assert decode("x.yaml", "kind: Pod\n".encode("utf-16")).text == "kind: Pod\n"


def test_read_sources_files_folders_stdin(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("kind: Pod\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.json").write_text('{"kind": "Pod"}')
    (tmp_path / "notes.txt").write_text("not a manifest")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.yaml").write_text("kind: Pod\n")
    (tmp_path / "empty.yml").write_text("")
    names = [s.name for s in read_sources([str(tmp_path)])]
    assert names == [str(tmp_path / "a.yaml"), str(tmp_path / "sub" / "b.json")]
    (stdin,) = list(read_sources(["-"], stdin=io.BytesIO(b"kind: Pod\n")))
    assert stdin.name == STDIN_NAME


@pytest.mark.parametrize(
    ("setup", "error"),
    [
        (lambda p: p / "missing.yaml", InputError),
        (lambda p: (p / "e.yaml").write_text("  \n") and p / "e.yaml", EmptyInput),
        (lambda p: (p / "bin.yaml").write_bytes(b"\x00\x01\x02") and p / "bin.yaml", BinaryInput),
        (lambda p: p, EmptyInput),  # a folder with no manifest files
    ],
    ids=["missing", "empty", "binary", "empty-folder"],
)
def test_unreadable_inputs(tmp_path: Path, setup: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        list(read_sources([str(setup(tmp_path))]))


def test_empty_stdin() -> None:
    with pytest.raises(EmptyInput):
        list(read_sources(["-"], stdin=io.BytesIO(b"\n")))


# JSON-like data, as manifests hold it
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40),
                     st.floats(allow_nan=False, allow_infinity=False, width=32),
                     st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=20))
_data = st.recursive(_scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=10), inner,
                    max_size=4)), max_leaves=25)


@settings(max_examples=200, deadline=None)
@given(_data)
def test_build_equals_safe_load(data: Any) -> None:
    for style in (False, None):
        text = yaml.safe_dump({"kind": "Pod", "spec": data}, default_flow_style=style, allow_unicode=True)
        node = yaml.compose(text, Loader=yaml.CSafeLoader)
        assert build(node, {}) == yaml.safe_load(text)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_loads_or_fails_cleanly(text: str) -> None:
    try:
        list(load_manifests(Source("fuzz.yaml", text)))
    except InputError as exc:
        assert "\n" not in exc.one_line()
