"""Write docs/calibration.md: how often findings of each confidence band are right on every rule case file.

    .venv/bin/python benchmarks/calibration.py [--check]

Not a timing benchmark: it measures whether confidence means what it says. With --check it only
prints the table and exits 1 when a finding at 0.8 or more is right less than 98% of the time.
"""

from __future__ import annotations

import sys
from pathlib import Path

from podmortem.calibration import markdown, measure

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    r = measure([ROOT / "tests" / "rules" / "cases"])
    text = markdown(r)
    if "--check" not in argv:
        (ROOT / "docs" / "calibration.md").write_text(text)
    print(text)
    n, ok = r.confident(r.top)
    return 0 if n == 0 or ok / n >= 0.98 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
