"""Many-to-many links are not recorded by saving their owner (a scenario's failing nodes; a
drill's services, nodes, suppliers and evidence), so each change of such a set is audited as an
update of the owner with the ids before and after."""

from __future__ import annotations

from finres.web.audit.signals import audit_links


def connect() -> None:
    from finres.web.continuity.models import Drill, Scenario

    audit_links(Scenario, "fail")
    audit_links(Drill, "services", "nodes", "suppliers", "evidence")
