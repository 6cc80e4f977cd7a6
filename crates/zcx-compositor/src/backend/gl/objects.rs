//! RAII owners of GL objects: each holds the context and deletes its object on drop.

use std::rc::Rc;

use glow::HasContext;

use super::context::GlError;

/// A 2D texture of a fixed size (RGBA8 unless made `with_format`).
pub struct Texture {
    gl: Rc<glow::Context>,
    pub id: glow::Texture,
    pub width: u32,
    pub height: u32,
}

impl Texture {
    pub fn new(gl: &Rc<glow::Context>, width: u32, height: u32) -> Result<Self, GlError> {
        Self::with_format(gl, width, height, glow::RGBA8)
    }

    /// A texture of `width`×`height` whose storage comes from elsewhere (an EGL image), so it
    /// gets none here; left bound to GL_TEXTURE_2D for that.
    pub fn without_storage(
        gl: &Rc<glow::Context>,
        width: u32,
        height: u32,
    ) -> Result<Self, GlError> {
        // SAFETY: plain object creation on the current context.
        unsafe {
            let id = gl.create_texture().map_err(GlError::Object)?;
            gl.bind_texture(glow::TEXTURE_2D, Some(id));
            set_nearest_clamped(gl);
            Ok(Self {
                gl: gl.clone(),
                id,
                width,
                height,
            })
        }
    }

    /// A texture with sized internal format `internal` (e.g. `glow::R8`, `glow::RG8`).
    pub fn with_format(
        gl: &Rc<glow::Context>,
        width: u32,
        height: u32,
        internal: u32,
    ) -> Result<Self, GlError> {
        // SAFETY: plain object creation and storage allocation on the current context.
        unsafe {
            let id = gl.create_texture().map_err(GlError::Object)?;
            gl.bind_texture(glow::TEXTURE_2D, Some(id));
            set_nearest_clamped(gl);
            gl.tex_storage_2d(glow::TEXTURE_2D, 1, internal, width as i32, height as i32);
            Ok(Self {
                gl: gl.clone(),
                id,
                width,
                height,
            })
        }
    }
}

/// Nearest filtering and clamped edges for the texture bound to GL_TEXTURE_2D.
///
/// # Safety
/// A texture must be bound to GL_TEXTURE_2D on the current context.
unsafe fn set_nearest_clamped(gl: &glow::Context) {
    for (p, v) in [
        (glow::TEXTURE_MIN_FILTER, glow::NEAREST),
        (glow::TEXTURE_MAG_FILTER, glow::NEAREST),
        (glow::TEXTURE_WRAP_S, glow::CLAMP_TO_EDGE),
        (glow::TEXTURE_WRAP_T, glow::CLAMP_TO_EDGE),
    ] {
        // SAFETY: forwarded from the caller.
        unsafe { gl.tex_parameter_i32(glow::TEXTURE_2D, p, v as i32) };
    }
}

impl Drop for Texture {
    fn drop(&mut self) {
        // SAFETY: the texture belongs to this context and is deleted once.
        unsafe { self.gl.delete_texture(self.id) }
    }
}

/// A framebuffer with one texture as its colour attachment.
pub struct Framebuffer {
    gl: Rc<glow::Context>,
    pub id: glow::Framebuffer,
}

impl Framebuffer {
    pub fn with_texture(gl: &Rc<glow::Context>, texture: &Texture) -> Result<Self, GlError> {
        // SAFETY: attaching a live texture of this context.
        unsafe {
            let id = gl.create_framebuffer().map_err(GlError::Object)?;
            gl.bind_framebuffer(glow::FRAMEBUFFER, Some(id));
            gl.framebuffer_texture_2d(
                glow::FRAMEBUFFER,
                glow::COLOR_ATTACHMENT0,
                glow::TEXTURE_2D,
                Some(texture.id),
                0,
            );
            let status = gl.check_framebuffer_status(glow::FRAMEBUFFER);
            gl.bind_framebuffer(glow::FRAMEBUFFER, None);
            let fb = Self { gl: gl.clone(), id };
            if status != glow::FRAMEBUFFER_COMPLETE {
                return Err(GlError::Object(format!(
                    "framebuffer incomplete: {status:#x}"
                )));
            }
            Ok(fb)
        }
    }
}

