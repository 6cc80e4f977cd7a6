//! Runner tests against a fake producer script (the real one is another crate's job).

use std::os::unix::fs::PermissionsExt;

use super::*;

const FAKE: &str = r#"#!/bin/sh
# Fake zcx-producer: put-image succeeds, dri3 fails, nojson exits 0 without a summary.
json=""; mode=""
while [ $# -gt 0 ]; do
  case "$1" in
    --summary-json) json="$2"; shift ;;
    --mode) mode="$2"; shift ;;
  esac
  shift
done
case "$mode" in
  put-image) cp "$ZCX_FAKE_SAMPLE" "$json" ;;
  dri3) echo "starting" >&2; echo "error: the X server has no DRI3 extension" >&2; exit 3 ;;
  nojson) exit 0 ;;
esac
"#;

fn fake_session(dir: &Path, interrupted: bool) -> Session {
    let producer = dir.join("fake-producer");
    std::fs::write(&producer, FAKE).expect("write fake producer");
    std::fs::set_permissions(&producer, std::fs::Permissions::from_mode(0o755))
        .expect("chmod fake producer");
    Session {
        xvfb: None,
        display: ":999".into(),
        producer,
        interrupted: Arc::new(AtomicBool::new(interrupted)),
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zcx-xtask-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

const SPEC: RunSpec = RunSpec {
    frames: 10,
    warmup: 2,
};

#[test]
fn successful_failing_and_silent_runs() {
    let dir = temp_dir("runs");
    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/testdata/summary_sample.json"
    );
    let session = fake_session(&dir, false);
    let script = std::fs::read_to_string(&session.producer).expect("read script");
    let script = script.replace("$ZCX_FAKE_SAMPLE", sample);
    std::fs::write(&session.producer, script).expect("rewrite script");

    match session
        .run_mode("put-image", SPEC, &dir, "t-")
        .expect("run")
    {
        Row::Measured(s) => assert_eq!(s.mode, "put-image"),
        other => panic!("expected a measurement, got {other:?}"),
    }
    match session.run_mode("dri3", SPEC, &dir, "t-").expect("run") {
        Row::Unavailable { reason, .. } => {
            assert_eq!(reason, "error: the X server has no DRI3 extension")
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    match session.run_mode("nojson", SPEC, &dir, "t-").expect("run") {
        Row::Unavailable { reason, .. } => assert!(reason.contains("no summary"), "{reason}"),
        other => panic!("expected unavailable, got {other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn producer_command_has_the_contract_flags() {
    let dir = temp_dir("cmd");
    let session = fake_session(&dir, false);
    let line = shell_line(&session.producer_command("shm-put", SPEC, Path::new("/x/s.json")));
    assert!(
        line.ends_with(
            "--display :999 --mode shm-put --fps 0 --frames 10 --warmup 2 --summary-json /x/s.json"
        ),
        "{line}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn interruption_kills_and_reaps_the_child() {
    let dir = temp_dir("intr");
    let session = fake_session(&dir, true);
    let child = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep");
    let pid = child.id();
    let err = session
        .wait(ChildGuard(child), Duration::from_secs(60))
        .expect_err("interrupted");
    assert!(err.to_string().contains("interrupted"));
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "child not reaped"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn timeout_kills_and_reaps_the_child() {
    let dir = temp_dir("tmo");
    let session = fake_session(&dir, false);
    let child = Command::new("sleep")
        .arg("30")
        .spawn()
        .expect("spawn sleep");
    let pid = child.id();
    let reason = session
        .wait(ChildGuard(child), Duration::from_millis(50))
        .expect("wait")
        .expect("a failure reason");
    assert!(reason.contains("timed out"), "{reason}");
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "child not reaped"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
