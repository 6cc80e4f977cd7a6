#version 330 core
// Premultiplied-alpha "over" (blend function ONE, ONE_MINUS_SRC_ALPHA).
uniform sampler2D u_texture;  // window contents, RGBA8 uploaded from X's BGRA bytes
uniform float u_opacity;      // 0..1, from _NET_WM_WINDOW_OPACITY
uniform bool u_argb;          // true: contents carry premultiplied alpha; false: alpha is junk
in vec2 v_uv;
out vec4 frag_color;

void main() {
    vec4 c = texture(u_texture, v_uv);
    if (!u_argb) {
        c.a = 1.0;
    }
    frag_color = c * u_opacity;
}
