//! Helpers shared by the integration tests: the workspace's other binaries, built on demand.

#![allow(dead_code)]

pub mod dri3_client;
pub mod handoff_client;
pub mod procs;
pub mod xres;

use std::path::PathBuf;
use std::process::Command;

/// The directory `zcx` was built into (target/<profile>).
pub fn bin_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_zcx"))
        .parent()
        .expect("zcx has a directory")
        .to_path_buf()
}

/// `target/<profile>/<bin>` of workspace package `package`, built first when missing.
pub fn workspace_bin(package: &str, bin: &str) -> PathBuf {
    let path = bin_dir().join(bin);
    if !path.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", package, "--bin", bin])
            .status()
            .expect("running cargo build");
        assert!(status.success(), "cargo build -p {package} failed");
    }
    path
}

/// Builds (when missing) the producer and the compositor that `zcx` starts beside itself.
pub fn sibling_binaries() {
    workspace_bin("zcx-producer", "zcx-producer");
    workspace_bin("zcx-compositor", "zcx-compositor");
}

/// An empty directory of this test process under the system's temporary directory.
pub fn fresh_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zcx-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// A directory that exists for one test and is removed with everything in it on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let dir = fresh_dir(tag);
        std::fs::create_dir_all(&dir).expect("creating a temporary directory");
        Self(dir)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
