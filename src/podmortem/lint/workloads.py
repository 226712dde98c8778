"""The pod template inside each workload kind, and a view of each container that checks read.

A Pod carries its pod spec at `spec`; Deployment, StatefulSet, DaemonSet, ReplicaSet,
ReplicationController and Job at `spec.template.spec`; CronJob one level deeper at
`spec.jobTemplate.spec.template.spec`; PodTemplate at `template.spec`. Everything a check needs
about a container (effective security context, image facts, what kind of app it is) is worked
out once here, so checks stay short.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from podmortem.kube.images import ImageFacts, facts_for
from podmortem.lint.loader import Manifest
from podmortem.lint.suppress import Suppressions, suppressions_of

# path from the object to its pod template (the template holds `metadata` and `spec`)
_TEMPLATE_PATH: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
    "PodTemplate": ("template",),
    # OpenShift apps.openshift.io/v1 (openshift/api apps/v1/types.go: DeploymentConfigSpec.Template)
    "DeploymentConfig": ("spec", "template"),
    # Argo Rollouts argoproj.io/v1alpha1 (RolloutSpec.Template; a Rollout with spec.workloadRef
    # borrows a Deployment's template instead, and that Deployment is checked on its own)
    "Rollout": ("spec", "template"),
}
# Controllers that restart a finished pod whatever it exits with (restartPolicy must be Always).
_ALWAYS_RESTARTED = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController",
                               "DeploymentConfig", "Rollout"})
TEMPLATE_KINDS = frozenset(_TEMPLATE_PATH) | {"Pod"}


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass(slots=True)
class ContainerView:
    spec: dict[str, Any]
    name: str
    init: bool  # listed in initContainers
    sidecar: bool  # an init container with restartPolicy: Always (runs beside the app containers)
    image: str | None
    facts: ImageFacts | None
    security: dict[str, Any]  # pod securityContext overlaid with the container's

    @property
    def runs_alongside(self) -> bool:
        """Runs at the same time as the app containers (so shares ports with them)."""
        return not self.init or self.sidecar

    def env_entries(self) -> list[dict[str, Any]]:
        return [e for e in as_list(self.spec.get("env")) if isinstance(e, dict)]

    def memory_limit(self) -> Any:
        return as_dict(as_dict(self.spec.get("resources")).get("limits")).get("memory")


@dataclass(slots=True)
class Workload:
    manifest: Manifest
    pod_spec: dict[str, Any]
    pod_meta: dict[str, Any]
    containers: list[ContainerView]
    ignored: Suppressions

    @property
    def kind(self) -> str:
        return self.manifest.kind

    @property
    def long_running(self) -> bool:
        """A container that exits 0 is restarted (and crash-loops): restartPolicy Always, the default."""
        if self.kind in _ALWAYS_RESTARTED:
            return True
        if self.kind in ("Pod", "PodTemplate"):
            return bool(self.pod_spec.get("restartPolicy", "Always") == "Always")
        return False

    def line(self, container: Any, key: str | int | None = None) -> int:
        return self.manifest.line_of(container, key)

    def volumes(self) -> dict[str, dict[str, Any]]:
        return {str(v.get("name")): v for v in as_list(self.pod_spec.get("volumes")) if isinstance(v, dict)}

    def claim_templates(self) -> set[str]:
        """Names of a StatefulSet's volumeClaimTemplates: the controller adds them as pod volumes."""
        if self.kind != "StatefulSet":
            return set()
        spec = as_dict(self.manifest.obj.get("spec"))
        return {str(as_dict(t.get("metadata")).get("name")) for t in as_list(spec.get("volumeClaimTemplates"))
                if isinstance(t, dict)}


