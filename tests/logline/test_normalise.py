"""The log-line normaliser: each envelope a pipeline adds comes off, the original line is kept."""

from __future__ import annotations

import json

import pytest

from podmortem.logline import MAX_CHARS, bounded, folded, message_text, normalise_lines, rejoin_wrapped

MSG = 'Error: configmap "app-config" not found'
TS = "2026-01-01T10:00:00.123456789Z"


@pytest.mark.parametrize("line", [
    f"{TS} stderr F {MSG}",
    json.dumps({"log": MSG + "\n", "stream": "stderr", "time": TS}),
    f"{TS} {MSG}",
    f"[pod/web-7d9f8-x2x9p/app] {MSG}",
    f"[pod/web-7d9f8-x2x9p/app] {TS} {MSG}",
    f"web-7d9f8-x2x9p app {MSG}",
    f"2024-01-02 15:04:05,123 {MSG}",
    f"2024/01/02 15:04:05 {MSG}",
    f"[2024-01-02T15:04:05.123+02:00] {MSG}",
    f"\x1b[31m{MSG}\x1b[0m\r",
    f"{MSG}\r",
    "Error: configmap \u201capp-config\u201d not found",
])
def test_envelope_comes_off(line: str) -> None:
    (rec,) = normalise_lines([line])
    assert rec.text == MSG
    assert rec.number == 1


@pytest.mark.parametrize(("line", "level", "text"), [
    ('{"level":"fatal","ts":1.7e9,"caller":"main.go:12","msg":"cannot start","error":"dial tcp: refused"}',
     "fatal", "cannot start: dial tcp: refused"),
    ('{"time":"2024-01-01T00:00:00Z","level":"ERROR","source":"x.go:1","msg":"boom","err":"EOF"}', "error", "boom: EOF"),
    ('time="2024-01-01T00:00:00Z" level=fatal msg="failed to connect" error="connection refused"',
     "fatal", "failed to connect: connection refused"),
    ('level=error ts=2024 msg="load config" err="open /etc/app.yaml: no such file or directory"',
     "error", "load config: open /etc/app.yaml: no such file or directory"),
    ("F0712 18:16:20.314448       1 main.go:197] listen tcp :8080: bind: address already in use",
     "fatal", "listen tcp :8080: bind: address already in use"),
    ('E1012 20:32:36.250878   24371 main.go:12] "Failed to start" err="missing flag"', "error",
     "Failed to start: missing flag"),
    ('{"level":60,"time":1,"pid":1,"hostname":"h","msg":"fatal startup"}', "fatal", "fatal startup"),
    ('{"@t":"2024-01-01","@mt":"Host terminated","@l":"Fatal"}', "fatal", "Host terminated"),
    ('{"Timestamp":"x","LogLevel":"Critical","Category":"Host","Message":"Host terminated unexpectedly"}',
     "critical", "Host terminated unexpectedly"),
    ('{"event":"startup failed","level":"critical","timestamp":"x"}', "critical", "startup failed"),
    ('{"asctime":"x","levelname":"WARNING","message":"retrying"}', "warn", "retrying"),
])
def test_structured_records(line: str, level: str, text: str) -> None:
    (rec,) = normalise_lines([line])
    assert (rec.level, rec.text) == (level, text)
    assert rec.raw == line  # citations quote what was printed


def test_klog_file_line_is_not_an_address() -> None:
    (rec,) = normalise_lines(["I0712 18:16:20.314448       1 main.go:197] serving on 0.0.0.0:8443"])
    assert "main.go" not in rec.text and rec.level == "info"


def test_traceback_inside_json_becomes_lines() -> None:
    tb = "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\nKeyError: 'DB_URL'"
    line = json.dumps({"levelname": "ERROR", "message": "crashed", "exc_info": tb})
    recs = normalise_lines([line])
    assert [r.text for r in recs] == ["crashed", *tb.split("\n")]
    assert all(r.raw == line and r.number == 1 for r in recs)
    assert [r.continued for r in recs] == [False, True, True, True]


def test_partial_records_are_joined() -> None:
    cri = [f"{TS} stderr P Error: config", f"{TS} stdout F unrelated", f"{TS} stderr F map \"x\" not found"]
    texts = [r.text for r in normalise_lines(cri)]
    assert texts == ["unrelated", 'Error: configmap "x" not found']
    docker = [json.dumps({"log": "panic: run", "stream": "stderr", "time": TS}),
              json.dumps({"log": "time error\n", "stream": "stderr", "time": TS})]
    (rec,) = normalise_lines(docker)
    assert rec.text == "panic: runtime error" and rec.number == 1


def test_stack_indentation_survives_prefixes() -> None:
    recs = normalise_lines([f"web-7d9f8-x2x9p app {TS} Exception in thread \"main\" java.lang.Error",
                            f"web-7d9f8-x2x9p app {TS} \tat Main.main(Main.java:3)"])
    assert recs[1].text == "\tat Main.main(Main.java:3)"


def test_retry_loop_words_are_not_a_stern_prefix() -> None:
    lines = ["error connecting to db: refused"] * 5
    assert {r.text for r in normalise_lines(lines)} == {"error connecting to db: refused"}


def test_wrapped_lines_rejoined_only_when_the_log_was_wrapped() -> None:
    long = "x" * 70 + " Error: configmap \"app-config\" not found in namespace prod"
    wrapped = [long[i:i + 80] for i in range(0, len(long), 80)]
    assert [t for t, _ in rejoin_wrapped(wrapped)] == [long]
    assert [r.text for r in normalise_lines(wrapped)] == [long]
    # a log with a line longer than 80 was not wrapped at 80: an 80-column line stays itself
    natural = ["y" * 80, "next line", "z" * 95]
    assert [t for t, _ in rejoin_wrapped(natural)] == natural
    # a continuation never starts a new record
    assert len(rejoin_wrapped(["a" * 80, "2024-01-01T00:00:00Z next"])) == 2


def test_folding_and_bounds() -> None:
    assert folded("Couldn\u2019t find KEY") == "couldn't find key"
    big = "a:" * 300_000
    assert len(bounded(big)) == MAX_CHARS
    (rec,) = normalise_lines([big + " panic: end"])
    assert len(rec.text) <= MAX_CHARS and rec.text.endswith("panic: end")


def test_message_text_reads_one_line() -> None:
    assert message_text(f"{TS} stderr F {MSG}") == MSG
    assert message_text('{"level":"error","msg":"x","error":"y"}') == "x: y"
