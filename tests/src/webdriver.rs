//! A minimal W3C WebDriver client for the browser tests of the node's web portal.
//!
//! [`Browser::start`] runs a `chromedriver` process on a free loopback port and opens one
//! headless Chromium session through it; [`Browser`] and [`Element`] then speak the W3C
//! WebDriver protocol (JSON over plain HTTP to `127.0.0.1`, never anything else) for the few
//! commands the portal tests need: navigate, find, wait, type, upload a file, click, run a
//! script, resize the window to a phone's width and take a screenshot.
//!
//! Binaries: `chromedriver` comes from the `CHROMEDRIVER` environment variable, else from
//! `PATH`; Chromium from `CHROME_BIN`, else `/usr/bin/chromium`. On Debian both come with
//! `apt-get install chromium chromium-driver`.
//!
//! Every HTTP request has a timeout, every wait a deadline, and dropping a [`Browser`] kills
//! its `chromedriver` and Chromium (they run in a process group of their own: killing
//! chromedriver alone would orphan the browser), so a failing test can neither hang nor leave
//! processes behind. [`Browser::quit`] is the clean way out: it also lets chromedriver remove
//! Chromium's temporary profile.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine as _;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::time::{sleep, Instant};

/// The key under which WebDriver carries an element's id: the W3C "web element identifier"
/// as the specification defines it, and as chromedriver answers.
pub const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Window size of a fresh session: a desktop.
const DESKTOP: (u32, u32) = (1280, 900);
/// Bound on every HTTP request to chromedriver.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on chromedriver answering `/status` as ready after it was started.
const DRIVER_READY: Duration = Duration::from_secs(20);
/// How many times chromedriver is started (on a fresh port each time) before giving up.
const DRIVER_ATTEMPTS: usize = 3;
/// How long [`Browser::quit`] lets chromedriver close Chromium and exit before killing both.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Polling interval of every wait.
const POLL: Duration = Duration::from_millis(100);
/// Script and page-load timeouts of the session: below [`HTTP_TIMEOUT`], so that a slow script
/// or page is reported by WebDriver itself rather than as a bare HTTP timeout.
const SESSION_TIMEOUT_MS: u64 = 25_000;
/// Where Chromium is looked for when `CHROME_BIN` is not set.
const DEFAULT_CHROME: &str = "/usr/bin/chromium";
const INSTALL_HINT: &str =
    "install Chromium and its driver (Debian: `apt-get install chromium chromium-driver`)";

/// One headless Chromium session, and the `chromedriver` process that serves it.
#[derive(Debug)]
pub struct Browser {
    session: Session,
    /// `http://127.0.0.1:N`, chromedriver itself.
    base: String,
    driver: DriverProcess,
}

/// An element of the current page, as found by [`Browser::find`] or [`Browser::wait_for`].
#[derive(Debug, Clone)]
pub struct Element {
    session: Session,
    id: String,
}

/// The HTTP client and the URL of one WebDriver session (`http://127.0.0.1:N/session/ID`).
#[derive(Debug, Clone)]
struct Session {
    http: reqwest::Client,
    url: String,
}

/// The `chromedriver` child process, leader of a process group that Chromium joins; the whole
/// group is killed (and chromedriver reaped) when dropped.
#[derive(Debug)]
struct DriverProcess {
    child: Option<Child>,
}

impl DriverProcess {
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // The group id is chromedriver's pid (`process_group(0)` in `start_driver`).
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Waits (at most `grace`) for the process to exit by itself.
    async fn wait_exit(&mut self, grace: Duration) {
        let deadline = Instant::now() + grace;
        while self.child.is_some() && self.exited().is_none() && Instant::now() < deadline {
            sleep(POLL).await;
        }
    }

    /// `Some(description)` if the process has already exited.
    fn exited(&mut self) -> Option<String> {
        let child = self.child.as_mut()?;
        match child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("cannot be waited for: {e}")),
        }
    }
}

impl Drop for DriverProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Browser {
    /// Starts `chromedriver` on a free loopback port and opens a headless Chromium session with
    /// a 1280x900 window, in US English.
    pub async fn start() -> Result<Browser> {
        Browser::start_in("en-US").await
    }

