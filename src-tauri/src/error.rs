//! The one error type that crosses into the interface.
//!
//! The interface switches on `code` and shows its own translated words; the
//! `message` is the library's sentence (English, never user content: the
//! vault's and the sync crate's errors name fields and files, never titles,
//! names or narratives) for a details line.

use serde::{Deserialize, Serialize};
use specta::Type;
use temoin_sync::client::{EndpointError, SyncError};
use temoin_sync::outbox::OutboxError;
use temoin_vault::{ExportError, ForgetError, IngestError, OpenError, VaultError, WipeError};

/// What kind of failure, for the interface to act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The passphrase opens no slot.
    WrongPassphrase,
    /// An empty passphrase was given.
    EmptyPassphrase,
    /// A new passphrase is too easy to guess.
    WeakPassphrase,
    /// The vault is locked; unlock first.
    Locked,
    /// There is no vault yet.
    NoVault,
    /// A vault already exists where one was to be created.
    VaultExists,
    /// The item asked for does not exist.
    NotFound,
    /// Something given is not acceptable (names the field).
    InvalidInput,
    /// The vault or a stored value is damaged.
    Damaged,
    /// Handover needs enrollment with OMCT first.
    NotEnrolled,
    /// The network or the server failed.
    Network,
    /// The server is not OMCT's, or answered something that does not hold
    /// up (a key that does not match the enrollment code): send nothing.
    Untrustworthy,
    /// Consent does not cover what was asked.
    Consent,
    /// A file could not be read or written (including a full disk).
    Io,
    /// The vault is in use by another process or busy.
    Busy,
    /// A fault of ours.
    Internal,
}

/// An error the interface can show and act on.
#[derive(Clone, Debug, Serialize, Type, thiserror::Error)]
#[error("{message}")]
pub struct AppError {
    /// What kind of failure.
    pub code: ErrorCode,
    /// A plain sentence, without user content.
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
        }
    }

    pub fn locked() -> AppError {
        AppError::new(ErrorCode::Locked, "the vault is locked")
    }

    pub fn invalid(message: impl Into<String>) -> AppError {
        AppError::new(ErrorCode::InvalidInput, message)
    }
}

impl From<OpenError> for AppError {
    fn from(e: OpenError) -> AppError {
        let code = match &e {
            OpenError::WrongPassphrase => ErrorCode::WrongPassphrase,
            OpenError::EmptyPassphrase => ErrorCode::EmptyPassphrase,
            OpenError::NotAVault(_) => ErrorCode::NoVault,
            OpenError::NotEmpty(_) => ErrorCode::VaultExists,
            OpenError::InUse => ErrorCode::Busy,
            OpenError::Io(_) => ErrorCode::Io,
            OpenError::Damaged { .. } | OpenError::TooNew(_) => ErrorCode::Damaged,
            _ => ErrorCode::Internal,
        };
        // An open error may name the vault's folder; the interface knows it.
        AppError::new(code, e.to_string())
    }
}

impl From<VaultError> for AppError {
    fn from(e: VaultError) -> AppError {
        let code = match &e {
            VaultError::NotFound { .. } => ErrorCode::NotFound,
            VaultError::Invalid(_)
            | VaultError::TooLarge { .. }
            | VaultError::BadLink { .. }
            | VaultError::WrongKind { .. }
            | VaultError::ImmutablePayloadFacts
            | VaultError::OutputExists => ErrorCode::InvalidInput,
            VaultError::Damaged { .. }
            | VaultError::PayloadMissing { .. }
            | VaultError::PayloadDamaged { .. }
            | VaultError::CustodyBroken { .. } => ErrorCode::Damaged,
            VaultError::DiskFull | VaultError::Io(_) => ErrorCode::Io,
            _ => ErrorCode::Internal,
        };
        AppError::new(code, e.to_string())
    }
}

impl From<IngestError> for AppError {
    fn from(e: IngestError) -> AppError {
        match e {
            IngestError::Vault(v) => v.into(),
            IngestError::Source(_) => AppError::new(ErrorCode::Io, e.to_string()),
            other => AppError::new(ErrorCode::InvalidInput, other.to_string()),
        }
    }
}

impl From<ExportError> for AppError {
    fn from(e: ExportError) -> AppError {
        match e {
            ExportError::Vault(v) => v.into(),
            other => AppError::new(ErrorCode::Consent, other.to_string()),
        }
    }
}

impl From<ForgetError> for AppError {
    fn from(e: ForgetError) -> AppError {
        match e {
            ForgetError::Vault(v) => v.into(),
            other => AppError::new(ErrorCode::InvalidInput, other.to_string()),
        }
    }
}

impl From<WipeError> for AppError {
    fn from(e: WipeError) -> AppError {
        let code = match &e {
            WipeError::NotAVault(_) => ErrorCode::NoVault,
            _ => ErrorCode::Io,
        };
        AppError::new(code, e.to_string())
    }
}

impl From<EndpointError> for AppError {
    fn from(e: EndpointError) -> AppError {
        AppError::invalid(e.to_string())
    }
}

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> AppError {
        let code = match &e {
            SyncError::Local(_) => ErrorCode::Io,
            SyncError::Untrustworthy(_) => ErrorCode::Untrustworthy,
            _ => ErrorCode::Network,
        };
        AppError::new(code, e.to_string())
    }
}

impl From<OutboxError> for AppError {
    fn from(e: OutboxError) -> AppError {
        match e {
            OutboxError::Vault(v) => v.into(),
            OutboxError::Sync(s) => s.into(),
            OutboxError::Export(x) => x.into(),
            OutboxError::NotEnrolled => AppError::new(
                ErrorCode::NotEnrolled,
                "this device is not enrolled with OMCT yet: enroll in Settings first",
            ),
            OutboxError::EnrollAgain => AppError::new(
                ErrorCode::NotEnrolled,
                "this device was enrolled without an enrollment code, so OMCT's key was never \
                 checked: ask OMCT for an enrollment code and enroll again in Settings",
            ),
            OutboxError::OtherRootKey => AppError::new(
                ErrorCode::Untrustworthy,
                OutboxError::OtherRootKey.to_string(),
            ),
            OutboxError::Locked => AppError::locked(),
            other => AppError::new(ErrorCode::Damaged, other.to_string()),
        }
    }
}
