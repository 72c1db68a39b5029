//! The encrypted local vault of Témoin.
//!
//! A vault is a folder holding a key-slot file, a sled record store and a
//! folder of age-encrypted evidence payloads (`docs/vault-layout.md`). Every
//! record is sealed with its item's own key; every key is wrapped by the vault
//! key; the vault key is wrapped by each unlock slot. The vault keeps the case
//! model ([`case`]), revisions of every item, evidence payloads with their
//! hashes ([`evidence`]), a signed hash-chained custody log ([`custody`]), a
//! search index held in memory (and on disk only sealed, as a snapshot that makes
//! unlock quick), and can verify all of it ([`verify`]).
//!
//! This crate must never write plaintext to disk (not even to a temporary
//! file), never put names, titles or other content into an error or a log,
//! never acknowledge a write before it is durable, and never recreate a vault
//! empty or unencrypted when something is missing or damaged: it fails
//! closed. It knows nothing of the network or of any user interface.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod backup;
pub mod case_items;
pub mod duress;
pub mod evidence;
pub mod export;
pub mod forget;
#[doc(hidden)]
pub mod fuzzing;
pub mod payload;
pub mod state;
mod stats_records;
pub mod verify;
pub mod wipe;

mod attempts;
mod error;
mod file;
mod head;
mod keyslot;
mod rollback;
mod search;
mod snapshot;
mod store;
mod vault;

pub use error::{ExportError, ForgetError, IngestError, OpenError, VaultError, WipeError};
pub use evidence::{OriginalUse, PayloadFacts, StagedPayload};
pub use payload::{ArrivedPayload, PayloadReader, PayloadWriter};
pub use rollback::RolledBack;
pub use search::Hit;
pub use temoin_crypto::hygiene::{harden_process, memory_risks, MemoryRisks};
pub use temoin_crypto::kdf::KdfParams;
pub use temoin_crypto::locked::can_lock_keys;
pub use temoin_crypto::sign::DevicePublicKey;
pub use temoin_crypto::Passphrase;
/// The case model the vault stores (`temoin-model`), re-exported because the
/// vault's API takes and returns its types.
pub use temoin_model::desk as desk_records;
pub use temoin_model::record::{ItemId, Kind, PartialDate, Record};
pub use temoin_model::{capture, case, custody, record, region, stats};
pub use vault::{KdfChoice, Stored, Vault};
