//! Does a duress unlock take as long as a normal one?
//!
//! Usage: `bench-duress [--rounds N]` (default 12). Makes a vault with the
//! KDF calibrated on this machine and some content, sets a duress
//! passphrase (decoy), then unlocks alternately with the real and the duress
//! passphrase and with a wrong one. Prints each kind's median and spread and
//! compares the difference between the normal and the duress medians with
//! the noise between normal unlocks (their own spread, max - min): the
//! budget is a difference no larger than that noise.
//!
//! Then the commands a suspicious coercer could time inside the decoy
//! (passphrase change, setting and removing a duress passphrase, the
//! attempt limit, a backup), each against the same command in a vault
//! without a duress passphrase, same cost and content, measured the same
//! way.

use std::time::{Duration, Instant};

use temoin_tests::{ms, percentile, report};
use temoin_vault::case::{Case, Testimony};
use temoin_vault::duress::DuressOutcome;
use temoin_vault::{KdfChoice, KdfParams, Passphrase, Vault};

fn main() {
    let mut rounds = 12usize;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--rounds" {
            rounds = args.next().and_then(|n| n.parse().ok()).unwrap_or(rounds);
        }
    }
    let work = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench/duress");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("the bench folder");
    let dir = work.join("vault");
    let real = Passphrase::from("correct horse battery staple");
    let duress = Passphrase::from("grocery list for tuesday");
    // One calibration for both vaults, so that they share a cost.
    let params = KdfParams::calibrate(Duration::from_millis(600)).expect("calibrate");
    let cost = KdfChoice::Exactly(params);
    let fill = |v: &mut Vault| {
        for i in 0..200 {
            let case = v.add(&Case::new(format!("Case {i}"))).expect("case");
            v.add(&Testimony::new(
                case,
                "An account of what happened, some sentences long.",
            ))
            .expect("testimony");
        }
    };
    let mut v = Vault::create(&dir, &real, cost).expect("create");
    fill(&mut v);
    v.set_duress(&real, &duress, DuressOutcome::Decoy)
        .expect("set duress");
    v.lock();
    {
        let mut d = Vault::unlock(&dir, &duress).expect("duress unlock");
        for i in 0..20 {
            d.add(&Case::new(format!("Receipt {i}")))
                .expect("decoy case");
        }
        d.lock();
    }
    // A vault without a duress passphrase, as the decoy claims to be.
    let plain_dir = work.join("plain");
    {
        let mut p = Vault::create(&plain_dir, &duress, cost).expect("create");
        for i in 0..20 {
            p.add(&Case::new(format!("Receipt {i}"))).expect("case");
        }
        p.lock();
    }

    let wrong = Passphrase::from("neither of the two");
    let mut normal = Vec::new();
    let mut under_duress = Vec::new();
    let mut failed = Vec::new();
    let time = |p: &Passphrase| -> Duration {
        let t = Instant::now();
        let r = Vault::unlock(&dir, p);
        let d = t.elapsed();
        if let Ok(v) = r {
            v.lock();
        }
        d
    };
    for _ in 0..rounds {
        normal.push(time(&real));
        under_duress.push(time(&duress));
        failed.push(time(&wrong));
    }
    let spread = |s: &mut Vec<Duration>| -> (Duration, Duration) {
        s.sort();
        (s[0], s[s.len() - 1])
    };
    let (n_min, n_max) = spread(&mut normal);
    let (d_min, d_max) = spread(&mut under_duress);
    let (w_min, w_max) = spread(&mut failed);
    let n_med = percentile(&mut normal, 50.0);
    let d_med = percentile(&mut under_duress, 50.0);
    let w_med = percentile(&mut failed, 50.0);
    println!(
        "normal unlock: median {:.1} ms (min {:.1}, max {:.1}); duress unlock: median {:.1} ms \
         (min {:.1}, max {:.1}); wrong passphrase: median {:.1} ms (min {:.1}, max {:.1}); {rounds} rounds each",
        ms(n_med),
        ms(n_min),
        ms(n_max),
        ms(d_med),
        ms(d_min),
        ms(d_max),
        ms(w_med),
        ms(w_min),
        ms(w_max)
    );
    let noise = n_max - n_min;
    let diff = n_med.abs_diff(d_med);
    report(
        "duress vs normal unlock (median difference)",
        &format!(
            "{:.1} ms, noise between normal unlocks {:.1} ms, ratio {:.2}x",
            ms(diff),
            ms(noise),
            ms(d_med) / ms(n_med)
        ),
        "<= the noise",
        diff <= noise,
    );
    commands_in_the_decoy(&dir, &plain_dir, &duress, cost, rounds);
}

/// Times each command a coercer could run inside the decoy against the
/// same command in a vault without a duress passphrase.
fn commands_in_the_decoy(
    dir: &std::path::Path,
    plain_dir: &std::path::Path,
    pass: &Passphrase,
    cost: KdfChoice,
    rounds: usize,
) {
    let other = Passphrase::from("a passphrase the coercer chose");
    let second = Passphrase::from("another one for the duress");
    type Step = fn(&mut Vault, &Passphrase, &Passphrase, &Passphrase, KdfChoice);
    let commands: [(&str, Step); 4] = [
        ("passphrase changed and changed back", |v, p, o, _, c| {
            v.change_passphrase(p, o, c).expect("change");
            v.change_passphrase(o, p, c).expect("change back");
        }),
        ("duress passphrase set and removed", |v, p, _, s, _| {
            v.set_duress(p, s, DuressOutcome::Decoy).expect("set");
            v.remove_duress(p).expect("remove");
        }),
        ("attempt limit set and removed", |v, _, _, _, _| {
            v.set_attempt_limit(Some(10)).expect("set");
            v.set_attempt_limit(None).expect("remove");
        }),
        ("backup written", |v, _, _, _, _| {
            v.backup(std::io::sink()).expect("backup");
        }),
    ];
    for (name, step) in commands {
        let mut plain = Vec::new();
        let mut decoy = Vec::new();
        for _ in 0..rounds {
            for (folder, out) in [(plain_dir, &mut plain), (dir, &mut decoy)] {
                let mut v = Vault::unlock(folder, pass).expect("unlock");
                let t = Instant::now();
                step(&mut v, pass, &other, &second, cost);
                out.push(t.elapsed());
                v.lock();
            }
        }
        plain.sort();
        let noise = plain[plain.len() - 1] - plain[0];
        let p_med = percentile(&mut plain, 50.0);
        let d_med = percentile(&mut decoy, 50.0);
        let diff = p_med.abs_diff(d_med);
        report(
            &format!("decoy vs plain vault: {name}"),
            &format!(
                "{:.1} vs {:.1} ms, noise {:.1} ms, ratio {:.2}x",
                ms(d_med),
                ms(p_med),
                ms(noise),
                ms(d_med) / ms(p_med)
            ),
            "<= the noise",
            diff <= noise,
        );
    }
}
