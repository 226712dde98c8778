"""The one manifest reader of `explain` and `lint`: bytes -> text -> documents.

kubectl's resource builder is the model: many inputs (files, folders, stdin), one way to read
each. Every step refuses bad input with one line (a podmortem.errors.InputError), never a
traceback:
- bytes: bounded reads that never reserve a buffer for the limit up front; only regular files
  are read from folders (a FIFO or a device there is skipped with a note, it could block forever);
- text: one decoder (UTF-8, UTF-8/UTF-16/UTF-32 byte-order marks) and one binary check;
- documents: JSON by the standard library's C scanner, YAML by libyaml's composer, whose node
  graph is measured before anything is built, so an alias bomb ("billion laughs") or a
  document nested thousands deep is refused before it can cost time or memory.

PyYAML is imported only when a YAML document is read: `explain -o json` of JSON input stays fast.
"""

from __future__ import annotations

import codecs
import os
import stat
import sys
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

from podmortem.errors import BinaryInput, InputError

STDIN_NAME = "<stdin>"
# Far above any real input (a 10,000-pod PodList of fat pods is ~150 MB), far below what would
# exhaust a laptop. Bigger inputs are refused with one line instead of read.
MAX_INPUT_BYTES = 1024**3
_CHUNK = 1024 * 1024

def note(message: str) -> None:
    """A remark about the input that is not an error (printed on stderr, never on stdout)."""
    sys.stderr.write(f"podmortem: note: {message}\n")


# --- bytes ----------------------------------------------------------------------------------------

def _too_big(name: str, limit: int) -> InputError:
    return InputError(f"{name}: larger than {limit // 1024**2} MiB, refused",
                      "pass only the objects you need (e.g. `kubectl get pod NAME -o json`)")


def _read_stream(stream: BinaryIO, name: str, limit: int) -> bytes:
    """A pipe or a terminal read in chunks up to `limit` (a pipe has no size to check beforehand)."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        total += len(chunk)
        if total > limit:
            raise _too_big(name, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def os_input_error(path: str, exc: OSError) -> InputError:
    """The one line for a file that cannot be opened or read."""
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{path}: no such file or folder")
    if isinstance(exc, PermissionError):
        return InputError(f"{path}: permission denied")
    if isinstance(exc, IsADirectoryError):
        return InputError(f"{path}: is a folder")
    return InputError(f"{path}: cannot read: {exc.strerror or exc}")


class _Prefetch:
    """A regular file read by a thread of its own (`prefetch`), with its status as it was opened."""

    def __init__(self, path: str, limit: int) -> None:
        import threading

        self.path, self.limit = path, limit
        self.data: bytes | None = None
        self.opened: os.stat_result | None = None
        self.thread = threading.Thread(target=self._read, name="podmortem-prefetch", daemon=True)

    def _read(self) -> None:
        try:
            with open(self.path, "rb") as fh:
                st = os.fstat(fh.fileno())
                if not stat.S_ISREG(st.st_mode) or st.st_size > self.limit:
                    return
                data = fh.read()
                if len(data) == st.st_size:
                    self.data, self.opened = data, st
        except (OSError, MemoryError):  # read again by read_bytes, which words the error
            pass


_PREFETCHED: dict[str, _Prefetch] = {}


def prefetch(path: str, *, limit: int = MAX_INPUT_BYTES) -> None:
    """Starts reading the regular file at `path` in a thread, for `read_bytes(path)` to take. The
    reading is system calls that release the interpreter lock, so it runs while the command imports
    what it needs (explain of a big list: podmortem/standby.py). Call `settle` before forking."""
    if path not in _PREFETCHED:
        _PREFETCHED[path] = job = _Prefetch(path, limit)
        job.thread.start()


def settle() -> None:
    """Waits for the files `prefetch` is reading (their bytes stay for read_bytes): a process must
    not fork while another of its threads runs."""
    for job in list(_PREFETCHED.values()):
        job.thread.join()


def _prefetched(path: str, limit: int) -> bytes | None:
    """The bytes `prefetch` read, when the file is still the one it read (same file, size and
    modification time) and within `limit`; None otherwise, for the caller to read it now."""
    job = _PREFETCHED.pop(path, None)
    if job is None:
        return None
    job.thread.join()
    if job.data is None or job.opened is None or len(job.data) > limit:
        return None
    try:
        now = os.stat(path)
    except OSError:
        return None
    then = job.opened
    if (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns) != (then.st_dev, then.st_ino, then.st_size,
                                                                   then.st_mtime_ns):
        return None
    return job.data


def read_bytes(path: str, *, limit: int = MAX_INPUT_BYTES, stdin: BinaryIO | None = None) -> bytes:
    """The bytes of a file named on the command line (`-`: standard input), at most `limit`.

    A pipe named explicitly (`<(kubectl get pods -o json)`) is read; a folder is refused. A file
    `prefetch` has read is taken from it when it has not changed since.
    """
    if path == "-":
        return _read_stream(stdin if stdin is not None else sys.stdin.buffer, STDIN_NAME, limit)
    if _PREFETCHED and (data := _prefetched(path, limit)) is not None:
        return data
    try:
        with open(path, "rb") as fh:
            st = os.fstat(fh.fileno())
            if stat.S_ISDIR(st.st_mode):
                raise InputError(f"{path}: is a folder")
            if stat.S_ISREG(st.st_mode):
                if st.st_size > limit:
                    raise _too_big(path, limit)
                # read() sizes its buffer from the file's size, never from the limit.
                data = fh.read()
                if len(data) > limit:  # the file grew while being read
                    raise _too_big(path, limit)
                return data
            return _read_stream(fh, path, limit)
    except OSError as exc:
        raise os_input_error(path, exc) from None


def is_regular_file(path: str) -> bool:
    """True for a regular file (following symlinks); False for FIFOs, sockets, devices, folders."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def walk_files(folder: str, accept: Callable[[str], bool], *, recursive: bool = True,
               on_skip: Callable[[str], None] = note) -> Iterator[str]:
    """Files in a folder whose name `accept`s, sorted, hidden entries skipped. A FIFO, socket or
    device with an accepted name is skipped with a note: opening a FIFO would block forever."""
    try:
        walker = os.walk(folder, onerror=None)
        for root, dirs, files in walker:
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if recursive else []
            for name in sorted(files):
                if name.startswith(".") or not accept(name):
                    continue
                path = os.path.join(root, name)
                if not is_regular_file(path):
                    on_skip(f"{path}: skipped, not a regular file")
                    continue
                yield path
    except OSError as exc:
        raise os_input_error(folder, exc) from None


