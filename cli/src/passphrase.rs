//! Where passphrases come from: a terminal prompt, or a file named with
//! `--passphrase-file` (for scripts). Never from the command line, where
//! other users and shell history would see it.

use std::path::Path;

use anyhow::{bail, Context, Result};
use temoin_vault::Passphrase;
use zeroize::Zeroizing;

/// Reads the first line of a file, without its line ending.
pub fn from_file(path: &Path) -> Result<Passphrase> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read the passphrase file {}", path.display()))?;
    if meta.len() > 64 * 1024 {
        bail!(
            "the passphrase file {} is too large to be a passphrase file",
            path.display()
        );
    }
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the passphrase file {}", path.display()))?,
    );
    let line = text.lines().next().unwrap_or("");
    Ok(Passphrase::new(line.to_owned()))
}

/// Asks at the terminal, without echo.
pub fn prompt(label: &str) -> Result<Passphrase> {
    let text = Zeroizing::new(
        rpassword::prompt_password(label)
            .context("cannot read a passphrase: no terminal (use --passphrase-file FILE)")?,
    );
    Ok(Passphrase::new(text.to_string()))
}

/// Asks twice for a new passphrase, until both agree.
pub fn prompt_new(label: &str) -> Result<Passphrase> {
    for _ in 0..3 {
        let first = prompt(label)?;
        if first.is_empty() {
            eprintln!("The passphrase must not be empty.");
            continue;
        }
        let again = prompt("Repeat it: ")?;
        if first.matches(&again) {
            return Ok(first);
        }
        eprintln!("The two passphrases differ; try again.");
    }
    bail!("no passphrase was set")
}

/// Prints advice when a new passphrase is short. Strength estimates belong
/// in the app; here a length hint is enough.
pub fn advise(p: &Passphrase) {
    if p.char_count() < 12 {
        eprintln!(
            "Warning: this passphrase is short. A phrase of five or more unrelated words \
             is much harder to guess and still easy to remember."
        );
    }
}
