#version 330 core
// One textured quad per Blend op. Positions and texture coordinates are given in pixels and
// converted here; row 0 is the top row of the X screen and of every window texture (no flip).
uniform vec2 u_screen_size;   // composition target size, pixels
uniform vec2 u_texture_size;  // window texture size, pixels
uniform vec4 u_dst;           // x, y, width, height on the screen, pixels
uniform vec4 u_src;           // x, y, width, height in the window texture, pixels
out vec2 v_uv;

void main() {
    // Triangle strip corners: (0,0) (1,0) (0,1) (1,1).
    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
    vec2 pixel = u_dst.xy + corner * u_dst.zw;
    v_uv = (u_src.xy + corner * u_src.zw) / u_texture_size;
    gl_Position = vec4(pixel / u_screen_size * 2.0 - 1.0, 0.0, 1.0);
}
