//! Evidence intake of images and media: capture metadata, previews, working
//! copies, and hostile files. Fixtures are made in the test with ImageMagick
//! (`/usr/bin/convert`) and tagged with `exiftool`, both from Debian
//! (`imagemagick`, `libimage-exiftool-perl`; `make test` installs them).

#![allow(clippy::unwrap_used)]

mod common;
use common::open_sled;

use std::path::Path;
use std::process::Command;

use temoin_media::redact::{Cover, MediaError, Operation, Region};
use temoin_vault::case::{Case, Evidence};
use temoin_vault::{IngestError, ItemId, KdfChoice, Passphrase, Vault, VaultError};

fn tool(name: &str) -> Command {
    let path = if name == "convert" {
        "/usr/bin/convert"
    } else {
        name
    };
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {path}"))
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(found, "`{path}` is not installed; `make test` installs it");
    Command::new(path)
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A photo carrying GPS, time and device tags, as a phone would write.
fn tagged_photo(dir: &Path, name: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    run(tool("convert")
        .args(["-size", "320x240", "plasma:fractal", "-seed", "7"])
        .arg(&path));
    run(tool("exiftool")
        .args([
            "-q",
            "-overwrite_original",
            "-GPSLatitude=36.8065",
            "-GPSLatitudeRef=N",
            "-GPSLongitude=10.1815",
            "-GPSLongitudeRef=E",
            "-DateTimeOriginal=2024:03:05 14:22:10",
            "-Make=Samsung",
            "-Model=SM-A515F",
            "-Software=Camera",
            "-XMP:Creator=Some Name",
            "-Comment=a comment",
        ])
        .arg(&path));
    path
}

fn vault(dir: &Path) -> (Vault, ItemId) {
    let mut v = Vault::create(&dir.join("v"), &Passphrase::from("p"), KdfChoice::Minimum).unwrap();
    let case = v.add(&Case::new("c")).unwrap();
    (v, case)
}

fn ingest(v: &mut Vault, case: ItemId, path: &Path) -> ItemId {
    v.ingest_file(case, path, &mut |_| {}).unwrap().id
}

fn export(v: &mut Vault, id: ItemId, path: &Path) -> Vec<u8> {
    v.export_original(id, path).unwrap();
    std::fs::read(path).unwrap()
}

fn pixels(bytes: &[u8]) -> image::RgbaImage {
    temoin_media::redact::decode_limited(bytes)
        .unwrap()
        .to_rgba8()
}

/// What exiftool finds of the groups that can locate or identify.
fn identifying_tags(path: &Path) -> String {
    run(tool("exiftool")
        .args([
            "-s",
            "-G",
            "-EXIF:all",
            "-GPS:all",
            "-XMP:all",
            "-IPTC:all",
            "-File:Comment",
            "-PNG:all",
        ])
        .arg(path))
}

#[test]
fn capture_metadata_is_read_and_the_original_kept_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let photo = tagged_photo(dir.path(), "photo.jpg");
    let original = std::fs::read(&photo).unwrap();
    let (mut v, case) = vault(dir.path());
    let id = ingest(&mut v, case, &photo);
    let e = v.require::<Evidence>(id).unwrap().record;
    assert_eq!(e.media_type, "image/jpeg");
    let c = e.capture.unwrap();
    assert_eq!(c.taken_at.as_deref(), Some("2024:03:05 14:22:10"));
    let gps = c.gps.unwrap();
    assert!((gps.latitude - 36.8065).abs() < 1e-4, "{gps:?}");
    assert!((gps.longitude - 10.1815).abs() < 1e-4, "{gps:?}");
    assert_eq!(c.make.as_deref(), Some("Samsung"));
    assert_eq!(c.model.as_deref(), Some("SM-A515F"));
    assert_eq!(c.software.as_deref(), Some("Camera"));
    assert_eq!((c.width, c.height), (Some(320), Some(240)));
    assert!(c.has_xmp);
    // A sealed preview exists and is a small image.
    let preview = v.preview(id).unwrap().unwrap();
    let p = pixels(&preview);
    assert!(p.width() <= 320 && p.height() <= 320);
    assert_eq!(export(&mut v, id, &dir.path().join("out.jpg")), original);
}

