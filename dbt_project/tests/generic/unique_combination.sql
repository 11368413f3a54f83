{#- The combination of the given columns is unique (no dbt packages here: dbt deps cannot reach the hub). -#}
{% test unique_combination(model, combination) %}
select {{ combination | join(', ') }}, count(*) as n
from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1
{% endtest %}
