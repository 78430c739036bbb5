//! Party key files. Two formats are read:
//!
//! * PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`, RFC 8410 ed25519), what `ebl keygen` writes and
//!   what `openssl genpkey -algorithm ed25519` makes;
//! * the node's JSON key file `{"type":"ed25519","party":"ebl:…","secret":"<64 hex seed>"}`, whose
//!   recorded party must match the one its secret derives.
//!
//! Keys are written only as PKCS#8 PEM, mode 0600, never over an existing file.

use std::path::Path;

use ebl_ledger::{Keypair, PartyId};
use ed25519_dalek::pkcs8::{self, DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::SigningKey;
use serde::Deserialize;

use crate::error::{ClientError, Result};

/// Largest key file read, in bytes.
pub const KEY_FILE_BYTES_MAX: u64 = 16 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeKeyFile {
    #[serde(rename = "type")]
    kind: String,
    party: PartyId,
    secret: String,
}

fn key_error(path: &Path, reason: impl Into<String>) -> ClientError {
    ClientError::KeyFile { path: path.display().to_string(), reason: reason.into() }
}

/// A new key from the operating system's random number generator.
pub fn generate() -> Result<Keypair> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| ClientError::Random(e.to_string()))?;
    Ok(Keypair::from_seed(seed))
}

/// Reads a key file in either format (PKCS#8 PEM or the node's JSON).
pub fn load(path: &Path) -> Result<Keypair> {
    let len = std::fs::metadata(path).map_err(|e| key_error(path, e.to_string()))?.len();
    if len > KEY_FILE_BYTES_MAX {
        return Err(key_error(path, format!("{len} bytes; a key file is at most {KEY_FILE_BYTES_MAX}")));
    }
    let text = std::fs::read_to_string(path).map_err(|e| key_error(path, e.to_string()))?;
    parse(&text).map_err(|reason| key_error(path, reason))
}

/// Parses the text of a key file in either format.
pub fn parse(text: &str) -> std::result::Result<Keypair, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with("-----BEGIN") {
        let key = SigningKey::from_pkcs8_pem(trimmed)
            .map_err(|e| format!("not a PKCS#8 ed25519 private key: {e}"))?;
        return Ok(Keypair::from_seed(key.to_bytes()));
    }
    if trimmed.starts_with('{') {
        let file: NodeKeyFile = serde_json::from_str(trimmed)
            .map_err(|e| format!("not a key file {{\"type\",\"party\",\"secret\"}}: {e}"))?;
        if file.kind != "ed25519" {
            return Err(format!("key type {:?}; only ed25519 is supported", file.kind));
        }
        let mut seed = [0u8; 32];
        hex::decode_to_slice(file.secret.trim(), &mut seed)
            .map_err(|_| "the secret is not 64 hex digits".to_string())?;
        let key = Keypair::from_seed(seed);
        if key.party() != file.party {
            return Err(format!(
                "the file names party {} but its secret is the key of {}",
                file.party,
                key.party()
            ));
        }
        return Ok(key);
    }
    Err("neither a PKCS#8 PEM private key nor a JSON key file".into())
}

/// The PKCS#8 PEM text of `key`: RFC 8410 version 1 (the seed alone), as OpenSSL writes it.
pub fn to_pem(key: &Keypair) -> Result<String> {
    let bytes = pkcs8::KeypairBytes { secret_key: key.seed(), public_key: None };
    let pem = bytes
        .to_pkcs8_pem(pkcs8::spki::der::pem::LineEnding::LF)
        .map_err(|e| ClientError::KeyFile { path: String::new(), reason: e.to_string() })?;
    Ok(pem.as_str().to_owned())
}

/// Writes `key` as PKCS#8 PEM to `path` with mode 0600; refuses to overwrite a file.
pub fn save_pem(key: &Keypair, path: &Path) -> Result<()> {
    let pem = to_pem(key)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            key_error(path, "exists already; refusing to overwrite a key")
        } else {
            key_error(path, e.to_string())
        }
    })?;
    std::io::Write::write_all(&mut file, pem.as_bytes()).map_err(|e| key_error(path, e.to_string()))?;
    file.sync_all().map_err(|e| key_error(path, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trip_is_private_and_never_overwrites() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("party.pem");
        let key = generate().expect("random");
        save_pem(&key, &path).expect("save");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----"), "{text}");
        assert_eq!(load(&path).expect("load").party(), key.party());
        let again = save_pem(&generate().expect("random"), &path);
        assert!(matches!(again, Err(ClientError::KeyFile { ref reason, .. }) if reason.contains("refusing")));
        assert_eq!(load(&path).expect("load").party(), key.party(), "the first key is kept");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn node_json_key_files_load_and_mismatches_are_refused() {
        let key = Keypair::from_seed([7; 32]);
        let other = Keypair::from_seed([8; 32]);
        let good = format!(
            r#"{{"type":"ed25519","party":"{}","secret":"{}"}}"#,
            key.party(),
            hex::encode(key.seed())
        );
        assert_eq!(parse(&good).expect("parse").party(), key.party());
        let edited = format!(
            r#"{{"type":"ed25519","party":"{}","secret":"{}"}}"#,
            other.party(),
            hex::encode(key.seed())
        );
        assert!(parse(&edited).expect_err("mismatch").contains("names party"));
        let wrong_type = good.replace("ed25519", "rsa");
        assert!(parse(&wrong_type).is_err());
        assert!(parse("hello").is_err());
        assert!(parse("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").is_err());
    }

    #[test]
    fn pem_matches_openssl_layout() {
        // RFC 8410 §10.3 example private key.
        let pem = "-----BEGIN PRIVATE KEY-----\n\
                   MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
                   -----END PRIVATE KEY-----\n";
        let key = parse(pem).expect("RFC 8410 key");
        assert_eq!(
            hex::encode(key.seed()),
            "d4ee72dbf913584ad5b6d8f1f769f8ad3afe7c28cbf1d4fbe097a88f44755842"
        );
        assert_eq!(to_pem(&key).expect("pem"), pem);
    }
}
