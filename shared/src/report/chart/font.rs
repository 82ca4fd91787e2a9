//! The embedded chart font: DejaVu Sans (Bitstream Vera licence, in `shared/assets/fonts`).

use std::sync::OnceLock;

use plotters::style::{FontStyle, register_font};

use crate::report::ReportError;

/// The family name charts ask for.
pub const FAMILY: &str = "DejaVu Sans";
const FILE: &str = "DejaVuSans.ttf";
static BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the font with plotters once per process.
pub fn ensure_registered() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, BYTES).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ReportError::Font { font: FILE })
    }
}
