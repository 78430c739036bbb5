//! Request signatures (RFC 9421, ed25519) for the signed and authorised routes. The signature
//! base is `ebl_api::httpsig`, shared with the node; this module adds what a client draws
//! from its surroundings: the clock, a random nonce, and the authority (`Host`) of the node's
//! URL, which the signature covers so that it is good on that node only.

use ebl_api::httpsig::{self, RequestTarget, SignatureParams};
use ebl_ledger::Keypair;

use crate::error::{ClientError, Result};

/// The headers one signed request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub signature_input: String,
    pub signature: String,
    /// `Content-Digest`, sent (and covered) only when the request has a body.
    pub content_digest: Option<String>,
}

impl SignedHeaders {
    /// `(name, value)` pairs, ready to add to a request.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut pairs =
            vec![("Signature-Input", self.signature_input.as_str()), ("Signature", self.signature.as_str())];
        if let Some(digest) = &self.content_digest {
            pairs.push(("Content-Digest", digest.as_str()));
        }
        pairs
    }
}

/// A fresh request nonce: 32 hex characters from the operating system's generator.
pub fn fresh_nonce() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| ClientError::Random(e.to_string()))?;
    Ok(hex::encode(bytes))
}

/// Seconds since the Unix epoch by this machine's clock.
pub fn now_s() -> u64 {
    #[allow(clippy::disallowed_methods)] // a client's clock, outside the state machine
    let now = std::time::SystemTime::now();
    now.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The `@authority` of requests to `url`, exactly as reqwest sends it in `Host`: the host
/// lower-case (IPv6 in brackets, international names in their ASCII form), then `:port` unless the
/// port is the scheme's default; no user info.
pub fn authority_of(url: &str) -> Result<String> {
    let bad = |reason: &str| ClientError::Input(format!("node URL {url:?}: {reason}"));
    let parsed = reqwest::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("must start with http:// or https://"));
    }
    let host = parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("no host"))?;
    // `Url` drops a port that is the scheme's default, as the `Host` header does.
    let authority = match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
    .to_ascii_lowercase();
    httpsig::check_authority(&authority).map_err(|e| bad(&e.to_string()))?;
    Ok(authority)
}

/// Signs a request to `authority` (see [`authority_of`]) with explicit `created_s` and `nonce`
/// (deterministic, for tests).
#[allow(clippy::too_many_arguments)]
pub fn sign_request_at(
    key: &Keypair,
    chain_id: &str,
    method: &str,
    authority: &str,
    path: &str,
    query: Option<&str>,
    body: Option<&[u8]>,
    created_s: u64,
    nonce: String,
) -> SignedHeaders {
    let content_digest = body.filter(|b| !b.is_empty()).map(httpsig::content_digest);
    let target = RequestTarget { method, authority, path, query, content_digest: content_digest.as_deref() };
    let params = SignatureParams { keyid: key.party(), created_s, nonce, tag: chain_id.to_owned() };
    let headers = httpsig::sign(key, &target, &params);
    SignedHeaders { signature_input: headers.signature_input, signature: headers.signature, content_digest }
}

