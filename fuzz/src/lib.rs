//! Helpers shared by the fuzz targets: the structured input of `flag_config`, the fixed
//! snapshot of `ofrep_context`.

pub mod flags;
pub mod ofrep;