#[test]
fn stripping_leaves_no_metadata_and_the_same_pixels() {
    let dir = tempfile::tempdir().unwrap();
    let jpeg = tagged_photo(dir.path(), "photo.jpg");
    let png = dir.path().join("photo.png");
    run(tool("convert").arg(&jpeg).arg(&png));
    run(tool("exiftool")
        .args([
            "-q",
            "-overwrite_original",
            "-GPSLatitude=36.8",
            "-GPSLongitude=10.1",
            "-PNG:Comment=a comment",
            "-XMP:Creator=Some Name",
        ])
        .arg(&png));
    assert!(
        identifying_tags(&png).contains("GPS"),
        "the fixture must carry GPS"
    );
    let (mut v, case) = vault(dir.path());
    for (name, path) in [("copy.jpg", &jpeg), ("copy.png", &png)] {
        assert!(identifying_tags(path).contains("GPSLatitude"));
        let id = ingest(&mut v, case, path);
        let copy = v.redact(id, true, &[]).unwrap();
        let d = copy.record.derived_from.clone().unwrap();
        assert_eq!(d.original, id);
        assert_eq!(d.operations, vec![Operation::StripMetadata]);
        let out = dir.path().join(name);
        let bytes = export(&mut v, copy.id, &out);
        let found = identifying_tags(&out);
        assert!(!found.contains("GPS"), "{name}: {found}");
        assert!(!found.contains("[EXIF]"), "{name}: {found}");
        assert!(!found.contains("[XMP]"), "{name}: {found}");
        assert!(!found.contains("Comment"), "{name}: {found}");
        assert_eq!(
            pixels(&bytes),
            pixels(&std::fs::read(path).unwrap()),
            "{name}"
        );
        // The custody entry of the copy carries both hashes.
        let entry = v
            .custody()
            .unwrap()
            .into_iter()
            .find(|e| e.body.item == Some(copy.id))
            .unwrap();
        assert_eq!(
            entry.body.sha256.as_deref(),
            Some(copy.record.sha256.as_str())
        );
        assert_eq!(entry.body.source, Some(id));
        assert_eq!(entry.body.source_sha256, Some(d.original_sha256));
    }
}

#[test]
fn black_boxes_change_the_regions_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let photo = tagged_photo(dir.path(), "photo.jpg");
    let original = std::fs::read(&photo).unwrap();
    let (mut v, case) = vault(dir.path());
    let id = ingest(&mut v, case, &photo);
    let regions = [
        Region {
            x: 10,
            y: 20,
            w: 50,
            h: 30,
        },
        Region {
            x: 200,
            y: 100,
            w: 40,
            h: 40,
        },
    ];
    let copy = v.redact(id, false, &regions).unwrap();
    assert_eq!(copy.record.media_type, "image/png");
    let out = dir.path().join("boxed.png");
    let after = pixels(&export(&mut v, copy.id, &out));
    let before = pixels(&original);
    let inside = |x: u32, y: u32| {
        regions
            .iter()
            .any(|r| x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h)
    };
    let mut changed_inside = 0;
    for (x, y, p) in after.enumerate_pixels() {
        if inside(x, y) {
            assert_eq!(p.0, [0, 0, 0, 255]);
            changed_inside += usize::from(before.get_pixel(x, y).0 != [0, 0, 0, 255]);
        } else {
            assert_eq!(
                p,
                before.get_pixel(x, y),
                "pixel ({x},{y}) outside the regions changed"
            );
        }
    }
    assert!(changed_inside > 0);
    assert!(!identifying_tags(&out).contains("GPS"));
    // A region outside the image is refused clearly, and stores nothing.
    let n = v.item_count();
    let err = v
        .redact(
            id,
            false,
            &[Region {
                x: 300,
                y: 0,
                w: 50,
                h: 10,
            }],
        )
        .unwrap_err();
    assert!(err.to_string().contains("outside the image"), "{err}");
    assert_eq!(v.item_count(), n);
}