    /// [`Browser::start`], with `language` (a BCP 47 tag, e.g. `zh-CN`) as the browser's
    /// language: its interface and `navigator.languages`.
    pub async fn start_in(language: &str) -> Result<Browser> {
        let chromedriver = find_chromedriver()?;
        let chrome = find_chrome()?;
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            // Loopback only: a proxy from the environment must never see these requests.
            .no_proxy()
            .build()
            .context("building the HTTP client for chromedriver")?;

        let mut failures = Vec::new();
        let mut started = None;
        for attempt in 1..=DRIVER_ATTEMPTS {
            match start_driver(&http, &chromedriver).await {
                Ok(ok) => {
                    started = Some(ok);
                    break;
                }
                Err(e) => failures.push(format!("attempt {attempt}: {e:#}")),
            }
        }
        let Some((driver, base)) = started else {
            bail!("chromedriver ({}) did not come up: {}", chromedriver.display(), failures.join("; "));
        };

        let (w, h) = DESKTOP;
        let capabilities = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "timeouts": {
                        "script": SESSION_TIMEOUT_MS,
                        "pageLoad": SESSION_TIMEOUT_MS,
                        "implicit": 0,
                    },
                    "goog:chromeOptions": {
                        "binary": chrome.to_string_lossy(),
                        "args": [
                            "--headless=new",
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-dev-shm-usage",
                            format!("--window-size={w},{h}"),
                            format!("--lang={language}"),
                        ],
                        "prefs": { "intl.accept_languages": language },
                    },
                },
            },
        });
        // `driver` is dropped (killed) if the session cannot be created.
        let value = send(&http, Method::POST, &format!("{base}/session"), Some(capabilities), "new session")
            .await
            .with_context(|| format!("starting Chromium ({})", chrome.display()))?;
        let id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("WebDriver new session: no sessionId in {value}"))?;
        Ok(Browser { session: Session { http, url: format!("{base}/session/{id}") }, base, driver })
    }

    /// Navigates to `url` and waits for the page to load.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.session
            .post("/url", json!({ "url": url }), "navigate to")
            .await
            .with_context(|| format!("loading {url}"))?;
        Ok(())
    }

    /// The first element matching the CSS selector; fails at once if there is none.
    pub async fn find(&self, css: &str) -> Result<Element> {
        let value = self
            .session
            .post("/element", json!({ "using": "css selector", "value": css }), "find element")
            .await
            .with_context(|| format!("finding {css:?}"))?;
        Element::from_reference(self.session.clone(), &value)
    }

    /// Polls (every 100 ms) until an element matching the CSS selector is present and
    /// displayed.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.find(css).await {
                Ok(element) => match element.is_displayed().await {
                    Ok(true) => return Ok(element),
                    Ok(false) => "present but not displayed".to_string(),
                    Err(e) => format!("{e:#}"),
                },
                Err(e) => format!("{e:#}"),
            };
            if Instant::now() >= deadline {
                bail!("timed out after {timeout:?} waiting for {css:?} to be displayed; last: {last}");
            }
            sleep(POLL).await;
        }
    }

    /// Polls (every 100 ms) until the text of the element matching the CSS selector contains
    /// `needle`; returns the whole text.
    pub async fn wait_for_text(&self, css: &str, needle: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        let mut last_text: Option<String> = None;
        let mut last_error = String::new();
        loop {
            match self.find(css).await {
                Ok(element) => match element.text().await {
                    Ok(text) if text.contains(needle) => return Ok(text),
                    Ok(text) => last_text = Some(text),
                    Err(e) => last_error = format!("{e:#}"),
                },
                Err(e) => last_error = format!("{e:#}"),
            }
            if Instant::now() >= deadline {
                let seen = match &last_text {
                    Some(text) => format!("last text seen: {text:?}"),
                    None => format!("no text seen (last error: {last_error})"),
                };
                bail!("timed out after {timeout:?} waiting for {css:?} to contain {needle:?}; {seen}");
            }
            sleep(POLL).await;
        }
    }

    /// Runs `script` as the body of a function called with `args` (`arguments[i]`); returns
    /// what it returns. Pass elements with [`Element::to_arg`].
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.session.post("/execute/sync", json!({ "script": script, "args": args }), "execute script").await
    }

    /// Like [`Browser::execute`], but the script ends by calling its last argument (a callback)
    /// with the result, which may happen later (after a timer, a promise, a fetch).
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.session
            .post("/execute/async", json!({ "script": script, "args": args }), "execute async script")
            .await
    }

    /// Resizes the window (e.g. 390x844 for a phone).
    pub async fn set_window_size(&self, width: u32, height: u32) -> Result<()> {
        self.session
            .post("/window/rect", json!({ "width": width, "height": height }), "set window rect")
            .await?;
        Ok(())
    }

    /// Takes a screenshot of the viewport and writes it to `path` as PNG.
    pub async fn screenshot(&self, path: &Path) -> Result<()> {
        let value = self.session.get("/screenshot", "take screenshot").await?;
        let encoded = value
            .as_str()
            .ok_or_else(|| anyhow!("WebDriver take screenshot: expected a base64 string, got {value}"))?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .context("WebDriver take screenshot: invalid base64")?;
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }

    /// The URL of the current page.
    pub async fn url(&self) -> Result<String> {
        let value = self.session.get("/url", "get current url").await?;
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("WebDriver get current url: expected a string, got {value}"))
    }

    /// Closes the session (and Chromium) and stops `chromedriver`: politely first, so that it
    /// removes Chromium's temporary profile, then by killing whatever is left.
    pub async fn quit(mut self) -> Result<()> {
        let deleted =
            send(&self.session.http, Method::DELETE, &self.session.url, None, "delete session").await;
        // chromedriver's own command: exit once the browsers are closed. The answer may never
        // come (it is exiting); only the exit counts.
        let shutdown = format!("{}/shutdown", self.base);
        let _ = send(&self.session.http, Method::GET, &shutdown, None, "shutdown").await;
        self.driver.wait_exit(SHUTDOWN_GRACE).await;
        self.driver.kill();
        deleted.map(drop)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.driver.kill();
    }
}

