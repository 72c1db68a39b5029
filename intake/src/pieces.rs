//! An upload's bytes into its file, in pieces written on a blocking thread
//! while the next piece is gathered, past the page cache where it can.
//!
//! Why past the page cache (O_DIRECT): a buffered write copies every byte
//! into pages the kernel must first find, and on a virtual machine whose
//! host takes free memory back (virtio-balloon's free page reporting, as
//! on the machine `bench-upload` runs on), each page it hands out for the
//! first time since is faulted in by the host. perf of a 1 GiB PATCH found
//! that copy (`copy_folio_from_iter_atomic`) taking from 0.3 s to over 5 s
//! from one run to the next, and a bare sink taking 0.9 to 4.2 s. Written
//! from the same two buffers over and over, the bytes go to the disk
//! without that copy. The server reads an upload back once at most (to
//! hash it, only when it restarted or a PATCH failed half-way), and the
//! desk's fetch once, so it loses nothing by leaving them out of the
//! cache. With this writer, curl's 1 GiB PATCH into the intake took 1.3
//! to 1.8 s in every run of three invocations, against 1.6 to 3.2 s
//! before (`bench-upload`).
//!
//! O_DIRECT needs the file offset, the length and the buffer's address to
//! be multiples of the device's block: pieces end at multiples of
//! [`PIECE`] in the file, so that only a PATCH's first piece (from
//! wherever the upload stood) and its last (whatever is left) can be
//! unaligned, and go through the page cache when they are. Where the file
//! system refuses O_DIRECT (at the open, or at the first write: tmpfs
//! before Linux 6.6, some FUSE file systems), every piece goes through the
//! page cache, its writeback started as it goes ([`write_behind`]).
//!
//! Hand-written because no crate we found does this for a file written
//! from async code; the one system call needed beyond std is the open flag,
//! from rustix.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The size of a piece, and the multiple of the file offset at which each
/// piece after the first begins.
const PIECE: usize = 1024 * 1024;

/// What O_DIRECT needs offsets, lengths and addresses to be multiples of:
/// the logical block of any disk in use (512 or 4096 bytes).
const ALIGN: usize = 4096;

/// A piece's bytes, starting at an address that is a multiple of ALIGN.
struct Buffer {
    bytes: Vec<u8>,
    /// Where in `bytes` the aligned piece starts.
    start: usize,
    /// How many bytes it can hold.
    cap: usize,
    /// How many bytes of the piece are filled.
    len: usize,
}

impl Buffer {
    fn new(cap: usize) -> Self {
        let bytes = vec![0u8; cap + ALIGN];
        let start = bytes.as_ptr().align_offset(ALIGN).min(ALIGN);
        Buffer {
            bytes,
            start,
            cap,
            len: 0,
        }
    }

    fn filled(&self) -> &[u8] {
        &self.bytes[self.start..self.start + self.len]
    }
}

/// The file, and where the writing stands, between two pieces.
struct Place {
    /// The file, opened for buffered writes.
    file: File,
    /// The same file opened with O_DIRECT, while it takes it.
    direct: Option<File>,
    /// Where the next piece goes.
    at: u64,
    /// Where the buffered piece before the last began: see [`write_behind`].
    behind: u64,
    /// How many bytes went past the page cache.
    direct_bytes: u64,
    /// A failure to play instead of a direct write, for the tests.
    #[cfg(test)]
    fail: Option<(u64, Fail)>,
}

/// A failure a test plays, once `.0` bytes went past the page cache.
#[cfg(test)]
#[derive(Clone, Copy)]
enum Fail {
    /// The direct write refused (EINVAL).
    Refused,
    /// Half the piece written past the cache, then EINVAL.
    HalfThenRefused,
    /// The disk fails.
    Broken,
}