#[test]
fn blurred_regions_lose_their_detail_and_nothing_else_changes() {
    let dir = tempfile::tempdir().unwrap();
    let photo = tagged_photo(dir.path(), "photo.jpg");
    let original = std::fs::read(&photo).unwrap();
    let (mut v, case) = vault(dir.path());
    let id = ingest(&mut v, case, &photo);
    let r = Region {
        x: 40,
        y: 30,
        w: 120,
        h: 90,
    };
    let copy = v.redact_with(id, false, &[r], Cover::Blur).unwrap();
    assert!(matches!(
        copy.record.derived_from.as_ref().unwrap().operations[0],
        Operation::Blur { .. }
    ));
    let out = dir.path().join("blurred.png");
    let after = pixels(&export(&mut v, copy.id, &out));
    let before = pixels(&original);
    let (mut inside, mut changed) = (0, 0);
    for (x, y, p) in after.enumerate_pixels() {
        if x >= r.x && x < r.x + r.w && y >= r.y && y < r.y + r.h {
            inside += 1;
            changed += usize::from(p != before.get_pixel(x, y));
        } else {
            assert_eq!(p, before.get_pixel(x, y), "pixel ({x},{y}) outside changed");
        }
    }
    assert!(changed * 10 > inside * 9, "{changed} of {inside} changed");
    // The fractal's fine detail is gone: neighbouring pixels inside the
    // region differ far less than they did.
    let roughness = |img: &image::RgbaImage| -> u64 {
        let mut total = 0u64;
        for y in r.y..r.y + r.h {
            for x in r.x..r.x + r.w - 1 {
                let (a, b) = (img.get_pixel(x, y).0, img.get_pixel(x + 1, y).0);
                total += (0..3).map(|c| u64::from(a[c].abs_diff(b[c]))).sum::<u64>();
            }
        }
        total
    };
    assert!(
        roughness(&after) * 5 < roughness(&before),
        "{} vs {}",
        roughness(&after),
        roughness(&before)
    );
    assert!(!identifying_tags(&out).contains("GPS"));
}

#[test]
fn a_turned_photo_gives_an_upright_preview_and_blacked_out_copy() {
    let dir = tempfile::tempdir().unwrap();
    let photo = tagged_photo(dir.path(), "photo.jpg");
    // Stored 320x240, shown turned a quarter clockwise (as phones write).
    run(tool("exiftool")
        .args(["-q", "-overwrite_original", "-Orientation#=6"])
        .arg(&photo));
    let (mut v, case) = vault(dir.path());
    let id = ingest(&mut v, case, &photo);
    let e = v.require::<Evidence>(id).unwrap().record;
    assert_eq!(e.capture.unwrap().orientation, Some(6));
    let preview = v.preview(id).unwrap().unwrap();
    let preview = image::load_from_memory(&preview).unwrap();
    assert_eq!((preview.width(), preview.height()), (240, 320));
    // The region is given in stored pixels: top-left corner of the file.
    let r = Region {
        x: 0,
        y: 0,
        w: 20,
        h: 10,
    };
    let copy = v.redact(id, false, &[r]).unwrap();
    let out = pixels(&export(&mut v, copy.id, &dir.path().join("copy.png")));
    assert_eq!(out.dimensions(), (240, 320));
    // Turned clockwise, the stored top-left corner is now the top-right.
    assert_eq!(out.get_pixel(239, 0).0, [0, 0, 0, 255]);
    assert_eq!(out.get_pixel(230, 19).0, [0, 0, 0, 255]);
    assert_ne!(out.get_pixel(0, 0).0, [0, 0, 0, 255]);
}

