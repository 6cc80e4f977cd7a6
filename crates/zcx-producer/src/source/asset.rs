//! The image asset source: one PNG or JPEG, decoded and scaled once at start-up to a working
//! image slightly larger than the frame, then shown with a slow Ken Burns pan and zoom so that
//! it moves like video.
//!
//! Per frame, each output pixel is sampled bilinearly from the working image in fixed point
//! (8-bit weights, each channel byte blended in 16 bits, loops the compiler vectorizes).
//! Columns map to the same source position on every row, so their indices and weights are a
//! per-frame table; each output row first blends its two source rows into a scratch row, then
//! gathers left and right neighbours through the table and blends them. Rows are rendered in
//! bands on all cores (rayon). The gather is the one scalar loop left.

use std::f64::consts::TAU;
use std::io;
use std::path::{Path, PathBuf};

use image::imageops::{self, FilterType};
use image::{ImageReader, RgbImage};
use rayon::prelude::*;

use super::error::SourceError;
use super::frame::{FrameMut, FrameSource};

/// The image in `demo-assets/` that ships with zcx, as a path `asset:` resolves.
pub const DEMO_ASSET: &str = "plasma-1920x1080.jpg";

/// The working image is this much larger than the frame in each direction: room to pan.
const MARGIN: f64 = 1.10;
/// Zoom oscillates between 1.0 and 1.0 + 2 * ZOOM_SWING.
const ZOOM_SWING: f64 = 0.075;
const ZOOM_PERIOD_FRAMES: u64 = 300;
/// The view centre goes round an ellipse once in this many frames.
const PAN_PERIOD_FRAMES: u64 = 720;
/// Smaller source images are refused: they would only show as a few blurred blocks.
const MIN_SOURCE_SIDE: u32 = 8;
/// Refuse working images above this many pixels (1 GiB of memory).
const MAX_WORK_PIXELS: u64 = 1 << 28;
/// Pixels per band handed to one rayon task.
const BAND_PIXELS: usize = 32 * 1024;

/// An image shown with pan and zoom.
#[derive(Debug)]
pub struct AssetSource {
    label: String,
    /// The working image, `0x00RRGGBB`, `work_w * work_h` pixels.
    work: Vec<u32>,
    work_w: usize,
    work_h: usize,
    /// The frame size the working image was made for; at zoom 1 it maps 1:1.
    frame_w: usize,
    frame_h: usize,
    columns: Columns,
}

/// The part of the working image one frame shows.
#[derive(Debug, Clone, Copy)]
struct View {
    x0: f64,
    y0: f64,
    /// Working-image pixels per output pixel.
    scale_x: f64,
    scale_y: f64,
}

impl AssetSource {
    /// Decodes `path` (see [`resolve_asset_path`]) and prepares it for `width` x `height`
    /// frames. Takes a while for large frames: call it before the frame loop.
    pub fn open(path: &Path, width: u32, height: u32) -> Result<AssetSource, SourceError> {
        let resolved = resolve_asset_path(path)?;
        let image = decode(&resolved)?;
        let work_w = ((f64::from(width) * MARGIN).ceil() as u64).max(2);
        let work_h = ((f64::from(height) * MARGIN).ceil() as u64).max(2);
        if work_w * work_h > MAX_WORK_PIXELS {
            let (path, width, height) = (resolved, work_w, work_h);
            return Err(SourceError::FrameTooLarge {
                path,
                width,
                height,
            });
        }
        let (work_w, work_h) = (work_w as u32, work_h as u32);
        let work = scale_to_cover(&image, work_w, work_h);
        log::debug!(
            "asset {}: {}x{} scaled to {work_w}x{work_h}",
            resolved.display(),
            image.width(),
            image.height()
        );
        Ok(AssetSource {
            label: format!("asset:{}", path.display()),
            work,
            work_w: work_w as usize,
            work_h: work_h as usize,
            frame_w: width as usize,
            frame_h: height as usize,
            columns: Columns::default(),
        })
    }

    /// Where frame `t` looks, for an output of `out_w` x `out_h` pixels.
    fn view(&self, t: u64, out_w: usize, out_h: usize) -> View {
        let zoom_phase = (t % ZOOM_PERIOD_FRAMES) as f64 / ZOOM_PERIOD_FRAMES as f64 * TAU;
        let pan_phase = (t % PAN_PERIOD_FRAMES) as f64 / PAN_PERIOD_FRAMES as f64 * TAU;
        let zoom = 1.0 + ZOOM_SWING * (1.0 - zoom_phase.cos());
        let (work_w, work_h) = (self.work_w as f64, self.work_h as f64);
        let view_w = self.frame_w as f64 / zoom;
        let view_h = self.frame_h as f64 / zoom;
        // Pan within the room left at zoom 1, with a little to spare for bilinear sampling.
        let reach_x = 0.45 * (work_w - self.frame_w as f64).max(0.0);
        let reach_y = 0.45 * (work_h - self.frame_h as f64).max(0.0);
        let centre_x = work_w / 2.0 + reach_x * pan_phase.cos();
        let centre_y = work_h / 2.0 + reach_y * pan_phase.sin();
        View {
            x0: centre_x - view_w / 2.0,
            y0: centre_y - view_h / 2.0,
            scale_x: view_w / out_w as f64,
            scale_y: view_h / out_h as f64,
        }
    }