impl Place {
    /// Writes `piece` at `self.at`, past the page cache if it is aligned
    /// and the file takes it.
    fn put(&mut self, piece: &[u8]) -> io::Result<()> {
        let aligned = self.at.is_multiple_of(ALIGN as u64) && piece.len().is_multiple_of(ALIGN);
        if let (true, Some(direct)) = (aligned, self.direct.as_ref()) {
            #[cfg(test)]
            let wrote = match self.fail {
                Some((after, how)) if after == self.direct_bytes => {
                    let invalid = io::Error::from(io::ErrorKind::InvalidInput);
                    match how {
                        Fail::Refused => Err(invalid),
                        Fail::HalfThenRefused => direct
                            .write_all_at(&piece[..piece.len() / 2 / ALIGN * ALIGN], self.at)
                            .and(Err(invalid)),
                        Fail::Broken => Err(io::Error::other("the disk failed")),
                    }
                }
                _ => direct.write_all_at(piece, self.at),
            };
            #[cfg(not(test))]
            let wrote = direct.write_all_at(piece, self.at);
            match wrote {
                Ok(()) => {
                    self.at += piece.len() as u64;
                    self.behind = self.at;
                    self.direct_bytes += piece.len() as u64;
                    return Ok(());
                }
                // The file system opened the file with O_DIRECT but does
                // not write that way (EINVAL): the page cache from now on.
                Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                    self.direct = None;
                }
                Err(e) => return Err(e),
            }
        }
        self.file.write_all_at(piece, self.at)?;
        let start = self.at;
        self.at += piece.len() as u64;
        write_behind(&self.file, self.behind, self.at);
        self.behind = start;
        Ok(())
    }
}

/// Writes bytes given in any sizes to a file from `offset` on: each piece
/// on a blocking thread while the next is gathered, so that no thread is
/// held while the network is awaited.
pub struct PieceWriter {
    /// The piece being gathered, once a byte came.
    gathering: Option<Buffer>,
    /// A buffer back from the writing thread, for the next piece.
    spare: Option<Buffer>,
    /// Where the piece being gathered begins in the file.
    piece_at: u64,
    /// How many more bytes the writer may be given.
    left: u64,
    state: State,
}

impl std::fmt::Debug for PieceWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PieceWriter")
            .field("piece_at", &self.piece_at)
            .field("left", &self.left)
            .finish_non_exhaustive()
    }
}

enum State {
    /// No write in flight.
    Idle(Box<Place>),
    /// A piece being written on a blocking thread.
    Busy(tokio::task::JoinHandle<io::Result<(Box<Place>, Buffer)>>),
    /// A write failed.
    Failed(io::Error),
}

