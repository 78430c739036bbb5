//! HTTP Message Signatures (RFC 9421) with ed25519: the subset eBL Ledger uses to sign reads.
//!
//! A signed request carries (see `docs/rest-api.md`, "Who may call what"):
//!
//! ```text
//! Signature-Input: ebl=("@method" "@authority" "@path" "@query" "content-digest");created=1764345600;nonce="…";keyid="ebl:<hex>";alg="ed25519";tag="<chain id>"
//! Signature: ebl=:<base64 of the ed25519 signature over the signature base>:
//! Content-Digest: sha-256=:<base64 of SHA-256 of the body>:
//! ```
//!
//! `"content-digest"` is covered (and the header sent) only when the request has a body.
//!
//! `"@authority"` (RFC 9421 §2.2.3) is the host and port the request is sent to, as in its `Host`
//! header (HTTP/2: the `:authority`): e.g. `node1.bank.example:8443`, or `node1.bank.example`
//! on the scheme's default port, which is left out. It is signed lower-case. Covering it binds a
//! signed read to the node it was made for: the node refuses a signature for any name other than
//! its own (`rpc.authorities`), so a read captured on, or by, one node does not replay on another.
//!
//! Only this one shape is accepted: the covered components, the parameters and their order are
//! fixed, so the signature base rebuilt by [`verify`] is exactly the one [`sign`] signed. The
//! header values are parsed as RFC 8941 dictionaries, so other signature labels may be present
//! next to `ebl` and are ignored.
//!
//! [`verify`] checks the syntax and the signature and returns the parameters. The caller (the
//! REST server) checks what needs its state or clock: the time window, nonce reuse, the chain
//! tag, that the key is a registered party, and that the Content-Digest header matches the body
//! ([`digest_matches`]). No clock, no randomness here: `created` and `nonce` are passed in.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use ebl_ledger::{Keypair, PartyId, Signature};

/// The signature label of eBL Ledger requests: `Signature-Input: ebl=…`, `Signature: ebl=…`.
pub const SIGNATURE_LABEL: &str = "ebl";
/// Longer `Signature` / `Signature-Input` (and `Content-Digest`) values are refused unparsed.
pub const SIGNATURE_HEADER_BYTES_MAX: usize = 2048;
/// The one signature algorithm, as named in the `alg` parameter.
pub const ALGORITHM: &str = "ed25519";
/// Bounds on the length of a nonce (characters of `[0-9a-zA-Z_-]`).
pub const NONCE_CHARS_MIN: usize = 16;
pub const NONCE_CHARS_MAX: usize = 64;
/// Longest `tag` (the chain id), in bytes.
pub const TAG_BYTES_MAX: usize = 64;
/// Longest `@authority` accepted, in bytes (a DNS name has at most 253).
pub const AUTHORITY_BYTES_MAX: usize = 255;

/// The parts of a request that are signed.
#[derive(Debug, Clone, Copy)]
pub struct RequestTarget<'a> {
    /// The HTTP method; it is signed upper-case.
    pub method: &'a str,
    /// The target's host and port as sent in `Host` (`host`, `host:port`, `[v6]:port`); the
    /// scheme's default port is left out. It is signed lower-case. See [`check_authority`].
    pub authority: &'a str,
    /// The absolute path as sent (percent-encoded), e.g. `/v1/bls/BL-1`; empty means `/`.
    pub path: &'a str,
    /// The query without its `?`; `None` or `Some("")` means no query.
    pub query: Option<&'a str>,
    /// The `Content-Digest` header value: `Some` iff the request has a body.
    pub content_digest: Option<&'a str>,
}

/// The signature parameters that [`sign`] writes and [`verify`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParams {
    /// The signing party; must be the key that signs.
    pub keyid: PartyId,
    /// Creation time, Unix seconds (at most 15 digits, as RFC 8941 integers are).
    pub created_s: u64,
    /// 16 to 64 characters of `[0-9a-zA-Z_-]`, never reused within the server's time window.
    pub nonce: String,
    /// The chain id: 1 to 64 printable ASCII characters without `"` or `\`.
    pub tag: String,
}

impl SignatureParams {
    /// Whether [`verify`] would accept these parameters (a signature made with anything else
    /// is refused).
    pub fn validate(&self) -> Result<(), HttpSigError> {
        if self.created_s > SF_INTEGER_MAX {
            return Err(HttpSigError::BadCreated);
        }
        check_nonce(&self.nonce)?;
        check_tag(&self.tag)
    }
}

/// The two header values of a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    pub signature_input: String,
    pub signature: String,
}

/// Why a request signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpSigError {
    #[error("malformed signature header: {0}")]
    Malformed(String),
    #[error(
        "no `ebl` member in Signature-Input or Signature: sign with label `ebl` \
         (`Signature-Input: ebl=(...);...`, `Signature: ebl=:<base64>:`)"
    )]
    MissingLabel,
    #[error(
        "the covered components must be exactly (\"@method\" \"@authority\" \"@path\" \"@query\"), \
         plus \"content-digest\" at the end iff the request has a body, without component parameters"
    )]
    WrongComponents,
    #[error(
        "the signature parameters must be exactly ;created=<int>;nonce=\"...\";keyid=\"ebl:<hex>\";\
         alg=\"ed25519\";tag=\"<chain id>\", in this order"
    )]
    WrongParameters,
    #[error("unsupported signature algorithm: `alg` must be \"ed25519\"")]
    UnsupportedAlgorithm,
    #[error("`keyid` must be a party id: \"ebl:\" followed by 64 lowercase hex characters")]
    BadKeyId,
    #[error("`nonce` must be a string of 16 to 64 characters of [0-9a-zA-Z_-]")]
    BadNonce,
    #[error("`tag` must be the chain id: 1 to 64 printable ASCII characters, without '\"' or '\\'")]
    BadTag,
    #[error("`created` must be the signing time as a non-negative integer of Unix seconds")]
    BadCreated,
    #[error("a Signature or Signature-Input header value is longer than 2048 bytes")]
    TooLong,
    #[error("request not fit for signing: {0}")]
    BadTarget(String),
    #[error(
        "the authority (the Host header: host[:port]) must be 1 to 255 bytes of visible ASCII, \
         without whitespace, '\"' or '\\'"
    )]
    BadAuthority,
    #[error(
        "the signature does not verify under `keyid` for this request (method, authority (Host), \
         path, query, Content-Digest and signature parameters must be exactly those signed)"
    )]
    BadSignature,
}

