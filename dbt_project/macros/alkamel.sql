{#-
  Typing rules for Al Kamel text values, written once and used by every staging model.
  What differs between DuckDB and PostgreSQL is in macros/cross_db.sql.
-#}

{#- Text to a number or boolean, null when it is none (duration_ms and try_cast_text: macros/cross_db.sql). -#}
{% macro to_int(column) -%}
    {{ try_cast_text("nullif(trim(" ~ column ~ "), '')", 'integer') }}
{%- endmacro %}

{#- A decimal, point or comma ('24,42'): no Al Kamel file groups thousands, so a comma is decimal. -#}
{% macro to_double(column) -%}
    {{ try_cast_text("replace(nullif(trim(" ~ column ~ "), ''), ',', '.')", 'double') }}
{%- endmacro %}

{#- 'true' | 'false' (as JSON booleans are loaded) -> boolean; anything else null. -#}
{% macro to_bool(column) -%}
    {{ try_cast_text("nullif(trim(" ~ column ~ "), '')", 'boolean') }}
{%- endmacro %}

{#- Trimmed text, empty as null. -#}
{% macro clean_text(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- Surname without the Porsche junior marker: 'Thompson(J)' -> 'Thompson'. -#}
{% macro strip_junior_marker(column) -%}
    nullif(trim(regexp_replace({{ column }}, '\s*\(J\)\s*$', '')), '')
{%- endmacro %}

{#- Name key for identity matching: accents stripped, lower case, punctuation and spacing collapsed. -#}
{% macro name_key(column) -%}
    nullif(trim(regexp_replace(lower({{ strip_accents(column) }}), '[^a-z0-9]+', ' ', 'g')), '')
{%- endmacro %}

{#- A driver block's name key: first and last name, either may be missing. -#}
{% macro driver_name_key(first_name='first_name', last_name='last_name') -%}
    {{ name_key("coalesce(" ~ first_name ~ ", '') || ' ' || coalesce(" ~ last_name ~ ", '')") }}
{%- endmacro %}

{#- Stable surrogate key: md5 of the parts joined by '|', nulls spelled out so they differ from ''. -#}
{% macro surrogate_key(columns) -%}
    md5(concat_ws('|'
    {%- for column in columns %}, coalesce(cast({{ column }} as varchar), '<null>'){% endfor -%}
    ))
{%- endmacro %}

{#- The rows of a raw report table from the files that currently count (status loaded): superseded,
    removed and set-aside files stay in raw only. The session key is the manifest's (equal to the raw
    row's): a filter on it, as in incremental builds, then picks a few manifest rows whose paths prune
    the raw table's row groups (stored file by file), where a filter on the raw column reads every row
    of history (docs/decisions.md, filters reach the raw scans). -#}
{% macro loaded_rows(report_table) -%}
    (
        select {{ loaded_rows_columns() }}
        from {{ source('alkamel', report_table) }} as report_rows
        join {{ source('alkamel', 'ingested_files') }} as manifest
            on manifest.path = report_rows._file_path and manifest.status = 'loaded'
    ) as loaded_rows
{%- endmacro %}

{#- 1 -> '1st', 22 -> '22nd', 13 -> '13th' -#}
{% macro ordinal(n) -%}
    (cast({{ n }} as varchar) || case
        when {{ n }} % 100 in (11, 12, 13) then 'th'
        when {{ n }} % 10 = 1 then 'st'
        when {{ n }} % 10 = 2 then 'nd'
        when {{ n }} % 10 = 3 then 'rd'
        else 'th' end)
{%- endmacro %}

{#- The two lookups below read their seed as one map on DuckDB, built once per query: a correlated
    subquery per row kept DuckDB from pushing a view's filters (an incremental build's session scope)
    down to the raw table scans (docs/decisions.md, filters reach the raw scans). Like the subquery, the map refuses duplicate aliases (seed_lookup, cross_db.sql). -#}

{#- A delivered class name normalised through the class_aliases seed (the delivered text when no alias
    matches). A one-class series leaves CLASS empty (alkamel.md, other series): its one class is
    named 'Overall' (dim_classes.class_named_by says so). -#}
{% macro normalise_class(column) -%}
    coalesce({{ seed_lookup(ref('class_aliases'), 'alias', 'class_name', column) }}, {{ column }}, 'Overall')
{%- endmacro %}

{#- A delivered STATUS normalised through the status_aliases seed (case-insensitive); null when unknown. -#}
{% macro normalise_status(column) -%}
    {{ seed_lookup(ref('status_aliases'), 'lower(alias)', 'status', 'lower(' ~ column ~ ')') }}
{%- endmacro %}
