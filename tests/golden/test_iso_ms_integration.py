"""Golden tests: integrating international management-system standards (seed 002).

Source: seeds/002_ccc95a5b722549ef.txt, a consultancy deck. Its slides on ISO 27001 (lines 838-911),
ISO 27701 (1011-1152), ISO 20000-1 (435-642), ISO 22301 (1153-1329), ISO 9001 (383-434), the
supervisors' expectations (1331-1426) and the integration methodology (1543-1652). The extraction
breaks lines inside table cells, so quotations are compared with all whitespace removed.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from finres.core.library.loader import CONTENT_DIR, load_framework_file, load_mapping_file

FRAMEWORK_ID = "iso-ms-integration"
REPO = Path(__file__).resolve().parents[2]
SEED = REPO.parent / "shared" / "seeds" / "002_ccc95a5b722549ef.txt"


def _flat(text: str) -> str:
    # NFKC: the extraction uses CJK compatibility ideographs (U+F9xx) for some characters
    text = "".join(
        unicodedata.normalize("NFKC", c) if 0xF900 <= ord(c) <= 0xFAFF else c for c in text
    )
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def seed() -> str:
    if not SEED.exists():
        pytest.skip("the seeds are not available")
    return _flat(SEED.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def fw():
    return load_framework_file(CONTENT_DIR / "frameworks" / f"{FRAMEWORK_ID}.yaml")


@pytest.fixture(scope="module")
def nodes(fw):
    return {node.id: node for node in fw.requirements}


def test_metadata(fw):
    assert fw.kind.value == "guideline"
    assert fw.binding is False  # a voluntary guideline
    assert fw.source_language == "zh-TW"
    assert fw.source.reference == "seeds/002_ccc95a5b722549ef.txt"
    assert fw.tier_rule is None and fw.applies_when is None
    assert "copyrighted by ISO" in fw.copyright.en


# --- the backbone: clauses 4-10 with their PDCA phase ----------------------------------------------

# clause -> (the deck's name, line 846-878 "Ch4. 組織背景(Context of Organization)" …, PDCA phase)
CLAUSES = {
    "cl-4": ("組織背景", "pdca-plan"),
    "cl-5": ("領導力", "pdca-plan"),
    "cl-6": ("規劃", "pdca-plan"),
    "cl-7": ("支持", "pdca-do"),
    "cl-8": ("運作", "pdca-do"),
    "cl-9": ("績效評估", "pdca-check"),
    "cl-10": ("改善", "pdca-act"),
}


def test_clauses_4_to_10_with_their_pdca_phase(nodes, seed):
    clauses = [n for n in nodes.values() if n.parent == "backbone"]
    assert [c.id for c in clauses] == list(CLAUSES)
    for clause in clauses:
        name, phase = CLAUSES[clause.id]
        assert clause.ref == clause.id[3:]
        assert clause.title.zh_tw == name
        assert _flat(f"Ch{clause.ref}.{name}").lower() in seed.lower()
        assert clause.assessable
        assert [t for t in clause.tags if t.startswith("pdca-")] == [phase]
        assert phase.removeprefix("pdca-").capitalize() in clause.guidance.en
        # the clause's points are the ISO 20000-1 slide's (lines 583-638), verbatim
        assert _flat(clause.text.zh_tw) in seed, clause.id
    # the PDCA reading is stated as ours
    assert "this file's reading" in nodes["backbone"].notes.en
    # "Plan 規劃 建立ISMS … Act 行動 維持與改進ISMS" (lines 786-800), with the wording of each phase
    for line in (
        "建立與管理風險及改進資訊安全相關之ISMS的政策、目標、過程及程序以產生與組織整體政策和目標相一致之結果。",
        "依據ISMS的政策、目標及實際經驗，評鑒及在適用時測量過程績效，並將結果回報給管理階層審查。",
    ):
        assert line in seed
        assert line in _flat(nodes["backbone"].guidance.zh_tw)


# --- what each standard adds -----------------------------------------------------------------------

STANDARDS = ["std-iso27001", "std-iso27701", "std-iso20000-1", "std-iso22301", "std-iso9001"]


def test_the_five_standards_quote_the_deck(nodes, seed):
    assert [n.id for n in nodes.values() if n.parent == "standards"] == STANDARDS
    for node_id in STANDARDS:
        assert _flat(nodes[node_id].text.zh_tw) in seed, node_id
    # line 1081: "ISO 27701擴展了ISO 27001的要求 …"
    assert nodes["std-iso27701"].text.zh_tw.startswith("ISO 27701擴展了ISO 27001的要求")


def test_iso_20000_1_adds_the_service_management_processes(nodes, seed):
    sections = [n for n in nodes.values() if n.parent == "std-iso20000-1"]
    assert [s.ref for s in sections] == [
        "ISO/IEC 20000-1 8.2",
        "ISO/IEC 20000-1 8.3",
        "ISO/IEC 20000-1 8.4",
        "ISO/IEC 20000-1 8.5",
        "ISO/IEC 20000-1 8.6",
        "ISO/IEC 20000-1 8.7",
        "ISO/IEC 20000-1 9",
    ]
    for section in sections:
        assert _flat(section.text.zh_tw) in seed, section.id
    # "- 8.7服務確信 - ▪服務可用性管理 ▪服務持續管理 ▪資訊安全管理" (lines 627-629)
    assert nodes["std-iso20000-1.8-7"].text.zh_tw == "▪服務可用性管理 ▪服務持續管理 ▪資訊安全管理"


def test_iso_27701_controller_and_processor(nodes, seed):
    controller, processor = nodes["std-iso27701.controller"], nodes["std-iso27701.processor"]
    assert "PII 共用、移轉與披露" in controller.text.zh_tw  # line 1140
    assert "PII 分享、傳輸與揭露" in processor.text.zh_tw  # line 1150
    for node in (controller, processor):
        assert _flat(node.title.zh_tw) in seed
        assert _flat(node.guidance.zh_tw.split("：", 1)[1]) in seed


def test_iso_22301_steps_and_iso_9001_principles(nodes, seed):
    steps = [n for n in nodes.values() if n.parent == "std-iso22301"]
    assert [s.ref for s in steps] == [f"ISO 22301 Step {i}" for i in range(1, 5)]
    principles = [n for n in nodes.values() if n.parent == "std-iso9001"]
    # "品質管理七項原則" (line 388)
    assert [p.title.zh_tw for p in principles] == [
        "以顧客為焦點",
        "領導統御",
        "全員參與",
        "流程方法",
        "持續改善",
        "以證據為基礎的決策",
        "關係管理",
    ]
    for node in steps + principles:
        assert _flat(node.title.zh_tw.split("：")[0]) in seed, node.id
        assert _flat(node.text.zh_tw) in seed, node.id


# --- the matrix and the six integration points -----------------------------------------------------

ROWS = {
    "mx-objectives": "管理目標",
    "mx-assets-risk": "資產收集及風險識別",
    "mx-operation": "日常作業",
    "mx-response": "應變",
    "mx-relationships": "關係管理",
}
COLUMNS = ["ISO 27701/PIMS", "ISO 27001/ISMS", "ISO 20000", "ISO 22301/BCM", "ISO 9001"]


def test_matrix_rows_quote_every_cell(nodes, seed):
    rows = [n for n in nodes.values() if n.parent == "matrix"]
    assert {r.id: r.title.zh_tw for r in rows} == ROWS
    for row in rows:
        assert row.assessable
        for part in row.text.zh_tw.split("；"):
            column, cells = part.split("：")
            assert column in COLUMNS
            for cell in cells.split("、"):
                assert _flat(cell) in seed, (row.id, cell)
    # the ISO 9001 column, in the deck's order (lines 1564, 1610-1618)
    assert [
        part.split("：")[1]
        for row in rows
        for part in row.text.zh_tw.split("；")
        if part.startswith("ISO 9001")
    ] == [
        "品質管理目標",
        "品質管理風險識別",
        "品質管理有效性量測",
        "品質事故管理",
        "第三方品質管理",
    ]
    assert "this file's reading" in nodes["matrix"].notes.en


INTEGRATION = {
    "ip-1": "績效指標整合",
    "ip-2": "資產與組態整合",
    "ip-3": "變更上線整合",
    "ip-4": "資安事件與營運持續管理整合",
    "ip-5": "客戶及供應商管理整合",
    "ip-6": "體系活動整合",
}


def test_six_integration_points(nodes, seed):
    points = [n for n in nodes.values() if n.parent == "integration"]
    assert {p.id: p.title.zh_tw for p in points} == INTEGRATION
    for point in points:
        assert _flat(point.title.zh_tw) in seed
    # "管理體系 (管理審查委員會、文件管制、稽核、矯正預防、人員認知、管理目標量測)" (lines 1634-1636)
    assert _flat(nodes["ip-6"].text.zh_tw) in seed
    activities = [n for n in nodes.values() if n.parent == "ip-6"]
    assert [a.title.zh_tw for a in activities] == [
        "管理審查委員會",
        "文件管制",
        "稽核",
        "矯正預防",
        "人員認知",
        "管理目標量測",
    ]


# --- mappings ---------------------------------------------------------------------------------------

MAPPING_SETS = {
    "iso27001-2022-annex-a": r"A\.[5-8]\.\d{1,2}",
    "nist-csf-2.0": r"(GV|ID|PR|DE|RS|RC)\.[A-Z]{2}-\d{2}",
    "twse-securities-tiered-protection": r"cc-12000-isms(-implementation|-certification)?",
    "fsc-resilience-blueprint-2025": r"m-27(\..+)?",
}


@pytest.mark.parametrize("target", MAPPING_SETS)
def test_mapping_sets(fw, target):
    mapping_set = load_mapping_file(CONTENT_DIR / "mappings" / f"{FRAMEWORK_ID}-to-{target}.yaml")
    assert mapping_set.source_framework == FRAMEWORK_ID
    assert mapping_set.target_framework == target
    assessable = {n.id for n in fw.requirements if n.assessable}
    for mapping in mapping_set.mappings:
        assert mapping.source in assessable, mapping.source
        assert re.fullmatch(MAPPING_SETS[target], mapping.target), mapping.target
        assert mapping.rationale.en and mapping.rationale.zh_tw


def test_every_integration_point_and_clause_is_mapped_to_csf():
    mapped = {
        m.source
        for m in load_mapping_file(
            CONTENT_DIR / "mappings" / f"{FRAMEWORK_ID}-to-nist-csf-2.0.yaml"
        ).mappings
    }
    for node_id in [*CLAUSES, *INTEGRATION]:
        if node_id == "ip-6":
            continue  # its six activities are mapped one by one
        assert node_id in mapped, node_id
    assert {n for n in mapped if n.startswith("ip-6.")} == {
        f"ip-6.{a}"
        for a in (
            "management-review",
            "document-control",
            "audit",
            "corrective-preventive",
            "awareness",
            "objective-measurement",
        )
    }


def test_blueprint_27_mapping():
    mapping_set = load_mapping_file(
        CONTENT_DIR / "mappings" / f"{FRAMEWORK_ID}-to-fsc-resilience-blueprint-2025.yaml"
    )
    pairs = {(m.source, m.target): m.relationship.value for m in mapping_set.mappings}
    assert pairs[("std-iso22301", "m-27.adopt-standard")] == "subset"
    assert pairs[("std-iso22301", "m-27")] == "intersect"


def test_twse_cc_12000_mapping():
    # ISO 27001 does not itself require certification, and an ISMS's scope is the organization's
    # choice, so nothing here is a superset of CC-12000 (core systems, certified, kept valid).
    mapping_set = load_mapping_file(
        CONTENT_DIR / "mappings" / f"{FRAMEWORK_ID}-to-twse-securities-tiered-protection.yaml"
    )
    assert {m.relationship.value for m in mapping_set.mappings} == {"intersect"}


# --- the binding items for insurers (lines 1396-1398) --------------------------------------------


def test_insurers_certification_is_conditioned_on_the_facts(nodes, seed):
    import datetime as dt

    from finres.core.applicability import applicable
    from finres.core.library import load_library
    from finres.core.profile import InstitutionProfile

    item = nodes["ins-ecommerce-remote"]
    # "保險業辦理電子商務、遠距投保及保險服務業務，應取得資訊安全管理系統國際標準認證（ISO27001）、
    # 個人資料管理系統（PIMS）之認證。"
    assert _flat(item.text.zh_tw) in seed
    assert item.text.zh_tw.startswith("保險業辦理電子商務、遠距投保及保險服務業務，應取得")
    assert item.obligation.value == "shall"
    assert item.applies_when.to_data() == {
        "all": [{"industry": {"eq": "insurance"}}, {"facts.remote_insurance": {"eq": True}}]
    }
    children = [n for n in nodes.values() if n.parent == item.id]
    assert [c.id for c in children] == [
        "ins-ecommerce-remote.iso27001",
        "ins-ecommerce-remote.pims",
    ]
    for child in children:
        assert _flat(child.text.zh_tw) in seed and child.obligation.value == "shall"
    assert "第1396–1398行" in item.notes.zh_tw

    library = load_library()
    ids = {item.id, *(c.id for c in children)}

    def answer(industry: str, facts: dict, named: bool = True) -> dict:
        profile = InstitutionProfile(
            name="x", industry=industry, paid_in_capital=10**10, facts=facts
        )
        chosen = ["iso-ms-integration"] if named else None
        result = applicable(library, profile, dt.date(2026, 6, 30), frameworks=chosen)
        return {
            r.node.id: (r.status.value, r.depends_on)
            for r in result.requirements
            if r.node.id in ids
        }

    unknown = answer("insurance", {})
    assert unknown == {i: ("conditional", ("remote_insurance",)) for i in ids}
    assert answer("insurance", {"remote_insurance": True}) == {i: ("in_force", ()) for i in ids}
    assert answer("insurance", {"remote_insurance": False}) == {}
    assert answer("bank", {"remote_insurance": True}) == {}
    # The rules it restates bind insurers: listed by default, without naming the voluntary
    # framework, and alone (the guideline's own items stay voluntary).
    assert item.binding is True
    by_default = answer("insurance", {"remote_insurance": True}, named=False)
    assert by_default == {i: ("in_force", ()) for i in ids}
    profile = InstitutionProfile(name="x", industry="insurance", paid_in_capital=10**10)
    listed = applicable(library, profile, dt.date(2026, 6, 30)).requirements
    assert {r.node.id for r in listed if r.framework.id == "iso-ms-integration"} == ids


# Titles and texts this file composes (labels, or cells joined with "；"): every other zh-TW
# title, text and guidance is the deck's wording.
# Chapter headings of this file's own (the deck has none for these groupings).
OUR_HEADINGS = {("backbone", "title"), ("standards", "title"), ("integration", "title")}

COMPOSED = {
    ("backbone", "guidance"),
    *((f"cl-{n}", "guidance") for n in range(4, 11)),
    ("std-iso27001", "title"), ("std-iso27701", "title"), ("std-iso20000-1", "title"),
    ("std-iso22301", "title"), ("std-iso9001", "title"), ("std-iso22301.analysis", "title"),
    ("std-iso27701.controller", "text"), ("std-iso27701.controller", "guidance"),
    ("std-iso27701.processor", "text"), ("std-iso27701.processor", "guidance"),
    ("matrix", "text"), *((row, "text") for row in ROWS),
}  # fmt: skip


def test_zh_wording_is_the_decks(fw, seed):
    for node in fw.requirements:
        for field in ("title", "text", "guidance"):
            value = getattr(node, field)
            if value is None or (node.id, field) in COMPOSED | OUR_HEADINGS:
                continue
            assert _flat(value.zh_tw) in seed, (node.id, field)
    # the composed ones quote the deck in their parts
    for node_id, field in COMPOSED:
        value = getattr(next(n for n in fw.requirements if n.id == node_id), field).zh_tw
        for part in re.split(r"[；\n]", value):
            core = re.sub(r"^[^：]*：", "", part) if "：" in part else part
            pieces = [p for p in re.split(r"[、／（）×]", core) if len(_flat(p)) >= 2]
            assert pieces, (node_id, field)
            for piece in pieces:
                assert _flat(piece) in seed, (node_id, field, piece)
