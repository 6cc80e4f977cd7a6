//! Report generation from recorded data, checked against the fixed schema.

use super::*;
use crate::observer::{ObservedFrame, Track};
use crate::stats::Percentiles;
use zcx_x11::pages::FrameMemory;

fn recorded_run(mode: &str, cpu: f64, socket: f64, fps_interval_ms: u64) -> Run {
    let mut track = Track::default();
    let mut frames = Vec::new();
    for i in 0..30u64 {
        let stamp = zcx_x11::stamp::Stamp {
            frame: i,
            monotonic_ns: i * fps_interval_ms * 1_000_000,
        };
        let seen = stamp.monotonic_ns + 7_000_000 + i * 10_000;
        track.add(&crate::observer::Sample {
            observed_ns: seen,
            top: Ok(stamp),
            bottom: Ok(stamp),
        });
        frames.push(ObservedFrame {
            frame: i,
            first_seen_ns: seen,
            stamp_ns: stamp.monotonic_ns,
            latency_ms: (seen - stamp.monotonic_ns) as f64 / 1e6,
            torn: false,
        });
    }
    // The interval's /proc figures: the producer `cpu` ms, the X server 3 × that, per frame.
    let spent = |ms: f64| {
        Some(Spent {
            cpu_ms: ms * 30.0,
            ctx_switches: 90 * 30,
        })
    };
    let interval = Interval::new(
        1.0,
        250.0,
        &frames,
        [spent(cpu), spent(cpu * 3.0), None],
        false,
    );
    Run {
        name: format!("{mode} / none"),
        mode: mode.to_owned(),
        compositor: "none".to_owned(),
        rep: 0,
        producer: Some(ProducerFigures {
            mode: mode.to_owned(),
            frames: 30,
            fps: Some(60.0),
            render_ms: Some(Percentiles { p50: 2.0, p99: 3.0 }),
            client_cpu_ms_per_frame: Some(cpu),
            server_cpu_ms_per_frame: Some(cpu * 3.0),
            client_ctx_switches_per_frame: Some(90.0),
            server_ctx_switches_per_frame: Some(88.0),
            socket_bytes_per_frame: Some(socket),
            ..Default::default()
        }),
        compositor_stats: None,
        compositor_cpu_percent: None,
        compositor_cpu_ms_per_frame: Some(1.5),
        interval: Some(interval.clone()),
        per_screen_frame: Some(interval.per_screen_frame()),
        copies: interval::design_copies(mode.parse().expect("a mode"), false),
        screen: Some(track.summary()),
        frames,
    }
}

fn recorded_report() -> Report {
    let machine = Machine {
        cpu_model: "Test CPU".into(),
        cores: 2,
        kernel: "6.1.0".into(),
        x_vendor: "The X.Org Foundation".into(),
        x_release: 12101007,
        gl_renderer: Some("llvmpipe".into()),
        thp_enabled: Some("madvise".into()),
        thp_shmem_enabled: Some("never".into()),
    };
    let mut r = Report::new("zcx demo --duration 3".into(), machine);
    r.runs
        .push(recorded_run("put-image", 6.0, 33_177_648.0, 25));
    r.runs.push(recorded_run("shm-pixmap", 1.0, 64.0, 16));
    r.observer_cpu_percent = Some(2.0);
    r.add_comparison_notes();
    r
}

fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