#[test]
fn originals_stay_byte_identical_after_any_number_of_redactions() {
    let dir = tempfile::tempdir().unwrap();
    let photo = tagged_photo(dir.path(), "photo.jpg");
    let (mut v, case) = vault(dir.path());
    let id = ingest(&mut v, case, &photo);
    for i in 0..3 {
        v.redact(id, true, &[]).unwrap();
        v.redact(
            id,
            true,
            &[Region {
                x: i,
                y: i,
                w: 5,
                h: 5,
            }],
        )
        .unwrap();
    }
    let out = dir.path().join("original.jpg");
    v.export_original(id, &out).unwrap();
    let sums = run(tool("sha256sum").arg(&photo).arg(&out));
    let hashes: Vec<&str> = sums.lines().map(|l| &l[..64]).collect();
    assert_eq!(hashes[0], hashes[1]);
    assert_eq!(hashes[0], v.require::<Evidence>(id).unwrap().record.sha256);
    assert!(v.verify().unwrap().is_ok());
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    c.extend_from_slice(kind);
    c.extend_from_slice(data);
    let crc = crc32(&c[4..]);
    c.extend_from_slice(&crc.to_be_bytes());
    c
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    c ^ 0xffff_ffff
}

/// Hostile and odd files: each is stored (as an opaque file where nothing
/// else is possible) or refused with a clear error; working copies of them
/// fail clearly; the vault is unaffected.
#[test]
fn hostile_files_get_clear_errors_and_leave_the_vault_intact() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, case) = vault(dir.path());
    let good = ingest(&mut v, case, &tagged_photo(dir.path(), "good.jpg"));

    // A PNG whose header claims 100,000 x 100,000 pixels.
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    bomb.extend(png_chunk(b"IHDR", &ihdr));
    bomb.extend(png_chunk(
        b"IDAT",
        &miniz_oxide::deflate::compress_to_vec_zlib(&[0; 4096], 9),
    ));
    bomb.extend(png_chunk(b"IEND", &[]));

    // A text chunk that inflates to 256 MiB (never inflated by us).
    let zeros = vec![0u8; 256 * 1024 * 1024];
    let mut ztxt = b"Comment\0\0".to_vec();
    ztxt.extend(miniz_oxide::deflate::compress_to_vec_zlib(&zeros, 6));
    drop(zeros);
    let small = {
        let img = image::RgbImage::from_pixel(8, 8, image::Rgb([1, 2, 3]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img)
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
        out.into_inner()
    };
    let mut text_bomb = small[..33].to_vec();
    text_bomb.extend(png_chunk(b"zTXt", &ztxt));
    text_bomb.extend_from_slice(&small[33..]);

    // EXIF whose IFD points back at itself, and one with an offset far past
    // the end.
    let looping_exif = {
        let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
        tiff.extend_from_slice(&[0, 1]); // one entry
        tiff.extend_from_slice(&[0x87, 0x69, 0, 4, 0, 0, 0, 1, 0, 0, 0, 8]); // Exif IFD -> 8
        tiff.extend_from_slice(&[0, 0, 0, 8]); // next IFD -> 8
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(tiff);
        let jpeg = std::fs::read(tagged_photo(dir.path(), "loop.jpg")).unwrap();
        let stripped = temoin_media::redact::strip_jpeg(&jpeg).unwrap();
        let mut out = stripped[..2].to_vec();
        out.extend_from_slice(&[0xff, 0xe1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend(app1);
        out.extend_from_slice(&stripped[2..]);
        out
    };
    let huge_offset_exif = {
        let mut x = looping_exif.clone();
        // Point the Exif IFD at 0x7fffffff.
        let at = memchr::memmem::find(&x, &[0x87, 0x69]).unwrap();
        x[at + 8..at + 12].copy_from_slice(&[0x7f, 0xff, 0xff, 0xff]);
        x
    };
    let full = std::fs::read(tagged_photo(dir.path(), "cut.jpg")).unwrap();
    let cut = full[..full.len() / 2].to_vec();
    let fake_jpg = b"%PDF-1.7\n1 0 obj << >> endobj\n".to_vec();

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("bomb.png", bomb, "image/png"),
        ("text-bomb.png", text_bomb, "image/png"),
        ("looping.jpg", looping_exif, "image/jpeg"),
        ("huge-offset.jpg", huge_offset_exif, "image/jpeg"),
        ("cut.jpg", cut, "image/jpeg"),
        ("not-a-photo.jpg", fake_jpg, "application/pdf"),
        ("empty.jpg", Vec::new(), "application/octet-stream"),
    ];
    for (name, bytes, media_type) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let stored = v.ingest_file(case, &path, &mut |_| {}).unwrap();
        assert_eq!(stored.record.media_type, media_type, "{name}");
        assert_eq!(stored.record.size, bytes.len() as u64, "{name}");
        let items = v.item_count();
        let stripped = v.redact(stored.id, true, &[]);
        let boxed = v.redact(
            stored.id,
            true,
            &[Region {
                x: 0,
                y: 0,
                w: 1,
                h: 1,
            }],
        );
        match name {
            "bomb.png" => {
                // Stripping needs no decode, so it works; boxes need the
                // pixels and are refused by the limits.
                assert!(stripped.is_ok(), "{name}: {stripped:?}");
                assert!(
                    matches!(boxed, Err(IngestError::Media(MediaError::TooLarge))),
                    "{name}: {boxed:?}"
                );
            }
            "cut.jpg" => {
                let err = stripped.unwrap_err();
                assert_eq!(
                    err.to_string(),
                    "the image is damaged or truncated (the JPEG is truncated)"
                );
                // The decoder fills in what is missing; a boxed copy of what
                // is there may be made, or refused, but never crashes.
                let _ = boxed;
            }
            "not-a-photo.jpg" | "empty.jpg" => {
                for result in [stripped.map(|_| ()), boxed.map(|_| ())] {
                    let err = result.unwrap_err();
                    assert!(matches!(err, IngestError::Media(_)), "{name}: {err:?}");
                    assert_eq!(v.item_count(), items, "{name}");
                }
            }
            // The others decode: their working copies carry nothing over.
            _ => {
                stripped.unwrap();
                let copy = boxed.unwrap();
                let out = dir.path().join(format!("copy-{name}.png"));
                let copied = export(&mut v, copy.id, &out);
                assert!(
                    memchr::memmem::find(&copied, b"Comment").is_none(),
                    "{name}"
                );
            }
        }
        // Export of the original stays exact.
        let out = dir.path().join(format!("orig-{name}"));
        assert_eq!(export(&mut v, stored.id, &out), bytes, "{name}");
    }
    // Metadata of the hostile EXIF was not trusted.
    v.require::<Evidence>(good).unwrap();
    assert!(v.verify().unwrap().is_ok());
}

