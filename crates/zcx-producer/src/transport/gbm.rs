//! A small safe wrapper over the part of libgbm the `dri3` path needs: a device on the fd
//! from DRI3Open, linear XRGB8888 buffer objects, their dma-buf fd and stride, and a
//! write mapping per frame. libgbm is loaded at run time (`libgbm.so.1`, Debian `libgbm1`),
//! so building needs no `-dev` package and a machine without it only loses this mode.

use std::ffi::c_void;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::sync::Arc;

/// `GBM_FORMAT_XRGB8888` (fourcc "XR24"): the frame format, 0x00RRGGBB little-endian.
const FORMAT_XRGB8888: u32 = u32::from_le_bytes(*b"XR24");
const BO_USE_RENDERING: u32 = 1 << 2;
const BO_USE_LINEAR: u32 = 1 << 4;
const BO_TRANSFER_WRITE: u32 = 1 << 1;

/// Why GBM could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum GbmError {
    #[error("cannot load libgbm.so.1 (Debian: libgbm1): {0}")]
    Load(#[from] libloading::Error),
    #[error("{0} failed")]
    Call(&'static str),
    #[error("{0}")]
    Unavailable(String),
}

type CreateDevice = unsafe extern "C" fn(RawFd) -> *mut c_void;
type Destroy = unsafe extern "C" fn(*mut c_void);
type BoCreate = unsafe extern "C" fn(*mut c_void, u32, u32, u32, u32) -> *mut c_void;
type BoGetFd = unsafe extern "C" fn(*mut c_void) -> RawFd;
type BoGetU32 = unsafe extern "C" fn(*mut c_void) -> u32;
type BoMap = unsafe extern "C" fn(
    *mut c_void,
    u32,
    u32,
    u32,
    u32,
    u32,
    *mut u32,
    *mut *mut c_void,
) -> *mut c_void;
type BoUnmap = unsafe extern "C" fn(*mut c_void, *mut c_void);

/// The loaded library and the entry points we call.
struct Lib {
    create_device: CreateDevice,
    device_destroy: Destroy,
    bo_create: BoCreate,
    bo_destroy: Destroy,
    bo_get_fd: BoGetFd,
    bo_get_stride: BoGetU32,
    bo_map: BoMap,
    bo_unmap: BoUnmap,
    /// Keeps the function pointers above valid.
    _lib: libloading::Library,
}

impl Lib {
    fn load() -> Result<Lib, GbmError> {
        // SAFETY: loading libgbm runs its initialisers, which have no preconditions; each
        // symbol is read with the C signature documented in gbm.h, and the pointers are kept
        // together with the library that owns them.
        unsafe {
            let lib = libloading::Library::new("libgbm.so.1")?;
            Ok(Lib {
                create_device: *lib.get(b"gbm_create_device\0")?,
                device_destroy: *lib.get(b"gbm_device_destroy\0")?,
                bo_create: *lib.get(b"gbm_bo_create\0")?,
                bo_destroy: *lib.get(b"gbm_bo_destroy\0")?,
                bo_get_fd: *lib.get(b"gbm_bo_get_fd\0")?,
                bo_get_stride: *lib.get(b"gbm_bo_get_stride\0")?,
                bo_map: *lib.get(b"gbm_bo_map\0")?,
                bo_unmap: *lib.get(b"gbm_bo_unmap\0")?,
                _lib: lib,
            })
        }
    }
}

/// Whether libgbm can be loaded here (checked once).
pub fn available() -> Result<(), GbmError> {
    static LOADED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    LOADED
        .get_or_init(|| Lib::load().map(drop).map_err(|e| e.to_string()))
        .clone()
        .map_err(GbmError::Unavailable)
}

/// A GBM device on a DRM fd; owns the fd (closed after the device is destroyed).
pub struct GbmDevice {
    lib: Arc<Lib>,
    device: NonNull<c_void>,
    _fd: OwnedFd,
}

impl GbmDevice {
    /// Loads libgbm and creates a device on `fd` (e.g. from DRI3Open).
    pub fn new(fd: OwnedFd) -> Result<GbmDevice, GbmError> {
        let lib = Arc::new(Lib::load()?);
        // SAFETY: `fd` is an open DRM fd that outlives the device (it is dropped after it).
        let device = unsafe { (lib.create_device)(fd.as_raw_fd()) };
        let device = NonNull::new(device).ok_or(GbmError::Call("gbm_create_device"))?;
        Ok(GbmDevice {
            lib,
            device,
            _fd: fd,
        })
    }

    /// A linear XRGB8888 buffer object of `width` × `height`.
    pub fn create_linear_bo(&self, width: u32, height: u32) -> Result<GbmBo, GbmError> {
        let flags = BO_USE_LINEAR | BO_USE_RENDERING;
        // SAFETY: `self.device` is a live device; the arguments are plain integers.
        let bo = unsafe {
            (self.lib.bo_create)(self.device.as_ptr(), width, height, FORMAT_XRGB8888, flags)
        };
        let bo = NonNull::new(bo).ok_or(GbmError::Call("gbm_bo_create (linear XRGB8888)"))?;
        Ok(GbmBo {
            lib: Arc::clone(&self.lib),
            bo,
            width,
            height,
            mapping: None,
        })
    }
}

impl Drop for GbmDevice {
    fn drop(&mut self) {
        // SAFETY: the device is live and every buffer object made from it has been dropped
        // (the transport's field order drops buffers first).
        unsafe { (self.lib.device_destroy)(self.device.as_ptr()) }
    }
}

/// A buffer object; destroyed on drop. Must be dropped before its [`GbmDevice`].
pub struct GbmBo {
    lib: Arc<Lib>,
    bo: NonNull<c_void>,
    width: u32,
    height: u32,
    /// The live write mapping: pixels and gbm's map_data.
    mapping: Option<(NonNull<u32>, *mut c_void)>,
}

impl GbmBo {
    /// A new dma-buf fd for the buffer.
    pub fn fd(&self) -> Result<OwnedFd, GbmError> {
        // SAFETY: the buffer object is live.
        let fd = unsafe { (self.lib.bo_get_fd)(self.bo.as_ptr()) };
        if fd < 0 {
            return Err(GbmError::Call("gbm_bo_get_fd"));
        }
        // SAFETY: gbm_bo_get_fd returns a new fd that the caller owns.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// Bytes per row of the buffer.
    pub fn stride(&self) -> u32 {
        // SAFETY: the buffer object is live.
        unsafe { (self.lib.bo_get_stride)(self.bo.as_ptr()) }
    }

    /// The pixels (`width * height`, rows packed), mapped for writing until [`unmap`]
    /// (Self::unmap). Maps on the first call after an unmap.
    pub fn map_write(&mut self) -> Result<&mut [u32], GbmError> {
        let (ptr, _) = match self.mapping {
            Some(m) => m,
            None => {
                let m = self.map()?;
                self.mapping = Some(m);
                m
            }
        };
        let len = self.width as usize * self.height as usize;
        // SAFETY: gbm_bo_map returned a mapping of stride * height bytes with stride =
        // width * 4 and 4-byte alignment (both checked in `map`), valid until gbm_bo_unmap;
        // the &mut borrow of self makes this the only access.
        Ok(unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr(), len) })
    }

    /// Ends the write mapping, so the driver makes the pixels the buffer's (a GPU driver may
    /// copy from a staging buffer here). No-op when not mapped.
    pub fn unmap(&mut self) {
        if let Some((_, map_data)) = self.mapping.take() {
            // SAFETY: unmapping the one live mapping, with the map_data gbm_bo_map gave us.
            unsafe { (self.lib.bo_unmap)(self.bo.as_ptr(), map_data) };
        }
    }

    fn map(&mut self) -> Result<(NonNull<u32>, *mut c_void), GbmError> {
        let mut stride = 0u32;
        let mut map_data = std::ptr::null_mut();
        // SAFETY: the buffer object is live and the rectangle is the whole buffer; stride and
        // map_data are valid out-pointers.
        let ptr = unsafe {
            (self.lib.bo_map)(
                self.bo.as_ptr(),
                0,
                0,
                self.width,
                self.height,
                BO_TRANSFER_WRITE,
                &mut stride,
                &mut map_data,
            )
        };
        let ptr = NonNull::new(ptr.cast::<u32>()).ok_or(GbmError::Call("gbm_bo_map"))?;
        if stride as usize != self.width as usize * 4 || ptr.as_ptr().align_offset(4) != 0 {
            // SAFETY: unmapping what was just mapped, with its map_data.
            unsafe { (self.lib.bo_unmap)(self.bo.as_ptr(), map_data) };
            return Err(GbmError::Call(
                "gbm_bo_map (a mapping with padded rows is not supported)",
            ));
        }
        Ok((ptr, map_data))
    }
}

impl Drop for GbmBo {
    fn drop(&mut self) {
        self.unmap();
        // SAFETY: the buffer object is live and no longer mapped.
        unsafe { (self.lib.bo_destroy)(self.bo.as_ptr()) }
    }
}
