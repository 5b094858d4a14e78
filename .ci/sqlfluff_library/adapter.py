"""dbt's `adapter` for sqlfluff's Jinja templater (`library_path` in .sqlfluff), which renders the
models without dbt: `adapter.dispatch(name)(args)` renders a call `name(args)` - enough for the
parser to see an expression where the dispatched macro puts one (the macros themselves are
linted in their own files) - and the few macros that render something else get that shape.
Nothing here runs in dbt."""

import re


def _arg(value) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(str(item) for item in value) + "]"
    value = str(value)
    # a bare separator such as '; ' (string_agg_distinct) is written into a string literal
    return "'" + value + "'" if re.fullmatch(r"[\W_]*", value) else value


def dispatch(macro_name, macro_namespace=None):
    def render(*args, **kwargs):
        if macro_name == "regexp_matches_all":  # a pattern, quoted by the macro
            return f"regexp_matches({args[0]}, '{args[1]}')"
        if macro_name == "json_string":  # a JSON path, quoted by the macro
            return f"json_extract_string({args[0]}, '{args[1]}')"
        if macro_name == "lateral_unnest":  # a FROM item, not an expression
            return f", unnest({args[0]}) as {args[1]} ({args[2]})"
        if macro_name == "retention_walk":  # CTEs ending in `walk`, not an expression
            return f"walk as (select p.*, true as is_published from {args[0]} as p)"
        if macro_name == "district_ancestor_rows":  # a whole select
            return f"select city, on_date, district_code, district_code as ancestor_code, 0 as depth from {args[1]}"
        return f"{macro_name}(" + ", ".join(_arg(a) for a in [*args, *kwargs.values()]) + ")"

    return render
