"""The shared manifest reader on hostile and odd input: explain and lint answer the same way.

Each case is a real input file run through the real command (a subprocess, so a hang or a
crash of the interpreter shows); `timeout=` below is a guard against hanging forever, not a
performance assertion (timings are in benchmarks/bench_reader.py).
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from podmortem.errors import BinaryInput, InputError
from podmortem.kube.yamldocs import check_graph, compose_unchecked
from podmortem.sources.reader import decode_text, parse_documents, read_bytes

PODMORTEM = [sys.executable, "-m", "podmortem"]
POD_YAML = """apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop}
spec:
  containers: [{name: web, image: "web:1"}]
status:
  phase: Running
  containerStatuses: [{name: web, ready: true, restartCount: 0, state: {running: {startedAt: "2026-01-15T10:00:00Z"}}}]
"""


def run(*args: str, limit_as: int | None = None) -> subprocess.CompletedProcess[str]:
    def limit() -> None:
        import resource

        if limit_as:
            resource.setrlimit(resource.RLIMIT_AS, (limit_as, limit_as))

    return subprocess.run([*PODMORTEM, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "NO_COLOR": "1"}, preexec_fn=limit if limit_as else None)


def one_line_error(done: subprocess.CompletedProcess[str], code: int = 2) -> str:
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def alias_bomb(levels: int = 9) -> str:
    lines = ["apiVersion: v1", "kind: Pod", "metadata: {name: p}", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("command", ["explain", "lint"])
def test_alias_bomb_is_refused_by_both_commands(tmp_path: Path, command: str) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    assert len(bomb.read_bytes()) < 700
    line = one_line_error(run(command, str(bomb)))
    assert "excessive aliasing" in line and "bomb.yaml" in line


def test_alias_budget_is_go_yamls() -> None:
    """A few aliases are normal YAML (anchors for shared labels); only expansion beyond go-yaml's ratio is refused."""
    ok = "kind: Pod\nbase: &b {x: 1, y: 2}\n" + "".join(f"k{i}: *b\n" for i in range(500))
    for node in compose_unchecked("ok.yaml", ok):
        check_graph("ok.yaml", node)
    assert parse_documents("ok.yaml", ok)[0]["k499"] == {"x": 1, "y": 2}
    with pytest.raises(InputError, match="excessive aliasing"):
        parse_documents("bomb.yaml", alias_bomb(6))


def test_an_anchor_that_contains_itself_is_refused() -> None:
    with pytest.raises(InputError, match="contains an alias of itself"):
        parse_documents("r.yaml", "a: &a [1, *a]\n")


@pytest.mark.parametrize("command", ["explain", "lint"])
@pytest.mark.parametrize("shape", ["object", "array"])
def test_json_nested_100k_deep_is_exit_2(tmp_path: Path, command: str, shape: str) -> None:
    f = tmp_path / "deep.json"
    depth = 100_000
    f.write_text('{"kind": "Pod", "x": ' + ('{"a": ' * depth + "1" + "}" * depth if shape == "object"
                                               else "[" * depth + "]" * depth) + "}")
    line = one_line_error(run(command, str(f)))
    assert "deep.json" in line


def test_yaml_nested_deeper_than_the_budget_is_refused() -> None:
    text = "kind: Pod\nx: " + "[" * 600 + "]" * 600 + "\n"
    with pytest.raises(InputError, match="nested more than 500 levels"):
        parse_documents("deep.yaml", text)


@pytest.mark.parametrize("command", ["explain", "lint"])
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-8-sig"])
def test_text_with_a_byte_order_mark_is_read_by_both(tmp_path: Path, command: str, encoding: str) -> None:
    f = tmp_path / "pod.yaml"
    data = POD_YAML.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    f.write_bytes(data)
    done = run(command, str(f))
    assert done.returncode == 0, done.stderr
    if command == "explain":
        assert "web-1" in done.stdout


