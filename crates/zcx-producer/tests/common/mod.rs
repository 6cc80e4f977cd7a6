//! Running the `zcx-producer` binary in tests (a child owned by zcx-testkit's `ChildGuard`,
//! always reaped), and finding its window on the server.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, Window};
use zcx_testkit::{poll_until, ChildGuard};

pub const BIN: &str = env!("CARGO_BIN_EXE_zcx-producer");

/// A running producer, stopped and reaped on drop.
pub struct Producer {
    pub child: ChildGuard,
}

impl Producer {
    pub fn spawn(args: &[&str]) -> Producer {
        let child = ChildGuard::spawn(
            Command::new(BIN)
                .args(args)
                .env_remove("DISPLAY")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        );
        Producer { child }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Waits for exit (with a deadline) and returns the output.
    pub fn finish(self, timeout: Duration) -> Output {
        self.child.output(timeout)
    }
}

/// Runs the producer to completion.
pub fn run(args: &[&str]) -> Output {
    Producer::spawn(args).finish(Duration::from_secs(120))
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The top-level window whose WM_CLASS is zcx-producer, once it exists.
pub fn find_producer_window<C: Connection>(conn: &C, root: Window) -> Window {
    poll_until(Duration::from_secs(30), "the producer's window", || {
        let tree = conn.query_tree(root).ok()?.reply().ok()?;
        tree.children.into_iter().find(|&w| {
            conn.get_property(false, w, AtomEnum::WM_CLASS, AtomEnum::STRING, 0, 64)
                .ok()
                .and_then(|c| c.reply().ok())
                .is_some_and(|p| p.value.starts_with(b"zcx-producer\0"))
        })
    })
}

/// A unique temporary path for this test.
pub fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("zcx-test-{}-{name}", std::process::id()))
}
