//! Chart text with every glyph where the font puts it: a drawing backend that wraps the bitmap
//! and draws text itself.
//!
//! plotters 0.3.7 draws ab_glyph text with each glyph's left side bearing dropped and its
//! position cut to a whole pixel, so letters sit unevenly ("Inciden ts", "aler t"). Here
//! glyphs are laid out by their advances and kerning at sub-pixel positions and rasterised
//! where their outlines are. Everything else goes to the bitmap backend unchanged.

use ab_glyph::{Font, FontRef, Glyph, PxScale, ScaleFont, point};
use plotters::prelude::BitMapBackend;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingBackend, DrawingErrorKind,
};

type BitMapError = <BitMapBackend<'static> as DrawingBackend>::ErrorType;
type Result<T = ()> = std::result::Result<T, DrawingErrorKind<BitMapError>>;

/// Text laid out on one line: glyphs on a baseline at `ascent` below the top of the box.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub glyphs: Vec<Glyph>,
    pub width: f32,
    /// Ascent minus descent: the height of the box, which is the font size in pixels.
    pub height: f32,
}

/// Lays out `text` at `px` pixels (the size plotters asks for: ascent to descent).
pub(super) fn lay_out(font: &FontRef<'_>, px: f32, text: &str) -> Line {
    let scaled = font.as_scaled(PxScale::from(px));
    let baseline = scaled.ascent();
    let mut caret = 0.0f32;
    let mut previous = None;
    let mut glyphs = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            caret += scaled.kern(p, id);
        }
        glyphs.push(id.with_scale_and_position(px, point(caret, baseline)));
        caret += scaled.h_advance(id);
        previous = Some(id);
    }
    Line {
        glyphs,
        width: caret,
        height: scaled.ascent() - scaled.descent(),
    }
}

/// The bitmap backend with its text drawn by [`lay_out`].
pub struct Canvas<'a> {
    inner: BitMapBackend<'a>,
    font: &'a FontRef<'static>,
}

impl<'a> Canvas<'a> {
    pub fn new(inner: BitMapBackend<'a>, font: &'a FontRef<'static>) -> Self {
        Self { inner, font }
    }
}

impl DrawingBackend for Canvas<'_> {
    type ErrorType = BitMapError;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }

    fn ensure_prepared(&mut self) -> Result {
        self.inner.ensure_prepared()
    }

    fn present(&mut self) -> Result {
        self.inner.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result {
        self.inner.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result {
        self.inner.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result {
        self.inner.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result {
        self.inner.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result {
        self.inner.fill_polygon(vert, style)
    }

    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Result {
        self.inner.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32)> {
        let line = lay_out(self.font, style.size() as f32, text);
        Ok((line.width.ceil() as u32, line.height.ceil() as u32))
    }

    /// Anchors and rotation as plotters' own `draw_text` has them; only the glyphs differ.
    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let line = lay_out(self.font, style.size() as f32, text);
        let (width, height) = (line.width.round() as i32, line.height.round() as i32);
        let dx = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Right => -width,
            HPos::Center => -width / 2,
        };
        let dy = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let turn = style.transform();
        let (w, h) = self.get_size();
        let mut pixels: Vec<(i32, i32, f32)> = Vec::new();
        for glyph in line.glyphs {
            let Some(outline) = self.font.outline_glyph(glyph) else {
                continue; // a space
            };
            let bounds = outline.px_bounds();
            let (left, top) = (bounds.min.x as i32, bounds.min.y as i32);
            outline.draw(|x, y, coverage| {
                pixels.push((left + x as i32, top + y as i32, coverage.clamp(0.0, 1.0)));
            });
        }
        for (x, y, coverage) in pixels {
            let (x, y) = turn.transform(x + dx, y + dy);
            let (x, y) = (pos.0 + x, pos.1 + y);
            if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
                let ink = BackendColor {
                    alpha: color.alpha * f64::from(coverage),
                    rgb: color.rgb,
                };
                self.inner.draw_pixel((x, y), ink)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::font::face;
    use super::*;

    /// Where each glyph's ink starts, relative to the pen position it was given.
    fn ink_offsets(text: &str) -> Vec<f32> {
        let font = face().unwrap();
        lay_out(font, 28.0, text)
            .glyphs
            .into_iter()
            .filter_map(|g| {
                let pen = g.position.x;
                font.outline_glyph(g).map(|o| o.px_bounds().min.x - pen)
            })
            .collect()
    }

    #[test]
    fn glyphs_keep_their_side_bearings_so_letters_are_evenly_spaced() {
        let font = face().unwrap();
        let line = lay_out(font, 28.0, "Incidents");
        // Pen positions grow by each glyph's advance; none is cut to a whole pixel.
        let pens: Vec<f32> = line.glyphs.iter().map(|g| g.position.x).collect();
        assert!(pens.windows(2).all(|p| p[1] > p[0]), "{pens:?}");
        assert!(pens.iter().any(|p| p.fract() != 0.0), "{pens:?}");
        // Ink starts at the glyph's own bearing (floored to the pixel), not at the pen: 'I'
        // and 'n' have a wide left bearing in DejaVu Sans, 't' a narrow one.
        let offsets = ink_offsets("Int");
        assert!(offsets[0] >= 1.0 && offsets[1] >= 1.0, "{offsets:?}");
        assert!(offsets[2] < offsets[1], "{offsets:?}");
    }

    #[test]
    fn the_box_is_as_wide_as_the_advances_and_as_high_as_the_size() {
        let font = face().unwrap();
        let one = lay_out(font, 30.0, "MTTR");
        let two = lay_out(font, 30.0, "MTTRMTTR");
        assert!((two.width - 2.0 * one.width).abs() < 1.0, "{one:?} {two:?}");
        assert!((one.height - 30.0).abs() < 0.5, "{}", one.height);
        assert_eq!(lay_out(font, 30.0, "").width, 0.0);
    }
}
