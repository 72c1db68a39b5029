//! `docs/test-vectors/desk-ack/v1.json`: a desk acknowledgement as a device
//! receives it (the signed document, the desk's public key, and the bundle
//! it is about), for anyone writing another reader. The test verifies it as
//! a device does, and that a changed byte is refused. `TEMOIN_WRITE_VECTORS=1`
//! makes a new one (a new key: the signature is not reproducible).
#![allow(clippy::unwrap_used)]

use temoin_crypto::sign::{DeviceKey, SigningPurpose};
use temoin_proto::ack::{DeskAck, Verdict, DESK_ACK_V1};
use temoin_proto::SignedList;
use temoin_sync::client::verify_ack;

const PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../docs/test-vectors/desk-ack/v1.json"
);

#[test]
fn the_documented_acknowledgement_verifies_and_a_changed_one_does_not() {
    if std::env::var_os("TEMOIN_WRITE_VECTORS").is_some() {
        let desk = DeviceKey::generate();
        let ack = DeskAck {
            v: DESK_ACK_V1.into(),
            bundle_id: "3f1c2a9e-5b7d-4e21-9c3a-0d6f8e7b1a24".into(),
            device_key_id: "B92B32507F877503".into(),
            sha256: "9a0364b9e99bb480dd25e1f0284c8555f6c1b8a1b3b0a1c1e6e4b1f2a3c4d5e6".into(),
            manifest_sha256: "1fab1758b120050fb6ba6585516976584cc27cbd50e4077afed17031abdae77e"
                .into(),
            verdict: Verdict::Accepted,
            reasons: vec![],
            acknowledged_at: "2026-12-03T10:30:00Z".into(),
        };
        let list = serde_json::to_string(&ack).unwrap();
        let signed = SignedList {
            signature: desk.sign(SigningPurpose::DeskAck, list.as_bytes()),
            list,
        };
        let vector = serde_json::json!({
            "desk_key": desk.public().to_minisign_base64(),
            "acknowledgement": signed,
        });
        std::fs::create_dir_all(std::path::Path::new(PATH).parent().unwrap()).unwrap();
        std::fs::write(PATH, serde_json::to_string_pretty(&vector).unwrap() + "\n").unwrap();
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(PATH).unwrap()).unwrap();
    let key = doc["desk_key"].as_str().unwrap();
    let signed: SignedList = serde_json::from_value(doc["acknowledgement"].clone()).unwrap();
    let ack: DeskAck = serde_json::from_str(&signed.list).unwrap();
    let ok = verify_ack(
        &signed,
        key,
        &ack.bundle_id,
        &ack.sha256,
        Some(&ack.manifest_sha256),
    )
    .unwrap();
    assert_eq!(ok.verdict, Verdict::Accepted);
    // One character of the document changed: the signature fails.
    let mut changed = signed.clone();
    changed.list = changed.list.replace("accepted", "flagged!");
    assert!(verify_ack(&changed, key, &ack.bundle_id, &ack.sha256, None).is_err());
    // About another bundle: refused.
    assert!(verify_ack(&signed, key, "another", &ack.sha256, None).is_err());
}
