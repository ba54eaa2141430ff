"""Golden tests: the TWSE tiered-protection framework pinned against its source deck.

Source: seeds/003_3f715fafbd50c6ee.txt (TWSE, 資通安全分級防護).
"""

from __future__ import annotations

import datetime as dt

import pytest

from finres.core.library.loader import CONTENT_DIR, load_framework_file, load_mapping_file

FRAMEWORK_ID = "twse-securities-tiered-protection"


@pytest.fixture(scope="module")
def fw():
    return load_framework_file(CONTENT_DIR / "frameworks" / f"{FRAMEWORK_ID}.yaml")


@pytest.fixture(scope="module")
def nodes(fw):
    return {node.id: node for node in fw.requirements}


@pytest.fixture(scope="module")
def mapping_set():
    return load_mapping_file(CONTENT_DIR / "mappings" / f"{FRAMEWORK_ID}-to-nist-csf-2.0.yaml")


# --- framework metadata -------------------------------------------------------------------------


def test_metadata(fw):
    assert fw.id == FRAMEWORK_ID
    assert fw.kind.value == "regulation"
    assert fw.binding is True
    assert fw.publisher.zh_tw == "臺灣證券交易所"
    assert fw.publisher.en == "Taiwan Stock Exchange"
    assert fw.source_language == "zh-TW"
    assert fw.published == dt.date(2020, 1, 1)
    assert fw.version == "2020"
    assert fw.source.reference == "seeds/003_3f715fafbd50c6ee.txt"
    assert fw.applies_when.to_data() == {"industry": {"eq": "securities"}}
    assert fw.effective_until is None and fw.superseded_by is None
    assert "108年第一次證券期貨市場資通安全會議" in fw.description.zh_tw


# --- tier rule ----------------------------------------------------------------------------------


def test_tier_rule_bands(fw):
    rule = fw.tier_rule
    assert [i.value for i in rule.industries] == ["securities"]
    assert rule.basis == "paid_in_capital"
    bands = {band.tier: band for band in rule.bands}
    assert sorted(bands) == [1, 2, 3, 4]
    assert (bands[1].min_capital, bands[1].below_capital) == (20_000_000_000, None)
    assert (bands[2].min_capital, bands[2].below_capital) == (10_000_000_000, 20_000_000_000)
    assert (bands[3].min_capital, bands[3].below_capital) == (4_000_000_000, 10_000_000_000)
    assert bands[4].min_capital in (None, 0) and bands[4].below_capital == 4_000_000_000
    assert "200億以上" in bands[1].source_text
    assert "未達200億100億以上" in bands[2].source_text
    assert "40億以上" in bands[3].source_text and "未達100億" in bands[3].source_text
    assert "未達40億" in bands[4].source_text
    # the number of firms per tier at the time of the deck
    for tier, count in {1: 3, 2: 6, 3: 10, 4: 45}.items():
        assert f"({count})" in bands[tier].source_text
        assert f"({count})" in bands[tier].notes.zh_tw
    assert "指撥營運資金" in rule.notes.zh_tw
    assert "allocated operating capital" in rule.notes.en


@pytest.mark.parametrize(
    ("capital", "tier"),
    [
        (0, 4),
        (1, 4),
        (3_999_999_999, 4),
        (4_000_000_000, 3),
        (9_999_999_999, 3),
        (10_000_000_000, 2),
        (19_999_999_999, 2),
        (20_000_000_000, 1),
        (500_000_000_000, 1),
    ],
)
def test_tier_for_capital(fw, capital, tier):
    assert fw.tier_rule.tier_for(capital) == tier


# --- structure ----------------------------------------------------------------------------------

MAINTAINED = [
    ("maintained-security-staffing", "資通安全人員配置"),
    ("maintained-internal-audit", "內部資通安全稽核"),
    ("maintained-website-vulnerability-scanning", "網站安全弱點檢測"),
    ("maintained-training-dedicated", "資通安全教育訓練(專責)"),
    ("maintained-training-general", "資通安全教育訓練(一般)"),
]

