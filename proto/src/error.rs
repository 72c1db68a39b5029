//! The body of every error answer.

use serde::{Deserialize, Serialize};

/// An error answer's body: a reason a person can act on, never content.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ErrorAnswer {
    /// The reason, in words.
    pub error: String,
}
