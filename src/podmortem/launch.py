"""The entry point of `podmortem` and `kubectl-podmortem` (and `python -m podmortem`): what has to
happen before the command-line interface is imported, then the interface (podmortem.cli.main).

`explain` of a big list forks its first standby worker here (podmortem/standby.py, `ready_early`):
importing click and the CLI takes about 30 ms, which the worker spends importing the engine on an
idle CPU, so that it is ready when the first failing pods are read.
"""

from __future__ import annotations

import sys


def main() -> None:
    args = sys.argv[1:]
    if "explain" in args[:2]:  # the command, after --debug perhaps: no other command imports standby
        from podmortem.standby import ready_early

        ready_early(args)
    from podmortem.cli import main as cli_main

    cli_main()


__all__ = ["main"]
