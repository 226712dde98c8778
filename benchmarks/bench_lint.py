"""Benchmark: `podmortem lint` of 2,000 generated manifest files against merely loading them.

    python benchmarks/bench_lint.py [--files 2000] [--repeat 3] [--check]

Generates 2,000 multi-document YAML files shaped like application bundles (a Deployment,
StatefulSet, DaemonSet or CronJob with its Service, ConfigMap, sometimes a Secret, PVC,
Ingress, HPA or a CRD; about one bundle in eight has a defect) into benchmarks/.data/ (kept
between runs, regenerated when the generator changes). Then it times, in this one process:

  load  reading every file and yaml.load_all(..., Loader=yaml.CSafeLoader) on it
  lint  the whole lint pipeline on the same folder: read, parse with line numbers, run every
        check, resolve references across files, render the text report

and prints both, their ratio (target: at most 1.0, issue 14) and, for reference, the same two
things as whole processes (interpreter start-up included). `--check` exits 1 when the ratio is
above 1.0. The bundles exercise the checks across workloads too: hostNetwork DaemonSets (host
ports), config-file arguments into mounted ConfigMaps, OpenShift DeploymentConfigs, suppressions
with reasons.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import yaml

try:
    import podmortem  # noqa: F401
except ModuleNotFoundError:  # run from a checkout without installing: use the source tree
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from podmortem.lint.loader import read_sources
from podmortem.lint.render import render_text
from podmortem.lint.runner import lint_sources

GENERATOR_VERSION = "8"
TARGET_RATIO = 1.0
DATA = Path(__file__).parent / ".data"

_IMAGES = [
    ("registry.example.com/{team}/{app}:{version}", "java"),
    ("registry.example.com/{team}/{app}:{version}", "go"),
    ("ghcr.io/{team}/{app}:{version}", "node"),
    ("ghcr.io/{team}/{app}:{version}", "python"),
    ("nginxinc/nginx-unprivileged:1.27.{minor}-alpine", "nginx"),
    ("redis:7.2.{minor}-alpine", "redis"),
    ("postgres:16.{minor}", "postgres"),
    ("gcr.io/distroless/static-debian12:nonroot", "go"),
]
_TEAMS = ["payments", "search", "catalog", "identity", "platform", "growth", "data", "edge"]
_WORDS = ["orders", "billing", "cart", "ledger", "gateway", "profile", "notify", "export", "ingest", "rank"]


def _container(rng: random.Random, name: str, bundle_name: str, defect: str | None) -> str:
    template, kind = rng.choice(_IMAGES)
    image = template.format(team=rng.choice(_TEAMS), app=name, version=f"{rng.randint(1, 9)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
                            minor=rng.randint(0, 5))
    limit = rng.choice([256, 384, 512, 768, 1024, 2048])
    lines = [
        f"        - name: {name}",
        f"          image: {image if defect != 'latest' else image.rsplit(':', 1)[0] + ':latest'}",
        "          imagePullPolicy: IfNotPresent",
        "          ports:",
        "            - name: http",
        "              containerPort: 8080",
        "              protocol: TCP",
        "            - name: metrics",
        "              containerPort: 9090",
        "          env:",
        "            - name: LOG_LEVEL",
        "              value: info",
        "            - name: POD_NAMESPACE",
        "              valueFrom:",
        "                fieldRef: {fieldPath: metadata.namespace}",
        "            - name: DB_HOST",
        "              valueFrom:",
        f"                configMapKeyRef: {{name: {bundle_name}-config, key: {'db_host' if defect != 'key' else 'DB_HOST'}}}",
    ]
    if kind == "java":
        lines += ["            - name: JAVA_TOOL_OPTIONS",
                  f"              value: \"{'-Xmx4g' if defect == 'heap' else '-XX:MaxRAMPercentage=75.0'} -XX:+ExitOnOutOfMemoryError\""]
    if kind == "postgres":
        lines += ["            - name: POSTGRES_PASSWORD",
                  "              valueFrom:",
                  f"                secretKeyRef: {{name: {bundle_name}-secret, key: password}}"]
    lines += [
        "          envFrom:",
        f"            - configMapRef: {{name: {bundle_name}-config}}",
        "          resources:",
        f"            requests: {{cpu: {rng.choice([50, 100, 250, 500])}m, memory: {limit // 2}Mi}}",
        f"            limits: {{memory: {limit}{'m' if defect == 'milli' else 'Mi'}}}",
    ]
    if kind == "java" and defect != "probe":
        lines += ["          startupProbe:",
                  "            httpGet: {path: /actuator/health/liveness, port: http}",
                  "            periodSeconds: 10",
                  "            failureThreshold: 30"]
    lines += [
        "          livenessProbe:",
        "            httpGet: {path: /healthz, port: http}",
        f"            initialDelaySeconds: {rng.choice([10, 15, 20, 30])}",
        "            periodSeconds: 10",
        "          readinessProbe:",
        "            httpGet: {path: /ready, port: http}",
        "            periodSeconds: 5",
        "          securityContext:",
        "            allowPrivilegeEscalation: false",
        f"            readOnlyRootFilesystem: {'false' if kind == 'postgres' else 'true'}",
        "            capabilities: {drop: [ALL]}",
        "          volumeMounts:",
        "            - {name: config, mountPath: /etc/app, readOnly: true}",
        "            - {name: tmp, mountPath: /tmp}",
    ]
    if defect == "oneshot":
        lines.insert(2, '          command: ["sh", "-c", "echo starting; cp /etc/app/app.yaml /tmp/"]')
    elif kind == "go":
        config = "missing.yaml" if defect == "key" else "app.yaml"
        lines.insert(2, f'          args: ["--config.file=/etc/app/{config}", "--web.listen-address=:8080"]')
    return "\n".join(lines)


def bundle(rng: random.Random, index: int) -> str:
    name = f"{rng.choice(_WORDS)}-{index}"
    namespace = rng.choice(_TEAMS)
    defect = rng.choice(["latest", "key", "heap", "milli", "probe", "oneshot", None, None]) if rng.random() < 0.125 else None
    kind = rng.choices(["Deployment", "StatefulSet", "DaemonSet", "CronJob", "DeploymentConfig"],
                       weights=[66, 15, 5, 10, 4])[0]
    containers = [_container(rng, name, name, defect)]
    if rng.random() < 0.3:
        containers.append(_container(rng, "sidecar", name, None).replace("containerPort: 8080", "containerPort: 8081")
                          .replace("containerPort: 9090", "containerPort: 9091").replace("port: http", "port: 8081")
                          .replace("listen-address=:8080", "listen-address=:8081"))
    if kind == "DaemonSet":  # on the host network: each agent its own ports, as real node agents have
        containers = [c.replace("8080", str(20000 + index)).replace("8081", str(25000 + index))
                      .replace("9090", str(40000 + index)).replace("9091", str(45000 + index)) for c in containers]
    pod = "\n".join([
        "    metadata:",
        f"      labels: {{app.kubernetes.io/name: {name}, app.kubernetes.io/part-of: {namespace}}}",
        "      annotations:",
        '        prometheus.io/scrape: "true"',
        "    spec:",
        *(["      hostNetwork: true"] if kind == "DaemonSet" else []),
        f"      serviceAccountName: {name}",
        "      securityContext:",
        "        runAsNonRoot: true",
        "        runAsUser: 10001",
        "        fsGroup: 10001",
        "      containers:",
        *containers,
        "      volumes:",
        "        - name: config",
        f"          configMap: {{name: {name}-config}}",
        "        - name: tmp",
        "          emptyDir: {}",
    ])
    api_version = {"CronJob": "batch/v1", "DeploymentConfig": "apps.openshift.io/v1"}.get(kind, "apps/v1")
    head = f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: {name}\n" \
           f"  namespace: {namespace}\n  labels: {{app.kubernetes.io/name: {name}, app.kubernetes.io/managed-by: Helm}}\n"
    if rng.random() < 0.1:
        head += "  annotations:\n    podmortem.dev/ignore: \"image-tag-latest=pinned by digest at deploy time, memory-limit-missing\"\n"
    if kind == "CronJob":
        job_pod = pod.replace("\n      containers:", "\n      restartPolicy: OnFailure\n      containers:", 1)
        indented = "\n".join("        " + line[4:] for line in job_pod.split("\n"))
        workload = head + ("spec:\n  schedule: \"*/15 * * * *\"\n  jobTemplate:\n    spec:\n      template:\n"
                           + indented + "\n")
    else:
        extra = f"  serviceName: {name}\n" if kind == "StatefulSet" else ""
        workload = head + f"spec:\n{extra}  selector:\n    matchLabels: {{app.kubernetes.io/name: {name}}}\n  template:\n{pod}\n"
    docs = [
        f"# Source: {name}/templates/workload.yaml\n" + workload,
        f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n"
        f"  selector: {{app.kubernetes.io/name: {name}}}\n  ports:\n    - {{name: http, port: 80, targetPort: http}}\n",
        f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}-config\n  namespace: {namespace}\ndata:\n"
        f"  db_host: {name}-db.{namespace}.svc.cluster.local\n  feature_flags: \"a,b,c\"\n  app.yaml: |\n"
        f"    server:\n      port: 8080\n      timeouts: {{read: 30s, write: 30s}}\n    cache:\n      size: {rng.randint(64, 512)}\n",
        f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {name}\n  namespace: {namespace}\n",
    ]
    if rng.random() < 0.95:
        docs.append(f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}-secret\n  namespace: {namespace}\n"
                    "type: Opaque\ndata:\n  password: cGFzc3dvcmQ=\n")
    if rng.random() < 0.3:
        docs.append(f"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\n  namespace: {namespace}\n"
                    f"spec:\n  rules:\n    - host: {name}.example.com\n      http:\n        paths:\n          - path: /\n"
                    f"            pathType: Prefix\n            backend:\n              service: {{name: {name}, port: {{number: 80}}}}\n")
    if rng.random() < 0.3:
        docs.append(f"apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: {name}\n"
                    f"  namespace: {namespace}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}\n"
                    "  minReplicas: 2\n  maxReplicas: 10\n")
    if rng.random() < 0.05:
        docs.append(f"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
                    f"  name: widgets{index}.example.com\nspec:\n  group: example.com\n  names: {{kind: Widget{index}, plural: widgets{index}}}\n"
                    "  scope: Namespaced\n  versions:\n    - name: v1\n      served: true\n      storage: true\n"
                    "      schema:\n        openAPIV3Schema:\n          type: object\n          properties:\n"
                    + "".join(f"            field{i}: {{type: string, description: field number {i}}}\n" for i in range(40)))
    return "---\n".join(docs)


def generate(folder: Path, count: int) -> None:
    stamp = folder / ".generator"
    if stamp.exists() and stamp.read_text() == f"{GENERATOR_VERSION}:{count}":
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = random.Random(20260115)
    for i in range(count):
        (folder / f"app-{i:04d}.yaml").write_text(bundle(rng, i), encoding="utf-8")
    stamp.write_text(f"{GENERATOR_VERSION}:{count}")


def load_only(folder: Path) -> int:
    documents = 0
    for path in sorted(folder.glob("*.yaml")):
        text = path.read_bytes().decode("utf-8")
        documents += len(list(yaml.load_all(text, Loader=yaml.CSafeLoader)))
    return documents


def lint_only(folder: Path) -> int:
    report = lint_sources(read_sources([str(folder)]))
    render_text(report)
    return len(report.findings)


def best_of(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    best, result = float("inf"), 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def whole_process(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--check", action="store_true", help=f"exit 1 when lint takes more than {TARGET_RATIO}x load")
    parser.add_argument("--no-process", action="store_true", help="skip the whole-process timings")
    args = parser.parse_args()

    folder = DATA / f"lint-{args.files}"
    generate(folder, args.files)
    size = sum(p.stat().st_size for p in folder.glob("*.yaml"))
    load_best = lint_best = float("inf")
    documents = findings = 0
    for _ in range(args.repeat):  # interleaved, so both see the same machine state
        t, documents = best_of(lambda: load_only(folder), 1)
        load_best = min(load_best, t)
        t, findings = best_of(lambda: lint_only(folder), 1)
        lint_best = min(lint_best, t)
    ratio = lint_best / load_best
    print(f"manifests: {args.files} files, {documents} documents, {size / 2**20:.1f} MiB in {folder}")
    print(f"load (yaml.load_all, CSafeLoader): {load_best:.3f} s")
    print(f"lint (read, parse with lines, all checks, cross-file refs, text report): {lint_best:.3f} s"
          f"  ({findings} findings)")
    print(f"ratio lint/load: {ratio:.2f}  (target <= {TARGET_RATIO:.1f}: {'ok' if ratio <= TARGET_RATIO else 'OVER'})")
    if not args.no_process:
        python = sys.executable
        load_cmd = [python, "-c", "import sys, yaml, pathlib\n"
                    "for p in sorted(pathlib.Path(sys.argv[1]).glob('*.yaml')):\n"
                    "    list(yaml.load_all(p.read_bytes().decode(), Loader=yaml.CSafeLoader))", str(folder)]
        lint_cmd = [python, "-m", "podmortem", "lint", str(folder), "--fail-on", "never"]
        load_proc = min(whole_process(load_cmd) for _ in range(2))
        lint_proc = min(whole_process(lint_cmd) for _ in range(2))
        print(f"whole process: load {load_proc:.3f} s, `podmortem lint` {lint_proc:.3f} s, "
              f"ratio {lint_proc / load_proc:.2f}")
    return 1 if args.check and ratio > TARGET_RATIO else 0


if __name__ == "__main__":
    os.environ.setdefault("NO_COLOR", "1")
    sys.exit(main())
