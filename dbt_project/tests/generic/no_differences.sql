{#- No row whose warehouse figure differs from the official one: configured with severity warn. -#}
{% test no_differences(model) %}
select * from {{ model }} where difference <> 0
{% endtest %}
