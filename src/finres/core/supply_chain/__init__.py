"""Software supply chain: SBOM import and vulnerability matching against OSV, KEV and VEX.

The pure core of ``finres sbom scan`` (docs/supply-chain.md): no web framework, plain data in
and out.
"""

from finres.core.supply_chain.ecosystems import ECOSYSTEMS, Ecosystem, pep503
from finres.core.supply_chain.errors import InputError
from finres.core.supply_chain.kev import Kev, load_kev
from finres.core.supply_chain.osv import AdvisoryIndex, Hit, load_index, read_records
from finres.core.supply_chain.sbom import Component, Sbom, load_sbom
from finres.core.supply_chain.scan import (
    ComponentResult,
    Vulnerability,
    note_text,
    scan,
    scan_component,
    scan_data,
)
from finres.core.supply_chain.severity import Severity
from finres.core.supply_chain.vex import Vex, load_vex

__all__ = [
    "ECOSYSTEMS",
    "AdvisoryIndex",
    "Component",
    "ComponentResult",
    "Ecosystem",
    "Hit",
    "InputError",
    "Kev",
    "Sbom",
    "Severity",
    "Vex",
    "Vulnerability",
    "load_index",
    "load_kev",
    "load_sbom",
    "load_vex",
    "note_text",
    "pep503",
    "read_records",
    "scan",
    "scan_component",
    "scan_data",
]
