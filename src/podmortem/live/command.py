"""`podmortem diagnose` and `podmortem snapshot`: the live commands, with kubectl's flag conventions.

Also reachable as `kubectl podmortem ...` (the kubectl-podmortem entry point). Library errors
(podmortem.errors) propagate to cli.main, which turns them into exit codes: 3 when the cluster
cannot be reached or refuses, 2 for bad flags.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from podmortem.commandline import (
    EXIT_OK,
    EXIT_PROBLEM,
    backoff_options,
    backoff_settings,
    details_option,
    emit,
    leave,
    paused_gc,
    say,
    terminal_width,
    use_color,
    write_patches_option,
)
from podmortem.kube.durations import parse_duration
from podmortem.live.parallel import MAX_WORKERS


def parse_timeout(value: str, option: str = "--request-timeout") -> float:
    """kubectl's --request-timeout: "30", "30s", "1m", "1m30s"; 0 means our default (or no limit)."""
    seconds = parse_duration(value)
    if seconds is None:
        raise click.BadParameter(f"{value!r} is not a duration such as 30s or 1m", param_hint=option)
    return seconds




def cluster_options(fn: Any) -> Any:
    for option in reversed([
        click.option("-n", "--namespace", default=None, help="The namespace (default: the context's)."),
        click.option("-A", "--all-namespaces", is_flag=True, help="All namespaces."),
        click.option("-l", "--selector", default=None, help="Label selector, e.g. app=web,tier!=db."),
        click.option("--context", default=None, help="The kubeconfig context to use."),
        click.option("--kubeconfig", default=None, type=click.Path(dir_okay=False),
                     help="Path to the kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)."),
        click.option("--request-timeout", default="30s", show_default=True,
                     help="Longest wait for each whole API answer (not each read); a request that gets no "
                          "answer at all is retried a bounded number of times."),
        click.option("--timeout", "run_timeout", default="10m", show_default=True, metavar="DURATION",
                     help="Stop the whole run after this long (exit 3); 0 means no limit."),
        click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
                     help="API requests in flight at once."),
        click.option("--secret-keys", is_flag=True,
                     help="Read the Secrets failing pods reference, to confirm they and their keys exist (key "
                          "names kept, values dropped at once). Needs deploy/rbac/clusterrole-secret-keys.yaml."),
    ]):
        fn = option(fn)
    return fn


def _scope(pods: tuple[str, ...], namespace: str | None, all_namespaces: bool, selector: str | None,
           default_ns: str) -> Any:
    from podmortem.live.collect import Scope

    if all_namespaces and namespace:
        raise click.UsageError("give -n NAMESPACE or -A, not both")
    if all_namespaces and pods:
        raise click.UsageError("pod names need one namespace: use -n NAMESPACE instead of -A")
    if pods and selector:
        raise click.UsageError("give pod names or -l SELECTOR, not both")
    ns = None if all_namespaces else (namespace or default_ns)
    return Scope(ns, tuple(pods), selector)


def _collect(kubeconfig: str | None, context: str | None, request_timeout: str, run_timeout: str, concurrency: int,
             pods: tuple[str, ...], namespace: str | None, all_namespaces: bool, selector: str | None,
             *, sample: bool, secret_keys: bool, whole_pods: bool = True) -> tuple[Any, Any]:
    from podmortem.live.client import connect
    from podmortem.live.collect import Collector, Progress

    timeout = parse_timeout(request_timeout) or 30.0
    whole = parse_timeout(run_timeout, "--timeout")
    client = connect(kubeconfig, context, timeout=timeout, concurrency=concurrency)
    client.set_deadline(whole, f"--timeout {run_timeout}")
    scope = _scope(pods, namespace, all_namespaces, selector, client.namespace)
    collector = Collector(client, concurrency=concurrency, progress=Progress(), sample=sample,
                          secret_keys=secret_keys, whole_pods=whole_pods)
    try:
        col = collector.collect(scope)
    finally:
        collector.progress.finish()
    return client, col


@click.command()
@click.argument("pods", nargs=-1)
@cluster_options
@click.option("-o", "--output", type=click.Choice(["text", "wide", "json", "yaml", "markdown", "html"]), default="text",
              show_default=True, help="Output format.")
