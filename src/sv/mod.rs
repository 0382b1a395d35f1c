//! sv: the control client (spec: sv.md). Not yet implemented.
