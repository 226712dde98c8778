"""Rule metadata -> Markdown docs (docs/rules/<id>.md and docs/causes.md). Never edit those by hand.

`python -m podmortem.docgen docs` writes them; `--check` fails when they are stale (run by a test).
"""

from __future__ import annotations

import sys
from pathlib import Path

from podmortem.causes import CAUSES
from podmortem.rules import ALL_RULES, Rule
from podmortem.rules.wording import wordings_markdown


def rule_markdown(r: Rule) -> str:
    lines = [
        f"# `{r.id}`: {r.title}",
        "",
        f"- cause: `{r.cause}` ({r.category})",
        f"- reads: {', '.join(sorted(r.needs))}",
        f"- stage: {r.stage}",
    ]
    if r.lint_check:
        lines.append(f"- prevented by lint check: `{r.lint_check}`")
    lines += ["", r.doc.strip(), ""]
    if r.wordings:
        lines += wordings_markdown(r.wordings)
    return "\n".join(lines)


def causes_markdown() -> str:
    lines = ["# Cause ids and the rules that name them", "",
             "Generated from the rule catalogue by `python -m podmortem.docgen docs`.", "",
             "| cause | category | rules |", "|---|---|---|"]
    for cause in CAUSES.values():
        rules = [f"[`{r.id}`](rules/{r.id}.md)" for r in ALL_RULES if r.cause == cause.id]
        lines.append(f"| `{cause.id}` | {cause.category} | {', '.join(rules) or '-'} |")
    return "\n".join(lines) + "\n"


def generated(root: Path) -> dict[Path, str]:
    files = {root / "rules" / f"{r.id}.md": rule_markdown(r) for r in ALL_RULES}
    files[root / "causes.md"] = causes_markdown()
    return files


def main(argv: list[str]) -> int:
    check = "--check" in argv
    args = [a for a in argv if not a.startswith("--")]
    root = Path(args[0] if args else "docs")
    stale = []
    for path, text in generated(root).items():
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    if check and stale:
        print("stale docs: " + ", ".join(str(p) for p in stale) + " (run `make docs`)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
