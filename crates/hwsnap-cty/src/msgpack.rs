//! msgpack codec (to be written).
