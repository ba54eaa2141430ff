"""``finres crypto``: the crypto inventory's quantum exposure and the prioritised PQC migration
plan (blueprint measure 17), and CycloneDX 1.6 CBOM conversion (over finres.core.crypto).

``finres crypto plan --format json`` is a stable contract (docs/crypto.md).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from finres import cli as base
from finres.core.crypto import (
    CryptoError,
    Inventory,
    export_cbom,
    load_inventory,
    plan_data,
)

crypto_app = typer.Typer(
    help="Crypto inventory and PQC migration plan (blueprint measure 17).", no_args_is_help=True
)

InventoryOption = Annotated[
    list[Path],
    typer.Option(
        "--inventory",
        metavar="FILE",
        help="A YAML inventory, a CycloneDX 1.6 CBOM (JSON) or the JSON of finres check tls/ssh; "
        "repeatable.",
        dir_okay=False,
    ),
]
SystemOption = Annotated[
    str | None,
    typer.Option("--system", help="System code for assets that name none (e.g. TLS results)."),
]


def kind_label(kind: str) -> str:
    _ = base._
    labels = {
        "protocol": _("Protocol"),
        "group": _("Key-exchange group"),
        "certificate": _("Certificate"),
        "key": _("Key"),
        "algorithm": _("Algorithm"),
        "library": _("Library"),
        "hsm": _("HSM"),
    }
    return labels.get(kind, kind)


def _merge(paths: list[Path], system: str | None) -> Inventory:
    _ = base._
    merged = Inventory([])
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            found = load_inventory(path)
        except CryptoError as error:
            raise base.UserError(str(error)) from None
        for asset in found.assets:
            if asset.id in seen:
                raise base.UserError(
                    _("{path}: asset {id} is also in {other}").format(
                        path=path, id=asset.id, other=seen[asset.id]
                    )
                )
            seen[asset.id] = path
            if system and not asset.system:
                asset = dataclasses.replace(asset, system=system)
            merged.assets.append(asset)
        merged.systems.extend(found.systems)
        merged.milestones.update(found.milestones)
        merged.horizon_year = found.horizon_year or merged.horizon_year
    return merged


@crypto_app.command("plan")
def plan_command(
    inventory: InventoryOption,
    horizon_year: Annotated[
        int | None,
        typer.Option(
            "--horizon-year",
            min=2000,
            max=2200,
            help="Mosca's z as a year (default: the file's, else 2035 after NIST IR 8547).",
        ),
    ] = None,
    system: SystemOption = None,
    output: base.FormatOption = base.OutputFormat.TABLE,
    lang: base.LangOption = None,
) -> None:
    """Each asset's quantum exposure and the migration plan ordered by risk, with reasons."""
    base._start(lang)
    _ = base._
    found = _merge(inventory, system)
    data = plan_data(
        found.assets,
        found.systems,
        dt.date.today(),
        horizon_year or found.horizon_year,
        found.milestones,
        base._state.language,
    )
    if output == base.OutputFormat.JSON:
        base._print_json(data)
        return
    out = base._out()
    assets = Table(title=_("Crypto assets"), title_justify="left")
    assets.add_column(_("Kind"), overflow="fold", ratio=1)
    assets.add_column(_("Asset"), overflow="fold", ratio=2)
    assets.add_column(_("System"), overflow="fold", ratio=1)
    assets.add_column(_("Quantum exposure"), overflow="fold", ratio=2)
    for row in data["assets"]:
        assets.add_row(
            kind_label(row["kind"]),
            escape(row["name"]),
            escape(row["system"] or "—"),
            escape(row["exposure"]["label"]),
        )
    out.print(assets)
    threat = data["threat_horizon"]
    out.print(
        _("Threat horizon: {year} ({years} years from now).").format(
            year=threat["year"], years=threat["years"]
        )
    )
    plan = Table(title=_("PQC migration plan, by risk"), title_justify="left", show_lines=True)
    plan.add_column("#", no_wrap=True, justify="right")
    plan.add_column(_("System"), overflow="fold", ratio=1)
    plan.add_column(_("Score"), no_wrap=True, justify="right")
    plan.add_column(_("Why"), overflow="fold", ratio=3)
    for entry in data["plan"]:
        label = " ".join(p for p in (entry["system"], entry["name"]) if p and p != entry["system"])
        plan.add_row(
            str(entry["rank"]),
            escape(f"{entry['system'] or ''} {label}".strip() or entry["name"]),
            f"{entry['score']}/30",
            escape("\n".join(entry["reasons"])),
        )
    out.print(plan)
    out.print(_("Milestones:"))
    for number, milestone in enumerate(data["milestones"], 1):
        due = milestone["due"] or _("no date")
        mark = "✓" if milestone["done"] else "·"
        out.print(f"  {mark} {number}. {escape(milestone['title'])} ({due})")


@crypto_app.command("cbom")
def cbom_command(
    inventory: InventoryOption,
    system: SystemOption = None,
    output_file: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the CBOM to FILE (default: standard output).",
            dir_okay=False,
        ),
    ] = None,
    lang: base.LangOption = None,
) -> None:
    """Convert YAML inventories and TLS check results into one CycloneDX 1.6 CBOM."""
    base._start(lang)
    _ = base._
    found = _merge(inventory, system)
    document = export_cbom(found.assets)
    if output_file is None:
        base._print_json(document)
        return
    import json

    try:
        output_file.write_text(
            json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
    except OSError as error:
        raise base.UserError(f"{output_file}: {error.strerror or error}") from None
    base._out().print(
        _("{count} crypto assets written to {file}.").format(
            count=len(found.assets), file=output_file
        )
    )
