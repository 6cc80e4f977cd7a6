#version 330 core
// A drop shadow: the caster rectangle blurred by a Gaussian (standard deviation u_sigma),
// darkening what is below by up to u_opacity. The blur of a rectangle separates into a product
// of error functions, so no texture and no blur pass is needed. Premultiplied black with
// coverage alpha, blended with ONE, ONE_MINUS_SRC_ALPHA. Drawn with blend.vert (no texture:
// u_texture_size (1, 1), u_src zero). The compositor's Rust reference is
// `decor::ShadowStyle::alpha_at`, with the same erf approximation.
uniform vec4 u_caster;   // x0, y0, x1, y1 on the screen, pixels (row 0 at the top)
uniform float u_sigma;   // pixels
uniform float u_opacity; // 0..1
out vec4 frag_color;

// Abramowitz and Stegun 7.1.26, |error| < 1.5e-7.
float erf_approx(float x) {
    float t = 1.0 / (1.0 + 0.3275911 * abs(x));
    float poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741
        + t * (-1.453152027 + t * 1.061405429))));
    return sign(x) * (1.0 - poly * exp(-x * x));
}

float cover(float p, float lo, float hi) {
    float s = u_sigma * 1.41421356;
    return 0.5 * (erf_approx((p - lo) / s) - erf_approx((p - hi) / s));
}

void main() {
    // The target is never flipped: gl_FragCoord is the X pixel centre.
    vec2 p = gl_FragCoord.xy;
    float a = u_opacity * cover(p.x, u_caster.x, u_caster.z) * cover(p.y, u_caster.y, u_caster.w);
    frag_color = vec4(0.0, 0.0, 0.0, a);
}
