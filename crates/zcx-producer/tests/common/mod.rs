//! Running the `zcx-producer` binary in tests: a child process that is always reaped, and
//! finding its window on the server.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{AtomEnum, ConnectionExt as _, Window};
use zcx_testkit::poll_until;

pub const BIN: &str = env!("CARGO_BIN_EXE_zcx-producer");

/// A running producer, killed and reaped on drop.
pub struct Producer {
    pub child: Option<Child>,
}

impl Producer {
    pub fn spawn(args: &[&str]) -> Producer {
        let child = Command::new(BIN)
            .args(args)
            .env_remove("DISPLAY")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn zcx-producer");
        Producer { child: Some(child) }
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map_or(0, |c| c.id() as i32)
    }

    /// Waits for exit (with a deadline) and returns the output.
    pub fn finish(mut self, timeout: Duration) -> Output {
        let mut child = self.child.take().expect("child");
        poll_until(timeout, "zcx-producer to exit", || {
            child.try_wait().ok().flatten()
        });
        child.wait_with_output().expect("collect output")
    }
}

impl Drop for Producer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
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
