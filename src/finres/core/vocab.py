"""Controlled vocabularies shared by the library format, the profile and the engine.

Each value is a stable English token used in data files and APIs; the labels shown to people
come from the i18n catalogue (see ``finres.core.i18n``).
"""

from __future__ import annotations

from enum import StrEnum


class Industry(StrEnum):
    SECURITIES = "securities"
    FUTURES = "futures"
    INVESTMENT_TRUST = "investment_trust"
    BANK = "bank"
    INSURANCE = "insurance"


class Use(StrEnum):
    """What an institution uses or offers; requirements are conditioned on these."""

    CLOUD = "cloud"
    SOCIAL_MEDIA = "social_media"
    MOBILE_DEVICES = "mobile_devices"
    BYOD = "byod"
    MOBILE_APP = "mobile_app"
    IOT = "iot"
    PHONE_TRADING = "phone_trading"
    VIDEO_IDENTITY = "video_identity"
    AI = "ai"
    GENERATIVE_AI = "generative_ai"
    CO_LOCATION = "co_location"


class Fact(StrEnum):
    """Facts about an institution that requirements depend on; a profile may leave any of them
    unstated, and an unstated fact is unknown (not false)."""

    FOREIGN_GROUP_ENTITY = "foreign_group_entity"  # part of a foreign financial group
    INTERNET_FACING_CORE_SYSTEMS = "internet_facing_core_systems"  # 提供網際網路服務之核心系統
    SOC = "soc"  # runs a security operations centre
    FINANCIAL_HOLDING = "financial_holding"  # 金融控股公司
    MATERIAL_CLOUD_OUTSOURCING = "material_cloud_outsourcing"  # 重大性雲端委外
    HYBRID_CLOUD = "hybrid_cloud"  # 混合雲
    OFFSHORE_PROCESSING = "offshore_processing"  # 資料處理於境外
    CROSS_BORDER_PERSONAL_DATA = "cross_border_personal_data"  # 個人資料跨境傳輸
    NATURAL_PERSON_MATERIAL_SYSTEM_ON_CLOUD = "natural_person_material_system_on_cloud"
    THIRD_PARTY_AI = "third_party_ai"  # AI provided by a third party
    CONSUMER_FACING_AI = "consumer_facing_ai"  # AI that serves consumers directly
    REMOTE_INSURANCE = "remote_insurance"  # 保險業電子商務 / 遠距投保


class Obligation(StrEnum):
    """Strength of a requirement, read from the source's verb."""

    SHALL = "shall"  # 應
    SHOULD = "should"  # 宜 / 鼓勵
    MAY = "may"  # 得 / 可


class Scope(StrEnum):
    """Where within the institution a requirement must be met, as the source states it."""

    WHOLE_COMPANY = "whole_company"  # 全公司
    CORE_SYSTEMS = "core_systems"  # 核心系統
    INTERNET_FACING_CORE_SYSTEMS = "internet_facing_core_systems"  # 提供網際網路服務之核心系統


class ExecutingUnit(StrEnum):
    """Who carries out a measure (blueprint and action-plan tables)."""

    FSC = "fsc"  # 本會 (金管會)
    FSC_BUSINESS_BUREAUS = "fsc_business_bureaus"  # 各業務局
    FINANCIAL_INSTITUTIONS = "financial_institutions"  # 金融機構
    ASSOCIATIONS = "associations"  # 公會
    PERIPHERAL_UNITS = "peripheral_units"  # 周邊單位
    F_ISAC = "f_isac"  # F-ISAC
    TRAINING_INSTITUTIONS = "training_institutions"  # 訓練機構


class Lineage(StrEnum):
    """How a measure relates to its predecessor framework (blueprint column 與2.0關聯性)."""

    NEW = "new"  # 新增
    CONTINUED = "continued"  # 延續
    CONTINUED_STRENGTHENED = "continued_strengthened"  # 延續並強化
    CONTINUED_EXPANDED = "continued_expanded"  # 延續並擴大


class FrameworkKind(StrEnum):
    REGULATION = "regulation"  # rules a supervisor enforces (e.g. TWSE tiered protection)
    GUIDELINE = "guideline"  # self-regulatory guideline of an association
    POLICY_PROGRAMME = "policy_programme"  # a regulator's action plan or blueprint
    STANDARD = "standard"  # international management-system or control standard
    MATURITY_MODEL = "maturity_model"


class Relationship(StrEnum):
    """NIST OLIR set-theory relationships, read as: source <relationship> target."""

    EQUAL = "equal"
    SUBSET = "subset"  # the source is a subset of (narrower than) the target
    SUPERSET = "superset"  # the source is a superset of (broader than) the target
    INTERSECT = "intersect"  # they overlap, neither contains the other
