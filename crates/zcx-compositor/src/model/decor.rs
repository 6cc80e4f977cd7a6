//! The decorations the compositor adds on purpose, as pure geometry and colours: drop shadows
//! under windows (`--shadows`) and a border around each producer window coloured by the
//! transfer mode its `_ZCX_STATS` names (`--borders`). The model damages the screen area they
//! cover ([`Decorations::visual_extents`]); the scene turns them into draw operations.

use crate::region::Rect;

/// Width of the mode-coloured border, drawn outside the window's own rectangle so that no
/// window pixel (and no frame stamp) is hidden.
pub const BORDER_WIDTH: u32 = 4;

/// What a drop shadow looks like: the window's rectangle moved by `offset`, blurred by a
/// Gaussian of standard deviation `sigma`, darkening what is below by up to `opacity`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShadowStyle {
    pub offset: (i32, i32),
    pub sigma: f32,
    pub opacity: f32,
}

/// The one shadow style (soft, lit from the top left).
pub const SHADOW: ShadowStyle = ShadowStyle {
    offset: (6, 8),
    sigma: 9.0,
    opacity: 0.55,
};

impl ShadowStyle {
    /// How far past the casting rectangle the shadow is drawn: 3σ, where less than 0.2% of
    /// the darkening is left.
    pub fn reach(&self) -> u32 {
        (3.0 * self.sigma).ceil() as u32
    }

    /// The rectangle that casts the shadow for a window drawn at `outer`.
    pub fn caster(&self, outer: Rect) -> Rect {
        outer.translate(self.offset.0, self.offset.1)
    }

    /// The screen rectangle the shadow of a window drawn at `outer` may darken.
    pub fn extents(&self, outer: Rect) -> Rect {
        grow(self.caster(outer), self.reach())
    }

    /// How much of the darkening reaches the pixel centred at (`x`, `y`), 0..=`opacity`: the
    /// Gaussian-blurred caster (a product of error functions). The shader computes the same;
    /// this is its reference for the tests.
    pub fn alpha_at(&self, caster: Rect, x: f32, y: f32) -> f32 {
        let s = self.sigma * std::f32::consts::SQRT_2;
        let cover = |p: f32, lo: f32, hi: f32| 0.5 * (erf((p - lo) / s) - erf((p - hi) / s));
        let (x0, y0) = (caster.x as f32, caster.y as f32);
        let (x1, y1) = (caster.right() as f32, caster.bottom() as f32);
        self.opacity * cover(x, x0, x1) * cover(y, y0, y1)
    }
}

/// Which decorations are on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Decorations {
    pub shadows: bool,
    pub borders: bool,
}

/// A window's decorations as the scene draws them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WindowDecor {
    /// The border: the ring between the window's rectangle and this one, in this colour.
    pub border: Option<(Rect, u32)>,
    /// The rectangle casting the shadow (border included), when the window casts one.
    pub shadow: Option<Rect>,
}

/// What [`Decorations::for_window`] needs to know about a window.
#[derive(Clone, Copy, Debug)]
pub struct DecorFacts<'a> {
    /// Where the window is drawn (its placement's destination).
    pub dst: Rect,
    pub producer: bool,
    /// A bounding shape or an alpha channel gives the window an outline a rectangular shadow
    /// would contradict.
    pub shaped_or_argb: bool,
    /// The transfer mode from `_ZCX_STATS`, if known.
    pub mode: Option<&'a str>,
}

impl Decorations {
    pub fn any(&self) -> bool {
        self.shadows || self.borders
    }

    /// The decorations of one visible window.
    pub fn for_window(&self, f: &DecorFacts) -> WindowDecor {
        let border =
            (self.borders && f.producer).then(|| (grow(f.dst, BORDER_WIDTH), mode_rgb(f.mode)));
        let outer = border.map_or(f.dst, |b| b.0);
        let shadow = (self.shadows && !f.shaped_or_argb).then(|| SHADOW.caster(outer));
        WindowDecor { border, shadow }
    }

    /// Everything a window and its decorations paint on the screen: what must be repainted
    /// when the window appears, moves or goes.
    pub fn visual_extents(&self, f: &DecorFacts) -> Rect {
        let d = self.for_window(f);
        let outer = d.border.map_or(f.dst, |b| b.0);
        match d.shadow {
            Some(caster) => outer.union_bounds(&grow(caster, SHADOW.reach())),
            None => outer,
        }
    }
}

