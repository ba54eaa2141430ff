from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from finres.core.library import LibraryError, load_framework_file, load_paths
from finres.core.library.loader import Problem

from ..conftest import FIXTURES

VALID = (FIXTURES / "library" / "frameworks" / "demo-rules.yaml").read_text(encoding="utf-8")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> list[Problem]:
    with pytest.raises(LibraryError) as caught:
        load_paths([path])
    return caught.value.problems


def test_the_demo_library_loads(demo_library) -> None:
    assert sorted(demo_library.frameworks) == ["demo-old", "demo-rules", "demo-standard"]
    assert [n.id for n in demo_library.children("demo-rules", "ch-1")] == ["r-all", "r-tier12"]
    links = demo_library.mappings_from("demo-rules", "r-all")
    assert [(link.mapping.target, link.mapping.relationship.value) for link in links] == [
        ("F1.C1-01", "subset")
    ]


def test_every_problem_is_reported_with_file_node_and_field(tmp_path: Path) -> None:
    text = VALID.replace("obligation: should\n", "obligation: must\n", 1)
    text = text.replace("scope: whole_company", "scope: everywhere")
    text = text.replace("tiers: [1, 2]", "tiers: [1, 7]")
    text = text.replace('parent: ch-cloud\n    ref: "3-1"', 'parent: ch-nowhere\n    ref: "3-1"')
    path = write(tmp_path, "demo-rules.yaml", text)
    found = {(p.node, p.field) for p in problems_of(path)}
    # Schema errors are reported together; file-level checks run once the schema passes.
    assert ("r-all", "scope") in found
    assert ("r-cloud", "obligation") in found
    assert all(p.file == str(path) for p in problems_of(path))


def test_file_level_checks_report_every_problem(tmp_path: Path) -> None:
    text = VALID.replace("tiers: [1, 2]", "tiers: [1, 7]")
    text = text.replace('parent: ch-cloud\n    ref: "3-1"', 'parent: ch-nowhere\n    ref: "3-1"')
    text = text.replace("id: r-cloud\n", "id: r-all\n")
    text = text.replace(
        "text: {zh-TW: 公司應辦理。, en: The company shall do it.}", "text: {zh-TW: 公司應辦理。}"
    )
    problems = problems_of(write(tmp_path, "demo-rules.yaml", text))
    assert {(p.node, p.field) for p in problems} == {
        ("r-tier12", "tiers"),
        ("r-cloud-ai", "parent"),
        ("r-all", "id"),
        ("r-all", "text.en"),
    }
    messages = {str(p) for p in problems}
    assert any("no such tier in the tier rule: [7]" in m for m in messages)
    assert any("no such parent: 'ch-nowhere'" in m for m in messages)


def test_a_condition_error_names_node_and_path(tmp_path: Path) -> None:
    text = VALID.replace("{uses: {contains: ai}}", "{uses: {contains: a1}, tier: {in: [1]}}")
    text = text.replace("{uses: {contains: cloud}}", "{uses: {has: cloud}}")
    problems = problems_of(write(tmp_path, "demo-rules.yaml", text))
    assert [(p.node, p.field) for p in problems] == [
        ("ch-cloud", "applies_when"),
        ("r-cloud-ai", "applies_when"),
    ]
    assert "uses: operator 'has' does not apply" in problems[0].message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("id: x\nid: y\n", "duplicate key 'id' (line 2)"),
        ("id: [unclosed\n", "YAML syntax: line"),
        ("- a\n- b\n", "expected a mapping at the top level"),
        ("id: x\n", "neither a framework"),
        ("!!python/object:os.system {}\n", "YAML syntax"),
    ],
)
def test_malformed_files_are_rejected_precisely(tmp_path: Path, text: str, fragment: str) -> None:
    problems = problems_of(write(tmp_path, "bad.yaml", text))
    assert len(problems) == 1
    assert fragment in problems[0].message


def test_non_utf8_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: café".encode("latin-1"))
    assert "not UTF-8" in problems_of(path)[0].message


def test_file_name_must_match_the_id(tmp_path: Path) -> None:
    problems = problems_of(write(tmp_path, "other-name.yaml", VALID))
    assert [(p.field, p.message) for p in problems] == [
        ("id", "file name should be demo-rules.yaml")
    ]


def test_a_pair_may_be_mapped_once_per_set(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "library", tmp_path / "lib")
    mapping = tmp_path / "lib" / "mappings" / "demo-rules-to-demo-standard.yaml"
    mapping.write_text(
        mapping.read_text(encoding="utf-8")
        + "  - source: r-all\n    target: F1.C1-01\n    relationship: equal\n"
        "    rationale: {en: x}\n",
        encoding="utf-8",
    )
    problems = problems_of(tmp_path / "lib")
    described = [(p.node, p.field, p.message) for p in problems]
    assert described == [("r-all -> F1.C1-01", None, "duplicate mapping")]


def test_mapping_ends_must_exist(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "library", tmp_path / "lib")
    mapping = tmp_path / "lib" / "mappings" / "demo-rules-to-demo-standard.yaml"
    mapping.write_text(
        mapping.read_text(encoding="utf-8")
        + "  - source: r-nowhere\n    target: F9\n    relationship: equal\n"
        "    rationale: {en: x}\n",
        encoding="utf-8",
    )
    described = sorted((p.node, p.field, p.message) for p in problems_of(tmp_path / "lib"))
    assert described == [
        ("r-nowhere -> F9", "source", "no node 'r-nowhere' in demo-rules"),
        ("r-nowhere -> F9", "target", "no node 'F9' in demo-standard"),
    ]


def test_overlapping_tier_rules_are_refused(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "library", tmp_path / "lib")
    copy = VALID.replace("id: demo-rules\n", "id: demo-rules-two\n")
    write(tmp_path / "lib" / "frameworks", "demo-rules-two.yaml", copy)
    messages = [p.message for p in problems_of(tmp_path / "lib")]
    assert any("securities already has a tier rule" in m for m in messages)


def test_tier_bands_must_meet_exactly(tmp_path: Path) -> None:
    text = VALID.replace(
        "{tier: 2, min_capital: 100, below_capital: 1000}",
        "{tier: 2, min_capital: 100, below_capital: 999}",
    )
    problems = problems_of(write(tmp_path, "demo-rules.yaml", text))
    assert problems[0].field == "tier_rule"
    assert "tier 2 ends below 999 but tier 1 starts at 1000" in problems[0].message


def test_a_bad_file_never_half_loads(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "library", tmp_path / "lib")
    bad = tmp_path / "lib" / "frameworks" / "demo-standard.yaml"
    bad.write_text(
        bad.read_text(encoding="utf-8").replace("kind: standard", "kind: novel"), encoding="utf-8"
    )
    with pytest.raises(LibraryError):
        load_paths([tmp_path / "lib"])


def test_load_framework_file_returns_the_model() -> None:
    framework = load_framework_file(FIXTURES / "library" / "frameworks" / "demo-standard.yaml")
    assert framework.source_language == "en"
    assert framework.requirements[-1].examples[0].en == "An example."
