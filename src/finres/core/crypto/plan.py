"""The risk of each system under measure 17's six factors, Mosca's inequality, and the
prioritised PQC migration plan with the measure's preparation items as milestones.

- Each factor is scored 1–5 on a scale given as data (``content/crypto/pqc.yaml``).
  data-confidentiality-period is scored from the years the data must stay secret;
  crypto-vulnerability from the most severe exposure of the system's assets; the other four
  are scored by people. A factor nobody scored counts as the middle of its scale (3), and the
  entry says so: an unscored system is neither hidden at the bottom nor put first unasked.
- Mosca: with x the years data must stay secret, y the years the migration takes and z the
  years until a quantum computer can break the cryptography (by default until NIST IR 8547's
  2035), x + y > z means the data is at risk now ("harvest now, decrypt later").
- Order: at risk now first, then unknown (x or y not given), then the others; within each,
  the higher total of the six scores first, then the worse cryptographic vulnerability, the
  greater business impact, and the system code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from finres.core.crypto.exposure import Exposure, exposure, worst
from finres.core.crypto.model import MANUAL_FACTORS, CryptoAsset, Level, Rules, load_rules
from finres.core.i18n import DEFAULT_LANGUAGE, Language

MIDDLE = 3

TEXT: dict[str, tuple[str, str]] = {
    "mosca_risk": (
        "x + y = {xy} 年 > z = {z} 年：資料保密期間加遷移時間超過威脅期限，"
        "現即有「先截收、後解密」風險",
        "x + y = {xy} years > z = {z} years: the data must stay secret beyond the threat "
        "horizon once migrated; at risk now (harvest now, decrypt later)",
    ),
    "mosca_ok": (
        "x + y = {xy} 年 ≤ z = {z} 年：於威脅期限前可完成遷移（餘 {margin} 年）",
        "x + y = {xy} years ≤ z = {z} years: the migration can finish before the threat "
        "horizon ({margin} years to spare)",
    ),
    "mosca_unknown": (
        "資料保密期間或遷移時間未填：無法以 Mosca 不等式判斷",
        "Data confidentiality period or migration time not given: Mosca's inequality "
        "cannot be decided",
    ),
    "factor": ("{name} {score}：{level}", "{name} {score}: {level}"),
    "unscored": (
        "{name} 未評分，以 3 計",
        "{name} not scored, counted as 3",
    ),
    "assets": (
        "加密資產 {total} 項，其中量子電腦可破解 {vulnerable} 項、現已不安全 {weak} 項",
        "{total} crypto assets: {vulnerable} broken by a quantum computer, {weak} weak already",
    ),
    "no_assets": ("尚未盤點加密資產", "No crypto assets inventoried"),
    "migrate": ("遷移 {system} 之加密機制", "Migrate the cryptography of {system}"),
    "unassigned": ("（未指定系統）", "(no system)"),
}


def text(key: str, language: Language, **values: Any) -> str:
    zh, en = TEXT[key]
    return (zh if language == "zh-TW" else en).format(**values)


@dataclass(frozen=True)
class SystemRisk:
    """What people say about a system: the years, the four manual factor scores (1–5)."""

    code: str
    name: str = ""
    data_secrecy_years: int | None = None
    migration_years: int | None = None
    scores: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Mosca:
    x: int | None
    y: int | None
    z: int

    @property
    def at_risk(self) -> bool | None:
        if self.x is None or self.y is None:
            return None
        return self.x + self.y > self.z

    def as_data(self, language: Language = DEFAULT_LANGUAGE) -> dict[str, Any]:
        margin = None if self.at_risk is None else self.z - (self.x or 0) - (self.y or 0)
        return {
            "x": self.x,
            "y": self.y,
            "z": self.z,
            "margin": margin,
            "at_risk_now": self.at_risk,
            "explanation": self.explanation(language),
        }

    def explanation(self, language: Language = DEFAULT_LANGUAGE) -> str:
        if self.x is None or self.y is None:
            return text("mosca_unknown", language)
        xy = self.x + self.y
        if xy > self.z:
            return text("mosca_risk", language, xy=xy, z=self.z)
        return text("mosca_ok", language, xy=xy, z=self.z, margin=self.z - xy)


def mosca(x: int | None, y: int | None, z: int) -> Mosca:
    """Mosca's inequality: x + y > z → at risk now (None when x or y is not known)."""
    return Mosca(x, y, max(z, 0))


