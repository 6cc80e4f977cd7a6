//! An idle fence for a DRI3 buffer: an xshmfence (a 32-bit futex word in a sealed memfd page,
//! libxshmfence's Linux layout) shared with the X server by DRI3 FenceFromFD, given to
//! PresentPixmap as `idle_fence`. The server triggers it when it has finished reading the
//! pixmap; glamor flushes its GL work first, which IdleNotify alone does not promise (the
//! server's llvmpipe may not even have started the copy when the event arrives). The client
//! waits for the trigger before writing the buffer again, then resets the fence.
//!
//! Word values, as libxshmfence uses them: 0 reset, 1 triggered, -1 reset with waiters.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use memmap2::MmapMut;
use nix::sys::memfd::{memfd_create, MemFdCreateFlag};
use x11rb::connection::Connection;
use x11rb::protocol::xproto::Window;
use x11rb::protocol::{dri3, sync};

use super::error::{check, TransportError};

/// The fence word's size: libxshmfence maps exactly `sizeof(struct xshmfence)`.
const FENCE_BYTES: usize = 4;

/// One idle fence; destroyed (SyncDestroyFence) on drop.
pub(crate) struct ShmFence<'c, C: Connection> {
    conn: &'c C,
    id: sync::Fence,
    map: MmapMut,
}

impl<'c, C: Connection> ShmFence<'c, C> {
    /// Creates the fence, untriggered, and shares it with the server.
    pub(crate) fn new(conn: &'c C, window: Window) -> Result<Self, TransportError> {
        let fd = fence_memfd().map_err(|e| {
            TransportError::Unsupported(format!("dri3: cannot create an idle fence: {e}"))
        })?;
        // SAFETY: the memfd is ours, exactly FENCE_BYTES long and sealed against shrinking,
        // so the mapping stays valid; the server maps the same bytes and both sides access
        // them only through atomics (here) or libxshmfence's atomics (there).
        let map = unsafe { MmapMut::map_mut(&fd) }.map_err(|e| {
            TransportError::Unsupported(format!("dri3: cannot map an idle fence: {e}"))
        })?;
        let id = conn.generate_id()?;
        check(
            dri3::fence_from_fd(conn, window, id, false, fd)?,
            "DRI3FenceFromFD",
        )?;
        Ok(ShmFence { conn, id, map })
    }

    /// The fence's X id (for PresentPixmap's `idle_fence`).
    pub(crate) fn id(&self) -> sync::Fence {
        self.id
    }

    /// Waits until the server triggers the fence (at most `limit`), then resets it.
    pub(crate) fn await_and_reset(&self, limit: Duration) -> Result<(), TransportError> {
        let word = self.word();
        let deadline = Instant::now() + limit;
        loop {
            // Announce a waiter (0 → -1) unless it is already triggered (1).
            let seen = word.compare_exchange(0, -1, Ordering::AcqRel, Ordering::Acquire);
            if seen == Err(1) {
                break;
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(TransportError::Unsupported(format!(
                    "dri3: the X server did not trigger an idle fence within {limit:?}"
                )));
            }
            futex_wait(word, -1, (deadline - now).min(Duration::from_millis(100)));
        }
        // Triggered: reset for the next PresentPixmap (1 → 0).
        let _ = word.compare_exchange(1, 0, Ordering::AcqRel, Ordering::Acquire);
        Ok(())
    }

    fn word(&self) -> &AtomicI32 {
        // SAFETY: the mapping is FENCE_BYTES long, page-aligned (so 4-byte aligned) and lives
        // as long as `self`; AtomicI32 has the size and alignment of i32.
        unsafe { &*self.map.as_ptr().cast::<AtomicI32>() }
    }
}

impl<C: Connection> Drop for ShmFence<'_, C> {
    fn drop(&mut self) {
        if let Err(e) = sync::destroy_fence(self.conn, self.id) {
            log::debug!("SyncDestroyFence {:#x} failed: {e}", self.id);
        }
    }
}

/// A sealed memfd of FENCE_BYTES zero bytes (untriggered).
fn fence_memfd() -> nix::Result<OwnedFd> {
    let fd = memfd_create(
        c"zcx-idle-fence",
        MemFdCreateFlag::MFD_CLOEXEC | MemFdCreateFlag::MFD_ALLOW_SEALING,
    )?;
    nix::unistd::ftruncate(fd.as_fd(), FENCE_BYTES as i64)?;
    let seals = nix::fcntl::SealFlag::F_SEAL_SHRINK
        | nix::fcntl::SealFlag::F_SEAL_GROW
        | nix::fcntl::SealFlag::F_SEAL_SEAL;
    nix::fcntl::fcntl(
        std::os::fd::AsRawFd::as_raw_fd(&fd),
        nix::fcntl::FcntlArg::F_ADD_SEALS(seals),
    )?;
    Ok(fd)
}

/// FUTEX_WAIT on a shared word while it holds `expected`, for at most `timeout`. Spurious
/// wake-ups and EAGAIN are fine: the caller loops.
fn futex_wait(word: &AtomicI32, expected: i32, timeout: Duration) {
    let ts = nix::libc::timespec {
        tv_sec: timeout.as_secs() as nix::libc::time_t,
        tv_nsec: timeout.subsec_nanos() as nix::libc::c_long,
    };
    // SAFETY: FUTEX_WAIT (not private: the word is shared with the server) reads the word at
    // a valid, aligned address and sleeps; the timespec outlives the call.
    unsafe {
        nix::libc::syscall(
            nix::libc::SYS_futex,
            word.as_ptr(),
            nix::libc::FUTEX_WAIT,
            expected,
            &ts as *const nix::libc::timespec,
            std::ptr::null::<u32>(),
            0,
        );
    }
}
