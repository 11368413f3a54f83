{#- No row of a findings table for one check: configured with severity warn, so a finding shows as a
    warning (and an asset check WARN in Dagster) and never fails a build. -#}
{% test no_findings(model, check_name) %}
select * from {{ model }} where check_name = '{{ check_name }}'
{% endtest %}
