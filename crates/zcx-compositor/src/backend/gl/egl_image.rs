//! EGL images of X pixmaps as texture storage (GL_OES_EGL_image): the entry points loaded
//! through EGL ([`EglImageApi`], with which of the two ways to name a pixmap's buffer the
//! display offers), an RAII [`PixmapImage`] destroyed on drop, and binding one to the texture
//! bound to GL_TEXTURE_2D. An image is made from the pixmap id (EGL_KHR_image_pixmap, here) or
//! from the dma-buf DRI3 exports for it (EGL_EXT_image_dma_buf_import, `dma_buf`). On a DRI3
//! X server either image is the pixmap's own buffer, so a texture made from it follows the
//! window without a copy (`import::EglPixmapImporter`, `import_dri3::Dri3Importer`).

use std::ffi::c_void;
use std::rc::Rc;

use super::context::GlContext;

const EGL_NATIVE_PIXMAP_KHR: u32 = 0x30B0;
const EGL_IMAGE_PRESERVED_KHR: i32 = 0x30D2;
const EGL_TRUE: i32 = 1;
const EGL_NONE: i32 = 0x3038;
const GL_TEXTURE_2D: u32 = 0x0DE1;

type CreateImage = unsafe extern "C" fn(
    *const c_void,
    *const c_void,
    u32,
    *mut c_void,
    *const i32,
) -> *const c_void;
type DestroyImage = unsafe extern "C" fn(*const c_void, *const c_void) -> u32;
type ImageTargetTexture = unsafe extern "C" fn(u32, *const c_void);

/// The EGL and GL entry points for images, for one EGL display, and which image sources the
/// display offers.
pub struct EglImageApi {
    pub(super) display: *const c_void,
    pub(super) create: CreateImage,
    destroy: DestroyImage,
    target_texture: ImageTargetTexture,
    /// What the display lacks for images of pixmap ids (`None`: EGL_KHR_image_pixmap offered).
    pixmap_missing: Option<String>,
    /// What it lacks for dma-buf images (`None`: EGL_EXT_image_dma_buf_import offered).
    dma_buf_missing: Option<String>,
    /// EGL_EXT_image_dma_buf_import_modifiers: a buffer's format modifier can be passed.
    pub(super) modifiers: bool,
}

impl EglImageApi {
    /// Loads the entry points; `Err` names what is missing (EGL_KHR_image_base or a function).
    pub fn load(ctx: &GlContext) -> Result<Rc<Self>, String> {
        if !ctx.has_egl_extension("EGL_KHR_image_base") {
            return Err("the EGL display lacks EGL_KHR_image_base".into());
        }
        let lacks = |ext: &str| {
            (!ctx.has_egl_extension(ext)).then(|| format!("the EGL display lacks {ext}"))
        };
        let load = |name: &std::ffi::CStr| {
            let p = ctx.proc_address(name);
            if p.is_null() {
                Err(format!("{} is not exported", name.to_string_lossy()))
            } else {
                Ok(p)
            }
        };
        let (create, destroy, target) = (
            load(c"eglCreateImageKHR")?,
            load(c"eglDestroyImageKHR")?,
            load(c"glEGLImageTargetTexture2DOES")?,
        );
        // SAFETY: the pointers are EGL's exports of these names, whose C signatures the
        // function types spell out (EGL_KHR_image_base, GL_OES_EGL_image).
        unsafe {
            Ok(Rc::new(Self {
                display: ctx.raw_egl_display(),
                create: std::mem::transmute::<*const c_void, CreateImage>(create),
                destroy: std::mem::transmute::<*const c_void, DestroyImage>(destroy),
                target_texture: std::mem::transmute::<*const c_void, ImageTargetTexture>(target),
                pixmap_missing: lacks("EGL_KHR_image_pixmap"),
                dma_buf_missing: lacks("EGL_EXT_image_dma_buf_import"),
                modifiers: ctx.has_egl_extension("EGL_EXT_image_dma_buf_import_modifiers"),
            }))
        }
    }

    /// `Err` names what the display lacks for images of pixmap ids.
    pub fn pixmap_images(&self) -> Result<(), String> {
        self.pixmap_missing.clone().map_or(Ok(()), Err)
    }

    /// `Err` names what the display lacks for images of dma-bufs.
    pub fn dma_buf_images(&self) -> Result<(), String> {
        self.dma_buf_missing.clone().map_or(Ok(()), Err)
    }

    /// An EGL image of X pixmap `pixmap` (its contents preserved).
    pub fn image_of_pixmap(self: &Rc<Self>, pixmap: u32) -> Option<PixmapImage> {
        let attrs = [EGL_IMAGE_PRESERVED_KHR, EGL_TRUE, EGL_NONE];
        // SAFETY: a live EGL display, no context (required for native pixmaps), the pixmap id
        // as the client buffer (EGL_KHR_image_pixmap) and a terminated attribute list.
        let image = unsafe {
            (self.create)(
                self.display,
                std::ptr::null(),
                EGL_NATIVE_PIXMAP_KHR,
                pixmap as usize as *mut c_void,
                attrs.as_ptr(),
            )
        };
        PixmapImage::adopt(self, image)
    }
}

/// One EGL image; destroyed on drop (a texture made from it keeps its storage).
pub struct PixmapImage {
    api: Rc<EglImageApi>,
    image: *const c_void,
}

impl PixmapImage {
    /// Owns `image` (made on `api`'s display); `None` for EGL_NO_IMAGE.
    pub(super) fn adopt(api: &Rc<EglImageApi>, image: *const c_void) -> Option<Self> {
        (!image.is_null()).then(|| Self {
            api: api.clone(),
            image,
        })
    }

    /// Makes the image the storage of the texture bound to GL_TEXTURE_2D.
    ///
    /// # Safety
    /// The GL context of the API's display must be current with a mutable-storage texture
    /// bound to GL_TEXTURE_2D.
    pub unsafe fn bind_to_bound_texture(&self) {
        // SAFETY: forwarded from the caller; the image is live.
        unsafe { (self.api.target_texture)(GL_TEXTURE_2D, self.image) }
    }
}

impl Drop for PixmapImage {
    fn drop(&mut self) {
        // SAFETY: the image was created on this display and is destroyed once.
        unsafe { (self.api.destroy)(self.api.display, self.image) };
    }
}
