//! hwsnap-framework (to be written).