impl Element {
    fn from_reference(session: Session, value: &Value) -> Result<Element> {
        let id = value
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("WebDriver: not an element reference: {value}"))?;
        Ok(Element { session, id: id.to_owned() })
    }

    /// The element as an argument of [`Browser::execute`] (`arguments[i]` is then the DOM
    /// element).
    pub fn to_arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }

    fn path(&self, command: &str) -> String {
        format!("/element/{}{command}", encode_segment(&self.id))
    }

    pub async fn click(&self) -> Result<()> {
        self.session.post(&self.path("/click"), json!({}), "element click").await?;
        Ok(())
    }

    /// Types `text` into the element; for `<input type=file>`, `text` is the absolute path of
    /// the file to upload.
    pub async fn send_keys(&self, text: &str) -> Result<()> {
        self.session.post(&self.path("/value"), json!({ "text": text }), "element send keys").await?;
        Ok(())
    }

    pub async fn clear(&self) -> Result<()> {
        self.session.post(&self.path("/clear"), json!({}), "element clear").await?;
        Ok(())
    }

    /// The rendered text of the element.
    pub async fn text(&self) -> Result<String> {
        let value = self.session.get(&self.path("/text"), "get element text").await?;
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("WebDriver get element text: expected a string, got {value}"))
    }

    /// The DOM property `name` (e.g. `value`, `checked`, `disabled`): `None` if it is null or
    /// undefined, a string as is, anything else as JSON text (`true`, `3`).
    pub async fn attribute(&self, name: &str) -> Result<Option<String>> {
        let path = self.path(&format!("/property/{}", encode_segment(name)));
        let value = self
            .session
            .get(&path, "get element property")
            .await
            .with_context(|| format!("reading property {name:?}"))?;
        Ok(match value {
            Value::Null => None,
            Value::String(s) => Some(s),
            other => Some(other.to_string()),
        })
    }

    /// Selects the option with value `value` of a `<select>`: sets `.value` and dispatches
    /// `input` and `change` events as a user's choice would.
    pub async fn select_by_value(&self, value: &str) -> Result<()> {
        const SCRIPT: &str = r#"
            const [select, value] = arguments;
            if (!(select instanceof HTMLSelectElement)) {
                throw new Error("not a <select>: <" + select.tagName.toLowerCase() + ">");
            }
            if (!Array.from(select.options).some((o) => o.value === value)) {
                throw new Error("no <option> with value " + JSON.stringify(value));
            }
            select.value = value;
            select.dispatchEvent(new Event("input", { bubbles: true }));
            select.dispatchEvent(new Event("change", { bubbles: true }));
        "#;
        self.session
            .post(
                "/execute/sync",
                json!({ "script": SCRIPT, "args": [self.to_arg(), value] }),
                "select by value",
            )
            .await
            .with_context(|| format!("selecting {value:?}"))?;
        Ok(())
    }

    async fn is_displayed(&self) -> Result<bool> {
        let value = self.session.get(&self.path("/displayed"), "is element displayed").await?;
        value
            .as_bool()
            .ok_or_else(|| anyhow!("WebDriver is element displayed: expected a boolean, got {value}"))
    }
}

