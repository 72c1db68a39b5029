//! The commands the interface calls. Each one is wiring: it takes the
//! session's vault, calls temoin-vault or temoin-sync, and shapes the answer
//! for the interface. Anything that touches the disk or the network runs
//! off the interface's thread (`blocking`), and anything long (import,
//! upload) runs as a job that reports through events.

mod cases;
mod custody;
mod desk;
mod dossier;
mod evidence;
mod handover;
mod messages;
mod state;
mod strength;
mod vocabulary;

pub use cases::*;
pub use custody::*;
pub use desk::*;
pub use dossier::*;
pub use evidence::*;
pub use handover::*;
pub use messages::*;
pub use state::*;
pub use strength::*;
pub use vocabulary::*;

use temoin_vault::ItemId;

use crate::error::AppError;

pub(crate) fn parse_id(id: &str) -> Result<ItemId, AppError> {
    id.parse()
        .map_err(|_| AppError::invalid("the item id is not valid"))
}
