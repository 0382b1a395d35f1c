//! runsv: the per-service supervisor (spec: runsv.md). Not yet implemented.
