//! Executes draw lists: an off-screen composition target (texture + framebuffer) the size of
//! the screen, one texture per window, scissored clears for fills, `glBlitFramebuffer` for
//! opaque copies and for a few tiles of the root background pixmap (its texture is keyed
//! `TextureKey::Background`; many small tiles are one draw with a repeating sampler), the blend
//! shader for translucent windows, the shadow shader (`shadow`) for drop shadows, and
//! read-back of rectangles in X's byte order (BGRA) for the present path. Row 0 is the top row
//! everywhere.

use std::collections::HashMap;
use std::rc::Rc;

use glow::HasContext;

use super::context::GlError;
use super::egl_image::PixmapImage;
use super::hud::HudRenderer;
use super::objects::{Framebuffer, Program, Sampler, Texture, VertexArray};
use super::shaders;
use super::shadow::ShadowRenderer;
use crate::model::background;
use crate::model::placement::SrcRect;
use crate::model::WindowId;
use crate::region::Rect;
use crate::scene::{DrawList, DrawOp, TextureKey};

/// A window's contents on the GPU. Field order is drop order: framebuffer, then texture.
pub struct WindowTexture {
    fbo: Framebuffer,
    pub texture: Texture,
}

struct BlendUniforms {
    screen_size: Option<glow::UniformLocation>,
    texture_size: Option<glow::UniformLocation>,
    dst: Option<glow::UniformLocation>,
    src: Option<glow::UniformLocation>,
    opacity: Option<glow::UniformLocation>,
    argb: Option<glow::UniformLocation>,
}

/// The most blits one background rectangle is tiled with (see `GlRenderer::tile`).
const MAX_TILE_BLITS: usize = 16;

pub struct GlRenderer {
    gl: Rc<glow::Context>,
    windows: HashMap<TextureKey, WindowTexture>,
    target_fbo: Framebuffer,
    target: Texture,
    blend: Program,
    uniforms: BlendUniforms,
    nearest: Sampler,
    linear: Sampler,
    /// Nearest and repeating: tiles the background pixmap in one draw.
    repeat: Sampler,
    hud: HudRenderer,
    shadow: ShadowRenderer,
    vao: VertexArray,
    max_texture_size: u32,
    warned_oversize: std::cell::Cell<bool>,
}

impl std::fmt::Debug for GlRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlRenderer")
            .field("size", &(self.target.width, self.target.height))
            .field("windows", &self.windows.len())
            .finish()
    }
}

impl GlRenderer {
    pub fn new(gl: &Rc<glow::Context>, width: u32, height: u32) -> Result<Self, GlError> {
        let target = Texture::new(gl, width.max(1), height.max(1))?;
        let target_fbo = Framebuffer::with_texture(gl, &target)?;
        let blend = Program::new(gl, "blend", shaders::BLEND_VERT, shaders::BLEND_FRAG)?;
        // SAFETY: uniform lookups on a linked program of this context.
        let uniforms = unsafe {
            let loc = |n: &str| gl.get_uniform_location(blend.id, n);
            BlendUniforms {
                screen_size: loc("u_screen_size"),
                texture_size: loc("u_texture_size"),
                dst: loc("u_dst"),
                src: loc("u_src"),
                opacity: loc("u_opacity"),
                argb: loc("u_argb"),
            }
        };
        let vao = VertexArray::new(gl)?;
        let (nearest, linear) = (
            Sampler::new(gl, glow::NEAREST)?,
            Sampler::new(gl, glow::LINEAR)?,
        );
        let repeat = Sampler::with_wrap(gl, glow::NEAREST, glow::REPEAT)?;
        let hud = HudRenderer::new(gl)?;
        let shadow = ShadowRenderer::new(gl)?;
        Ok(Self {
            gl: gl.clone(),
            windows: HashMap::new(),
            target_fbo,
            target,
            blend,
            uniforms,
            nearest,
            linear,
            repeat,
            hud,
            shadow,
            vao,
            // SAFETY: a plain query on the current context.
            max_texture_size: unsafe { gl.get_parameter_i32(glow::MAX_TEXTURE_SIZE) }.max(1) as u32,
            warned_oversize: std::cell::Cell::new(false),
        })
    }

