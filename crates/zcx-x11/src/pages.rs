//! How much of this process's frame memory the kernel backs with huge pages, read from
//! `/proc/self/smaps`: the same file anyone can read from outside as `/proc/<pid>/smaps`.
//!
//! A 4K frame spans 8,100 small pages; rendering it after a sleep pays a page walk for most of
//! them, so whether frame memory sits on huge pages shows in the rendering cost of a row
//! (README "What bounds the end-to-end ratio"). The kernel decides per kind of memory: private
//! anonymous memory (put-image's buffer) follows `transparent_hugepage/enabled`, shared memory
//! (the memfd segments of the shared paths) follows `transparent_hugepage/shmem_enabled`.

use std::ops::Range;

use serde::{Deserialize, Serialize};

/// Where the system's huge-page settings live.
const THP_DIR: &str = "/sys/kernel/mm/transparent_hugepage";

/// Frame memory mapped in this process, and how much of it is on huge pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameMemory {
    /// Bytes of the mappings asked about.
    pub bytes: u64,
    /// Of those, bytes mapped with huge pages (smaps' `AnonHugePages`, `ShmemPmdMapped`,
    /// `FilePmdMapped`).
    pub huge_page_bytes: u64,
}

impl FrameMemory {
    /// The share on huge pages, 0.0 to 1.0 (0.0 for no memory).
    pub fn huge_share(&self) -> f64 {
        if self.bytes == 0 {
            0.0
        } else {
            self.huge_page_bytes as f64 / self.bytes as f64
        }
    }
}

/// Where `memory` lies in this process's address space.
pub fn address_range(memory: &[u8]) -> Range<usize> {
    let start = memory.as_ptr() as usize;
    start..start + memory.len()
}

/// `ranges` (addresses in this process) as mapped now; `None` where smaps cannot be read.
pub fn own_frame_memory(ranges: &[Range<usize>]) -> Option<FrameMemory> {
    match std::fs::read_to_string("/proc/self/smaps") {
        Ok(smaps) => Some(frame_memory(&smaps, ranges)),
        Err(e) => {
            log::debug!("cannot read /proc/self/smaps: {e}");
            None
        }
    }
}

/// `ranges` as `smaps` (the text of a `/proc/<pid>/smaps`) maps them. Each mapping that
/// overlaps a range counts its huge-page bytes, at most as many as the overlap.
pub fn frame_memory(smaps: &str, ranges: &[Range<usize>]) -> FrameMemory {
    let bytes = ranges.iter().map(|r| r.len() as u64).sum();
    let mut huge_page_bytes = 0;
    let mut current: Option<(Range<usize>, u64)> = None;
    let mut finish = |vma: Option<(Range<usize>, u64)>| {
        if let Some((vma, huge)) = vma {
            let overlap: usize = ranges
                .iter()
                .map(|r| r.end.min(vma.end).saturating_sub(r.start.max(vma.start)))
                .sum();
            huge_page_bytes += huge.min(overlap as u64);
        }
    };
    for line in smaps.lines() {
        if let Some(vma) = vma_header(line) {
            finish(current.replace((vma, 0)));
        } else if let (Some((_, huge)), Some(kib)) = (current.as_mut(), huge_page_field(line)) {
            *huge += kib * 1024;
        }
    }
    finish(current);
    FrameMemory {
        bytes,
        // The kernel's mappings never overlap; text that claims they do counts no more than all.
        huge_page_bytes: huge_page_bytes.min(bytes),
    }
}

/// `7f12a0000000-7f12a2000000 rw-s 00000000 00:01 1234   /memfd:zcx-frame (deleted)`.
fn vma_header(line: &str) -> Option<Range<usize>> {
    let (range, rest) = line.split_once(' ')?;
    // Field lines are `Name:   value kB`; only a header has a permission field after the range.
    rest.get(..4)
        .filter(|p| p.chars().all(|c| "rwxsp-".contains(c)))?;
    let (start, end) = range.split_once('-')?;
    let start = usize::from_str_radix(start, 16).ok()?;
    let end = usize::from_str_radix(end, 16).ok()?;
    (start < end).then_some(start..end)
}

