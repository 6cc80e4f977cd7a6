//! Sealed, pre-faulted memfd shared-memory segments attached to the X server with ShmAttachFd,
//! owned RAII-style: the server's attachment is detached before our mapping goes away.

use std::ffi::CString;
use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};

use memmap2::{MmapMut, MmapOptions};
use nix::fcntl::{fcntl, FcntlArg, SealFlag};
use nix::sys::memfd::{memfd_create, MemFdCreateFlag};
use x11rb::connection::Connection;
use x11rb::protocol::shm::{self, SegWrapper};

use crate::error::{describe, X11Error, XError};

/// Page size used to pre-fault mappings (touching one byte per page is enough).
const PAGE_BYTES: usize = 4096;

/// What the X server may do with a segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShmAccess {
    /// The server only reads (ShmPutImage, shared pixmaps shown on screen).
    ServerReadOnly,
    /// The server writes too (ShmGetImage, shared pixmaps drawn into).
    ServerReadWrite,
}

/// Errors while creating or attaching a segment.
#[derive(Debug, thiserror::Error)]
pub enum ShmError {
    #[error("a shared-memory segment cannot be empty")]
    Empty,
    #[error("cannot create a {size_bytes}-byte memfd segment: {source} (is /dev/shm or memory exhausted?)")]
    Create {
        size_bytes: usize,
        source: std::io::Error,
    },
    #[error("cannot map the {size_bytes}-byte segment: {source}")]
    Map {
        size_bytes: usize,
        source: std::io::Error,
    },
    #[error(transparent)]
    X(#[from] XError),
    #[error("the X server refused ShmAttachFd ({}); MIT-SHM needs a local connection with fd passing (MIT-SHM ≥ 1.2), and containers may forbid it", describe(.0))]
    Refused(X11Error),
}

crate::impl_from_x11rb!(ShmError);

/// A memfd segment mapped here and attached to the X server.
///
/// Field order is drop order: the server's attachment (ShmDetach) goes first, then our mapping.
/// Pixmaps created from the segment must be freed before it is dropped; holding them with a
/// borrow of the segment enforces that.
pub struct ShmSegment<'c, C: Connection> {
    seg: SegWrapper<&'c C>,
    map: MmapMut,
}

impl<C: Connection> std::fmt::Debug for ShmSegment<'_, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShmSegment")
            .field("seg", &self.seg.seg())
            .field("len", &self.map.len())
            .finish()
    }
}

impl<'c, C: Connection> ShmSegment<'c, C> {
    /// Creates a sealed memfd of `size_bytes`, maps and pre-faults it, and attaches it to the
    /// server with ShmAttachFd (waiting for the server's answer, so refusal is reported here).
    pub fn new(conn: &'c C, size_bytes: usize, access: ShmAccess) -> Result<Self, ShmError> {
        let (fd, map) = create_mapped_memfd(size_bytes)?;
        // x11rb takes ownership of the fd it sends, and closes it: give it a duplicate.
        let send_fd = fd
            .try_clone()
            .map_err(|source| ShmError::Create { size_bytes, source })?;
        let read_only = access == ShmAccess::ServerReadOnly;
        let seg = conn.generate_id()?;
        let cookie = shm::attach_fd(conn, seg, send_fd, read_only)?;
        cookie.check().map_err(|e| match XError::from(e) {
            XError::X11(x) => ShmError::Refused(x),
            other => ShmError::X(other),
        })?;
        // Only an attached segment gets an owner that detaches it: detaching one the server
        // refused would earn a BadShmSeg error.
        let seg = SegWrapper::for_seg(conn, seg);
        drop(fd);
        Ok(ShmSegment { seg, map })
    }

    /// The server-side segment id, for ShmPutImage, ShmGetImage and ShmCreatePixmap.
    pub fn seg(&self) -> shm::Seg {
        self.seg.seg()
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Where the segment is mapped in this process (for [`crate::pages`]).
    pub fn address_range(&self) -> std::ops::Range<usize> {
        crate::pages::address_range(&self.map)
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.map
    }

    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        &mut self.map
    }

