#version 330 core
// One HUD panel quad. Positions are screen pixels, row 0 at the top (no flip), as in blend.vert.
uniform vec2 u_screen_size;   // composition target size, pixels
uniform vec4 u_dst;           // panel x, y, width, height on the screen, pixels
out vec2 v_local;             // pixel offset inside the panel

void main() {
    vec2 corner = vec2(float(gl_VertexID & 1), float(gl_VertexID >> 1));
    v_local = corner * u_dst.zw;
    vec2 pixel = u_dst.xy + v_local;
    gl_Position = vec4(pixel / u_screen_size * 2.0 - 1.0, 0.0, 1.0);
}
