//! Property tests of `region`: rectangle and region arithmetic against a per-pixel model on
//! small coordinates (where no region reaches `Region::MAX_RECTS`, so nothing collapses), and
//! overflow safety on extreme ones.

use std::collections::BTreeSet;

use proptest::prelude::*;

use super::*;

/// A set of pixels: the model regions are checked against.
pub(crate) type Pixels = BTreeSet<(i32, i32)>;

fn small_rect() -> impl Strategy<Value = Rect> {
    (-8i32..16, -8i32..16, 0u32..10, 0u32..10).prop_map(|(x, y, w, h)| Rect::new(x, y, w, h))
}

fn any_rect() -> impl Strategy<Value = Rect> {
    (any::<i32>(), any::<i32>(), any::<u32>(), any::<u32>())
        .prop_map(|(x, y, w, h)| Rect::new(x, y, w, h))
}

fn large_rect() -> impl Strategy<Value = Rect> {
    const G: i32 = 1 << 29;
    (-G..G, -G..G, 0..G as u32, 0..G as u32).prop_map(|(x, y, w, h)| Rect::new(x, y, w, h))
}

/// The pixels of `r`, one by one.
pub(crate) fn pixels(r: &Rect) -> Pixels {
    let (x0, y0) = (i64::from(r.x), i64::from(r.y));
    (y0..r.bottom())
        .flat_map(|y| (x0..r.right()).map(move |x| (x as i32, y as i32)))
        .collect()
}

fn region_pixels(region: &Region) -> Pixels {
    region.rects().iter().flat_map(pixels).collect()
}

fn region_of(rects: &[Rect]) -> Region {
    let mut region = Region::new();
    for r in rects {
        region.add(*r);
    }
    region
}

/// Non-empty, pairwise disjoint rectangles.
fn assert_well_formed(region: &Region) {
    let rects = region.rects();
    for (i, r) in rects.iter().enumerate() {
        assert!(!r.is_empty(), "empty rect {r:?} in {rects:?}");
        for q in &rects[i + 1..] {
            assert_eq!(r.intersect(q), None, "{r:?} overlaps {q:?}");
        }
    }
}

proptest! {
    #[test]
    fn a_region_is_disjoint_rects_holding_exactly_the_added_pixels(
        rects in prop::collection::vec(small_rect(), 0..6)
    ) {
        let region = region_of(&rects);
        assert_well_formed(&region);
        let model: Pixels = rects.iter().flat_map(pixels).collect();
        prop_assert_eq!(region_pixels(&region), model.clone());
        prop_assert_eq!(region.area(), model.len() as u64);
        prop_assert_eq!(region.is_empty(), model.is_empty());
        let bounds = region.bounds();
        prop_assert!(region.rects().iter().all(|r| bounds.contains(r)));
        if let (Some(x0), Some(y0)) = (model.iter().map(|p| p.0).min(), model.iter().map(|p| p.1).min()) {
            let x1 = model.iter().map(|p| p.0).max().unwrap_or(x0) + 1;
            let y1 = model.iter().map(|p| p.1).max().unwrap_or(y0) + 1;
            prop_assert_eq!(bounds, Rect::new(x0, y0, (x1 - x0) as u32, (y1 - y0) as u32));
        }
    }

    #[test]
    fn subtract_and_intersect_agree_with_the_pixel_model(
        rects in prop::collection::vec(small_rect(), 0..6),
        cut in small_rect(),
    ) {
        let region = region_of(&rects);
        let model = region_pixels(&region);
        let cut_px = pixels(&cut);
        let mut less = region.clone();
        less.subtract_rect(&cut);
        assert_well_formed(&less);
        prop_assert_eq!(region_pixels(&less), &model - &cut_px);
        let inside = region.intersected(&cut);
        assert_well_formed(&inside);
        prop_assert_eq!(region_pixels(&inside), &model & &cut_px);
        // Subtract, then add back: the region plus the cut.
        less.add(cut);
        assert_well_formed(&less);
        prop_assert_eq!(region_pixels(&less), &model | &cut_px);
    }

    #[test]
    fn area_of_a_union_is_the_sum_less_the_overlap(
        a in prop::collection::vec(small_rect(), 0..4),
        b in prop::collection::vec(small_rect(), 0..4),
    ) {
        let (ra, rb) = (region_of(&a), region_of(&b));
        let mut union = ra.clone();
        union.add_region(&rb);
        assert_well_formed(&union);
        let overlap: u64 = rb.rects().iter().map(|r| ra.intersected(r).area()).sum();
        prop_assert_eq!(union.area() + overlap, ra.area() + rb.area());
        prop_assert_eq!(region_pixels(&union), &region_pixels(&ra) | &region_pixels(&rb));
    }

    #[test]
    fn rect_subtract_gives_disjoint_pieces_of_self_outside_the_cut(
        r in small_rect(),
        cut in small_rect(),
    ) {
        let pieces = r.subtract(&cut);
        prop_assert!(pieces.len() <= 4);
        assert_well_formed(&Region { rects: pieces.clone() });
        let got: Pixels = pieces.iter().flat_map(pixels).collect();
        prop_assert_eq!(got, &pixels(&r) - &pixels(&cut));
        let meet: Pixels = r.intersect(&cut).iter().flat_map(pixels).collect();
        prop_assert_eq!(meet, &pixels(&r) & &pixels(&cut));
    }

    #[test]
    fn translate_moves_every_pixel(
        rects in prop::collection::vec(small_rect(), 0..5),
        dx in -20i32..20,
        dy in -20i32..20,
    ) {
        let mut region = region_of(&rects);
        let moved: Pixels = region_pixels(&region).iter().map(|&(x, y)| (x + dx, y + dy)).collect();
        region.translate(dx, dy);
        prop_assert_eq!(region_pixels(&region), moved);
    }

    /// Far from the origin but with every edge representable in `i32`: subtraction is
    /// exact (the pieces and the overlap add up to the whole, and never meet the cut).
    #[test]
    fn large_rects_subtract_exactly(a in large_rect(), b in large_rect()) {
        let pieces = a.subtract(&b);
        let overlap = a.intersect(&b).map_or(0, |i| i.area());
        prop_assert_eq!(pieces.iter().map(Rect::area).sum::<u64>() + overlap, a.area());
        for (i, piece) in pieces.iter().enumerate() {
            prop_assert!(a.contains(piece));
            prop_assert!(piece.intersect(&b).is_none(), "{piece:?} meets the cut {b:?}");
            prop_assert!(pieces[i + 1..].iter().all(|q| q.intersect(piece).is_none()));
        }
    }

    /// Edges past `i32::MAX` are clamped, not wrapped: no panic, and an overlap lies in both.
    /// (Pieces of a subtraction may then overlap the cut by the clamped row or column; X
    /// geometry is 16-bit, so the compositor never meets such rectangles.)
    #[test]
    fn extreme_rects_never_overflow(a in any_rect(), b in any_rect()) {
        if let Some(i) = a.intersect(&b) {
            prop_assert!(!i.is_empty());
            prop_assert!(a.contains(&i) && b.contains(&i), "{i:?} outside {a:?} or {b:?}");
        }
        let u = a.union_bounds(&b);
        prop_assert!(u.is_empty() == (a.is_empty() && b.is_empty()));
        prop_assert!(a.subtract(&b).len() <= 4);
        let mut region = Region::from_rect(a);
        region.add(b);
        region.subtract_rect(&b);
        region.translate(a.x, b.y);
        prop_assert!(region.rects().len() <= Region::MAX_RECTS);
    }
}
