"""engine.examine + engine.conclude is engine.diagnose: the rules never read the time, so explain's
standby workers examine pods before the time they are diagnosed at is known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from podmortem.backoff import BackoffSettings
from podmortem.engine import conclude, diagnose, examine
from podmortem.model import PodEvidence
from podmortem.sources.loader import load_folder
from podmortem.testing import case_files, load_case

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src" / "podmortem" / "examples" / "demo"
CASES = Path(__file__).resolve().parents[1] / "rules" / "cases"


def _pods() -> list[PodEvidence]:
    """The demo's pods and every rule case's (a pod for each cause and wording the rules know)."""
    return [*load_folder(str(DEMO)), *(load_case(path).pod for path in case_files(CASES))]


def test_examine_then_conclude_is_diagnose_at_any_time() -> None:
    pods = _pods()
    assert len(pods) > 250
    base = datetime(2026, 1, 15, 10, 30, tzinfo=UTC)
    for settings in (None, BackoffSettings(max_seconds=60)):
        for now in (None, base, base + timedelta(days=400)):
            for pod in pods:
                assert conclude(pod, examine(pod), now=now, backoff=settings) == \
                    diagnose(pod, now=now, backoff=settings), pod.key
