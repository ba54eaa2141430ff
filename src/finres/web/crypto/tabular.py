"""The crypto inventory as a register table (XLSX or CSV), in and out, on the registers'
machinery (``registers.formats``): headers in either language, cells parsed and checked, rows
matched on ``code``, the file checked whole and applied in one transaction, or not at all."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from finres.web.crypto.models import CryptoAsset, Kind, Source
from finres.web.registers import formats

COLUMNS = (
    formats.Column("code", "text", required=True),
    formats.Column("kind", "choice", Kind),
    formats.Column("name", "text", required=True),
    formats.Column("system", "system"),
    formats.Column("family", "text"),
    formats.Column("parameter", "text"),
    formats.Column("key_size", "int"),
    formats.Column("where_used", "text"),
    formats.Column("signature_algorithm", "text"),
    formats.Column("not_after", "date"),
    formats.Column("version", "text"),
    formats.Column("pqc_capable", "flag"),
    formats.Column("notes", "text"),
)
REGISTER = formats.Register(
    "crypto-assets",
    CryptoAsset,
    gettext_lazy("Crypto assets"),
    COLUMNS,
    defaults=(("source", Source.XLSX),),
    computed=("exposure",),  # assessed on save from the other fields
)
