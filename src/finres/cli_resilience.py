"""``finres resilience``: the recovery analysis of a dependency graph file (over finres.core).

``finres resilience analyse --file GRAPH.yaml [--scenario ID] --format json`` is a stable
contract (docs/resilience.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from finres import cli as base
from finres.core.resilience import GraphError, analyse, analysis_data, load_graph

resilience_app = typer.Typer(
    help="Operational resilience: can critical services recover in time?", no_args_is_help=True
)


def _duration(minutes: int | float | None) -> str:
    """Minutes as people read them: 1d 2h 30m."""
    if minutes is None:
        return "—"
    total = round(float(minutes))
    if total == 0:
        return "0"
    parts = []
    for unit, size in (("d", 1440), ("h", 60), ("m", 1)):
        if total >= size:
            parts.append(f"{total // size}{unit}")
            total %= size
    return " ".join(parts)


def _verdict(value: bool | None) -> str:
    _ = base._
    if value is None:
        return "—"
    return _("meets") if value else _("misses")


@resilience_app.command("analyse")
def analyse_command(
    file: Annotated[
        Path, typer.Option("--file", help="The dependency graph (YAML or JSON).", dir_okay=False)
    ],
    scenario: Annotated[
        str | None,
        typer.Option("--scenario", help="A scenario of the file (default: every single failure)."),
    ] = None,
    output: base.FormatOption = base.OutputFormat.TABLE,
    lang: base.LangOption = None,
) -> None:
    """Recovery time and data loss of every service against its RTO and RPO."""
    base._start(lang)
    _ = base._
    try:
        graph = load_graph(file)
    except GraphError as error:
        raise base.UserError(error.message(base._state.language)) from None
    if scenario is not None and scenario not in graph.scenarios:
        known = ", ".join(graph.scenarios) or _("none")
        raise base.UserError(
            _("unknown scenario {id} (the file has: {known})").format(id=scenario, known=known)
        )
    result = analyse(graph, scenario)
    data = analysis_data(result)
    if output == base.OutputFormat.JSON:
        base._print_json(data)
        return
    title = (
        _("Scenario {id}").format(id=scenario)
        if scenario
        else _("Worst single failure of any node")
    )
    table = Table(title=title, title_justify="left")
    table.add_column(_("Service"), overflow="fold")
    for heading in (_("RTO"), _("Recovery"), "", _("RPO"), _("Data loss"), ""):
        table.add_column(heading, no_wrap=True)
    for s in data["services"]:
        table.add_row(
            s["id"],
            _duration(s["rto"]),
            _duration(s["recovery_time"]),
            _verdict(s["meets_rto"]),
            _duration(s["rpo"]),
            _duration(s["data_loss"]),
            _verdict(s["meets_rpo"]),
        )
    out = base._out()
    out.print(table)
    # Paths are long: one line each below the table reads better than a squeezed column.
    out.print(_("Critical path"))
    for s in data["services"]:
        if s["critical_path"]:
            out.print(f"  {s['id']}: " + " → ".join(s["critical_path"]), soft_wrap=True)
    spof = data["single_points_of_failure"]
    if spof:
        points = Table(title=_("Single points of failure"), title_justify="left")
        points.add_column(_("Node"), no_wrap=True)
        points.add_column(_("Services that miss their RTO"), overflow="fold")
        for item in spof:
            points.add_row(item["node"], ", ".join(item["services"]))
        out.print(points)
    else:
        out.print(_("No single point of failure."))
