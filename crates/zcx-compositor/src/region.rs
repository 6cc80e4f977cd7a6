//! Rectangles and rectangle-list regions in screen or window pixel coordinates: the damage
//! bookkeeping and occlusion arithmetic of the compositor. Pure data, no X, no GL.

/// An axis-aligned rectangle; `x`/`y` may be negative (windows partly off screen).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rect {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

impl Rect {
    pub const fn new(x: i32, y: i32, width: u32, height: u32) -> Self {
        Self {
            x,
            y,
            width,
            height,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.width == 0 || self.height == 0
    }

    /// One past the right edge.
    pub fn right(&self) -> i64 {
        i64::from(self.x) + i64::from(self.width)
    }

    /// One past the bottom edge.
    pub fn bottom(&self) -> i64 {
        i64::from(self.y) + i64::from(self.height)
    }

    pub fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }

    fn from_edges(x0: i64, y0: i64, x1: i64, y1: i64) -> Self {
        if x1 <= x0 || y1 <= y0 {
            return Self::default();
        }
        // Edges come from i32 origins plus u32 sizes; clamp rather than wrap.
        let clamp = |v: i64| v.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32;
        let (cx0, cy0) = (clamp(x0), clamp(y0));
        Self {
            x: cx0,
            y: cy0,
            width: (x1 - i64::from(cx0)).min(i64::from(u32::MAX)) as u32,
            height: (y1 - i64::from(cy0)).min(i64::from(u32::MAX)) as u32,
        }
    }

    /// The overlap of two rectangles, or `None` when they do not overlap.
    pub fn intersect(&self, other: &Rect) -> Option<Rect> {
        let r = Self::from_edges(
            i64::from(self.x.max(other.x)),
            i64::from(self.y.max(other.y)),
            self.right().min(other.right()),
            self.bottom().min(other.bottom()),
        );
        (!r.is_empty()).then_some(r)
    }

    /// The smallest rectangle containing both (an empty one contributes nothing).
    pub fn union_bounds(&self, other: &Rect) -> Rect {
        if self.is_empty() {
            return *other;
        }
        if other.is_empty() {
            return *self;
        }
        Self::from_edges(
            i64::from(self.x.min(other.x)),
            i64::from(self.y.min(other.y)),
            self.right().max(other.right()),
            self.bottom().max(other.bottom()),
        )
    }

    pub fn contains(&self, other: &Rect) -> bool {
        other.is_empty()
            || (other.x >= self.x
                && other.y >= self.y
                && other.right() <= self.right()
                && other.bottom() <= self.bottom())
    }

    pub fn translate(&self, dx: i32, dy: i32) -> Rect {
        Rect {
            x: self.x.saturating_add(dx),
            y: self.y.saturating_add(dy),
            ..*self
        }
    }

    /// `self` minus `cut`: up to four disjoint pieces (top, bottom, left, right bands).
    pub fn subtract(&self, cut: &Rect) -> Vec<Rect> {
        let Some(hole) = self.intersect(cut) else {
            return if self.is_empty() {
                Vec::new()
            } else {
                vec![*self]
            };
        };
        let (x0, y0, x1, y1) = (
            i64::from(self.x),
            i64::from(self.y),
            self.right(),
            self.bottom(),
        );
        let (hx0, hy0, hx1, hy1) = (
            i64::from(hole.x),
            i64::from(hole.y),
            hole.right(),
            hole.bottom(),
        );
        [
            Self::from_edges(x0, y0, x1, hy0),
            Self::from_edges(x0, hy1, x1, y1),
            Self::from_edges(x0, hy0, hx0, hy1),
            Self::from_edges(hx1, hy0, x1, hy1),
        ]
        .into_iter()
        .filter(|r| !r.is_empty())
        .collect()
    }
}

/// The pixels of `rects` as disjoint rectangles, exactly (no cap on their number, unlike
/// [`Region`]; quadratic in the count, for shapes, which change rarely).
pub fn disjoint(rects: impl IntoIterator<Item = Rect>) -> Vec<Rect> {
    let mut region = Region::new();
    rects.into_iter().for_each(|r| region.add_uncapped(r));
    region.rects
}

/// A set of pixels stored as disjoint rectangles. Small by design: when it grows past
/// [`Region::MAX_RECTS`] it collapses to its bounding box (over-painting is correct, just
/// slower).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Region {
    rects: Vec<Rect>,
}

impl Region {
    pub const MAX_RECTS: usize = 64;

    pub fn new() -> Self {
        Self::default()
    }

    pub fn from_rect(r: Rect) -> Self {
        let mut region = Self::new();
        region.add(r);
        region
    }

    pub fn rects(&self) -> &[Rect] {
        &self.rects
    }

    pub fn is_empty(&self) -> bool {
        self.rects.is_empty()
    }

    pub fn clear(&mut self) {
        self.rects.clear();
    }

    pub fn take(&mut self) -> Region {
        std::mem::take(self)
    }

    pub fn area(&self) -> u64 {
        self.rects.iter().map(Rect::area).sum()
    }

    pub fn bounds(&self) -> Rect {
        self.rects
            .iter()
            .fold(Rect::default(), |acc, r| acc.union_bounds(r))
    }

