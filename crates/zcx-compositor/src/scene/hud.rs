//! The HUD's content, as pure data: parsing a producer's `_ZCX_STATS` (UTF-8 JSON; anything
//! else, or any field of the wrong type, is shown as "-" and never fails), the lines shown per
//! producer window (mode, fps, frame ms p50/p99, context switches and CPU per frame on each
//! side, socket MB per frame) plus the compositor's own line (composited fps, import, draw and
//! present ms), the character grid the GL side draws with the font texture, and where a panel
//! goes. Non-producer windows have no panel.

use serde_json::Value;

use crate::region::Rect;
use crate::stats::FrameTimes;

/// Font cell in font pixels: 8×8 glyphs with two rows of line spacing.
pub const CELL: (u32, u32) = (8, 10);
/// Padding around the text, in font pixels.
pub const PAD: u32 = 3;
/// Margin between the panel and the window's top-left corner, in screen pixels.
const MARGIN: i32 = 8;
/// The longest line kept (characters).
const MAX_COLS: usize = 44;

/// Colour indices of the palette the HUD shader uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Ink {
    Text = 0,
    Mode = 1,
    Compositor = 2,
}

/// What the HUD shows of one producer; every field may be missing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProducerStats {
    pub mode: Option<String>,
    pub fps: Option<f64>,
    /// Frame time: `complete_ms` (until the server consumed the frame), else `submit_ms`.
    pub frame_ms: Option<(f64, f64)>,
    pub ctx_client: Option<f64>,
    pub ctx_server: Option<f64>,
    pub socket_bytes: Option<f64>,
    pub cpu_client: Option<f64>,
    pub cpu_server: Option<f64>,
    /// Most of the frames were handed to the compositor (README "Frame handoff").
    pub handoff: bool,
}

impl ProducerStats {
    /// Parses `_ZCX_STATS`; garbage gives all-missing fields.
    pub fn parse(bytes: &[u8]) -> Self {
        let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
            return Self::default();
        };
        let num = |k: &str| v.get(k).and_then(Value::as_f64).filter(|x| x.is_finite());
        let pct = |k: &str| {
            let p = v.get(k)?;
            Some((p.get("p50")?.as_f64()?, p.get("p99")?.as_f64()?))
        };
        Self {
            mode: v
                .get("mode")
                .and_then(Value::as_str)
                .map(|s| s.chars().take(16).collect()),
            fps: num("fps"),
            frame_ms: pct("complete_ms").or_else(|| pct("submit_ms")),
            ctx_client: num("client_ctx_switches_per_frame"),
            ctx_server: num("server_ctx_switches_per_frame"),
            socket_bytes: num("socket_bytes_per_frame"),
            cpu_client: num("client_cpu_ms_per_frame"),
            cpu_server: num("server_cpu_ms_per_frame"),
            handoff: num("handoff_frames")
                .zip(num("frames"))
                .is_some_and(|(handed, all)| all > 0.0 && 2.0 * handed > all),
        }
    }
}

fn f(x: Option<f64>, decimals: usize) -> String {
    match x {
        Some(v) if v.abs() < 1e7 => format!("{v:.decimals$}"),
        Some(_) => "big".into(),
        None => "-".into(),
    }
}

/// The HUD lines of one producer window, with their ink. With `shared_server` (more than one
/// producer on the screen), the producer's X server figures are the whole server's divided by
/// its own frames, and say so (`srv(all)`): they are not that path's cost.
pub fn lines(
    p: &ProducerStats,
    compositor: Option<(f64, FrameTimes)>,
    shared_server: bool,
) -> Vec<(Ink, String)> {
    let mode = p.mode.as_deref().unwrap_or("producer");
    let delivery = if p.handoff { " handoff" } else { "" };
    let srv = if shared_server { "srv(all)" } else { "srv" };
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    let mut out = vec![
        (Ink::Mode, format!("{mode}{delivery} {} fps", f(p.fps, 1))),
        (
            Ink::Text,
            format!(
                "frame ms p50 {} p99 {}",
                f(p.frame_ms.map(|m| m.0), 2),
                f(p.frame_ms.map(|m| m.1), 2)
            ),
        ),
        (
            Ink::Text,
            format!(
                "ctx/frame cli {} {srv} {}",
                f(p.ctx_client, 1),
                f(p.ctx_server, 1)
            ),
        ),
        (
            Ink::Text,
            format!(
                "cpu ms/frame cli {} {srv} {}",
                f(p.cpu_client, 2),
                f(p.cpu_server, 2)
            ),
        ),
        (
            Ink::Text,
            format!("socket MB/frame {}", f(p.socket_bytes.map(|b| b / 1e6), 3)),
        ),
    ];
    out.push(match compositor {
        Some((fps, t)) => (
            Ink::Compositor,
            format!(
                "zcx {fps:.1} fps i {:.1} d {:.1} p {:.1} ms",
                ms(t.import),
                ms(t.draw),
                ms(t.present)
            ),
        ),
        None => (Ink::Compositor, "zcx - fps".into()),
    });
    out
}

