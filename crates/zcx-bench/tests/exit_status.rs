//! README "Exit status" for `zcx`: bad options and what this display cannot run end with 2,
//! before anything is written. The other cases are checked where they happen: 0 by every
//! successful run (`ipc`, `probe`, `bench`, `demo`), 1 by `probe` without a server, 2 for an
//! unknown IPC method or a frame too small (`ipc`) and beside another compositing manager
//! (`demo`).

mod common;

use std::process::{Command, Output};

use zcx_testkit::Xvfb;

const ZCX: &str = env!("CARGO_BIN_EXE_zcx");

fn zcx(args: &[&str]) -> Output {
    Command::new(ZCX)
        .args(args)
        .env_remove("DISPLAY")
        .output()
        .expect("run zcx")
}

#[test]
fn bad_options_exit_2() {
    zcx_testkit::expect_exit_status(
        ZCX,
        &[
            &["--no-such-option"],
            &["observe", "--duration", "soon"],
            &["demo", "--showcase", "never"],
            &["bench", "--reps", "0"],
            // Modes and compositors are typed: a name the programs do not have is a bad option.
            &["bench", "--modes", "put-image,bogus"],
            &["bench", "--compositors", "none,zcx:telepathy"],
            &["bench", "--compositors", "kwin"],
            &["bench", "--fps", "-1"],
            &["ipc", "--seconds", "forever"],
        ],
        2,
    );
}

#[test]
fn a_mode_the_display_lacks_exits_2_and_writes_nothing() {
    // Xvfb has no DRI3: the bench's matrix is empty.
    let xvfb = Xvfb::builder().size(320, 180, 24).start().expect("Xvfb");
    let out_dir = common::fresh_dir("exit-status");
    let out_arg = out_dir.to_string_lossy().into_owned();
    let out = zcx(&[
        "bench",
        "--display",
        xvfb.display(),
        "--modes",
        "dri3",
        "--compositors",
        "none",
        "--out",
        &out_arg,
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("nothing to run here: mode dri3"), "{err}");
    assert!(
        !out_dir.exists(),
        "a refused bench left {}",
        out_dir.display()
    );
}