impl HttpSigError {
    /// The REST error code of this refusal.
    pub fn code(&self) -> &'static str {
        "BAD_REQUEST_SIGNATURE"
    }
}

/// The RFC 9530 `Content-Digest` value of `body`: `sha-256=:<base64 of SHA-256>:`.
pub fn content_digest(body: &[u8]) -> String {
    format!("sha-256=:{}:", STANDARD.encode(Sha256::digest(body)))
}

/// Whether a `Content-Digest` header value holds a `sha-256` digest equal to that of `body`
/// (other algorithms in the dictionary are ignored; a malformed value never matches).
pub fn digest_matches(header: &str, body: &[u8]) -> bool {
    if header.len() > SIGNATURE_HEADER_BYTES_MAX {
        return false;
    }
    let Ok(members) = parse_dictionary(header) else {
        return false;
    };
    let mut found = members.iter().filter(|(key, _)| key == "sha-256");
    let (Some((_, member)), None) = (found.next(), found.next()) else {
        return false;
    };
    let Member::Item(Item { bare: Bare::Bytes(bytes), params }) = member else {
        return false;
    };
    params.is_empty() && bytes.as_slice() == Sha256::digest(body).as_slice()
}

/// The RFC 9421 §2.5 signature base of `target` under `params`. Lines are joined by `\n`, with
/// no newline at the end.
pub fn signature_base(target: &RequestTarget, params: &SignatureParams) -> String {
    let path = if target.path.is_empty() { "/" } else { target.path };
    let mut base = String::with_capacity(512);
    base.push_str("\"@method\": ");
    base.push_str(&target.method.to_ascii_uppercase());
    base.push_str("\n\"@authority\": ");
    base.push_str(&target.authority.to_ascii_lowercase());
    base.push_str("\n\"@path\": ");
    base.push_str(path);
    base.push_str("\n\"@query\": ?");
    base.push_str(target.query.unwrap_or(""));
    if let Some(digest) = target.content_digest {
        base.push_str("\n\"content-digest\": ");
        base.push_str(digest.trim_matches(|c| c == ' ' || c == '\t'));
    }
    base.push_str("\n\"@signature-params\": ");
    base.push_str(&signature_params(target, params));
    base
}

/// The `Signature-Input` and `Signature` values of `target`, signed by `keypair`.
///
/// `params.keyid` should be `keypair.party()` and `params` should pass
/// [`SignatureParams::validate`]; otherwise [`verify`] refuses the result.
pub fn sign(keypair: &Keypair, target: &RequestTarget, params: &SignatureParams) -> SignatureHeaders {
    let signature = keypair.sign(signature_base(target, params).as_bytes());
    SignatureHeaders {
        signature_input: format!("{SIGNATURE_LABEL}={}", signature_params(target, params)),
        signature: format!("{SIGNATURE_LABEL}=:{}:", STANDARD.encode(signature.0)),
    }
}

/// Checks the `ebl` signature of a request given its `Signature-Input` and `Signature` header
/// values, and returns its parameters. Time window, nonce reuse, chain tag, party registration
/// and the Content-Digest/body match are the caller's to check.
pub fn verify(
    target: &RequestTarget,
    signature_input: &str,
    signature: &str,
) -> Result<SignatureParams, HttpSigError> {
    if signature_input.len() > SIGNATURE_HEADER_BYTES_MAX || signature.len() > SIGNATURE_HEADER_BYTES_MAX {
        return Err(HttpSigError::TooLong);
    }
    check_target(target)?;

    let Member::InnerList { items, params } = labelled_member(signature_input, "Signature-Input")? else {
        return Err(HttpSigError::Malformed(
            "the `ebl` member of Signature-Input must be an inner list (\"@method\" ...);created=...".into(),
        ));
    };
    let expected = covered_components(target);
    let components_ok = items.len() == expected.len()
        && items
            .iter()
            .zip(expected)
            .all(|(item, name)| item.params.is_empty() && matches!(&item.bare, Bare::String(s) if s == name));
    if !components_ok {
        return Err(HttpSigError::WrongComponents);
    }
    let params = signature_params_from(&params)?;

    let bad_signature_value = || {
        HttpSigError::Malformed(
            "the `ebl` member of Signature must be a byte sequence :<standard base64 of 64 bytes>:".into(),
        )
    };
    let Member::Item(Item { bare: Bare::Bytes(bytes), params: item_params }) =
        labelled_member(signature, "Signature")?
    else {
        return Err(bad_signature_value());
    };
    if !item_params.is_empty() {
        return Err(bad_signature_value());
    }
    let bytes: [u8; 64] = bytes.try_into().map_err(|_| bad_signature_value())?;

    let base = signature_base(target, &params);
    if params.keyid.verify(base.as_bytes(), &Signature(bytes)) {
        Ok(params)
    } else {
        Err(HttpSigError::BadSignature)
    }
}

// ---------------------------------------------------------------------------------------------
// Serialisation of the signature parameters.

/// Largest RFC 8941 integer (15 digits).
const SF_INTEGER_MAX: u64 = 999_999_999_999_999;

fn covered_components(target: &RequestTarget) -> &'static [&'static str] {
    if target.content_digest.is_some() {
        &["@method", "@authority", "@path", "@query", "content-digest"]
    } else {
        &["@method", "@authority", "@path", "@query"]
    }
}

/// `("@method" ...);created=…;nonce="…";keyid="…";alg="ed25519";tag="…"`: the
/// `@signature-params` value and the `ebl` member of Signature-Input.
fn signature_params(target: &RequestTarget, params: &SignatureParams) -> String {
    let mut out = String::with_capacity(256);
    out.push('(');
    for (i, name) in covered_components(target).iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        push_sf_string(&mut out, name);
    }
    out.push_str(");created=");
    out.push_str(&params.created_s.to_string());
    out.push_str(";nonce=");
    push_sf_string(&mut out, &params.nonce);
    out.push_str(";keyid=");
    push_sf_string(&mut out, &params.keyid.to_string());
    out.push_str(";alg=");
    push_sf_string(&mut out, ALGORITHM);
    out.push_str(";tag=");
    push_sf_string(&mut out, &params.tag);
    out
}

