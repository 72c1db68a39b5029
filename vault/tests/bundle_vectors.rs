//! The committed bundle test vectors (docs/test-vectors/bundle, made by
//! the writer of version 2 and kept unchanged, and bundle-v3, made by
//! `cargo run -p temoin-tests --bin make-bundle-vectors`): the reader must
//! find in each what `expected.json` says. A format change that stops old
//! bundles from reading, or a check that stops catching a forgery, fails
//! here. The vectors of both versions are checked: `good.tar.age` is
//! `temoin-bundle/1` (for OMCT, with originals), `publication.tar.age` is
//! `temoin-bundle/2` (working copies only), `text-part.tar.age` is
//! `temoin-bundle/3` (an urgent case's records ahead of its files).

#![allow(clippy::unwrap_used)]

use std::path::Path;

use temoin_bundle::{read_bundle, PayloadIdentity, Purpose, ReadOptions};
use temoin_vault::DevicePublicKey;

#[test]
fn every_vector_reads_as_expected() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/test-vectors");
    // Made by the writer of version 2, kept as they were.
    check(
        &root.join("bundle"),
        12,
        &["good.tar.age", "publication.tar.age"],
    );
    // Made by today's.
    check(
        &root.join("bundle-v3"),
        16,
        &["text-part.tar.age", "figures.tar.age", "good.tar.age"],
    );
}

fn check(dir: &Path, at_least: usize, present: &[&str]) {
    let identities = PayloadIdentity::from_identity_file(
        &std::fs::read_to_string(dir.join("omct.key")).unwrap(),
    )
    .unwrap();
    let device =
        DevicePublicKey::from_minisign(&std::fs::read_to_string(dir.join("device.pub")).unwrap())
            .unwrap();
    let expected: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
    assert!(expected.len() >= at_least);
    for name in present {
        assert!(expected.contains_key(*name), "{name}");
    }
    for (name, want) in &expected {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let out = tempfile::tempdir().unwrap();
        let report = read_bundle(
            &bytes[..],
            &identities,
            &ReadOptions {
                trusted_devices: std::slice::from_ref(&device),
                out_dir: Some(&out.path().join("unpacked")),
            },
        )
        .unwrap();
        let codes: Vec<&str> = report.problems.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(
            report.genuine(),
            want["genuine"].as_bool().unwrap(),
            "{name}: {codes:?}"
        );
        let listed: Vec<&str> = want["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        if listed.is_empty() {
            assert!(codes.is_empty(), "{name}: {codes:?}");
        } else {
            assert!(
                listed.iter().any(|c| codes.contains(c)),
                "{name}: expected one of {listed:?}, found {codes:?}"
            );
        }
        // The readable ones are what they say, and a publication holds
        // working copies only, with no position in their records.
        if let Some(purpose) = want.get("purpose").and_then(|p| p.as_str()) {
            let m = report.manifest.as_ref().unwrap();
            assert_eq!(m.purpose.code(), purpose, "{name}");
            assert_eq!(Some(m.format.as_str()), want["format"].as_str(), "{name}");
            let evidence: Vec<_> = m.files.iter().filter_map(|f| f.item).collect();
            // The text of an urgent case: its evidence records, none of
            // their files.
            let part = want.get("part").and_then(|p| p.as_str());
            assert_eq!(m.part.map(|p| p.code()), part, "{name}");
            if m.purpose == Purpose::AnonymisedStatistics {
                // Figures only.
                assert!(evidence.is_empty() && m.items.is_empty(), "{name}");
                assert!(m.figures.as_ref().is_some_and(|f| !f.is_empty()), "{name}");
            } else if part == Some("text") {
                assert!(evidence.is_empty(), "{name}");
                assert!(m.items.iter().any(|i| i.kind == "evidence"), "{name}");
            } else {
                assert!(!evidence.is_empty(), "{name}");
            }
            for id in evidence {
                let record = &m.items.iter().find(|i| i.id == id).unwrap().record;
                let copy = record["derived_from"].is_object();
                if m.purpose == Purpose::Publication {
                    assert!(copy, "{name}: an original in a publication");
                    assert!(record["capture"]["gps"].is_null(), "{name}");
                }
            }
            if m.purpose == Purpose::Publication {
                assert!(m.withheld.iter().any(|w| w.kind == "evidence"), "{name}");
            }
        }
        // Nothing ever lands outside the output folder.
        assert!(!out.path().join("outside.txt").exists(), "{name}");
    }
    assert!(!Path::new("/tmp/absolute.txt").exists());
}
