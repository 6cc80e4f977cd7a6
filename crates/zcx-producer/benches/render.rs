//! Render-time benchmark of the frame sources at 4K: `cargo bench -p zcx-producer --bench
//! render`. Prints the first (cold, fresh buffer) frame apart, then median, p99 and mean wall
//! time over the steady state, and CPU time per frame (all threads), next to the write-once
//! floor (filling the frame) measured in the same run: on a shared machine compare ratios.
//! `ZCX_BENCH_FRAMES` overrides the number of timed frames (default 200); an argument after
//! `--` runs only the lines whose name contains it (`-- asset`).

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
        "{:<44} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "what (ms per frame)", "first", "median", "p99", "mean", "cpu"
    );
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    let mut pixels = vec![0u32; WIDTH as usize * HEIGHT as usize];

    let mut n = 0u32;
    if wanted("floor") {
        report("floor: fill, 1 thread", &mut pixels, frames, |px| {
            n = n.wrapping_add(1);
            px.fill(n);
        });
        report("floor: fill, all threads", &mut pixels, frames, |px| {
            n = n.wrapping_add(1);
            px.par_chunks_mut(1 << 16).for_each(|c| c.fill(n));
        });
    }
    for spec in [SourceSpec::TestCard, SourceSpec::Asset(DEMO_ASSET.into())] {
        if !wanted(&spec.to_string()) {
            continue;
        }
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
    let cpu_before = cpu_time();
    let mut times: Vec<Duration> = (0..frames)
        .map(|_| {
            let t = time(|| step(pixels));
            std::hint::black_box(&*pixels);
            t
        })
        .collect();
    let cpu = ms(cpu_time().saturating_sub(cpu_before)) / frames as f64;
    times.sort();
    let at = |q: f64| ms(times[((times.len() - 1) as f64 * q).round() as usize]);
    let mean = ms(times.iter().sum::<Duration>()) / times.len() as f64;
    println!(
        "{name:<44} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2}",
        ms(first),
        at(0.5),
        at(0.99),
        mean,
        cpu
    );
}

fn time(f: impl FnOnce()) -> Duration {
    let started = Instant::now();
    f();
    started.elapsed()
}

/// User + system CPU time of the whole process (all rayon threads, idle spinning included).
fn cpu_time() -> Duration {
    use nix::sys::resource::{getrusage, UsageWho};
    let Ok(usage) = getrusage(UsageWho::RUSAGE_SELF) else {
        return Duration::ZERO;
    };
    let tv = |t: nix::sys::time::TimeVal| {
        Duration::new(t.tv_sec().max(0) as u64, (t.tv_usec().max(0) as u32) * 1000)
    };
    tv(usage.user_time()) + tv(usage.system_time())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
