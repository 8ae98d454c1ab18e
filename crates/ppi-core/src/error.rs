//! Stable error codes shared by every edge (CLI exit status, HTTP status, job failure records).
//!
//! Errors are typed where they are born (one `thiserror` enum per module). Each enum implements
//! [`Coded`], so the edges can print a machine code next to the human message without knowing
//! the module's internals.

/// The broad class of a failure; it decides the CLI exit status and, later, the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The caller's input is wrong (a file, field or line is named in the message).
    Input,
    /// Something the caller named does not exist.
    NotFound,
    /// An external system (FFmpeg, a server) failed in a way the caller cannot fix by editing input.
    External,
    /// A bug or an environment problem (disk full, permissions).
    Internal,
}

impl ErrorKind {
    /// The process exit status for this class: 2 for input the user can correct, 1 otherwise.
    pub fn exit_code(self) -> i32 {
        match self {
            ErrorKind::Input | ErrorKind::NotFound => 2,
            ErrorKind::External | ErrorKind::Internal => 1,
        }
    }
}

/// A failure with a stable, documented machine code such as `"media-no-video-stream"`.
pub trait Coded {
    /// The stable code. Codes never change meaning once published.
    fn code(&self) -> &'static str;
    /// The class of failure.
    fn kind(&self) -> ErrorKind;
}
