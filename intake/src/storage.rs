//! Where finished bundles are kept: a local folder (the default), or an
//! S3-compatible bucket ([`crate::s3`]) for a server of several instances.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::StreamExt;

use crate::error::{ApiError, ApiResult};
use crate::s3::S3Store;

/// Bundles as files in a folder. An upload in progress is a file in the
/// server folder's `uploads/`, moved into the folder once complete.
#[derive(Debug)]
pub struct LocalStorage {
    pub(crate) dir: PathBuf,
}

impl LocalStorage {
    /// Moves a finished, fsync'd file into the folder under `bundle_id`,
    /// durably.
    pub(crate) fn put(&self, bundle_id: &str, from: &Path) -> std::io::Result<()> {
        std::fs::rename(from, self.path(bundle_id))?;
        std::fs::File::open(&self.dir)?.sync_all()
    }
    /// The path of a stored bundle.
    pub(crate) fn path(&self, bundle_id: &str) -> PathBuf {
        self.dir.join(format!("{bundle_id}.tar.age"))
    }
    fn delete(&self, bundle_id: &str) -> std::io::Result<()> {
        match std::fs::remove_file(self.path(bundle_id)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// The bundle store the server was started with.
#[derive(Debug)]
pub(crate) enum Store {
    /// A local folder.
    Local(LocalStorage),
    /// An S3-compatible bucket.
    S3(S3Store),
}

impl Store {
    /// A stored bundle's bytes, as a stream; 404 if they are not there.
    pub(crate) async fn read(
        &self,
        bundle_id: &str,
    ) -> ApiResult<BoxStream<'static, std::io::Result<Bytes>>> {
        match self {
            Store::Local(l) => {
                let file = tokio::fs::File::open(l.path(bundle_id))
                    .await
                    .map_err(|_| no_bundle())?;
                Ok(file_stream(file).boxed())
            }
            Store::S3(s) => Ok(s.read(bundle_id).await?.boxed()),
        }
    }

    /// Deletes a stored bundle (one already gone is not an error).
    pub(crate) async fn delete(&self, bundle_id: &str) -> ApiResult<()> {
        match self {
            Store::Local(l) => l.delete(bundle_id).map_err(ApiError::io),
            Store::S3(s) => s.delete(bundle_id).await,
        }
    }
}

fn no_bundle() -> ApiError {
    ApiError::new(axum::http::StatusCode::NOT_FOUND, "no such bundle")
}

/// A file as a stream of chunks, for a response body.
fn file_stream(file: tokio::fs::File) -> impl futures_util::Stream<Item = std::io::Result<Bytes>> {
    futures_util::stream::unfold(file, |mut f| async move {
        use tokio::io::AsyncReadExt;
        let mut buf = vec![0u8; 256 * 1024];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), f))
            }
            Err(e) => Some((Err(e), f)),
        }
    })
}
