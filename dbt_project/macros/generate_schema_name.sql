{#- Models land in the schema they name. On DuckDB (target schema `main`) that is the name itself
    (staging, intermediate, marts, reference). On any other target schema it is dbt's default
    <target.schema>_<name>: PostgreSQL's target schema `build` gives build_staging, build_marts ...,
    never the schemas readers read (the publication copies build_marts into marts). -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- elif target.schema == 'main' -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ target.schema }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
