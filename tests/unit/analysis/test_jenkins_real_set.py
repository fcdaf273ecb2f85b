"""The real Jenkins console set (bench/jenkins_real) is complete: every log is labelled within its lines, says
where it was found, and none comes from a repository kept apart for evaluation."""

from __future__ import annotations

import yaml

from bench.cases import HELD_OUT, JENKINS_REAL, jenkins_real
from worker.analysis import CATEGORIES

# The repositories ../shared/data/KEPT-APART.md lists (owner part), as the set's README promises to avoid.
KEPT_APART_OWNERS = {
    "bhaveshkhandelwal1", "chaitu7477", "consol", "dhanvikah", "fizza424", "justinenintech", "padsterh2012",
    "sakshyamkataria", "shrutisaraswat", "vinayvinnu8498", "ahmetkrcc0", "capstone-backtest", "dev-ops-user",
    "develop4god", "hodayayproject", "jenkinsci", "mahdi159753", "marksog", "onlyarvindraj4u", "rkhozinov",
    "rvanderpol3", "silviaalejandra", "skambham29", "stortfordyaw", "vidd1992",
}  # fmt: skip


def test_real_set_has_ten_labelled_logs_with_their_origin() -> None:
    cases = list(jenkins_real())
    assert len(cases) >= 10
    labels = {e["file"]: e for e in yaml.safe_load((JENKINS_REAL / "labels.yaml").read_text())["logs"]}
    for case in cases:
        assert case.gold and max(case.gold) <= case.total_lines, case.id
        assert all(c in CATEGORIES for c in case.categories), case.id
        entry = labels[case.id]
        assert entry["url"] and entry["found"] and entry["excerpt"], case.id
        assert case.repo.split("/")[0] not in KEPT_APART_OWNERS, case.id
    assert "jenkins_real" in HELD_OUT
