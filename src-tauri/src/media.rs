//! Recordings of a received case, played by the web view from this
//! process's memory: the desk decrypts the file from its store into memory
//! (checked against its signed hash), keeps it under a random token, and
//! the `temoin-media` scheme serves it to the `<audio>` or `<video>`
//! element with byte ranges, which WebKit's GStreamer player asks for. No
//! decrypted byte is written to a file, a cache or a temporary folder on
//! the way (`Cache-Control: no-store`; the end-to-end scan checks the web
//! view's and GStreamer's folders). Everything held is dropped when the
//! person leaves the case and at lock.
//!
//! Written here rather than taken from Tauri's asset protocol: that one
//! serves files from disk, and a decrypted file on disk is what this
//! avoids.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tauri::http::{header, Request, Response, StatusCode};
use tauri::{Manager, Runtime, UriSchemeContext, UriSchemeResponder};
use zeroize::Zeroizing;

use crate::session::Shared;

/// The scheme's name.
pub const SCHEME: &str = "temoin-media";

/// The most the cache holds at once; the oldest go first beyond it.
pub const MAX_HELD_BYTES: usize = 512 * 1024 * 1024;

/// The most one answer carries: WebKit asks for the rest.
const MAX_RANGE_BYTES: u64 = 4 * 1024 * 1024;

struct Held {
    bytes: Arc<Zeroizing<Vec<u8>>>,
    media_type: String,
    order: u64,
}

/// The recordings held for the window, by token.
#[derive(Default)]
pub struct MediaCache {
    held: Mutex<HashMap<String, Held>>,
    next: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for MediaCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaCache").finish_non_exhaustive()
    }
}

impl MediaCache {
    fn slot(&self) -> std::sync::MutexGuard<'_, HashMap<String, Held>> {
        self.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keeps `bytes` and returns the URL the window plays them from, if
    /// `still_open` holds under the cache's lock (the session was not locked
    /// while the recording was decrypted: lock clears the cache under the
    /// same lock, after it marks the session locked).
    pub fn put_if(
        &self,
        bytes: Zeroizing<Vec<u8>>,
        media_type: &str,
        still_open: impl FnOnce() -> bool,
    ) -> Option<String> {
        let held = self.slot();
        if !still_open() {
            return None;
        }
        Some(self.insert(held, bytes, media_type))
    }

    /// Keeps `bytes` and returns the URL the window plays them from.
    pub fn put(&self, bytes: Zeroizing<Vec<u8>>, media_type: &str) -> String {
        self.insert(self.slot(), bytes, media_type)
    }

    fn insert(
        &self,
        mut held: std::sync::MutexGuard<'_, HashMap<String, Held>>,
        bytes: Zeroizing<Vec<u8>>,
        media_type: &str,
    ) -> String {
        let mut token = [0u8; 16];
        temoin_crypto::random_bytes(&mut token);
        let token = hex::encode(token);
        let order = self.next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        held.insert(
            token.clone(),
            Held {
                bytes: Arc::new(bytes),
                media_type: media_type.to_owned(),
                order,
            },
        );
        while held.values().map(|h| h.bytes.len()).sum::<usize>() > MAX_HELD_BYTES && held.len() > 1
        {
            let oldest = held
                .iter()
                .min_by_key(|(_, h)| h.order)
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                held.remove(&k);
            }
        }
        format!("{SCHEME}://localhost/{token}")
    }

    /// Drops everything held (leaving a case, lock).
    pub fn clear(&self) {
        self.slot().clear();
    }

    /// How many recordings are held.
    pub fn len(&self) -> usize {
        self.slot().len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, token: &str) -> Option<(Arc<Zeroizing<Vec<u8>>>, String)> {
        self.slot()
            .get(token)
            .map(|h| (Arc::clone(&h.bytes), h.media_type.clone()))
    }

    /// The answer to one request of the scheme.
    pub fn answer(&self, request: &Request<Vec<u8>>) -> Response<Vec<u8>> {
        let token = request.uri().path().trim_start_matches('/');
        let Some((bytes, media_type)) = self.get(token) else {
            return plain(StatusCode::NOT_FOUND);
        };
        let len = bytes.len() as u64;
        if len == 0 {
            return plain(StatusCode::RANGE_NOT_SATISFIABLE);
        }
        let base = Response::builder()
            .header(header::CONTENT_TYPE, media_type)
            .header(header::ACCEPT_RANGES, "bytes")
            .header(header::CACHE_CONTROL, "no-store");
        let range = request
            .headers()
            .get(header::RANGE)
            .and_then(|r| r.to_str().ok());
        let Some(range) = range else {
            return base
                .status(StatusCode::OK)
                .body(bytes.to_vec())
                .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR));
        };
        // One range is enough for a player; a list takes its first.
        let Some(first) = http_range::HttpRange::parse(range, len)
            .ok()
            .and_then(|r| r.first().copied())
        else {
            return Response::builder()
                .status(StatusCode::RANGE_NOT_SATISFIABLE)
                .header(header::CONTENT_RANGE, format!("bytes */{len}"))
                .body(Vec::new())
                .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR));
        };
        let start = first.start;
        let end = start + first.length.min(MAX_RANGE_BYTES);
        let (Ok(s), Ok(e)) = (usize::try_from(start), usize::try_from(end)) else {
            return plain(StatusCode::RANGE_NOT_SATISFIABLE);
        };
        base.status(StatusCode::PARTIAL_CONTENT)
            .header(
                header::CONTENT_RANGE,
                format!("bytes {start}-{}/{len}", end - 1),
            )
            .body(bytes[s..e].to_vec())
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR))
    }
}

