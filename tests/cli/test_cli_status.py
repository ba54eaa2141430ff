"""`finres applicable`: statuses, conditional requirements and what they depend on."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from .test_cli import run, run_json

FRAMEWORK = {
    "format_version": 1,
    "id": "status-demo",
    "name": {"zh-TW": "狀態示範", "en": "Status demo"},
    "version": "1",
    "kind": "regulation",
    "binding": True,
    "publisher": {"zh-TW": "機關", "en": "Authority"},
    "published": "2021-01-01",
    "source": {"title": {"zh-TW": "文件", "en": "Document"}},
    "source_language": "zh-TW",
    "copyright": {"en": "Test data."},
    "requirements": [
        {"id": "m", "title": {"zh-TW": "本會辦理", "en": "FSC"}, "executing_units": ["fsc"]},
        {
            "id": "m.fi",
            "parent": "m",
            "title": {"zh-TW": "金融機構辦理", "en": "Institutions"},
            "executing_units": ["financial_institutions"],
            "assessable": True,
            "obligation": "should",
        },
        {
            "id": "late",
            "title": {"zh-TW": "期限已過", "en": "Past its deadline"},
            "assessable": True,
            "obligation": "shall",
            "due_by": "2025-12-31",
        },
        {
            "id": "soon",
            "title": {"zh-TW": "將生效", "en": "Coming"},
            "assessable": True,
            "obligation": "shall",
            "effective_from": "2027-01-01",
        },
        {
            "id": "pentest",
            "title": {"zh-TW": "滲透測試", "en": "Penetration test"},
            "assessable": True,
            "obligation": "shall",
            "scope": "internet_facing_core_systems",
        },
        {
            "id": "soc-big",
            "title": {"zh-TW": "大型機構之SOC", "en": "SOC of large institutions"},
            "assessable": True,
            "obligation": "shall",
            "applies_when": {
                "all": [{"facts.soc": {"eq": True}}, {"total_assets": {"gte": 10**12}}]
            },
        },
    ],
}


@pytest.fixture
def library_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "own" / "frameworks"
    folder.mkdir(parents=True)
    (folder / "status-demo.yaml").write_text(yaml.safe_dump(FRAMEWORK), encoding="utf-8")
    monkeypatch.setenv("FINRES_LIBRARY_PATH", str(tmp_path / "own"))
    return tmp_path


def profile_file(folder: Path, **fields: object) -> Path:
    data = {"name": "測試證券", "industry": "securities", "paid_in_capital": 10**10, **fields}
    path = folder / "profile.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def applicable_json(capsys, profile: Path) -> dict[str, dict]:
    argv = ["applicable", "--profile", str(profile), "--as-of", "2026-06-30"]
    data = run_json(capsys, *argv, "--framework", "status-demo", "--format", "json")
    return {row["id"]: row for row in data["requirements"]}


def test_json_statuses_and_depends_on(capsys, library_path: Path) -> None:
    rows = applicable_json(capsys, profile_file(library_path))
    assert {key: (r["status"], r["depends_on"], r["in_force"]) for key, r in rows.items()} == {
        "m.fi": ("in_force", [], True),
        "late": ("overdue", [], True),
        "soon": ("upcoming", [], False),
        "pentest": ("conditional", ["internet_facing_core_systems"], True),
        "soc-big": ("conditional", ["soc", "total_assets"], True),
    }


def test_stated_facts_decide(capsys, library_path: Path) -> None:
    stated = profile_file(
        library_path,
        facts={"internet_facing_core_systems": False, "soc": True},
        total_assets=10**11,
    )
    rows = applicable_json(capsys, stated)
    assert set(rows) == {"m.fi", "late", "soon"}
    one_unknown = profile_file(library_path, facts={"soc": False})
    rows = applicable_json(capsys, one_unknown)
    assert "soc-big" not in rows  # no SOC: the unknown total assets no longer matter
    assert rows["pentest"]["depends_on"] == ["internet_facing_core_systems"]


def test_table_shows_statuses_in_both_languages(
    capsys, library_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "240")  # no folding inside the cells
    argv = ["applicable", "--profile", str(profile_file(library_path)), "--as-of", "2026-06-30"]
    code, out, err = run(capsys, *argv, "--framework", "status-demo")
    assert code == 0, err
    for text in ("生效中", "已逾期限", "2027-01-01 起生效", "視條件而定", "資產總額", "facts:"):
        assert text in out, text
    for raw in ("overdue", "conditional", "internet_facing_core_systems", "total_assets ", "soc,"):
        assert raw not in out, raw
    code, out, err = run(capsys, *argv, "--framework", "status-demo", "--lang", "en")
    assert code == 0, err
    for text in ("overdue", "conditional on:", "Total assets", "1 overdue", "2 conditional"):
        assert text in out, text