    /// Reallocates the composition target for a new screen size (RandR); its contents are
    /// undefined until the next full repaint.
    pub fn resize(&mut self, width: u32, height: u32) -> Result<(), GlError> {
        if self.size() == (width, height) {
            return Ok(());
        }
        let target = Texture::new(&self.gl, width.max(1), height.max(1))?;
        let target_fbo = Framebuffer::with_texture(&self.gl, &target)?;
        // Field order: the old framebuffer goes before the old texture.
        self.target_fbo = target_fbo;
        self.target = target;
        Ok(())
    }

    pub fn size(&self) -> (u32, u32) {
        (self.target.width, self.target.height)
    }

    /// Makes sure `window` has a texture of `width`×`height` (reallocated on resize). Windows
    /// over the maximum texture size get none (one warning for all of them): they are skipped.
    pub fn ensure_window(
        &mut self,
        window: TextureKey,
        width: u32,
        height: u32,
    ) -> Result<(), GlError> {
        if self
            .windows
            .get(&window)
            .is_some_and(|t| (t.texture.width, t.texture.height) == (width, height))
        {
            return Ok(());
        }
        self.windows.remove(&window);
        if width > self.max_texture_size || height > self.max_texture_size {
            if !self.warned_oversize.replace(true) {
                log::warn!(
                    "{window} is {width}x{height}, over the maximum texture size {}: \
                     such windows are not drawn (warned once)",
                    self.max_texture_size
                );
            }
            return Ok(());
        }
        let texture = Texture::new(&self.gl, width.max(1), height.max(1))?;
        let fbo = Framebuffer::with_texture(&self.gl, &texture)?;
        self.windows.insert(window, WindowTexture { fbo, texture });
        Ok(())
    }

    /// Makes `image` (an EGL image of the window's pixmap, `width`×`height`) the storage of
    /// `window`'s texture: from now on the texture shows the pixmap without uploads. Windows
    /// over the maximum texture size keep no texture (as in `ensure_window`).
    pub fn bind_window_image(
        &mut self,
        window: TextureKey,
        (width, height): (u32, u32),
        image: &PixmapImage,
    ) -> Result<(), GlError> {
        self.windows.remove(&window);
        if width > self.max_texture_size || height > self.max_texture_size {
            return Ok(());
        }
        let texture = Texture::without_storage(&self.gl, width.max(1), height.max(1))?;
        // SAFETY: the new mutable-storage texture is bound to GL_TEXTURE_2D on this context;
        // older errors are drained first so the one read after the bind is its own.
        let error = unsafe {
            while self.gl.get_error() != glow::NO_ERROR {}
            image.bind_to_bound_texture();
            self.gl.get_error()
        };
        if error != glow::NO_ERROR {
            return Err(GlError::Object(format!(
                "glEGLImageTargetTexture2DOES failed for {window}: GL error {error:#x}"
            )));
        }
        let fbo = Framebuffer::with_texture(&self.gl, &texture)?;
        self.windows.insert(window, WindowTexture { fbo, texture });
        Ok(())
    }

    pub fn has_window(&self, window: TextureKey) -> bool {
        self.windows.contains_key(&window)
    }

    pub fn remove_window(&mut self, window: TextureKey) {
        self.windows.remove(&window);
    }

    /// The HUD panels' GL side.
    pub fn hud_mut(&mut self) -> &mut HudRenderer {
        &mut self.hud
    }

    /// Drops textures of windows that `keep` rejects.
    pub fn retain_windows(&mut self, mut keep: impl FnMut(TextureKey) -> bool) {
        self.windows.retain(|&id, _| keep(id));
    }

