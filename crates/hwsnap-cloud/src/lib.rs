//! hwsnap-cloud (to be written).