    fn fill_columns(&mut self, view: &View, out_w: usize) {
        let work_w = self.work_w;
        let Columns { index, byte_weight } = &mut self.columns;
        index.clear();
        byte_weight.clear();
        for x in 0..out_w {
            let (i, w) = sample_position(view.x0, view.scale_x, x, work_w);
            index.push(i);
            byte_weight.extend([w as u8; 4]);
        }
    }
}

/// Source index and 8-bit weight of the next index for output position `i`, clamped so that
/// index + 1 stays inside `0..len` (`len >= 2`).
fn sample_position(origin: f64, scale: f64, i: usize, len: usize) -> (u32, u32) {
    let pos = origin + (i as f64 + 0.5) * scale - 0.5;
    let max = (len as i64 - 1) * 256 - 1;
    let fixed = ((pos * 256.0).round() as i64).clamp(0, max);
    ((fixed >> 8) as u32, (fixed & 0xff) as u32)
}

impl FrameSource for AssetSource {
    fn describe(&self) -> String {
        self.label.clone()
    }

    /// Resampling is arithmetic, so every core helps.
    fn threads(&self) -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }

    /// Renders frame `frame_number`. Any frame size works (the view is resampled to it); the
    /// size given to [`AssetSource::open`] is the one that maps 1:1 at zoom 1.
    fn render(&mut self, frame_number: u64, frame: FrameMut<'_>) {
        let (out_w, out_h) = (frame.width as usize, frame.height as usize);
        if out_w == 0 || out_h == 0 {
            return;
        }
        let view = self.view(frame_number, out_w, out_h);
        self.fill_columns(&view, out_w);
        let (work, work_w, work_h) = (&self.work, self.work_w, self.work_h);
        let columns = &self.columns;
        let len = frame.pixels.len().min(out_w * out_h);
        let band_rows = (BAND_PIXELS / out_w).max(1);
        frame.pixels[..len]
            .par_chunks_mut(band_rows * out_w)
            .enumerate()
            .for_each_init(
                || Scratch::new(work_w, out_w),
                |scratch, (band, pixels)| {
                    for (i, row) in pixels.chunks_mut(out_w).enumerate() {
                        let y = band * band_rows + i;
                        let (src_y, wy) = sample_position(view.y0, view.scale_y, y, work_h);
                        let top = &work[src_y as usize * work_w..][..work_w];
                        let bottom = &work[(src_y as usize + 1) * work_w..][..work_w];
                        scratch.blend_rows(top, bottom, wy, columns);
                        scratch.resample_into(row, columns);
                    }
                },
            );
    }
}

/// Per-frame column table: for each output column, the working-image column to its left and
/// the 8-bit weight of the one to its right. Monotonic in x.
#[derive(Debug, Default)]
struct Columns {
    index: Vec<u32>,
    /// The weight of each column repeated for the 4 bytes of its pixel.
    byte_weight: Vec<u8>,
}

/// One worker's rows in flight: the vertically blended source row, then its pixels gathered
/// into left and right neighbours so that the final blend is a vectorizable loop.
struct Scratch {
    blended: Vec<u32>,
    left: Vec<u32>,
    right: Vec<u32>,
}

impl Scratch {
    fn new(work_w: usize, out_w: usize) -> Scratch {
        Scratch {
            blended: vec![0; work_w],
            left: vec![0; out_w],
            right: vec![0; out_w],
        }
    }

    /// Blends the span of two source rows that the columns read, with weight `wy` for `bottom`.
    fn blend_rows(&mut self, top: &[u32], bottom: &[u32], wy: u32, columns: &Columns) {
        let lo = columns.index.first().map_or(0, |&x| x as usize);
        let hi = columns.index.last().map_or(0, |&x| x as usize) + 1;
        let out: &mut [u8] = bytemuck::cast_slice_mut(&mut self.blended[lo..=hi]);
        let top: &[u8] = bytemuck::cast_slice(&top[lo..=hi]);
        let bottom: &[u8] = bytemuck::cast_slice(&bottom[lo..=hi]);
        let (wa, wb) = (256 - wy as u16, wy as u16);
        for ((o, &a), &b) in out.iter_mut().zip(top).zip(bottom) {
            *o = ((u16::from(a) * wa + u16::from(b) * wb) >> 8) as u8;
        }
    }

