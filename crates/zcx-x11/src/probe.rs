//! What the connected X server can do for frame transport: extension versions, MIT-SHM with fd
//! passing and shared pixmaps (verified by really attaching a small segment), Present, DRI3,
//! Composite, Damage, XFixes, the maximum request size and whether the connection is local.

use serde::Serialize;
use x11rb::connection::Connection;
use x11rb::protocol::{composite, damage, dri3, present, randr, shm, xfixes};

use crate::connection::SocketKind;
use crate::error::{describe, ConnectionError, X11Error};
use crate::shm::{ShmAccess, ShmError, ShmSegment};
use crate::XError;

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
    pub trial_attach: Result<(), AttachFailure>,
}

/// Why the trial ShmAttachFd failed. Serialized (`zcx probe --json`) with a `why` tag and, for
/// a refusal, the X error's kind, request, opcodes, bad value and sequence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum AttachFailure {
    /// MIT-SHM older than 1.2 has no ShmAttachFd.
    #[error("MIT-SHM {version} has no ShmAttachFd (needs 1.2)")]
    NoAttachFd { version: Version },
    /// The server answered ShmAttachFd with an X error (a remote or sandboxed server).
    #[error("the X server refused ShmAttachFd ({})", describe(.error))]
    Refused {
        #[serde(serialize_with = "serialize_x11_error")]
        error: X11Error,
    },
    /// This client's range of resource ids is used up.
    #[error("this client has used up its X resource ids")]
    IdsExhausted,
    /// This side could not make or map the segment (the OS's words).
    #[error("{message}")]
    Local { message: String },
}

impl AttachFailure {
    /// Sorts a failed trial attach; a broken connection is no answer about MIT-SHM, so it is
    /// handed back.
    fn from_shm(e: ShmError) -> Result<Self, ConnectionError> {
        Ok(match e {
            ShmError::Refused(error) | ShmError::X(XError::X11(error)) => Self::Refused { error },
            ShmError::X(XError::IdsExhausted) => Self::IdsExhausted,
            ShmError::X(XError::Connection(c)) => return Err(c),
            local @ (ShmError::Empty | ShmError::Create { .. } | ShmError::Map { .. }) => {
                Self::Local {
                    message: local.to_string(),
                }
            }
        })
    }
}

/// An X11 error as JSON: its kind by name, the request by name where known, and the numbers.
fn serialize_x11_error<S: serde::Serializer>(e: &X11Error, s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeStruct;
    let mut st = s.serialize_struct("X11Error", 6)?;
    st.serialize_field("kind", &format!("{:?}", e.error_kind))?;
    st.serialize_field("request", &e.request_name)?;
    st.serialize_field("extension", &e.extension_name)?;
    st.serialize_field("major_opcode", &e.major_opcode)?;
    st.serialize_field("minor_opcode", &e.minor_opcode)?;
    st.serialize_field("bad_value", &e.bad_value)?;
    st.serialize_field("sequence", &e.sequence)?;
    st.end()
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

fn probe_shm<C: Connection>(conn: &C) -> Result<Option<ShmInfo>, ConnectionError> {
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
        Err(AttachFailure::NoAttachFd { version })
    } else {
        match ShmSegment::new(conn, 4096, ShmAccess::ServerReadOnly) {
            Ok(_segment) => Ok(()),
            Err(e) => Err(AttachFailure::from_shm(e)?),
        }
    };
    Ok(Some(ShmInfo {
        version,
        shared_pixmaps: reply.shared_pixmaps,
        fd_passing,
        trial_attach,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use x11rb::protocol::ErrorKind;

    fn json(r: &Result<(), AttachFailure>) -> String {
        serde_json::to_string(r).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_refused_trial_attach_keeps_the_x_error_in_json_and_text() {
        let error = X11Error {
            error_kind: ErrorKind::Access,
            error_code: 10,
            sequence: 7,
            bad_value: 0x20_0001,
            minor_opcode: 6,
            major_opcode: 130,
            extension_name: Some("MIT-SHM".into()),
            request_name: Some("AttachFd"),
        };
        let refused = AttachFailure::Refused { error };
        assert!(refused.to_string().contains("Access"), "{refused}");
        assert_eq!(
            json(&Err(refused)),
            r#"{"Err":{"why":"refused","error":{"kind":"Access","request":"AttachFd","extension":"MIT-SHM","major_opcode":130,"minor_opcode":6,"bad_value":2097153,"sequence":7}}}"#
        );
    }

    #[test]
    fn other_trial_attach_outcomes_in_json() {
        let version = Version { major: 1, minor: 1 };
        assert_eq!(
            json(&Err(AttachFailure::NoAttachFd { version })),
            r#"{"Err":{"why":"no_attach_fd","version":{"major":1,"minor":1}}}"#
        );
        assert_eq!(json(&Ok(())), r#"{"Ok":null}"#);
    }
}
