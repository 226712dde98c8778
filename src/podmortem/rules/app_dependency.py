"""The app.dependency-unreachable rule: a service the app needs at start refuses, times out or does not resolve.

Part of the application family (rules/app.py lists it in its RULES). It reads from the client's
error line which endpoint the app tried (host, port or Unix socket), what kind of dependency that
is (database, cache, broker, API server) and how the connection failed (refused, DNS, timeout,
TLS trust), because each of those asks for a different fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from podmortem.kube.kubectl import kubectl
from podmortem.lazyre import lazy
from podmortem.model import APPLY, Command, ContainerEvidence, Hit, PodEvidence, Remedy, Step
from podmortem.rules import patterns as pt
from podmortem.rules.app_analysis import Candidate
from podmortem.rules.app_findings import (
    app_citations,
    base_commands,
    container_title,
    log_rule_hits,
    quoted_match,
)
from podmortem.rules.base import rule
from podmortem.rules.evidence import namespace_of, watch_command
from podmortem.rules.facts import printed
from podmortem.rules.outside import DEPENDENCY
from podmortem.rules.patch import template_patch
from podmortem.shell import render_command

# Ports and names by which a dependency's kind shows, for the finer detail and the wording.
_KIND_BY_TEXT = (
    ("postgres", lazy(r"(?i)postgres|psycopg|libpq|\bpq:|PSQLException|Npgsql|PG::|pgx|asyncpg|SQLSTATE\[08")),
    ("mysql", lazy(r"(?i)mysql|mariadb|Communications link failure|SQLSTATE\[HY000\] \[2002\]")),
    ("redis", lazy(r"(?i)redis|jedis|lettuce")),
    ("mongodb", lazy(r"(?i)mongo")),
    ("kafka", lazy(r"(?i)kafka|broker may not be available|sarama")),
    ("rabbitmq", lazy(r"(?i)rabbit|amqp")),
    ("elasticsearch", lazy(r"(?i)elasticsearch|opensearch|No living connections")),
    ("sqlserver", lazy(r"(?i)sql server|SqlClient|mssql")),
    ("zookeeper", lazy(r"(?i)zookeeper")),
    ("etcd", lazy(r"(?i)\betcd")),
    ("kubernetes-api", lazy(r"(?i)kubernetes\.default|10\.96\.0\.1:443|/api\?timeout|apiserver")),
    ("nginx-upstream", lazy(r"host not found in upstream")),
)
_KIND_BY_PORT = {
    "5432": "postgres", "3306": "mysql", "6379": "redis", "27017": "mongodb", "9092": "kafka", "5672": "rabbitmq",
    "9200": "elasticsearch", "1433": "sqlserver", "2181": "zookeeper", "2379": "etcd", "11211": "memcached",
    "8200": "vault", "4222": "nats", "9042": "cassandra", "26257": "cockroachdb",
}
_MODE_WORDS = {
    "refused": "connection-refused", "dns": "dns-lookup-failed", "timeout": "connect-timeout",
    "unreachable": "no-route", "unavailable": "unreachable", "tls": "tls-untrusted",
}


def _mode(cand: Candidate) -> str:
    text = cand.line.text
    if cand.detail in ("unavailable", "refused"):
        if re.search(r"(?i)name or service not known|no such host|not known|ENOTFOUND|EAI_AGAIN|could not translate"
                     r"|UnknownHost|resolve|NXDOMAIN|bad address|getaddrinfo", text):
            return "dns"
        if re.search(r"(?i)refused", text):
            return "refused"
        if re.search(r"(?i)timed? ?out|deadline exceeded", text):
            return "timeout"
        if re.search(r"(?i)no route|unreachable", text):
            return "unreachable"
    return cand.detail


_CLUSTER_SUFFIX = lazy(r"(?:\.svc)?(?:\.cluster\.local)?\.?$")
_URL = lazy(r"\b(?P<scheme>https?|wss?|grpcs?)://(?:[^@/\s\"']*@)?(?P<host>[A-Za-z0-9_][A-Za-z0-9_.-]*)"
                  r"(?::(?P<port>\d{1,5}))?(?=[/\"'\s]|$)", re.I)


def _endpoint(cand: Candidate) -> tuple[str | None, str | None]:
    """(host, port) the app was trying to reach, as far as the line says."""
    host, port = _endpoint_in(cand)
    if host and "." in host and not re.fullmatch(r"[\d.]+", host):
        host = _CLUSTER_SUFFIX.sub("", host) or host  # the name as written in a Service reference
    return host, port


def _endpoint_in(cand: Candidate) -> tuple[str | None, str | None]:
    sock = pt.SOCKET_PATH.search(cand.line.text)
    if sock:
        return sock.group("path"), None
    subject = cand.subject
    if subject and not subject.startswith("/"):
        m = re.fullmatch(r"\[?([^\]]+?)\]?:(\d{1,5})", subject)
        if m:
            return m.group(1), m.group(2)
        if re.fullmatch(r"[A-Za-z0-9_.-]+", subject) and not pt.NOT_A_HOST.search(subject):
            host = subject
            port = re.search(r"(?i)port[ :=]+(\d{1,5})", cand.line.text)
            return host, port.group(1) if port else None
    text = cand.line.text
    for regex in (pt.ERRNO_ENDPOINT, pt.ENDPOINT_HINT, pt.ANY_ENDPOINT):
        for m in regex.finditer(text):
            host = m.group("host").strip("[]")
            if pt.NOT_A_HOST.search(host) or re.fullmatch(r"\d{1,2}", host) or host.lower() in ("line", "port"):
                continue
            return host, m.group("port")
    m = pt.HOST_HINT.search(text)
    if m and not pt.NOT_A_HOST.search(m.group("host")):
        return m.group("host"), None
    m = _URL.search(text)  # a client naming the request, not the connection ("Get "https://vault:8200/...": x509")
    if m:
        return m.group("host"), m.group("port") or ("443" if m.group("scheme").lower() == "https" else None)
    return None, None


def _dep_kind(cand: Candidate, port: str | None) -> str:
    for kind, regex in _KIND_BY_TEXT:
        if regex.search(cand.line.text):
            return kind
    if port and port in _KIND_BY_PORT:
        return _KIND_BY_PORT[port]
    return "service"


def _loopback_env(c: ContainerEvidence, host: str) -> list[str]:
    if c.spec is None:
        return []
    return [f"{e.name}={e.value}" for e in c.spec.env
            if e.value and re.search(rf"(?<![\w.]){re.escape(host)}(?![\w.])", e.value)]


def _safe_name(text: str) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-")
    return (name or "dependency")[:40].strip("-")


@rule("dependency-unreachable", cause="app.dependency-unreachable",
      title="A service the app needs at start refuses, times out or does not resolve", needs=("logs", "status", "spec"), when=printed)
def dependency_unreachable(pod: PodEvidence) -> Iterator[Hit]:
    """
    ## What it detects
    A log line in which the app fails to reach something it needs: "connection refused" (Go
    `dial tcp`, Python `ConnectionRefusedError`, Node `ECONNREFUSED`, Java `ConnectException`),
    a name that does not resolve ("no such host", "Name or service not known", `ENOTFOUND`,
    `UnknownHostException`, nginx "host not found in upstream"), connect timeouts, and the
    database, cache and broker clients' own wording (libpq "could not connect to server", MySQL
    "Communications link failure", Redis, MongoDB server selection, Kafka "could not be
    established", RabbitMQ, SQL Server, Prisma), and a TLS handshake the app rejects because it
    does not trust the server's certificate (`x509: certificate signed by unknown authority`,
    Java "PKIX path building failed", `CERTIFICATE_VERIFY_FAILED`, Node
    `SELF_SIGNED_CERT_IN_CHAIN`): the dependency answers but cannot be used.

    ## Why the pod crash-loops
    The app exits when its database, cache, broker or upstream is not there at start. Until the
    dependency is reachable at the address the app uses, every restart fails the same way.
    An address of 127.0.0.1/localhost means the app looks for the dependency inside its own pod,
    where nothing listens.

    ## Evidence used
    The client's error line in the crashed container's log (host and port when the line names
    them), and the container's env when it sets a loopback address.

    ## How to fix
    Point the app at the dependency's Service DNS name (NAME.NAMESPACE.svc), check that the
    Service exists and has ready endpoints on that port, and let the app wait for it (retry
    with back-off, or an init container that waits for the port). For an untrusted certificate,
    give the app the CA bundle that signed it (or fix the server's certificate).

    ## Near misses
    nginx logging "connect() failed ... while connecting to upstream" for a request is a proxy
    error while serving, not a start-up failure. A liveness probe's "connection refused" is the
    kubelet failing to reach the app (`probes.liveness`). Wrong credentials are rejected by a
    reachable server (`app.config-invalid`).
    """
    for c, an, cand in log_rule_hits(pod, pt.DEPENDENCY):
        who = container_title(c)
        host, port = _endpoint(cand)
        # The decisive line may be a bare "Connection refused"; the lines around it name the rest.
        siblings = sorted((o for o in an.candidates if o.cause == pt.DEPENDENCY and o is not cand
                           and o.line.segment == cand.line.segment), key=lambda o: -o.index)
        for other in siblings:
            if host is not None:
                break
            host, port = _endpoint(other)
        mode = _mode(cand)
        kind = next((k for k in (_dep_kind(o, port) for o in (cand, *siblings)) if k != "service"), "service")
        target = f"{host}:{port}" if host and port else (host or (f"the {kind} it uses" if kind != "service"
                                                                    else "a service it needs"))
        socket = host is not None and host.startswith("/")
        loopback = socket or (host is not None and host.lower().strip("[]") in {h.strip("[]") for h in pt.LOOPBACK})
        if socket:
            target = f"the Unix socket {host}"
        detail = f"{kind}-{_MODE_WORDS.get(mode, 'unreachable')}" + ("-localhost" if loopback else "")
        ns = namespace_of(pod)
        namespace = namespace_of(pod) or "NAMESPACE"
        cmds: list[Step] = [*base_commands(pod, c), kubectl("get", "svc,endpoints", namespace=ns)]
        patch = None
        if loopback and mode != "tls":  # a TLS handshake means something did answer there
            env = _loopback_env(c, host or "")
            env_text = f" The spec sets {', '.join(env)}." if env else ""
            summary = (f"{who} cannot reach {target}: {quoted_match(cand)}. That address is the pod itself and nothing "
                       f"listens there inside the pod, so the app is pointed at the wrong address.{env_text}")
            fix = (f"Point the app at the Service name of the {kind} (for example {kind}.{namespace}.svc.cluster.local"
                   f"{':' + port if port else ''}) instead of {host}; only a sidecar in the same pod is reachable on "
                   "localhost.")
        elif mode == "tls":
            # The server answered, but the app does not trust its certificate: reachable on the network,
            # unusable for the app. The fix is trust (or the server's certificate), never the network.
            summary = (f"{who} cannot connect to {target}: it does not trust the server's TLS certificate "
                       f"(unknown CA, self-signed, expired or issued for another name): {quoted_match(cand)}.")
            fix = (f"Give the app the CA that signed {host or 'the server'}'s certificate (mount the CA bundle from a "
                   "ConfigMap or Secret and point the client at it: SSL_CERT_FILE, REQUESTS_CA_BUNDLE, "
                   "NODE_EXTRA_CA_CERTS, a JVM truststore), or fix the server's certificate if it expired or does not "
                   "name the host the app uses; do not switch verification off.")
            if host:
                cmds.append(kubectl("run", "tls-test", "--rm", "-it", "--restart=Never", "--image=alpine/openssl",
                                    "--", "s_client", "-connect", f"{host}:{port or 443}", "-servername", host,
                                    "-showcerts", namespace=ns))
        elif mode == "dns":
            summary = f"{who} cannot resolve {host or 'the name of a service it needs'}: {quoted_match(cand)}."
            fix = (f"Make {host or 'the name'} resolvable: create the Service, or use the right name and namespace "
                   f"(NAME.NAMESPACE.svc.cluster.local); then let the app retry until DNS answers.")
            if host:
                cmds.append(kubectl("run", "dns-test", "--rm", "-it", "--restart=Never", "--image=busybox:1.36",
                                    "--", "nslookup", host, namespace=ns))
        else:
            what = {"refused": "refuses the connection", "timeout": "does not answer (connect timeout)",
                    "unreachable": "is unreachable (no route)"}.get(mode, "is unreachable")
            summary = f"{who} exits because {target} {what}: {quoted_match(cand)}."
            fix = (f"Check that the {kind} is running and that its Service has ready endpoints on the port the app "
                   "uses (and that no NetworkPolicy blocks it); make the app retry, or wait for it in an init "
                   "container.")
            if host and port:
                cmds.append(kubectl("run", "net-test", "--rm", "-it", "--restart=Never", "--image=busybox:1.36",
                                    "--", "nc", "-zv", "-w", "3", host, port, namespace=ns))
            cmds.append(kubectl("get", "networkpolicy", namespace=ns))
        if host and not loopback and not c.init and mode != "tls" \
                and not re.fullmatch(r"[\d.]+|\[?[0-9a-fA-F:]+\]?", host):
            # Wait for the name the app uses (a Service); a raw IP says nothing about what to wait for.
            probe = Command(("nc", "-z", "-w", "2", host, port)) if port else Command(("nslookup", host))
            wait = (f"until {render_command(probe)}; do {render_command(Command(('echo', 'waiting for ' + target)))}; "
                    "sleep 2; done")
            patch = template_patch({"initContainers": [{"name": f"wait-for-{_safe_name(host)}", "image": "busybox:1.36",
                                                        "command": ["sh", "-c", wait]}]})
        if patch is not None:
            cmds.append(APPLY)
        cmds.append(watch_command(pod))
        yield Hit(c.name or None, summary, app_citations(pod, c, an, cand), Remedy(fix, patch, tuple(cmds), outside_spec=None if patch is not None else DEPENDENCY),
                  cand.confidence, c.init, detail, cand.strength)