#[test]
fn report_json_has_the_fixed_schema() {
    let v = serde_json::to_value(recorded_report()).unwrap();
    assert_eq!(v["schema"], model::SCHEMA);
    assert_eq!(
        keys(&v),
        [
            "command",
            "created_unix_s",
            "machine",
            "memcpy_ms_per_frame",
            "notes",
            "observer_cost",
            "observer_cpu_percent",
            "runs",
            "schema"
        ]
    );
    assert_eq!(
        keys(&v["machine"]),
        [
            "cores",
            "cpu_model",
            "gl_renderer",
            "kernel",
            "thp_enabled",
            "thp_shmem_enabled",
            "x_release",
            "x_vendor"
        ]
    );
    let run = &v["runs"][0];
    assert_eq!(
        keys(run),
        [
            "compositor",
            "compositor_cpu_ms_per_frame",
            "compositor_cpu_percent",
            "compositor_stats",
            "copies",
            "interval",
            "mode",
            "name",
            "per_screen_frame",
            "producer",
            "rep",
            "screen"
        ]
    );
    assert_eq!(
        keys(&run["screen"]),
        [
            "delivered_fps",
            "distinct_frames",
            "dropped_frames",
            "first_frame",
            "last_frame",
            "latency_ms",
            "samples",
            "samples_without_stamp",
            "torn_frames",
            "torn_samples"
        ]
    );
    assert_eq!(run["screen"]["distinct_frames"], 30);
    assert_eq!(run["interval"]["screen_frames"], 30);
    assert_eq!(run["per_screen_frame"]["end_to_end_cpu_ms"], 24.0);
    assert_eq!(run["copies"]["count"], 3);
    // Round trip: what we write, we can read back.
    let back: Report = serde_json::from_value(v).unwrap();
    assert_eq!(back.runs.len(), 2);
}

#[test]
fn comparison_notes_state_the_ratio_and_socket_bytes() {
    let r = recorded_report();
    assert!(
        r.notes.iter().any(
            |n| n.contains("6.0× less end-to-end CPU per frame on screen")
                && n.contains("as expected")
        ),
        "{:?}",
        r.notes
    );
    assert!(r
        .notes
        .iter()
        .any(|n| n.contains("64 bytes") && n.contains("no pixels")));
}

#[test]
fn a_one_copy_path_is_set_against_its_floor() {
    let mut r = recorded_report();
    r.notes.clear();
    r.memcpy_ms_per_frame = Some(2.0);
    if let Some(p) = r.runs[1].producer.as_mut() {
        p.render_cpu_ms_per_frame = Some(0.5);
    }
    r.add_comparison_notes();
    let interval = r.runs[1].interval.clone().expect("interval");
    let render =
        0.5 * interval.producer_frames.expect("frames made") as f64 / interval.screen_frames as f64;
    let floor = render + 2.0;
    let note = r
        .notes
        .iter()
        .find(|n| n.contains("its floor is rendering plus one copy"))
        .unwrap_or_else(|| panic!("no floor note: {:?}", r.notes));
    assert!(note.starts_with("shm-pixmap / none:"), "{note}");
    assert!(
        note.contains(&format!("{floor:.2} ms per frame on screen")),
        "{note}"
    );
    assert!(
        note.contains(&format!("{:.1}×, the most", 24.0 / floor)),
        "{note}"
    );
    // put-image's design is more than one copy: no floor note for it.
    assert_eq!(
        r.notes.iter().filter(|n| n.contains("its floor")).count(),
        1
    );
}