    /// The segment as 32-bit pixels (the mapping is page-aligned; a trailing partial pixel is
    /// left out).
    pub fn as_u32(&self) -> &[u32] {
        // SAFETY: u32 has no invalid bit patterns and the mapping is page-aligned, so
        // align_to yields an empty head.
        let (head, body, _) = unsafe { self.map.align_to::<u32>() };
        debug_assert!(head.is_empty());
        body
    }

    /// The segment as mutable 32-bit pixels.
    pub fn as_u32_mut(&mut self) -> &mut [u32] {
        // SAFETY: u32 has no invalid bit patterns and the mapping is page-aligned, so
        // align_to_mut yields an empty head; the borrow of `self.map` is exclusive.
        let (head, body, _) = unsafe { self.map.align_to_mut::<u32>() };
        debug_assert!(head.is_empty());
        body
    }
}

/// Creates a memfd of exactly `size_bytes`, sealed against shrinking and growing (a truncated
/// segment would SIGBUS whoever maps it), mapped shared (huge pages asked for) and pre-faulted.
pub fn create_mapped_memfd(size_bytes: usize) -> Result<(OwnedFd, MmapMut), ShmError> {
    if size_bytes == 0 {
        return Err(ShmError::Empty);
    }
    let create = |source: nix::Error| ShmError::Create {
        size_bytes,
        source: source.into(),
    };
    let name = CString::new("zcx-frame").map_err(|e| ShmError::Create {
        size_bytes,
        source: std::io::Error::other(e),
    })?;
    let fd = memfd_create(
        &name,
        MemFdCreateFlag::MFD_CLOEXEC | MemFdCreateFlag::MFD_ALLOW_SEALING,
    )
    .map_err(create)?;
    let file = File::from(fd);
    file.set_len(size_bytes as u64)
        .map_err(|source| ShmError::Create { size_bytes, source })?;
    let seals = SealFlag::F_SEAL_SHRINK | SealFlag::F_SEAL_GROW | SealFlag::F_SEAL_SEAL;
    fcntl(file.as_raw_fd(), FcntlArg::F_ADD_SEALS(seals)).map_err(create)?;
    // SAFETY: the file is a private memfd we just created and sealed against resizing, so the
    // mapping can never be truncated under us; other writers are the X server only, which
    // the transports synchronise with (completion/idle events) before touching pixels.
    let mut map = unsafe { MmapOptions::new().len(size_bytes).map_mut(&file) }
        .map_err(|source| ShmError::Map { size_bytes, source })?;
    prepare_frame_memory(&mut map);
    Ok((file.into(), map))
}

/// Readies a fresh mapping for frames: huge pages asked for, then every page touched. The
/// kernel decides per kind of memory (private anonymous memory follows
/// `transparent_hugepage/enabled`, shared memory `shmem_enabled`, which Debian leaves at never;
/// then this changes nothing): a 4K frame spans 8,100 small pages, and a thread that wakes
/// for each frame pays a page walk for most of them (README "What bounds the end-to-end
/// ratio"). Asked before the first touch, when the pages are chosen; a refusal only means
/// small pages. The touch pre-faults, so no frame pays first-touch faults.
pub fn prepare_frame_memory(map: &mut MmapMut) {
    if let Err(e) = map.advise(memmap2::Advice::HugePage) {
        log::debug!("madvise(MADV_HUGEPAGE) on frame memory: {e}");
    }
    for page in map.chunks_mut(PAGE_BYTES) {
        page[0] = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memfd_is_sealed_and_sized() {
        let (fd, map) = create_mapped_memfd(10_000).expect("memfd");
        assert_eq!(map.len(), 10_000);
        let file = File::from(fd);
        assert!(
            file.set_len(100).is_err(),
            "shrinking a sealed segment must fail"
        );
        assert!(
            file.set_len(20_000).is_err(),
            "growing a sealed segment must fail"
        );
        let seals = fcntl(file.as_raw_fd(), FcntlArg::F_GET_SEALS).expect("get seals");
        let want = SealFlag::F_SEAL_SHRINK | SealFlag::F_SEAL_GROW | SealFlag::F_SEAL_SEAL;
        assert_eq!(SealFlag::from_bits_truncate(seals) & want, want);
    }

    #[test]
    fn empty_segment_is_refused() {
        assert!(matches!(create_mapped_memfd(0), Err(ShmError::Empty)));
    }
}
