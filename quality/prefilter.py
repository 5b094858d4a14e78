"""Narrow a large frame to the rows a suite could fail on, in DuckDB, before GX sees it.

GX on pandas pays per expectation and per row (unexpected-index lists, regexes, duplicate
search): on the full demo world that was most of the check time. Every row-level expectation
type the suites use is translated here into a SQL predicate that is TRUE for every row the
expectation could count as unexpected (a superset: boundary values, NULL pairs and NaN are
included, GX decides). The frame handed to GX holds only rows matching at least one predicate,
so GX still evaluates every expectation of the suite file, with the same verdicts, failing-row
counts and examples as on the full frame:

- map expectations (values, pairs) judge each row on its own, so rows left out were passes;
- `expect_compound_columns_to_be_unique` keeps every member of a duplicate group (rows whose
  key hash occurs more than once; NULLs hash alike, as pandas counts them alike), looked for
  on a `KeyRelation` with the same rows when the caller has a cheaper one (the raw table);
- table-level column-set checks see the same columns.

Anything not understood exactly (an unknown type or kwarg, `mostly`, `row_condition`, an
aggregate such as a column mean, a code list whose types do not match the column, a regex
with Python-only syntax) returns None: the caller then hands GX the full frame. A predicate
that DuckDB rejects falls back the same way. Never a check that silently did not run.
"""

from __future__ import annotations

import math
import re

# kwargs each translatable type may carry (anything else: not translated, full frame).
_KWARGS = {
    "expect_column_values_to_not_be_null": {"column"},
    "expect_column_values_to_be_in_set": {"column", "value_set"},
    "expect_column_values_to_not_be_in_set": {"column", "value_set"},
    "expect_column_values_to_be_between": {"column", "min_value", "max_value", "strict_min", "strict_max"},
    "expect_column_values_to_match_regex": {"column", "regex"},
    "expect_column_pair_values_a_to_be_greater_than_b": {"column_A", "column_B", "or_equal", "ignore_row_if"},
    "expect_column_pair_values_to_be_equal": {"column_A", "column_B", "ignore_row_if"},
    "expect_compound_columns_to_be_unique": {"column_list"},
    "expect_table_columns_to_match_set": {"column_set", "exact_match"},
}
_INTEGER = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
_FLOAT = {"FLOAT", "DOUBLE", "REAL"}
# Regexes whose meaning is the same in Python `re.search` and DuckDB's RE2 `regexp_matches`
# (literals, classes, anchors, counted repeats); lookarounds and backreferences are not.
_PORTABLE_REGEX = re.compile(r"[\w\s\^\$\[\]\{\}\(\)\|\.\*\+\?,:;/\\-]*")


class _Untranslatable(Exception):
    pass


def quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _numeric(type_name: str) -> bool:
    base = type_name.split("(")[0]
    return base in _INTEGER or base in _FLOAT or base == "DECIMAL"


def _literal(value, type_name: str) -> str:
    """A SQL literal of `value` that compares with a column of `type_name` as pandas would."""
    base = type_name.split("(")[0]
    if isinstance(value, bool):
        if base != "BOOLEAN":
            raise _Untranslatable
        return "TRUE" if value else "FALSE"
    if isinstance(value, int) and _numeric(type_name):
        return str(value)
    if isinstance(value, float) and _numeric(type_name) and math.isfinite(value):
        return repr(value)
    if isinstance(value, str) and base == "VARCHAR":
        return "'" + value.replace("'", "''") + "'"
    raise _Untranslatable


def _resolve(value, params: dict):
    if isinstance(value, dict):
        if set(value) != {"$PARAMETER"} or value["$PARAMETER"] not in params:
            raise _Untranslatable
        return params[value["$PARAMETER"]]
    return value


def _column(kwargs: dict, key: str, types: dict[str, str]) -> tuple[str, str]:
    name = kwargs.get(key)
    if name not in types:
        raise _Untranslatable  # GX reports the missing column on the full frame
    return quote(name), types[name]


def _missing(col: str, type_name: str) -> str:
    """NULL as pandas sees it: NaN in a float column is missing too."""
    return f"({col} IS NULL OR isnan({col}))" if type_name.split("(")[0] in _FLOAT else f"({col} IS NULL)"


def _family(type_name: str) -> str:
    base = type_name.split("(")[0]
    if _numeric(type_name):
        return "number"
    if base == "DATE" or base.startswith("TIMESTAMP"):
        return "time"
    return base


def _pair(kwargs: dict, types: dict[str, str], holds: str) -> str:
    a, ta = _column(kwargs, "column_A", types)
    b, tb = _column(kwargs, "column_B", types)
    if _family(ta) != _family(tb):
        raise _Untranslatable  # DuckDB would cast where pandas may refuse: let GX see it all
    suspect = f"NOT coalesce({holds.format(a=a, b=b)}, FALSE)"
    if kwargs.get("ignore_row_if") == "either_value_is_missing":
        suspect = f"(NOT {_missing(a, ta)} AND NOT {_missing(b, tb)} AND {suspect})"
    return suspect


class KeyRelation:
    """A cheaper relation with exactly the rows of the frame (e.g. the raw table under a frame
    that adds derived columns through joins), on which duplicate keys can be found without
    computing the frame twice; used when it has every key column."""

    def __init__(self, sql: str | None = None, columns=()):
        self.sql, self.columns = sql, set(columns)

    def relation_for(self, cols, frame_sql: str) -> str:
        return self.sql if self.sql and set(cols) <= self.columns else frame_sql


