//! Does a duress unlock take as long as a normal one?
//!
//! Usage: `bench-duress [--rounds N]` (default 12). Makes a vault with the
//! KDF calibrated on this machine and some content, sets a duress
//! passphrase (decoy), then unlocks alternately with the real and the duress
//! passphrase and with a wrong one. Prints each kind's median and spread and
//! compares the difference between the normal and the duress medians with
//! the noise between normal unlocks (their own spread, max - min): the
//! budget is a difference no larger than that noise.

use std::time::{Duration, Instant};

use temoin_tests::{ms, percentile, report};
use temoin_vault::case::{Case, Testimony};
use temoin_vault::duress::DuressOutcome;
use temoin_vault::{KdfChoice, Passphrase, Vault};

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
    let mut v = Vault::create(&dir, &real, KdfChoice::Calibrated).expect("create");
    for i in 0..200 {
        let case = v.add(&Case::new(format!("Case {i}"))).expect("case");
        v.add(&Testimony::new(
            case,
            "An account of what happened, some sentences long.",
        ))
        .expect("testimony");
    }
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
}
