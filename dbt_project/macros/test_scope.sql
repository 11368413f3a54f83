{#-
  Generic tests of the incremental tables (fct_laps, fct_weather, fct_session_results,
  int_session_results_unioned) in an incremental `dbt build` check only the sessions this build may
  have rewritten: every session of the series seasons that hold a changed session
  (macros/incremental.sql), a superset of what each of those models deletes and re-inserts. The
  session column is `session_id` unless the model's `meta.session_column` names another. The rows of every other session were not touched by the
  build and passed the same tests when they were written. A full refresh, `dbt test` on its own,
  and every test of any other model check every row.

  dbt wraps the model of each generic test in get_where_subquery (as it does for the `where`
  config, which still applies on top); overriding it here is the documented extension point.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set scope = incremental_test_scope(relation) -%}
    {%- if scope is not none -%}
        {%- do conditions.append(incremental_session_column(relation) ~ " in " ~ scope) -%}
    {%- endif -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do conditions.append("(" ~ where ~ ")") -%}
    {%- endif -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {%- do return(filtered) -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}


{#- The sessions a test of `relation` must check, as a SQL list literal, or none for every row. -#}
{% macro incremental_test_scope(relation) -%}
    {%- if not execute or flags.WHICH != 'build' or flags.FULL_REFRESH -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.config.materialized == 'incremental'
          and node.alias == relation.identifier and node.schema == relation.schema -%}
        {%- do return(changed_seasons_current_sessions()) -%}
    {%- endfor -%}
    {%- do return(none) -%}
{%- endmacro %}


{#- The session column of an incremental model (`meta.session_column`, else session_id). -#}
{% macro incremental_session_column(relation) -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model'
          and node.alias == relation.identifier and node.schema == relation.schema -%}
        {%- do return(node.config.meta.get('session_column', 'session_id')) -%}
    {%- endfor -%}
    {%- do return('session_id') -%}
{%- endmacro %}


{#- For singular tests: a condition on `column` limiting a test of `relation` to the sessions a
    generic test of it would check ('true' when every row is checked). -#}
{% macro incremental_test_filter(relation, column='session_id') -%}
    {%- set scope = incremental_test_scope(relation) -%}
    {{- 'true' if scope is none else column ~ ' in ' ~ scope -}}
{%- endmacro %}
