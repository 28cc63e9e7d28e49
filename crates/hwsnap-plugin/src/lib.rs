//! hwsnap-plugin (to be written).
