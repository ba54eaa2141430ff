"""Golden tests: the securities and futures associations' emerging-technology guideline.

Source: seeds/004_0386fce15c0e29a7.txt
(證券期貨市場相關公會 新興科技資通安全管控指引, articles 1-54).
The expected values below are read from the source document, not from the YAML file.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from finres.core.library.loader import CONTENT_DIR, load_framework_file, load_mapping_file

FRAMEWORK_ID = "sfa-emerging-tech-guideline"
REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SEED = SHARED / "seeds" / "004_0386fce15c0e29a7.txt"
CATALOGUE = SHARED / "data" / "oscal" / "NIST_CSF_v2.0_catalog-min.json"

needs_seed = pytest.mark.skipif(not SEED.is_file(), reason=f"the seed is absent ({SEED})")
needs_catalogue = pytest.mark.skipif(
    not CATALOGUE.is_file(), reason=f"the NIST OSCAL catalogue is absent ({CATALOGUE})"
)


@pytest.fixture(scope="module")
def fw():
    return load_framework_file(CONTENT_DIR / "frameworks" / f"{FRAMEWORK_ID}.yaml")


@pytest.fixture(scope="module")
def nodes(fw):
    return {node.id: node for node in fw.requirements}


@pytest.fixture(scope="module")
def mapping_set():
    return load_mapping_file(CONTENT_DIR / "mappings" / f"{FRAMEWORK_ID}-to-nist-csf-2.0.yaml")


def _plain(data: Any) -> Any:
    """Condition data as plain JSON values, with lists sorted (order carries no meaning)."""
    data = json.loads(json.dumps(data, default=str))

    def norm(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: norm(item) for key, item in value.items()}
        if isinstance(value, list):
            items = [norm(item) for item in value]
            return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
        return value

    return norm(data)


# --- the source's structure ---------------------------------------------------------------------

# The tables below are kept compact, one source article per line where possible.
# fmt: off
CHAPTERS = {
    1: ("第一章", "總則", [1]),
    2: ("第二章", "雲端服務運作安全", list(range(2, 10))),
    3: ("第三章", "社群媒體安全控管", list(range(10, 15))),
    4: ("第四章", "行動裝置安全控管", list(range(15, 21))),
    5: ("第五章", "物聯網設備安全控管", list(range(21, 31))),
    6: ("第六章", "電子式交易身分驗證安全控管", list(range(31, 38))),
    7: ("第七章", "深度偽造防範安全控管", list(range(38, 42))),
    8: ("第八章", "運用人工智慧安全控管", list(range(42, 55))),
}

ARTICLE_TITLES = {
    1: "目的",
    2: "雲端服務相關定義",
    3: "雲端服務指引適用範圍",
    4: "雲端服務風險管理",
    5: "雲端服務提供者選擇與盡職調查",
    6: "雲端服務查核",
    7: "雲端服務供應鏈管理",
    8: "雲端服務資安控管",
    9: "雲端服務持續性及退場管理",
    10: "社群媒體定義",
    11: "社群媒體指引適用範圍",
    12: "社群媒體使用政策",
    13: "組織經營官方社群媒體",
    14: "制定異常通報及申訴處理機制",
    15: "行動裝置定義",
    16: "行動裝置指引適用範圍",
    17: "公務用之行動裝置設備控管",
    18: "員工自攜行動裝置管理（BYOD）",
    19: "行動應用程式安全控管（Mobile App）",
    20: "行動應用程式發布控管",
    21: "物聯網設備定義及指引適用範圍",
    22: "設備盤點評估",
    23: "設備軟體控管",
    24: "設備權限控管",
    25: "設備連線控管",
    26: "設備採購控管",
    27: "供應商管理",
    28: "物聯網認知控管",
    29: "例外控管",
    30: "不具備管理功能之感測器控管",
    31: "電子式交易身分驗證定義",
    32: "電子式交易型態",
    33: "電子式交易身分驗證指引適用範圍",
    34: "電子式交易之訊息防護措施",
    35: "電子式交易身分驗證機制管理",
    36: "電子式交易身分驗證控管",
    37: "電子式交易稽核軌跡",
    38: "深度偽造定義（Deepfake）",
    39: "電話交易身分驗證控管",
    40: "影像視訊身分驗證控管",
    41: "深度偽造防範控管",
    42: "人工智慧定義",
    43: "人工智慧指引適用範圍",
    44: "法令遵循",
    45: "治理及組織權責",
    46: "風險管理及定期審查",
    47: "作業委外管理",
    48: "公平性原則",
    49: "保護資料隱私",
    50: "安全性與穩健性原則",
    51: "透明性與可解釋性原則",
    52: "紀錄留存",
    53: "生成式人工智慧",
    54: "永續發展原則",
}

# Every item (款, 目, 1、) of the source, as article-item-subitem references.
ITEM_REFS = [
    "2-1", "2-1-1", "2-1-2", "2-1-3", "2-2", "2-3", "2-4", "2-5", "2-6",
    "3-1", "3-2", "3-3",
    "4-1", "4-1-1", "4-1-2", "4-1-3", "4-1-3-1", "4-1-3-2", "4-1-3-3", "4-1-3-4", "4-1-4",
    "4-1-5", "4-1-6", "4-2", "4-3",
    "5-1", "5-2", "5-3", "5-3-1", "5-3-2", "5-3-3",
    "6-1", "6-2", "6-3", "6-3-1", "6-3-2", "6-3-3", "6-3-4", "6-3-5", "6-3-6", "6-4",
    "7-1", "7-2", "7-3",
    "8-1", "8-1-1", "8-2", "8-2-1", "8-2-2", "8-2-3",
    "8-3", "8-3-1", "8-3-2", "8-3-3", "8-3-4", "8-3-5", "8-3-6",
    "8-4", "8-4-1", "8-4-2", "8-4-3", "8-4-4", "8-5",
    "8-6", "8-6-1", "8-6-2", "8-6-3", "8-6-3-1", "8-6-3-2", "8-6-3-3", "8-6-4",
    "8-7", "8-7-1", "8-7-2", "8-7-3", "8-7-4", "8-7-5", "8-7-6",
    "9-1", "9-2", "9-3", "9-4", "9-5", "9-6",
    "12-1", "12-1-1", "12-1-2", "12-1-3", "12-1-4", "12-2",
    "13-1", "13-2", "13-3", "13-4",
    "14-1", "14-2",
    "15-1", "15-2",
    "17-1", "17-2", "17-3", "17-4", "17-4-1", "17-4-2", "17-4-3", "17-4-4", "17-4-5", "17-4-6",
    "17-4-7", "17-5",
    "18-1", "18-2", "18-3",
    "19-1", "19-2", "19-3",
    "20-1", "20-2", "20-3", "20-4", "20-5",
    "34-1", "34-2", "34-3", "34-4", "34-5",
    "35-1", "35-1-1", "35-1-2", "35-1-3", "35-2", "35-3", "35-4", "35-5",
    "36-1", "36-2", "36-3", "36-4", "36-5", "36-6", "36-7",
    "37-1", "37-2",
    "39-1", "39-2",
    "40-1", "40-2", "40-3",
    "42-1", "42-2",
    "43-1", "43-2", "43-3",
    "45-1", "45-2",
    "46-1", "46-2", "46-3", "46-4",
    "47-1", "47-2", "47-3", "47-4",
    "48-1", "48-2", "48-3", "48-4",
    "49-1", "49-2",
    "50-1", "50-2",
    "51-1", "51-2",
    "53-1", "53-2", "53-3", "53-4",
    "54-1", "54-2",
]

# Articles without items (a single paragraph).
ARTICLES_WITHOUT_ITEMS = {1, 10, 11, 16, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 38, 41,
                          44, 52}

# Nodes that are not assessed: definitions, purpose, scope, and parents whose lead is only
# given substance by their items (chapters are never assessable).
NOT_ASSESSABLE = {
    "art-1",
    "art-2", "art-2-1", "art-2-1-1", "art-2-1-2", "art-2-1-3", "art-2-2", "art-2-3", "art-2-4",
    "art-2-5", "art-2-6",
    "art-3", "art-3-1", "art-3-2",
    "art-4", "art-4-1", "art-5", "art-5-3", "art-6", "art-6-3", "art-7",
    "art-8-1", "art-8-2", "art-8-3", "art-8-4", "art-8-6", "art-8-6-3", "art-8-7",
    "art-9", "art-10", "art-11", "art-12", "art-13", "art-14",
    "art-15", "art-15-1", "art-15-2", "art-16", "art-17", "art-17-4", "art-18", "art-19",
    "art-20", "art-21", "art-31", "art-32", "art-33", "art-34", "art-35", "art-36", "art-37",
    "art-38", "art-39", "art-40", "art-42", "art-42-1", "art-42-2", "art-43", "art-43-1",
    "art-43-2", "art-45", "art-46", "art-47", "art-48", "art-49", "art-50", "art-51", "art-53",
    "art-54",
}

# Parents whose lead sentence itself imposes an obligation beyond their items.
ASSESSABLE_PARENTS = {"art-8", "art-4-1-3", "art-12-1", "art-35-1"}

# 宜 (should): every should node. There is no assessable may (得/可) node: each 得/可 in the
# source is either a scope permission (3-2) or part of an item whose core verb is stronger.
SHOULD = {
    "art-4-1-3-1", "art-4-1-3-2", "art-4-1-3-3", "art-4-1-3-4",
    "art-5-3-3",
    "art-6-3-1", "art-6-3-2", "art-6-3-3", "art-6-3-4", "art-6-3-5", "art-6-3-6",
    "art-8-3-3", "art-8-3-4", "art-8-3-6", "art-8-6-4",
    "art-8-7-1", "art-8-7-2", "art-8-7-3", "art-8-7-4", "art-8-7-5", "art-8-7-6",
    "art-18-3",
    "art-47-1",
    "art-48-2", "art-48-4",
}
MAY: set[str] = set()

# Items whose wording mixes verb strengths; the recorded obligation is the core one.
MIXED = {
    "art-3-3": "shall",  # 可依母公司 … 惟須不低於 … 仍應
    "art-6-1": "shall",  # 應落實 … 宜依 … 得視需要 … 且應遵循
    "art-9-2": "shall",  # 應以 … 宜考量 … 得於
    "art-14-1": "shall",  # 應制定 … 宜不定時監看
    "art-26": "shall",  # 應依據 … 宜優先採購
    "art-43-3": "shall",
    "art-46-3": "shall",  # 應評估 … 得由 … 宜包括
    "art-48-4": "should",  # 宜評估 … 得不提供
    "art-51-1": "shall",  # 應告知 … 另宜
    "art-53-2": "shall",  # 不得 … 但 … 得
}

CONDITIONS = {
    "ch-2": {"uses": {"contains": "cloud"}},
    "art-13": {"uses": {"contains": "social_media"}},
    "art-14": {"uses": {"contains": "social_media"}},
    "ch-4": {"uses": {"contains_any": ["mobile_devices", "byod", "mobile_app"]}},
    "art-17": {"uses": {"contains": "mobile_devices"}},
    "art-18": {"uses": {"contains": "byod"}},
    "art-19": {"uses": {"contains": "mobile_app"}},
    "art-20": {"uses": {"contains": "mobile_app"}},
    "ch-5": {"uses": {"contains": "iot"}},
    "ch-6": {"internet_order": {"eq": True}},
    "art-39": {"uses": {"contains": "phone_trading"}},
    "art-40": {"uses": {"contains": "video_identity"}},
    # art. 42-2 (line 927): 生成式人工智慧（Generative AI）：為人工智慧的一種
    "ch-8": {"uses": {"contains_any": ["ai", "generative_ai"]}},
    "art-53": {"uses": {"contains": "generative_ai"}},
    # the narrow conditions, on the facts (issue 8), each with its source line
    "art-3-3": {"facts.foreign_group_entity": {"eq": True}},  # 72 外資集團在臺子公司或分公司
    "art-43-3": {"facts.foreign_group_entity": {"eq": True}},  # 949
    "art-4-1-5": {"facts.offshore_processing": {"eq": True}},  # 110 如將作業項目委託至境外處理
    "art-8-6-3-2": {"facts.offshore_processing": {"eq": True}},  # 332 境外當地資料保護法規
    "art-6-3": {"facts.material_cloud_outsourcing": {"eq": True}},  # 190 涉及重大性之雲端委外作業者
    "art-8-7": {"facts.material_cloud_outsourcing": {"eq": True}},  # 346
    "art-9-2": {"facts.material_cloud_outsourcing": {"eq": True}},  # 380
    "art-7-2": {"facts.natural_person_material_system_on_cloud": {"eq": True}},  # 216
    "art-8-6-3-3": {"facts.natural_person_material_system_on_cloud": {"eq": True}},  # 334
    "art-8-3-6": {"facts.hybrid_cloud": {"eq": True}},  # 279 雲地混合模式
    "art-8-6-2": {"facts.cross_border_personal_data": {"eq": True}},  # 316 個人資料跨境傳輸
    "art-46-4": {"facts.consumer_facing_ai": {"eq": True}},  # 與消費者直接互動之金融服務前
    "art-51-1": {"facts.consumer_facing_ai": {"eq": True}},  # 與消費者直接互動時
    "art-47": {"facts.third_party_ai": {"eq": True}},  # 1014 委託第三方業者導入人工智慧系統
    "art-53-3": {"facts.third_party_ai": {"eq": True}},  # 1137 第三方業者開發之生成式人工智慧系統
}

TECHNICALLY_VERIFIABLE = {
    "art-34-1", "art-34-2", "art-34-3", "art-34-4", "art-34-5",
    "art-35-1", "art-35-5",
    "art-36-2", "art-36-3", "art-36-4", "art-36-5", "art-36-6",
}

# The source line and words of each fact condition (seed 004).
FACT_LINES = {
    "art-3-3": (72, "外資集團在臺子公司或分公司"),
    "art-43-3": (949, "外資集團在臺子公司或分公司"),
    "art-4-1-5": (110, "委託至境外處理"),
    "art-8-6-3-2": (332, "境外當地資料保護法規"),
    "art-6-3": (190, "涉及重大性之雲端委外作業"),
    "art-8-7": (346, "涉及重大性之雲端委外作業"),
    "art-9-2": (380, "涉及重大性之雲端委外作業"),
    "art-7-2": (216, "重大性自然人客戶業務資訊系統"),
    "art-8-6-3-3": (334, "重大性自然人客戶業務資訊系統"),
    "art-8-3-6": (279, "雲地混合模"),
    "art-8-6-2": (316, "個人資料跨境傳輸"),
    "art-47": (1014, "委託第三方業者導入人工智慧系統"),
    "art-53-3": (1137, "第三方業者開發之生成式人工智慧系統"),
}
# fmt: on


def _ref_key(ref: str) -> list[int]:
    return [int(part) for part in ref.split("-")]


# --- metadata -----------------------------------------------------------------------------------


def test_metadata(fw):
    assert fw.id == FRAMEWORK_ID
    assert fw.kind.value == "guideline"
    assert fw.binding is True
    assert fw.publisher.zh_tw == "證券期貨市場相關公會"
    assert fw.source_language == "zh-TW"
    assert fw.published == dt.date(2024, 12, 27)  # ROC 113.12.27; the document itself is undated
    assert fw.version == "113.12.27"
    assert fw.source.reference == "seeds/004_0386fce15c0e29a7.txt"
    assert _plain(fw.applies_when.to_data()) == _plain(
        {"industry": {"in": ["securities", "futures", "investment_trust"]}}
    )
    assert fw.name.zh_tw.endswith("新興科技資通安全管控指引")
    assert "未載日期" in fw.notes.zh_tw and "carries no date" in fw.notes.en
    assert fw.tier_rule is None and fw.effective_until is None


# --- structure ----------------------------------------------------------------------------------


def test_node_counts(fw):
    kinds = [node.kind for node in fw.requirements]
    assert kinds.count("chapter") == 8
    assert kinds.count("article") == 54
    assert kinds.count("item") == len(ITEM_REFS) == 179
    assert len(fw.requirements) == 8 + 54 + 179


def test_chapters(fw, nodes):
    chapters = [node for node in fw.requirements if node.kind == "chapter"]
    assert [node.id for node in chapters] == [f"ch-{n}" for n in CHAPTERS]
    for number, (ref, title, articles) in CHAPTERS.items():
        chapter = nodes[f"ch-{number}"]
        assert chapter.ref == ref
        assert chapter.title.zh_tw == title
        assert chapter.parent is None
        assert chapter.assessable is False
        children = [node.ref for node in fw.requirements if node.parent == chapter.id]
        assert children == [str(article) for article in articles]


def test_every_article_once(fw, nodes):
    articles = [node for node in fw.requirements if node.kind == "article"]
    refs = [node.ref for node in articles]
    assert refs == [str(n) for n in range(1, 55)]  # 1-54, each exactly once, in order
    assert [node.id for node in articles] == [f"art-{n}" for n in range(1, 55)]
    for number, title in ARTICLE_TITLES.items():
        assert nodes[f"art-{number}"].title.zh_tw == title
        assert nodes[f"art-{number}"].title.en


def test_items(fw, nodes):
    items = [node for node in fw.requirements if node.kind == "item"]
    assert sorted((node.ref for node in items), key=_ref_key) == ITEM_REFS
    assert len({node.ref for node in items}) == len(items)
    for node in items:
        assert node.id == f"art-{node.ref}"
        assert node.parent == "art-" + node.ref.rsplit("-", 1)[0]
    # the items appear in source order, each after its parent
    order = [node.ref for node in items]
    assert order == sorted(order, key=_ref_key)
    with_items = {int(ref.split("-")[0]) for ref in ITEM_REFS}
    assert with_items == set(range(1, 55)) - ARTICLES_WITHOUT_ITEMS


def test_item_headings_of_article_8(nodes):
    headings = {
        "8-1": "加密與金鑰管理",
        "8-2": "身分識別與存取控制",
        "8-3": "稽核軌跡與監控",
        "8-4": "基礎架構安全",
        "8-5": "組態安全",
        "8-6": "資料安全",
    }
    for ref, title in headings.items():
        assert nodes[f"art-{ref}"].title.zh_tw == title
    assert nodes["art-8-5"].text.zh_tw.startswith("應實施雲端服務組態管理機制")
    assert nodes["art-8-1"].text is None


# --- assessability and obligations --------------------------------------------------------------


def test_assessable(fw):
    not_assessable = {n.id for n in fw.requirements if not n.assessable and n.kind != "chapter"}
    assert not_assessable == NOT_ASSESSABLE
    parents = {n.parent for n in fw.requirements if n.parent}
    assessable_parents = {n.id for n in fw.requirements if n.assessable and n.id in parents}
    assert assessable_parents == ASSESSABLE_PARENTS
    # every article without items is assessable unless it is a definition/purpose/scope article
    for number in ARTICLES_WITHOUT_ITEMS:
        node_id = f"art-{number}"
        assert (node_id not in NOT_ASSESSABLE) == (
            number in {22, 23, 24, 25, 26, 27, 28, 29, 30, 41, 44, 52}
        )
    assert sum(n.assessable for n in fw.requirements) == 164


def test_obligations(fw, nodes):
    by_strength: dict[str, set[str]] = {"shall": set(), "should": set(), "may": set()}
    for node in fw.requirements:
        if node.assessable:
            assert node.obligation is not None, node.id
            by_strength[node.obligation.value].add(node.id)
        else:
            assert node.obligation is None, node.id
    assert by_strength["should"] == SHOULD
    assert by_strength["may"] == MAY
    assert len(by_strength["shall"]) == 164 - len(SHOULD)
    # representative shall requirements, verb 應/須/不得 in the source
    for node_id in (
        "art-4-1-1",
        "art-8",
        "art-8-6-3-1",
        "art-12-1",
        "art-22",
        "art-34-1",
        "art-35-1",
        "art-36-5",
        "art-41",
        "art-53-2",
        "art-54-1",
        "art-54-2",
    ):
        assert nodes[node_id].obligation.value == "shall", node_id
    for node_id, strength in MIXED.items():
        assert nodes[node_id].obligation.value == strength, node_id
    assert {n.id for n in fw.requirements if "mixed-obligation" in n.tags} == set(MIXED)


@needs_seed
def test_should_nodes_carry_yi(nodes):
    # each should node says 宜 itself or sits under a lead that says 宜
    for node_id in SHOULD:
        node = nodes[node_id]
        parent = nodes[node.parent]
        assert "宜" in node.text.zh_tw or "宜" in parent.text.zh_tw, node_id


# --- conditions ---------------------------------------------------------------------------------


def test_conditions(fw):
    conditions = {n.id: _plain(n.applies_when.to_data()) for n in fw.requirements if n.applies_when}
    assert conditions == {key: _plain(value) for key, value in CONDITIONS.items()}


def test_chapters_without_condition(nodes):
    for chapter in ("ch-1", "ch-3", "ch-7"):
        assert nodes[chapter].applies_when is None


def test_no_condition_is_a_tag(fw):
    # conditions are data on the facts, never tags (issue 8)
    for node in fw.requirements:
        assert not [t for t in node.tags if t.startswith("cond-")], node.id


@needs_seed
def test_fact_conditions_cite_their_source_line(nodes):
    lines = SEED.read_text(encoding="utf-8").splitlines()
    for node_id, (line, words) in FACT_LINES.items():
        assert words in lines[line - 1], (node_id, line)
        assert f"seeds/004第{line}行" in nodes[node_id].notes.zh_tw, node_id
        assert f"seed 004 line {line}" in nodes[node_id].notes.en, node_id
    for node_id in ("art-46-4", "art-51-1"):
        assert "facts.consumer_facing_ai" in nodes[node_id].notes.zh_tw


@needs_seed
def test_scopes_of_articles_3_and_43(nodes):
    lines = SEED.read_text(encoding="utf-8").splitlines()
    # 3-1 (line 62) sets chapter 2's scope; 3-2 (line 68) only permits (得): not assessed
    assert lines[61].startswith("一、 本指引適用之範圍")
    assert "得參照本指引" in lines[67]
    assert "seeds/004第62行" in nodes["art-3-1"].notes.zh_tw
    assert not nodes["art-3-1"].assessable and not nodes["art-3-2"].assessable
    # 43-1 (line 937) sets chapter 8's scope; generative AI is AI (42-2, line 927)
    assert "為人工智慧的一種" in lines[926]
    assert lines[936].startswith("一、 組織運用人工智慧，作為與消費者直接互動")
    assert "seeds/004第937行" in nodes["ch-8"].notes.zh_tw
    assert "seeds/004第927行" in nodes["ch-8"].notes.zh_tw


def test_technically_verifiable(fw):
    tagged = {n.id for n in fw.requirements if "technically-verifiable" in n.tags}
    assert tagged == TECHNICALLY_VERIFIABLE
    for node in fw.requirements:
        if node.id in tagged:
            assert node.assessable and node.notes is not None
            assert "自動" in node.notes.zh_tw and "utomat" in node.notes.en


def test_scope_of_core_system_monitoring(nodes):
    assert nodes["art-36-7"].scope.value == "core_systems"


# --- fidelity to the source ---------------------------------------------------------------------


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@needs_seed
def test_zh_text_is_verbatim(fw):
    seed = SEED.read_text(encoding="utf-8")
    seed = re.sub(r"第 \d+ 頁，共 \d+ 頁", "", seed)
    squashed = _squash(seed)
    for node in fw.requirements:
        if node.text is not None:
            assert _squash(node.text.zh_tw) in squashed, node.id
            assert node.text.en, node.id
        if node.kind in ("chapter", "article"):
            title = node.title.zh_tw
            heading = title.replace("（", "）（", 1) if title.endswith("）") else title
            assert _squash(heading) in squashed, node.id


def test_key_technical_values(nodes):
    assert "TLS 1.2（含）以上" in nodes["art-34-1"].text.zh_tw
    assert "Elliptic Curve Diffie-Hellman" in nodes["art-34-1"].text.zh_tw
    assert "達 5次者應予帳號鎖定" in nodes["art-36-5"].text.zh_tw
    assert "長度 6 個字元（含）以上" in nodes["art-36-6"].text.zh_tw
    assert "應至少留存五年" in nodes["art-37-1"].text.zh_tw
    assert "FIPS 140-2 Level 3以上" in nodes["art-35-2"].text.zh_tw
    assert "三項之任兩項以上" in nodes["art-35-1"].text.zh_tw
    assert "1個月內完成" in nodes["art-20-4"].text.zh_tw
    assert "至少每年更新一次" in nodes["art-22"].text.zh_tw


# --- mapping to NIST CSF 2.0 --------------------------------------------------------------------


def _csf_subcategories() -> set[str]:
    catalogue = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    found: set[str] = set()

    def walk(controls: list[dict[str, Any]]) -> None:
        for control in controls:
            props = {prop["name"]: prop["value"] for prop in control.get("props", [])}
            label = props.get("label", "")
            if props.get("status") != "withdrawn" and re.fullmatch(
                r"[A-Z]{2}\.[A-Z]{2}-\d{2}", label
            ):
                found.add(label)
            walk(control.get("controls", []))

    def groups(items: list[dict[str, Any]]) -> None:
        for group in items:
            walk(group.get("controls", []))
            groups(group.get("groups", []))

    groups(catalogue["catalog"]["groups"])
    return found


def test_mapping_set_header(mapping_set):
    assert mapping_set.source_framework == FRAMEWORK_ID
    assert mapping_set.target_framework == "nist-csf-2.0"
    assert mapping_set.id == f"{FRAMEWORK_ID}-to-nist-csf-2.0"


@needs_catalogue
def test_every_assessable_node_is_mapped(fw, mapping_set):
    valid = _csf_subcategories()
    assert len(valid) == 106
    assessable = {n.id for n in fw.requirements if n.assessable}
    sources = {m.source for m in mapping_set.mappings}
    assert assessable - sources == set(NO_CSF_OUTCOME)
    assert sources <= assessable, sorted(sources - assessable)
    for mapping in mapping_set.mappings:
        assert mapping.target in valid, (mapping.source, mapping.target)
        assert mapping.rationale.zh_tw and mapping.rationale.en
    pairs = [(m.source, m.target) for m in mapping_set.mappings]
    assert len(pairs) == len(set(pairs))


def test_representative_mappings(mapping_set):
    targets: dict[str, set[str]] = {}
    for mapping in mapping_set.mappings:
        targets.setdefault(mapping.source, set()).add(mapping.target)
    assert "PR.DS-02" in targets["art-34-1"]
    assert "PR.AA-03" in targets["art-35-1"]
    assert "ID.AM-01" in targets["art-22"]
    assert "GV.SC-06" in targets["art-5-1"]
    assert "PR.DS-11" in targets["art-9-3"]
    assert "PR.AT-01" in targets["art-41"]


# Provisions with no NIST CSF 2.0 outcome (issue 8): a mapping to GV.OC-02 ("stakeholders' needs
# regarding cybersecurity risk management are understood") or GV.OC-01 said so itself. Each is
# quoted from the seed with its line.
NO_CSF_OUTCOME = {
    "art-13-2": "現提示視窗告知使用者該連結非組織本身之網站",  # line 453
    "art-13-3": "以區別為官方經營之社群媒體",  # line 456
    "art-14-2": "組織經營之社群媒體應標示客戶申訴聯繫方式及處理窗口",  # line 472
    "art-48-2": "而非僅依賴單一類別或群體之數據",  # line 1047: data bias is not a CSF outcome
    "art-48-4": "運用人工智慧系統提供金融服務宜評估提供救濟選項",  # line 1061
    "art-51-1": "係利用人工智慧系統自動完成",  # line 1100
    "art-53-4": "評估是否對特定群體產生偏見或歧視",  # line 1145: AI fairness is not a CSF outcome
    "art-54-2": "適當列入永續發展綜合指標",  # line 1157
}


@needs_seed
def test_provisions_with_no_csf_outcome_are_not_mapped(nodes, mapping_set):
    seed = _squash(SEED.read_text(encoding="utf-8"))
    sources = {m.source for m in mapping_set.mappings}
    for node_id, quote in NO_CSF_OUTCOME.items():
        assert _squash(quote) in seed
        assert _squash(quote) in _squash(nodes[node_id].text.zh_tw)
        assert node_id not in sources
        assert nodes[node_id].ref in mapping_set.description.en
    for mapping in mapping_set.mappings:
        assert "no direct outcome" not in mapping.rationale.en


@needs_seed
def test_byod_restriction_is_access_management(nodes, mapping_set):
    # line 550: "組織應定期審核並限制員工自攜行動裝置使用用途、使用期間及資料種類": who may use
    # what for which data is access management (PR.AA-05), not network protection (PR.IR-01).
    assert "組織應定期審核並限制員工自攜行動裝置使用用途" in _squash(
        SEED.read_text(encoding="utf-8")
    )
    targets = {m.target for m in mapping_set.mappings if m.source == "art-18-1"}
    assert targets == {"PR.AA-05"}


def test_employee_work_rights_are_not_an_hr_security_practice(mapping_set):
    # art. 54-1 (line 1151): "尊重並保護一般受僱員工的工作權益，包括……提供適當的教育及培訓":
    # the training overlaps PR.AT-01; work rights are not cybersecurity in HR practices (GV.RR-04).
    targets = {m.target for m in mapping_set.mappings if m.source == "art-54-1"}
    assert targets == {"PR.AT-01"}
