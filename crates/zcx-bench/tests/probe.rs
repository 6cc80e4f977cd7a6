//! `zcx probe` against a private Xvfb: text and JSON, and a clear error without a server.

use std::process::Command;

use zcx_testkit::Xvfb;

const ZCX: &str = env!("CARGO_BIN_EXE_zcx");

#[test]
fn probe_json_on_xvfb() {
    let xvfb = Xvfb::builder()
        .size(640, 480, 24)
        .start()
        .unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(ZCX)
        .args(["probe", "--json", "--display", xvfb.display()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["server"]["screen_width"], 640);
    assert_eq!(v["dri3"], false, "Xvfb has no DRI3");
    let modes = v["modes"].as_array().unwrap();
    let put = modes.iter().find(|m| m["name"] == "put-image").unwrap();
    assert_eq!(put["available"], true);
    let dri3 = modes.iter().find(|m| m["name"] == "dri3").unwrap();
    assert_eq!(dri3["available"], false);
    assert!(v["gl"]["source"].as_array().is_some_and(|s| !s.is_empty()));
    let trial = &v["server"]["shm"]["trial_attach"];
    assert!(
        trial["Ok"].is_null() && trial.get("Ok").is_some() || trial["Err"]["why"].is_string(),
        "trial_attach is Ok or a tagged reason: {trial}"
    );

    let out = Command::new(ZCX)
        .args(["probe", "--display", xvfb.display()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("MIT-SHM") && text.contains("shm-get-image"),
        "{text}"
    );
}

#[test]
fn probe_without_a_server_fails_clearly() {
    let out = Command::new(ZCX)
        .args(["probe", "--display", ":4999"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "an error: exit status 1");
    assert!(!out.stderr.is_empty());
}
