//! EGL images of X pixmaps (EGL_KHR_image_pixmap) as texture storage (GL_OES_EGL_image): the
//! entry points loaded through EGL ([`EglImageApi`]), an RAII [`PixmapImage`] destroyed on
//! drop, and binding one to the texture bound to GL_TEXTURE_2D. On a DRI3 X server the image
//! is the pixmap's own buffer, so a texture made from it follows the window without a copy
//! (the zero-copy importer, `import::EglPixmapImporter`).

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

/// The EGL and GL entry points for pixmap images, for one EGL display.
pub struct EglImageApi {
    display: *const c_void,
    create: CreateImage,
    destroy: DestroyImage,
    target_texture: ImageTargetTexture,
}

impl EglImageApi {
    /// Loads the entry points; `Err` names what is missing (an extension or a function).
    pub fn load(ctx: &GlContext) -> Result<Rc<Self>, String> {
        for ext in ["EGL_KHR_image_base", "EGL_KHR_image_pixmap"] {
            if !ctx.has_egl_extension(ext) {
                return Err(format!("the EGL display lacks {ext}"));
            }
        }
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
            }))
        }
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
        (!image.is_null()).then(|| PixmapImage {
            api: self.clone(),
            image,
        })
    }
}

/// One EGL image; destroyed on drop (a texture made from it keeps its storage).
pub struct PixmapImage {
    api: Rc<EglImageApi>,
    image: *const c_void,
}

impl PixmapImage {
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