    /// Uploads X ZPixmap bytes (32 bpp, BGRA byte order) of `rect` (window pixmap
    /// coordinates) whose rows are `stride_bytes` apart.
    pub fn upload(&self, window: TextureKey, rect: Rect, data: &[u8], stride_bytes: usize) {
        let Some(t) = self.windows.get(&window) else {
            return;
        };
        let Some(r) = rect.intersect(&Rect::new(0, 0, t.texture.width, t.texture.height)) else {
            return;
        };
        let Some(needed) = rows_end(data.len(), 0, stride_bytes, &r) else {
            log::warn!(
                "upload of {r:?} for {window}: {} bytes is too short",
                data.len()
            );
            return;
        };
        // SAFETY: the slice holds every row the unpack parameters address (checked above).
        unsafe {
            let gl = &self.gl;
            gl.bind_texture(glow::TEXTURE_2D, Some(t.texture.id));
            gl.pixel_store_i32(glow::UNPACK_ROW_LENGTH, (stride_bytes / 4) as i32);
            gl.tex_sub_image_2d(
                glow::TEXTURE_2D,
                0,
                r.x,
                r.y,
                r.width as i32,
                r.height as i32,
                glow::BGRA,
                glow::UNSIGNED_BYTE,
                glow::PixelUnpackData::Slice(Some(&data[..needed])),
            );
            gl.pixel_store_i32(glow::UNPACK_ROW_LENGTH, 0);
        }
    }

    /// Executes `list` into the composition target.
    pub fn execute(&self, list: &DrawList) {
        let gl = &self.gl;
        // SAFETY: binding and drawing with objects owned by this renderer.
        unsafe {
            gl.bind_framebuffer(glow::DRAW_FRAMEBUFFER, Some(self.target_fbo.id));
            gl.viewport(0, 0, self.target.width as i32, self.target.height as i32);
        }
        for op in &list.ops {
            match *op {
                DrawOp::Fill { dst, rgb } => self.fill(dst, rgb),
                DrawOp::Tile { dst, .. } => self.tile(dst),
                DrawOp::Copy { window, src, dst } => {
                    self.copy(TextureKey::Window(window), src, dst)
                }
                DrawOp::Scale { window, dst } => self.scale(TextureKey::Window(window), dst),
                DrawOp::Blend {
                    window,
                    src,
                    dst,
                    opacity,
                    argb,
                    scaled,
                } => {
                    let key = TextureKey::Window(window);
                    self.blend(key, src, dst, (opacity, argb), scaled)
                }
                DrawOp::Shadow(part) => self.shadow.draw(&self.vao, &part, self.size()),
                DrawOp::Hud { window, clip } => self.hud.draw(&self.vao, window, clip, self.size()),
            }
        }
        // SAFETY: restoring default state.
        unsafe {
            gl.disable(glow::SCISSOR_TEST);
            gl.disable(glow::BLEND);
        }
    }

    fn fill(&self, dst: Rect, rgb: u32) {
        let c = |shift: u32| ((rgb >> shift) & 0xff) as f32 / 255.0;
        // SAFETY: scissored clear of the bound draw framebuffer.
        unsafe {
            self.gl.enable(glow::SCISSOR_TEST);
            self.gl
                .scissor(dst.x, dst.y, dst.width as i32, dst.height as i32);
            self.gl.clear_color(c(16), c(8), c(0), 1.0);
            self.gl.clear(glow::COLOR_BUFFER_BIT);
            self.gl.disable(glow::SCISSOR_TEST);
        }
    }

    /// Tiles the background texture from the screen origin over `dst`: blits while the tile
    /// edges cut it into few pieces (a screen-sized wallpaper is one), else one draw with the
    /// repeating sampler (a shader pass costs several blits' worth per pixel on llvmpipe,
    /// thousands of tiny blits cost more).
    fn tile(&self, dst: Rect) {
        let Some(t) = self.windows.get(&TextureKey::Background) else {
            return self.fill(dst, 0);
        };
        let size = (t.texture.width, t.texture.height);
        match background::tile_parts(dst, size, MAX_TILE_BLITS) {
            Some(parts) => {
                for (src, part) in parts {
                    self.copy(TextureKey::Background, src, part);
                }
            }
            None => self.blend(TextureKey::Background, dst.into(), dst, (1.0, false), false),
        }
    }

