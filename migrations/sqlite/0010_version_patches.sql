-- A version may be stored as what changed: `patch` holds an RFC 6902 JSON Patch from the version
-- before it to this one, and `icp` then holds `{}`. Versions without a patch (every existing one,
-- every first version, deletion, and each SNAPSHOT_EVERY-th: store/history.rs) hold the whole ICP.
ALTER TABLE icp_versions ADD COLUMN patch TEXT CHECK (patch IS NULL OR json_type(patch) = 'array');
