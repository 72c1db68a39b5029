//! Metadata stripping and preview generation over a folder of photos,
//! against the reference tools on the same files in the same run:
//! `exiftool -all=` for stripping and ImageMagick's `mogrify -thumbnail`
//! for previews (one process each over the whole folder, as a person would
//! run them).
//!
//! Usage: `bench-media [--photos N]` (default 200 photos of 4000x3000,
//! about 12 megapixels, each carrying EXIF, GPS and XMP tags).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use temoin_tests::{ms, report};

fn run(cmd: &mut Command) -> Result<Duration, Box<dyn std::error::Error>> {
    let start = Instant::now();
    let out = cmd.output()?;
    if !out.status.success() {
        return Err(format!("{:?} failed: {}", cmd, String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(start.elapsed())
}

fn photos(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .collect();
    v.sort();
    Ok(v)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = temoin_tests::arg("--photos", 200)?;
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let work = root.join("target/bench/media");
    let _ = std::fs::remove_dir_all(&work);
    let src = work.join("photos");
    std::fs::create_dir_all(&src)?;

    // One 12-megapixel photo with noise (so it compresses like a photo),
    // tagged as a phone would, copied `count` times.
    let first = src.join("photo-000.jpg");
    run(Command::new("/usr/bin/convert")
        .args([
            "-size",
            "4000x3000",
            "gradient:navy-orange",
            "-attenuate",
            "0.4",
            "+noise",
            "Gaussian",
            "-quality",
            "90",
        ])
        .arg(&first))?;
    run(Command::new("exiftool")
        .args([
            "-q",
            "-overwrite_original",
            "-GPSLatitude=36.8065",
            "-GPSLongitude=10.1815",
            "-DateTimeOriginal=2024:03:05 14:22:10",
            "-Make=Samsung",
            "-Model=SM-A515F",
            "-XMP:Creator=Some Name",
        ])
        .arg(&first))?;
    for i in 1..count {
        std::fs::copy(&first, src.join(format!("photo-{i:03}.jpg")))?;
    }
    let files = photos(&src)?;
    let size = std::fs::metadata(&first)?.len();
    println!(
        "{} photos of 4000x3000 ({:.1} MB each, EXIF + GPS + XMP)",
        files.len(),
        size as f64 / 1e6
    );

    // Stripping. The photos were made with `fs::copy`, which on Linux may
    // copy inside the file system without the bytes passing through the
    // page cache; reading them all once first puts every phase on the same
    // footing (warm reads). This pass also times the stripping alone.
    let loaded: Vec<Vec<u8>> = files.iter().map(std::fs::read).collect::<Result<_, _>>()?;
    let start = Instant::now();
    for bytes in &loaded {
        std::hint::black_box(temoin_media::redact::strip(bytes)?);
    }
    let ours_strip_cpu = start.elapsed();
    drop(loaded);
    // Each timed phase starts with nothing waiting to be written back
    // (`sync`), so none pays for the dirty pages another left behind.
    let settle = || Command::new("sync").status().map(|_| ());
    // A bare copy of the same files (read + write), the floor for any tool
    // that writes a stripped copy.
    let copy_out = work.join("copied");
    std::fs::create_dir_all(&copy_out)?;
    settle()?;
    let start = Instant::now();
    let (mut c_read, mut c_write) = (Duration::ZERO, Duration::ZERO);
    let mut buf = Vec::new();
    for f in &files {
        let t = Instant::now();
        buf.clear();
        std::io::Read::read_to_end(&mut std::fs::File::open(f)?, &mut buf)?;
        c_read += t.elapsed();
        let t = Instant::now();
        std::fs::write(copy_out.join(f.file_name().ok_or("name")?), &buf)?;
        c_write += t.elapsed();
    }
    let bare_copy = start.elapsed();
    println!(
        "bare read + write: reading {:.0} ms, writing {:.0} ms",
        ms(c_read),
        ms(c_write)
    );
    let ours_out = work.join("stripped-ours");
    std::fs::create_dir_all(&ours_out)?;
    settle()?;
    let start = Instant::now();
    let (mut t_read, mut t_strip, mut t_write) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    // One read buffer for every file, as a batch tool would: allocating
    // and faulting in a fresh 5 MB buffer per photo cost more than the
    // stripping itself.
    let mut bytes = Vec::new();
    for f in &files {
        let t = Instant::now();
        bytes.clear();
        std::io::Read::read_to_end(&mut std::fs::File::open(f)?, &mut bytes)?;
        t_read += t.elapsed();
        let t = Instant::now();
        let (clean, _) = temoin_media::redact::strip(&bytes)?;
        t_strip += t.elapsed();
        let t = Instant::now();
        std::fs::write(ours_out.join(f.file_name().ok_or("name")?), clean)?;
        t_write += t.elapsed();
    }
    let ours_strip = start.elapsed();
    println!(
        "ours: reading {:.0} ms, stripping {:.0} ms, writing {:.0} ms",
        ms(t_read),
        ms(t_strip),
        ms(t_write)
    );
    let ref_out = work.join("stripped-exiftool");
    std::fs::create_dir_all(&ref_out)?;
    let mut cmd = Command::new("exiftool");
    cmd.args(["-q", "-all=", "-o"])
        .arg(format!("{}/", ref_out.display()));
    cmd.args(&files);
    settle()?;
    let exiftool_strip = run(&mut cmd)?;
    println!(
        "strip: ours {:.0} ms ({:.0} ms of it stripping in memory), exiftool -all= {:.0} ms; \
         a bare read + write of the same files {:.0} ms",
        ms(ours_strip),
        ms(ours_strip_cpu),
        ms(exiftool_strip),
        ms(bare_copy)
    );
    println!(
        "strip: the most any tool that writes these files could reach is {:.1}x \
         (exiftool's time over the bare read + write); in memory ours is {:.1}x exiftool",
        exiftool_strip.as_secs_f64() / bare_copy.as_secs_f64(),
        exiftool_strip.as_secs_f64() / ours_strip_cpu.as_secs_f64()
    );
    let ratio = exiftool_strip.as_secs_f64() / ours_strip.as_secs_f64();
    report(
        "metadata strip, speed vs exiftool -all=",
        &format!("{ratio:.1}x faster"),
        ">= 5x",
        ratio >= 5.0,
    );

    // Previews.
    let thumbs_ours = work.join("thumbs-ours");
    std::fs::create_dir_all(&thumbs_ours)?;
    let start = Instant::now();
    for f in &files {
        let bytes = std::fs::read(f)?;
        let thumb = temoin_media::redact::thumbnail(&bytes, 320)?;
        std::fs::write(thumbs_ours.join(f.file_name().ok_or("name")?), thumb)?;
    }
    let ours_thumb = start.elapsed();
    let thumbs_ref = work.join("thumbs-magick");
    std::fs::create_dir_all(&thumbs_ref)?;
    let mut cmd = Command::new("/usr/bin/mogrify");
    cmd.arg("-path")
        .arg(&thumbs_ref)
        .args(["-thumbnail", "320x320"]);
    cmd.args(&files);
    let magick_thumb = run(&mut cmd)?;
    println!(
        "previews: ours {:.0} ms, mogrify -thumbnail {:.0} ms",
        ms(ours_thumb),
        ms(magick_thumb)
    );
    let ratio = magick_thumb.as_secs_f64() / ours_thumb.as_secs_f64();
    report(
        "preview generation, speed vs ImageMagick",
        &format!("{ratio:.2}x"),
        ">= 1.0x",
        ratio >= 1.0,
    );
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}
