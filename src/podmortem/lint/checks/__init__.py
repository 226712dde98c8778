"""The lint check catalogue: every check, listed explicitly, family by family.

Check ids are stable: the diagnosis rules link to them (`Rule.lint_check`), SARIF consumers key
on them, and users name them in `--ignore` and the podmortem.dev/ignore annotation. An id, once
released, is never renamed or reused.
"""

from __future__ import annotations

from podmortem.lint.checks import (
    app,
    capabilities,
    config,
    image,
    ports,
    probes,
    references,
    resources,
    security,
)
from podmortem.lint.checks.base import DOC_HEADINGS, Check

ALL_CHECKS: tuple[Check, ...] = (
    resources.memory_limit_missing,
    resources.memory_quantity_suspicious,
    resources.heap_flag_over_limit,
    resources.heap_flag_far_below_limit,
    resources.memory_below_runtime_floor,
    probes.liveness_without_startup,
    probes.startup_budget_short,
    probes.liveness_equals_readiness,
    probes.probe_port_undeclared,
    app.duplicate_container_port,
    app.one_shot_command,
    ports.host_port_clash,
    image.image_tag_latest,
    image.image_reference_invalid,
    image.shell_missing,
    security.run_as_non_root_without_user,
    security.run_as_non_root_user_zero,
    security.privileged_port_non_root,
    security.read_only_root_without_writable_volume,
    security.non_root_volume_without_fsgroup,
    capabilities.capabilities_dropped_needed_at_start,
    config.config_ref_missing,
    config.config_key_missing,
    config.volume_ref_missing,
    config.pvc_missing,
    config.configmap_value_unparsable,
    config.env_required_missing,
    config.config_path_key_missing,
    references.service_account_missing,
    references.storage_class_missing,
    references.image_architecture_mismatch,
)

CHECKS_BY_ID: dict[str, Check] = {c.id: c for c in ALL_CHECKS}


def by_id(check_id: str) -> Check:
    return CHECKS_BY_ID[check_id]


__all__ = ["ALL_CHECKS", "CHECKS_BY_ID", "DOC_HEADINGS", "Check", "by_id"]