impl PieceWriter {
    /// Opens `path` (which must exist) to write at most `limit` bytes from
    /// `offset` on, after cutting it there. Blocking: call it on a
    /// blocking thread. No buffer is taken before the first byte comes,
    /// and none larger than what is left to come, so that a PATCH that
    /// brings little holds little.
    pub fn open(path: &Path, offset: u64, limit: u64) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new().write(true).open(path)?;
        file.set_len(offset)?;
        let direct = open_direct(path);
        Ok(PieceWriter {
            gathering: None,
            spare: None,
            piece_at: offset,
            left: limit,
            state: State::Idle(Box::new(Place {
                file,
                direct,
                at: offset,
                behind: offset,
                direct_bytes: 0,
                #[cfg(test)]
                fail: None,
            })),
        })
    }

    /// Whether a write has failed (nothing more will be written).
    pub fn failed(&self) -> bool {
        matches!(self.state, State::Failed(_))
    }

    /// Takes `data`, and starts writing each piece it completes. Given
    /// more than `limit` in all, the writer fails (once the write in
    /// flight, if any, is done: none is left running behind it).
    pub async fn take(&mut self, mut data: &[u8]) {
        if data.len() as u64 > self.left {
            if self.settle().await.is_some() {
                self.state = State::Failed(io::Error::other(
                    "more bytes than the writer was opened for",
                ));
            }
            return;
        }
        while !data.is_empty() && !self.failed() {
            // The first piece ends where the file reaches a multiple of
            // PIECE, and every piece after it is a whole PIECE (or what is
            // left to come, if less).
            let room = PIECE - (self.piece_at % PIECE as u64) as usize;
            let mut b = match self.gathering.take() {
                Some(b) => b,
                None => {
                    let left = usize::try_from(self.left).unwrap_or(usize::MAX);
                    let cap = room.min(left.div_ceil(ALIGN).saturating_mul(ALIGN));
                    match self.spare.take() {
                        Some(b) if b.cap >= cap => b,
                        _ => Buffer::new(cap),
                    }
                }
            };
            let n = data.len().min(room.min(b.cap) - b.len);
            let at = b.start + b.len;
            b.bytes[at..at + n].copy_from_slice(&data[..n]);
            b.len += n;
            self.left -= n as u64;
            data = &data[n..];
            let full = b.len == room || b.len == b.cap;
            self.gathering = Some(b);
            if full {
                self.send().await;
            }
        }
    }

    /// Starts writing the piece gathered, once the one before is written.
    async fn send(&mut self) {
        let place = match self.settle().await {
            Some(p) => p,
            None => return,
        };
        let Some(piece) = self.gathering.take() else {
            self.state = State::Idle(place);
            return;
        };
        self.piece_at += piece.len as u64;
        let (mut place, mut piece) = (place, piece);
        self.state = State::Busy(tokio::task::spawn_blocking(move || {
            place.put(piece.filled())?;
            piece.len = 0;
            Ok((place, piece))
        }));
    }

    /// Waits for the write in flight; the file's place, unless a write
    /// failed.
    async fn settle(&mut self) -> Option<Box<Place>> {
        let state = std::mem::replace(
            &mut self.state,
            State::Failed(io::Error::other("the writer is busy")),
        );
        let outcome = match state {
            State::Idle(place) => Ok(place),
            State::Busy(job) => match job.await {
                Ok(Ok((place, buffer))) => {
                    self.spare = Some(buffer);
                    Ok(place)
                }
                Ok(Err(e)) => Err(e),
                Err(_) => Err(io::Error::other("the writing thread failed")),
            },
            State::Failed(e) => Err(e),
        };
        match outcome {
            Ok(place) => Some(place),
            Err(e) => {
                self.state = State::Failed(e);
                None
            }
        }
    }

    /// Writes what is gathered, waits for every write, and gives the file
    /// back (for its fsync) with where its bytes end and how many of them
    /// went past the page cache.
    pub async fn finish(mut self) -> io::Result<Written> {
        if self.gathering.as_ref().is_some_and(|b| b.len > 0) {
            self.send().await;
        }
        match self.settle().await {
            Some(place) => Ok(Written {
                file: place.file,
                end: place.at,
                direct: place.direct_bytes,
            }),
            None => match self.state {
                State::Failed(e) => Err(e),
                _ => Err(io::Error::other("the writer failed")),
            },
        }
    }
}

/// What [`PieceWriter::finish`] gives back.
pub struct Written {
    /// The file, to fsync.
    pub file: File,
    /// Where its bytes end.
    pub end: u64,
    /// How many of the bytes written went past the page cache.
    pub direct: u64,
}

impl std::fmt::Debug for Written {
    /// Not the file: on Linux its Debug says its path, which names the
    /// upload.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Written")
            .field("end", &self.end)
            .field("direct", &self.direct)
            .finish_non_exhaustive()
    }
}

/// `path` opened for writes with O_DIRECT, if its file system takes it.
#[cfg(target_os = "linux")]
fn open_direct(path: &Path) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(rustix::fs::OFlags::DIRECT.bits() as i32)
        .open(path)
        .ok()
}

/// Elsewhere than Linux, the page cache.
#[cfg(not(target_os = "linux"))]
fn open_direct(_: &Path) -> Option<File> {
    None
}

