with

source as (
    select * from {{ source('alkamel', 'ingested_files') }}
),

renamed as (
    select
        path as file_path,
        sha256 as file_sha256,
        size_bytes,
        kind as report_kind,
        header_variant,
        report as report_name,
        mark as report_mark,
        mark_rank,
        season,
        event_folder,
        event_name,
        series_folder,
        series_name,
        session_folder,
        session_name,
        session_start_local,
        session_key,
        status,
        reason,
        rows_loaded,
        loaded_at
    from source
)

select * from renamed
