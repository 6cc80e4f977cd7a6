//! The DRI3 guest's disk image: its recipe (Debian packages, hooks, init, xorg.conf), where
//! it is cached (`<target>/zcx-vm/<recipe hash>/`), and building it with mmdebstrap and
//! `mkfs.ext4 -d`. A build holds a lock file, so concurrent tests and xtask build it once;
//! the package cache (`<target>/zcx-vm/apt-cache`) survives recipe changes.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use nix::fcntl::{Flock, FlockArg};

use super::error::VmError;
use crate::util::{file_tail, find_on_path};

/// Bump when the build steps below change in a way the hashed inputs do not show.
const RECIPE_VERSION: u32 = 1;

/// The Debian suite and mirror the guest is built from.
const SUITE: &str = "bookworm";
const MIRROR: &str = "http://deb.debian.org/debian";

/// Packages on top of `--variant=minbase`: a generic kernel (virtio-gpu's DRM driver), the
/// Xorg server with modesetting/glamor, Mesa (GBM, EGL, GLES, llvmpipe), the X tools tests
/// use, and the libraries the zcx binaries load at run time (libxcb, libEGL).
pub const PACKAGES: &[&str] = &[
    "linux-image-amd64",
    "initramfs-tools",
    "udev",
    "kmod",
    "xserver-xorg-core",
    "libgl1-mesa-dri",
    "libgbm1",
    "libegl-mesa0",
    "libegl1",
    "libgles2",
    "x11-utils",
    "x11-xserver-utils",
    "mesa-utils",
    "libxcb-dri3-0",
    "libxcb-present0",
    "libdrm2",
    "libxcb1",
];

/// Files the build writes for mmdebstrap: (name, contents, executable).
const GUEST_FILES: &[(&str, &str, bool)] = &[
    ("init.sh", include_str!("guest/init.sh"), true),
    ("xorg.conf", include_str!("guest/xorg.conf"), false),
    (
        "essential-hook.sh",
        include_str!("guest/essential-hook.sh"),
        true,
    ),
    (
        "customize-hook.sh",
        include_str!("guest/customize-hook.sh"),
        true,
    ),
];

/// dpkg path filters: no documentation, manuals or translations in the guest.
const EXCLUDED_PATHS: &[&str] = &[
    "/usr/share/doc/*",
    "/usr/share/man/*",
    "/usr/share/info/*",
    "/usr/share/locale/*",
];

/// A built guest: kernel, initramfs and ext4 root image.
#[derive(Debug, Clone)]
pub struct GuestImage {
    dir: PathBuf,
}

impl GuestImage {
    /// The kernel image.
    pub fn kernel(&self) -> PathBuf {
        self.dir.join("vmlinuz")
    }

    /// The initramfs.
    pub fn initrd(&self) -> PathBuf {
        self.dir.join("initrd.img")
    }

    /// The ext4 root file system (booted with `snapshot=on`: never written).
    pub fn root(&self) -> PathBuf {
        self.dir.join("root.img")
    }

    /// The image for the current recipe under `target_dir`, if it has been built.
    pub fn cached(target_dir: &Path) -> Option<GuestImage> {
        let image = GuestImage {
            dir: image_dir(target_dir),
        };
        image.is_complete().then_some(image)
    }

    /// The cached image, or builds it (root only; several minutes on a cold package cache).
    /// Progress goes to stderr.
    pub fn ensure(target_dir: &Path) -> Result<GuestImage, VmError> {
        let dir = image_dir(target_dir);
        if let Some(image) = Self::cached(target_dir) {
            return Ok(image);
        }
        if !nix::unistd::geteuid().is_root() {
            return Err(VmError::NeedsRoot { dir });
        }
        for tool in ["mmdebstrap", "mkfs.ext4"] {
            if find_on_path(tool).is_none() {
                return Err(VmError::ToolMissing { tool });
            }
        }
        let vm_dir = vm_root(target_dir);
        std::fs::create_dir_all(&vm_dir).map_err(VmError::io(format!("creating {vm_dir:?}")))?;
        let _lock = lock(&vm_dir.join("build.lock"))?;
        // Someone else may have built it while we waited for the lock.
        if let Some(image) = Self::cached(target_dir) {
            return Ok(image);
        }
        let started = Instant::now();
        build(&vm_dir, &dir)?;
        remove_stale_images(&vm_dir, &dir);
        eprintln!(
            "==> guest image built in {:.0} s: {dir:?}",
            started.elapsed().as_secs_f64()
        );
        Ok(GuestImage { dir })
    }

    fn is_complete(&self) -> bool {
        [self.kernel(), self.initrd(), self.root()]
            .iter()
            .all(|p| p.is_file())
    }
}

