//! The operating-system pieces of the IPC experiment: resource usage with page faults, eventfd
//! notification, waiting with a deadline, socket buffer sizes, chunked socket reads and writes,
//! and the child process that inherits exactly the descriptors it is told about and is killed
//! and reaped on drop.

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nix::fcntl::{fcntl, FcntlArg, FdFlag};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::eventfd::{EfdFlags, EventFd};
use nix::sys::resource::{getrusage, UsageWho};
use nix::sys::socket::{getsockopt, setsockopt, sockopt, GetSockOpt, SetSockOpt};
use serde::{Deserialize, Serialize};

use super::error::IpcError;

/// How long either side waits for the other before declaring it dead.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(60);

/// CPU time, context switches and minor page faults at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    pub cpu_ms: f64,
    /// Voluntary + involuntary.
    pub ctx_switches: u64,
    /// Preemptions alone: what other load adds, not what the transport blocks on.
    pub involuntary_ctx_switches: u64,
    pub minor_faults: u64,
}

impl Usage {
    /// The whole process's usage (every thread), as /proc/<pid>/task/*/status counts it.
    pub fn process() -> Usage {
        Usage::of(UsageWho::RUSAGE_SELF)
    }

    fn of(who: UsageWho) -> Usage {
        match getrusage(who) {
            Ok(u) => {
                let ms =
                    |t: nix::sys::time::TimeVal| t.tv_sec() as f64 * 1e3 + t.tv_usec() as f64 / 1e3;
                Usage {
                    cpu_ms: ms(u.user_time()) + ms(u.system_time()),
                    ctx_switches: (u.voluntary_context_switches()
                        + u.involuntary_context_switches())
                    .max(0) as u64,
                    involuntary_ctx_switches: u.involuntary_context_switches().max(0) as u64,
                    minor_faults: u.minor_page_faults().max(0) as u64,
                }
            }
            Err(e) => {
                log::warn!("getrusage failed: {e}; usage reads zero");
                Usage::default()
            }
        }
    }

    /// What happened between `earlier` and `self`.
    pub fn since(&self, earlier: &Usage) -> Usage {
        Usage {
            cpu_ms: (self.cpu_ms - earlier.cpu_ms).max(0.0),
            ctx_switches: self.ctx_switches.saturating_sub(earlier.ctx_switches),
            involuntary_ctx_switches: self
                .involuntary_ctx_switches
                .saturating_sub(earlier.involuntary_ctx_switches),
            minor_faults: self.minor_faults.saturating_sub(earlier.minor_faults),
        }
    }
}

/// A close-on-exec eventfd in counter mode.
pub fn new_eventfd() -> Result<OwnedFd, IpcError> {
    EventFd::from_value_and_flags(0, EfdFlags::EFD_CLOEXEC)
        .map(OwnedFd::from)
        .map_err(|e| IpcError::os("eventfd", e))
}

/// Adds one to an eventfd's counter (wakes the reader).
pub fn notify(fd: BorrowedFd<'_>) -> Result<(), IpcError> {
    nix::unistd::write(fd, &1u64.to_ne_bytes()).map_err(|e| IpcError::os("eventfd write", e))?;
    Ok(())
}

/// What ended a [`wait_readable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// The descriptor waited on is readable.
    Ready,
    /// The other process's socket became readable or hung up first (it closed its end: done,
    /// or gone).
    PeerSocket,
}

/// Waits until `fd` is readable or `peer` (the other process's socket) is, or fails when
/// nothing happens within [`PEER_TIMEOUT`].
pub fn wait_readable(fd: BorrowedFd<'_>, peer: BorrowedFd<'_>) -> Result<Wake, IpcError> {
    let timeout = PollTimeout::try_from(PEER_TIMEOUT).unwrap_or(PollTimeout::MAX);
    loop {
        let mut fds = [
            PollFd::new(fd, PollFlags::POLLIN),
            PollFd::new(peer, PollFlags::POLLIN),
        ];
        match poll(&mut fds, timeout) {
            Ok(0) => return Err(IpcError::PeerTimeout(PEER_TIMEOUT)),
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(IpcError::os("poll", e)),
        }
        if fds[0].any().unwrap_or(false) {
            return Ok(Wake::Ready);
        }
        let hup = PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLIN;
        if fds[1].revents().is_some_and(|r| r.intersects(hup)) {
            return Ok(Wake::PeerSocket);
        }
    }
}

