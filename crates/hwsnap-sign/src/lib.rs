//! hwsnap-sign (to be written).