# --- text -----------------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),  # before UTF-16: same prefix
    (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_TEXT_BYTES = frozenset(range(32, 256)) | {9, 10, 12, 13, 27, 8}
_TEXT_BYTE_STRING = bytes(sorted(_TEXT_BYTES))


def looks_binary(data: bytes) -> bool:
    """A NUL byte, or mostly control bytes, in the first 8 KiB (after any byte-order mark)."""
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    # bytes.translate deletes the text bytes in C: a per-byte Python loop here cost lint 10-15%
    # of its time on 2,000 files (benchmarks/bench_lint.py)
    control = len(sample.translate(None, _TEXT_BYTE_STRING))
    return (len(sample) - control) / len(sample) < 0.85


def decode_text(name: str, data: bytes) -> str:
    """Bytes to text: a byte-order mark chooses the encoding (and is dropped), else UTF-8.

    Binary data and text that is not valid UTF-8 are refused; only a character cut at the very
    end (a truncated paste) is replaced rather than refused.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError:
                raise BinaryInput(f"{name}: not valid {encoding.upper()} text despite its byte-order mark") from None
    if looks_binary(data):
        raise BinaryInput(f"{name}: binary data, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data":
            return data.decode("utf-8", errors="replace")
        raise BinaryInput(f"{name}: not UTF-8 text (byte {exc.start})") from None


def read_text(path: str, *, limit: int = MAX_INPUT_BYTES, stdin: BinaryIO | None = None) -> str:
    """read_bytes then decode_text, named as the user named the input."""
    return decode_text(STDIN_NAME if path == "-" else path, read_bytes(path, limit=limit, stdin=stdin))


# --- documents ------------------------------------------------------------------------------------

def looks_like_json(text: str) -> bool:
    for ch in text:
        if ch not in " \t\r\n":
            return ch in "{["
    return False


def parse_json(name: str, text: str) -> Any:
    """One JSON document; invalid, truncated or too deeply nested JSON is one line."""
    import json

    try:
        return json.loads(text)
    except RecursionError:
        raise InputError(f"{name}: JSON nested too deeply (more than Python can read)") from None
    except ValueError as exc:
        raise InputError(f"{name}: truncated or invalid JSON ({exc})",
                         "pass the complete output of `kubectl get ... -o json`") from None


def parse_documents(name: str, text: str) -> list[Any]:
    """Every document of a text as plain data: JSON (one document) or YAML (many, `---` separated)."""
    if looks_like_json(text):
        return [parse_json(name, text)]
    from podmortem.kube.yamldocs import build, compose_yaml

    return [build(node) for node in compose_yaml(name, text)]