/// An RFC 8941 string: quoted, with `"` and `\` escaped. (Characters outside printable ASCII
/// cannot be represented; they are written as they are, and [`verify`] refuses them.)
fn push_sf_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

// ---------------------------------------------------------------------------------------------
// Checks.

fn check_target(target: &RequestTarget) -> Result<(), HttpSigError> {
    let bad = |what: &str| Err(HttpSigError::BadTarget(what.to_string()));
    if target.method.is_empty() || !target.method.bytes().all(is_tchar) {
        return bad("the method must be an HTTP token");
    }
    check_authority(target.authority)?;
    let visible = |s: &str| s.bytes().all(|b| b.is_ascii_graphic());
    if !visible(target.path) || !(target.path.is_empty() || target.path.starts_with('/')) {
        return bad("the path must start with '/' and hold only visible ASCII (percent-encode the rest)");
    }
    if !target.query.is_none_or(visible) {
        return bad("the query must hold only visible ASCII (percent-encode the rest)");
    }
    if let Some(digest) = target.content_digest {
        if !digest.bytes().all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic()) {
            return bad("the Content-Digest value must hold only printable ASCII");
        }
    }
    Ok(())
}

/// Whether `authority` may be signed and verified as `@authority`: 1 to
/// [`AUTHORITY_BYTES_MAX`] bytes of visible ASCII without `"` or `\` (so no whitespace or control
/// characters: the signature base stays one line per component).
pub fn check_authority(authority: &str) -> Result<(), HttpSigError> {
    let ok = !authority.is_empty()
        && authority.len() <= AUTHORITY_BYTES_MAX
        && authority.bytes().all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
    if ok {
        Ok(())
    } else {
        Err(HttpSigError::BadAuthority)
    }
}

fn check_nonce(nonce: &str) -> Result<(), HttpSigError> {
    let ok = (NONCE_CHARS_MIN..=NONCE_CHARS_MAX).contains(&nonce.len())
        && nonce.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(HttpSigError::BadNonce)
    }
}

fn check_tag(tag: &str) -> Result<(), HttpSigError> {
    let ok = !tag.is_empty()
        && tag.len() <= TAG_BYTES_MAX
        && tag.bytes().all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\');
    if ok {
        Ok(())
    } else {
        Err(HttpSigError::BadTag)
    }
}

/// The `ebl` member of a header value; refuses a value that is no dictionary, lacks the member
/// or has it twice.
fn labelled_member(value: &str, header: &str) -> Result<Member, HttpSigError> {
    let members = parse_dictionary(value)
        .map_err(|e| HttpSigError::Malformed(format!("{header} is not an RFC 8941 dictionary: {e}")))?;
    let mut found = members.into_iter().filter(|(key, _)| key == SIGNATURE_LABEL);
    match (found.next(), found.next()) {
        (None, _) => Err(HttpSigError::MissingLabel),
        (Some((_, member)), None) => Ok(member),
        (Some(_), Some(_)) => Err(HttpSigError::Malformed(format!("{header} has the `ebl` label twice"))),
    }
}

fn signature_params_from(params: &[(String, Bare)]) -> Result<SignatureParams, HttpSigError> {
    let [(k_created, created), (k_nonce, nonce), (k_keyid, keyid), (k_alg, alg), (k_tag, tag)] = params
    else {
        return Err(HttpSigError::WrongParameters);
    };
    if [k_created, k_nonce, k_keyid, k_alg, k_tag] != ["created", "nonce", "keyid", "alg", "tag"] {
        return Err(HttpSigError::WrongParameters);
    }
    if !matches!(alg, Bare::String(a) if a == ALGORITHM) {
        return Err(HttpSigError::UnsupportedAlgorithm);
    }
    let created_s = match created {
        Bare::Integer(n) => u64::try_from(*n).map_err(|_| HttpSigError::BadCreated)?,
        _ => return Err(HttpSigError::BadCreated),
    };
    let Bare::String(keyid_text) = keyid else {
        return Err(HttpSigError::BadKeyId);
    };
    let keyid: PartyId = keyid_text.parse().map_err(|_| HttpSigError::BadKeyId)?;
    // Only the canonical text form: the signature base is rebuilt from the parsed key.
    if keyid.to_string() != *keyid_text {
        return Err(HttpSigError::BadKeyId);
    }
    let Bare::String(nonce) = nonce else {
        return Err(HttpSigError::BadNonce);
    };
    check_nonce(nonce)?;
    let Bare::String(tag) = tag else {
        return Err(HttpSigError::BadTag);
    };
    check_tag(tag)?;
    Ok(SignatureParams { keyid, created_s, nonce: nonce.clone(), tag: tag.clone() })
}

// ---------------------------------------------------------------------------------------------
// RFC 8941 dictionaries, parsed by `sfv`.
//
// `sfv`'s own `Dictionary` keeps one value per key (the last), as RFC 8941 does; here a key or
// parameter given twice must be seen, so that `ebl` twice, or `tag` twice, is refused rather
// than silently resolved. The visitors below keep every member and parameter in order,
// duplicates included, each list bounded by [`STRUCTURED_MEMBERS_MAX`].

/// Most members of one dictionary, items of one inner list and parameters of one item that
/// are kept; a header with more is refused (the 2048-byte bound allows about a thousand).
pub const STRUCTURED_MEMBERS_MAX: usize = 32;

#[derive(Debug, Clone, PartialEq)]
enum Bare {
    Integer(i64),
    String(String),
    /// A byte sequence, decoded (`sfv` accepts missing `=` padding, as RFC 8941 §4.2.7 asks).
    Bytes(Vec<u8>),
    Boolean(bool),
    /// A decimal or a token: never needed here, so the value is not kept.
    Unused,
}

impl From<sfv::BareItemFromInput<'_>> for Bare {
    fn from(item: sfv::BareItemFromInput<'_>) -> Bare {
        match item {
            sfv::GenericBareItem::Integer(n) => Bare::Integer(i64::from(n)),
            sfv::GenericBareItem::String(s) => Bare::String(s.as_str().to_owned()),
            sfv::GenericBareItem::ByteSequence(bytes) => Bare::Bytes(bytes),
            sfv::GenericBareItem::Boolean(b) => Bare::Boolean(b),
            // Dates and display strings are RFC 9651; the parser runs as RFC 8941.
            sfv::GenericBareItem::Decimal(_)
            | sfv::GenericBareItem::Token(_)
            | sfv::GenericBareItem::Date(_)
            | sfv::GenericBareItem::DisplayString(_) => Bare::Unused,
        }
    }
}

