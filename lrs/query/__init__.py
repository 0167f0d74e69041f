"""The Mongo-style query language: filter, sort, project, hint, cursor.

One IR (``ast.py``), two backends that agree row for row: ``evaluate.py`` (Python, the memory
store and the tests' oracle) and ``sql.py`` (SQLAlchemy Core over PostgreSQL ``jsonb``). Every
rejection is a ``lrs.core.errors.BadQuery`` whose message names the operator, path or parameter.

What a store calls
------------------
Parse request JSON (already decoded)::

    from lrs.query.parse import parse_filter, parse_sort, parse_projection, STATEMENTS, PLAIN
    from lrs.query.hints import parse_hint, resolve_hint
    from lrs.query.cursor import with_tiebreaker

    condition = parse_filter(raw_filter, STATEMENTS)   # PLAIN for models without LL's rewrites
    sort = with_tiebreaker(parse_sort(raw_sort, STATEMENTS))   # appends _id ascending
    projection = parse_projection(raw_project)          # ast.KEEP_ALL when absent
    hint = parse_hint(raw_hint)                        # resolve_hint(hint) -> our index name | None

Evaluate in memory (memory store)::

    from lrs.query import evaluate, cursor
    rows = [r for r in records if evaluate.matches(condition, r)]
    rows.sort(key=lambda r: evaluate.sort_key(sort, r))
    position = cursor.decode_cursor(after, sort)       # BadQuery if tampered / another sort
    rows = [r for r in rows if cursor.is_after(sort, r, position)]   # is_before for `before`
    node = evaluate.project(projection, row)

Build SQL (PostgreSQL store)::

    from lrs.query import sql
    binding = sql.TableBinding.of(table.c.doc, {
        "_id": sql.TypedColumn(table.c.id, "text", nullable=False),
        "timestamp": sql.TypedColumn(table.c.timestamp, "timestamptz", nullable=False),
        "statement": sql.TypedColumn(table.c.statement, "jsonb"),   # a jsonb mount
    })
    query = select(...).where(tenant_scope, sql.where(condition, binding))
    query = query.where(sql.keyset(sort, binding, position, after=True))   # after=False: before
    query = query.order_by(*sql.order_by(sort, binding, reverse=False))    # reverse for `before`
    # fetch first + 1 rows; rebuild each record as a dict (typed values as Python datetime/str/
    # bool) and use cursor.cursor_for(sort, record) for edges and evaluate.project for nodes.

Run PostgreSQL with ``jit=off`` (for example ``options="-c jit=off"``): the planner's estimate
for ``jsonb_path_query`` makes these queries look costly enough to JIT-compile, which takes far
longer than running them.

Contract for typed columns and mounts: see ``sql.py``'s docstring. Datetimes only live at
typed-column paths; ``jsonb`` holds JSON only.

All-digit path segments mean what they mean in MongoDB, identically in both stores: in filters,
a field name of an object and, on an array, also the element at that position (``"a.0"``;
``"01"`` is only a field name); in sorts, the element at the position when the array has it;
in projections, only a field name (MongoDB's find projection selects no element by position).
See ``evaluate.py``.

Deliberate differences from MongoDB (each rejected for both stores, or identical in both): range
operators with an array/object operand are refused; where MongoDB refuses to sort by a position in
an array whose object elements also have that field, the position wins; ``$regex`` is limited to
the subset in ``regex.py`` (options ``i`` and ``s`` only); objects compare equal regardless of key
order; in sort order, objects tie with objects and nested arrays with nested arrays; numbers
compare by decimal value (no int64/double rounding); ``statement.timestamp``/``statement.stored``
sort by the instant; projection refuses mixing inclusion and exclusion, literals and projection
operators; hints never change results.
"""
