//! A byte-counting TCP proxy on loopback: clients talk to it instead of the relay, and it
//! counts every byte each way (HTTP headers, TLS-free bodies, WebSocket frames) and every HTTP
//! request a client sends (one request and its answer is one round trip).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::Result;

/// What crossed the proxy since the last [`Counters::take`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Traffic {
    /// Bytes from clients to the relay.
    pub up: u64,
    /// Bytes from the relay to clients.
    pub down: u64,
    /// HTTP requests sent (round trips).
    pub requests: u64,
    /// TCP connections opened.
    pub connections: u64,
}

impl Traffic {
    /// Bytes both ways.
    pub fn total(&self) -> u64 {
        self.up + self.down
    }
}

/// The proxy's counters, shared with its tasks.
#[derive(Debug, Default)]
pub struct Counters {
    up: AtomicU64,
    down: AtomicU64,
    requests: AtomicU64,
    connections: AtomicU64,
}

impl Traffic {
    /// What crossed in both.
    pub fn plus(self, other: Traffic) -> Traffic {
        Traffic {
            up: self.up + other.up,
            down: self.down + other.down,
            requests: self.requests + other.requests,
            connections: self.connections + other.connections,
        }
    }
}

impl Counters {
    /// Returns what crossed since the last call, and starts counting from zero.
    pub fn take(&self) -> Traffic {
        Traffic {
            up: self.up.swap(0, Ordering::SeqCst),
            down: self.down.swap(0, Ordering::SeqCst),
            requests: self.requests.swap(0, Ordering::SeqCst),
            connections: self.connections.swap(0, Ordering::SeqCst),
        }
    }
}

/// Counts HTTP/1.1 request lines in a byte stream that arrives in arbitrary pieces.
#[derive(Debug, Default)]
pub struct RequestCounter {
    tail: Vec<u8>,
}

/// What ends every HTTP/1.1 request line.
const REQUEST_LINE_END: &[u8] = b" HTTP/1.1\r\n";

impl RequestCounter {
    /// Feeds the next piece; returns how many request lines ended in it.
    pub fn feed(&mut self, piece: &[u8]) -> u64 {
        let mut buf = std::mem::take(&mut self.tail);
        buf.extend_from_slice(piece);
        let n = buf
            .windows(REQUEST_LINE_END.len())
            .filter(|w| *w == REQUEST_LINE_END)
            .count() as u64;
        let keep = buf.len().min(REQUEST_LINE_END.len() - 1);
        self.tail = buf[buf.len() - keep..].to_vec();
        n
    }
}

/// A running proxy. Its tasks run on the current tokio runtime.
pub struct Proxy {
    /// Base URL clients use instead of the relay's, e.g. `http://127.0.0.1:40000`.
    pub url: String,
    /// The counters.
    pub counters: Arc<Counters>,
    accept: tokio::task::JoinHandle<()>,
}

impl Proxy {
    /// Listens on an ephemeral loopback port and forwards every connection to `target_port`.
    pub async fn start(target_port: u16) -> Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let counters = Arc::new(Counters::default());
        let c = counters.clone();
        let accept = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let c = c.clone();
                tokio::spawn(async move {
                    if let Ok(upstream) = TcpStream::connect(("127.0.0.1", target_port)).await {
                        c.connections.fetch_add(1, Ordering::SeqCst);
                        let _ = client.set_nodelay(true);
                        let _ = upstream.set_nodelay(true);
                        pipe(client, upstream, c).await;
                    }
                });
            }
        });
        Ok(Proxy {
            url,
            counters,
            accept,
        })
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

async fn pipe(client: TcpStream, upstream: TcpStream, c: Arc<Counters>) {
    let (mut cr, mut cw) = client.into_split();
    let (mut ur, mut uw) = upstream.into_split();
    let c2 = c.clone();
    let up = async move {
        let mut buf = vec![0u8; 64 * 1024];
        let mut requests = RequestCounter::default();
        loop {
            match cr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    c.up.fetch_add(n as u64, Ordering::SeqCst);
                    c.requests
                        .fetch_add(requests.feed(&buf[..n]), Ordering::SeqCst);
                    if uw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = uw.shutdown().await;
    };
    let down = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match ur.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    c2.down.fetch_add(n as u64, Ordering::SeqCst);
                    if cw.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            }
        }
        let _ = cw.shutdown().await;
    };
    tokio::join!(up, down);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_lines_are_counted_even_when_split_across_reads() {
        let mut rc = RequestCounter::default();
        let two = b"GET /v1/x HTTP/1.1\r\nhost: a\r\n\r\nPOST /v1/y HTTP/1.1\r\n\r\n";
        let (a, b) = two.split_at(15); // splits the first request line inside " HTTP/1.1"
        assert_eq!(rc.feed(a), 0);
        assert_eq!(rc.feed(b), 2);
        assert_eq!(rc.feed(b"binary body without a request line"), 0);
    }

    #[tokio::test]
    async fn the_proxy_forwards_and_counts_both_ways() -> Result<()> {
        let echo = TcpListener::bind("127.0.0.1:0").await?;
        let port = echo.local_addr()?.port();
        tokio::spawn(async move {
            if let Ok((mut s, _)) = echo.accept().await {
                let mut buf = [0u8; 64];
                if let Ok(n) = s.read(&mut buf).await {
                    let _ = s.write_all(b"HTTP/1.1 200 OK\r\n\r\nhello").await;
                    let _ = n;
                }
            }
        });
        let proxy = Proxy::start(port).await?;
        let addr = proxy.url.trim_start_matches("http://").to_string();
        let mut s = TcpStream::connect(addr).await?;
        let req = b"GET / HTTP/1.1\r\n\r\n";
        s.write_all(req).await?;
        let mut got = Vec::new();
        s.read_to_end(&mut got).await?;
        assert_eq!(got, b"HTTP/1.1 200 OK\r\n\r\nhello");
        let t = proxy.counters.take();
        assert_eq!((t.up, t.down), (req.len() as u64, got.len() as u64));
        assert_eq!((t.requests, t.connections), (1, 1));
        assert_eq!(proxy.counters.take(), Traffic::default());
        Ok(())
    }
}