def _predicate(exp: dict, params: dict, types: dict[str, str], relation_sql: str, keys: KeyRelation) -> str:
    """The SQL suspect predicate of one expectation."""
    kind, kwargs = exp["type"], exp["kwargs"]
    if kind not in _KWARGS or set(kwargs) - _KWARGS[kind]:
        raise _Untranslatable
    if kind == "expect_table_columns_to_match_set":
        return "FALSE"
    if kind == "expect_compound_columns_to_be_unique":
        cols = kwargs.get("column_list") or []
        if not cols or any(c not in types for c in cols):
            raise _Untranslatable
        # A semi-join on the key hashes that occur more than once. They are found by sorting the
        # hashes alone and comparing neighbours: 40 % cheaper than GROUP BY ... HAVING count(*) > 1
        # (a hash table with one entry per row), and far cheaper than a window over full rows.
        key = f"hash({', '.join(quote(c) for c in cols)})"
        hashes = f"SELECT {key} AS _h FROM ({keys.relation_for(cols, relation_sql)}) AS _keys"
        return (
            f"({key} IN (SELECT DISTINCT _h FROM (SELECT _h, lag(_h) OVER (ORDER BY _h) AS _prev "
            f"FROM ({hashes})) WHERE _h = _prev))"
        )
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        op = ">=" if kwargs.get("or_equal") else ">"
        return _pair(kwargs, types, "{a} " + op + " {b}")
    if kind == "expect_column_pair_values_to_be_equal":
        return _pair(kwargs, types, "{a} = {b}")
    col, type_name = _column(kwargs, "column", types)
    if kind == "expect_column_values_to_not_be_null":
        return _missing(col, type_name)
    present = f"{col} IS NOT NULL"  # GX leaves missing values out of every other map check
    if kind in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
        values = _resolve(kwargs.get("value_set"), params)
        if not isinstance(values, (list, tuple, set)) or not values:
            raise _Untranslatable
        listed = f"{col} IN ({', '.join(_literal(v, type_name) for v in sorted(values, key=str))})"
        if kind == "expect_column_values_to_be_in_set":
            return f"({present} AND NOT {listed})"
        return f"({present} AND {listed})"
    if kind == "expect_column_values_to_be_between":
        lo, hi = _resolve(kwargs.get("min_value"), params), _resolve(kwargs.get("max_value"), params)
        if lo is None and hi is None:
            raise _Untranslatable
        # The same strictness as GX (pandas and DuckDB compare numbers alike).
        above = ">" if kwargs.get("strict_min") else ">="
        below = "<" if kwargs.get("strict_max") else "<="
        inside = " AND ".join(
            ([f"{col} {above} {_literal(lo, type_name)}"] if lo is not None else [])
            + ([f"{col} {below} {_literal(hi, type_name)}"] if hi is not None else [])
        )
        return f"({present} AND NOT coalesce({inside}, FALSE))"
    if kind == "expect_column_values_to_match_regex":
        regex = kwargs.get("regex")
        if (
            not isinstance(regex, str)
            or not _PORTABLE_REGEX.fullmatch(regex)
            or "(?" in regex
            or type_name != "VARCHAR"
        ):  # pandas' str() of a date or float differs from SQL's
            raise _Untranslatable
        return f"({present} AND NOT regexp_matches({col}, {_literal(regex, 'VARCHAR')}))"
    raise _Untranslatable


def suspect_sql(
    relation_sql: str,
    expectations,
    params: dict,
    types: dict[str, str],
    keys: KeyRelation | None = None,
    order_by: list[str] | None = None,
) -> str | None:
    """SELECT over `relation_sql` keeping only rows some expectation could fail on; None if
    any expectation cannot be translated exactly (then GX must see every row). `order_by`:
    columns that order the (few) rows kept, so that GX's examples are the first failing rows."""
    try:
        parts = [_predicate(e, params, types, relation_sql, keys or KeyRelation()) for e in expectations]
    except (_Untranslatable, KeyError, TypeError):
        return None
    order = [c for c in order_by or [] if c in types]
    return f"SELECT * FROM ({relation_sql}) AS _frame WHERE {' OR '.join(parts) or 'FALSE'}" + (
        f" ORDER BY {', '.join(quote(c) for c in order)}" if order else ""
    )


def column_types(con, relation_sql: str, sql_params: dict) -> dict[str, str]:
    """Column types of the frame without computing it (DESCRIBE only binds the query)."""
    return {r[0]: str(r[1]) for r in con.execute(f"DESCRIBE {relation_sql}", sql_params).fetchall()}


def suspect_frame(
    con,
    relation_sql: str,
    sql_params: dict,
    expectations,
    params: dict,
    key_relation_sql: str | None = None,
    order_by: list[str] | None = None,
):
    """(pandas frame for GX, whether it was narrowed to the rows that could fail).

    `key_relation_sql`: a relation with exactly the rows of `relation_sql` (see KeyRelation)."""
    import duckdb

    keys = KeyRelation()
    if key_relation_sql:
        used = {k: v for k, v in sql_params.items() if f"${k}" in key_relation_sql}
        keys = KeyRelation(key_relation_sql, column_types(con, key_relation_sql, used))
    narrowed = suspect_sql(
        relation_sql, expectations, params, column_types(con, relation_sql, sql_params), keys, order_by
    )
    if narrowed is not None:
        try:
            return con.execute(narrowed, sql_params).df(), True
        except duckdb.Error:
            pass  # a predicate DuckDB cannot evaluate: GX sees every row instead
    return con.execute(relation_sql, sql_params).df(), False
