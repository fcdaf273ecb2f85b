"""Write the Jenkins console dev set: ``logs/*.log`` and ``labels.yaml`` (run from the repository root).

    python -m bench.jenkins_dev.build

Deterministic: each log's noise comes from a generator seeded by its file name, so rebuilding changes nothing
unless a spec changed. The labels are where each spec marked them (``»``), decided when the log was written,
before any engine output was looked at.
"""

from __future__ import annotations

import random
from pathlib import Path

import yaml

from bench.jenkins_dev import specs_jenkins, specs_toolchains, specs_tools
from bench.jenkins_dev.jenkins_layer import Style, render, spans

HERE = Path(__file__).resolve().parent


def main(out: Path = HERE) -> None:
    """Write ``out/logs/*.log`` and ``out/labels.yaml``."""
    assert specs_jenkins and specs_toolchains  # register their specs in specs_tools.SPECS
    logs = out / "logs"
    logs.mkdir(exist_ok=True)
    entries = []
    for spec in specs_tools.SPECS:
        rng = random.Random(spec.file)
        text, gold = render(spec.build(rng), Style(timestamps=spec.timestamps), rng)
        if not gold:
            raise SystemExit(f"{spec.file}: no labelled line")
        (logs / spec.file).write_text(text, encoding="utf-8")
        entries.append(
            {
                "file": spec.file,
                "repo": spec.repo,
                "toolchain": spec.toolchain,
                "category": spec.category,
                "failure_lines": spans(gold),
                "timestamps": spec.timestamps or "none",
                "sources": spec.sources,
                **({"notes": spec.notes} if spec.notes else {}),
            }
        )
    header = (
        "# The Jenkins console dev set: one entry per log in logs/ (written by build.py; see README.md).\n"
        "# failure_lines: the labelled lines (1-based); repo: the leave-one-repository-out group.\n"
    )
    (out / "labels.yaml").write_text(
        header + yaml.safe_dump({"logs": entries}, sort_keys=False, allow_unicode=True, width=200),
        encoding="utf-8",
    )
    print(f"{len(entries)} logs, {sum(f.stat().st_size for f in logs.glob('*.log')) / 1e3:.0f} KB")


if __name__ == "__main__":
    main()
