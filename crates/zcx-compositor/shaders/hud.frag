#version 330 core
// HUD text: each panel pixel finds its character cell in the grid texture, the glyph of that
// character in the font texture, and mixes the cell's ink over a translucent background.
// Output is premultiplied alpha (blend function ONE, ONE_MINUS_SRC_ALPHA).
uniform sampler2D u_font;     // R8, 96 glyphs of 8x8 side by side (ASCII 32..127), 1.0 = ink
uniform sampler2D u_grid;     // RG8, cols x rows: R = ASCII code / 255, G = ink index / 255
uniform vec3 u_palette[3];    // ink colours: text, mode, compositor
uniform float u_scale;        // screen pixels per font pixel
uniform vec2 u_cell;          // character cell in font pixels (8, 10)
uniform float u_pad;          // padding around the text in font pixels
in vec2 v_local;
out vec4 frag_color;

void main() {
    const vec4 background = vec4(0.0, 0.0, 0.0, 0.7);
    vec2 p = floor(v_local / u_scale) - vec2(u_pad);
    ivec2 cell = ivec2(floor(p / u_cell));
    ivec2 grid = textureSize(u_grid, 0);
    if (p.x < 0.0 || p.y < 0.0 || cell.x >= grid.x || cell.y >= grid.y) {
        frag_color = background;
        return;
    }
    vec2 entry = texelFetch(u_grid, cell, 0).rg;
    int code = int(entry.r * 255.0 + 0.5);
    int ink = clamp(int(entry.g * 255.0 + 0.5), 0, 2);
    ivec2 g = ivec2(p - vec2(cell) * u_cell);
    float on = 0.0;
    if (code >= 32 && code < 128 && g.y < 8) {
        on = texelFetch(u_font, ivec2((code - 32) * 8 + g.x, g.y), 0).r;
    }
    frag_color = mix(background, vec4(u_palette[ink], 1.0), on);
}
