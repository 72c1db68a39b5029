//! `README.html`: a page for the person who opens a bundle.

use std::collections::BTreeMap;

use crate::manifest::{Manifest, Purpose};

/// Escapes text for HTML. Written here because it is five characters and
/// a crate would add nothing but a dependency.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What a bundle for `purpose` carries and why, in plain words (HTML, no
/// user data in it).
fn purpose_words(purpose: Purpose) -> &'static str {
    match purpose {
        Purpose::ShareWithOmct => {
            "This bundle is for OMCT (purpose <code>share_with_omct</code>). It carries each \
             evidence file exactly as it was received, the original, with its SHA-256 and the \
             capture metadata its file holds (which can say where and when it was taken, and \
             with what device), so that OMCT can check it and rely on it. Only what the people \
             concerned consented to share with OMCT is in it. Keep it as you would keep the \
             originals."
        }
        Purpose::Litigation => {
            "This bundle is for legal proceedings (purpose <code>litigation</code>). It carries \
             each evidence file exactly as it was received, the original, with its SHA-256 and \
             the capture metadata its file holds, so that a court or a treaty body can check \
             that nothing changed since intake. Only what the people concerned consented to use \
             in litigation is in it. Keep it as you would keep the originals."
        }
        Purpose::AnonymisedStatistics => {
            "This bundle carries figures only (purpose <code>anonymised_statistics</code>): for \
             each case, how many victims by country, quarter, violation, institution, custodial \
             context and vulnerability, counted only over the people whose consent covers \
             anonymised statistics, each person by a random id so that OMCT counts them once. \
             No record, no name, no file. The figures are in <code>manifest.json</code>."
        }
        Purpose::Publication => {
            "This bundle is for publication (purpose <code>publication</code>). It carries \
             working copies only: copies of the evidence with their metadata stripped and, \
             where the defender chose, parts of the picture blacked out or blurred. No original \
             is in it, and nothing in its records says where a file was taken or by whom (no \
             GPS position, capture time, device, file name, collector or source): once \
             published, an original or its metadata could locate the people who took it or who \
             appear in it. An original without a working copy was left out, and is listed under \
             \u{201c}Left out\u{201d}. Only people whose consent covers publication are in it. \
             Each working copy's record names the original it was made from and that \
             original's SHA-256, so that the copy can later be shown to come from it."
        }
    }
}

/// A page for a person opening the bundle: what it holds, what was left
/// out, and how to check it with standard tools. No script, no remote
/// content.
pub fn readme_html(m: &Manifest) -> String {
    let title = m
        .items
        .first()
        .and_then(|i| i.record.get("title"))
        .and_then(|t| t.as_str())
        .unwrap_or(if m.purpose == Purpose::AnonymisedStatistics {
            "Figures for OMCT's statistics"
        } else {
            "(untitled)"
        });
    let mut h = String::new();
    h.push_str("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n");
    h.push_str("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n");
    h.push_str(&format!(
        "<title>Témoin bundle: {}</title></head><body>\n",
        esc(title)
    ));
    h.push_str(&format!("<h1>{}</h1>\n", esc(title)));
    h.push_str(&format!(
        "<p>Bundle {} (sequence {} of device {}), sealed {} for {}.</p>\n",
        esc(&m.bundle_id),
        m.sequence,
        esc(&m.device.key_id),
        esc(&m.created_at),
        esc(m.purpose.code())
    ));
    h.push_str(&format!(
        "<h2>What it is for</h2>\n<p>{}</p>\n",
        purpose_words(m.purpose)
    ));
    if let Some(s) = &m.supersedes {
        h.push_str(&format!(
            "<p>It replaces bundle {} (sequence {}).</p>\n",
            esc(&s.bundle_id),
            s.sequence
        ));
    }
    if m.part == Some(crate::manifest::Part::Text) {
        h.push_str(
            "<p><strong>The case's text only.</strong> The case was marked urgent: its records \
             (the evidence records with their SHA-256 among them) were sent ahead of its evidence \
             files, which follow in a bundle that names this one as the one it replaces.</p>\n",
        );
    }
    if let Some(figures) = &m.figures {
        h.push_str(&format!(
            "<p>Figures of {} case(s), {} cell(s) in all.</p>\n",
            figures.len(),
            figures.iter().map(|f| f.cells.len()).sum::<usize>()
        ));
    }
    h.push_str("<h2>Records</h2>\n<ul>\n");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for i in &m.items {
        *counts.entry(i.kind.as_str()).or_default() += 1;
    }
    for (kind, n) in counts {
        h.push_str(&format!("<li>{}: {n}</li>\n", esc(kind)));
    }
    h.push_str("</ul>\n<p>The records themselves are in <code>manifest.json</code>.</p>\n");
    h.push_str("<h2>Files</h2>\n<table>\n<tr><th>File</th><th>Type</th><th>Bytes</th><th>SHA-256</th><th>Description</th></tr>\n");
    for f in &m.files {
        let description = f
            .item
            .and_then(|id| m.items.iter().find(|i| i.id == id))
            .and_then(|i| i.record.get("description"))
            .and_then(|d| d.as_str())
            .unwrap_or("");
        h.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>\n",
            esc(&f.path),
            esc(&f.media_type),
            f.size,
            esc(&f.sha256),
            esc(description)
        ));
    }
    h.push_str("</table>\n");
    if !m.withheld.is_empty() {
        h.push_str("<h2>Left out</h2>\n<ul>\n");
        for w in &m.withheld {
            h.push_str(&format!(
                "<li>{} {}: {}</li>\n",
                esc(&w.kind),
                esc(&w.id.to_string()),
                esc(&w.reason)
            ));
        }
        h.push_str("</ul>\n");
    }
    h.push_str(&format!(
        "<h2>Checking it</h2>\n<pre>minisign -Vm manifest.json -P {}\nsha256sum -c SHA256SUMS</pre>\n\
         <p>Take the device's public key from a source you trust (the sender, or OMCT), not from this \
         bundle. <code>temoin verify</code> also checks the custody entries.</p>\n</body></html>\n",
        esc(&m.device.public_key)
    ));
    h
}
