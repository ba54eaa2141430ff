"""``finres sbom``: an SBOM's components matched against OSV advisories, CISA KEV and VEX.

``finres sbom scan FILE --osv DIR --kev FILE --format json`` is a stable contract
(docs/supply-chain.md).
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from finres import cli as base
from finres.core.supply_chain import (
    InputError,
    Vex,
    load_index,
    load_kev,
    load_sbom,
    load_vex,
    note_text,
    scan,
    scan_data,
)

sbom_app = typer.Typer(
    help="Software supply chain: SBOM components against known vulnerabilities.",
    no_args_is_help=True,
)


@sbom_app.command("scan")
def scan_command(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="The SBOM: CycloneDX (JSON or XML) or SPDX 2.2/2.3 (JSON or tag-value).",
        ),
    ],
    osv: Annotated[
        list[Path],
        typer.Option(
            "--osv",
            metavar="PATH",
            help="OSV advisories: a folder (searched for *.json and *.zip), a JSON file or an "
            "OSV zip dump; repeatable.",
        ),
    ],
    kev: Annotated[
        Path | None,
        typer.Option(
            "--kev", metavar="FILE", help="The CISA KEV catalogue (JSON or CSV).", dir_okay=False
        ),
    ] = None,
    vex: Annotated[
        list[Path] | None,
        typer.Option(
            "--vex",
            metavar="FILE",
            help="A CycloneDX VEX or OpenVEX file; repeatable.",
            dir_okay=False,
        ),
    ] = None,
    output: base.FormatOption = base.OutputFormat.TABLE,
    lang: base.LangOption = None,
) -> None:
    """Which components of an SBOM have known vulnerabilities, and why."""
    base._start(lang)
    _ = base._
    language = base._state.language
    try:
        sbom = load_sbom(file)
        index = load_index(osv)
        gc.freeze()  # the index lives until exit: no full collection needs to walk it
        catalogue = load_kev(kev) if kev is not None else None
        statements = load_vex(list(vex or []))
        if sbom.document is not None and sbom.document.get("vulnerabilities"):
            statements.add_document(sbom.document, str(file))  # VEX embedded in the SBOM
    except InputError as error:
        raise base.UserError(error.message(language)) from None
    results = scan(sbom.components, index, catalogue, statements if _has(statements) else None)
    if output == base.OutputFormat.JSON:
        base._print_json(scan_data(results, language))
        return

    data = scan_data(results, language)
    out = base._out()
    table = Table(
        title=_("Vulnerable components of {file}").format(file=file.name),
        title_justify="left",
        show_lines=True,
        expand=True,
    )
    table.add_column(_("Component"), overflow="fold", ratio=1)
    table.add_column(_("Vulnerability"), overflow="fold", ratio=3)
    vulnerable = kev_count = total = 0
    for component in data["components"]:
        if not component["vulnerabilities"]:
            continue
        vulnerable += 1
        for v in component["vulnerabilities"]:
            total += 1
            kev_count += v["kev"]
            severity = v["severity"]
            facts = [
                ", ".join([v["id"], *(a for a in v["aliases"] if a.startswith("CVE-"))]),
                *([_("[bold red]CISA KEV: known exploited[/]")] if v["kev"] else []),
                f"{severity['rating']} {severity['score']}" if severity else _("no CVSS"),
                _("fixed in {versions}").format(versions=", ".join(v["fixed"]))
                if v["fixed"]
                else _("no fixed version"),
            ]
            table.add_row(
                escape(f"{component['name']} {component['version']}"),
                " · ".join(facts) + "\n" + escape(v["why"]),
            )
    if total:
        out.print(table)
    unmatched = [(r, note_text(r, language)) for r in results if r.note is not None]
    if unmatched:
        notes = Table(title=_("Components not matched"), title_justify="left")
        notes.add_column(_("Component"), no_wrap=True)
        notes.add_column(_("Reason"), overflow="fold")
        for result, reason in unmatched:
            label = result.component.purl or result.component.name or result.component.ref or "—"
            notes.add_row(escape(label), escape(reason or ""))
        out.print(notes)
    set_aside = [(r, v, s) for r in results for v, s in r.set_aside]
    if set_aside:
        vex_table = Table(title=_("Set aside by VEX statements"), title_justify="left")
        for heading in (_("Component"), _("Advisory"), _("Status"), _("Statement")):
            vex_table.add_column(heading, overflow="fold")
        for result, vulnerability, statement in set_aside:
            vex_table.add_row(
                f"{result.component.name} {result.version or ''}",
                vulnerability.id,
                _("not affected") if statement.status == "not_affected" else _("fixed"),
                f"{statement.vulnerability} ({Path(statement.source).name})"
                + (f": {statement.justification}" if statement.justification else ""),
            )
        out.print(vex_table)
    stats = index.stats
    out.print(
        _(
            "{components} components, {vulnerable} vulnerable: {total} vulnerabilities, "
            "{kev} in CISA KEV ({advisories} advisories read, {withdrawn} withdrawn skipped)."
        ).format(
            components=len(results),
            vulnerable=vulnerable,
            total=total,
            kev=kev_count,
            advisories=stats.records,
            withdrawn=stats.withdrawn,
        )
    )
    if catalogue is None:
        out.print(_("KEV not checked: give --kev FILE (the CISA catalogue)."))


def _has(vex: Vex) -> bool:
    return bool(vex.by_ref or vex.by_purl)
