//! Helpers shared by the fuzz targets: the structured input of `flag_config`.

pub mod flags;
