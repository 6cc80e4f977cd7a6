//! Draws HUD panels: a font texture built once from the embedded public-domain 8×8 bitmap font
//! (`font8x8`, ASCII 32..127), one small character-grid texture per producer window, and the
//! `hud` shader, which turns grid + font into text over a translucent background in one quad
//! per panel, scissored to the damaged part. The panel rectangle comes from the pure
//! [`crate::scene::hud`] module; the GL side keeps the grids and their on-screen rectangles.

use std::collections::HashMap;
use std::rc::Rc;

use glow::HasContext;

use super::context::GlError;
use super::objects::{Program, Texture, VertexArray};
use super::shaders;
use crate::model::WindowId;
use crate::region::Rect;
use crate::scene::hud::{TextGrid, CELL, PAD};

const FIRST_GLYPH: usize = 32;
const GLYPHS: usize = 96;
/// Ink colours (text, mode, compositor), linear RGB 0..1.
const PALETTE: [f32; 9] = [0.92, 0.92, 0.92, 1.0, 0.85, 0.3, 0.45, 0.85, 1.0];

struct Uniforms {
    screen_size: Option<glow::UniformLocation>,
    dst: Option<glow::UniformLocation>,
    scale: Option<glow::UniformLocation>,
}

/// One window's panel: its text grid on the GPU and where it is drawn.
struct Panel {
    grid: Texture,
    rect: Rect,
}

pub struct HudRenderer {
    gl: Rc<glow::Context>,
    panels: HashMap<WindowId, Panel>,
    font: Texture,
    program: Program,
    uniforms: Uniforms,
    scale: u32,
}

/// The font as an R8 image: glyph g of ASCII 32..127 at x = 8 g, 255 where ink.
fn font_pixels() -> Vec<u8> {
    let width = GLYPHS * 8;
    let mut pixels = vec![0u8; width * 8];
    for (g, glyph) in font8x8::legacy::BASIC_LEGACY[FIRST_GLYPH..FIRST_GLYPH + GLYPHS]
        .iter()
        .enumerate()
    {
        for (y, row) in glyph.iter().enumerate() {
            for x in 0..8 {
                // font8x8 stores the leftmost pixel in bit 0.
                if row & (1 << x) != 0 {
                    pixels[y * width + g * 8 + x] = 255;
                }
            }
        }
    }
    pixels
}

fn upload(gl: &glow::Context, t: &Texture, format: u32, bytes: &[u8]) {
    // SAFETY: `bytes` holds width × height pixels of `format` (checked by the callers'
    // construction), rows tightly packed (unpack alignment 1 for the duration).
    unsafe {
        gl.bind_texture(glow::TEXTURE_2D, Some(t.id));
        gl.pixel_store_i32(glow::UNPACK_ALIGNMENT, 1);
        gl.tex_sub_image_2d(
            glow::TEXTURE_2D,
            0,
            0,
            0,
            t.width as i32,
            t.height as i32,
            format,
            glow::UNSIGNED_BYTE,
            glow::PixelUnpackData::Slice(Some(bytes)),
        );
        gl.pixel_store_i32(glow::UNPACK_ALIGNMENT, 4);
    }
}

impl HudRenderer {
    pub fn new(gl: &Rc<glow::Context>) -> Result<Self, GlError> {
        let font = Texture::with_format(gl, (GLYPHS * 8) as u32, 8, glow::R8)?;
        upload(gl, &font, glow::RED, &font_pixels());
        let program = Program::new(gl, "hud", shaders::HUD_VERT, shaders::HUD_FRAG)?;
        // SAFETY: uniform lookups and constant uniforms on a linked program of this context.
        let uniforms = unsafe {
            let loc = |n: &str| gl.get_uniform_location(program.id, n);
            gl.use_program(Some(program.id));
            gl.uniform_1_i32(loc("u_font").as_ref(), 1);
            gl.uniform_1_i32(loc("u_grid").as_ref(), 2);
            gl.uniform_3_f32_slice(loc("u_palette").as_ref(), &PALETTE);
            gl.uniform_2_f32(loc("u_cell").as_ref(), CELL.0 as f32, CELL.1 as f32);
            gl.uniform_1_f32(loc("u_pad").as_ref(), PAD as f32);
            gl.use_program(None);
            Uniforms {
                screen_size: loc("u_screen_size"),
                dst: loc("u_dst"),
                scale: loc("u_scale"),
            }
        };
        Ok(Self {
            gl: gl.clone(),
            panels: HashMap::new(),
            font,
            program,
            uniforms,
            scale: 1,
        })
    }

    /// Sets `window`'s text and panel rectangle (screen pixels, before clipping: drawing is
    /// scissored to the damaged, visible part) at `scale` screen pixels per font pixel.
    pub fn set(
        &mut self,
        window: WindowId,
        grid: &TextGrid,
        rect: Rect,
        scale: u32,
    ) -> Result<(), GlError> {
        self.scale = scale.max(1);
        let fits = self
            .panels
            .get(&window)
            .is_some_and(|p| (p.grid.width, p.grid.height) == (grid.cols, grid.rows));
        if !fits {
            let texture = Texture::with_format(&self.gl, grid.cols, grid.rows, glow::RG8)?;
            self.panels.insert(
                window,
                Panel {
                    grid: texture,
                    rect,
                },
            );
        }
        if let Some(p) = self.panels.get_mut(&window) {
            p.rect = rect;
            upload(&self.gl, &p.grid, glow::RG, grid.cells.as_flattened());
        }
        Ok(())
    }

    pub fn remove(&mut self, window: WindowId) {
        self.panels.remove(&window);
    }

    /// Draws `window`'s panel into the bound framebuffer, limited to `clip`.
    pub fn draw(&self, vao: &VertexArray, window: WindowId, clip: Rect, screen: (u32, u32)) {
        let Some(p) = self.panels.get(&window) else {
            return;
        };
        let gl = &self.gl;
        let u = &self.uniforms;
        let r = p.rect;
        // SAFETY: drawing with objects owned by this renderer into the bound framebuffer.
        unsafe {
            gl.use_program(Some(self.program.id));
            gl.bind_vertex_array(Some(vao.id));
            gl.active_texture(glow::TEXTURE1);
            gl.bind_texture(glow::TEXTURE_2D, Some(self.font.id));
            gl.active_texture(glow::TEXTURE2);
            gl.bind_texture(glow::TEXTURE_2D, Some(p.grid.id));
            gl.active_texture(glow::TEXTURE0);
            gl.uniform_2_f32(u.screen_size.as_ref(), screen.0 as f32, screen.1 as f32);
            gl.uniform_4_f32_slice(
                u.dst.as_ref(),
                &[r.x as f32, r.y as f32, r.width as f32, r.height as f32],
            );
            gl.uniform_1_f32(u.scale.as_ref(), self.scale as f32);
            gl.enable(glow::SCISSOR_TEST);
            gl.scissor(clip.x, clip.y, clip.width as i32, clip.height as i32);
            gl.enable(glow::BLEND);
            gl.blend_func(glow::ONE, glow::ONE_MINUS_SRC_ALPHA);
            gl.draw_arrays(glow::TRIANGLE_STRIP, 0, 4);
            gl.disable(glow::BLEND);
            gl.disable(glow::SCISSOR_TEST);
        }
    }
}