/// Characters and inks laid out in a grid, row 0 at the top: what the HUD shader samples.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextGrid {
    pub cols: u32,
    pub rows: u32,
    /// `cols * rows` pairs of (ASCII code, ink); unprintable characters become '?'.
    pub cells: Vec<[u8; 2]>,
}

impl TextGrid {
    pub fn new(lines: &[(Ink, String)]) -> Self {
        let cols = lines
            .iter()
            .map(|(_, l)| l.chars().count())
            .max()
            .unwrap_or(0)
            .clamp(1, MAX_COLS);
        let mut cells = vec![[b' ', 0]; cols * lines.len().max(1)];
        for (row, (ink, line)) in lines.iter().enumerate() {
            for (col, ch) in line.chars().take(cols).enumerate() {
                let code = if ch.is_ascii() && !ch.is_ascii_control() {
                    ch as u8
                } else {
                    b'?'
                };
                cells[row * cols + col] = [code, *ink as u8];
            }
        }
        Self {
            cols: cols as u32,
            rows: lines.len().max(1) as u32,
            cells,
        }
    }

    /// Panel size in screen pixels at `scale` screen pixels per font pixel.
    pub fn panel_size(&self, scale: u32) -> (u32, u32) {
        (
            (self.cols * CELL.0 + 2 * PAD) * scale,
            (self.rows * CELL.1 + 2 * PAD) * scale,
        )
    }
}

/// Output rows per unit of HUD scale: like mpv's stats overlay, whose text is sized for a
/// 720-row reference and scaled with the output's height, the HUD grows with the screen (one
/// screen pixel per font pixel below 1080 rows, 2 at 1080, 4 at 2160).
pub const ROWS_PER_SCALE: u32 = 540;

/// Screen pixels per font pixel: the output's height over [`ROWS_PER_SCALE`], at least 1.
/// At 4K an 8-pixel glyph is 32 pixels high, 1.5% of the screen height.
pub fn scale_for(screen: Rect) -> u32 {
    (screen.height / ROWS_PER_SCALE).max(1)
}

/// The scale of one window's panel: [`scale_for`] the screen, but no larger than lets the
/// widest possible panel fit the window's width (side by side at 4K, three columns would
/// otherwise be overflowed by 32-pixel glyphs and their counters hidden).
pub fn scale_within(screen: Rect, window_dst: Rect) -> u32 {
    let widest_unscaled = MAX_COLS as u32 * CELL.0 + 2 * PAD;
    let room = window_dst.width.saturating_sub(2 * MARGIN.unsigned_abs());
    scale_for(screen).min((room / widest_unscaled).max(1))
}

/// Where a panel of `size` goes for a window drawn at `window_dst`: near its top-left corner.
pub fn panel_at(window_dst: Rect, size: (u32, u32)) -> Rect {
    Rect::new(window_dst.x + MARGIN, window_dst.y + MARGIN, size.0, size.1)
}

