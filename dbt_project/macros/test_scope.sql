{#-
  What the tests of an incremental `dbt build` check. A full refresh, `dbt test` on its own, and
  every test of a model not named here check every row.

  A model's `meta.test_scope` says which rows an incremental build may have changed:
  - `changed_sessions` (the incremental tables, set by incremental_by_session in
    macros/incremental.sql): the changed sessions, the rows the pre-hook deleted and re-inserted;
  - `changed_seasons` (incremental tables with `whole_seasons`, and int_competitor_race_results,
    a view over one): every session of the series seasons that hold a changed session;
  - `changed_files` (the staging views of the report tables, whose rows of a session come from that
    session's files alone; set in dbt_project.yml): the sessions with a file added, changed,
    superseded, removed or restored since the last build;
  - anything else (`all`, or no meta): every row.
  A singular test spanning two models filters each on its own scope (incremental_test_filter).

  Rows outside the scope were not changed by the build and passed the same tests when they were
  written; rows with no session at all are always checked (so not_null of the session column still
  bites). The session column is the model's `meta.session_column` (set by incremental_by_session,
  or for the staging views in dbt_project.yml), else `session_id`.

  dbt wraps the model of each generic test in get_where_subquery (as it does for the `where`
  config, which still applies on top); overriding it here is the documented extension point.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set scope = incremental_test_scope(relation) -%}
    {%- if scope is not none -%}
        {%- do conditions.append(scope_condition(incremental_session_column(relation), scope)) -%}
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


{#- The model node of a relation, or none. -#}
{% macro model_node(relation) -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model'
          and node.alias == relation.identifier and node.schema == relation.schema -%}
        {%- do return(node) -%}
    {%- endfor -%}
    {%- do return(none) -%}
{%- endmacro %}


{#- The sessions a test of `relation` must check, as a SQL list literal, or none for every row. -#}
{% macro incremental_test_scope(relation) -%}
    {%- if not execute or flags.WHICH != 'build' or flags.FULL_REFRESH -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set node = model_node(relation) -%}
    {%- set scope = none if node is none else node.config.meta.get('test_scope') -%}
    {%- if scope == 'changed_sessions' -%}
        {%- do return(changed_sessions(model_relation('int_sessions_changed'))) -%}
    {%- elif scope == 'changed_seasons' -%}
        {%- do return(changed_seasons_current_sessions()) -%}
    {%- elif scope == 'changed_files' -%}
        {%- do return(changed_file_sessions()) -%}
    {%- endif -%}
    {%- do return(none) -%}
{%- endmacro %}


{#- The session column of a model (`meta.session_column`, else session_id). -#}
{% macro incremental_session_column(relation) -%}
    {%- set node = model_node(relation) -%}
    {%- do return('session_id' if node is none else node.config.meta.get('session_column', 'session_id')) -%}
{%- endmacro %}


{% macro scope_condition(column, scope) -%}
    {{- '(' ~ column ~ ' in ' ~ scope ~ ' or ' ~ column ~ ' is null)' -}}
{%- endmacro %}


{#- For singular tests: a condition on `column` limiting a test of `relation` to the sessions a
    generic test of it would check ('true' when every row is checked). -#}
{% macro incremental_test_filter(relation, column='session_id') -%}
    {%- set scope = incremental_test_scope(relation) -%}
    {{- 'true' if scope is none else scope_condition(column, scope) -}}
{%- endmacro %}
