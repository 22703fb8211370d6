"""A search page as JSON written by PostgreSQL (issue 10): the API's `GET /slots` in one
statement instead of three queries and sixty model instances.

The page is found exactly as `search.search_slots` finds it (`search.page_sql`: the same
open-slot query, the same top-n per practitioner, the same cursor); the database then joins the
page's few rows to their practitioner, unit and location, adds each practitioner's
specializations and writes the items the API documents. Turning rows into model instances and
back into JSON cost more than the query itself. Elsewhere (SQLite) the API keeps the ORM path;
a test proves both write the same items.
"""

import datetime as dt

from django.db import connection

from terminarz.catalog.models import Specialization
from terminarz.core import clock
from terminarz.core.db import unprepared
from terminarz.providers.models import Location, Unit
from terminarz.staff.models import Practitioner

from .models import Slot
from .search import SlotQuery, cursor_after, page_sql

# Local time with its offset through the zone rules (a page has a few rows; the availability
# read, with thousands, uses fixed offsets per stretch instead).
_LOCAL = (
    "replace(({c} AT TIME ZONE 'Europe/Warsaw')::text, ' ', 'T') || "
    "CASE WHEN ({c} AT TIME ZONE 'Europe/Warsaw') - ({c} AT TIME ZONE 'UTC') = interval '2 hours' "
    "THEN '+02:00' ELSE '+01:00' END"
)


def _statement(page: str) -> str:
    q = connection.ops.quote_name
    links = Practitioner._meta.get_field("specializations")
    through = links.remote_field.through._meta.db_table  # type: ignore[attr-defined,union-attr]
    item = (
        '\'{"id":\' || s.id || \',"start":"\' || '
        + _LOCAL.format(c="s.start")
        + ' || \'","end":"\' || '
        + _LOCAL.format(c='s."end"')
        + ' || \'","practitioner":{"id":\' || p.id'
        " || ',\"name\":' || to_json(concat_ws(' ', nullif(p.title, ''), nullif(p.first_name, ''),"
        " nullif(p.last_name, '')))::text"
        f" || ',\"specializations\":' || coalesce((SELECT json_agg(sp.name ORDER BY sp.name) FROM {q(through)} ps"
        f" JOIN {q(Specialization._meta.db_table)} sp ON sp.id = ps.{q(links.m2m_reverse_name())}"  # type: ignore[attr-defined]
        f" WHERE ps.{q(links.m2m_column_name())} = p.id)::text, '[]')"  # type: ignore[attr-defined]
        ' || \'},"unit":{"id":\' || u.id || \',"name":\' || to_json(u.name)::text'
        " || ',\"city\":' || to_json(l.city)::text || '},\"financing\":' || to_json(s.financing)::text || '}'"
    )
    return f"""
        WITH page (id, start) AS ({page}),
        numbered AS (SELECT id, start, row_number() OVER (ORDER BY start, id) AS n FROM page)
        SELECT '[' || coalesce(string_agg({item}, ',' ORDER BY pg.n) FILTER (WHERE pg.n <= %s), '') || ']',
               count(*), max(pg.start) FILTER (WHERE pg.n = %s), max(pg.id) FILTER (WHERE pg.n = %s)
        FROM numbered pg
        JOIN {q(Slot._meta.db_table)} s ON s.id = pg.id
        JOIN {q(Practitioner._meta.db_table)} p ON p.id = s.practitioner_id
        JOIN {q(Unit._meta.db_table)} u ON u.id = s.unit_id
        JOIN {q(Location._meta.db_table)} l ON l.id = u.location_id
    """


def search_page_json(
    query: SlotQuery, *, limit: int, cursor: str | None = None, now: dt.datetime | None = None
) -> tuple[bytes, str | None] | None:
    """The items of one page (a JSON array) and the next page's cursor; None when the database
    is not PostgreSQL (the caller then builds them from `search_slots`)."""
    if connection.vendor != "postgresql":
        return None
    found = page_sql(query, now=now or clock.now(), n=limit + 1, cursor=cursor)
    if found is None:
        return b"[]", None
    sql, params = found
    with unprepared(), connection.cursor() as db:
        db.execute(_statement(sql), [*params, limit, limit, limit])
        text, count, last_start, last_id = db.fetchone()
    return text.encode(), cursor_after(last_start, last_id) if count > limit else None
