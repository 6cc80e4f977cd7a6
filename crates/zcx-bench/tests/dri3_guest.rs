//! The DRI3 test server (zcx-testkit's qemu guest running Xorg with glamor): one boot checks,
//! with our own `zcx probe --json` inside the guest, that the server offers DRI3 ≥ 1.2 and
//! Present, that Mesa's EGL on the X11 platform offers pixmap images and dma-buf import
//! there, and that xdpyinfo lists DRI3 too. Prints `skipped:` where the guest cannot run
//! (no qemu, no image and not root), and fails instead under `CI=true`.

use std::path::Path;
use std::time::Duration;

use zcx_testkit::vm::dri3_vm_or_skip;

const ZCX: &str = env!("CARGO_BIN_EXE_zcx");

/// Everything the one boot runs; each step's output lands in a file of the work folder.
const SCRIPT: &str = "zcx probe --json >probe.json && xdpyinfo -queryExtensions >xdpyinfo.txt";

#[test]
fn guest_xorg_offers_dri3_and_present() {
    let Some(bin_dir) = Path::new(ZCX).parent() else {
        panic!("{ZCX} has no parent folder");
    };
    let Some(vm) = dri3_vm_or_skip(bin_dir) else {
        return;
    };
    let run = vm
        .run(&["sh", "-c", SCRIPT], Duration::from_secs(300))
        .unwrap_or_else(|e| panic!("running in the DRI3 guest: {e}"));
    eprintln!(
        "guest cycle (boot, probe, power-off): {:.1} s",
        run.wall.as_secs_f64()
    );
    assert_eq!(
        run.status,
        0,
        "guest command failed; output:\n{}\nXorg log:\n{}",
        run.output,
        run.xorg_log()
    );
    let read = |name: &str| {
        std::fs::read_to_string(run.work_dir().join(name))
            .unwrap_or_else(|e| panic!("reading {name} written in the guest: {e}"))
    };
    let probe: serde_json::Value = serde_json::from_str(&read("probe.json"))
        .unwrap_or_else(|e| panic!("probe.json is not JSON: {e}"));
    let server = &probe["server"];
    let version = |ext: &str| {
        let v = &server[ext];
        (v["major"].as_u64(), v["minor"].as_u64())
    };
    let dri3 = version("dri3");
    assert!(
        matches!(dri3, (Some(1), Some(minor)) if minor >= 2),
        "DRI3 {dri3:?}, want ≥ 1.2; probe: {probe:#}"
    );
    assert!(
        version("present").0.is_some(),
        "no Present; probe: {probe:#}"
    );
    assert_eq!(probe["dri3"], true);
    let egl = probe["gl"]["egl_x11"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for ext in ["EGL_KHR_image_pixmap", "EGL_EXT_image_dma_buf_import"] {
        assert!(
            egl.iter().any(|e| e[0] == ext && e[1] == true),
            "{ext} not offered on the guest's X11 EGL platform; probe: {probe:#}"
        );
    }
    let xdpyinfo = read("xdpyinfo.txt");
    assert!(
        xdpyinfo.lines().any(|l| l.trim_start().starts_with("DRI3")),
        "xdpyinfo lists no DRI3:\n{xdpyinfo}"
    );
}
