//! The node's key file: the validator's ed25519 key, readable only by its owner.
//!
//! Format (JSON): `{"type": "ed25519", "party": "ebl:…", "secret": "<64 hex>"}`. Loading checks that
//! the secret derives the recorded party, so a file edited by hand cannot silently change identity.

use std::path::Path;

use ebl_ledger::{Keypair, PartyId};
use serde::{Deserialize, Serialize};
use thiserror::Error;

const KEY_FILE_BYTES_MAX: u64 = 4096;

#[derive(Debug, Error)]
pub enum KeyFileError {
    #[error("cannot read or write key file {path}: {error}")]
    Io { path: String, error: std::io::Error },
    #[error("key file {0} is not a valid ed25519 key file")]
    Malformed(String),
    #[error("key file {path} names party {recorded} but its secret is the key of {derived}")]
    Mismatch { path: String, recorded: PartyId, derived: PartyId },
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
    #[error("key file {0} exists already; refusing to overwrite it")]
    Exists(String),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    #[serde(rename = "type")]
    kind: String,
    party: PartyId,
    secret: String,
}

/// A new key from the operating system's random number generator.
pub fn generate() -> Result<Keypair, KeyFileError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyFileError::Random(e.to_string()))?;
    Ok(Keypair::from_seed(seed))
}

/// Writes `key` to `path` (mode 0600 on Unix); refuses to overwrite an existing file.
pub fn save(key: &Keypair, path: &Path) -> Result<(), KeyFileError> {
    let io = |error| KeyFileError::Io { path: path.display().to_string(), error };
    if path.exists() {
        return Err(KeyFileError::Exists(path.display().to_string()));
    }
    let file = KeyFile { kind: "ed25519".into(), party: key.party(), secret: hex::encode(key.seed()) };
    let json = serde_json::to_string_pretty(&file)
        .map_err(|_| KeyFileError::Malformed(path.display().to_string()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut out = options.open(path).map_err(io)?;
    std::io::Write::write_all(&mut out, json.as_bytes()).map_err(io)?;
    out.sync_all().map_err(io)
}

pub fn load(path: &Path) -> Result<Keypair, KeyFileError> {
    let shown = || path.display().to_string();
    let io = |error| KeyFileError::Io { path: shown(), error };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > KEY_FILE_BYTES_MAX {
        return Err(KeyFileError::Malformed(shown()));
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    let file: KeyFile = serde_json::from_str(&text).map_err(|_| KeyFileError::Malformed(shown()))?;
    let mut seed = [0u8; 32];
    if file.kind != "ed25519" || hex::decode_to_slice(&file.secret, &mut seed).is_err() {
        return Err(KeyFileError::Malformed(shown()));
    }
    let key = Keypair::from_seed(seed);
    if key.party() != file.party {
        return Err(KeyFileError::Mismatch { path: shown(), recorded: file.party, derived: key.party() });
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_key_loads_back_and_is_private() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("node_key.json");
        let key = generate().expect("random");
        save(&key, &path).expect("save");
        assert_eq!(load(&path).expect("load").party(), key.party());
        assert!(matches!(save(&key, &path), Err(KeyFileError::Exists(_))));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("metadata").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn edited_or_broken_key_files_are_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("key.json");
        let key = generate().expect("random");
        let other = generate().expect("random");
        let edited = format!(
            r#"{{"type":"ed25519","party":"{}","secret":"{}"}}"#,
            other.party(),
            hex::encode(key.seed())
        );
        std::fs::write(&path, edited).expect("write");
        assert!(matches!(load(&path), Err(KeyFileError::Mismatch { .. })));
        std::fs::write(&path, "not json").expect("write");
        assert!(matches!(load(&path), Err(KeyFileError::Malformed(_))));
        assert!(matches!(load(&dir.path().join("missing")), Err(KeyFileError::Io { .. })));
    }
}
