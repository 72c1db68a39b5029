//! `temoin export` and `temoin verify FILE`: sealed bundles from the command
//! line. Wiring only; the format is `temoin_vault::bundle`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use serde_json::json;
use temoin_bundle::{read_bundle, PayloadIdentity, PayloadRecipient, Purpose, ReadOptions, Report};
use temoin_vault::export::ExportOptions;
use temoin_vault::DevicePublicKey;

/// Exit status when a bundle is intact but nobody said which device key to
/// trust, so its origin is not established.
pub const EXIT_UNCHECKED_SIGNER: u8 = 4;

pub fn export(
    vault: &mut temoin_vault::Vault,
    case: temoin_vault::ItemId,
    recipients: &[String],
    purpose: Purpose,
    out: &Path,
    json_out: bool,
) -> Result<()> {
    if out.exists() {
        bail!(
            "{} already exists; choose another file (nothing was written)",
            out.display()
        );
    }
    let recipients: Vec<PayloadRecipient> = recipients
        .iter()
        .map(|r| {
            r.parse::<PayloadRecipient>().map_err(|_| {
                anyhow::anyhow!(
                    "{r:?} is not an age recipient: give the public key that starts with age1 \
                     (for example from `age-keygen -y KEYFILE`)"
                )
            })
        })
        .collect::<Result<_>>()?;
    let summary = vault.export_bundle_to_file(
        case,
        &ExportOptions {
            purpose,
            recipients,
            supersedes: None,
            part: None,
        },
        out,
    )?;
    let m = &summary.manifest;
    if json_out {
        crate::print_json(&json!({
            "path": out,
            "bundle_id": m.bundle_id,
            "sequence": m.sequence,
            "purpose": m.purpose.code(),
            "format": m.format,
            "manifest_sha256": summary.manifest_sha256,
            "bytes": summary.bytes,
            "items": m.items.len(),
            "files": m.files.len(),
            "withheld": m.withheld,
        }))?;
    } else {
        println!(
            "Sealed bundle {} (sequence {}, for {}) in {}: {} records, {} files, {} bytes.",
            m.bundle_id,
            m.sequence,
            m.purpose.code(),
            out.display(),
            m.items.len(),
            m.files.len(),
            summary.bytes
        );
        for w in &m.withheld {
            println!("  left out: {} {}: {}", w.kind, w.id, w.reason);
        }
    }
    Ok(())
}

fn device_key(arg: &str) -> Result<DevicePublicKey> {
    let path = PathBuf::from(arg);
    let text = if path.is_file() {
        std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read the device key file {}", path.display()))?
    } else {
        arg.to_owned()
    };
    DevicePublicKey::from_minisign(&text).map_err(|_| {
        anyhow::anyhow!(
            "{arg:?} is not a device public key: give the minisign public key (the line \
             starting with RW, or a .pub file) that `temoin device` printed on the sending device"
        )
    })
}

pub fn verify(
    file: &Path,
    identity: Option<&Path>,
    device_keys: &[String],
    out: Option<&Path>,
    json_out: bool,
) -> Result<ExitCode> {
    let Some(identity) = identity else {
        bail!("verifying a bundle needs the key it was sealed for: --identity KEYFILE (an age identity file)");
    };
    let text = std::fs::read_to_string(identity)
        .with_context(|| format!("cannot read the identity file {}", identity.display()))?;
    let identities = PayloadIdentity::from_identity_file(&text).map_err(|_| {
        anyhow::anyhow!(
            "{} is not an age identity file (lines starting with AGE-SECRET-KEY-1)",
            identity.display()
        )
    })?;
    let trusted: Vec<DevicePublicKey> = device_keys
        .iter()
        .map(|k| device_key(k))
        .collect::<Result<_>>()?;
    let input =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let report = read_bundle(
        std::io::BufReader::new(input),
        &identities,
        &ReadOptions {
            trusted_devices: &trusted,
            out_dir: out,
        },
    )?;
    let status = if !report.intact() {
        "NOT VALID"
    } else if report.signer_trusted == Some(true) {
        "VALID"
    } else {
        "INTACT, SIGNER NOT CHECKED"
    };
    let as_json = report_json(&report, status);
    if let Some(dir) = out {
        let path = dir.join("verification.json");
        std::fs::write(&path, serde_json::to_vec_pretty(&as_json)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if json_out {
        crate::print_json(&as_json)?;
    } else {
        print_report(&report, status, out);
    }
    Ok(if !report.intact() {
        ExitCode::from(crate::cli::EXIT_DAMAGED)
    } else if report.signer_trusted == Some(true) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_UNCHECKED_SIGNER)
    })
}

fn report_json(r: &Report, status: &str) -> serde_json::Value {
    let m = r.manifest.as_ref();
    json!({
        "status": status,
        "intact": r.intact(),
        "genuine": r.genuine(),
        "bundle_id": m.map(|m| &m.bundle_id),
        "sequence": m.map(|m| m.sequence),
        "device_key_id": m.map(|m| &m.device.key_id),
        "purpose": m.map(|m| m.purpose.code()),
        "case_id": m.map(|m| m.case_id),
        "manifest_sha256": r.manifest_sha256,
        "signature_valid": r.signature_valid,
        "signer_trusted": r.signer_trusted,
        "files_verified": r.files_verified,
        "custody_entries_verified": r.custody_verified,
        "withheld": m.map(|m| &m.withheld),
        "problems": r.problems,
    })
}

fn print_report(r: &Report, status: &str, out: Option<&Path>) {
    println!("Bundle: {status}");
    if let Some(m) = &r.manifest {
        println!("  Bundle id:   {} (sequence {})", m.bundle_id, m.sequence);
        println!("  Case:        {}", m.case_id);
        println!("  Purpose:     {}", m.purpose.code());
        println!("  Sealed:      {}", m.created_at);
        println!(
            "  Device key:  {} ({})",
            m.device.key_id,
            match r.signer_trusted {
                Some(true) => "trusted key given",
                Some(false) => "NOT one of the trusted keys given",
                None => "not checked: pass --device-key",
            }
        );
        println!(
            "  Signature:   {}",
            if r.signature_valid {
                "valid"
            } else {
                "INVALID OR MISSING"
            }
        );
        println!(
            "  Files:       {} of {} verified",
            r.files_verified,
            m.files.len()
        );
        println!("  Custody:     {} entries verified", r.custody_verified);
        for w in &m.withheld {
            println!(
                "  Left out by the sender: {} {}: {}",
                w.kind, w.id, w.reason
            );
        }
    }
    if !r.problems.is_empty() {
        println!("{} problem(s):", r.problems.len());
        for p in &r.problems {
            println!("  - [{}] {}", p.code, p.detail);
        }
    }
    if let Some(dir) = out {
        println!(
            "Unpacked into {} (report in verification.json).",
            dir.display()
        );
    }
}
