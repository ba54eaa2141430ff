"""The crypto inventory and the PQC migration plan (blueprint measure 17): assets and their
quantum exposure, the six risk factors per system, Mosca's inequality, the prioritised plan,
CycloneDX 1.6 CBOM import and export, assets from TLS checks. docs/crypto.md.
"""

from finres.core.crypto.cbom import export_cbom, import_cbom, load_cbom
from finres.core.crypto.exposure import Exposure, exposure
from finres.core.crypto.inventory import (
    Inventory,
    assets_from_check_results,
    assets_from_tls,
    inventory_from_data,
    load_inventory,
)
from finres.core.crypto.model import (
    MANUAL_FACTORS,
    AssetKind,
    CryptoAsset,
    CryptoError,
    Level,
    Rules,
    bits_of,
    family_of,
    load_rules,
)
from finres.core.crypto.plan import (
    Entry,
    MilestoneState,
    Mosca,
    SystemRisk,
    migration_plan,
    milestones,
    mosca,
    plan_data,
    vulnerability_score,
    years_score,
)

__all__ = [
    "MANUAL_FACTORS",
    "AssetKind",
    "CryptoAsset",
    "CryptoError",
    "Entry",
    "Exposure",
    "Inventory",
    "Level",
    "MilestoneState",
    "Mosca",
    "Rules",
    "SystemRisk",
    "assets_from_check_results",
    "assets_from_tls",
    "bits_of",
    "export_cbom",
    "exposure",
    "family_of",
    "import_cbom",
    "inventory_from_data",
    "load_cbom",
    "load_inventory",
    "load_rules",
    "migration_plan",
    "milestones",
    "mosca",
    "plan_data",
    "vulnerability_score",
    "years_score",
]
