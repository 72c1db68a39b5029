//! The interface's TypeScript bindings (`ui/src/bindings.ts`) are generated
//! from the commands and types here. This test fails when they drift: run
//! `make bindings` (or this test with TEMOIN_WRITE_BINDINGS=1) and commit.

use std::path::PathBuf;

#[test]
fn the_typescript_bindings_match_the_commands() {
    let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let fresh = dir.path().join("bindings.ts");
    temoin_app::specta_builder()
        .export(
            specta_typescript::Typescript::default()
                .header("// Generated from src-tauri by tauri-specta: do not edit. `make bindings` rewrites it.\n"),
            &fresh,
        )
        .expect("the bindings export");
    let fresh = std::fs::read_to_string(&fresh).expect("the exported bindings");
    if std::env::var_os("TEMOIN_WRITE_BINDINGS").is_some() {
        std::fs::write(&committed, &fresh).expect("writing ui/src/bindings.ts");
        return;
    }
    let current = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        current == fresh,
        "ui/src/bindings.ts is not what the Rust commands generate: run `make bindings` and commit it"
    );
}

/// The vocabularies the interface's in-memory fake backend (Vitest) serves
/// are the ones the Rust model defines: `ui/src/lib/vocabulary.json` is
/// written from the `vocabulary` command, and this test fails when it
/// drifts (`make bindings` rewrites it).
#[test]
fn the_fake_backends_vocabularies_are_the_models() {
    let committed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/vocabulary.json");
    let mut fresh = serde_json::to_string_pretty(&temoin_app::commands::vocabulary())
        .expect("the vocabularies serialise");
    fresh.push('\n');
    if std::env::var_os("TEMOIN_WRITE_BINDINGS").is_some() {
        std::fs::write(&committed, &fresh).expect("writing ui/src/lib/vocabulary.json");
        return;
    }
    let current = std::fs::read_to_string(&committed).unwrap_or_default();
    assert!(
        current == fresh,
        "ui/src/lib/vocabulary.json is not what the model defines: run `make bindings` and commit it"
    );
}
