"""The CLI forms named in the README are a contract: these tests pin them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from finres.cli import main

from ..conftest import FIXTURES, REPO

PROFILE = REPO / "examples" / "profiles" / "securities-firm.yaml"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        main(list(argv))
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def run_json(capsys, *argv: str):
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize(
    ("industry", "capital", "tier"),
    [
        ("securities", 15_000_000_000, 2),
        ("securities", 20_000_000_000, 1),
        ("securities", 3_999_999_999, 4),
        ("bank", 15_000_000_000, None),
    ],
)
def test_tier_json(capsys, industry: str, capital: int, tier: int | None) -> None:
    data = run_json(
        capsys,
        "tier",
        "--industry",
        industry,
        "--paid-in-capital",
        str(capital),
        "--format",
        "json",
    )
    assert data == {"industry": industry, "paid_in_capital": capital, "tier": tier}


def test_applicable_json_contract(capsys) -> None:
    data = run_json(
        capsys, "applicable", "--profile", str(PROFILE), "--as-of", "2026-01-15", "--format", "json"
    )
    assert data["as_of"] == "2026-01-15"
    assert data["tier"] == 2
    keys = {"framework", "id", "ref", "title", "obligation", "in_force", "effective_from", "scope"}
    assert data["requirements"]
    for item in data["requirements"]:
        assert keys <= set(item)
        assert isinstance(item["in_force"], bool)
    frameworks = {item["framework"] for item in data["requirements"]}
    assert "twse-securities-tiered-protection" in frameworks
    assert "fsc-action-plan-2020" not in frameworks  # superseded before 2026
    assert "nist-csf-2.0" not in frameworks  # voluntary


def test_applicable_table_in_both_languages(capsys) -> None:
    code, out, _ = run(capsys, "applicable", "--profile", str(PROFILE), "--as-of", "2026-01-15")
    assert code == 0
    assert ("生效中" in out and "證券商資通安全分級防護" in out) or "生效中" in out
    code, out, _ = run(
        capsys, "applicable", "--profile", str(PROFILE), "--as-of", "2026-01-15", "--lang", "en"
    )
    assert code == 0
    assert "in force" in out and "tier: 2" in out


def test_library_list_json(capsys) -> None:
    data = run_json(capsys, "library", "list", "--format", "json")
    ids = [row["id"] for row in data]
    assert set(ids) >= {
        "fsc-resilience-blueprint-2025",
        "fsc-action-plan-2020",
        "twse-securities-tiered-protection",
        "sfa-emerging-tech-guideline",
        "iso27001-2022-annex-a",
        "nist-csf-2.0",
        "fsc-zero-trust-maturity",
    }
    for row in data:
        assert {"id", "name", "version", "assessable"} <= set(row)
        assert isinstance(row["assessable"], int) and row["assessable"] > 0
    csf = next(row for row in data if row["id"] == "nist-csf-2.0")
    assert csf["assessable"] == 106


def test_library_show(capsys) -> None:
    code, out, _ = run(capsys, "library", "show", "nist-csf-2.0", "--lang", "en")
    assert code == 0 and "GV.OC-01" in out
    data = run_json(capsys, "library", "show", "nist-csf-2.0", "--format", "json")
    assert data["id"] == "nist-csf-2.0" and len(data["requirements"]) == 6 + 22 + 106


def test_library_validate_whole_library(capsys) -> None:
    code, out, err = run(capsys, "library", "validate", "--lang", "en")
    assert code == 0, err
    assert out.startswith("OK: ")


def test_library_validate_reports_every_problem(capsys, tmp_path: Path) -> None:
    text = (FIXTURES / "library" / "frameworks" / "demo-standard.yaml").read_text(encoding="utf-8")
    text = text.replace("kind: standard", "kind: novel").replace("binding: false", "binding: maybe")
    bad = tmp_path / "demo-standard.yaml"
    bad.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "library", "validate", str(bad), "--lang", "en")
    assert code == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith(f"{bad} kind:")
    assert lines[1].startswith(f"{bad} binding:")
    assert lines[-1] == "finres: error: 2 problem(s) found"
    assert "Traceback" not in err


def test_validate_a_mapping_file_against_the_library(capsys, tmp_path: Path) -> None:
    mapping = tmp_path / "x-to-nist-csf-2.0.yaml"
    mapping.write_text(
        "id: x-to-nist-csf-2.0\nsource_framework: nist-csf-2.0\ntarget_framework: nist-csf-2.0\n"
        "version: '1'\nmappings:\n  - {source: GV.OC-01, target: GV.ZZ-99, relationship: equal,"
        " rationale: {en: x}}\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "library", "validate", str(mapping), "--lang", "en")
    assert code == 1
    assert "target_framework: same as source_framework" in err
    assert "no node 'GV.ZZ-99' in nist-csf-2.0" in err


def test_extension_folder(capsys, monkeypatch) -> None:
    monkeypatch.setenv("FINRES_LIBRARY_PATH", str(FIXTURES / "extension"))
    data = run_json(capsys, "library", "list", "--format", "json")
    assert "demo-standard" in [row["id"] for row in data]


@pytest.mark.parametrize(
    ("argv", "fragment", "code"),
    [
        (["tier", "--industry", "brokerage", "--paid-in-capital", "1"], "'brokerage'", 2),
        (["applicable", "--profile", "/nonexistent.yaml"], "no such file", 1),
        (["applicable", "--profile", str(PROFILE), "--as-of", "2026-13-01"], "no month 13", 1),
        (["applicable", "--profile", str(PROFILE), "--framework", "nope"], "unknown framework", 1),
        (["library", "show", "nope"], "unknown framework 'nope'", 1),
        (["export", "oscal", "--framework", "nope"], "unknown framework 'nope'", 1),
        (["library", "validate", "/nonexistent"], "no such file or folder", 1),
        (["frobnicate"], "no such command", 2),
    ],
)
def test_errors_are_one_line_without_traceback(
    capsys, monkeypatch, argv, fragment: str, code: int
) -> None:
    monkeypatch.setenv("FINRES_LANG", "en")
    got, _, err = run(capsys, *argv)
    assert got == code
    assert err.count("\n") == 1, err
    assert err.startswith("finres: error: ") and fragment in err
    assert "Traceback" not in err


def test_errors_are_in_chinese_by_default(capsys, monkeypatch) -> None:
    monkeypatch.delenv("FINRES_LANG", raising=False)
    code, _, err = run(capsys, "library", "show", "nope")
    assert code == 1
    assert err.startswith("finres: 錯誤: ")


def test_profile_errors_name_the_field(capsys, tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "name: X\nindustry: securities\npaid_in_capital: 1\nuses: [clowd]\ncolour: red\n",
        encoding="utf-8",
    )
    code, _, err = run(capsys, "applicable", "--profile", str(profile), "--lang", "en")
    assert code == 1
    assert "uses.0: 'clowd' is not allowed" in err and "colour: unknown field" in err
    assert err.count("\n") == 1


def test_export_oscal_to_file(capsys, tmp_path: Path) -> None:
    target = tmp_path / "csf.json"
    code, _, err = run(capsys, "export", "oscal", "--framework", "nist-csf-2.0", "-o", str(target))
    assert code == 0, err
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["catalog"]["metadata"]["oscal-version"] == "1.2.1"


def test_console_script_runs_as_a_process() -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "finres",
            "tier",
            "--industry",
            "securities",
            "--paid-in-capital",
            "4000000000",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["tier"] == 3
