"""Realistic clean bundles (several files, Services, ConfigMaps, CRDs and custom resources, a
List, JSON, references across files) must give no `error`: an error that fires on good
manifests would fail every CI pipeline that uses `lint`."""

from __future__ import annotations

from pathlib import Path

import pytest

from podmortem.lint.loader import read_sources
from podmortem.lint.runner import lint_sources

CLEAN = Path(__file__).parent / "clean"


@pytest.mark.parametrize("bundle", sorted(p for p in CLEAN.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_clean_bundle_has_no_error(bundle: Path) -> None:
    report = lint_sources(read_sources([str(bundle)]))
    errors = [f"{f.file}:{f.line} {f.check}: {f.message}" for f in report.findings if f.severity == "error"]
    assert not errors, "\n".join(errors)
    assert report.workloads >= 4


def test_whole_clean_tree_reads_every_kind() -> None:
    report = lint_sources(read_sources([str(CLEAN)]))
    assert report.files == 8
    # CRD, custom resources, Services, Ingress, HPA, PDB... are read and counted, not checked
    assert report.objects > report.workloads
    assert not [f for f in report.findings if f.severity != "info"]


def test_cross_file_references_resolve_only_together() -> None:
    """The Deployment's ConfigMap lives in another file: alone, the reference is unresolved."""
    deployment = CLEAN / "shop" / "20-orders.yaml"
    config = CLEAN / "shop" / "10-config.yaml"
    namespace = CLEAN / "shop" / "00-namespace.yaml"
    together = lint_sources(read_sources([str(namespace), str(config), str(deployment)]))
    assert not [f for f in together.findings if f.check.startswith("config-")]
    from podmortem.lint.runner import LintOptions

    alone = lint_sources(read_sources([str(deployment)]), LintOptions(strict_refs=True))
    missing = {f.message.split("'")[1] for f in alone.findings if f.check == "config-ref-missing"}
    assert missing == {"orders-config", "orders-db"}