    /// Resamples the blended row horizontally into `row`.
    fn resample_into(&mut self, row: &mut [u32], columns: &Columns) {
        let gather = self.left.iter_mut().zip(self.right.iter_mut());
        for ((l, r), &x) in gather.zip(&columns.index) {
            let x = x as usize;
            *l = self.blended[x];
            *r = self.blended[x + 1];
        }
        let out: &mut [u8] = bytemuck::cast_slice_mut(row);
        let left: &[u8] = bytemuck::cast_slice(&self.left);
        let right: &[u8] = bytemuck::cast_slice(&self.right);
        let pairs = left.iter().zip(right);
        for ((o, (&a, &b)), &w) in out.iter_mut().zip(pairs).zip(&columns.byte_weight) {
            let w = u16::from(w);
            *o = ((u16::from(a) * (256 - w) + u16::from(b) * w) >> 8) as u8;
        }
    }
}

/// The file an asset path names: the path as given; if it is relative and not found there,
/// `demo-assets/<path>` in this workspace. The error names every path tried.
pub fn resolve_asset_path(path: &Path) -> Result<PathBuf, SourceError> {
    let mut tried = vec![path.to_path_buf()];
    if path.try_exists().unwrap_or(false) {
        return Ok(path.to_path_buf());
    }
    if path.is_relative() {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let fallback = workspace.join("demo-assets").join(path);
        if fallback.try_exists().unwrap_or(false) {
            return Ok(fallback);
        }
        tried.push(fallback);
    }
    Err(SourceError::AssetMissing {
        given: path.to_path_buf(),
        tried,
    })
}

/// Decodes a PNG or JPEG into RGB, refusing images too small to show.
fn decode(path: &Path) -> Result<RgbImage, SourceError> {
    let unreadable = |source: io::Error| SourceError::AssetUnreadable {
        path: path.to_path_buf(),
        source,
    };
    let reader = ImageReader::open(path)
        .map_err(unreadable)?
        .with_guessed_format()
        .map_err(unreadable)?;
    let image = reader
        .decode()
        .map_err(|source| SourceError::AssetCorrupt {
            path: path.to_path_buf(),
            source,
        })?;
    let (width, height) = (image.width(), image.height());
    if width < MIN_SOURCE_SIDE || height < MIN_SOURCE_SIDE {
        let (path, min) = (path.to_path_buf(), MIN_SOURCE_SIDE);
        return Err(SourceError::AssetTooSmall {
            path,
            width,
            height,
            min,
        });
    }
    Ok(image.into_rgb8())
}