# id: (parent, ref, title zh-TW, tiers, scope, effective_from, due_by, assessable)
ALL = [1, 2, 3, 4]
D110, D111, D112 = dt.date(2021, 1, 1), dt.date(2022, 1, 1), dt.date(2023, 1, 1)
NEW_ITEMS = {
    "cc-17010-antivirus": (
        "new-or-revised",
        "CC-17010",
        "防毒軟體",
        ALL,
        "whole_company",
        D110,
        None,
        True,
    ),
    "cc-17010-firewall": (
        "new-or-revised",
        "CC-17010",
        "網路防火牆",
        ALL,
        "whole_company",
        D110,
        None,
        False,
    ),
    "cc-17010-firewall-establish": (
        "cc-17010-firewall",
        "CC-17010",
        None,
        ALL,
        "whole_company",
        D110,
        None,
        True,
    ),
    "cc-17010-firewall-dedicated-admin": (
        "cc-17010-firewall",
        "CC-17010",
        None,
        ALL,
        "whole_company",
        D110,
        None,
        True,
    ),
    "cc-17010-firewall-log-retention": (
        "cc-17010-firewall",
        "CC-17010",
        None,
        ALL,
        "whole_company",
        D110,
        None,
        True,
    ),
    "cc-17010-firewall-internet-isolation": (
        "cc-17010-firewall",
        "CC-17010",
        None,
        ALL,
        "whole_company",
        D110,
        None,
        True,
    ),
    "cc-17010-firewall-config-approval": (
        "cc-17010-firewall",
        "CC-17010",
        None,
        ALL,
        "whole_company",
        D110,
        None,
        True,
    ),
    "cc-17010-email-filtering": (
        "new-or-revised",
        "CC-17010",
        "電子郵件過濾機制",
        ALL,
        "whole_company",
        D110,
        None,
        False,
    ),
    "cc-17010-email-usage-rules": (
        "cc-17010-email-filtering",
        "CC-17010",
        None,
        ALL,
        "whole_company",
        D110,
        None,
        True,
    ),
    "cc-17010-email-filter-mechanism": (
        "cc-17010-email-filtering",
        "CC-17010",
        None,
        ALL,
        "whole_company",
        D110,
        None,
        True,
    ),
    "cc-14000-system-classification": (
        "new-or-revised",
        "CC-14000",
        "資訊系統分級",
        ALL,
        "whole_company",
        D111,
        None,
        False,
    ),
    "cc-14000-system-classification-classify": (
        "cc-14000-system-classification",
        "CC-14000",
        None,
        ALL,
        "whole_company",
        D111,
        None,
        True,
    ),
    "cc-14000-system-classification-annual-review": (
        "cc-14000-system-classification",
        "CC-14000",
        None,
        ALL,
        "whole_company",
        D111,
        None,
        True,
    ),
    "cc-12000-isms": (
        "new-or-revised",
        "CC-12000",
        "資訊安全管理系統導入及通過驗證",
        [1, 2, 3],
        "core_systems",
        D111,
        None,
        False,
    ),
    "cc-12000-isms-implementation": (
        "cc-12000-isms",
        "CC-12000",
        None,
        [1, 2, 3],
        "core_systems",
        D111,
        dt.date(2022, 12, 31),
        True,
    ),
    "cc-12000-isms-certification": (
        "cc-12000-isms",
        "CC-12000",
        None,
        [1, 2],
        "core_systems",
        D111,
        dt.date(2023, 12, 31),
        True,
    ),
    "cc-20000-business-continuity": (
        "new-or-revised",
        "CC-20000",
        "業務持續運作演練",
        [1, 2, 3],
        "core_systems",
        D111,
        None,
        False,
    ),
    "cc-20000-bcp": (
        "cc-20000-business-continuity",
        "CC-20000",
        None,
        [1, 2, 3],
        "core_systems",
        D111,
        None,
        True,
    ),
    "cc-20000-business-impact-analysis": (
        "cc-20000-business-continuity",
        "CC-20000",
        None,
        [1, 2, 3],
        "core_systems",
        D111,
        None,
        True,
    ),
    "cc-20000-tolerable-outage-time": (
        "cc-20000-business-continuity",
        "CC-20000",
        None,
        [1, 2, 3],
        "core_systems",
        D111,
        None,
        True,
    ),
    "cc-20000-continuity-exercise": (
        "cc-20000-business-continuity",
        "CC-20000",
        None,
        [1, 2, 3],
        "core_systems",
        D111,
        None,
        True,
    ),
    "cc-17010-penetration-test": (
        "new-or-revised",
        "CC-17010",
        "系統滲透測試",
        [1, 2, 3],
        "internet_facing_core_systems",
        D111,
        None,
        False,
    ),
    "cc-17010-penetration-test-conduct": (
        "cc-17010-penetration-test",
        "CC-17010",
        None,
        [1, 2, 3],
        "internet_facing_core_systems",
        D111,
        None,
        True,
    ),
    "cc-17010-penetration-test-remediation": (
        "cc-17010-penetration-test",
        "CC-17010",
        None,
        [1, 2, 3],
        "internet_facing_core_systems",
        D111,
        None,
        True,
    ),
    "cc-17010-health-check": (
        "new-or-revised",
        "CC-17010",
        "資通安全健診",
        [1, 2, 3],
        "whole_company",
        D112,
        None,
        True,
    ),
    "cc-17010-threat-detection": (
        "new-or-revised",
        "CC-17010",
        "資通安全威脅偵測管理機制",
        [1, 2],
        "whole_company",
        D112,
        None,
        True,
    ),
    "cc-17010-intrusion-detection-prevention": (
        "new-or-revised",
        "CC-17010",
        "入侵偵測及防禦機制",
        [1, 2],
        "whole_company",
        D112,
        None,
        True,
    ),
    "cc-17010-web-application-firewall": (
        "new-or-revised",
        "CC-17010",
        "應用程式防火牆",
        [1, 2],
        "whole_company",
        D112,
        None,
        True,
    ),
    "cc-17010-apt-defence": (
        "new-or-revised",
        "CC-17010",
        "進階持續性威脅攻擊防禦措施",
        [1],
        "whole_company",
        D112,
        None,
        True,
    ),
    "cc-13000-security-certification": (
        "new-or-revised",
        "CC-13000",
        "資安人員應取得並維持資安專業證照",
        [1, 2, 3],
        "whole_company",
        D112,
        None,
        True,
    ),
}

