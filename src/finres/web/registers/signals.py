"""Links between systems and their sites and suppliers are many-to-many: saving a system does
not record them, so each change of a link set is audited as an update of the system."""

from __future__ import annotations

from finres.web.audit.signals import audit_links


def connect() -> None:
    from finres.web.registers.models import InformationSystem

    audit_links(InformationSystem, "sites", "suppliers")