impl Drop for Framebuffer {
    fn drop(&mut self) {
        // SAFETY: owned object of this context.
        unsafe { self.gl.delete_framebuffer(self.id) }
    }
}

/// A linked shader program.
pub struct Program {
    gl: Rc<glow::Context>,
    pub id: glow::Program,
}

impl Program {
    pub fn new(
        gl: &Rc<glow::Context>,
        name: &'static str,
        vert: &str,
        frag: &str,
    ) -> Result<Self, GlError> {
        // SAFETY: compiling and linking sources on the current context; shader objects are
        // deleted after linking whatever happens.
        unsafe {
            let id = gl.create_program().map_err(GlError::Object)?;
            let program = Self { gl: gl.clone(), id };
            let mut shaders = Vec::new();
            for (kind, src) in [(glow::VERTEX_SHADER, vert), (glow::FRAGMENT_SHADER, frag)] {
                let s = gl.create_shader(kind).map_err(GlError::Object)?;
                gl.shader_source(s, src);
                gl.compile_shader(s);
                if !gl.get_shader_compile_status(s) {
                    let log = gl.get_shader_info_log(s);
                    gl.delete_shader(s);
                    return Err(GlError::Shader { name, log });
                }
                gl.attach_shader(id, s);
                shaders.push(s);
            }
            gl.link_program(id);
            for s in shaders {
                gl.detach_shader(id, s);
                gl.delete_shader(s);
            }
            if !gl.get_program_link_status(id) {
                return Err(GlError::Shader {
                    name,
                    log: gl.get_program_info_log(id),
                });
            }
            Ok(program)
        }
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        // SAFETY: owned object of this context.
        unsafe { self.gl.delete_program(self.id) }
    }
}

/// An empty vertex array (core profile needs one bound to draw).
pub struct VertexArray {
    gl: Rc<glow::Context>,
    pub id: glow::VertexArray,
}

impl VertexArray {
    pub fn new(gl: &Rc<glow::Context>) -> Result<Self, GlError> {
        // SAFETY: plain object creation.
        let id = unsafe { gl.create_vertex_array() }.map_err(GlError::Object)?;
        Ok(Self { gl: gl.clone(), id })
    }
}

impl Drop for VertexArray {
    fn drop(&mut self) {
        // SAFETY: owned object of this context.
        unsafe { self.gl.delete_vertex_array(self.id) }
    }
}

/// A sampler object: how a texture unit filters, independent of the textures bound to it.
pub struct Sampler {
    gl: Rc<glow::Context>,
    pub id: glow::Sampler,
}

impl Sampler {
    /// `filter` is `glow::NEAREST` or `glow::LINEAR`; edges clamp.
    pub fn new(gl: &Rc<glow::Context>, filter: u32) -> Result<Self, GlError> {
        Self::with_wrap(gl, filter, glow::CLAMP_TO_EDGE)
    }

    /// `wrap` is `glow::CLAMP_TO_EDGE` or `glow::REPEAT` (tiling), for both axes.
    pub fn with_wrap(gl: &Rc<glow::Context>, filter: u32, wrap: u32) -> Result<Self, GlError> {
        // SAFETY: plain object creation and parameters on the current context.
        unsafe {
            let id = gl.create_sampler().map_err(GlError::Object)?;
            for (p, v) in [
                (glow::TEXTURE_MIN_FILTER, filter),
                (glow::TEXTURE_MAG_FILTER, filter),
                (glow::TEXTURE_WRAP_S, wrap),
                (glow::TEXTURE_WRAP_T, wrap),
            ] {
                gl.sampler_parameter_i32(id, p, v as i32);
            }
            Ok(Self { gl: gl.clone(), id })
        }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        // SAFETY: owned object of this context.
        unsafe { self.gl.delete_sampler(self.id) }
    }
}