CHECKLIST_DOMAINS = {
    "CC-11000": "風險評鑑與管理",
    "CC-12000": "資訊安全政策",
    "CC-13000": "安全組織",
    "CC-14000": "資產分類與控制",
    "CC-15000": "人員安全",
    "CC-16000": "實體與環境安全",
    "CC-17000": "通訊與作業管理",
    "CC-18000": "存取控制",
    "CC-19000": "系統開發及維護",
    "CC-20000": "營運持續管理",
    "CC-21000": "符合性",
    "CC-21100": "新興科技應用",
    "CC-22000": "其他",
}


def test_node_counts(fw):
    assessable = [n for n in fw.requirements if n.assessable]
    assert len(fw.requirements) == 52
    assert len(assessable) == 29
    assert sum(1 for n in assessable if n.parent == "maintained") == 5
    expected_ids = {"maintained", "new-or-revised", "inspection-checklist", "cc-17010"}
    expected_ids |= {i for i, _ in MAINTAINED} | set(NEW_ITEMS)
    expected_ids |= {ref.lower() for ref in CHECKLIST_DOMAINS}
    assert {n.id for n in fw.requirements} == expected_ids


@pytest.mark.parametrize(("node_id", "title"), MAINTAINED)
def test_maintained_items(nodes, node_id, title):
    node = nodes[node_id]
    assert node.parent == "maintained"
    assert node.title.zh_tw == title
    assert node.assessable is True
    assert node.obligation.value == "shall"
    assert node.tiers == [1, 2, 3, 4]
    assert node.effective_from is None and node.due_by is None
    assert node.ref is None
    assert node.timeframe.zh_tw == "維持"
    assert node.notes is not None


@pytest.mark.parametrize("node_id", sorted(NEW_ITEMS))
def test_new_items(nodes, node_id):
    parent, ref, title, tiers, scope, start, due, assessable = NEW_ITEMS[node_id]
    node = nodes[node_id]
    assert node.parent == parent
    assert node.ref == ref
    if title is not None:
        assert node.title.zh_tw == title
    assert node.tiers == tiers
    assert node.scope.value == scope
    assert node.effective_from == start
    assert node.due_by == due
    assert node.assessable is assessable
    assert node.text.zh_tw and node.text.en
    if assessable:
        # every new or revised rule uses 應 / 需: shall
        assert node.obligation.value == "shall"
    else:
        # a parent keeps the full rule and the implementation notes; its children are assessed
        assert node.guidance.zh_tw
        children = [n for n in nodes.values() if n.parent == node_id]
        assert len(children) >= 2 and all(c.assessable for c in children)