/// `<target>/zcx-vm`.
fn vm_root(target_dir: &Path) -> PathBuf {
    target_dir.join("zcx-vm")
}

/// `<target>/zcx-vm/<recipe hash>`.
fn image_dir(target_dir: &Path) -> PathBuf {
    vm_root(target_dir).join(format!("image-{:08x}", recipe_hash()))
}

/// A hash of everything that decides the image: version, suite, packages, guest files.
fn recipe_hash() -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&RECIPE_VERSION.to_le_bytes());
    for part in [SUITE, MIRROR].iter().chain(PACKAGES).chain(EXCLUDED_PATHS) {
        h.update(part.as_bytes());
        h.update(b"\0");
    }
    for (name, contents, _) in GUEST_FILES {
        h.update(name.as_bytes());
        h.update(contents.as_bytes());
    }
    h.finalize()
}

/// An exclusive `flock` on `path`, held until the returned value drops.
fn lock(path: &Path) -> Result<Flock<File>, VmError> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(VmError::io(format!("opening {path:?}")))?;
    Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, e)| VmError::Io {
        what: format!("locking {path:?}"),
        source: e.into(),
    })
}

/// Builds into `<vm_dir>/build`, then moves kernel, initrd and root image to `dest`.
fn build(vm_dir: &Path, dest: &Path) -> Result<(), VmError> {
    let work = vm_dir.join("build");
    remove_tree(&work)?;
    let files = work.join("files");
    std::fs::create_dir_all(&files).map_err(VmError::io(format!("creating {files:?}")))?;
    for (name, contents, exec) in GUEST_FILES {
        let path = files.join(name);
        std::fs::write(&path, contents).map_err(VmError::io(format!("writing {path:?}")))?;
        let mode = if *exec { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
            .map_err(VmError::io(format!("chmod {path:?}")))?;
    }
    let cache = vm_dir.join("apt-cache");
    std::fs::create_dir_all(&cache).map_err(VmError::io(format!("creating {cache:?}")))?;
    let root = work.join("root");
    eprintln!("==> building the DRI3 guest image with mmdebstrap ({SUITE}, {MIRROR})");
    let mut cmd = mmdebstrap_command(&files, &cache, &root);
    run_logged("mmdebstrap", &mut cmd, &work.join("mmdebstrap.log"))?;
    take_boot_files(&root, &work)?;
    make_ext4(&root, &work.join("root.img"), &work.join("mkfs.log"))?;
    remove_tree(&root)?;
    let staged = dest.with_extension("tmp");
    remove_tree(&staged)?;
    std::fs::create_dir_all(&staged).map_err(VmError::io(format!("creating {staged:?}")))?;
    for name in ["vmlinuz", "initrd.img", "root.img"] {
        std::fs::rename(work.join(name), staged.join(name))
            .map_err(VmError::io(format!("moving {name} into {staged:?}")))?;
    }
    std::fs::rename(&staged, dest).map_err(VmError::io(format!("renaming to {dest:?}")))?;
    remove_tree(&work)
}

/// The mmdebstrap invocation: minbase + [`PACKAGES`], no docs, the package cache synced in
/// and out, the hooks from `files`.
fn mmdebstrap_command(files: &Path, cache: &Path, root: &Path) -> Command {
    let mut cmd = Command::new("mmdebstrap");
    cmd.args(["--variant=minbase", "--mode=root"])
        .arg(format!("--include={}", PACKAGES.join(",")));
    for path in EXCLUDED_PATHS {
        cmd.arg(format!("--dpkgopt=path-exclude={path}"));
    }
    let (files, cache) = (files.display(), cache.display());
    cmd.args(["--skip=download/empty", "--skip=essential/unlink"])
        .arg(r#"--setup-hook=mkdir -p "$1"/var/cache/apt/archives/"#)
        .arg(format!(
            "--setup-hook=sync-in {cache} /var/cache/apt/archives/"
        ))
        .arg(format!("--essential-hook={files}/essential-hook.sh"))
        .arg(format!(
            "--customize-hook=sync-out /var/cache/apt/archives {cache}"
        ))
        .arg(r#"--customize-hook=rm -f "$1"/var/cache/apt/archives/*.deb"#)
        .arg(r#"--customize-hook=mkdir -p "$1/tmp/zcx""#)
        .arg(format!(
            "--customize-hook=copy-in {files}/init.sh {files}/xorg.conf /tmp/zcx"
        ))
        .arg(format!("--customize-hook={files}/customize-hook.sh"))
        .arg(SUITE)
        .arg(root)
        .arg(MIRROR);
    cmd
}

/// Moves `boot/vmlinuz-*` and `boot/initrd.img-*` out of the tree as `vmlinuz`, `initrd.img`.
fn take_boot_files(root: &Path, work: &Path) -> Result<(), VmError> {
    let boot = root.join("boot");
    let entries = std::fs::read_dir(&boot).map_err(VmError::io(format!("reading {boot:?}")))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        for prefix in ["vmlinuz", "initrd.img"] {
            if name.starts_with(&format!("{prefix}-")) {
                std::fs::rename(entry.path(), work.join(prefix))
                    .map_err(VmError::io(format!("moving {name} out of the root")))?;
            }
        }
    }
    for name in ["vmlinuz", "initrd.img"] {
        if !work.join(name).is_file() {
            return Err(VmError::Io {
                what: format!("the built root has no /boot/{name}-*"),
                source: std::io::ErrorKind::NotFound.into(),
            });
        }
    }
    Ok(())
}

/// `mkfs.ext4 -d root` into a sparse file sized from the tree (+25% and 64 MiB free).
fn make_ext4(root: &Path, image: &Path, log: &Path) -> Result<(), VmError> {
    let (bytes, files) = tree_usage(root)?;
    let size_kib = (bytes + bytes / 4) / 1024 + 64 * 1024;
    let inodes = files + files / 4 + 4096;
    let mut cmd = Command::new("mkfs.ext4");
    cmd.args([
        "-q",
        "-F",
        "-L",
        "zcx-root",
        "-N",
        &inodes.to_string(),
        "-d",
    ])
    .arg(root)
    .arg(image)
    .arg(format!("{size_kib}k"));
    run_logged("mkfs.ext4", &mut cmd, log)
}

/// Bytes (in 4 KiB blocks) and entries under `dir`, not following symlinks.
fn tree_usage(dir: &Path) -> Result<(u64, u64), VmError> {
    let mut bytes = 0;
    let mut files = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(VmError::io(format!("reading {d:?}")))?;
        for entry in entries.flatten() {
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            files += 1;
            bytes += meta.len().div_ceil(4096) * 4096;
            if meta.is_dir() {
                stack.push(entry.path());
            }
        }
    }
    Ok((bytes, files))
}

/// Runs `cmd` with stdout and stderr to `log`; a failure quotes the log's tail.
fn run_logged(step: &'static str, cmd: &mut Command, log: &Path) -> Result<(), VmError> {
    let file = File::create(log).map_err(VmError::io(format!("creating {log:?}")))?;
    let err = file
        .try_clone()
        .map_err(VmError::io(format!("duplicating {log:?}")))?;
    let status = cmd
        .stdin(Stdio::null())
        .stdout(file)
        .stderr(err)
        .status()
        .map_err(VmError::io(format!("starting {step}")))?;
    if status.success() {
        return Ok(());
    }
    Err(VmError::Build {
        step,
        status: status.to_string(),
        log: log.to_path_buf(),
        log_tail: file_tail(log, 30),
    })
}

/// Removes a leftover tree, refusing when something is still mounted under it.
fn remove_tree(dir: &Path) -> Result<(), VmError> {
    if !dir.exists() {
        return Ok(());
    }
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let prefix = dir.to_string_lossy();
    let mounted = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .any(|m| m == prefix || m.starts_with(&format!("{prefix}/")));
    if mounted {
        return Err(VmError::MountedLeftover {
            dir: dir.to_path_buf(),
        });
    }
    std::fs::remove_dir_all(dir).map_err(VmError::io(format!("removing {dir:?}")))
}

/// Removes images built from older recipes (each is ~700 MB).
fn remove_stale_images(vm_dir: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(vm_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let is_image = entry.file_name().to_string_lossy().starts_with("image-");
        if is_image && path != keep && path.is_dir() {
            log::info!("removing the stale guest image {path:?}");
            let _ = std::fs::remove_dir_all(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_dir_is_under_target_and_names_the_recipe() {
        let dir = image_dir(Path::new("/t"));
        assert!(dir.starts_with("/t/zcx-vm"));
        assert_eq!(dir, image_dir(Path::new("/t")), "the hash is stable");
    }

    #[test]
    fn mmdebstrap_gets_every_package_and_the_hooks() {
        let cmd = mmdebstrap_command(Path::new("/f"), Path::new("/c"), Path::new("/r"));
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(args.contains(&format!("--include={}", PACKAGES.join(","))));
        assert!(args.contains(&"--customize-hook=/f/customize-hook.sh".to_string()));
        assert_eq!(args[args.len() - 3..], [SUITE, "/r", MIRROR]);
    }
}
