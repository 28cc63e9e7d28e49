//! terraform-provider-hwsnap (to be written).
