//! Process hygiene at start: no core dumps and no ptrace by other
//! processes of the same user (`temoin_crypto::hygiene`).

pub fn harden() {
    if temoin_crypto::hygiene::harden_process().is_err() {
        eprintln!("Témoin: could not disable core dumps for this process");
    }
}
