//! A bound on connections that neither hyper nor axum-server sets: how
//! many the server holds at once. Nothing bounded it but the process's
//! file limit, where every accept fails at once, for every device. Written
//! here because no library does it at the connection (tower's limits count
//! requests, and a connection holds its memory between them): an
//! axum-server acceptor around the TLS one, holding a semaphore's permit
//! for as long as the connection lives.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum_server::accept::Accept;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// The most connections one server process holds at once, TLS handshakes
/// included. Past it, a new connection is closed at once (the device
/// retries later) rather than taking the file descriptors the server needs
/// for its database, bucket and files: the systemd unit allows 65,536.
/// A device holds one or two while it syncs, so a network of a few
/// thousand devices stays far below; the bound is for floods. It is not a
/// defence against them (anyone can hold this many connections open for
/// the 10 s of a handshake and the 20 s before a first request), only
/// a floor under the server's own work while they last.
pub const MAX_CONNECTIONS: usize = 16_384;

/// An acceptor that holds a slot per connection.
#[derive(Clone, Debug)]
pub struct Guard<A> {
    inner: A,
    slots: Arc<Semaphore>,
}

impl<A> Guard<A> {
    /// `inner`, with at most `max` connections at once.
    pub fn new(inner: A, max: usize) -> Guard<A> {
        Guard {
            inner,
            slots: Arc::new(Semaphore::new(max)),
        }
    }
}

type Accepted<S, V> = Pin<Box<dyn Future<Output = io::Result<(Guarded<S>, V)>> + Send>>;

impl<A, I, S> Accept<I, S> for Guard<A>
where
    A: Accept<I, S>,
    A::Future: Send + 'static,
    A::Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    A::Service: Send + 'static,
{
    type Stream = Guarded<A::Stream>;
    type Service = A::Service;
    type Future = Accepted<A::Stream, A::Service>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        // Taken before the handshake, so that handshakes count too.
        let slot = self.slots.clone().try_acquire_owned();
        let handshake = self.inner.accept(stream, service);
        Box::pin(async move {
            // Dropping `handshake` closes the connection unanswered.
            let slot = slot.map_err(|_| io::Error::other("too many connections"))?;
            let (stream, service) = handshake.await?;
            Ok((
                Guarded {
                    stream,
                    _slot: slot,
                },
                service,
            ))
        })
    }
}

/// A connection that holds its slot until it closes.
#[derive(Debug)]
pub struct Guarded<T> {
    stream: T,
    _slot: OwnedSemaphorePermit,
}

impl<T: AsyncRead + Unpin> AsyncRead for Guarded<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Guarded<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}
