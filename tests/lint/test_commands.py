"""What a container command runs, and whether it certainly ends (app.exit-zero)."""

from __future__ import annotations

import pytest

from podmortem.lint.commands import Invocation, invocation, one_shot, script_one_shot, shell_of, shell_present


def _inv(*argv: str) -> Invocation:
    return Invocation(argv[0], argv, "command")


@pytest.mark.parametrize(
    "argv",
    [
        ("echo", "hello"),
        ("/bin/true",),
        ("date",),
        ("sleep", "30"),
        ("sleep", "5m"),
        ("sh",),
        ("/bin/bash",),
        ("nginx",),
        ("nginx", "-c", "/etc/nginx/custom.conf"),
        ("httpd",),
        ("redis-server", "--daemonize", "yes"),
        ("mongod", "--fork", "--logpath", "/var/log/mongod.log"),
        ("pg_ctl", "start", "-D", "/data"),
        ("service", "nginx", "start"),
        ("sh", "-c", "echo hi; sleep 5"),
        ("sh", "-ec", "mkdir -p /a && cp /b /a/ && echo done > /a/log"),
        ("bash", "-c", "/app/server &"),
        ("sh", "-c", "exec echo ready"),
        ("sh", "-c", "if [ -f /x ]; then echo yes; fi"),
        ("sh", "-c", ""),
    ],
)
def test_one_shot(argv: tuple[str, ...]) -> None:
    assert one_shot(_inv(*argv)) is not None


@pytest.mark.parametrize(
    "argv",
    [
        ("/app/server",),
        ("java", "-jar", "/app.jar"),
        ("sleep", "infinity"),
        ("sleep", "3600"),
        ("sleep", "$(DELAY)"),
        ("tail", "-f", "/dev/null"),
        ("nginx", "-g", "daemon off;"),
        ("httpd", "-DFOREGROUND"),
        ("redis-server", "/etc/redis.conf"),
        ("sh", "/scripts/start.sh"),
        ("sh", "-c", "echo starting && exec /app/server"),
        ("sh", "-c", "cp /a /b; python -m app"),
        ("sh", "-c", "while true; do sleep 10; done"),
        ("sh", "-c", "/app/a & /app/b & wait"),
        ("sh", "-c", "nginx && tail -f /var/log/nginx/access.log"),
        ("sh", "-c", "exec nginx -g 'daemon off;'"),
        ("sh", "-c", "for i in 1 2 3; do echo $i; done"),
    ],
)
def test_long_running(argv: tuple[str, ...]) -> None:
    assert one_shot(_inv(*argv)) is None


def test_invocation_command_args_and_entrypoint() -> None:
    assert invocation(["sh", "-c"], ["echo x"], True) == Invocation("sh", ("sh", "-c", "echo x"), "command")
    assert invocation(None, ["bash"], True) is None  # args go to the image's ENTRYPOINT
    assert invocation(None, ["bash"], None) is None  # unknown image: cannot tell
    assert invocation(None, ["bash", "-c", "x"], False) == Invocation("bash", ("bash", "-c", "x"), "args")


def test_shells() -> None:
    assert shell_of(_inv("/usr/bin/env", "bash", "run.sh")) == "bash"
    assert shell_of(_inv("/usr/bin/env", "-S", "python3")) is None
    assert shell_of(_inv("/bin/ash", "-c", "x")) == "/bin/ash"
    assert shell_present("sh", ("/busybox/sh",))
    assert not shell_present("/bin/sh", ("/busybox/sh",))
    assert not shell_present("bash", ("/bin/sh", "/bin/ash"))


def test_script_reason_mentions_background() -> None:
    result = script_one_shot("/app/run --port 80 &")
    assert result is not None and "background" in result.why