@pytest.mark.parametrize("command", ["explain", "lint"])
def test_a_fifo_in_a_folder_is_skipped_with_a_note(tmp_path: Path, command: str) -> None:
    (tmp_path / "pod.yaml").write_text(POD_YAML)
    os.mkfifo(tmp_path / "pipe.yaml")  # nobody writes to it: opening it would block forever
    done = run(command, str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "pipe.yaml: skipped, not a regular file" in done.stderr


def test_a_small_file_is_read_under_a_tight_address_space_limit(tmp_path: Path) -> None:
    """The reader used to reserve 2 GiB before reading anything (MemoryError under `ulimit -v 1.5G`)."""
    f = tmp_path / "pod.yaml"
    f.write_text(POD_YAML)
    done = run("explain", str(f), "-o", "json", limit_as=1536 * 1024**2)
    assert done.returncode == 0, done.stderr


def test_read_bytes_from_a_stream_is_bounded() -> None:
    assert read_bytes("-", stdin=io.BytesIO(b"abc")) == b"abc"
    with pytest.raises(InputError, match="larger than"):
        read_bytes("-", limit=1024**2, stdin=io.BytesIO(b"x" * (1024**2 + 1)))


def test_one_decoder() -> None:
    assert decode_text("x", "kind: Pod\n".encode("utf-16-le").join([b"\xff\xfe", b""])) == "kind: Pod\n"
    assert decode_text("x", b"\xef\xbb\xbfkind: Pod\n") == "kind: Pod\n"
    assert decode_text("x", "caf\u00e9".encode()[:-1]) == "caf\ufffd"  # a paste cut mid-character
    with pytest.raises(BinaryInput):
        decode_text("x", b"kind: Pod\n\xff\xfe\xfa more")
    with pytest.raises(BinaryInput):
        decode_text("x", b"\x89PNG\r\n\x1a\n\x00\x00")


@pytest.mark.parametrize(("args", "words"), [
    (["explain", "--logs", "/nonexistent/app.log"], "no such file"),
    (["explain", "--logs", "{tmp}"], "is a folder"),
    (["explain", "--describe", "/nonexistent/describe.txt"], "no such file"),
    (["explain", "--describe", "{tmp}"], "is a folder"),
    (["lint", "/nonexistent/k8s.yaml"], "no such file"),
    (["diagnose", "--kubeconfig", "{tmp}"], "is a directory"),
    (["snapshot", "{tmp}/pod.yaml"], "is a file"),
], ids=["logs-missing", "logs-folder", "describe-missing", "describe-folder", "lint-missing",
        "kubeconfig-folder", "snapshot-into-a-file"])
def test_unreadable_paths_are_one_line_exit_2(tmp_path: Path, args: list[str], words: str) -> None:
    (tmp_path / "pod.yaml").write_text(POD_YAML)
    line = one_line_error(run(*[a.replace("{tmp}", str(tmp_path)) for a in args]))
    assert words in line


@pytest.mark.parametrize("kind", ["object-file", "log-file"])
def test_explain_refuses_a_symlink_out_of_a_plain_folder(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "incident"
    folder.mkdir()
    (folder / "pod.yaml").write_text(POD_YAML)
    outside = tmp_path / "private.yaml"
    outside.write_text(POD_YAML.replace("web-1", "private-pod"))
    (folder / ("other.yaml" if kind == "object-file" else "web-1_web.log")).symlink_to(outside)
    line = one_line_error(run("explain", str(folder)))
    assert "a symlink out of the folder" in line
    inside = tmp_path / "incident" / "same.yaml"
    (folder / ("other.yaml" if kind == "object-file" else "web-1_web.log")).unlink()
    inside.symlink_to(folder / "pod.yaml")  # a symlink that stays inside is fine
    assert run("explain", str(folder)).returncode == 0


def test_a_prefetched_file_is_taken_once_and_only_while_it_is_unchanged(tmp_path: Path) -> None:
    """reader.prefetch reads a file in a thread; read_bytes takes those bytes when the file is still
    the one read (same inode, size, modification time), and reads it again otherwise."""
    from podmortem.sources import reader

    path = tmp_path / "pods.json"
    path.write_bytes(b'{"items": []}')
    reader.prefetch(str(path))
    reader.settle()
    job = reader._PREFETCHED[str(path)]
    assert job.data == b'{"items": []}'
    job.data = b'{"items": ["from the thread"]}'  # marks where the bytes come from (the file is unchanged)
    assert read_bytes(str(path)) == b'{"items": ["from the thread"]}'
    assert str(path) not in reader._PREFETCHED  # taken once
    assert read_bytes(str(path)) == b'{"items": []}'

    reader.prefetch(str(path))
    reader.settle()
    reader._PREFETCHED[str(path)].data = b"stale"
    path.write_bytes(b'{"items": [1]}')  # another size: the prefetched bytes are not taken
    assert read_bytes(str(path)) == b'{"items": [1]}'

    reader.prefetch(str(path))
    reader.settle()
    path.unlink()
    with pytest.raises(InputError, match="no such file"):
        read_bytes(str(path))  # gone since: worded as any missing file

    folder = tmp_path / "dir"
    folder.mkdir()
    reader.prefetch(str(folder))  # not a regular file: nothing read, the usual refusal
    reader.settle()
    with pytest.raises(InputError, match="is a folder"):
        read_bytes(str(folder))
    big = tmp_path / "big.json"
    big.write_bytes(b"x" * 100)
    reader.prefetch(str(big), limit=10)  # over the limit: left to read_bytes, which says so
    reader.settle()
    with pytest.raises(InputError):
        read_bytes(str(big), limit=10)