/// The kB of a huge-page field of a mapping.
fn huge_page_field(line: &str) -> Option<u64> {
    let (name, value) = line.split_once(':')?;
    if !matches!(name, "AnonHugePages" | "ShmemPmdMapped" | "FilePmdMapped") {
        return None;
    }
    value.trim().strip_suffix("kB")?.trim().parse().ok()
}

/// The system's huge-page policy for private anonymous memory and for shared memory, each the
/// selected word of its file (`madvise`, `never`, …); `None` where the file cannot be read.
pub fn thp_policy() -> (Option<String>, Option<String>) {
    let read = |name: &str| {
        let text = std::fs::read_to_string(format!("{THP_DIR}/{name}")).ok()?;
        selected(&text)
    };
    (read("enabled"), read("shmem_enabled"))
}

/// The bracketed word of `always [madvise] never`.
fn selected(text: &str) -> Option<String> {
    let start = text.find('[')? + 1;
    let end = start + text[start..].find(']')?;
    Some(text[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMAPS: &str = "\
7f0000000000-7f0002000000 rw-s 00000000 00:01 1234                       /memfd:zcx-frame (deleted)
Size:              32768 kB
Rss:               32768 kB
ShmemPmdMapped:    30720 kB
FilePmdMapped:         0 kB
AnonHugePages:         0 kB
VmFlags: rd wr sh mr mw me ms hg
7f0002000000-7f0004000000 rw-p 00000000 00:00 0
Size:              32768 kB
AnonHugePages:     32768 kB
ShmemPmdMapped:        0 kB
VmFlags: rd wr mr mw me ac hg
7f0004000000-7f0004001000 r--p 00000000 08:01 99                         /usr/lib/libc.so.6
Size:                  4 kB
AnonHugePages:         0 kB
";

    #[test]
    fn counts_the_huge_pages_of_the_mappings_asked_about() {
        let shared = 0x7f00_0000_0000..0x7f00_0200_0000;
        let anon = 0x7f00_0200_0000..0x7f00_0400_0000;
        let m = frame_memory(SMAPS, std::slice::from_ref(&shared));
        assert_eq!(m.bytes, 32 << 20);
        assert_eq!(m.huge_page_bytes, 30 << 20);
        let m = frame_memory(SMAPS, &[shared, anon.clone()]);
        assert_eq!((m.bytes, m.huge_page_bytes), (64 << 20, 62 << 20));
        // Part of a mapping counts at most its overlap.
        let half = anon.start..anon.start + (16 << 20);
        assert_eq!(frame_memory(SMAPS, &[half]).huge_page_bytes, 16 << 20);
        // Memory in no mapping has no huge pages.
        let m = frame_memory(SMAPS, std::slice::from_ref(&(0x1000..0x2000)));
        assert_eq!((m.bytes, m.huge_page_bytes, m.huge_share()), (4096, 0, 0.0));
        assert_eq!(
            frame_memory("garbage\n:\n-", std::slice::from_ref(&(0..10))).huge_page_bytes,
            0
        );
        // The same mapping listed twice (never from the kernel) still counts at most all.
        let twice = format!("{SMAPS}{SMAPS}");
        let m = frame_memory(&twice, std::slice::from_ref(&anon));
        assert_eq!((m.bytes, m.huge_page_bytes), (32 << 20, 32 << 20));
    }

    #[test]
    fn the_selected_policy_is_the_bracketed_word() {
        assert_eq!(
            selected("always [madvise] never\n").as_deref(),
            Some("madvise")
        );
        assert_eq!(
            selected("always within_size advise [never] deny force"),
            Some("never".into())
        );
        assert_eq!(selected("no brackets"), None);
    }
}