#[test]
fn writes_every_file() {
    let dir = std::env::temp_dir().join(format!("zcx-report-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    write_report(&dir, &recorded_report()).unwrap();
    let csv = std::fs::read_to_string(dir.join("frames.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("run,mode,compositor,rep,frame,first_seen_ns,stamp_ns,latency_ms,torn")
    );
    assert_eq!(lines.count(), 60);
    let md = std::fs::read_to_string(dir.join("report.md")).unwrap();
    assert!(
        md.contains("| shm-pixmap / none | 4.00 | 6.0× | 1 (Present copy into the window) |"),
        "{md}"
    );
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    // Real tables, the headline first; no Markdown in a <pre>.
    assert!(!html.contains("<pre>") && !html.contains("|---"), "{html}");
    let headline = html
        .find("<table class=\"headline\">")
        .expect("headline table");
    assert!(headline < html.find("<table>").expect("details table"));
    assert!(
        html.contains("<th>shm-pixmap / none</th><td>4.00</td><td>6.0×</td>"),
        "{html}"
    );
    for (file, _) in charts::CHARTS {
        assert!(html.contains(file));
        let img = image::open(dir.join(file)).unwrap();
        assert_eq!((img.width(), img.height()), (900, 520));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn empty_runs_still_draw_charts_saying_no_data() {
    let dir = std::env::temp_dir().join(format!("zcx-report-empty-{}", std::process::id()));
    let mut r = recorded_report();
    r.runs.clear();
    write_report(&dir, &r).unwrap();
    assert!(dir.join("cpu_per_frame.png").is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn csv_fields_with_commas_are_quoted() {
    assert_eq!(csv_field("a,b"), "\"a,b\"");
    assert_eq!(csv_field("plain"), "plain");
}

#[test]
fn frame_memory_on_different_page_sizes_is_noted() {
    let mut r = recorded_report();
    r.notes.clear();
    r.add_comparison_notes();
    assert!(
        r.notes.iter().all(|n| !n.contains("huge pages")),
        "no frame memory known, no note: {:?}",
        r.notes
    );
    let set = |run: &mut Run, huge_page_bytes: u64, render: f64| {
        let p = run.producer.as_mut().expect("producer figures");
        p.frame_memory = Some(FrameMemory {
            bytes: 33_177_600,
            huge_page_bytes,
        });
        p.render_cpu_ms_per_frame = Some(render);
    };
    set(&mut r.runs[0], 33_177_600, 2.0);
    set(&mut r.runs[1], 0, 2.5);
    r.notes.clear();
    r.add_comparison_notes();
    let note = r
        .notes
        .iter()
        .find(|n| n.starts_with("frame memory on huge pages"))
        .unwrap_or_else(|| panic!("no huge-page note: {:?}", r.notes));
    assert!(
        note.contains(
            "put-image / none 100%, rendering 2.00 ms; shm-pixmap / none 0%, rendering 2.50 ms"
        ) && note.contains("enabled (madvise)")
            && note.contains("shmem_enabled (never)"),
        "{note}"
    );
    // The same page size everywhere explains nothing: no note.
    set(&mut r.runs[0], 0, 2.0);
    r.notes.clear();
    r.add_comparison_notes();
    assert!(
        r.notes.iter().all(|n| !n.contains("huge pages")),
        "{:?}",
        r.notes
    );
}

#[test]
fn a_run_is_charged_the_observer_by_its_rounds() {
    let cost = ObserverCost {
        server_ms_per_s: 20.0,
        rounds_per_s: 250.0,
    };
    assert_eq!(cost.charged_ms(10.0, 250.0), 200.0);
    assert_eq!(cost.charged_ms(10.0, 125.0), 100.0);
    let none = ObserverCost {
        server_ms_per_s: 20.0,
        rounds_per_s: 0.0,
    };
    assert_eq!(none.charged_ms(10.0, 250.0), 0.0);
}

/// `r`'s observer note once the observer is found to cost 30 ms a second at 250 rounds.
fn observer_note_at_30_ms(r: &mut Report) -> String {
    r.observer_cost = Some(ObserverCost {
        server_ms_per_s: 30.0,
        rounds_per_s: 250.0,
    });
    r.notes.clear();
    r.add_comparison_notes();
    r.notes
        .iter()
        .find(|n| n.contains("observer's reads"))
        .cloned()
        .unwrap_or_else(|| panic!("no observer note: {:?}", r.notes))
}

#[test]
fn the_observers_share_is_noted_with_the_ratio_without_it() {
    let mut r = recorded_report();
    assert!(
        r.notes.iter().all(|n| !n.contains("observer's reads")),
        "no cost measured, no note: {:?}",
        r.notes
    );
    // 30 ms a second at the runs' own 250 rounds, over 1 s and 30 frames seen: 1 ms per
    // frame. put-image 24 → 23 ms, shm-pixmap 4 → 3 ms: 7.7× without it (6.0× with it).
    let note = observer_note_at_30_ms(&mut r);
    assert!(
        note.contains("30.0 ms per second at 250 rounds")
            && note.contains(
                "put-image / none 1.00 ms; shm-pixmap / none 1.00 ms (put-image ÷ this without them 7.7×)"
            ),
        "{note}"
    );
}

#[test]
fn repetitions_of_a_row_share_one_note_entry() {
    let mut r = recorded_report();
    let mut again = r.runs[1].clone();
    r.runs[1].name = "shm-pixmap / none #1".into();
    again.name = "shm-pixmap / none #2".into();
    again.rep = 1;
    r.runs.push(again);
    let note = observer_note_at_30_ms(&mut r);
    assert_eq!(note.matches("shm-pixmap / none").count(), 1, "{note}");
}
