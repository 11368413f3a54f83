{#-
  Where DuckDB and PostgreSQL SQL differ: one adapter.dispatch macro per difference, all here, with
  duckdb__ and postgres__ implementations (default__ is DuckDB's form). Models and the other macros
  call these and are otherwise plain SQL both run. The DuckDB forms are the project's original ones.
  Each dispatch falls back to the DuckDB form where there is no `adapter`: sqlfluff's jinja templater
  (`make lint`) renders the models with these macros but without dbt's adapter.
-#}


{#- try_cast of text: null where the value is not one. `type`: integer, bigint, double, boolean.
    PostgreSQL has no try_cast: a regular expression admits what a cast accepts (DuckDB's cast also
    takes '1.5' as an integer, rounded, which the guard keeps). -#}
{% macro try_cast_text(expr, type) -%}
    {{ return((adapter.dispatch('try_cast_text', 'pitwall') if adapter is defined else default__try_cast_text)(expr, type)) }}
{%- endmacro %}

{% macro default__try_cast_text(expr, type) -%}
    try_cast({{ expr }} as {{ type }})
{%- endmacro %}

{% macro postgres__try_cast_text(expr, type) -%}
    {%- set number = "'^\\s*[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)\\s*$'" -%}
    {%- if type == 'double' -%}
    (case when ({{ expr }}) ~ '^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*$'
        then cast({{ expr }} as float8) end)
    {%- elif type in ('integer', 'bigint') -%}
    {%- set bound = '2147483647' if type == 'integer' else '9223372036854775807' -%}
    {#- nested cases: PostgreSQL does not promise to evaluate `and` left to right -#}
    (case when ({{ expr }}) ~ {{ number }} then
        case when abs(round(cast({{ expr }} as numeric))) <= {{ bound }}
            then cast(round(cast({{ expr }} as numeric)) as {{ type }}) end
    end)
    {%- elif type == 'boolean' -%}
    (case when lower(trim({{ expr }})) in ('true', 't', 'yes', 'y', '1', 'false', 'f', 'no', 'n', '0')
        then cast(trim({{ expr }}) as boolean) end)
    {%- else -%}
    {{ exceptions.raise_compiler_error("try_cast_text: no PostgreSQL form for " ~ type) }}
    {%- endif -%}
{%- endmacro %}


{#- A local timestamp from text in a strptime format, null when it does not parse. PostgreSQL: the
    formats the files use, matched by a regular expression and rewritten to ISO before the cast. -#}
{% macro try_strptime(expr, format) -%}
    {{ return((adapter.dispatch('try_strptime', 'pitwall') if adapter is defined else default__try_strptime)(expr, format)) }}
{%- endmacro %}

{% macro default__try_strptime(expr, format) -%}
    try_strptime({{ expr }}, '{{ format }}')
{%- endmacro %}

{% macro postgres__try_strptime(expr, format) -%}
    {%- set forms = {
        '%d-%m-%Y %H:%M:%S': ['^([0-3][0-9])-([01][0-9])-([0-9]{4}) ([0-2][0-9]):([0-5][0-9]):([0-5][0-9])$', '\\3-\\2-\\1 \\4:\\5:\\6'],
        '%d-%m-%Y %H:%M': ['^([0-3][0-9])-([01][0-9])-([0-9]{4}) ([0-2][0-9]):([0-5][0-9])$', '\\3-\\2-\\1 \\4:\\5'],
        '%d/%m/%Y %H:%M': ['^([0-3][0-9])/([01][0-9])/([0-9]{4}) ([0-2][0-9]):([0-5][0-9])$', '\\3-\\2-\\1 \\4:\\5'],
    } -%}
    {%- if format not in forms -%}
        {{ exceptions.raise_compiler_error("try_strptime: no PostgreSQL form for " ~ format) }}
    {%- endif -%}
    (case when ({{ expr }}) ~ '{{ forms[format][0] }}'
        then cast(regexp_replace({{ expr }}, '{{ forms[format][0] }}', '{{ forms[format][1] }}') as timestamp) end)
{%- endmacro %}


{#- Seconds since the epoch -> a timestamp (UTC, without time zone). -#}
{% macro epoch_to_timestamp(expr) -%}
    {{ return((adapter.dispatch('epoch_to_timestamp', 'pitwall') if adapter is defined else default__epoch_to_timestamp)(expr)) }}
{%- endmacro %}

{% macro default__epoch_to_timestamp(expr) -%}
    to_timestamp({{ expr }})::timestamp
{%- endmacro %}

{% macro postgres__epoch_to_timestamp(expr) -%}
    (to_timestamp({{ expr }}) at time zone 'UTC')
{%- endmacro %}


{#- Accents stripped: DuckDB's strip_accents (Unicode decomposition, marks dropped). PostgreSQL:
    normalize() to NFD and the combining marks removed; unaccent() would also rewrite letters
    DuckDB keeps ('ø' -> 'o'), so name keys (and driver ids) would differ. -#}
{% macro strip_accents(expr) -%}
    {{ return((adapter.dispatch('strip_accents', 'pitwall') if adapter is defined else default__strip_accents)(expr)) }}
{%- endmacro %}

{% macro default__strip_accents(expr) -%}
    strip_accents({{ expr }})
{%- endmacro %}

{% macro postgres__strip_accents(expr) -%}
    regexp_replace(normalize({{ expr }}, NFD), '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]', '', 'g')
{%- endmacro %}


{#- arg_min / arg_max: `value` of the row with the smallest / largest `order` (an expression or a
    list of them, compared in turn), rows where either is null left out (as DuckDB does); `where`
    filters the rows like an aggregate's FILTER. PostgreSQL: the first of an ordered array_agg. -#}
{% macro arg_min(value, order, where=none) -%}
    {{ return((adapter.dispatch('arg_by', 'pitwall') if adapter is defined else default__arg_by)(value, order, 'min', where)) }}
{%- endmacro %}

{% macro arg_max(value, order, where=none) -%}
    {{ return((adapter.dispatch('arg_by', 'pitwall') if adapter is defined else default__arg_by)(value, order, 'max', where)) }}
{%- endmacro %}

{% macro default__arg_by(value, order, direction, where) -%}
    {%- if order is string -%}
        {%- set key = order -%}
    {%- else -%}
        {%- set fields = [] -%}
        {%- for part in order -%}{%- do fields.append('k' ~ loop.index ~ ' := ' ~ part) -%}{%- endfor -%}
        {%- set key = 'struct_pack(' ~ fields | join(', ') ~ ')' -%}
    {%- endif -%}
    arg_{{ direction }}({{ value }}, {{ key }}){% if where %} filter (where {{ where }}){% endif %}
{%- endmacro %}

{% macro postgres__arg_by(value, order, direction, where) -%}
    {%- set parts = [order] if order is string else order -%}
    {%- set sort = ' asc' if direction == 'min' else ' desc' -%}
    {%- set conditions = ['(' ~ value ~ ') is not null'] -%}
    {%- set keys = [] -%}
    {%- for part in parts -%}
        {%- do keys.append('(' ~ part ~ ')' ~ sort) -%}
        {%- do conditions.append('(' ~ part ~ ') is not null') -%}
    {%- endfor -%}
    {%- if where -%}{%- do conditions.append('(' ~ where ~ ')') -%}{%- endif -%}
    (array_agg({{ value }} order by {{ keys | join(', ') }}) filter (where {{ conditions | join(' and ') }}))[1]
{%- endmacro %}


{#- Any one non-null value of the group (every model uses it where the group's values are equal).
    PostgreSQL 15 has no any_value: min(). -#}
{% macro any_value(expr) -%}
    {{ return((adapter.dispatch('any_value', 'pitwall') if adapter is defined else default__any_value)(expr)) }}
{%- endmacro %}

{% macro default__any_value(expr) -%}
    any_value({{ expr }})
{%- endmacro %}

{% macro postgres__any_value(expr) -%}
    min({{ expr }})
{%- endmacro %}


{#- The `value_column` of the row of a seed whose `key_column` equals `lookup` (null when none).
    DuckDB: the seed read as one map, built once per query, so that a view's filters still push down
    to the raw scans (macros/alkamel.sql); like the subquery, the map refuses duplicate keys.
    PostgreSQL: a scalar subquery. -#}
{% macro seed_lookup(seed, key_column, value_column, lookup) -%}
    {{ return((adapter.dispatch('seed_lookup', 'pitwall') if adapter is defined else default__seed_lookup)(seed, key_column, value_column, lookup)) }}
{%- endmacro %}

{% macro default__seed_lookup(seed, key_column, value_column, lookup) -%}
    (select map(list({{ key_column }}), list({{ value_column }})) from {{ seed }})[{{ lookup }}]
{%- endmacro %}

{% macro postgres__seed_lookup(seed, key_column, value_column, lookup) -%}
    (select {{ value_column }} from {{ seed }} where {{ key_column }} = {{ lookup }})
{%- endmacro %}


{#- The select list of loaded_rows(): the raw row with the manifest's session key (equal to the raw
    row's). DuckDB takes the manifest's, which prunes the raw scan (macros/alkamel.sql). -#}
{% macro loaded_rows_columns() -%}
    {{ return((adapter.dispatch('loaded_rows_columns', 'pitwall') if adapter is defined else default__loaded_rows_columns)()) }}
{%- endmacro %}

{% macro default__loaded_rows_columns() -%}
    report_rows.* replace (manifest.session_key as _session_key)
{%- endmacro %}

{% macro postgres__loaded_rows_columns() -%}
    report_rows.*
{%- endmacro %}


{#- Text duration -> integer milliseconds (macros/alkamel.sql, duration_ms): the fields from the right
    are seconds, minutes, hours. DuckDB: a reversed list; PostgreSQL: split_part of the reversed text,
    and the seconds as numeric (exact; round() of a double rounds half to even there). -#}
{% macro duration_ms(column) -%}
    {{ return((adapter.dispatch('duration_ms', 'pitwall') if adapter is defined else default__duration_ms)(column)) }}
{%- endmacro %}

{% macro default__duration_ms(column) -%}
    {%- set parts = "list_reverse(string_split(replace(replace(trim(" ~ column ~ "), '''', ':'), ',', '.'), ':'))" -%}
    (case when {{ column }} is null or trim({{ column }}) = '' then null else
        cast(round(
            coalesce(try_cast({{ parts }}[1] as double), 0) * 1000
            + coalesce(try_cast({{ parts }}[2] as bigint), 0) * 60000
            + coalesce(try_cast({{ parts }}[3] as bigint), 0) * 3600000
        ) as bigint)
    end)
{%- endmacro %}

{% macro postgres__duration_ms(column) -%}
    {%- set reversed = "reverse(replace(replace(trim(" ~ column ~ "), '''', ':'), ',', '.'))" -%}
    {%- set seconds = "reverse(split_part(" ~ reversed ~ ", ':', 1))" -%}
    {%- set minutes = "reverse(split_part(" ~ reversed ~ ", ':', 2))" -%}
    {%- set hours = "reverse(split_part(" ~ reversed ~ ", ':', 3))" -%}
    (case when {{ column }} is null or trim({{ column }}) = '' then null else
        cast(round(
            coalesce(case when {{ seconds }} ~ '^\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)\s*$'
                then cast({{ seconds }} as numeric) end, 0) * 1000
            + coalesce({{ postgres__try_cast_text(minutes, 'bigint') }}, 0) * 60000
            + coalesce({{ postgres__try_cast_text(hours, 'bigint') }}, 0) * 3600000
        ) as bigint)
    end)
{%- endmacro %}


{#- 107057 -> '1:47.057'. DuckDB: integer division `//` and format(); PostgreSQL: `/` of integers
    truncates, and a numeric rounded to 3 places prints its 3 decimals. -#}
{% macro lap_time_text(ms) -%}
    {{ return((adapter.dispatch('lap_time_text', 'pitwall') if adapter is defined else default__lap_time_text)(ms)) }}
{%- endmacro %}

{% macro default__lap_time_text(ms) -%}
    (cast({{ ms }} // 60000 as varchar) || ':' || lpad(format('{:.3f}', ({{ ms }} % 60000) / 1000.0), 6, '0'))
{%- endmacro %}

{% macro postgres__lap_time_text(ms) -%}
    (cast(cast({{ ms }} as bigint) / 60000 as varchar) || ':'
        || lpad(cast(round((cast({{ ms }} as bigint) % 60000) / 1000.0, 3) as varchar), 6, '0'))
{%- endmacro %}


{#- A regular expression search (RE2 patterns, as the seeds write them). PostgreSQL's `~`: its word
    boundary is \y (\b is a backspace there), so \b is rewritten, in the pattern's text. -#}
{% macro regexp_matches(text, pattern) -%}
    {{ return((adapter.dispatch('regexp_matches', 'pitwall') if adapter is defined else default__regexp_matches)(text, pattern)) }}
{%- endmacro %}

{% macro default__regexp_matches(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro postgres__regexp_matches(text, pattern) -%}
    ({{ text }} ~ replace({{ pattern }}, '\b', '\y'))
{%- endmacro %}


{#- Group `group` of the first match, '' when there is none (null on null input), as DuckDB's
    regexp_extract. -#}
{% macro regexp_extract(text, pattern, group) -%}
    {{ return((adapter.dispatch('regexp_extract', 'pitwall') if adapter is defined else default__regexp_extract)(text, pattern, group)) }}
{%- endmacro %}

{% macro default__regexp_extract(text, pattern, group) -%}
    regexp_extract({{ text }}, {{ pattern }}, {{ group }})
{%- endmacro %}

{% macro postgres__regexp_extract(text, pattern, group) -%}
    (case when ({{ text }}) is not null and ({{ pattern }}) is not null then
        coalesce((regexp_match({{ text }}, replace({{ pattern }}, '\b', '\y')))[{{ group }}], '') end)
{%- endmacro %}


{#- A hash of a row's columns, summed over a group to compare two versions of it (int_sessions_changed). -#}
{% macro row_hash(columns) -%}
    {{ return((adapter.dispatch('row_hash', 'pitwall') if adapter is defined else default__row_hash)(columns)) }}
{%- endmacro %}

{% macro default__row_hash(columns) -%}
    hash({{ columns | join(', ') }})
{%- endmacro %}

{% macro postgres__row_hash(columns) -%}
    hashtextextended(concat_ws('|'{% for column in columns %}, coalesce(cast({{ column }} as text), '<null>'){% endfor %}), 0)
{%- endmacro %}


{#- round() of a double to `places` decimals, a double. PostgreSQL rounds numerics only. -#}
{% macro round_double(expr, places) -%}
    {{ return((adapter.dispatch('round_double', 'pitwall') if adapter is defined else default__round_double)(expr, places)) }}
{%- endmacro %}

{% macro default__round_double(expr, places) -%}
    round({{ expr }}, {{ places }})
{%- endmacro %}

{% macro postgres__round_double(expr, places) -%}
    cast(round(cast({{ expr }} as numeric), {{ places }}) as float8)
{%- endmacro %}


{#- Lists, for the singular tests: the sorted values of a group (nulls last), filtered by `where`. -#}
{% macro sorted_list_agg(expr, where) -%}
    {{ return((adapter.dispatch('sorted_list_agg', 'pitwall') if adapter is defined else default__sorted_list_agg)(expr, where)) }}
{%- endmacro %}

{% macro default__sorted_list_agg(expr, where) -%}
    list_sort(list({{ expr }}) filter (where {{ where }}))
{%- endmacro %}

{% macro postgres__sorted_list_agg(expr, where) -%}
    (array_agg({{ expr }} order by {{ expr }}) filter (where {{ where }}))
{%- endmacro %}


{#- The sum of the first `n` values of a list (null for none). -#}
{% macro list_sum_first(list, n) -%}
    {{ return((adapter.dispatch('list_sum_first', 'pitwall') if adapter is defined else default__list_sum_first)(list, n)) }}
{%- endmacro %}

{% macro default__list_sum_first(list, n) -%}
    list_sum(list_slice({{ list }}, 1, {{ n }}))
{%- endmacro %}

{% macro postgres__list_sum_first(list, n) -%}
    (select sum(element) from unnest(({{ list }})[1:{{ n }}]) as elements (element))
{%- endmacro %}


{#- A list (null: empty) followed by `count` copies of `pad`. -#}
{% macro list_padded(list, count, pad) -%}
    {{ return((adapter.dispatch('list_padded', 'pitwall') if adapter is defined else default__list_padded)(list, count, pad)) }}
{%- endmacro %}

{% macro default__list_padded(list, count, pad) -%}
    list_concat(coalesce({{ list }}, []), list_transform(range({{ count }}), lambda x: {{ pad }}))
{%- endmacro %}

{% macro postgres__list_padded(list, count, pad) -%}
    (coalesce({{ list }}, '{}') || array_fill({{ pad }}, array[cast({{ count }} as integer)]))
{%- endmacro %}


{#- A post-hook of every model and seed: PostgreSQL plans the next models' joins from table statistics,
    which a table created or filled in the build has none of until autovacuum comes by (without them
    it nested-loops: docs/decisions.md, PostgreSQL). DuckDB: nothing. -#}
{% macro analyze_after_build() -%}
    {{ return((adapter.dispatch('analyze_after_build', 'pitwall') if adapter is defined else default__analyze_after_build)()) }}
{%- endmacro %}

{% macro default__analyze_after_build() -%}
{%- endmacro %}

{% macro postgres__analyze_after_build() -%}
    {%- if config.get('materialized') in ('table', 'incremental', 'seed') -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