/// Crops `image` to the aspect ratio of `width` x `height` (centred), scales it to exactly
/// that size and packs it as `0x00RRGGBB`.
fn scale_to_cover(image: &RgbImage, width: u32, height: u32) -> Vec<u32> {
    let (src_w, src_h) = (u64::from(image.width()), u64::from(image.height()));
    let (w, h) = (u64::from(width), u64::from(height));
    // Keep the largest centred rectangle of aspect w:h.
    let (crop_w, crop_h) = if src_w * h > src_h * w {
        ((src_h * w / h).max(1), src_h)
    } else {
        (src_w, (src_w * h / w).max(1))
    };
    let (x, y) = ((src_w - crop_w) / 2, (src_h - crop_h) / 2);
    let cropped = imageops::crop_imm(image, x as u32, y as u32, crop_w as u32, crop_h as u32);
    let scaled = imageops::resize(&*cropped, width, height, FilterType::Triangle);
    scaled
        .pixels()
        .map(|p| u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    /// A directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(name: &str) -> TempDir {
            let unique = format!("zcx-asset-{name}-{}", std::process::id());
            let dir = std::env::temp_dir().join(unique);
            std::fs::create_dir_all(&dir).expect("create temp dir");
            TempDir(dir)
        }

        fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
            let path = self.0.join(name);
            std::fs::write(&path, bytes).expect("write temp file");
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A PNG with some structure (so that moving it changes pixels).
    fn png_bytes(width: u32, height: u32) -> Vec<u8> {
        let image = RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x * 7) as u8, (y * 11) as u8, ((x ^ y) * 5) as u8])
        });
        let mut bytes = Vec::new();
        image
            .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
            .expect("encode png");
        bytes
    }

    fn render(source: &mut AssetSource, n: u64, width: u32, height: u32) -> Vec<u32> {
        let mut pixels = vec![0xdead_beef; width as usize * height as usize];
        source.render(
            n,
            FrameMut {
                pixels: &mut pixels,
                width,
                height,
            },
        );
        pixels
    }

    #[test]
    fn missing_file_names_both_paths() {
        let err = AssetSource::open(Path::new("no-such-asset.png"), 64, 32).unwrap_err();
        let SourceError::AssetMissing { ref tried, .. } = err else {
            panic!("expected AssetMissing, got {err:?}");
        };
        assert_eq!(tried.len(), 2);
        let msg = err.to_string();
        assert!(
            msg.contains("no-such-asset.png") && msg.contains("demo-assets"),
            "{msg}"
        );
        let err = AssetSource::open(Path::new("/no/such/asset.png"), 64, 32).unwrap_err();
        assert!(matches!(err, SourceError::AssetMissing { ref tried, .. } if tried.len() == 1));
    }

    #[test]
    fn truncated_and_corrupt_files_are_reported() {
        let dir = TempDir::new("broken");
        let png = png_bytes(64, 48);
        let truncated = dir.write("truncated.png", &png[..png.len() / 2]);
        let garbage = dir.write(
            "garbage.png",
            b"this is not an image at all, not even close",
        );
        let empty = dir.write("empty.jpg", b"");
        for path in [truncated, garbage, empty] {
            let err = AssetSource::open(&path, 64, 32).unwrap_err();
            assert!(
                matches!(err, SourceError::AssetCorrupt { .. }),
                "{path:?}: {err:?}"
            );
            assert!(err.to_string().contains(&*path.to_string_lossy()));
        }
    }

    #[test]
    fn tiny_images_are_refused() {
        let dir = TempDir::new("tiny");
        let path = dir.write("tiny.png", &png_bytes(4, 100));
        let err = AssetSource::open(&path, 64, 32).unwrap_err();
        assert!(matches!(
            err,
            SourceError::AssetTooSmall {
                width: 4,
                height: 100,
                ..
            }
        ));
    }

    #[test]
    fn valid_image_renders_and_moves() {
        let dir = TempDir::new("valid");
        let path = dir.write("valid.png", &png_bytes(64, 48));
        let mut source = AssetSource::open(&path, 80, 45).expect("valid png");
        assert_eq!(source.describe(), format!("asset:{}", path.display()));
        let mut previous = render(&mut source, 0, 80, 45);
        assert!(
            previous.iter().all(|&p| p <= 0x00ff_ffff),
            "pixels must be 0x00RRGGBB"
        );
        for n in 1..=5 {
            let next = render(&mut source, n, 80, 45);
            assert_ne!(previous, next, "frame {n} is the same as frame {}", n - 1);
            previous = next;
        }
        assert_eq!(
            render(&mut source, 3, 80, 45),
            render(&mut source, 3, 80, 45)
        );
    }

    #[test]
    fn any_frame_size_renders_without_panic() {
        let dir = TempDir::new("sizes");
        let path = dir.write("sizes.png", &png_bytes(16, 16));
        for (w, h) in [(1, 1), (7, 1), (4097, 3), (3, 300)] {
            let mut source = AssetSource::open(&path, w, h).expect("open");
            for n in [0, 1, 150, 360, u64::MAX] {
                render(&mut source, n, w, h);
                render(&mut source, n, 13, 5); // a different size than it was built for
            }
        }
    }

    #[test]
    fn bundled_demo_asset_is_found_and_decodes() {
        let mut source = AssetSource::open(Path::new(DEMO_ASSET), 96, 54).expect("demo asset");
        render(&mut source, 1, 96, 54);
    }

    #[test]
    fn sampling_never_leaves_the_working_image() {
        for (origin, scale) in [(-5.0, 1.0), (0.0, 0.5), (90.0, 2.0)] {
            for i in [0, 1, 50, 99] {
                let (x, w) = sample_position(origin, scale, i, 100);
                assert!(x + 1 < 100 && w < 256, "{origin} {scale} {i}: {x} {w}");
            }
        }
    }

    #[test]
    fn blending_weights_are_exact_at_the_ends_and_in_the_middle() {
        let columns = Columns {
            index: vec![0, 1, 2],
            byte_weight: [[0; 4], [128; 4], [255; 4]].concat(),
        };
        let mut scratch = Scratch::new(4, 3);
        let top = [0x0012_3456, 0x0000_0000, 0x00ff_ffff, 0x00ff_ffff];
        let bottom = [0x00ff_ffff; 4];
        scratch.blend_rows(&top, &bottom, 0, &columns);
        assert_eq!(scratch.blended, top);
        let mut row = [0u32; 3];
        scratch.blended = vec![0x0012_3456, 0x0000_0000, 0x00fe_fefe, 0x00ff_ffff];
        scratch.resample_into(&mut row, &columns);
        // Weight 0: left; 128: halfway; 255/256 of the way to the right.
        assert_eq!(row, [0x0012_3456, 0x007f_7f7f, 0x00fe_fefe]);
        scratch.blend_rows(&bottom, &bottom, 200, &columns);
        assert_eq!(scratch.blended, bottom, "a flat colour stays flat");
    }
}
