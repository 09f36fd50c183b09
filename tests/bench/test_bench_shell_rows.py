"""The verifier's cost per command in the bench's table and checks, beside byexample's and prysk's."""

from image_bench import report, shell_cost


def figures(ours: float, byexample: float) -> dict:
    per = {"verify-tutorial": ours, "byexample": byexample, "prysk": 0.02}
    return {"sizes": [50], "runs": 1, "tools": {name: {"per_command_ms": {"50": ms}} for name, ms in per.items()}}


def test_the_table_sets_our_cost_beside_each_tool():
    text = report.table({"shell": figures(0.3, 1.4)})
    assert "shell per command, 50-command page: vs byexample" in text and "0.21" in text
    assert "vs prysk" in text


def test_the_claim_fails_when_our_shell_costs_more_than_byexamples():
    assert shell_cost.claim(figures(0.3, 1.4))[1] is True
    assert shell_cost.claim(figures(2.0, 1.4))[1] is False
