"""The incident's many-to-many links (services, nodes, systems, suppliers affected) are not
recorded by saving it, so each change of such a set is audited as an update of the incident."""

from __future__ import annotations

from finres.web.audit.signals import audit_links


def connect() -> None:
    from finres.web.incidents.models import Incident

    audit_links(Incident, "services", "nodes", "systems", "suppliers")
