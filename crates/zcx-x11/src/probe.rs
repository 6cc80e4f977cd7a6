//! What the connected X server can do for frame transport: extension versions, MIT-SHM with fd
//! passing and shared pixmaps (verified by really attaching a small segment), Present, DRI3,
//! Composite, Damage, XFixes, the maximum request size and whether the connection is local.

use serde::Serialize;
use x11rb::connection::Connection;
use x11rb::protocol::{composite, damage, dri3, present, randr, shm, xfixes};

use crate::connection::SocketKind;
use crate::shm::{ShmAccess, ShmSegment};

/// An extension's negotiated version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

impl Version {
    pub fn at_least(&self, major: u32, minor: u32) -> bool {
        (self.major, self.minor) >= (major, minor)
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// MIT-SHM as this client can use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShmInfo {
    pub version: Version,
    /// ShmCreatePixmap works (QueryVersion's `shared_pixmaps`).
    pub shared_pixmaps: bool,
    /// ShmAttachFd exists (MIT-SHM ≥ 1.2).
    pub fd_passing: bool,
    /// `Ok` when a trial ShmAttachFd of a small segment succeeded, else why it failed.
    pub trial_attach: Result<(), String>,
}

impl ShmInfo {
    /// Shared memory really works here: the trial attach succeeded.
    pub fn usable(&self) -> bool {
        self.trial_attach.is_ok()
    }
}

/// Everything zcx wants to know about a server, gathered once at start-up.
#[derive(Debug, Clone, Serialize)]
pub struct ServerProbe {
    pub vendor: String,
    pub release: u32,
    pub socket: SocketKind,
    pub max_request_bytes: usize,
    pub screen_width: u16,
    pub screen_height: u16,
    pub root_depth: u8,
    pub shm: Option<ShmInfo>,
    pub present: Option<Version>,
    pub dri3: Option<Version>,
    pub composite: Option<Version>,
    pub damage: Option<Version>,
    pub xfixes: Option<Version>,
    pub randr: Option<Version>,
}

impl ServerProbe {
    /// Probes the server behind `conn`. Extension queries that fail count as "absent".
    pub fn probe<C: Connection>(
        conn: &C,
        screen_num: usize,
        socket: SocketKind,
    ) -> Result<ServerProbe, x11rb::errors::ConnectionError> {
        let setup = conn.setup();
        let screen = &setup.roots[screen_num];
        let probe = ServerProbe {
            vendor: String::from_utf8_lossy(&setup.vendor).into_owned(),
            release: setup.release_number,
            socket,
            max_request_bytes: conn.maximum_request_bytes(),
            screen_width: screen.width_in_pixels,
            screen_height: screen.height_in_pixels,
            root_depth: screen.root_depth,
            shm: probe_shm(conn)?,
            present: version_of(conn, present::X11_EXTENSION_NAME, |c| {
                Ok(present::query_version(c, 1, 2)?
                    .reply()
                    .map(|r| (r.major_version, r.minor_version)))
            })?,
            dri3: version_of(conn, dri3::X11_EXTENSION_NAME, |c| {
                Ok(dri3::query_version(c, 1, 2)?
                    .reply()
                    .map(|r| (r.major_version, r.minor_version)))
            })?,
            composite: version_of(conn, composite::X11_EXTENSION_NAME, |c| {
                Ok(composite::query_version(c, 0, 4)?
                    .reply()
                    .map(|r| (r.major_version, r.minor_version)))
            })?,
            damage: version_of(conn, damage::X11_EXTENSION_NAME, |c| {
                Ok(damage::query_version(c, 1, 1)?
                    .reply()
                    .map(|r| (r.major_version, r.minor_version)))
            })?,
            xfixes: version_of(conn, xfixes::X11_EXTENSION_NAME, |c| {
                Ok(xfixes::query_version(c, 5, 0)?
                    .reply()
                    .map(|r| (r.major_version, r.minor_version)))
            })?,
            randr: version_of(conn, randr::X11_EXTENSION_NAME, |c| {
                Ok(randr::query_version(c, 1, 5)?
                    .reply()
                    .map(|r| (r.major_version, r.minor_version)))
            })?,
        };
        Ok(probe)
    }

    /// Shared memory works (trial attach succeeded).
    pub fn shm_usable(&self) -> bool {
        self.shm.as_ref().is_some_and(ShmInfo::usable)
    }

    /// Shared pixmaps work: MIT-SHM usable and the server allows ShmCreatePixmap.
    pub fn shared_pixmaps_usable(&self) -> bool {
        self.shm
            .as_ref()
            .is_some_and(|s| s.usable() && s.shared_pixmaps)
    }
}

type VersionReply = Result<(u32, u32), x11rb::errors::ReplyError>;

fn version_of<C: Connection>(
    conn: &C,
    name: &'static str,
    query: impl FnOnce(&C) -> Result<VersionReply, x11rb::errors::ConnectionError>,
) -> Result<Option<Version>, x11rb::errors::ConnectionError> {
    if conn.extension_information(name)?.is_none() {
        return Ok(None);
    }
    match query(conn) {
        Ok(Ok((major, minor))) => Ok(Some(Version { major, minor })),
        Ok(Err(x11rb::errors::ReplyError::ConnectionError(e))) | Err(e) => Err(e),
        Ok(Err(e)) => {
            log::debug!("{name} QueryVersion failed: {e}; treating it as absent");
            Ok(None)
        }
    }
}

fn probe_shm<C: Connection>(conn: &C) -> Result<Option<ShmInfo>, x11rb::errors::ConnectionError> {
    if conn
        .extension_information(shm::X11_EXTENSION_NAME)?
        .is_none()
    {
        return Ok(None);
    }
    let reply = match shm::query_version(conn)?.reply() {
        Ok(r) => r,
        Err(x11rb::errors::ReplyError::ConnectionError(e)) => return Err(e),
        Err(e) => {
            log::debug!("MIT-SHM QueryVersion failed: {e}");
            return Ok(None);
        }
    };
    let version = Version {
        major: reply.major_version.into(),
        minor: reply.minor_version.into(),
    };
    let fd_passing = version.at_least(1, 2);
    let trial_attach = if !fd_passing {
        Err(format!("MIT-SHM {version} has no ShmAttachFd (needs 1.2)"))
    } else {
        match ShmSegment::new(conn, 4096, ShmAccess::ServerReadOnly) {
            Ok(_segment) => Ok(()),
            Err(crate::shm::ShmError::X(crate::XError::Connection(e))) => return Err(e),
            Err(e) => Err(e.to_string()),
        }
    };
    Ok(Some(ShmInfo {
        version,
        shared_pixmaps: reply.shared_pixmaps,
        fd_passing,
        trial_attach,
    }))
}