def workload_of(manifest: Manifest) -> Workload | None:
    """The workload view of a manifest that holds a pod spec, or None (ConfigMaps, Secrets...)."""
    obj = manifest.obj
    if manifest.kind == "Pod":
        template: dict[str, Any] = {"metadata": obj.get("metadata"), "spec": obj.get("spec")}
    else:
        path = _TEMPLATE_PATH.get(manifest.kind)
        if path is None:
            return None
        node: Any = obj
        for key in path:
            node = as_dict(node).get(key)
        template = as_dict(node)
    pod_spec = as_dict(template.get("spec"))
    if not pod_spec:
        return None
    pod_meta = as_dict(template.get("metadata"))
    pod_security = as_dict(pod_spec.get("securityContext"))
    containers: list[ContainerView] = []
    for init, key in ((True, "initContainers"), (False, "containers")):
        for c in as_list(pod_spec.get(key)):
            if not isinstance(c, dict):
                continue
            image = c.get("image")
            image = str(image) if isinstance(image, str | int | float) else None
            security = {**pod_security, **as_dict(c.get("securityContext"))}
            containers.append(ContainerView(
                spec=c,
                name=str(c.get("name") or "?"),
                init=init,
                sidecar=init and c.get("restartPolicy") == "Always",
                image=image,
                facts=facts_for(image) if image else None,
                security=security,
            ))
    ignored = suppressions_of(as_dict(obj.get("metadata"))) | suppressions_of(pod_meta)
    return Workload(manifest, pod_spec, pod_meta, containers, ignored)


def ignored_by_annotation(manifest: Manifest) -> Suppressions:
    return suppressions_of(as_dict(manifest.obj.get("metadata")))


# --- what kind of app a container runs ------------------------------------------------------------

# Variables only a JVM or its launcher reads: the JDK's own (JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS,
# _JAVA_OPTIONS), start scripts' (JAVA_OPTS, CATALINA_OPTS, KAFKA_HEAP_OPTS, ES_JAVA_OPTS...) and
# install4j launchers' (INSTALL4J_ADD_VM_PARAMS: sonatype/nexus3's bin/nexus).
_JVM_ENV = frozenset({"JAVA_OPTS", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "JVM_OPTS",
                      "CATALINA_OPTS", "KAFKA_HEAP_OPTS", "ES_JAVA_OPTS", "OPENSEARCH_JAVA_OPTS", "SPRING_PROFILES_ACTIVE",
                      "INSTALL4J_ADD_VM_PARAMS", "JAVA_OPTIONS", "JVM_ARGS", "KAFKA_OPTS", "SOLR_OPTS",
                      "SONAR_WEB_JAVAOPTS", "SONAR_CE_JAVAOPTS", "ZK_SERVER_HEAP", "HADOOP_OPTS", "MAVEN_OPTS"})
# A HotSpot option in any variable's value: -Xmx512m, -Xss1m, -XX:+UseG1GC, -Dspring.profiles.active=...
_JVM_FLAG = re.compile(r"(?:^|\s)-(?:Xm[sx]\d|Xss\d|XX:[+-]?[A-Z])")
_NODE_ENV = frozenset({"NODE_OPTIONS", "NODE_ENV"})
# Executables (first word of the command) that say which runtime runs the app.
_EXECUTABLE_RUNTIME = {
    "java": "jvm", "catalina.sh": "jvm", "mvn": "jvm", "gradle": "jvm",
    "node": "node", "npm": "node", "yarn": "node", "pnpm": "node", "npx": "node", "bun": "node",
    "python": "python", "python3": "python", "gunicorn": "python", "uvicorn": "python", "celery": "python",
    "daphne": "python", "hypercorn": "python", "flask": "python", "django-admin": "python",
    "ruby": "ruby", "bundle": "ruby", "rails": "ruby", "puma": "ruby", "unicorn": "ruby", "sidekiq": "ruby",
    "dotnet": "dotnet", "php": "php", "php-fpm": "php", "apache2-foreground": "php",
}
# Words in an image name that name a JVM product or runtime (spring-petclinic, my-kafka-connect...).
_JVM_NAME = re.compile(
    r"(?:^|[/_.-])(?:java|jdk|jre|openjdk|temurin|corretto|zulu|spring|springboot|tomcat|jetty|wildfly|jboss|"
    r"keycloak|kafka|zookeeper|elasticsearch|opensearch|logstash|jenkins|sonarqube|nexus|solr|cassandra|"
    r"flink|spark|hadoop|hive|trino|presto|nifi|activemq|artemis|camunda|liferay|quarkus|micronaut)(?:$|[/_.:-])"
)
# Health endpoints only JVM frameworks serve: Spring Boot Actuator, Quarkus SmallRye Health.
_JVM_HEALTH_PATHS = ("/actuator/", "/q/health")
_NODE_NAME = re.compile(r"(?:^|[/_.-])(?:node|nodejs|nextjs|next|nuxt|express|nestjs)(?:$|[/_.:-])")


