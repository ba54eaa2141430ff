"""``finres resilience analyse``: the JSON contract, the readable table and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from ..conftest import REPO
from .test_cli import run, run_json

EXAMPLE = REPO / "examples" / "resilience" / "securities-firm.yaml"


def test_the_contract_without_a_scenario(capsys) -> None:
    data = run_json(capsys, "resilience", "analyse", "--file", str(EXAMPLE), "--format", "json")
    assert set(data) == {"scenario", "services", "single_points_of_failure"}
    assert data["scenario"] is None
    by_id = {s["id"]: s for s in data["services"]}
    assert list(by_id) == ["e-trading", "settlement", "customer-service"]
    e = by_id["e-trading"]
    assert set(e) == {
        "id", "rto", "rpo", "recovery_time", "data_loss", "meets_rto", "meets_rpo", "critical_path",
    }  # fmt: skip
    # The cloud identity service (6h) is the worst single failure for e-trading (RTO 2h).
    assert (e["rto"], e["recovery_time"], e["meets_rto"]) == (120, 360, False)
    assert e["critical_path"] == ["e-trading", "order-process", "customer-auth", "cloud-idp"]
    assert data["single_points_of_failure"] == [{"node": "cloud-idp", "services": ["e-trading"]}]


def test_a_named_scenario(capsys) -> None:
    data = run_json(
        capsys, "resilience", "analyse", "--file", str(EXAMPLE), "--scenario",
        "ransomware-core", "--format", "json",
    )  # fmt: skip
    assert data["scenario"] == "ransomware-core"
    settlement = next(s for s in data["services"] if s["id"] == "settlement")
    # trading-db (2h) then back-office itself (3h); the back office loses 30 minutes of data.
    assert (settlement["recovery_time"], settlement["data_loss"]) == (300, 30)
    assert settlement["critical_path"] == [
        "settlement", "settlement-process", "back-office", "trading-db",
    ]  # fmt: skip


def test_the_table_is_readable_in_chinese_and_english(capsys) -> None:
    code, out, _ = run(capsys, "resilience", "analyse", "--file", str(EXAMPLE))
    assert code == 0 and "單點失效" in out and "e-trading" in out and "6h" in out
    code, out, _ = run(capsys, "resilience", "analyse", "--file", str(EXAMPLE), "--lang", "en")
    assert code == 0 and "Single points of failure" in out


def test_errors_are_one_clear_line(capsys, tmp_path: Path) -> None:
    bad = tmp_path / "graph.yaml"
    bad.write_text(
        json.dumps(
            {
                "nodes": [
                    {"id": "a", "kind": "service", "rto": "1h", "requires": ["b"]},
                    {"id": "b", "kind": "system", "requires": ["a"], "recovery_time": "3 hours"},
                ]
            }
        ),
        encoding="utf-8",
    )
    code, out, err = run(capsys, "resilience", "analyse", "--file", str(bad), "--lang", "en")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "3 hours is not a duration" in err and "b:" in err
    code, _, err = run(
        capsys, "resilience", "analyse", "--file", str(EXAMPLE), "--scenario", "meteor"
    )
    assert code == 1 and "meteor" in err and "taipei-site-lost" in err
    code, _, err = run(capsys, "resilience", "analyse", "--file", str(tmp_path / "none.yaml"))
    assert code != 0 and "none.yaml" in err and "Traceback" not in err
