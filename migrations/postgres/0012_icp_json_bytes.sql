-- Each ICP's size as its JSON fields' text, so that a list page can stop at `PAGE_BYTES`
-- (src/store/list.rs) without turning every row's jsonb into text. Kept by Postgres itself.
ALTER TABLE icps ADD COLUMN json_bytes bigint NOT NULL GENERATED ALWAYS AS (
    octet_length(name) + coalesce(octet_length(description), 0)
    + octet_length(lead_provider_criteria::text) + octet_length(custom_filter_criteria::text)
    + coalesce(octet_length(crm_filters::text), 0)
) STORED;