def years_score(years: int | None, rules: Rules | None = None) -> int | None:
    """The data-confidentiality-period score of a number of years (None when not given)."""
    if years is None:
        return None
    rules = rules or load_rules()
    for limit, score in rules.factor("data-confidentiality-period").from_years:
        if years <= limit:
            return score
    return 5


def vulnerability_score(exposures: Iterable[Exposure], rules: Rules | None = None) -> int:
    """The crypto-vulnerability score: the severity of the worst exposure (3: none listed)."""
    rules = rules or load_rules()
    found = worst(list(exposures), rules)
    return rules.severity(found.level) if found is not None else MIDDLE


@dataclass(frozen=True)
class FactorScore:
    id: str
    score: int
    given: bool  # False: not scored, counted as the middle of the scale


@dataclass
class Entry:
    system: str | None
    name: str
    factors: list[FactorScore]
    mosca: Mosca
    assets: list[tuple[CryptoAsset, Exposure]]
    rank: int = 0

    @property
    def total(self) -> int:
        return sum(f.score for f in self.factors)

    def score(self, factor_id: str) -> int:
        return next(f.score for f in self.factors if f.id == factor_id)

    def sort_key(self) -> tuple[Any, ...]:
        risk = {True: 0, None: 1, False: 2}[self.mosca.at_risk]
        return (
            risk,
            -self.total,
            -self.score("crypto-vulnerability"),
            -self.score("business-impact"),
            self.system is None,
            self.system or "",
        )


def assess(
    system: SystemRisk | None,
    code: str | None,
    assets: list[tuple[CryptoAsset, Exposure]],
    horizon_years: int,
    rules: Rules,
) -> Entry:
    factors = []
    years = system.data_secrecy_years if system else None
    by_years = years_score(years, rules)
    factors.append(
        FactorScore("data-confidentiality-period", by_years or MIDDLE, by_years is not None)
    )
    for factor_id in MANUAL_FACTORS:
        given = (system.scores if system else {}).get(factor_id)
        factors.append(FactorScore(factor_id, given or MIDDLE, given is not None))
    factors.append(
        FactorScore(
            "crypto-vulnerability",
            vulnerability_score([e for _a, e in assets], rules),
            bool(assets),
        )
    )
    name = system.name if system and system.name else (code or "")
    return Entry(
        code,
        name,
        factors,
        mosca(years, system.migration_years if system else None, horizon_years),
        assets,
    )


def migration_plan(
    assets: Iterable[CryptoAsset],
    systems: Iterable[SystemRisk] = (),
    today: dt.date | None = None,
    horizon_year: int | None = None,
    rules: Rules | None = None,
) -> list[Entry]:
    """Every system that has assets or an assessment, ordered by risk (rank 1 first)."""
    rules = rules or load_rules()
    today = today or dt.date.today()
    horizon = (horizon_year or rules.horizon_year) - today.year
    by_code = {s.code: s for s in systems}
    grouped: dict[str | None, list[tuple[CryptoAsset, Exposure]]] = {code: [] for code in by_code}
    for asset in assets:
        grouped.setdefault(asset.system, []).append((asset, exposure(asset, rules)))
    entries = [
        assess(by_code.get(code) if code else None, code, found, horizon, rules)
        for code, found in grouped.items()
    ]
    entries.sort(key=Entry.sort_key)
    for rank, entry in enumerate(entries, 1):
        entry.rank = rank
    return entries


def reasons(entry: Entry, rules: Rules, language: Language = DEFAULT_LANGUAGE) -> list[str]:
    """Why the entry stands where it does: Mosca, the high factors, the unscored ones, assets."""
    out = [entry.mosca.explanation(language)]
    for factor in entry.factors:
        spec = rules.factor(factor.id)
        if not factor.given and factor.id != "crypto-vulnerability":
            out.append(text("unscored", language, name=spec.title(language)))
        elif factor.score >= 4:
            level = spec.levels[factor.score][language]
            out.append(
                text("factor", language, name=spec.title(language), score=factor.score, level=level)
            )
    if entry.assets:
        levels = [e.level for _a, e in entry.assets]
        out.append(
            text(
                "assets",
                language,
                total=len(levels),
                vulnerable=levels.count(Level.QUANTUM_VULNERABLE),
                weak=levels.count(Level.CLASSICALLY_WEAK),
            )
        )
    else:
        out.append(text("no_assets", language))
    return out