impl Session {
    async fn get(&self, path: &str, command: &str) -> Result<Value> {
        send(&self.http, Method::GET, &format!("{}{path}", self.url), None, command).await
    }

    async fn post(&self, path: &str, body: Value, command: &str) -> Result<Value> {
        send(&self.http, Method::POST, &format!("{}{path}", self.url), Some(body), command).await
    }
}

/// Sends one WebDriver command and returns the `value` of its answer; a WebDriver error
/// (`value.error`, `value.message`) becomes an error naming `command`.
async fn send(
    http: &reqwest::Client,
    method: Method,
    url: &str,
    body: Option<Value>,
    command: &str,
) -> Result<Value> {
    let mut request = http.request(method, url);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response =
        request.send().await.with_context(|| format!("WebDriver {command}: request to {url} failed"))?;
    let status = response.status();
    let text =
        response.text().await.with_context(|| format!("WebDriver {command}: reading the answer failed"))?;
    let answer: Value = serde_json::from_str(&text)
        .map_err(|_| anyhow!("WebDriver {command}: HTTP {status}, not JSON: {}", truncate(&text, 300)))?;
    let value = answer.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        bail!("WebDriver {command} failed: {error}: {}", truncate(message, 1000));
    }
    if !status.is_success() {
        bail!("WebDriver {command}: HTTP {status}: {}", truncate(&text, 300));
    }
    Ok(value)
}

/// Starts chromedriver on a free port and waits until it is ready; returns the process and its
/// base URL.
async fn start_driver(http: &reqwest::Client, chromedriver: &Path) -> Result<(DriverProcess, String)> {
    let port = {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))
            .context("binding 127.0.0.1:0 to find a free port")?;
        listener.local_addr()?.port()
    };
    let child = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        // A new process group, inherited by Chromium, so that `DriverProcess::kill` reaches both.
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("running {}", chromedriver.display()))?;
    let mut driver = DriverProcess { child: Some(child) };
    let base = format!("http://127.0.0.1:{port}");
    let status_url = format!("{base}/status");
    let deadline = Instant::now() + DRIVER_READY;
    let mut last = String::from("no answer yet");
    loop {
        if let Some(status) = driver.exited() {
            bail!("chromedriver on port {port} exited ({status}); last: {last}");
        }
        match send(http, Method::GET, &status_url, None, "status").await {
            Ok(value) if value.get("ready").and_then(Value::as_bool) == Some(true) => {
                return Ok((driver, base));
            }
            Ok(value) => last = format!("not ready: {value}"),
            Err(e) => last = format!("{e:#}"),
        }
        if Instant::now() >= deadline {
            // `driver` is dropped (killed) here.
            bail!("chromedriver on port {port} not ready after {DRIVER_READY:?}; last: {last}");
        }
        sleep(POLL).await;
    }
}

fn find_chromedriver() -> Result<PathBuf> {
    match std::env::var_os("CHROMEDRIVER") {
        Some(value) => find_program(&value).ok_or_else(|| {
            anyhow!("chromedriver not found: CHROMEDRIVER={:?} is not a file; {INSTALL_HINT}", value)
        }),
        None => find_program(&OsString::from("chromedriver")).ok_or_else(|| {
            anyhow!("chromedriver not found on PATH (set CHROMEDRIVER to its path, or {INSTALL_HINT})")
        }),
    }
}

fn find_chrome() -> Result<PathBuf> {
    let (value, from) = match std::env::var_os("CHROME_BIN") {
        Some(value) => (value, "CHROME_BIN"),
        None => (OsString::from(DEFAULT_CHROME), "the default"),
    };
    find_program(&value).ok_or_else(|| {
        anyhow!(
            "Chromium not found: {value:?} ({from}) is not a file \
             (set CHROME_BIN to its path, or {INSTALL_HINT})"
        )
    })
}

/// `name` itself if it is a path to a file, else (for a bare name) the first match on `PATH`.
fn find_program(name: &OsString) -> Option<PathBuf> {
    let path = PathBuf::from(name);
    if path.components().count() > 1 || path.is_absolute() {
        return path.is_file().then_some(path);
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs).map(|dir| dir.join(&path)).find(|candidate| candidate.is_file())
}

/// Percent-encodes everything but RFC 3986 unreserved characters, for one URL path segment.
fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
