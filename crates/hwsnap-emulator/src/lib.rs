//! hwsnap-emulator (to be written).