    fn copy(&self, window: TextureKey, src: Rect, dst: Rect) {
        let Some(t) = self.windows.get(&window) else {
            return self.fill(dst, 0);
        };
        let (sx, sy, dx, dy) = (src.x, src.y, dst.x, dst.y);
        let (w, h) = (src.width as i32, src.height as i32);
        // SAFETY: blit between framebuffers owned by this renderer.
        unsafe {
            self.gl
                .bind_framebuffer(glow::READ_FRAMEBUFFER, Some(t.fbo.id));
            self.gl.blit_framebuffer(
                sx,
                sy,
                sx + w,
                sy + h,
                dx,
                dy,
                dx + w,
                dy + h,
                glow::COLOR_BUFFER_BIT,
                glow::NEAREST,
            );
        }
    }

    fn scale(&self, window: TextureKey, dst: Rect) {
        let Some(t) = self.windows.get(&window) else {
            return self.fill(dst, 0);
        };
        let (w, h) = (t.texture.width as i32, t.texture.height as i32);
        let (dx, dy) = (dst.x, dst.y);
        // SAFETY: blit between framebuffers owned by this renderer.
        unsafe {
            self.gl
                .bind_framebuffer(glow::READ_FRAMEBUFFER, Some(t.fbo.id));
            self.gl.blit_framebuffer(
                0,
                0,
                w,
                h,
                dx,
                dy,
                dx + dst.width as i32,
                dy + dst.height as i32,
                glow::COLOR_BUFFER_BIT,
                glow::LINEAR,
            );
        }
    }

    fn blend(
        &self,
        window: TextureKey,
        src: SrcRect,
        dst: Rect,
        (opacity, argb): (f32, bool),
        scaled: bool,
    ) {
        let Some(t) = self.windows.get(&window) else {
            return;
        };
        let gl = &self.gl;
        let u = &self.uniforms;
        let sampler = if window == TextureKey::Background {
            &self.repeat
        } else if scaled {
            &self.linear
        } else {
            &self.nearest
        };
        // SAFETY: drawing with this renderer's program, vertex array and textures.
        unsafe {
            gl.use_program(Some(self.blend.id));
            gl.bind_vertex_array(Some(self.vao.id));
            gl.active_texture(glow::TEXTURE0);
            gl.bind_texture(glow::TEXTURE_2D, Some(t.texture.id));
            gl.bind_sampler(0, Some(sampler.id));
            gl.uniform_2_f32(
                u.screen_size.as_ref(),
                self.target.width as f32,
                self.target.height as f32,
            );
            gl.uniform_2_f32(
                u.texture_size.as_ref(),
                t.texture.width as f32,
                t.texture.height as f32,
            );
            gl.uniform_4_f32_slice(
                u.dst.as_ref(),
                &[
                    dst.x as f32,
                    dst.y as f32,
                    dst.width as f32,
                    dst.height as f32,
                ],
            );
            gl.uniform_4_f32_slice(u.src.as_ref(), &[src.x, src.y, src.width, src.height]);
            gl.uniform_1_f32(u.opacity.as_ref(), opacity);
            gl.uniform_1_i32(u.argb.as_ref(), i32::from(argb));
            gl.enable(glow::BLEND);
            gl.blend_func(glow::ONE, glow::ONE_MINUS_SRC_ALPHA);
            gl.draw_arrays(glow::TRIANGLE_STRIP, 0, 4);
            gl.disable(glow::BLEND);
            gl.bind_sampler(0, None);
        }
    }

    /// Blits the whole composition target to the default framebuffer (the context's EGL
    /// window surface), flipped: the target keeps X's row order, a window surface GL's.
    pub fn blit_to_window(&self) {
        let (w, h) = (self.target.width as i32, self.target.height as i32);
        // SAFETY: a blit from this renderer's framebuffer to the default one.
        unsafe {
            let gl = &self.gl;
            gl.bind_framebuffer(glow::READ_FRAMEBUFFER, Some(self.target_fbo.id));
            gl.bind_framebuffer(glow::DRAW_FRAMEBUFFER, None);
            gl.blit_framebuffer(
                0,
                0,
                w,
                h,
                0,
                h,
                w,
                0,
                glow::COLOR_BUFFER_BIT,
                glow::NEAREST,
            );
            gl.bind_framebuffer(glow::DRAW_FRAMEBUFFER, Some(self.target_fbo.id));
        }
    }