    /// Adds `r`, keeping the rectangles disjoint.
    pub fn add(&mut self, r: Rect) {
        self.add_uncapped(r);
        if self.rects.len() > Self::MAX_RECTS {
            let b = self.bounds();
            self.rects = vec![b];
        }
    }

    /// Adds `r` exactly, however many rectangles that takes.
    fn add_uncapped(&mut self, r: Rect) {
        if r.is_empty() || self.rects.iter().any(|have| have.contains(&r)) {
            return;
        }
        self.rects.retain(|have| !r.contains(have));
        let mut pieces = vec![r];
        for have in &self.rects {
            pieces = pieces.iter().flat_map(|p| p.subtract(have)).collect();
        }
        self.rects.extend(pieces);
    }

    pub fn add_region(&mut self, other: &Region) {
        for r in &other.rects {
            self.add(*r);
        }
    }

    pub fn subtract_rect(&mut self, cut: &Rect) {
        self.rects = self.rects.iter().flat_map(|r| r.subtract(cut)).collect();
    }

    /// Keeps only the part inside `clip`.
    pub fn intersect_rect(&mut self, clip: &Rect) {
        self.rects = self
            .rects
            .iter()
            .filter_map(|r| r.intersect(clip))
            .collect();
    }

    pub fn intersected(&self, clip: &Rect) -> Region {
        let mut r = self.clone();
        r.intersect_rect(clip);
        r
    }

    pub fn translate(&mut self, dx: i32, dy: i32) {
        for r in &mut self.rects {
            *r = r.translate(dx, dy);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disjoint_keeps_every_pixel_once_however_many_rectangles() {
        // More rectangles than a Region keeps before collapsing to its bounds.
        let stripes: Vec<Rect> = (0..100).map(|i| Rect::new(0, i * 2, 10, 1)).collect();
        let out = disjoint(stripes.iter().copied().chain([Rect::new(0, 0, 10, 1)]));
        assert_eq!(out.iter().map(Rect::area).sum::<u64>(), 1000);
        let overlapping = disjoint([Rect::new(0, 0, 4, 4), Rect::new(2, 2, 4, 4)]);
        assert_eq!(overlapping.iter().map(Rect::area).sum::<u64>(), 28);
    }

    #[test]
    fn intersect_and_disjoint() {
        let a = Rect::new(0, 0, 10, 10);
        assert_eq!(
            a.intersect(&Rect::new(5, 5, 10, 10)),
            Some(Rect::new(5, 5, 5, 5))
        );
        assert_eq!(
            a.intersect(&Rect::new(10, 0, 5, 5)),
            None,
            "touching edges do not overlap"
        );
        assert_eq!(
            a.intersect(&Rect::new(-5, -5, 6, 6)),
            Some(Rect::new(0, 0, 1, 1))
        );
    }

    #[test]
    fn subtract_makes_disjoint_pieces_with_the_right_area() {
        let a = Rect::new(0, 0, 10, 10);
        let pieces = a.subtract(&Rect::new(3, 3, 4, 4));
        assert_eq!(pieces.len(), 4);
        assert_eq!(pieces.iter().map(Rect::area).sum::<u64>(), 100 - 16);
        for (i, p) in pieces.iter().enumerate() {
            for q in &pieces[i + 1..] {
                assert_eq!(p.intersect(q), None);
            }
        }
        assert!(a.subtract(&Rect::new(-1, -1, 20, 20)).is_empty());
        assert_eq!(a.subtract(&Rect::new(20, 20, 1, 1)), vec![a]);
    }

    #[test]
    fn region_add_keeps_rects_disjoint_and_counts_area_once() {
        let mut r = Region::new();
        r.add(Rect::new(0, 0, 10, 10));
        r.add(Rect::new(5, 5, 10, 10));
        r.add(Rect::new(2, 2, 2, 2));
        assert_eq!(r.area(), 100 + 100 - 25);
        assert_eq!(r.bounds(), Rect::new(0, 0, 15, 15));
        r.add(Rect::new(-1, -1, 30, 30));
        assert_eq!(r.rects(), &[Rect::new(-1, -1, 30, 30)]);
    }

    #[test]
    fn region_collapses_to_bounds_when_fragmented() {
        let mut r = Region::new();
        for i in 0..(Region::MAX_RECTS as i32 + 5) {
            r.add(Rect::new(i * 3, 0, 1, 1));
        }
        assert!(r.rects().len() <= Region::MAX_RECTS);
        assert!(r.bounds().contains(&Rect::new(0, 0, 1, 1)));
    }

    #[test]
    fn region_clip_and_subtract() {
        let mut r = Region::from_rect(Rect::new(0, 0, 100, 100));
        r.intersect_rect(&Rect::new(50, 50, 100, 100));
        assert_eq!(r.rects(), &[Rect::new(50, 50, 50, 50)]);
        r.subtract_rect(&Rect::new(50, 50, 50, 25));
        assert_eq!(r.rects(), &[Rect::new(50, 75, 50, 25)]);
    }

    #[test]
    fn huge_values_do_not_overflow() {
        let a = Rect::new(i32::MAX - 1, 0, u32::MAX, 1);
        let b = Rect::new(0, 0, u32::MAX, 1);
        assert!(a.intersect(&b).is_some());
        assert!(!a.union_bounds(&b).is_empty());
    }
}

#[cfg(test)]
#[path = "region_props.rs"]
pub(crate) mod props;
