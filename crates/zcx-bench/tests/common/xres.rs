//! The server's pixmaps counted through the X-Resource extension (XRes 1.2): in total over
//! every client, and held by the client that owns a given window.

use x11rb::protocol::res::{ClientIdMask, ClientIdSpec, ConnectionExt as _};
use x11rb::protocol::xproto::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;

/// A connection that has agreed XRes 1.2 with the server.
pub fn negotiate(conn: &RustConnection) {
    let version = conn
        .res_query_version(1, 2)
        .expect("request")
        .reply()
        .expect("the server has no X-Resource extension");
    assert!(
        (version.server_major, version.server_minor) >= (1, 2),
        "XRes {}.{}, want ≥ 1.2 (QueryClientIds)",
        version.server_major,
        version.server_minor
    );
}

fn pixmap_atom(conn: &RustConnection) -> u32 {
    conn.intern_atom(false, b"PIXMAP")
        .expect("request")
        .reply()
        .expect("InternAtom")
        .atom
}

/// Pixmaps held by the client whose resources start at `client_base` (`None` once that
/// client is gone).
pub fn pixmaps_of(conn: &RustConnection, client_base: u32) -> Option<u32> {
    let pixmap = pixmap_atom(conn);
    let reply = conn
        .res_query_client_resources(client_base)
        .ok()?
        .reply()
        .ok()?;
    Some(
        reply
            .types
            .iter()
            .filter(|t| t.resource_type == pixmap)
            .map(|t| t.count)
            .sum(),
    )
}

/// Pixmaps of every client of the server, itself included.
pub fn total_pixmaps(conn: &RustConnection) -> u32 {
    let clients = conn
        .res_query_clients()
        .expect("request")
        .reply()
        .expect("XResQueryClients")
        .clients;
    clients
        .iter()
        .filter_map(|c| pixmaps_of(conn, c.resource_base))
        .sum()
}

/// The resource base and process id of the client that created `window`.
pub fn client_of_window(conn: &RustConnection, window: u32) -> (u32, Option<u32>) {
    let spec = |mask| ClientIdSpec {
        client: window,
        mask,
    };
    let ids = conn
        .res_query_client_ids(&[
            spec(ClientIdMask::CLIENT_XID),
            spec(ClientIdMask::LOCAL_CLIENT_PID),
        ])
        .expect("request")
        .reply()
        .expect("XResQueryClientIds")
        .ids;
    let base = ids
        .iter()
        .find(|v| v.spec.mask == ClientIdMask::CLIENT_XID)
        .map(|v| v.spec.client)
        .expect("the window's client XID");
    let pid = ids
        .iter()
        .find(|v| v.spec.mask == ClientIdMask::LOCAL_CLIENT_PID)
        .and_then(|v| v.value.first().copied());
    (base, pid)
}
