"""Golden tests: the FSC zero-trust maturity model (five pillars x four stages).

Source: seeds/001_7eb92a8aba990593.txt (金融資安韌性發展藍圖, Dec 2025), measure 10 and appendix
row (10), which summarise the 2024 guideline 金融業導入零信任架構參考指引.
"""

from __future__ import annotations

import datetime as dt

import pytest

from finres.core.library.loader import CONTENT_DIR, load_framework_file, load_mapping_file
from finres.core.library.schema import Framework, MappingSet

FRAMEWORK_FILE = CONTENT_DIR / "frameworks" / "fsc-zero-trust-maturity.yaml"
MAPPING_FILE = CONTENT_DIR / "mappings" / "fsc-zero-trust-maturity-to-nist-csf-2.0.yaml"
CSF_FILE = CONTENT_DIR / "frameworks" / "nist-csf-2.0.yaml"

# Pillars in the blueprint's order: 身分、設備、網路、應用程式、資料.
PILLARS = [
    ("identity", "身分", "Identity"),
    ("device", "設備", "Device"),
    ("network", "網路", "Network"),
    ("application", "應用程式", "Application"),
    ("data", "資料", "Data"),
]
# Stages: 傳統、初始、進階及最佳.
LEVELS = [
    (1, "traditional", "傳統", "Traditional"),
    (2, "initial", "初始", "Initial"),
    (3, "advanced", "進階", "Advanced"),
    (4, "optimal", "最佳", "Optimal"),
]

MEASURE_10_TEXT = (
    "建議金融機構以風險導向，擇高風險低衝擊之場域先行，並依該高風險場域之完整存取路徑"
    "(即身分、設備、網路、應用程式、資料5大支柱)，評估既有資安防護機制之完備度，"
    "依傳統、初始、進階及最佳等四階段循序漸進導入相關控制措施。"
)

MAPPINGS = {
    "identity": {"PR.AA-01", "PR.AA-02", "PR.AA-03", "PR.AA-04", "PR.AA-05"},
    "device": {"ID.AM-01", "PR.AA-01", "PR.AA-03", "PR.PS-01", "DE.CM-09"},
    "network": {"ID.AM-03", "PR.IR-01", "PR.DS-02", "DE.CM-01"},
    "application": {"ID.AM-02", "PR.AA-05", "PR.PS-02", "PR.PS-06", "DE.CM-09"},
    "data": {"ID.AM-07", "PR.DS-01", "PR.DS-02", "PR.DS-10"},
}


@pytest.fixture(scope="module")
def fw() -> Framework:
    return load_framework_file(FRAMEWORK_FILE)


@pytest.fixture(scope="module")
def mapping_set() -> MappingSet:
    return load_mapping_file(MAPPING_FILE)


def test_framework_metadata(fw: Framework) -> None:
    assert fw.id == "fsc-zero-trust-maturity"
    assert fw.kind == "maturity_model"
    assert fw.binding is False
    assert fw.source_language == "zh-TW"
    assert fw.published == dt.date(2024, 7, 15)
    assert fw.version == "2024"
    assert fw.publisher.zh_tw == "金融監督管理委員會"
    assert fw.source.url is not None and "202410210854050.pdf" in fw.source.url
    assert fw.source.reference is not None and "001_7eb92a8aba990593" in fw.source.reference
    assert fw.description is not None
    assert fw.description.zh_tw is not None
    assert fw.description.zh_tw.startswith(
        "本會於2024年7月15日發布「金融業導入零信任架構參考指引」"
    )
    assert fw.description.zh_tw.endswith(MEASURE_10_TEXT)
    assert fw.tier_rule is None and fw.applies_when is None


def test_maturity_levels(fw: Framework) -> None:
    assert [(lv.level, lv.id, lv.title.zh_tw, lv.title.en) for lv in fw.maturity_levels] == LEVELS


def test_pillars(fw: Framework) -> None:
    assert [(n.id, n.title.zh_tw, n.title.en) for n in fw.requirements] == PILLARS
    for node in fw.requirements:
        assert node.kind == "pillar"
        assert node.parent is None
        assert node.ref == "10"  # blueprint measure (10)
        assert node.assessable is True
        assert node.obligation == "should"  # 建議
        assert node.text is not None and node.text.zh_tw == MEASURE_10_TEXT
        assert node.text.en
        assert node.guidance is not None and node.guidance.zh_tw is not None
        assert "遠距辦公為優先導入場域(系統維運管理次之)" in node.guidance.zh_tw
        assert node.notes is not None


def test_pillar_maturity_descriptions_are_generic(fw: Framework) -> None:
    for node in fw.requirements:
        assert sorted(node.maturity) == [1, 2, 3, 4]
        for level, _, zh, en in LEVELS:
            description = node.maturity[level]
            assert description.zh_tw is not None and description.en is not None
            assert f"「{node.title.zh_tw}」支柱" in description.zh_tw
            assert f"「{zh}」" in description.zh_tw
            assert en.lower() in description.en
            assert "完整存取路徑" in description.zh_tw


def test_notes_state_the_missing_guideline_and_the_guidance(fw: Framework) -> None:
    assert fw.notes is not None and fw.notes.zh_tw is not None and fw.notes.en is not None
    assert "不在來源文件之列" in fw.notes.zh_tw
    assert "not among the sources" in fw.notes.en
    assert "高風險低衝擊" in fw.notes.zh_tw
    assert "遠距辦公" in fw.notes.zh_tw and "系統維運管理" in fw.notes.zh_tw
    assert "measure (10)" in fw.notes.en


def test_mapping_set(mapping_set: MappingSet) -> None:
    assert mapping_set.id == "fsc-zero-trust-maturity-to-nist-csf-2.0"
    assert mapping_set.source_framework == "fsc-zero-trust-maturity"
    assert mapping_set.target_framework == "nist-csf-2.0"
    actual: dict[str, set[str]] = {}
    for mapping in mapping_set.mappings:
        actual.setdefault(mapping.source, set()).add(mapping.target)
        assert mapping.relationship == "intersect"
        assert mapping.rationale.zh_tw and mapping.rationale.en
    assert actual == MAPPINGS
    assert len(mapping_set.mappings) == 23


def test_mapping_targets_exist_in_csf(mapping_set: MappingSet) -> None:
    csf = load_framework_file(CSF_FILE)
    subcategories = {node.id for node in csf.requirements if node.kind == "subcategory"}
    assert {mapping.target for mapping in mapping_set.mappings} <= subcategories
