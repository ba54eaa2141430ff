"""The demo securities firm's critical services, their BIA and what they depend on, built on
the registers' demo systems, sites and suppliers, with three saved scenarios.

What the analysis shows after ``make run``: e-trading cannot meet its 2-hour RTO (nor its
5-minute RPO) when the cloud identity service is down, and that service is a single point of
failure; settlement's RPO of zero is not met by the settlement system's 30-minute backups; the
ransomware scenario breaches e-trading's and settlement's RTO; losing the Neihu data centre costs
only failovers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from finres.web.continuity.models import (
    CriticalService,
    Dependency,
    ImpactRating,
    Node,
    RecoveryLayer,
    Scenario,
)
from finres.web.registers.models import InformationSystem, Site, Supplier

H, D = 60, 24 * 60

SERVICES: tuple[dict[str, Any], ...] = (
    {
        "code": "SVC-ETRADE",
        "name": "電子下單（網路及 App）",
        "owner": "經紀業務部",
        "description": "客戶透過網站、API 及行動 App 委託下單及查詢成交回報。",
        "mtpd_minutes": 8 * H,
        "rto_minutes": 2 * H,
        "rpo_minutes": 5,
        "minimum_service_level": "至少一個下單管道（網路或 App）可委託及查詢委託回報；行情可延遲。",
        "impacts": {"1h": (2, 3, 2, 3), "4h": (3, 4, 3, 4), "1d": (4, 4, 4, 4), "3d": (4, 4, 4, 4)},
    },
    {
        "code": "SVC-SETTLE",
        "name": "款券交割",
        "owner": "交割部",
        "description": "當日成交之款券交割、集保及銀行端介接。",
        "mtpd_minutes": 1 * D,
        "rto_minutes": 4 * H,
        "rpo_minutes": 0,
        "minimum_service_level": "當日應交割款券於截止時點前完成；對帳可次日補正。",
        "impacts": {"1h": (1, 1, 1, 1), "4h": (3, 2, 3, 2), "1d": (4, 3, 4, 4), "1w": (4, 4, 4, 4)},
    },
    {
        "code": "SVC-VOICE",
        "name": "客戶服務（電話語音下單）",
        "owner": "客戶服務中心",
        "description": "電話語音下單及客服專線。",
        "mtpd_minutes": 1 * D,
        "rto_minutes": 8 * H,
        "rpo_minutes": 1 * H,
        "minimum_service_level": "客服專線可人工受理緊急委託。",
        "impacts": {"4h": (1, 2, 1, 2), "1d": (2, 3, 2, 3), "3d": (3, 3, 3, 3)},
    },
)

# code, kind, name, register code, recovery time, recovery point, failover time, tags,
# requires, alternative groups
NODES: tuple[tuple[Any, ...], ...] = (
    ("SVC-ETRADE", "service", "電子下單（網路及 App）", None, 0, 0, 0, [], ["PRC-ORDER"], []),
    ("SVC-SETTLE", "service", "款券交割", None, 0, 0, 0, [], ["PRC-SETTLE"], []),
    ("SVC-VOICE", "service", "客戶服務（電話語音下單）", None, 0, 0, 0, [], ["PRC-CALL"], []),
    (
        "PRC-ORDER",
        "process",
        "委託下單作業",
        None,
        0,
        0,
        10,
        [],
        ["SYS-TRADE", "AUTH"],
        [["SYS-ETRADE", "SYS-MOBILE"]],
    ),
    ("PRC-SETTLE", "process", "交割作業", None, 0, 0, 0, [], ["SYS-SETTLE", "TWSE-LINK"], []),
    ("PRC-CALL", "process", "語音及客服作業", None, 0, 0, 0, [], ["IVR", "SYS-TRADE"], []),
    (
        "SYS-TRADE",
        "system",
        "證券交易核心系統",
        "SYS-TRADE",
        1 * H,
        0,
        30,
        ["core"],
        ["DB-TRADE"],
        [["DC-NH", "DC-TC"]],
    ),
    (
        "SYS-ETRADE",
        "system",
        "網路下單系統",
        "SYS-ETRADE",
        1 * H,
        5,
        20,
        ["core", "internet"],
        ["SUP-TEL"],
        [["IDC-BQ", "DC-TC"]],
    ),
    (
        "SYS-MOBILE",
        "system",
        "行動下單 App 後端",
        "SYS-MOBILE",
        2 * H,
        15,
        30,
        ["cloud", "internet"],
        ["SUP-AWS"],
        [["AWS-TPE", "DC-NH"]],
    ),
    (
        "SYS-SETTLE",
        "system",
        "交割結算系統",
        "SYS-SETTLE",
        3 * H,
        30,
        1 * H,
        ["core"],
        ["DB-TRADE"],
        [["DC-NH", "DC-TC"]],
    ),
    (
        "AUTH",
        "system",
        "客戶身分驗證（雲端身分服務）",
        None,
        2 * H,
        15,
        0,
        ["internet"],
        ["SUP-MS"],
        [],
    ),
    (
        "IVR",
        "system",
        "語音下單系統",
        None,
        4 * H,
        1 * H,
        1 * H,
        ["core"],
        [],
        [["DC-NH", "DC-TC"]],
    ),
    (
        "DB-TRADE",
        "data_store",
        "交易資料庫",
        None,
        2 * H,
        5,
        15,
        ["core"],
        [],
        [["DC-NH", "DC-TC"]],
    ),
    ("TWSE-LINK", "infrastructure", "證交所及集保連線", None, 2 * H, 0, 0, [], ["SUP-TEL"], []),
    ("SUP-TEL", "supplier", "範例電信（交易專線）", "SUP-TEL", 4 * H, 0, 0, [], [], []),
    ("SUP-AWS", "supplier", "AWS", "SUP-AWS", 3 * H, 15, 0, ["cloud"], [], []),
    ("SUP-MS", "supplier", "Microsoft（雲端身分服務）", "SUP-MS", 6 * H, 30, 0, ["cloud"], [], []),
    ("DC-NH", "site", "內湖主機房", "DC-NH", 3 * D, 0, 0, ["north"], [], []),
    ("DC-TC", "site", "臺中異地備援機房", "DC-TC", 3 * D, 0, 0, [], [], []),
    ("IDC-BQ", "site", "板橋電信 IDC", "IDC-BQ", 2 * D, 0, 0, ["north"], [], []),
    ("AWS-TPE", "site", "AWS 台北區域", "AWS-TPE", 1 * D, 0, 0, ["cloud"], [], []),
)

# node, layer, site, recovery time, recovery point, demonstrated (days ago) or None
LAYERS: tuple[tuple[Any, ...], ...] = (
    ("SYS-TRADE", "local", "DC-NH", 1 * H, 0, 90),
    ("SYS-TRADE", "off_site", "DC-TC", 4 * H, 15, 90),
    ("SYS-TRADE", "cloud", "AWS-TPE", 8 * H, 1 * D, None),
    ("SYS-SETTLE", "local", "DC-NH", 3 * H, 30, 120),
    ("SYS-SETTLE", "third_site", None, 6 * H, 1 * H, 300),
    ("DB-TRADE", "local", "DC-NH", 2 * H, 5, 60),
)

SCENARIOS: tuple[dict[str, Any], ...] = (
    {
        "code": "SCN-DC-NH",
        "name": "內湖主機房失效",
        "description": "主機房全毀（火災、長時間停電），各系統切換至臺中異地備援機房。",
        "fail": ["DC-NH"],
    },
    {
        "code": "SCN-TEL",
        "name": "電信業者中斷",
        "description": "交易專線及網路下單線路之電信業者全面中斷（供應商不可用）。",
        "fail": ["SUP-TEL"],
    },
    {
        "code": "SCN-RANSOM",
        "name": "勒索軟體加密所有核心系統",
        "description": "所有標記為 core 之系統及資料庫遭加密，須自備份還原。",
        "fail_tagged": ["core"],
    },
)


def load(context: Any) -> None:
    securities = context.organisations.get("securities")
    if securities is None or CriticalService.objects.filter(organisation=securities).exists():
        return
    today = timezone.localdate()
    systems = {s.code: s for s in InformationSystem.objects.filter(organisation=securities)}
    suppliers = {s.code: s for s in Supplier.objects.filter(organisation=securities)}
    sites = {s.code: s for s in Site.objects.filter(organisation=securities)}
    services: dict[str, CriticalService] = {}
    for data in SERVICES:
        values = {k: v for k, v in data.items() if k != "impacts"}
        service = CriticalService(
            organisation=securities, reviewed_on=today - dt.timedelta(days=45), **values
        )
        service.full_clean()
        service.save()
        services[service.code] = service
        for bucket, (financial, customer, regulatory, reputational) in data["impacts"].items():
            ImpactRating.objects.create(
                organisation=securities,
                service=service,
                bucket=bucket,
                financial=financial,
                customer=customer,
                regulatory=regulatory,
                reputational=reputational,
            )
    nodes: dict[str, Node] = {}
    for code, kind, name, register, time, point, failover, tags, _req, _groups in NODES:
        link: dict[str, Any] = {}
        if kind == "service":
            link["service"] = services[code]
        elif register and kind in ("system", "data_store"):
            link["system"] = systems.get(register)
        elif register and kind == "supplier":
            link["supplier"] = suppliers.get(register)
        elif register and kind == "site":
            link["site"] = sites.get(register)
        node = Node(
            organisation=securities,
            code=code,
            name=name,
            kind=kind,
            recovery_time_minutes=time,
            recovery_point_minutes=point,
            failover_time_minutes=failover,
            tags=tags,
            **link,
        )
        node.full_clean()
        node.save()
        nodes[code] = node
    for code, *_values, requires, groups in NODES:
        for target in requires:
            Dependency.objects.create(
                organisation=securities, node=nodes[code], target=nodes[target]
            )
        for index, members in enumerate(groups, start=1):
            for target in members:
                Dependency.objects.create(
                    organisation=securities,
                    node=nodes[code],
                    target=nodes[target],
                    group=f"group-{index}",
                )
    for node_code, layer, site, time, point, days in LAYERS:
        RecoveryLayer.objects.create(
            organisation=securities,
            node=nodes[node_code],
            layer=layer,
            site=sites.get(site) if site else None,
            recovery_time_minutes=time,
            recovery_point_minutes=point,
            demonstrated_on=today - dt.timedelta(days=days) if days is not None else None,
        )
    for data in SCENARIOS:
        scenario = Scenario.objects.create(
            organisation=securities,
            code=data["code"],
            name=data["name"],
            description=data["description"],
            fail_tagged=data.get("fail_tagged", []),
        )
        scenario.fail.set([nodes[code] for code in data.get("fail", [])])
    # the drills stand on the graph above, and the incidents on both
    from finres.web.continuity import drill_demo

    drill_demo.load(context)
    from finres.web.incidents import demo as incidents_demo

    incidents_demo.load(context)