fn plain(status: StatusCode) -> Response<Vec<u8>> {
    let mut r = Response::new(Vec::new());
    *r.status_mut() = status;
    r
}

/// The scheme's handler, registered on the app builder.
pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let response = match ctx.app_handle().try_state::<Shared>() {
        Some(s) => s.media().answer(&request),
        None => plain(StatusCode::SERVICE_UNAVAILABLE),
    };
    responder.respond(response);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(cache: &MediaCache, url: &str, range: Option<&str>) -> Response<Vec<u8>> {
        let mut r = Request::builder().uri(url);
        if let Some(range) = range {
            r = r.header(header::RANGE, range);
        }
        cache.answer(&r.body(Vec::new()).unwrap())
    }

    #[test]
    fn ranges_are_served_from_memory_and_forgotten_on_clear() {
        let cache = MediaCache::default();
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let url = cache.put(Zeroizing::new(data.clone()), "audio/wav");
        assert!(url.starts_with("temoin-media://localhost/"));
        let whole = get(&cache, &url, None);
        assert_eq!(whole.status(), StatusCode::OK);
        assert_eq!(whole.body(), &data);
        assert_eq!(whole.headers()[header::CACHE_CONTROL], "no-store");
        let part = get(&cache, &url, Some("bytes=100-199"));
        assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(part.body(), &data[100..200]);
        assert_eq!(part.headers()[header::CONTENT_RANGE], "bytes 100-199/10000");
        let open = get(&cache, &url, Some("bytes=9990-"));
        assert_eq!(open.body(), &data[9990..]);
        let beyond = get(&cache, &url, Some("bytes=20000-"));
        assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        // An empty recording has no range to give.
        let empty = cache.put(Zeroizing::new(Vec::new()), "audio/wav");
        let none = get(&cache, &empty, Some("bytes=-10"));
        assert_eq!(none.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        // Another token, or none, finds nothing.
        let other = get(&cache, "temoin-media://localhost/00", None);
        assert_eq!(other.status(), StatusCode::NOT_FOUND);
        cache.clear();
        assert!(cache.is_empty());
        assert_eq!(get(&cache, &url, None).status(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = MediaCache::default();
        let big = || Zeroizing::new(vec![0u8; MAX_HELD_BYTES / 2 + 1]);
        let first = cache.put(big(), "audio/wav");
        let _second = cache.put(big(), "audio/wav");
        assert_eq!(cache.len(), 1, "the oldest went first");
        assert_eq!(get(&cache, &first, None).status(), StatusCode::NOT_FOUND);
    }
}