type Params = Vec<(String, Bare)>;

#[derive(Debug, Clone, PartialEq)]
struct Item {
    bare: Bare,
    params: Params,
}

#[derive(Debug, Clone, PartialEq)]
enum Member {
    Item(Item),
    InnerList { items: Vec<Item>, params: Params },
}

/// A structured field with more members, items or parameters than [`STRUCTURED_MEMBERS_MAX`].
#[derive(Debug, thiserror::Error)]
#[error("more than {STRUCTURED_MEMBERS_MAX} members, items or parameters")]
struct TooMany;

fn push_bounded<T>(list: &mut Vec<T>, value: T) -> Result<(), TooMany> {
    if list.len() >= STRUCTURED_MEMBERS_MAX {
        return Err(TooMany);
    }
    list.push(value);
    Ok(())
}

/// Parses a dictionary; members are kept in order, duplicates included.
fn parse_dictionary(input: &str) -> Result<Vec<(String, Member)>, String> {
    sfv::Parser::new(input)
        .with_version(sfv::Version::Rfc8941)
        .parse_dictionary_with_visitor(Dictionary::default())
        .map_err(|e| e.to_string())
}

#[derive(Default)]
struct Dictionary(Vec<(String, Member)>);

impl<'de> sfv::visitor::DictionaryVisitor<'de> for Dictionary {
    type Out = Vec<(String, Member)>;
    type Error = TooMany;

    fn entry(&mut self, key: &'de sfv::KeyRef) -> Result<impl sfv::visitor::EntryVisitor<'de>, TooMany> {
        if self.0.len() >= STRUCTURED_MEMBERS_MAX {
            return Err(TooMany);
        }
        Ok(Entry { key: key.as_str().to_owned(), members: &mut self.0 })
    }

    fn finish(self) -> Result<Self::Out, TooMany> {
        Ok(self.0)
    }
}

/// One dictionary member being parsed: pushed to `members` once complete.
struct Entry<'a> {
    key: String,
    members: &'a mut Vec<(String, Member)>,
}

impl<'de> sfv::visitor::EntryVisitor<'de> for Entry<'_> {
    type Error = TooMany;

    fn item(self) -> Result<impl sfv::visitor::ItemVisitor<'de>, TooMany> {
        Ok(move |bare: sfv::BareItemFromInput<'de>| {
            let bare = Bare::from(bare);
            Ok::<_, TooMany>(Parameters::then(move |params| {
                push_bounded(self.members, (self.key, Member::Item(Item { bare, params })))
            }))
        })
    }

    fn inner_list(self) -> Result<impl sfv::visitor::InnerListVisitor<'de>, TooMany> {
        Ok(InnerList { entry: self, items: Vec::new() })
    }
}

struct InnerList<'a> {
    entry: Entry<'a>,
    items: Vec<Item>,
}

impl<'de> sfv::visitor::InnerListVisitor<'de> for InnerList<'_> {
    type Error = TooMany;

    fn item(&mut self) -> Result<impl sfv::visitor::ItemVisitor<'de>, TooMany> {
        let items = &mut self.items;
        Ok(move |bare: sfv::BareItemFromInput<'de>| {
            let bare = Bare::from(bare);
            Ok::<_, TooMany>(Parameters::then(move |params| push_bounded(items, Item { bare, params })))
        })
    }

    fn finish(self) -> Result<impl sfv::visitor::ParameterVisitor<'de>, TooMany> {
        let InnerList { entry, items } = self;
        Ok(Parameters::then(move |params| {
            push_bounded(entry.members, (entry.key, Member::InnerList { items, params }))
        }))
    }
}

/// The parameters of an item or inner list, handed to `done` once all are read.
struct Parameters<F> {
    params: Params,
    done: F,
}

impl<F: FnOnce(Params) -> Result<(), TooMany>> Parameters<F> {
    fn then(done: F) -> Self {
        Parameters { params: Vec::new(), done }
    }
}

impl<'de, F: FnOnce(Params) -> Result<(), TooMany>> sfv::visitor::ParameterVisitor<'de> for Parameters<F> {
    type Out = ();
    type Error = TooMany;

    fn parameter(
        &mut self,
        key: &'de sfv::KeyRef,
        value: sfv::BareItemFromInput<'de>,
    ) -> Result<(), TooMany> {
        push_bounded(&mut self.params, (key.as_str().to_owned(), Bare::from(value)))
    }

    fn finish(self) -> Result<(), TooMany> {
        (self.done)(self.params)
    }
}

