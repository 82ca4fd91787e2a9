//! The embedded chart font: DejaVu Sans (Bitstream Vera licence, in `shared/assets/fonts`).

use std::sync::OnceLock;

use ab_glyph::FontRef;
use plotters::style::{FontStyle, register_font};

use crate::report::ReportError;

/// The family name charts ask for.
pub const FAMILY: &str = "DejaVu Sans";
const FILE: &str = "DejaVuSans.ttf";
static BYTES: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the font with plotters once per process, for the few elements that measure
/// text themselves; `text::Canvas` draws every glyph.
pub fn ensure_registered() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, BYTES).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ReportError::Font { font: FILE })
    }
}

/// The font's outlines and metrics, parsed once per process.
pub fn face() -> Result<&'static FontRef<'static>, ReportError> {
    static FACE: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FACE.get_or_init(|| FontRef::try_from_slice(BYTES).ok())
        .as_ref()
        .ok_or(ReportError::Font { font: FILE })
}