/// Starts writing `from..to` of `file` to disk now, and drops from the page
/// cache what of it is already written (the piece before the last).
///
/// Left to the kernel, a PATCH's bytes stay in memory until its fsync,
/// which then writes them all while the device waits for its answer: with
/// 64 MiB PATCHes the fsync took 18 ms of every 120 (`bench-upload`), and
/// a single PATCH of 1 GiB ended on a 300 ms fsync. Started as they come,
/// the writes overlap the receiving, and the fsync waits for the last
/// pieces only. The server reads an upload back only when it has no
/// running hash of it, and the desk's fetch reads it once, so its pages
/// need not stay cached.
///
/// POSIX_FADV_DONTNEED is how: on Linux it starts the writeback of the
/// range's dirty pages without waiting for it, then drops its clean ones.
/// sync_file_range(2) would say only the first half, but neither std nor
/// rustix has it (only libc, which this crate's `forbid(unsafe_code)`
/// keeps out). It is advice: if it fails, the fsync still makes the bytes
/// durable.
#[cfg(target_os = "linux")]
fn write_behind(file: &File, from: u64, to: u64) {
    let _ = rustix::fs::fadvise(
        file,
        from,
        std::num::NonZeroU64::new(to.saturating_sub(from)),
        rustix::fs::Advice::DontNeed,
    );
}