def actions(entry: Entry, language: Language = DEFAULT_LANGUAGE) -> list[dict[str, Any]]:
    """What to change: each asset that is not quantum-safe, worst first, with its replacement."""
    rules = load_rules()
    found = [(a, e) for a, e in entry.assets if e.level != Level.QUANTUM_SAFE]
    found.sort(key=lambda pair: (-rules.severity(pair[1].level), pair[0].name))
    return [
        {
            "asset": a.id,
            "name": a.name,
            "level": e.level.value,
            "replacement": e.replacement,
            "reason": e.reason(language),
        }
        for a, e in found
    ]


@dataclass(frozen=True)
class MilestoneState:
    due: str | None = None
    done: bool = False


def milestones(
    entries: list[Entry],
    states: Mapping[str, MilestoneState] | None = None,
    rules: Rules | None = None,
    language: Language = DEFAULT_LANGUAGE,
) -> list[dict[str, Any]]:
    """The preparation items first, then one migration per system that needs one, by rank."""
    rules = rules or load_rules()
    states = states or {}
    out = []
    for item_id, name in rules.preparation:
        state = states.get(item_id, MilestoneState())
        out.append(
            {
                "id": item_id,
                "kind": "preparation",
                "title": name[language],
                "system": None,
                "due": state.due,
                "done": state.done,
            }
        )
    for entry in entries:
        needs = entry.mosca.at_risk or any(
            e.level in (Level.CLASSICALLY_WEAK, Level.QUANTUM_VULNERABLE) for _a, e in entry.assets
        )
        if not needs or entry.system is None:
            continue
        key = f"migrate:{entry.system}"
        state = states.get(key, MilestoneState())
        out.append(
            {
                "id": key,
                "kind": "migration",
                "title": text("migrate", language, system=f"{entry.system} {entry.name}".strip()),
                "system": entry.system,
                "due": state.due,
                "done": state.done,
            }
        )
    return out


def plan_data(
    assets: list[CryptoAsset],
    systems: Iterable[SystemRisk] = (),
    today: dt.date | None = None,
    horizon_year: int | None = None,
    states: Mapping[str, MilestoneState] | None = None,
    language: Language = DEFAULT_LANGUAGE,
) -> dict[str, Any]:
    """The JSON contract of ``finres crypto plan --format json`` and ``/api/crypto-plan/``."""
    rules = load_rules()
    today = today or dt.date.today()
    year = horizon_year or rules.horizon_year
    entries = migration_plan(assets, systems, today, year, rules)
    counts = {level.value: 0 for level in Level}
    asset_rows = []
    for asset in assets:
        found = exposure(asset, rules)
        counts[found.level.value] += 1
        asset_rows.append({**asset.as_data(), "exposure": found.as_data(rules, language)})
    return {
        "generated": today.isoformat(),
        "threat_horizon": {
            "year": year,
            "years": max(year - today.year, 0),
            "source": rules.horizon_source if horizon_year in (None, rules.horizon_year) else None,
        },
        "summary": {"assets": len(assets), "by_exposure": counts},
        "assets": asset_rows,
        "plan": [
            {
                "rank": e.rank,
                "system": e.system,
                "name": e.name or text("unassigned", language),
                "score": e.total,
                "at_risk_now": e.mosca.at_risk,
                "mosca": e.mosca.as_data(language),
                "factors": [
                    {
                        "id": f.id,
                        "name": rules.factor(f.id).title(language),
                        "score": f.score,
                        "given": f.given,
                    }
                    for f in e.factors
                ],
                "reasons": reasons(e, rules, language),
                "actions": actions(e, language),
            }
            for e in entries
        ],
        "milestones": milestones(entries, states, rules, language),
        "sources": {key: dict(value) for key, value in rules.sources.items()},
    }