/// The visible part of a panel of `size` for a window drawn at `window_dst`: clipped to the
/// window and the screen (`None` if nothing is left).
pub fn panel_rect(window_dst: Rect, size: (u32, u32), screen: Rect) -> Option<Rect> {
    panel_at(window_dst, size)
        .intersect(&window_dst)?
        .intersect(&screen)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"mode":"shm-pixmap","width":3840,"height":2160,"frames":10,"fps":59.94,
        "render_ms":{"p50":4.0,"p99":5.0},"submit_ms":{"p50":0.1,"p99":0.2},
        "complete_ms":{"p50":6.25,"p99":9.5},"client_cpu_ms_per_frame":4.5,
        "server_cpu_ms_per_frame":5.5,"client_ctx_switches_per_frame":1.2,
        "server_ctx_switches_per_frame":1.3,"socket_bytes_per_frame":96.0,"server":"x"}"#;

    #[test]
    fn parses_the_producer_summary() {
        let p = ProducerStats::parse(SAMPLE.as_bytes());
        assert_eq!(p.mode.as_deref(), Some("shm-pixmap"));
        assert_eq!(p.frame_ms, Some((6.25, 9.5)));
        assert_eq!(p.ctx_server, Some(1.3));
        let text: Vec<String> = lines(&p, None, false).into_iter().map(|l| l.1).collect();
        assert_eq!(text[0], "shm-pixmap 59.9 fps");
        assert_eq!(text[1], "frame ms p50 6.25 p99 9.50");
        assert_eq!(text[3], "cpu ms/frame cli 4.50 srv 5.50");
        assert_eq!(text[4], "socket MB/frame 0.000");
        let shared: Vec<String> = lines(&p, None, true).into_iter().map(|l| l.1).collect();
        assert_eq!(shared[2], "ctx/frame cli 1.2 srv(all) 1.3");
        assert_eq!(shared[3], "cpu ms/frame cli 4.50 srv(all) 5.50");
    }

    #[test]
    fn handed_off_producers_say_so() {
        let handed = SAMPLE.replace(r#""frames":10"#, r#""frames":10,"handoff_frames":9"#);
        let p = ProducerStats::parse(handed.as_bytes());
        assert!(p.handoff);
        assert_eq!(lines(&p, None, false)[0].1, "shm-pixmap handoff 59.9 fps");
        assert!(!ProducerStats::parse(SAMPLE.as_bytes()).handoff);
    }

    #[test]
    fn garbage_and_wrong_types_show_dashes() {
        for bytes in [
            &b"\xff\xfe not json"[..],
            b"",
            b"[1,2]",
            br#"{"mode":7,"fps":"fast","complete_ms":{"p50":1}}"#,
        ] {
            let p = ProducerStats::parse(bytes);
            assert_eq!(
                p,
                ProducerStats {
                    mode: None,
                    ..ProducerStats::default()
                }
            );
            let l = lines(&p, None, false);
            assert!(l[0].1.starts_with("producer - fps"), "{:?}", l[0]);
        }
    }

    #[test]
    fn grid_replaces_non_ascii_and_pads_rows() {
        let g = TextGrid::new(&[(Ink::Mode, "aé".into()), (Ink::Text, "xyz".into())]);
        assert_eq!((g.cols, g.rows), (3, 2));
        assert_eq!(g.cells[0], [b'a', 1]);
        assert_eq!(g.cells[1], [b'?', 1]);
        assert_eq!(g.cells[2], [b' ', 0]);
        assert_eq!(g.cells[5], [b'z', 0]);
        assert_eq!(g.panel_size(1), (3 * 8 + 6, 2 * 10 + 6));
    }

    #[test]
    fn panels_fit_their_window() {
        let screen = Rect::new(0, 0, 3840, 2160);
        assert_eq!(scale_within(screen, screen), 4);
        // Three side-by-side columns at 4K: the widest panel still fits.
        let column = Rect::new(60, 700, 1160, 653);
        let scale = scale_within(screen, column);
        assert_eq!(scale, 3);
        let widest = TextGrid::new(&[(Ink::Text, "x".repeat(MAX_COLS))]);
        assert!(widest.panel_size(scale).0 + 2 * MARGIN.unsigned_abs() <= column.width);
        assert_eq!(scale_within(screen, Rect::new(0, 0, 100, 100)), 1);
    }

    #[test]
    fn glyphs_scale_with_the_output_height() {
        let glyph_px = |h: u32| 8 * scale_for(Rect::new(0, 0, h * 16 / 9, h));
        assert_eq!(glyph_px(480), 8);
        assert_eq!(glyph_px(1080), 16);
        // 4K: 32-pixel glyphs, at least 1.4% of the screen height (8 px was 0.4%).
        assert_eq!(glyph_px(2160), 32);
        assert!(f64::from(glyph_px(2160)) / 2160.0 >= 0.014);
        // The six-line panel of a 4K producer still fits its side-by-side column (~1870 px).
        let p = ProducerStats::parse(SAMPLE.as_bytes());
        let grid = TextGrid::new(&lines(&p, None, false));
        let (w, h) = grid.panel_size(scale_for(Rect::new(0, 0, 3840, 2160)));
        assert!(w <= 1800 && h <= 400, "{w}x{h}");
    }

    #[test]
    fn panel_is_clipped_to_the_window() {
        let screen = Rect::new(0, 0, 100, 100);
        assert_eq!(
            panel_rect(Rect::new(10, 10, 50, 50), (100, 20), screen),
            Some(Rect::new(18, 18, 42, 20))
        );
        assert_eq!(panel_rect(Rect::new(10, 10, 5, 5), (100, 20), screen), None);
    }
}