#[test]
fn other_media_are_typed_from_their_bytes_and_kept_as_received() {
    let dir = tempfile::tempdir().unwrap();
    let (mut v, case) = vault(dir.path());
    let samples: Vec<(&str, Vec<u8>, &str)> = vec![
        ("a.bin", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec(), "application/pdf"),
        ("b.bin", [b"RIFF\x24\0\0\0WAVEfmt ".as_slice(), &[0u8; 40]].concat(), "audio/x-wav"),
        ("c.bin", [b"OggS\0\x02".as_slice(), &[0u8; 60]].concat(), "audio/ogg"),
        ("d.bin", [b"ID3\x03\0\0\0\0\0\0".as_slice(), &[0u8; 60]].concat(), "audio/mpeg"),
        ("e.bin", [b"\0\0\0\x18ftypmp42".as_slice(), &[0u8; 60]].concat(), "video/mp4"),
        ("f.bin", [b"\0\0\0\x14ftypqt  ".as_slice(), &[0u8; 60]].concat(), "video/quicktime"),
        ("g.bin", [b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm".as_slice(), &[0u8; 40]].concat(), "video/webm"),
        ("h.bin", [b"\0\0\0\x20ftypM4A ".as_slice(), &[0u8; 60]].concat(), "audio/m4a"),
        ("i.bin", b"\x00\x01\x02\x03 unknown".to_vec(), "application/octet-stream"),
    ];
    for (name, bytes, expected) in samples {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let e = v.ingest_file(case, &path, &mut |_| {}).unwrap();
        assert_eq!(e.record.media_type, expected, "{name}");
        // Headers alone: typed, but no facts to read.
        let capture = e.record.capture.unwrap_or_default();
        assert_eq!(capture.duration_seconds, None, "{name}");
        assert_eq!(capture.pages, None, "{name}");
        assert_eq!(
            export(&mut v, e.id, &dir.path().join(format!("out-{name}"))),
            bytes
        );
    }
}

/// Files written by ffmpeg and Ghostscript (`scripts/make-media-fixtures.sh`):
/// two seconds of a 64×48 test pattern and a 22,050 Hz tone, and a
/// three-page PDF, each with known metadata.
#[test]
fn real_audio_video_and_pdf_give_their_basic_facts() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let dir = tempfile::tempdir().unwrap();
    let (mut v, case) = vault(dir.path());
    // name, media type, has picture, has sound
    let cases = [
        ("clip.mp4", "video/mp4", true, true),
        ("clip.mov", "video/quicktime", true, true),
        ("clip.webm", "video/webm", true, true),
        ("voice.m4a", "audio/m4a", false, true),
        ("voice.mp3", "audio/mpeg", false, true),
        ("voice.ogg", "audio/ogg", false, true),
        ("voice.wav", "audio/x-wav", false, true),
    ];
    for (name, media_type, picture, sound) in cases {
        let path = fixtures.join(name);
        let original = std::fs::read(&path).unwrap();
        let e = v.ingest_file(case, &path, &mut |_| {}).unwrap();
        assert_eq!(e.record.media_type, media_type, "{name}");
        let c = e.record.capture.clone().unwrap();
        assert_eq!(c.problem, None, "{name}");
        assert!(c.format.is_some(), "{name}");
        let seconds = c
            .duration_seconds
            .unwrap_or_else(|| panic!("{name}: no duration"));
        assert!((1.8..=2.2).contains(&seconds), "{name}: {seconds}");
        if picture {
            assert_eq!((c.width, c.height), (Some(64), Some(48)), "{name}");
        }
        if sound {
            assert_eq!(c.sample_rate, Some(22050), "{name}");
            assert_eq!(c.channels, Some(1), "{name}");
        }
        // Reading facts never changes what is kept.
        assert_eq!(
            export(&mut v, e.id, &dir.path().join(format!("out-{name}"))),
            original,
            "{name}"
        );
    }
    let e = v
        .ingest_file(case, &fixtures.join("statement.pdf"), &mut |_| {})
        .unwrap();
    assert_eq!(e.record.media_type, "application/pdf");
    let c = e.record.capture.unwrap();
    assert_eq!(c.problem, None);
    assert_eq!(c.pages, Some(3));
    assert_eq!(c.author.as_deref(), Some("Fixture author"));
    assert_eq!(c.title.as_deref(), Some("Fixture statement"));
    assert_eq!(c.taken_at.as_deref(), Some("D:20240305142210Z"));
    assert!(c.software.unwrap().starts_with("Fixture writer"));
    assert!(v.verify().unwrap().is_ok());
}

#[test]
fn a_damaged_preview_is_reported_and_the_original_still_reads() {
    let dir = tempfile::tempdir().unwrap();
    let photo = tagged_photo(dir.path(), "photo.jpg");
    let vdir = dir.path().join("v");
    let (mut v, case) = vault(dir.path());
    let id = ingest(&mut v, case, &photo);
    drop(v);
    let db = open_sled(&vdir.join("records"));
    let mut k = vec![b'p'];
    k.extend_from_slice(id.as_bytes());
    let mut sealed = db.get(&k).unwrap().unwrap().to_vec();
    sealed[30] ^= 1;
    db.insert(&k, sealed).unwrap();
    db.flush().unwrap();
    drop(db);
    let mut v = Vault::unlock(&vdir, &Passphrase::from("p")).unwrap();
    assert!(matches!(v.preview(id), Err(VaultError::Damaged { .. })));
    let report = v.verify().unwrap();
    assert_eq!(
        report.problems,
        vec![temoin_vault::verify::Problem::PreviewDamaged { id }]
    );
    assert_eq!(
        export(&mut v, id, &dir.path().join("out.jpg")),
        std::fs::read(&photo).unwrap()
    );
}
