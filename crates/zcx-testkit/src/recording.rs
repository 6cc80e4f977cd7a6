//! A fake X connection that records every request instead of sending it, for request-shape
//! tests (tier 2): which requests a component sends, in what order, how large, with which fds.
//! Every request "succeeds": void requests have no error and requests with replies have none,
//! except replies with fds, which a test queues (`queue_reply_with_fds`) in the order the
//! component waits for them.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::io::IoSlice;

use x11rb::connection::{Connection, DiscardMode, ReplyOrError, RequestConnection, RequestKind};
use x11rb::cookie::{Cookie, CookieWithFds, VoidCookie};
use x11rb::errors::{ConnectionError, ParseError, ReplyOrIdError};
use x11rb::protocol::xproto::Setup;
use x11rb::protocol::Event;
use x11rb::utils::RawFdContainer;
use x11rb::x11_utils::{ExtensionInformation, TryParse, TryParseFd, X11Error};
use x11rb_protocol::{RawEventAndSeqNumber, SequenceNumber};

/// One recorded request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Major opcode (core request number, or the extension's fake major opcode).
    pub major: u8,
    /// The second byte: the minor opcode of extension requests (a request field for core ones).
    pub minor: u8,
    /// The whole request as it would go on the wire (without BIG-REQUESTS rewriting).
    pub bytes: Vec<u8>,
    /// How many fds went with it.
    pub fds: usize,
}

/// The fake connection. Extensions named in `extensions` exist, with major opcodes from 128.
pub struct RecordingConnection {
    setup: Setup,
    max_request_bytes: usize,
    extensions: Vec<&'static str>,
    next_id: Cell<u32>,
    sequence: Cell<SequenceNumber>,
    requests: RefCell<Vec<Recorded>>,
    fd_replies: RefCell<VecDeque<(Vec<u8>, Vec<RawFdContainer>)>>,
}

impl std::fmt::Debug for RecordingConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingConnection")
            .field("requests", &self.requests.borrow().len())
            .finish_non_exhaustive()
    }
}

impl RecordingConnection {
    /// A connection to a server with `max_request_bytes` and the named extensions.
    pub fn new(max_request_bytes: usize, extensions: &[&'static str]) -> Self {
        RecordingConnection {
            setup: Setup::default(),
            max_request_bytes,
            extensions: extensions.to_vec(),
            next_id: Cell::new(0x0020_0000),
            sequence: Cell::new(0),
            requests: RefCell::new(Vec::new()),
            fd_replies: RefCell::new(VecDeque::new()),
        }
    }

    /// The fake major opcode of an extension given to [`new`](Self::new).
    pub fn major_opcode(&self, extension: &str) -> Option<u8> {
        let i = self.extensions.iter().position(|e| *e == extension)?;
        Some(128 + i as u8)
    }

    /// Takes the requests recorded so far.
    pub fn take(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.requests.borrow_mut())
    }

    /// Queues the wire bytes and fds of the next reply-with-fds waited for (whatever its
    /// sequence number); with none queued, such a wait fails as before.
    pub fn queue_reply_with_fds(&self, bytes: Vec<u8>, fds: Vec<RawFdContainer>) {
        self.fd_replies.borrow_mut().push_back((bytes, fds));
    }

    fn record(&self, bufs: &[IoSlice<'_>], fds: Vec<RawFdContainer>) -> SequenceNumber {
        let bytes: Vec<u8> = bufs.iter().flat_map(|b| b.iter().copied()).collect();
        self.requests.borrow_mut().push(Recorded {
            major: bytes.first().copied().unwrap_or(0),
            minor: bytes.get(1).copied().unwrap_or(0),
            bytes,
            fds: fds.len(),
        });
        let seq = self.sequence.get() + 1;
        self.sequence.set(seq);
        seq
    }
}

impl RequestConnection for RecordingConnection {
    type Buf = Vec<u8>;

    fn send_request_with_reply<R: TryParse>(
        &self,
        bufs: &[IoSlice<'_>],
        fds: Vec<RawFdContainer>,
    ) -> Result<Cookie<'_, Self, R>, ConnectionError> {
        Ok(Cookie::new(self, self.record(bufs, fds)))
    }

    fn send_request_with_reply_with_fds<R: TryParseFd>(
        &self,
        bufs: &[IoSlice<'_>],
        fds: Vec<RawFdContainer>,
    ) -> Result<CookieWithFds<'_, Self, R>, ConnectionError> {
        Ok(CookieWithFds::new(self, self.record(bufs, fds)))
    }

    fn send_request_without_reply(
        &self,
        bufs: &[IoSlice<'_>],
        fds: Vec<RawFdContainer>,
    ) -> Result<VoidCookie<'_, Self>, ConnectionError> {
        Ok(VoidCookie::new(self, self.record(bufs, fds)))
    }

    fn discard_reply(&self, _: SequenceNumber, _: RequestKind, _: DiscardMode) {}

    fn prefetch_extension_information(&self, _: &'static str) -> Result<(), ConnectionError> {
        Ok(())
    }

    fn extension_information(
        &self,
        name: &'static str,
    ) -> Result<Option<ExtensionInformation>, ConnectionError> {
        Ok(self
            .major_opcode(name)
            .map(|major_opcode| ExtensionInformation {
                major_opcode,
                first_event: 64 + 4 * (major_opcode - 128),
                first_error: 128 + 4 * (major_opcode - 128),
            }))
    }

    fn wait_for_reply_or_raw_error(
        &self,
        _: SequenceNumber,
    ) -> Result<ReplyOrError<Vec<u8>>, ConnectionError> {
        Err(ConnectionError::UnknownError)
    }

    fn wait_for_reply(&self, _: SequenceNumber) -> Result<Option<Vec<u8>>, ConnectionError> {
        Ok(None)
    }

    fn wait_for_reply_with_fds_raw(
        &self,
        _: SequenceNumber,
    ) -> Result<ReplyOrError<x11rb::connection::BufWithFds<Vec<u8>>, Vec<u8>>, ConnectionError>
    {
        let reply = self.fd_replies.borrow_mut().pop_front();
        reply
            .map(ReplyOrError::Reply)
            .ok_or(ConnectionError::UnknownError)
    }

    fn check_for_raw_error(&self, _: SequenceNumber) -> Result<Option<Vec<u8>>, ConnectionError> {
        Ok(None)
    }

    fn prefetch_maximum_request_bytes(&self) {}

    fn maximum_request_bytes(&self) -> usize {
        self.max_request_bytes
    }

    fn parse_error(&self, error: &[u8]) -> Result<X11Error, ParseError> {
        X11Error::try_parse(
            error,
            &x11rb::extension_manager::ExtensionManager::default(),
        )
    }

    fn parse_event(&self, event: &[u8]) -> Result<Event, ParseError> {
        Event::parse(
            event,
            &x11rb::extension_manager::ExtensionManager::default(),
        )
    }
}

impl Connection for RecordingConnection {
    fn wait_for_raw_event_with_sequence(
        &self,
    ) -> Result<RawEventAndSeqNumber<Vec<u8>>, ConnectionError> {
        Err(ConnectionError::UnknownError)
    }

    fn poll_for_raw_event_with_sequence(
        &self,
    ) -> Result<Option<RawEventAndSeqNumber<Vec<u8>>>, ConnectionError> {
        Ok(None)
    }

    fn flush(&self) -> Result<(), ConnectionError> {
        Ok(())
    }

    fn setup(&self) -> &Setup {
        &self.setup
    }

    fn generate_id(&self) -> Result<u32, ReplyOrIdError> {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        Ok(id)
    }
}
