//! cty JSON codec (to be written).