    /// Reads `rect` of the composition target into `dst` (BGRA bytes, rows `stride_bytes`
    /// apart, `rect`'s top-left pixel at `offset_bytes`).
    pub fn read_back(&self, rect: Rect, dst: &mut [u8], offset_bytes: usize, stride_bytes: usize) {
        let Some(r) = rect.intersect(&Rect::new(0, 0, self.target.width, self.target.height))
        else {
            return;
        };
        let Some(needed) = rows_end(dst.len(), offset_bytes, stride_bytes, &r) else {
            log::warn!(
                "read-back of {r:?}: destination of {} bytes is too short",
                dst.len()
            );
            return;
        };
        // SAFETY: the slice covers every row the pack parameters address (checked above).
        unsafe {
            let gl = &self.gl;
            gl.bind_framebuffer(glow::READ_FRAMEBUFFER, Some(self.target_fbo.id));
            gl.pixel_store_i32(glow::PACK_ROW_LENGTH, (stride_bytes / 4) as i32);
            gl.read_pixels(
                r.x,
                r.y,
                r.width as i32,
                r.height as i32,
                glow::BGRA,
                glow::UNSIGNED_BYTE,
                glow::PixelPackData::Slice(Some(&mut dst[offset_bytes..needed])),
            );
            gl.pixel_store_i32(glow::PACK_ROW_LENGTH, 0);
        }
    }

    /// Draws `window`'s HUD panel alone over transparent black, limited to `rect`, and reads
    /// it back into `out` as premultiplied BGRA (X's ARGB32), rows packed. The composition
    /// target is the scratch space: its pixels in `rect` are undefined afterwards (every frame
    /// redraws all it presents). Returns false (and draws nothing) unless `rect` lies inside
    /// the target.
    pub fn render_hud_panel(&self, window: WindowId, rect: Rect, out: &mut Vec<u8>) -> bool {
        if rect.is_empty()
            || !Rect::new(0, 0, self.target.width, self.target.height).contains(&rect)
        {
            return false;
        }
        let r = rect;
        out.resize(r.area() as usize * 4, 0);
        // SAFETY: a scissored clear of this renderer's target.
        unsafe {
            let gl = &self.gl;
            gl.bind_framebuffer(glow::DRAW_FRAMEBUFFER, Some(self.target_fbo.id));
            gl.viewport(0, 0, self.target.width as i32, self.target.height as i32);
            gl.enable(glow::SCISSOR_TEST);
            gl.scissor(r.x, r.y, r.width as i32, r.height as i32);
            gl.clear_color(0.0, 0.0, 0.0, 0.0);
            gl.clear(glow::COLOR_BUFFER_BIT);
            gl.disable(glow::SCISSOR_TEST);
        }
        self.hud.draw(&self.vao, window, r, self.size());
        self.read_back(r, out, 0, r.width as usize * 4);
        true
    }

    /// Waits until the GPU has finished (for timing).
    pub fn finish(&self) {
        // SAFETY: no arguments.
        unsafe { self.gl.finish() }
    }
}

/// The end of the bytes that hold every row of `r`, `stride_bytes` apart from `offset_bytes`
/// on, when `len` bytes are enough and the stride is whole 32-bit pixels (what GL's
/// UNPACK/PACK_ROW_LENGTH can express); `None` otherwise.
fn rows_end(len: usize, offset_bytes: usize, stride_bytes: usize, r: &Rect) -> Option<usize> {
    let rows = stride_bytes * (r.height as usize).saturating_sub(1);
    let end = offset_bytes + rows + r.width as usize * 4;
    (len >= end && stride_bytes % 4 == 0).then_some(end)
}