def test_children_quote_their_parent(nodes):
    """A child's wording is a verbatim part of its parent's rule (ISMS: of its 實作 notes)."""
    for node in nodes.values():
        if node.kind == "sub-item":
            parent = nodes[node.parent]
            source = parent.guidance.zh_tw if parent.id == "cc-12000-isms" else parent.text.zh_tw
            assert node.text.zh_tw.rstrip("。") in source, node.id


def test_rule_wording_verbatim(nodes):
    assert nodes["cc-17010-antivirus"].text.zh_tw == (
        "公司應安裝防毒軟體並適時更新防毒軟體程式、病毒碼及執行掃毒。"
    )
    assert nodes["cc-12000-isms"].text.zh_tw == (
        "公司應依其所屬資安分級辦理核心系統導入資訊安全管理系統，並通過公正第三方之驗證，"
        "且持續維持驗證有效性。"
    )
    assert nodes["cc-17010-penetration-test"].text.zh_tw == (
        "公司應依其所屬資安分級定期對提供網際網路服務之核心系統辦理滲透測試，並依測試結果進行改善。"
    )
    assert nodes["cc-17010-apt-defence"].text.zh_tw == (
        "公司應依其所屬資安分級辦理進階持續性威脅攻擊防禦措施"
    )
    assert "資安專責人員取得並維持相當資通安全專業證照" in (
        nodes["cc-13000-security-certification"].text.zh_tw
    )
    assert "OWASP TOP 10" in nodes["cc-17010-web-application-firewall"].guidance.zh_tw


def test_firewall_obligations(nodes):
    expected = {
        "cc-17010-firewall-establish": "應建立防火牆",
        "cc-17010-firewall-dedicated-admin": "防火牆應有專人管理",
        "cc-17010-firewall-log-retention": "防火牆進出紀錄及其備份應至少保存三年",
        "cc-17010-firewall-internet-isolation": (
            "重要網站及伺服器系統（如網路下單系統等）應以防火牆與外部網際網路隔離"
        ),
        "cc-17010-firewall-config-approval": "防火牆系統之設定應經權責主管之核准",
    }
    for node_id, text in expected.items():
        assert nodes[node_id].text.zh_tw == text
        assert nodes[node_id].obligation.value == "shall"
    retention = nodes["cc-17010-firewall-log-retention"]
    assert "三年" in retention.text.zh_tw
    assert "three years" in retention.text.en


def test_isms_parts(nodes):
    implementation = nodes["cc-12000-isms-implementation"]
    certification = nodes["cc-12000-isms-certification"]
    assert implementation.text.zh_tw == "第1~3級券商於111年完成導入資訊安全系統。"
    assert certification.text.zh_tw == (
        "第1~2級券商需於112年內通過公正第三方驗證並持續維持驗證有效性"
    )
    assert implementation.tiers == [1, 2, 3] and certification.tiers == [1, 2]
    assert certification.due_by == dt.date(2023, 12, 31)


def test_checklist_domains(nodes):
    for ref, title in CHECKLIST_DOMAINS.items():
        node = nodes[ref.lower()]
        assert node.ref == ref
        assert node.title.zh_tw == title
        assert node.parent == "inspection-checklist"
        assert node.assessable is False and node.obligation is None
    assert nodes["cc-17010"].parent == "cc-17000"
    assert nodes["cc-17010"].title.zh_tw == "網路安全管理"


def test_timeframes_match_dates(nodes):
    years = {
        dt.date(2021, 1, 1): "110年",
        dt.date(2022, 1, 1): "111年",
        dt.date(2023, 1, 1): "112年",
    }
    for node in nodes.values():
        if node.timeframe is not None and node.effective_from is not None:
            assert node.timeframe.zh_tw.startswith(years[node.effective_from] + "生效"), node.id


def test_every_assessable_node_is_mapped(fw, mapping_set):
    assert mapping_set.source_framework == FRAMEWORK_ID
    assert mapping_set.target_framework == "nist-csf-2.0"
    sources = {m.source for m in mapping_set.mappings}
    assessable = {n.id for n in fw.requirements if n.assessable}
    assert assessable <= sources
    assert sources <= assessable
    for mapping in mapping_set.mappings:
        assert mapping.rationale.zh_tw and mapping.rationale.en
