//! The SDK speaks TLS (rustls): an `https://` node on 127.0.0.1 with a certificate made in the
//! test (rcgen, self-signed) is reached once its root is given, and refused without it — the
//! certificate is checked, not waved through.

use std::sync::Arc;

use ebl_client::{Client, ClientError};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// Largest request head the stand-in reads, in bytes.
const HEAD_BYTES_MAX: usize = 16 * 1024;

/// A stand-in node behind TLS answering `/v1/status`; its URL and the certificate (PEM).
async fn tls_node() -> (String, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .expect("self-signed certificate");
    let cert_pem = certified.cert.pem();
    let chain = vec![CertificateDer::from(certified.cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(certified.key_pair.serialize_der()));
    let config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server config");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake here.
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut head = Vec::new();
                let mut chunk = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < HEAD_BYTES_MAX {
                    match tls.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&chunk[..n]),
                    }
                }
                let status = json!({"chainId": "ebl-tls", "height": 9, "blockHash": "00".repeat(32),
                    "stateRoot": "00".repeat(32), "timeMs": 1, "mempoolTxs": 0});
                let body =
                    if head.starts_with(b"GET /v1/status ") { status.to_string() } else { "{}".into() };
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    (url, cert_pem)
}

#[tokio::test]
async fn an_https_node_is_reached_with_its_root_and_refused_without_it() {
    let (url, cert_pem) = tls_node().await;
    let trusting = Client::new(url.clone(), "ebl-tls")
        .expect("client")
        .with_root_certificate_pem(cert_pem.as_bytes())
        .expect("root");
    let status = trusting.status().await.expect("status over TLS");
    assert_eq!((status.chain_id.as_str(), status.height), ("ebl-tls", 9));
    let connected = Client::connect(url.clone()).await;
    let error = connected.expect_err("an unknown root is refused");
    assert!(matches!(error, ClientError::Unreachable { .. } | ClientError::Http { .. }), "{error:?}");
    assert!(error.to_string().to_lowercase().contains("certificate"), "{error}");
    assert!(Client::new(url, "c").expect("client").with_root_certificate_pem(b"not a certificate").is_err());
}
