//! Fuzzes the parsing of minisign public keys and signatures (both can
//! arrive from outside: an enrollment, a bundle).
#![no_main]

use temoin_crypto::sign::{DeviceKey, DevicePublicKey, SigningPurpose};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = DevicePublicKey::from_minisign(text);
    thread_local! {
        static KEY: DevicePublicKey = DeviceKey::generate().public();
    }
    KEY.with(|k| {
        let _ = k.verify(SigningPurpose::CustodyEntry, b"message", text);
    });
});
