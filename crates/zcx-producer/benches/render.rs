//! Render-time benchmark of the frame sources at 4K: `cargo bench -p zcx-producer --bench
//! render`. Prints the first (cold) frame apart, then median and p99 over the steady state,
//! next to the write-once floor (filling the frame) measured in the same run.
//! `ZCX_BENCH_FRAMES` overrides the number of timed frames (default 200).

use std::time::{Duration, Instant};

use rayon::prelude::*;
use zcx_producer::source::{build_source, FrameMut, FrameSource, SourceSpec, DEMO_ASSET};

const WIDTH: u32 = 3840;
const HEIGHT: u32 = 2160;
const WARM_UP_FRAMES: u64 = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let frames: usize = match std::env::var("ZCX_BENCH_FRAMES") {
        Ok(n) => n.parse()?,
        Err(_) => 200,
    };
    println!(
        "{WIDTH}x{HEIGHT}, {frames} frames after {WARM_UP_FRAMES} warm-up, {} rayon threads",
        rayon::current_num_threads()
    );
    println!(
        "{:<34} {:>9} {:>9} {:>9} {:>9}",
        "what", "first ms", "median", "p99", "mean"
    );
    let mut pixels = vec![0u32; WIDTH as usize * HEIGHT as usize];

    let mut n = 0u32;
    report("floor: fill, 1 thread", &mut pixels, frames, |px| {
        n = n.wrapping_add(1);
        px.fill(n);
    });
    report("floor: fill, all threads", &mut pixels, frames, |px| {
        n = n.wrapping_add(1);
        px.par_chunks_mut(1 << 16).for_each(|c| c.fill(n));
    });
    for spec in [SourceSpec::TestCard, SourceSpec::Asset(DEMO_ASSET.into())] {
        let started = Instant::now();
        let mut source = build_source(&spec, WIDTH, HEIGHT)?;
        let setup = started.elapsed();
        let name = format!("{} (setup {:.0} ms)", source.describe(), ms(setup));
        let mut frame_number = 0;
        report(&name, &mut pixels, frames, |px| {
            frame_number += 1;
            render(source.as_mut(), frame_number, px);
        });
    }
    Ok(())
}

fn render(source: &mut dyn FrameSource, frame_number: u64, pixels: &mut [u32]) {
    let frame = FrameMut {
        pixels,
        width: WIDTH,
        height: HEIGHT,
    };
    source.render(frame_number, frame);
}

/// Times one cold frame on a fresh buffer, warm-up frames, then `frames` timed frames.
fn report(name: &str, pixels: &mut [u32], frames: usize, mut step: impl FnMut(&mut [u32])) {
    let mut cold = vec![0u32; pixels.len()];
    let first = time(|| step(&mut cold));
    std::hint::black_box(&cold);
    drop(cold);
    for _ in 0..WARM_UP_FRAMES {
        step(pixels);
    }
    let mut times: Vec<Duration> = (0..frames)
        .map(|_| {
            let t = time(|| step(pixels));
            std::hint::black_box(&*pixels);
            t
        })
        .collect();
    times.sort();
    let at = |q: f64| ms(times[((times.len() - 1) as f64 * q).round() as usize]);
    let mean = ms(times.iter().sum::<Duration>()) / times.len() as f64;
    println!(
        "{name:<34} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
        ms(first),
        at(0.5),
        at(0.99),
        mean
    );
}

fn time(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
