{#- The usual IMSA id of each group of `relation` (columns name_key, [country,] imsa_driver_id): the id
    delivered in the most driver blocks of the group, the smallest on a tie. `where` filters the blocks.
    Used by int_drivers_identified. -#}
{% macro usual_imsa_id(relation, group_columns, where=none) -%}
    select {{ group_columns | join(', ') }}, {{ arg_min('imsa_driver_id', ['-blocks', 'imsa_driver_id']) }} as imsa_driver_id
    from (
        select {{ group_columns | join(', ') }}, imsa_driver_id, count(*) as blocks
        from {{ relation }}
        where imsa_driver_id is not null{% if where %} and {{ where }}{% endif %}
        group by {{ group_columns | join(', ') }}, imsa_driver_id
    ) as counted
    group by {{ group_columns | join(', ') }}
{%- endmacro %}