/// Reads an eventfd's counter, resetting it.
pub fn consume(fd: BorrowedFd<'_>) -> Result<u64, IpcError> {
    let mut buf = [0u8; 8];
    nix::unistd::read(fd.as_raw_fd(), &mut buf).map_err(|e| IpcError::os("eventfd read", e))?;
    Ok(u64::from_ne_bytes(buf))
}

/// Sets the writing end's SO_SNDBUF to `bytes` (`None`: leaves the default) and returns what
/// the kernel made of it.
pub fn size_send_buffer(sock: &impl AsFd, bytes: Option<usize>) -> Result<usize, IpcError> {
    size_buffer(sock, sockopt::SndBuf, bytes, "SO_SNDBUF")
}

/// Sets the reading end's SO_RCVBUF to `bytes` (`None`: leaves the default) and returns what
/// the kernel made of it.
pub fn size_receive_buffer(sock: &impl AsFd, bytes: Option<usize>) -> Result<usize, IpcError> {
    size_buffer(sock, sockopt::RcvBuf, bytes, "SO_RCVBUF")
}

fn size_buffer<O>(
    sock: &impl AsFd,
    opt: O,
    bytes: Option<usize>,
    what: &'static str,
) -> Result<usize, IpcError>
where
    O: SetSockOpt<Val = usize> + GetSockOpt<Val = usize> + Copy,
{
    if let Some(bytes) = bytes {
        setsockopt(sock, opt, &bytes).map_err(|e| IpcError::os(what, e))?;
    }
    getsockopt(sock, opt).map_err(|e| IpcError::os(what, e))
}

/// Reads one frame, `buf.len()` bytes, with reads of at most `chunk_bytes`. `Ok(false)` when
/// the other end closed the stream before the frame began (the sender's way to say "done").
pub fn read_frame_chunked(
    sock: &mut impl Read,
    buf: &mut [u8],
    chunk_bytes: usize,
) -> Result<bool, IpcError> {
    let mut done = 0;
    while done < buf.len() {
        let end = (done + chunk_bytes).min(buf.len());
        match sock.read(&mut buf[done..end]) {
            Ok(0) if done == 0 => return Ok(false),
            Ok(0) => return Err(IpcError::PeerGone),
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(IpcError::Io("socket read", e)),
        }
    }
    Ok(true)
}

/// Writes all of `buf` with one write call per `chunk_bytes` (as an application would).
pub fn write_chunked(
    sock: &mut impl Write,
    buf: &[u8],
    chunk_bytes: usize,
) -> Result<(), IpcError> {
    for chunk in buf.chunks(chunk_bytes) {
        sock.write_all(chunk)
            .map_err(|e| IpcError::Io("socket write", e))?;
    }
    Ok(())
}

/// A child process that is killed (SIGKILL) and reaped when dropped, unless it was waited for.
#[derive(Debug)]
pub struct PeerChild {
    child: Option<Child>,
}

impl PeerChild {
    /// Spawns `cmd` with each of `inherit` left open across exec (cleared FD_CLOEXEC in the
    /// child only, so concurrently spawned processes inherit nothing).
    pub fn spawn(mut cmd: Command, inherit: &[RawFd]) -> Result<PeerChild, IpcError> {
        let fds = inherit.to_vec();
        cmd.stdin(Stdio::null());
        // SAFETY: the closure runs in the forked child before exec and only calls fcntl(2),
        // which is async-signal-safe; it allocates nothing (the Vec was built before fork).
        unsafe {
            cmd.pre_exec(move || {
                for &fd in &fds {
                    fcntl(fd, FcntlArg::F_SETFD(FdFlag::empty()))?;
                }
                Ok(())
            });
        }
        let child = cmd
            .spawn()
            .map_err(|e| IpcError::Io("spawning the peer", e))?;
        Ok(PeerChild { child: Some(child) })
    }

    /// The child's process id (for /proc).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Waits for a clean exit.
    pub fn wait(mut self) -> Result<(), IpcError> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let status = child
            .wait()
            .map_err(|e| IpcError::Io("waiting for the peer", e))?;
        if status.success() {
            Ok(())
        } else {
            Err(IpcError::PeerFailed(status.to_string()))
        }
    }
}

impl Drop for PeerChild {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Borrows a raw descriptor number handed to the peer on its command line.
///
/// # Safety
/// `fd` must be open for the life of the returned value and owned by nobody else.
pub unsafe fn owned_from_raw(fd: RawFd) -> OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: forwarded to the caller.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

/// The descriptor's number, for a command line.
pub fn raw(fd: &impl AsFd) -> RawFd {
    fd.as_fd().as_raw_fd()
}