def runtime_of(c: ContainerView) -> str:
    """jvm, node, python, ruby, dotnet, php, database, native or unknown."""
    if c.facts and c.facts.runtime:
        return c.facts.runtime
    words = [w for w in as_list(c.spec.get("command")) + as_list(c.spec.get("args")) if isinstance(w, str)]
    for w in words[:3]:
        exe = w.rsplit("/", 1)[-1]
        if exe in _EXECUTABLE_RUNTIME:
            return _EXECUTABLE_RUNTIME[exe]
    text = " ".join(words)
    if "-jar " in text or " -Xmx" in text or text.startswith("java "):
        return "jvm"
    names = {str(e.get("name")) for e in c.env_entries()}
    if names & _JVM_ENV:
        return "jvm"
    if any(isinstance(e.get("value"), str) and _JVM_FLAG.search(e["value"]) for e in c.env_entries()):
        return "jvm"
    if _JVM_FLAG.search(text):
        return "jvm"
    for _key, probe in iter_probes(c):
        path = str(as_dict(probe.get("httpGet")).get("path") or "")
        if path.startswith(_JVM_HEALTH_PATHS):
            return "jvm"
    image = (c.image or "").lower()
    if _JVM_NAME.search(image):
        return "jvm"
    if names & _NODE_ENV or _NODE_NAME.search(image):
        return "node"
    return "unknown"


def iter_probes(c: ContainerView) -> Iterator[tuple[str, dict[str, Any]]]:
    for key in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = c.spec.get(key)
        if isinstance(probe, dict):
            yield key, probe


# Flags that set the port a server listens on (`--web.listen-address=:9090`, `--port 8080`,
# `-Dserver.port=8081`). Names without listen/bind are accepted only from this list, because
# `--db-port` or `--redis-address` name a port to connect to, not one to listen on.
_LISTEN_FLAG = re.compile(
    r"^(?:--?(?P<name>[\w.-]*(?:listen|bind)[\w.-]*|port|http-port|https-port|web\.port|metrics-port|grpc-port|"
    r"health-port|admin-port|server\.port)|-Dserver\.port)(?:=(?P<value>.*))?$")
_PORT_AT_END = re.compile(r"(?:^|:)(\d{1,5})$")


def listen_flags(w: Workload, c: ContainerView) -> Iterator[tuple[int, str, int]]:
    """(port, flag as written, line) for each listen flag in the container's command and args."""
    for key in ("command", "args"):
        items = as_list(c.spec.get(key))
        for i, item in enumerate(items):
            if not isinstance(item, str):
                continue
            m = _LISTEN_FLAG.match(item)
            if not m:
                continue
            value = m.group("value")
            if value is None:
                nxt = items[i + 1] if i + 1 < len(items) else None
                if not isinstance(nxt, str | int) or str(nxt).startswith("-"):
                    continue
                value, shown = str(nxt), f"{item} {nxt}"
            else:
                shown = item
            port = _PORT_AT_END.search(value.strip())
            if port and 0 < int(port.group(1)) < 65536:
                yield int(port.group(1)), shown, w.line(items, i)
