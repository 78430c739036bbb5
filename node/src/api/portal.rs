//! The web portal (`/`): static pages built into the binary that run in the user's browser over
//! this REST API — no CDN, no build step, nothing to install. Keys never leave the browser; the
//! node serves files and answers the same routes as for any other client.
//!
//! Every answer carries a strict Content-Security-Policy: scripts and styles only from this
//! node, no inline script, no framing, requests only back to this node.

use axum::extract::Path;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::{not_found, ApiError};

/// The files under `/portal/`, with their media types.
const ASSETS: &[(&str, &str, &str)] = &[
    ("actions.js", "text/javascript; charset=utf-8", include_str!("../../portal/actions.js")),
    ("app.js", "text/javascript; charset=utf-8", include_str!("../../portal/app.js")),
    ("i18n.js", "text/javascript; charset=utf-8", include_str!("../../portal/i18n.js")),
    ("ledger.js", "text/javascript; charset=utf-8", include_str!("../../portal/ledger.js")),
    ("proof.js", "text/javascript; charset=utf-8", include_str!("../../portal/proof.js")),
    ("release.js", "text/javascript; charset=utf-8", include_str!("../../portal/release.js")),
    ("session.js", "text/javascript; charset=utf-8", include_str!("../../portal/session.js")),
    ("signing.js", "text/javascript; charset=utf-8", include_str!("../../portal/signing.js")),
    ("style.css", "text/css; charset=utf-8", include_str!("../../portal/style.css")),
    ("tx.js", "text/javascript; charset=utf-8", include_str!("../../portal/tx.js")),
];

const INDEX: &str = include_str!("../../portal/index.html");

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn page(content_type: &'static str, body: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Built into the binary: a new node version is a new page; revalidate each load.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /`: the portal's single page.
pub async fn index() -> Response {
    page("text/html; charset=utf-8", INDEX)
}

/// `GET /portal/{file}`: a script or style sheet of the portal.
pub async fn asset(Path(file): Path<String>) -> Result<Response, ApiError> {
    ASSETS
        .iter()
        .find(|(name, _, _)| *name == file)
        .map(|(_, content_type, body)| page(content_type, body))
        .ok_or_else(|| not_found("NO_SUCH_ASSET", format!("no portal file {file:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_the_page_loads_is_served() {
        for name in ["app.js", "style.css"] {
            assert!(INDEX.contains(&format!("/portal/{name}")), "{name}");
        }
        // Every module an asset imports is an asset itself.
        // An import may span lines (`import {` … `} from './x.js';`): every `from './…'` counts.
        for (_, _, body) in ASSETS {
            for rest in body.split("from './").skip(1) {
                let file = rest.split('\'').next().unwrap_or_default();
                assert!(ASSETS.iter().any(|(name, _, _)| *name == file), "{file}");
            }
        }
    }
}
