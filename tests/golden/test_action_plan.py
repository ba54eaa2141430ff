"""Golden tests: the FSC Financial Cybersecurity Action Plan (August 2020) against its source.

Source: seeds/000_40d528c2d98e5418.txt (金融監督管理委員會, 金融資安行動方案, 中華民國109年8月),
appendix 附件-「金融資安行動方案」執行措施彙總表.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from finres.core.library.loader import CONTENT_DIR, load_framework_file, load_mapping_file

FRAMEWORK_ID = "fsc-action-plan-2020"
PUBLISHED = dt.date(2020, 8, 1)

# The 36 measures in the order of the appendix table:
# ref -> (id, parent sub-item, 執行期程, obligation, executing units)
MEASURES: dict[str, tuple[str, str, str, str, list[str]]] = {
    "1.1(1)": ("m-1.1-1", "s-1.1", "二年", "shall", ["fsc", "financial_institutions"]),
    "1.1(2)": ("m-1.1-2", "s-1.1", "二年", "should", ["financial_institutions"]),
    "1.1(3)": ("m-1.1-3", "s-1.1", "一年", "shall", ["fsc"]),
    "1.2": ("m-1.2", "s-1.2", "持續", "shall", ["fsc"]),
    "2.1(1)": ("m-2.1-1", "s-2.1", "二年", "shall", ["associations"]),
    "2.1(2)": ("m-2.1-2", "s-2.1", "四年", "shall", ["fsc"]),
    "2.2": ("m-2.2", "s-2.2", "二年", "shall", ["associations"]),
    "2.3": ("m-2.3", "s-2.3", "二年", "shall", ["associations"]),
    "3(1)": ("m-3-1", "s-3", "持續", "shall", ["fsc"]),
    "3(2)": ("m-3-2", "s-3", "持續", "shall", ["fsc"]),
    "4.1": ("m-4.1", "s-4.1", "持續", "shall", ["fsc"]),
    "4.2": ("m-4.2", "s-4.2", "持續", "shall", ["fsc"]),
    "5.1": ("m-5.1", "s-5.1", "持續", "should", ["financial_institutions"]),
    "5.2(1)": ("m-5.2-1", "s-5.2", "二年", "shall", ["fsc"]),
    "5.2(2)": ("m-5.2-2", "s-5.2", "二年", "should", ["financial_institutions"]),
    "6": ("m-6", "s-6", "持續", "should", ["financial_institutions"]),
    "7.1(1)": ("m-7.1-1", "s-7.1", "一年", "shall", ["fsc"]),
    "7.1(2)": ("m-7.1-2", "s-7.1", "一年", "shall", ["peripheral_units"]),
    "7.1(3)": ("m-7.1-3", "s-7.1", "持續", "should", ["financial_institutions"]),
    "7.2": ("m-7.2", "s-7.2", "二年", "shall", ["fsc"]),
    "8.1": ("m-8.1", "s-8.1", "四年", "shall", ["fsc"]),
    "8.2": ("m-8.2", "s-8.2", "持續", "should", ["financial_institutions"]),
    "8.3": ("m-8.3", "s-8.3", "持續", "should", ["financial_institutions"]),
    "9.1": ("m-9.1", "s-9.1", "持續", "shall", ["fsc", "financial_institutions"]),
    "9.2": ("m-9.2", "s-9.2", "二年", "shall", ["fsc"]),
    "9.3": ("m-9.3", "s-9.3", "持續", "shall", ["fsc", "financial_institutions"]),
    "10.1": ("m-10.1", "s-10.1", "二年", "shall", ["fsc"]),
    "10.2": ("m-10.2", "s-10.2", "四年", "shall", ["fsc"]),
    "11.1": ("m-11.1", "s-11.1", "二年", "shall", ["f_isac"]),
    "11.2": ("m-11.2", "s-11.2", "持續", "shall", ["f_isac"]),
    "12.1": ("m-12.1", "s-12.1", "持續", "should", ["financial_institutions"]),
    "12.2": ("m-12.2", "s-12.2", "四年", "shall", ["peripheral_units", "associations"]),
    "12.3": ("m-12.3", "s-12.3", "二年", "shall", ["fsc"]),
    "13.1(1)": ("m-13.1-1", "s-13.1", "二年", "shall", ["fsc"]),
    "13.1(2)": ("m-13.1-2", "s-13.1", "二年", "shall", ["fsc", "financial_institutions"]),
    "13.2": ("m-13.2", "s-13.2", "三年", "shall", ["fsc"]),
}

# 執行期程 -> due_by, counted from publication (August 2020); 持續 (ongoing) has no deadline.
DUE_BY = {
    "一年": dt.date(2021, 7, 31),
    "二年": dt.date(2022, 7, 31),
    "三年": dt.date(2023, 7, 31),
    "四年": dt.date(2024, 7, 31),
    "持續": None,
}

PILLARS = {
    "p-1": ("一", "強化資安監理"),
    "p-2": ("二", "深化資安治理"),
    "p-3": ("三", "精實金融韌性"),
    "p-4": ("四", "發揮資安聯防"),
}

WORK_ITEMS = {
    1: ("p-1", "型塑金融機構重視資安的組織文化"),
    2: ("p-1", "完備資安規範"),
    3: ("p-1", "強化資安監理職能"),
    4: ("p-1", "加強金融資安檢查"),
    5: ("p-2", "加強資安管理"),
    6: ("p-2", "強化資安監控"),
    7: ("p-2", "加強資安人才培育"),
    8: ("p-3", "增進營運持續管理量能"),
    9: ("p-3", "加強資安演練"),
    10: ("p-3", "建構資料保全避風港"),
    11: ("p-4", "資安情資分享與合作"),
    12: ("p-4", "建立金融資安事件應變體系"),
    13: ("p-4", "建立金融資安事件監控體系"),
}

# Every sub-item carries at least one measure: the 28 sub-items in table order.
SUB_ITEMS = list(dict.fromkeys(parent for _, parent, _, _, _ in MEASURES.values()))


@pytest.fixture(scope="module")
def fw():
    return load_framework_file(CONTENT_DIR / "frameworks" / f"{FRAMEWORK_ID}.yaml")


@pytest.fixture(scope="module")
def nodes(fw):
    return {node.id: node for node in fw.requirements}


@pytest.fixture(scope="module")
def measures(fw):
    return [node for node in fw.requirements if node.kind == "measure"]


# --- framework metadata -------------------------------------------------------------------------


def test_metadata(fw):
    assert fw.id == FRAMEWORK_ID
    assert fw.name.zh_tw == "金融資安行動方案"
    assert fw.kind.value == "policy_programme"
    assert fw.binding is True
    assert fw.publisher.zh_tw == "金融監督管理委員會"
    assert fw.source_language == "zh-TW"
    assert fw.published == PUBLISHED
    assert fw.effective_from == PUBLISHED
    assert fw.source.reference == "seeds/000_40d528c2d98e5418.txt"
    assert fw.applies_when is None and fw.tier_rule is None


def test_superseded(fw):
    # Replaced by 金融資安行動方案2.0 (December 2022, not in the library), then by the blueprint.
    assert fw.effective_until == dt.date(2022, 12, 31)
    assert fw.superseded_by == "fsc-resilience-blueprint-2025"
    assert "2.0" in fw.notes.zh_tw and "2.0" in fw.notes.en


# --- structure ----------------------------------------------------------------------------------


def test_counts(fw):
    kinds = Counter(node.kind for node in fw.requirements)
    assert kinds == {
        "pillar": 4,
        "work-item": 13,
        "sub-item": 28,
        "measure": 36,
        "section": 1,  # 肆: the obligations already in force (issue 8)
        "existing-obligation": 3,
    }


def test_pillars(nodes):
    pillars = [n for n in nodes.values() if n.kind == "pillar"]
    assert [p.id for p in pillars] == list(PILLARS)
    for pillar in pillars:
        ref, title = PILLARS[pillar.id]
        assert pillar.parent is None
        assert pillar.ref == ref
        assert pillar.title.zh_tw == title
        assert not pillar.assessable


def test_work_items(nodes):
    items = [n for n in nodes.values() if n.kind == "work-item"]
    assert [w.id for w in items] == [f"wi-{i}" for i in range(1, 14)]
    for number, (pillar, title) in WORK_ITEMS.items():
        node = nodes[f"wi-{number}"]
        assert node.ref == str(number)
        assert node.parent == pillar
        assert node.title.zh_tw == title
        assert not node.assessable


def test_sub_items(nodes):
    subs = [n for n in nodes.values() if n.kind == "sub-item"]
    assert [s.id for s in subs] == SUB_ITEMS
    assert len(SUB_ITEMS) == 28
    for sub in subs:
        assert not sub.assessable
        number = sub.id.removeprefix("s-")
        assert sub.parent == "wi-" + number.split(".")[0]
        # The sub-items of work items 3 and 6 are unnumbered in the table.
        assert sub.ref == (None if number in ("3", "6") else number)
    assert nodes["s-3"].title.zh_tw == "加強資安監理人才培育"
    assert nodes["s-6"].title.zh_tw == "鼓勵建置資安監控機制(SOC)"
    assert nodes["s-4.2"].title.zh_tw == "提升資安檢查人員專業技能"
    assert nodes["s-10.2"].title.zh_tw == "推動成立資料保全中心"


def test_measure_refs_in_order(measures):
    assert [m.ref for m in measures] == list(MEASURES)
    assert len(measures) == 36


def test_measure_ids_and_parents(measures):
    for m in measures:
        mid, parent, _, _, _ = MEASURES[m.ref]
        assert m.id == mid, m.ref
        assert m.parent == parent, m.ref
        assert m.assessable is True


# --- periods, dates, obligations, units ---------------------------------------------------------


def test_periods_and_dates(measures):
    for m in measures:
        period = MEASURES[m.ref][2]
        assert m.timeframe.zh_tw == period, m.ref
        assert m.effective_from == PUBLISHED, m.ref
        assert m.due_by == DUE_BY[period], m.ref
    periods = Counter(m.timeframe.zh_tw for m in measures)
    assert periods == {"持續": 14, "二年": 14, "一年": 3, "四年": 4, "三年": 1}


def test_obligations(measures):
    for m in measures:
        assert m.obligation.value == MEASURES[m.ref][3], m.ref
    # Every measure worded 鼓勵 (encourage) is should, and only those.
    for m in measures:
        assert (m.obligation.value == "should") == m.title.zh_tw.startswith("鼓勵"), m.ref
    assert Counter(m.obligation.value for m in measures) == {"shall": 28, "should": 8}


def test_executing_units(measures):
    for m in measures:
        units = [u.value for u in m.executing_units or []]
        assert units == MEASURES[m.ref][4], m.ref


def test_measure_wording(nodes):
    assert nodes["m-1.1-1"].title.zh_tw == "推動一定規模金融機構或純網銀設置資安長"
    assert nodes["m-5.2-1"].title.zh_tw == "研議訂定金融機構資安治理成熟度評估方法"
    assert nodes["m-5.2-2"].title.zh_tw == "鼓勵金融機構辦理資安治理成熟度評估"
    m_8_3 = "鼓勵一定規模金融機構於異地備援演練時，納入實際業務運作驗證"
    assert nodes["m-8.3"].title.zh_tw == m_8_3
    assert nodes["m-10.2"].title.zh_tw == "視研議結果推動成立資料保全中心，並分階段推動試辦"
    assert nodes["m-13.1-2"].title.zh_tw == "推動金融機構 SOC 與聯防 SOC 協同運作"
    assert nodes["m-13.2"].title.zh_tw == "研議導入 AI 分析機制，進行警訊及事件關聯分析"
    # Texts come from the 說明 column (1.2 from the body: its 說明 cell is empty).
    assert "副總經理，得兼任" in nodes["m-1.1-1"].text.zh_tw
    assert nodes["m-1.2"].text.zh_tw.startswith("為驅動金融機構對資安之重視")
    assert nodes["m-9.1"].text.zh_tw == nodes["m-9.3"].text.zh_tw
    assert "避風港計畫" in nodes["m-10.1"].text.zh_tw
    assert nodes["m-11.2"].text.zh_tw.startswith("全球主要國家相繼設立金融資安資訊分享與分析機構")


def test_every_node_is_bilingual(fw):
    for node in fw.requirements:
        assert node.title.zh_tw and node.title.en, node.id
        if node.text:
            assert node.text.zh_tw and node.text.en, node.id
    for m in (n for n in fw.requirements if n.kind == "measure"):
        assert m.notes and m.notes.zh_tw and m.notes.en, m.id


def test_original_wording_is_in_the_seed(fw, shared_dir):
    seed = (shared_dir / "seeds" / "000_40d528c2d98e5418.txt").read_text(encoding="utf-8")
    compact = re.sub(r"\s+", "", seed)
    assert "提列36項執行措施" in compact
    for node in fw.requirements:
        for field in ("title", "text", "timeframe"):
            value = getattr(node, field)
            if value is not None:
                assert re.sub(r"\s+", "", value.zh_tw) in compact, (node.id, field)


# --- lineage to the blueprint ---------------------------------------------------------------------

MAPPING_ID = f"{FRAMEWORK_ID}-to-fsc-resilience-blueprint-2025"

# Blueprint measure ids (appendix table of seeds/001_7eb92a8aba990593.txt).
BLUEPRINT_MEASURES = {
    "m-1", "m-2", "m-3", "m-4-1", "m-4-2", "m-4-3", "m-5", "m-6", "m-7", "m-8", "m-9", "m-10",
    "m-11", "m-12", "m-13-1", "m-13-2", "m-14", "m-15", "m-16", "m-17-1", "m-17-2", "m-18",
    "m-19", "m-20", "m-21", "m-22", "m-23", "m-24", "m-25", "m-26", "m-27", "m-28-1", "m-28-2",
    "m-29",
}  # fmt: skip

LINEAGE = {
    ("m-1.1-1", "m-1"): "intersect",
    ("m-1.1-1", "m-2"): "intersect",
    ("m-1.1-2", "m-1"): "subset",
    ("m-1.1-3", "m-1"): "subset",
    ("m-2.1-1", "m-3"): "subset",
    ("m-2.1-2", "m-3"): "subset",
    ("m-2.2", "m-3"): "subset",
    ("m-2.2", "m-9"): "intersect",
    ("m-2.3", "m-3"): "subset",
    ("m-2.3", "m-18"): "intersect",
    ("m-5.2-1", "m-6"): "intersect",
    ("m-5.2-2", "m-6"): "intersect",
    ("m-6", "m-13-1"): "intersect",
    ("m-7.1-1", "m-4-1"): "intersect",
    ("m-7.1-2", "m-4-2"): "equal",
    ("m-7.1-3", "m-4-3"): "subset",
    ("m-7.2", "m-25"): "intersect",
    ("m-8.1", "m-3"): "subset",
    ("m-8.2", "m-27"): "equal",
    ("m-8.3", "m-28-2"): "intersect",
    ("m-9.1", "m-24"): "subset",
    ("m-9.2", "m-24"): "intersect",
    ("m-9.3", "m-26"): "equal",
    ("m-10.1", "m-28-1"): "intersect",
    ("m-10.2", "m-28-2"): "intersect",
    ("m-11.1", "m-20"): "intersect",
    ("m-11.2", "m-23"): "equal",
    ("m-13.1-1", "m-13-2"): "intersect",
    ("m-13.1-1", "m-22"): "intersect",
    ("m-13.1-2", "m-22"): "intersect",
    ("m-13.2", "m-22"): "intersect",
}


@pytest.fixture(scope="module")
def lineage():
    return load_mapping_file(CONTENT_DIR / "mappings" / f"{MAPPING_ID}.yaml")


def test_lineage_mappings(lineage, nodes):
    assert lineage.source_framework == FRAMEWORK_ID
    assert lineage.target_framework == "fsc-resilience-blueprint-2025"
    found = {(m.source, m.target): m.relationship.value for m in lineage.mappings}
    assert found == LINEAGE
    for m in lineage.mappings:
        assert nodes[m.source].kind == "measure"
        assert m.target in BLUEPRINT_MEASURES
        assert m.rationale.zh_tw and m.rationale.en


def test_every_measure_names_who_carries_it_out(measures):
    # The plan speaks in the FSC's voice; a measure naming no other unit is the FSC's own.
    assert [m.ref for m in measures if not m.executing_units] == []


# --- 肆、金融資安推動現況與檢討: existing obligations the plan describes (issue 8) ---------------------


def test_existing_obligations_of_chapter_4(nodes, shared_dir):
    from finres.core import rules

    lines = (shared_dir / "seeds" / "000_40d528c2d98e5418.txt").read_text(encoding="utf-8")
    lines = lines.splitlines()
    assert lines[127] == "肆、金融資安推動現況與檢討"
    # line 134: 也要求每年由資訊安全最高主管與董事長、總經理、稽核主管聯名出具「資訊安全整體執行情形聲明書」
    declaration = nodes["existing.declaration"]
    assert declaration.text.zh_tw in lines[133]
    assert declaration.obligation.value == "shall" and declaration.assessable
    assert declaration.timeframe.zh_tw == "每年"
    assert declaration.applies_when is None
    # line 150: 金管會已要求金融機構應設置資安專責單位及相當層級專責主管；銀行業及保險業資產總額達一兆元
    # 以上者，應設置具職權行使獨立性之資安專責單位
    unit, independent = nodes["existing.security-unit"], nodes["existing.security-unit.independent"]
    assert unit.text.zh_tw in lines[149] and independent.text.zh_tw in lines[149]
    assert unit.obligation.value == independent.obligation.value == "shall"
    assert unit.applies_when is None
    assert independent.applies_when.to_data() == {
        "all": [
            {"industry": {"in": ["bank", "insurance"]}},
            {"total_assets": {"gte": 1_000_000_000_000}},
        ]
    }
    # the trillion is inclusive (達……以上) and unknown assets leave the answer open
    condition = independent.applies_when
    bank = {"industry": "bank", "total_assets": 1_000_000_000_000}
    assert rules.evaluate(condition, bank).value is True
    assert rules.evaluate(condition, {**bank, "total_assets": 999_999_999_999}).value is False
    assert rules.evaluate(condition, {**bank, "industry": "securities"}).value is False
    assert rules.evaluate(condition, {"industry": "insurance", "total_assets": None}).value is None
    for node in (nodes["existing"], declaration, unit, independent):
        assert "seeds/000第" in node.notes.zh_tw
    assert nodes["existing"].executing_units == ["financial_institutions"]


def test_financial_holding_csirt_is_conditioned_on_the_fact(nodes, shared_dir):
    # line 333: "1. 鼓勵一定規模以上金控建立電腦資安事件應變小組"
    lines = (shared_dir / "seeds" / "000_40d528c2d98e5418.txt").read_text(encoding="utf-8")
    assert "鼓勵一定規模以上金控建立電腦資安事件應變小組" in lines.splitlines()[332]
    assert nodes["s-12.1"].applies_when.to_data() == {"facts.financial_holding": {"eq": True}}
    assert "seeds/000第333行" in nodes["s-12.1"].notes.zh_tw
    assert "一定規模以上" in nodes["s-12.1"].notes.zh_tw  # the size limit: no threshold given