/// Elsewhere than Linux, nothing: the fsync does the writing.
#[cfg(not(target_os = "linux"))]
fn write_behind(_: &File, _: u64, _: u64) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that say where they are, so that a piece written at the wrong
    /// place shows (their period, 64,256 bytes, divides neither a block
    /// nor a piece).
    fn pattern(from: usize, n: usize) -> Vec<u8> {
        (from..from + n)
            .map(|i| (i % 251) as u8 ^ (i / 251 % 256) as u8)
            .collect()
    }

    /// Whether the file system of `dir` takes O_DIRECT writes of aligned
    /// pieces (not tmpfs before Linux 6.6, for one).
    fn takes_direct(dir: &Path) -> bool {
        let path = dir.join("probe");
        std::fs::write(&path, b"").unwrap();
        let b = Buffer::new(ALIGN);
        let ok = open_direct(&path).is_some_and(|f| {
            f.write_all_at(&b.bytes[b.start..b.start + ALIGN], 0)
                .is_ok()
        });
        std::fs::remove_file(&path).unwrap();
        ok
    }

    /// Writes `sizes` one PATCH after another, each in frames of `frame`
    /// bytes, as receive_local does; with `fail`, PATCH `.0`'s direct
    /// writes fail as `.2` says once `.1` of its bytes went past the cache.
    /// Returns the file's bytes and how many went past the page cache.
    async fn write(
        dir: &Path,
        sizes: &[usize],
        frame: usize,
        fail: Option<(usize, u64, Fail)>,
    ) -> (Vec<u8>, u64) {
        let path = dir.join("part");
        std::fs::write(&path, b"").unwrap();
        let mut at = 0usize;
        let mut direct = 0;
        for (n, &size) in sizes.iter().enumerate() {
            let mut w = PieceWriter::open(&path, at as u64, size as u64).unwrap();
            if let (State::Idle(place), Some((patch, after, how))) = (&mut w.state, fail) {
                if patch == n {
                    place.fail = Some((after, how));
                }
                // Where the file system has no O_DIRECT, a second buffered
                // handle plays the direct one, so that the failures and
                // the fallback are still played.
                if place.direct.is_none() {
                    place.direct = place.file.try_clone().ok();
                }
            }
            let body = pattern(at, size);
            for chunk in body.chunks(frame) {
                w.take(chunk).await;
            }
            let written = w.finish().await.unwrap();
            written.file.sync_all().unwrap();
            assert_eq!(written.end as usize, at + size);
            direct += written.direct;
            at += size;
        }
        (std::fs::read(&path).unwrap(), direct)
    }

    /// Aligned and unaligned starts, pieces that cross the PIECE
    /// boundaries, a PATCH of less than a block, a PATCH that ends on a
    /// block short of a PIECE boundary and one that starts there.
    const SIZES: [usize; 7] = [
        PIECE + 1,
        3 * PIECE - 17,
        100,
        2 * PIECE,
        5 * ALIGN + 3,
        PIECE - 12_375,
        3 * ALIGN,
    ];

    /// What of SIZES goes past the page cache: the first PATCH's first
    /// MiB, the second's third (it runs from 1 MiB + 1 to 4 MiB - 16), the
    /// fourth's sixth (from 4 MiB + 84 to 6 MiB + 84), the sixth's last
    /// two blocks (it ends at 7 MiB + 8 KiB), the seventh whole.
    const DIRECT: u64 = 3 * PIECE as u64 + 2 * ALIGN as u64 + 3 * ALIGN as u64;

    #[tokio::test]
    async fn pieces_land_where_they_belong_from_any_offset() {
        let dir = tempfile::tempdir().unwrap();
        let direct = takes_direct(dir.path());
        let total: usize = SIZES.iter().sum();
        for frame in [16 * 1024, 7777, PIECE + 5] {
            let (got, went_direct) = write(dir.path(), &SIZES, frame, None).await;
            assert_eq!(got.len(), total);
            assert!(
                got == pattern(0, total),
                "frames of {frame}: bytes misplaced"
            );
            if direct {
                assert_eq!(went_direct, DIRECT, "frames of {frame}");
            } else {
                eprintln!("no O_DIRECT on this file system: every piece went through the cache");
            }
        }
    }

    #[tokio::test]
    async fn a_direct_write_refused_midway_falls_back_to_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let total: usize = SIZES.iter().sum();
        // The second PATCH's first direct write refused, with and without
        // half of it written past the cache first.
        for how in [Fail::Refused, Fail::HalfThenRefused] {
            let (got, went_direct) = write(dir.path(), &SIZES, 16 * 1024, Some((1, 0, how))).await;
            assert!(got == pattern(0, total), "bytes misplaced after a refusal");
            // The second PATCH's one direct MiB went through the cache,
            // and the PATCHes after it open their own direct handle.
            assert_eq!(went_direct, DIRECT - PIECE as u64);
        }
    }

    #[tokio::test]
    async fn a_disk_that_fails_a_direct_write_fails_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part");
        std::fs::write(&path, b"").unwrap();
        let mut w = PieceWriter::open(&path, 0, 3 * PIECE as u64).unwrap();
        if let State::Idle(place) = &mut w.state {
            place.fail = Some((PIECE as u64, Fail::Broken));
            if place.direct.is_none() {
                place.direct = place.file.try_clone().ok();
            }
        }
        w.take(&pattern(0, 3 * PIECE)).await;
        assert!(w.finish().await.is_err(), "a failed write was not reported");
    }

    #[tokio::test]
    async fn a_file_system_without_o_direct_gets_every_byte_through_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part");
        std::fs::write(&path, b"").unwrap();
        let body = pattern(0, 3 * PIECE + 9);
        let mut w = PieceWriter::open(&path, 0, body.len() as u64).unwrap();
        // As if the open with O_DIRECT had been refused.
        if let State::Idle(place) = &mut w.state {
            place.direct = None;
        }
        w.take(&body).await;
        let written = w.finish().await.unwrap();
        written.file.sync_all().unwrap();
        assert_eq!(written.end as usize, body.len());
        assert_eq!(written.direct, 0);
        assert!(std::fs::read(&path).unwrap() == body);
    }

    #[tokio::test]
    async fn more_than_the_limit_fails_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part");
        std::fs::write(&path, b"").unwrap();
        let mut w = PieceWriter::open(&path, 0, 10).unwrap();
        w.take(&[1; 6]).await;
        assert!(!w.failed());
        w.take(&[2; 6]).await;
        assert!(w.failed());
        assert!(w.finish().await.is_err());
        // With a write in flight: it is waited for, not left behind.
        let mut w = PieceWriter::open(&path, 0, 2 * PIECE as u64 + 10).unwrap();
        w.take(&pattern(0, 2 * PIECE)).await;
        assert!(matches!(w.state, State::Busy(_)));
        w.take(&[3; 20]).await;
        assert!(w.failed());
        assert!(w.finish().await.is_err());
        // Both whole pieces landed before finish answered: a truncation
        // after it is the last word.
        assert_eq!(std::fs::metadata(&path).unwrap().len(), 2 * PIECE as u64);
    }
}
