//! Where passphrases come from: a terminal prompt, or a file named with
//! `--passphrase-file` (for scripts). Never from the command line, where
//! other users and shell history would see it.
//!
//! Other values that can be sensitive (titles, names, search words) may
//! come from a file or standard input too ([`text_arg`]).

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

/// A value given on the command line, or read from a file (`-`: standard
/// input) so that it stays out of the process list and the shell's
/// history: UTF-8, at most 1 MiB, one final line ending removed.
pub fn text_arg(value: Option<&str>, file: Option<&Path>) -> Result<Option<String>> {
    let Some(file) = file else {
        return Ok(value.map(str::to_owned));
    };
    let mut bytes = Vec::new();
    let limit = 1024 * 1024;
    if file == Path::new("-") {
        std::io::Read::read_to_end(
            &mut std::io::Read::take(std::io::stdin(), limit + 1),
            &mut bytes,
        )
        .context("cannot read standard input")?;
    } else {
        let f =
            std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
        std::io::Read::read_to_end(&mut std::io::Read::take(f, limit + 1), &mut bytes)
            .with_context(|| format!("cannot read {}", file.display()))?;
    }
    if bytes.len() as u64 > limit {
        bail!("{} is larger than 1 MiB: not a value", file.display());
    }
    let mut text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", file.display()))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(Some(text))
}
