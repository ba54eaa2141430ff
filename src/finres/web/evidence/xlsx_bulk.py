"""Writing many rows' new values in one statement, whatever their number.

``bulk_update`` sends one ``CASE WHEN`` statement per batch (on SQLite a few dozen rows each), so
its query count grows with the rows. Here the new values travel as one JSON parameter that the
database unpacks into a table joined to the rows (``jsonb_to_recordset`` on PostgreSQL,
``json_each`` with ``UPDATE … FROM`` on SQLite 3.33 and later): one statement for 50 rows or
20,000. Other databases fall back to ``bulk_update``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import connections, models, router


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        raise TypeError("binary values are not written by update_rows")
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)


def update_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Mapping[Any, Mapping[str, Any]],
) -> int:
    """Set ``fields`` of each row (primary key -> {field name: value}) in one statement.

    Every row must give a value for every field (its current one where it does not change).
    Values are prepared as the field would save them; model signals are not sent and
    ``auto_now`` is not applied (pass the time). Returns the number of rows given.
    """
    if not rows or not fields:
        return 0
    connection = connections[router.db_for_write(model)]
    meta = model._meta
    targets = [meta.get_field(name) for name in fields]
    if any(not isinstance(f, models.Field) or not f.concrete for f in targets):
        raise ValueError("update_rows writes concrete fields only")
    concrete: list[models.Field[Any, Any]] = [f for f in targets if isinstance(f, models.Field)]
    prepared: dict[tuple[str, Any], Any] = {}

    def prepare(f: models.Field[Any, Any], value: Any) -> Any:
        if value is None or type(value) in (str, int, bool):
            return value  # as saved: no conversion (the common case, kept fast)
        key = (f.name, value)
        if key not in prepared:  # dates and times: often the same value on every row
            prepared[key] = _json_value(f.get_db_prep_save(value, connection))
        return prepared[key]

    payload = [
        {"pk": pk, **{f.column: prepare(f, values[f.name]) for f in concrete}}
        for pk, values in rows.items()
    ]
    data = json.dumps(payload, ensure_ascii=False)
    quote = connection.ops.quote_name
    table, pk_column = quote(meta.db_table), quote(meta.pk.column)
    if connection.vendor == "postgresql":
        columns = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in concrete)
        pk_type = meta.pk.rel_db_type(connection)
        assignments = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in concrete)
        sql = (
            f"UPDATE {table} AS t SET {assignments} "
            f"FROM jsonb_to_recordset(%s::jsonb) AS v(pk {pk_type}, {columns}) "
            f"WHERE t.{pk_column} = v.pk"
        )
    elif connection.vendor == "sqlite":
        assignments = ", ".join(
            f"{quote(f.column)} = json_extract(v.value, '$.{f.column}')" for f in concrete
        )
        sql = (
            f"UPDATE {table} SET {assignments} FROM json_each(%s) AS v "
            f"WHERE {table}.{pk_column} = json_extract(v.value, '$.pk')"
        )
    else:  # pragma: no cover - the two databases FinRes supports are above
        objects = []
        for pk, values in rows.items():
            obj = model(pk=pk)
            for f in concrete:
                setattr(obj, f.attname, values[f.name])
            objects.append(obj)
        model._base_manager.bulk_update(objects, [f.name for f in concrete])
        return len(rows)
    with connection.cursor() as cursor:
        cursor.execute(sql, [data])
    return len(rows)
