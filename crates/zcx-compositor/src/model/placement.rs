//! Where a window's pixels land: [`Placement`] maps a window's pixmap rectangles onto its
//! screen rectangle (rounded outwards, plus a pixel for bilinear filtering, when scaled) and
//! screen rectangles back to fractional source rectangles ([`SrcRect`]). Pure arithmetic; the
//! layout decides the placements.

use crate::region::Rect;

/// A source rectangle in texture pixels with fractional edges (scaled drawing).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SrcRect {
    pub x: f32,
    pub y: f32,
    pub width: f32,
    pub height: f32,
}

impl From<Rect> for SrcRect {
    fn from(r: Rect) -> Self {
        Self {
            x: r.x as f32,
            y: r.y as f32,
            width: r.width as f32,
            height: r.height as f32,
        }
    }
}

/// How a window's pixmap (`size`) maps onto its screen rectangle `dst`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    pub size: (u32, u32),
    pub dst: Rect,
}

impl Placement {
    pub fn is_scaled(&self) -> bool {
        self.size != (self.dst.width, self.dst.height)
    }

    /// Screen rectangle covering pixmap rectangle `r`, rounded outwards, plus one pixel on each
    /// side when scaled (bilinear filtering reads neighbours), clipped to `dst`.
    pub fn to_screen(&self, r: Rect) -> Option<Rect> {
        if !self.is_scaled() {
            return r.translate(self.dst.x, self.dst.y).intersect(&self.dst);
        }
        let (sx, sy) = self.scale();
        let x0 = (f64::from(r.x) * sx).floor() as i64 - 1;
        let y0 = (f64::from(r.y) * sy).floor() as i64 - 1;
        let x1 = ((r.right() as f64) * sx).ceil() as i64 + 1;
        let y1 = ((r.bottom() as f64) * sy).ceil() as i64 + 1;
        let local = Rect::new(
            x0 as i32,
            y0 as i32,
            (x1 - x0).max(0) as u32,
            (y1 - y0).max(0) as u32,
        );
        local.translate(self.dst.x, self.dst.y).intersect(&self.dst)
    }

    /// The pixmap area that lands on screen rectangle `r` (inside `dst`), with fractional edges.
    pub fn to_source(&self, r: Rect) -> SrcRect {
        let (sx, sy) = self.scale();
        SrcRect {
            x: ((f64::from(r.x - self.dst.x)) / sx) as f32,
            y: ((f64::from(r.y - self.dst.y)) / sy) as f32,
            width: (f64::from(r.width) / sx) as f32,
            height: (f64::from(r.height) / sy) as f32,
        }
    }

    /// Screen pixels per pixmap pixel, horizontally and vertically.
    fn scale(&self) -> (f64, f64) {
        (
            f64::from(self.dst.width) / f64::from(self.size.0.max(1)),
            f64::from(self.dst.height) / f64::from(self.size.1.max(1)),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unscaled_placement_translates() {
        let p = Placement {
            size: (10, 10),
            dst: Rect::new(5, 5, 10, 10),
        };
        assert_eq!(
            p.to_screen(Rect::new(2, 3, 4, 5)),
            Some(Rect::new(7, 8, 4, 5))
        );
    }

    #[test]
    fn scaled_placement_rounds_outwards_with_a_margin_and_maps_back() {
        let p = Placement {
            size: (100, 100),
            dst: Rect::new(10, 10, 50, 50),
        };
        assert_eq!(
            p.to_screen(Rect::new(10, 10, 10, 10)),
            Some(Rect::new(14, 14, 7, 7))
        );
        assert_eq!(
            p.to_screen(Rect::new(0, 0, 100, 100)),
            Some(Rect::new(10, 10, 50, 50))
        );
        let s = p.to_source(Rect::new(20, 10, 5, 50));
        assert_eq!(
            s,
            SrcRect {
                x: 20.0,
                y: 0.0,
                width: 10.0,
                height: 100.0
            }
        );
    }
}
