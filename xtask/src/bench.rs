//! `cargo xtask bench`: repeated, interleaved runs of every mode, a table of medians, the
//! machine description, and all raw JSON under `target/zcx-bench/<unix-timestamp>/`.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

use crate::cmd::target_dir;
use crate::runner::{shell_line, RunSpec, Session, MODES};
use crate::summary::{median_summary, Summary};
use crate::table::{render, Row};

/// Runs `reps` rounds of all modes (A/B/C/A/B/C…) and prints/writes the median table.
pub fn run(session: &Session, spec: RunSpec, reps: u32) -> Result<()> {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the clock is before 1970")?
        .as_secs();
    let dir = target_dir().join("zcx-bench").join(stamp.to_string());
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;

    let invocation = invocation_line();
    let producer = shell_line(&session.producer_command("<mode>", spec, &dir.join("<run>.json")));
    let machine = machine_info(session.display(), session.own_server());
    let preamble = format!(
        "command: {invocation}\nproducer: {producer}\nreps: {reps}, interleaved across modes\n{machine}"
    );
    println!("{preamble}");
    write(&dir.join("command.txt"), &preamble)?;

    let mut runs: Vec<(Vec<Summary>, Option<String>)> = vec![(Vec::new(), None); MODES.len()];
    for rep in 1..=reps {
        for (i, mode) in MODES.iter().enumerate() {
            match session.run_mode(mode.name(), spec, &dir, &format!("rep{rep}-"))? {
                Row::Measured(s) => runs[i].0.push(*s),
                Row::Unavailable { reason, .. } => runs[i].1 = Some(reason),
            }
        }
    }
    let (rows, notes) = median_rows(&runs, reps);
    let table = format!(
        "medians over {reps} reps of {} frames (+{} warm-up) per mode\n{}{}",
        spec.frames,
        spec.warmup,
        render(&rows),
        notes
    );
    println!("\n{table}");
    write(&dir.join("table.txt"), &table)?;
    let medians: Vec<&Summary> = rows
        .iter()
        .filter_map(|r| match r {
            Row::Measured(s) => Some(&**s),
            Row::Unavailable { .. } => None,
        })
        .collect();
    let json = serde_json::to_string_pretty(&medians).context("serialising the medians")?;
    write(&dir.join("medians.json"), &json)?;
    println!("raw JSON and logs: {}", dir.display());
    Ok(())
}

/// One row per mode (medians of its successful reps) plus notes on partial failures.
fn median_rows(runs: &[(Vec<Summary>, Option<String>)], reps: u32) -> (Vec<Row>, String) {
    let mut notes = String::new();
    let rows = MODES
        .iter()
        .zip(runs)
        .map(|(mode, (ok, reason))| match median_summary(ok) {
            Some(m) => {
                if ok.len() < reps as usize {
                    let why = reason.as_deref().unwrap_or("unknown");
                    notes.push_str(&format!(
                        "note: {mode}: only {}/{reps} reps succeeded (last failure: {why})\n",
                        ok.len()
                    ));
                }
                Row::Measured(Box::new(m))
            }
            None => Row::Unavailable {
                mode: mode.to_string(),
                reason: reason.clone().unwrap_or_else(|| "no runs".into()),
            },
        })
        .collect();
    (rows, notes)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

/// How we were invoked, as `cargo xtask …`.
fn invocation_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    format!("cargo xtask {}", args.join(" "))
}

/// CPU model, cores, kernel, and the X server's vendor (from xdpyinfo when present).
fn machine_info(display: &str, own_server: bool) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name").and_then(|r| r.split_once(':')))
        .map_or("unknown".to_string(), |(_, m)| m.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or("unknown".to_string(), |k| k.trim().to_string());
    let origin = if own_server {
        "Xvfb started by xtask"
    } else {
        "$DISPLAY"
    };
    format!(
        "machine: {model}, {cores} cores, Linux {kernel}\nX server: {} on {display} ({origin})",
        x_server_vendor(display)
    )
}

fn x_server_vendor(display: &str) -> String {
    if !zcx_testkit::have_tool("xdpyinfo") {
        return "unknown (xdpyinfo not installed)".into();
    }
    let out = match Command::new("xdpyinfo")
        .args(["-display", display])
        .output()
    {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
        _ => return "unknown (xdpyinfo failed)".into(),
    };
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    let vendor = field("vendor string:").unwrap_or_else(|| "unknown vendor".into());
    match field("X.Org version:").or_else(|| field("vendor release number:")) {
        Some(v) => format!("{vendor} {v}"),
        None => vendor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::summary::parse_for_mode;

    #[test]
    fn partial_and_total_failures() {
        let sample = include_str!("testdata/summary_sample.json");
        let put = parse_for_mode(sample, "put-image").expect("parse");
        let mut runs: Vec<(Vec<Summary>, Option<String>)> = vec![(Vec::new(), None); MODES.len()];
        runs[0] = (vec![put.clone(), put], Some("boom".into()));
        runs[3].1 = Some("no DRI3".into());
        let (rows, notes) = median_rows(&runs, 3);
        assert!(matches!(&rows[0], Row::Measured(s) if s.mode == "put-image"));
        assert!(matches!(&rows[3], Row::Unavailable { reason, .. } if reason == "no DRI3"));
        assert!(matches!(&rows[1], Row::Unavailable { reason, .. } if reason == "no runs"));
        assert!(notes.contains("put-image: only 2/3 reps succeeded (last failure: boom)"));
    }

    #[test]
    fn machine_info_names_cpu_and_kernel() {
        let info = machine_info(":none", false);
        assert!(info.contains("cores, Linux "), "{info}");
    }
}
