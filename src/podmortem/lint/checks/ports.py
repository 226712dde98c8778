"""Port checks across workloads: two pods that take the same port on the same node."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator

from podmortem.lint.bundle import Bundle, Site
from podmortem.lint.checks.base import check
from podmortem.lint.model import Emit
from podmortem.lint.uses import HostPortUse, share_nodes

# Ports every node's own daemons listen on, which the scheduler does not know are taken: kubelet
# 10250 (API), 10248 (healthz), 10255 (read-only, where enabled); kube-proxy 10249 (metrics) and
# 10256 (healthz). kubernetes pkg/cluster/ports/ports.go and the kubelet's config defaults.
MAX_SELECTORS = 64
NODE_DAEMON_PORTS = {10248: "the kubelet's healthz", 10250: "the kubelet's API", 10255: "the kubelet's read-only port",
                     10249: "kube-proxy's metrics", 10256: "kube-proxy's healthz"}


@check(
    "host-port-clash",
    cause="app.port-in-use",
    severity="error",
    title="Two workloads take the same port on the same nodes (hostPort or hostNetwork)",
    fix="Give one of them another port, or keep them on different nodes (nodeSelector, affinity).",
    scope="bundle",
)
def host_port_clash(bundle: Bundle, strict: bool) -> Iterator[tuple[Site, Emit]]:
    """
    ## What it detects
    Across all workloads of the run: a port taken on the node by two workloads whose nodeSelectors
    can pick the same node, through `hostPort` or through `hostNetwork: true` (every containerPort,
    and ports a container is told to listen on by flag, `--web.listen-address=:9100`, without
    declaring them); and a hostNetwork container on a port of the node's own daemons (kubelet
    10250/10248/10255, kube-proxy 10249/10256).

    ## Why the pod fails
    A node has one port space for host-network pods. When a clashing listener is not declared, the
    scheduler does not know the port is taken: the second process to bind fails with "address
    already in use" (EADDRINUSE) and crash-loops (an error). When both declare it, the scheduler
    keeps the second pod Pending on those nodes ("didn't have free ports for the requested pod
    ports"): a DaemonSet never runs there (a warning).

    ## How to fix
    Move one of them to another port (and its probes and Services), or separate them by node
    labels.

    ## Near misses
    Different protocols (TCP and UDP) are different ports; nodeSelectors that require different
    values of one label never share a node; ports of pods without hostNetwork or hostPort live in
    the pod's own network namespace (duplicate-container-port covers one pod). Affinity is not
    evaluated, so two workloads kept apart only by affinity are still reported.
    """
    by_port: dict[tuple[int, str], list[HostPortUse]] = defaultdict(list)
    for use in bundle.host_ports:
        by_port[(use.port, use.protocol)].append(use)
        daemon = NODE_DAEMON_PORTS.get(use.port)
        if daemon and use.protocol == "TCP" and "hostNetwork" in use.how:
            yield use.site, Emit(use.site.line,
                                 f"{use.workload} takes port {use.port} on its node ({use.how}), which is {daemon} on "
                                 f"every node: the bind fails with \"address already in use\"",
                                 container=use.site.container,
                                 fix=f"Listen on another port; {use.port} belongs to the node's own daemons.")
    for (port, protocol), uses in by_port.items():
        if len({u.workload for u in uses}) < 2:
            continue
        earlier: dict[tuple[tuple[str, str], ...], HostPortUse] = {}  # node selector -> its first use
        for use in uses:
            # Distinct node selectors are few in real bundles; past MAX_SELECTORS the rest are not compared,
            # so a hostile bundle cannot make this quadratic.
            first = next((u for u in itertools.islice(earlier.values(), MAX_SELECTORS)
                          if u.workload != use.workload and share_nodes(u.node_selector, use.node_selector)), None)
            earlier.setdefault(use.node_selector, use)
            if first is None:
                continue
            both_declared = use.declared and first.declared
            if both_declared:
                outcome = ("the scheduler keeps one of them Pending on the nodes where both would run "
                           "(\"didn't have free ports for the requested pod ports\")")
            else:
                outcome = ("the scheduler does not know the undeclared one takes it, so the second to bind on a "
                           "node fails with \"address already in use\" and crash-loops")
            yield use.site, Emit(use.site.line,
                                 f"{use.workload} takes port {port}/{protocol} on its node ({use.how}), and so does "
                                 f"{first.workload} ({first.how}) on the same nodes: {outcome}",
                                 container=use.site.container, severity="warning" if both_declared else None)