/// The border colour (0x00RRGGBB) for a transfer mode: the socket path red, the shared-memory
/// paths amber (ShmPutImage) and green (shared pixmaps), DRI3 blue, anything else grey.
pub fn mode_rgb(mode: Option<&str>) -> u32 {
    match mode {
        Some("put-image") => 0x00e0_3c3c,
        Some("shm-put") => 0x00e8_a317,
        Some("shm-pixmap") => 0x0034_c25a,
        Some("dri3") => 0x0036_8cf0,
        _ => 0x0080_8080,
    }
}

/// `r` grown by `by` pixels on every side.
pub fn grow(r: Rect, by: u32) -> Rect {
    let b = by as i32;
    Rect::new(
        r.x.saturating_sub(b),
        r.y.saturating_sub(b),
        r.width.saturating_add(2 * by),
        r.height.saturating_add(2 * by),
    )
}

/// The error function (Abramowitz and Stegun 7.1.26, |error| < 1.5e-7); `shaders/shadow.frag`
/// uses the same approximation.
fn erf(x: f32) -> f32 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_6
            + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152 + t * 1.061_405_4))));
    let y = 1.0 - poly * (-x * x).exp();
    y.copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(dst: Rect, producer: bool, shaped_or_argb: bool) -> DecorFacts<'static> {
        DecorFacts {
            dst,
            producer,
            shaped_or_argb,
            mode: Some("shm-pixmap"),
        }
    }

    #[test]
    fn borders_only_for_producers_and_shadows_only_for_rectangular_windows() {
        let dst = Rect::new(100, 100, 50, 40);
        let all = Decorations {
            shadows: true,
            borders: true,
        };
        let p = all.for_window(&facts(dst, true, false));
        assert_eq!(p.border, Some((Rect::new(96, 96, 58, 48), 0x0034_c25a)));
        assert_eq!(p.shadow, Some(Rect::new(102, 104, 58, 48)));
        let plain = all.for_window(&facts(dst, false, false));
        assert_eq!(plain.border, None);
        assert_eq!(plain.shadow, Some(Rect::new(106, 108, 50, 40)));
        assert_eq!(all.for_window(&facts(dst, false, true)).shadow, None);
        assert_eq!(
            Decorations::default().for_window(&facts(dst, true, false)),
            WindowDecor::default()
        );
    }

    #[test]
    fn visual_extents_cover_border_and_shadow() {
        let dst = Rect::new(100, 100, 50, 40);
        let d = Decorations {
            shadows: true,
            borders: true,
        };
        let reach = SHADOW.reach() as i32;
        let e = d.visual_extents(&facts(dst, true, false));
        // The blur reaches further than the offset moves the shadow away.
        assert_eq!((e.x, e.y), (96 + 6 - reach, 96 + 8 - reach));
        assert_eq!(e.right(), i64::from(96 + 58 + 6 + reach));
        assert_eq!(e.bottom(), i64::from(96 + 48 + 8 + reach));
        assert_eq!(
            Decorations::default().visual_extents(&facts(dst, true, false)),
            dst
        );
    }

    #[test]
    fn shadow_is_darkest_inside_and_fades_to_nothing_at_its_reach() {
        let caster = Rect::new(0, 0, 200, 200);
        let inside = SHADOW.alpha_at(caster, 100.5, 100.5);
        assert!((inside - SHADOW.opacity).abs() < 1e-3, "{inside}");
        let edge = SHADOW.alpha_at(caster, 200.0, 100.5);
        assert!((edge - SHADOW.opacity / 2.0).abs() < 1e-3, "{edge}");
        let reach = SHADOW.reach() as f32;
        let far = SHADOW.alpha_at(caster, 200.0 + reach, 100.5);
        assert!(far < 0.002, "{far}");
        let a = SHADOW.alpha_at(caster, 205.0, 100.5);
        let b = SHADOW.alpha_at(caster, 210.0, 100.5);
        assert!(a > b, "fades outwards: {a} {b}");
    }

    #[test]
    fn erf_matches_known_values() {
        for (x, want) in [
            (0.0, 0.0),
            (0.5, 0.520_499_9),
            (1.0, 0.842_700_8),
            (-2.0, -0.995_322_3),
        ] {
            assert!((erf(x) - want).abs() < 1e-5, "erf({x}) = {}", erf(x));
        }
    }

    #[test]
    fn mode_colours_differ_and_unknown_is_grey() {
        let modes = ["put-image", "shm-put", "shm-pixmap", "dri3"];
        let mut colours: Vec<u32> = modes.iter().map(|m| mode_rgb(Some(m))).collect();
        colours.push(mode_rgb(None));
        colours.sort_unstable();
        colours.dedup();
        assert_eq!(colours.len(), 5);
        assert_eq!(mode_rgb(Some("garbage")), mode_rgb(None));
    }
}
