"""The entry point of `podmortem` and `kubectl-podmortem` (and `python -m podmortem`): what has to
happen before the command-line interface is imported, then the interface (podmortem.cli.main).

`explain` of a big list forks its first standby worker here (podmortem/standby.py, `ready_early`)
and starts reading the list in a thread: importing click and the CLI takes 30-40 ms, which the
worker spends importing the engine on the other CPU and the thread reading the file, so that the
first failing pods are read sooner and the worker is ready for them (1.92x -> 1.87-1.88x of
json.load on bench_explain's slim list, in alternating runs). Nothing else is imported first: any
other command starts as it would from podmortem.cli.
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