/// RFC 9110 `tchar`.
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const NONCE: &str = "0123456789abcdef0123456789abcdef";
    const TAG: &str = "ebl-test-1";
    const BODY: &[u8] = b"{\"hello\": \"world\"}";
    const AUTHORITY: &str = "node1.bank.example:8443";

    fn alice() -> Keypair {
        Keypair::for_test("alice")
    }

    fn params(key: &Keypair) -> SignatureParams {
        SignatureParams { keyid: key.party(), created_s: 1_764_345_600, nonce: NONCE.into(), tag: TAG.into() }
    }

    fn get() -> RequestTarget<'static> {
        RequestTarget {
            method: "GET",
            authority: AUTHORITY,
            path: "/v1/bls/BL-1/document",
            query: None,
            content_digest: None,
        }
    }

    /// Verifying a target with (a digest of) `BODY`: the digest must outlive the target.
    fn with_body<R>(f: impl FnOnce(RequestTarget<'_>) -> R) -> R {
        let digest = content_digest(BODY);
        f(RequestTarget {
            method: "POST",
            authority: AUTHORITY,
            path: "/v1/bls/BL-1/finance-check",
            query: Some("x=1"),
            content_digest: Some(&digest),
        })
    }

    fn signed(target: &RequestTarget) -> SignatureHeaders {
        sign(&alice(), target, &params(&alice()))
    }

    fn check(target: &RequestTarget, input: &str, signature: &str) -> Result<SignatureParams, HttpSigError> {
        verify(target, input, signature)
    }

    #[test]
    fn round_trip_without_body() {
        let target = get();
        let h = signed(&target);
        assert_eq!(check(&target, &h.signature_input, &h.signature), Ok(params(&alice())));
        let with_query = RequestTarget { query: Some("fromHeight=3"), ..target };
        let h = signed(&with_query);
        assert_eq!(check(&with_query, &h.signature_input, &h.signature), Ok(params(&alice())));
        // An empty query is no query.
        let empty = RequestTarget { query: Some(""), ..target };
        let h = signed(&target);
        assert!(check(&empty, &h.signature_input, &h.signature).is_ok());
    }

    #[test]
    fn round_trip_with_body() {
        with_body(|target| {
            let h = signed(&target);
            assert!(h.signature_input.contains("\"content-digest\");created="));
            assert_eq!(check(&target, &h.signature_input, &h.signature), Ok(params(&alice())));
        });
        assert!(digest_matches(&content_digest(BODY), BODY));
    }

    #[test]
    fn content_digest_is_rfc_9530() {
        // RFC 9530 §2 example body and digest.
        assert_eq!(content_digest(BODY), "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
        assert!(digest_matches("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", BODY));
        assert!(digest_matches(
            "sha-512=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
            BODY
        ));
        assert!(!digest_matches(&content_digest(b"other"), BODY));
        assert!(!digest_matches("sha-512=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", BODY));
        // Missing padding decodes to the same digest (RFC 8941 §4.2.7).
        assert!(digest_matches("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE:", BODY));
        assert!(!digest_matches("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBP:", BODY));
        assert!(!digest_matches("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", BODY));
        assert!(!digest_matches("", BODY));
        assert!(!digest_matches("garbage\n", BODY));
    }

    #[test]
    fn signature_base_is_exact() {
        let params = SignatureParams {
            keyid: PartyId([0x11; 32]),
            created_s: 1_764_345_600,
            nonce: NONCE.into(),
            tag: TAG.into(),
        };
        let digest = content_digest(BODY);
        let target = RequestTarget {
            method: "post",
            authority: "Node1.Bank.Example:8443",
            path: "/v1/bls/BL-1/finance-check",
            query: Some("a=1&b=%20"),
            content_digest: Some(&digest),
        };
        let expected = "\"@method\": POST\n\
\"@authority\": node1.bank.example:8443\n\
\"@path\": /v1/bls/BL-1/finance-check\n\
\"@query\": ?a=1&b=%20\n\
\"content-digest\": sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:\n\
\"@signature-params\": (\"@method\" \"@authority\" \"@path\" \"@query\" \"content-digest\");created=1764345600;\
nonce=\"0123456789abcdef0123456789abcdef\";\
keyid=\"ebl:1111111111111111111111111111111111111111111111111111111111111111\";\
alg=\"ed25519\";tag=\"ebl-test-1\"";
        assert_eq!(signature_base(&target, &params), expected);

        let target = RequestTarget {
            method: "GET",
            authority: "[::1]:7101",
            path: "",
            query: None,
            content_digest: None,
        };
        let expected = "\"@method\": GET\n\
\"@authority\": [::1]:7101\n\
\"@path\": /\n\
\"@query\": ?\n\
\"@signature-params\": (\"@method\" \"@authority\" \"@path\" \"@query\");created=1764345600;\
nonce=\"0123456789abcdef0123456789abcdef\";\
keyid=\"ebl:1111111111111111111111111111111111111111111111111111111111111111\";\
alg=\"ed25519\";tag=\"ebl-test-1\"";
        assert_eq!(signature_base(&target, &params), expected);

        let h = sign(&alice(), &target, &params);
        assert_eq!(
            h.signature_input,
            format!("ebl={}", expected.split_once("\"@signature-params\": ").map(|(_, p)| p).unwrap_or(""))
        );
        assert!(h.signature.starts_with("ebl=:") && h.signature.ends_with(':'));
        assert_eq!(h.signature.len(), "ebl=::".len() + 88);
    }

    #[test]
    fn other_request_fails() {
        let target = get();
        let h = signed(&target);
        let bad = |t: RequestTarget| check(&t, &h.signature_input, &h.signature);
        assert_eq!(bad(RequestTarget { method: "DELETE", ..target }), Err(HttpSigError::BadSignature));
        assert_eq!(
            bad(RequestTarget { path: "/v1/bls/BL-2/document", ..target }),
            Err(HttpSigError::BadSignature)
        );
        assert_eq!(bad(RequestTarget { query: Some("a=1"), ..target }), Err(HttpSigError::BadSignature));
        // A body that was not signed, or no body where one was.
        let digest = content_digest(BODY);
        assert_eq!(
            bad(RequestTarget { content_digest: Some(&digest), ..target }),
            Err(HttpSigError::WrongComponents)
        );
        with_body(|target| {
            let h = signed(&target);
            let other = content_digest(b"{}");
            let bad = |t: RequestTarget| check(&t, &h.signature_input, &h.signature);
            assert_eq!(
                bad(RequestTarget { content_digest: Some(&other), ..target }),
                Err(HttpSigError::BadSignature)
            );
            assert_eq!(
                bad(RequestTarget { content_digest: None, ..target }),
                Err(HttpSigError::WrongComponents)
            );
            assert_eq!(bad(RequestTarget { query: None, ..target }), Err(HttpSigError::BadSignature));
        });
        // The signature of another request.
        let other = signed(&RequestTarget { path: "/v1/parties", ..target });
        assert_eq!(check(&target, &h.signature_input, &other.signature), Err(HttpSigError::BadSignature));
        // Method case does not matter: it is signed upper-case.
        assert!(bad(RequestTarget { method: "get", ..target }).is_ok());
    }

    #[test]
    fn a_signature_for_one_authority_does_not_verify_for_another() {
        let target = get();
        let h = signed(&target);
        let on =
            |authority: &str| check(&RequestTarget { authority, ..target }, &h.signature_input, &h.signature);
        assert_eq!(on(AUTHORITY), Ok(params(&alice())));
        for other in [
            "node2.bank.example:8443",
            "node1.bank.example:8444",
            "node1.bank.example",
            "node1.bank.example.:8443",
            "127.0.0.1:8443",
            "[::1]:8443",
        ] {
            assert_eq!(on(other), Err(HttpSigError::BadSignature), "{other}");
        }
        with_body(|target| {
            let h = signed(&target);
            let on =
                |authority| check(&RequestTarget { authority, ..target }, &h.signature_input, &h.signature);
            assert!(on(AUTHORITY).is_ok());
            assert_eq!(on("node2.bank.example:8443"), Err(HttpSigError::BadSignature));
        });
    }

    #[test]
    fn the_authority_is_case_insensitive() {
        // Signed as the user typed it, verified as the server received it, and the other way.
        let typed = RequestTarget { authority: "Node1.BANK.example:8443", ..get() };
        let h = signed(&typed);
        assert!(h.signature_input.contains("\"@authority\""));
        let lower = RequestTarget { authority: AUTHORITY, ..typed };
        assert_eq!(check(&lower, &h.signature_input, &h.signature), Ok(params(&alice())));
        let upper = RequestTarget { authority: "NODE1.BANK.EXAMPLE:8443", ..typed };
        assert_eq!(check(&upper, &h.signature_input, &h.signature), Ok(params(&alice())));
        assert_eq!(signature_base(&typed, &params(&alice())), signature_base(&lower, &params(&alice())));
    }

    #[test]
    fn bad_authorities_are_refused_typed() {
        let target = get();
        let h = signed(&target);
        let long = "a".repeat(AUTHORITY_BYTES_MAX + 1);
        for authority in [
            "",
            " ",
            "node1.bank.example :8443",
            "node1.bank.example\t",
            "node1\n\"@path\": /v1/parties",
            "node1.bank.example\r\n",
            "\"node1\"",
            "node1\\x",
            "nœud.example",
            "node1\u{0}",
            long.as_str(),
        ] {
            let bad = RequestTarget { authority, ..target };
            assert_eq!(
                check(&bad, &h.signature_input, &h.signature),
                Err(HttpSigError::BadAuthority),
                "{authority:?}"
            );
            assert_eq!(check_authority(authority), Err(HttpSigError::BadAuthority), "{authority:?}");
        }
        let at_limit = "a".repeat(AUTHORITY_BYTES_MAX);
        assert_eq!(check_authority(&at_limit), Ok(()));
        for good in [
            AUTHORITY,
            "localhost",
            "127.0.0.1:7101",
            "[::1]:7101",
            "[fe80::1%25eth0]:80",
            "xn--nud-fya.example",
        ] {
            assert_eq!(check_authority(good), Ok(()), "{good}");
        }
        assert_eq!(HttpSigError::BadAuthority.code(), "BAD_REQUEST_SIGNATURE");
        assert!(HttpSigError::BadAuthority.to_string().contains("Host"));
    }

    #[test]
    fn other_key_fails() {
        let target = get();
        let h = signed(&target);
        let bob = Keypair::for_test("bob");
        // Alice's signature claimed by Bob.
        let input = h.signature_input.replace(&alice().party().to_string(), &bob.party().to_string());
        assert_eq!(check(&target, &input, &h.signature), Err(HttpSigError::BadSignature));
        // Bob's signature claimed by Alice.
        let by_bob = sign(&bob, &target, &params(&alice()));
        assert_eq!(
            check(&target, &by_bob.signature_input, &by_bob.signature),
            Err(HttpSigError::BadSignature)
        );
        // Not the canonical text form, or no key at all.
        let hex = alice().party().to_string()["ebl:".len()..].to_string();
        for keyid in [hex.clone(), format!("ebl:{}", hex.to_uppercase()), "ebl:zz".into(), String::new()] {
            let input = h.signature_input.replace(&alice().party().to_string(), &keyid);
            assert_eq!(check(&target, &input, &h.signature), Err(HttpSigError::BadKeyId), "{keyid}");
        }
        let input = h.signature_input.replace(&format!("\"{}\"", alice().party()), "1");
        assert_eq!(check(&target, &input, &h.signature), Err(HttpSigError::BadKeyId));
    }

    #[test]
    fn changed_parameters_fail() {
        let target = get();
        let h = signed(&target);
        let changed = |from: &str, to: &str| {
            assert!(h.signature_input.contains(from), "{from}");
            check(&target, &h.signature_input.replace(from, to), &h.signature)
        };
        assert_eq!(changed("created=1764345600", "created=1764345601"), Err(HttpSigError::BadSignature));
        assert_eq!(changed(NONCE, "0123456789abcdef0123456789abcdee"), Err(HttpSigError::BadSignature));
        assert_eq!(changed("tag=\"ebl-test-1\"", "tag=\"ebl-test-2\""), Err(HttpSigError::BadSignature));
        assert_eq!(changed("alg=\"ed25519\"", "alg=\"rsa\""), Err(HttpSigError::UnsupportedAlgorithm));
        assert_eq!(changed("alg=\"ed25519\"", "alg=ed25519"), Err(HttpSigError::UnsupportedAlgorithm));
        assert_eq!(changed(";alg=\"ed25519\"", ""), Err(HttpSigError::WrongParameters));
        assert_eq!(changed(";tag=\"ebl-test-1\"", ""), Err(HttpSigError::WrongParameters));
        assert_eq!(
            changed("tag=\"ebl-test-1\"", "tag=\"ebl-test-1\";expires=1"),
            Err(HttpSigError::WrongParameters)
        );
        assert_eq!(
            changed("tag=\"ebl-test-1\"", "tag=\"x\";tag=\"ebl-test-1\""),
            Err(HttpSigError::WrongParameters)
        );
        assert_eq!(
            changed(";created=1764345600;nonce", ";nonce=\"aaaaaaaaaaaaaaaa\";created=1764345600;nonce"),
            Err(HttpSigError::WrongParameters)
        );
        assert_eq!(changed("created=1764345600", "created=-1"), Err(HttpSigError::BadCreated));
        assert_eq!(changed("created=1764345600", "created=1.5"), Err(HttpSigError::BadCreated));
        assert_eq!(changed("created=1764345600", "created=\"1764345600\""), Err(HttpSigError::BadCreated));
        assert_eq!(changed(NONCE, "short"), Err(HttpSigError::BadNonce));
        assert_eq!(changed(NONCE, "0123456789abcdef.0123456789abcdef"), Err(HttpSigError::BadNonce));
        assert_eq!(changed(NONCE, &"a".repeat(65)), Err(HttpSigError::BadNonce));
        assert_eq!(changed("tag=\"ebl-test-1\"", "tag=\"\""), Err(HttpSigError::BadTag));
        assert_eq!(changed("tag=\"ebl-test-1\"", "tag=\"a\\\"b\""), Err(HttpSigError::BadTag));
        assert_eq!(
            changed("tag=\"ebl-test-1\"", &format!("tag=\"{}\"", "t".repeat(65))),
            Err(HttpSigError::BadTag)
        );
        assert_eq!(changed("tag=\"ebl-test-1\"", "tag=ebl-test-1"), Err(HttpSigError::BadTag));
    }

    #[test]
    fn components_must_be_exact() {
        let target = get();
        let h = signed(&target);
        let with = |components: &str| {
            let input =
                h.signature_input.replace("(\"@method\" \"@authority\" \"@path\" \"@query\")", components);
            check(&target, &input, &h.signature)
        };
        for components in [
            // The shape before `@authority` was covered: a signature not bound to a node.
            "(\"@method\" \"@path\" \"@query\")",
            "(\"@method\" \"@path\")",
            "(\"@method\" \"@authority\" \"@path\" \"@query\" \"content-digest\")",
            "(\"@method\" \"@path\" \"@query\" \"@authority\")",
            "(\"@authority\" \"@method\" \"@path\" \"@query\")",
            "(\"@method\" \"@authority\" \"@authority\" \"@path\" \"@query\")",
            "(\"@method\" \"@authority\";req \"@path\" \"@query\")",
            "(\"@method\" \"@AUTHORITY\" \"@path\" \"@query\")",
            "(\"@method\" \"host\" \"@path\" \"@query\")",
            "(\"@path\" \"@method\" \"@authority\" \"@query\")",
            "(\"@method\" \"@authority\" \"@path\" \"@query\";req)",
            "(\"@METHOD\" \"@authority\" \"@path\" \"@query\")",
            "(method \"@authority\" \"@path\" \"@query\")",
            "()",
        ] {
            assert_eq!(with(components), Err(HttpSigError::WrongComponents), "{components}");
        }
        // Extra spaces inside the inner list are fine (same list).
        assert!(with("(  \"@method\" \"@authority\"   \"@path\" \"@query\" )").is_ok());
        let input = h.signature_input.replace("ebl=(", "ebl=");
        assert!(matches!(check(&target, &input, &h.signature), Err(HttpSigError::Malformed(_))));
    }

    #[test]
    fn label_is_found_among_others() {
        let target = get();
        let h = signed(&target);
        let input = format!("sig1=(\"@method\");created=1;keyid=\"x\",\t {} , sig2=?0", h.signature_input);
        let signature = format!("sig1=:AAAA:;p=1,{},sig2=:YWJj:", h.signature);
        assert_eq!(check(&target, &input, &signature), Ok(params(&alice())));
        let input = format!("  {}  ", h.signature_input);
        assert_eq!(check(&target, &input, &h.signature), Ok(params(&alice())));
        // Missing label.
        let renamed = |s: &str| s.replacen("ebl=", "sig1=", 1);
        assert_eq!(
            check(&target, &renamed(&h.signature_input), &h.signature),
            Err(HttpSigError::MissingLabel)
        );
        assert_eq!(
            check(&target, &h.signature_input, &renamed(&h.signature)),
            Err(HttpSigError::MissingLabel)
        );
        assert_eq!(check(&target, "", ""), Err(HttpSigError::MissingLabel));
        assert_eq!(check(&target, &h.signature_input, "  "), Err(HttpSigError::MissingLabel));
        // Twice.
        let twice = format!("{0}, {0}", h.signature);
        assert!(matches!(check(&target, &h.signature_input, &twice), Err(HttpSigError::Malformed(_))));
        // Bounded: at most STRUCTURED_MEMBERS_MAX members, parameters and inner-list items.
        let members: Vec<String> = (1..STRUCTURED_MEMBERS_MAX).map(|i| format!("m{i}=1")).collect();
        let crowded = format!("{}, {}", members.join(", "), h.signature_input);
        assert_eq!(check(&target, &crowded, &h.signature), Ok(params(&alice())));
        let crowded = format!("m0=1, {crowded}");
        assert!(matches!(check(&target, &crowded, &h.signature), Err(HttpSigError::Malformed(_))));
        let params_many = format!("{};{}", h.signature, vec!["p=1"; STRUCTURED_MEMBERS_MAX + 1].join(";"));
        assert!(matches!(check(&target, &h.signature_input, &params_many), Err(HttpSigError::Malformed(_))));
    }

    #[test]
    fn bad_signature_values_fail() {
        let target = get();
        let h = signed(&target);
        let b64 = h.signature.trim_start_matches("ebl=:").trim_end_matches(':').to_string();
        // Missing `=` padding is accepted (RFC 8941 §4.2.7: parsers should not fail on it):
        // the bytes, and so the signature, are the same.
        let unpadded = format!("ebl=:{}:", b64.trim_end_matches('='));
        assert_eq!(check(&target, &h.signature_input, &unpadded), Ok(params(&alice())));
        for signature in [
            format!("ebl=:{}:", &b64[..b64.len() - 4]),
            format!("ebl=:{}", b64),
            format!("ebl={}", b64),
            format!("ebl=\"{}\"", b64),
            format!("ebl=:{}:;x=1", b64),
            format!("ebl=(:{}:)", b64),
            format!("ebl=:{}AAAA:", b64),
            format!("ebl=:{}:,", b64),
            format!("ebl=:{}: x", b64),
            "ebl=:!!:".to_string(),
            "ebl".to_string(),
        ] {
            assert!(
                matches!(check(&target, &h.signature_input, &signature), Err(HttpSigError::Malformed(_))),
                "{signature}"
            );
        }
        // Well-formed but wrong.
        let zeros = format!("ebl=:{}:", STANDARD.encode([0u8; 64]));
        assert_eq!(check(&target, &h.signature_input, &zeros), Err(HttpSigError::BadSignature));
    }

    #[test]
    fn garbage_and_overlong_headers_fail() {
        let target = get();
        let h = signed(&target);
        for garbage in [
            "\u{0}",
            "ebl=(\"@method\"",
            "ebl=(\"@method\" \"@authority\" \"@path\" \"@query\");created=",
            "EBL=()",
            "ebl=(\"\u{e9}\")",
            "ebl=\"\\x\"",
            "ebl=1234567890123456",
            "ebl=-",
            ",",
            "ebl=(),",
            "ebl=()\n",
            "ebl==",
        ] {
            assert!(
                matches!(check(&target, garbage, &h.signature), Err(HttpSigError::Malformed(_))),
                "{garbage:?}"
            );
            assert!(check(&target, &h.signature_input, garbage).is_err(), "{garbage:?}");
        }
        let long = format!("{}, x=\"{}\"", h.signature_input, "a".repeat(SIGNATURE_HEADER_BYTES_MAX));
        assert_eq!(check(&target, &long, &h.signature), Err(HttpSigError::TooLong));
        let long = format!("{}, x=\"{}\"", h.signature, "a".repeat(SIGNATURE_HEADER_BYTES_MAX));
        assert_eq!(check(&target, &h.signature_input, &long), Err(HttpSigError::TooLong));
        assert!(!digest_matches(&format!("{}, x={}", content_digest(BODY), "1".repeat(3000)), BODY));
        // Exactly at the limit is still parsed.
        let pad = SIGNATURE_HEADER_BYTES_MAX - h.signature_input.len() - ", x=\"\"".len();
        let at_limit = format!("{}, x=\"{}\"", h.signature_input, "a".repeat(pad));
        assert_eq!(at_limit.len(), SIGNATURE_HEADER_BYTES_MAX);
        assert!(check(&target, &at_limit, &h.signature).is_ok());
    }

    #[test]
    fn targets_that_would_make_the_base_ambiguous_are_refused() {
        let target = get();
        let h = signed(&target);
        let digest = format!("{}\n\"@path\": /x", content_digest(BODY));
        for bad in [
            RequestTarget { method: "GET\n", ..target },
            RequestTarget { method: "", ..target },
            RequestTarget { path: "/v1\n\"@query\": ?", ..target },
            RequestTarget { path: "v1/parties", ..target },
            RequestTarget { path: "/v1/part ies", ..target },
            RequestTarget { query: Some("a=1\r\nb"), ..target },
            RequestTarget { content_digest: Some(&digest), ..target },
        ] {
            assert!(
                matches!(check(&bad, &h.signature_input, &h.signature), Err(HttpSigError::BadTarget(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn params_validate_and_error_code() {
        let mut p = params(&alice());
        assert_eq!(p.validate(), Ok(()));
        p.nonce = "x".into();
        assert_eq!(p.validate(), Err(HttpSigError::BadNonce));
        p.nonce = NONCE.into();
        p.tag = "a\"b".into();
        assert_eq!(p.validate(), Err(HttpSigError::BadTag));
        p.tag = TAG.into();
        p.created_s = SF_INTEGER_MAX + 1;
        assert_eq!(p.validate(), Err(HttpSigError::BadCreated));
        assert_eq!(HttpSigError::TooLong.code(), "BAD_REQUEST_SIGNATURE");
        assert!(HttpSigError::WrongComponents.to_string().contains("content-digest"));
        assert!(HttpSigError::WrongComponents.to_string().contains("\"@authority\""));
    }

    fn valid_tag() -> impl Strategy<Value = String> {
        "[ !#-\\[\\]-~]{1,64}"
    }

    proptest! {
        #[test]
        fn arbitrary_headers_never_panic(input in ".{0,300}", signature in ".{0,300}") {
            let _ = check(&get(), &input, &signature);
            let _ = digest_matches(&input, signature.as_bytes());
        }

        #[test]
        fn structured_looking_headers_never_panic(
            input in "[a-z0-9 \t=(),;:\"\\\\?*.@+/-]{0,200}",
            signature in "[a-zA-Z0-9 =(),;:\"\\\\?*+/-]{0,200}",
        ) {
            let _ = check(&get(), &input, &signature);
            let _ = check(&get(), &format!("ebl={input}"), &format!("ebl={signature}"));
        }

        #[test]
        fn mutated_headers_never_panic_and_rarely_verify(
            at in 0usize..400, len in 0usize..8, insert in ".{0,8}", which in any::<bool>(),
        ) {
            let target = get();
            let h = signed(&target);
            let mutate = |s: &str| {
                let chars: Vec<char> = s.chars().collect();
                let at = at.min(chars.len());
                let end = (at + len).min(chars.len());
                let mut out: String = chars[..at].iter().collect();
                out.push_str(&insert);
                out.extend(&chars[end..]);
                out
            };
            let (input, signature) = if which {
                (mutate(&h.signature_input), h.signature.clone())
            } else {
                (h.signature_input.clone(), mutate(&h.signature))
            };
            if let Ok(p) = check(&target, &input, &signature) {
                // Only semantically equal headers (e.g. added whitespace) may still verify.
                prop_assert_eq!(p, params(&alice()));
            }
        }

        #[test]
        fn any_valid_request_round_trips(
            method in "[A-Z]{1,7}",
            authority in "[a-z0-9.-]{1,40}(:[0-9]{1,5})?|\\[[0-9a-f:]{2,39}\\](:[0-9]{1,5})?",
            path in "(/[a-zA-Z0-9_.~%-]{0,12}){1,4}",
            query in proptest::option::of("[a-zA-Z0-9=&%_.-]{0,30}"),
            body in proptest::option::of(proptest::collection::vec(any::<u8>(), 0..64)),
            created_s in 0..=SF_INTEGER_MAX,
            nonce in "[0-9a-zA-Z_-]{16,64}",
            tag in valid_tag(),
        ) {
            let digest = body.as_deref().map(content_digest);
            let target = RequestTarget {
                method: &method,
                authority: &authority,
                path: &path,
                query: query.as_deref(),
                content_digest: digest.as_deref(),
            };
            let params = SignatureParams { keyid: alice().party(), created_s, nonce, tag };
            prop_assert_eq!(params.validate(), Ok(()));
            let h = sign(&alice(), &target, &params);
            prop_assert_eq!(check(&target, &h.signature_input, &h.signature), Ok(params));
        }
    }
}