/// Signs a request to `authority` (see [`authority_of`]) now, with a fresh nonce.
pub fn sign_request(
    key: &Keypair,
    chain_id: &str,
    method: &str,
    authority: &str,
    path: &str,
    query: Option<&str>,
    body: Option<&[u8]>,
) -> Result<SignedHeaders> {
    httpsig::check_authority(authority)
        .map_err(|e| ClientError::Input(format!("request authority {authority:?}: {e}")))?;
    Ok(sign_request_at(key, chain_id, method, authority, path, query, body, now_s(), fresh_nonce()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Keypair {
        Keypair::from_seed([3; 32])
    }

    #[test]
    fn a_get_is_signed_without_digest_and_verifies() {
        let key = key();
        let h = sign_request_at(
            &key,
            "ebl-test",
            "GET",
            "127.0.0.1:7101",
            "/v1/bls/ab",
            Some("x=1"),
            None,
            1_764_345_600,
            "a".repeat(32),
        );
        assert!(h.content_digest.is_none());
        assert!(h.signature_input.starts_with("ebl=("), "{}", h.signature_input);
        assert!(h.signature_input.contains(&format!("keyid=\"{}\"", key.party())));
        assert!(h.signature_input.contains("created=1764345600"));
        assert!(h.signature_input.contains("tag=\"ebl-test\""));
        assert!(!h.signature_input.contains("content-digest"));
        assert!(h.signature.starts_with("ebl=:") && h.signature.ends_with(':'));
        assert_eq!(h.pairs().len(), 2);
        let target = RequestTarget {
            method: "GET",
            authority: "127.0.0.1:7101",
            path: "/v1/bls/ab",
            query: Some("x=1"),
            content_digest: None,
        };
        let params = httpsig::verify(&target, &h.signature_input, &h.signature).expect("verifies");
        assert_eq!(params.keyid, key.party());
        // Another path, query or method does not verify.
        let moved = RequestTarget { path: "/v1/bls/cd", ..target };
        assert!(httpsig::verify(&moved, &h.signature_input, &h.signature).is_err());
        let requery = RequestTarget { query: None, ..target };
        assert!(httpsig::verify(&requery, &h.signature_input, &h.signature).is_err());
        // Nor on another node.
        let elsewhere = RequestTarget { authority: "127.0.0.1:7102", ..target };
        assert!(httpsig::verify(&elsewhere, &h.signature_input, &h.signature).is_err());
    }

    #[test]
    fn a_body_is_covered_by_its_digest() {
        let key = key();
        let body = br#"{"lcTerms":{}}"#;
        let h = sign_request_at(
            &key,
            "c",
            "POST",
            "node1.bank.example",
            "/v1/bls/ab/finance-check",
            None,
            Some(body),
            5,
            "b".repeat(32),
        );
        let digest = h.content_digest.clone().expect("digest");
        assert!(digest.starts_with("sha-256=:"), "{digest}");
        assert!(httpsig::digest_matches(&digest, body));
        assert!(!httpsig::digest_matches(&digest, b"{}"));
        assert!(h.signature_input.contains("content-digest"));
        assert_eq!(h.pairs().len(), 3);
        let target = RequestTarget {
            method: "POST",
            authority: "node1.bank.example",
            path: "/v1/bls/ab/finance-check",
            query: None,
            content_digest: Some(&digest),
        };
        assert!(httpsig::verify(&target, &h.signature_input, &h.signature).is_ok());
    }

    #[test]
    fn the_authority_is_the_host_header_reqwest_sends() {
        for (url, authority) in [
            ("http://127.0.0.1:7101", "127.0.0.1:7101"),
            ("http://127.0.0.1:7101/", "127.0.0.1:7101"),
            ("http://Node1.Bank.Example:8080/prefix", "node1.bank.example:8080"),
            ("http://node1.bank.example:80", "node1.bank.example"),
            ("https://node1.bank.example:443", "node1.bank.example"),
            ("https://node1.bank.example:80", "node1.bank.example:80"),
            ("http://node1.bank.example:443", "node1.bank.example:443"),
            ("https://NODE1.bank.example", "node1.bank.example"),
            ("http://[::1]:7101", "[::1]:7101"),
            ("http://[0:0:0:0:0:0:0:1]", "[::1]"),
            ("http://user:secret@node1.bank.example:8443", "node1.bank.example:8443"),
            ("https://nœud.example", "xn--nud-fya.example"),
        ] {
            assert_eq!(authority_of(url).expect(url), authority, "{url}");
        }
        for bad in ["", "node1.bank.example:8443", "ftp://node1.bank.example", "http://", "http://exa mple"] {
            assert!(matches!(authority_of(bad), Err(ClientError::Input(_))), "{bad}");
        }
        let key = key();
        assert!(matches!(
            sign_request(&key, "c", "GET", "", "/v1/parties", None, None),
            Err(ClientError::Input(_))
        ));
        assert!(matches!(
            sign_request(&key, "c", "GET", "a b", "/v1/parties", None, None),
            Err(ClientError::Input(_))
        ));
    }

    #[test]
    fn nonces_are_fresh_and_well_formed() {
        let a = fresh_nonce().expect("random");
        let b = fresh_nonce().expect("random");
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
    }
}
