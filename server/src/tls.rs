//! TLS on both front doors (`--tls-cert`, `--tls-key`: PEM files), with rustls.
//!
//! With TLS configured, a port serves TLS, and plain connections from loopback peers too: the
//! first byte tells them apart (a TLS record starts with 0x16, the handshake record type; an HTTP
//! request starts with a method's letter, a key-value HELLO with `S`). A plain connection from
//! any other address is closed (an HTTP one is first told, in one line, that TLS is required).
//! Callers see `aws:SecureTransport` = true on TLS connections only.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

/// The first byte of a TLS handshake record.
pub const TLS_HANDSHAKE_RECORD: u8 = 0x16;
/// How long a client may take to send its first byte or finish the TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest certificate or key file read, in bytes.
pub const PEM_FILE_BYTES_MAX: u64 = 1 << 20;

/// A server's TLS configuration.
#[derive(Clone)]
pub struct Tls {
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls")
    }
}

fn read_pem(path: &Path, what: &str) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("reading the TLS {what} {}: {e}", path.display()))?;
    if meta.len() > PEM_FILE_BYTES_MAX {
        return Err(format!(
            "the TLS {what} {} is larger than {PEM_FILE_BYTES_MAX} bytes",
            path.display()
        ));
    }
    std::fs::read(path).map_err(|e| format!("reading the TLS {what} {}: {e}", path.display()))
}

impl Tls {
    /// Loads a certificate chain and its private key (PEM).
    pub fn load(cert: &Path, key: &Path) -> Result<Tls, String> {
        let cert_pem = read_pem(cert, "certificate")?;
        let key_pem = read_pem(key, "key")?;
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<_, _>>()
            .map_err(|e| format!("the TLS certificate {}: {e}", cert.display()))?;
        if certs.is_empty() {
            return Err(format!("the TLS certificate {} holds no certificate", cert.display()));
        }
        let key_der = PrivateKeyDer::from_pem_slice(&key_pem)
            .map_err(|e| format!("the TLS key {}: {e}", key.display()))?;
        Tls::from_der(certs, key_der)
    }

    /// From DER certificates and key.
    pub fn from_der(
        certs: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<Tls, String> {
        // ring rather than aws-lc-rs: it builds with the C compiler alone (no cmake). rustls
        // deprecates ring's provider only because it lacks the post-quantum key exchange;
        // TLS 1.3 with X25519 and the classic suites are what it negotiates.
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS: {e}"))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| format!("TLS: the key does not fit the certificate: {e}"))?;
        Ok(Tls { acceptor: TlsAcceptor::from(Arc::new(config)) })
    }
}

/// An accepted connection: TLS, or plain.
pub enum Conn {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
}

impl Conn {
    /// Whether it is TLS.
    pub fn is_tls(&self) -> bool {
        matches!(self, Conn::Tls(_))
    }
}

/// Accepts `stream` from `peer`: TLS when it starts a TLS handshake (and `tls` is set), plain
/// when TLS is not configured or the peer is on loopback; otherwise `Ok(None)` (closed).
/// `http`: answer a refused plain HTTP client with a line that says why.
pub async fn accept(
    tls: Option<&Tls>,
    stream: TcpStream,
    peer: SocketAddr,
    http: bool,
) -> io::Result<Option<Conn>> {
    let Some(tls) = tls else { return Ok(Some(Conn::Plain(stream))) };
    let mut first = [0u8; 1];
    let n = tokio::time::timeout(HANDSHAKE_TIMEOUT, stream.peek(&mut first))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no first byte"))??;
    if n == 1 && first == [TLS_HANDSHAKE_RECORD] {
        let s = tokio::time::timeout(HANDSHAKE_TIMEOUT, tls.acceptor.accept(stream))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))??;
        return Ok(Some(Conn::Tls(Box::new(s))));
    }
    if peer.ip().is_loopback() {
        return Ok(Some(Conn::Plain(stream)));
    }
    if http {
        use tokio::io::AsyncWriteExt as _;
        let mut stream = stream;
        let body = "TLS is required: this server serves plain HTTP on loopback only\n";
        let answer = format!(
            "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    }
    Ok(None)
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Plain(s) => s.is_write_vectored(),
            Conn::Tls(s) => s.is_write_vectored(),
        }
    }
}
