"""Kubernetes vocabulary: what every part of podmortem says the same way Kubernetes and kubectl say it.

Images, times, durations, quantities, heap flags, kubectl commands, YAML loading, label selectors:
the bottom layer, imported by sources, rules, lint, live, gate and sim alike, importing none of them.
"""