@click.option("--show-healthy", is_flag=True, help="List pods without problems too (always when there are few).")
@backoff_options
@details_option
@click.option("--color/--no-color", default=None, help="Colour output (default: only on a terminal).")
@write_patches_option
def diagnose(pods: tuple[str, ...], namespace: str | None, all_namespaces: bool, selector: str | None,
             context: str | None, kubeconfig: str | None, request_timeout: str, run_timeout: str, concurrency: int,
             secret_keys: bool, output: str,
             show_healthy: bool, reduced_backoff: bool, backoff_max: int | None, details: str,
             color: bool | None, write_patches: str | None) -> None:
    """Diagnose crash-looping pods in a live cluster, read-only.

    With no POD names, every pod in the namespace (or with -A, the cluster) is checked; only the
    failing ones cost more API calls. Exit code 1 when a problem is found, 3 when the cluster
    cannot be reached.
    """
    from podmortem.live.parallel import workers_now
    from podmortem.live.report import diagnose_collection, render_live

    if write_patches is not None:  # a DIR that cannot take the files fails before the cluster is asked
        import os

        from podmortem.render.patchfiles import open_dir

        os.close(open_dir(write_patches))
    with paused_gc(freeze=True):
        client, col = _collect(kubeconfig, context, request_timeout, run_timeout, concurrency, pods, namespace,
                               all_namespaces, selector, sample=True, secret_keys=secret_keys,
                               whole_pods=False)  # a report needs no healthy pod's whole object
        assert col.listed_at is not None
        # The collector's threads have stopped: the engine may share the pods out among processes.
        result = diagnose_collection(col, now=col.listed_at, backoff=backoff_settings(reduced_backoff, backoff_max),
                                     workers=workers_now(MAX_WORKERS),
                                     keep_evidence=output == "html",
                                     rendered=output == "json" and write_patches is None)
        result.server, result.context = client.host, client.context
        result.requests = dict(sorted(client.requests.items()))
        if write_patches is not None:
            from podmortem.live.report import with_patch_files

            with_patch_files(result, write_patches)
        text = render_live(result, output, color=use_color(color), show_healthy=show_healthy or bool(pods),
                           details=details, width=terminal_width())
    for line in col.warnings if output in ("json", "yaml") else ():
        say(f"podmortem: warning: {line}")
    for m in col.missing_rbac if output in ("json", "yaml") else ():
        say(f"podmortem: {m.line()}")
    emit(text, inert=result.entries is not None)  # made inert part by part (render.jsonparts)
    leave(EXIT_PROBLEM if result.problem else EXIT_OK)


@click.command()
@click.argument("folder", type=click.Path(file_okay=False))
@click.argument("pods", nargs=-1)
@cluster_options
@click.option("--keep-env-values", is_flag=True,
              help="Keep the literal values of the pods' env variables in pods.json (dropped by default: they "
                   "may hold credentials; rules that read them, such as JVM heap flags, then see the names only).")
@click.option("--anonymize", is_flag=True,
              help="Replace namespaces, pod, owner, node, ConfigMap, Secret and service-account names, the server "
                   "and the context consistently (namespace-1, pod-2, ...) everywhere, logs included; the mapping "
                   "is not kept. Container names, images and env variable names stay (the diagnosis reads them).")
def snapshot(folder: str, pods: tuple[str, ...], namespace: str | None, all_namespaces: bool, selector: str | None,
             context: str | None, kubeconfig: str | None, request_timeout: str, run_timeout: str,
             concurrency: int, secret_keys: bool, keep_env_values: bool, anonymize: bool) -> None:
    """Save the evidence of failing pods to FOLDER, for `podmortem explain FOLDER` later or elsewhere.

    FOLDER gets the pod list, the events and logs of failing pods, their owners and the key names
    (never the values) of the ConfigMaps and Secrets they reference.
    """
    from podmortem.live.snapshot import check_folder, write_snapshot

    check_folder(folder)
    with paused_gc(freeze=True):
        client, col = _collect(kubeconfig, context, request_timeout, run_timeout, concurrency, pods, namespace,
                               all_namespaces, selector, sample=False, secret_keys=secret_keys)
        written = write_snapshot(col, folder, server=client.host, context=client.context,
                                 keep_env_values=keep_env_values, anonymize=anonymize)
    for m in col.missing_rbac:
        say(f"podmortem: {m.line()}")
    for line in col.warnings:
        say(f"podmortem: warning: {line}")
    logs = sum(1 for w in written if w.endswith(".log"))
    emit(f"saved {len(col.pods)} pods ({len(col.failing)} failing, {logs} logs) to {folder}; "
         f"read it with: podmortem explain {folder}")
    sys.exit(EXIT_OK)
