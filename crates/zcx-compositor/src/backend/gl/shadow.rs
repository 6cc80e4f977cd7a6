//! Drop shadows on the GPU: the `shadow` program (`blend.vert` + `shaders/shadow.frag`) and
//! the one draw call per shadow rectangle. The shadow is computed in closed form in the
//! fragment shader (a Gaussian-blurred rectangle), so there is no blur pass and no texture.

use std::rc::Rc;

use glow::HasContext;

use super::context::GlError;
use super::objects::{Program, VertexArray};
use super::shaders;
use crate::scene::ShadowPart;

struct Uniforms {
    screen_size: Option<glow::UniformLocation>,
    dst: Option<glow::UniformLocation>,
    caster: Option<glow::UniformLocation>,
    sigma: Option<glow::UniformLocation>,
    opacity: Option<glow::UniformLocation>,
}

pub struct ShadowRenderer {
    gl: Rc<glow::Context>,
    program: Program,
    uniforms: Uniforms,
}

impl ShadowRenderer {
    pub fn new(gl: &Rc<glow::Context>) -> Result<Self, GlError> {
        let program = Program::new(gl, "shadow", shaders::BLEND_VERT, shaders::SHADOW_FRAG)?;
        // SAFETY: uniform lookups and constant uniforms on a linked program of this context.
        let uniforms = unsafe {
            let loc = |n: &str| gl.get_uniform_location(program.id, n);
            gl.use_program(Some(program.id));
            // blend.vert's texture coordinates are unused here; keep them finite.
            gl.uniform_2_f32(loc("u_texture_size").as_ref(), 1.0, 1.0);
            gl.uniform_4_f32_slice(loc("u_src").as_ref(), &[0.0; 4]);
            gl.use_program(None);
            Uniforms {
                screen_size: loc("u_screen_size"),
                dst: loc("u_dst"),
                caster: loc("u_caster"),
                sigma: loc("u_sigma"),
                opacity: loc("u_opacity"),
            }
        };
        Ok(Self {
            gl: gl.clone(),
            program,
            uniforms,
        })
    }

    /// Darkens `part.dst` of the bound framebuffer (`screen` pixels) by the shadow.
    pub fn draw(&self, vao: &VertexArray, part: &ShadowPart, screen: (u32, u32)) {
        let gl = &self.gl;
        let u = &self.uniforms;
        let (d, c) = (part.dst, part.caster);
        // SAFETY: drawing with objects owned by this renderer into the bound framebuffer.
        unsafe {
            gl.use_program(Some(self.program.id));
            gl.bind_vertex_array(Some(vao.id));
            gl.uniform_2_f32(u.screen_size.as_ref(), screen.0 as f32, screen.1 as f32);
            gl.uniform_4_f32_slice(
                u.dst.as_ref(),
                &[d.x as f32, d.y as f32, d.width as f32, d.height as f32],
            );
            gl.uniform_4_f32_slice(
                u.caster.as_ref(),
                &[c.x as f32, c.y as f32, c.right() as f32, c.bottom() as f32],
            );
            gl.uniform_1_f32(u.sigma.as_ref(), part.sigma);
            gl.uniform_1_f32(u.opacity.as_ref(), part.opacity);
            gl.enable(glow::BLEND);
            gl.blend_func(glow::ONE, glow::ONE_MINUS_SRC_ALPHA);
            gl.draw_arrays(glow::TRIANGLE_STRIP, 0, 4);
            gl.disable(glow::BLEND);
        }
    }
}
