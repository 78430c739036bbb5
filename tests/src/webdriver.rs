//! The browser of the web portal's tests: headless Chromium driven through `chromedriver` with
//! the [`fantoccini`] WebDriver client.
//!
//! [`Browser::start`] runs a `chromedriver` process on a free loopback port and opens one
//! headless Chromium session through it; the [`Browser`] is then a [`fantoccini::Client`] (it
//! dereferences to one), plus the few waits the tests need with a deadline and a message that
//! names what was awaited. Everything goes over plain HTTP to `127.0.0.1`, never anywhere else.
//!
//! Binaries: `chromedriver` comes from the `CHROMEDRIVER` environment variable, else from
//! `PATH`; Chromium from `CHROME_BIN`, else `/usr/bin/chromium`. On Debian both come with
//! `apt-get install chromium chromium-driver`.
//!
//! Every wait has a deadline, chromedriver bounds each script and page load, and dropping a
//! [`Browser`] kills its `chromedriver` and Chromium (they run in a process group of their own:
//! killing chromedriver alone would orphan the browser), so a failing test can neither hang nor
//! leave processes behind. [`Browser::quit`] is the clean way out: it also lets chromedriver
//! remove Chromium's temporary profile.

use std::ffi::OsString;
use std::ops::Deref;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
pub use fantoccini::elements::Element;
pub use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use tokio::time::{sleep, timeout, Instant};

/// Window size of a fresh session: a desktop.
const DESKTOP: (u32, u32) = (1280, 900);
/// Bound on each request of the launcher to chromedriver (its status, its shutdown), and on
/// opening and closing the session.
const HTTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on chromedriver answering `/status` as ready after it was started.
const DRIVER_READY: Duration = Duration::from_secs(20);
/// How many times chromedriver is started (on a fresh port each time) before giving up.
const DRIVER_ATTEMPTS: usize = 3;
/// How long [`Browser::quit`] lets chromedriver close Chromium and exit before killing both.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// Polling interval of every wait.
const POLL: Duration = Duration::from_millis(100);
/// Script and page-load timeouts of the session: a slow script or page is reported by WebDriver
/// itself instead of holding a test.
const SESSION_TIMEOUT_MS: u64 = 25_000;
/// Where Chromium is looked for when `CHROME_BIN` is not set.
const DEFAULT_CHROME: &str = "/usr/bin/chromium";
const INSTALL_HINT: &str =
    "install Chromium and its driver (Debian: `apt-get install chromium chromium-driver`)";

/// One headless Chromium session (a [`fantoccini::Client`]), and the `chromedriver` process
/// that serves it.
#[derive(Debug)]
pub struct Browser {
    client: Client,
    /// `http://127.0.0.1:N`, chromedriver itself.
    base: String,
    http: reqwest::Client,
    driver: DriverProcess,
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
        let options = json!({
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
        });
        let mut capabilities = fantoccini::wd::Capabilities::new();
        capabilities.insert("browserName".into(), json!("chrome"));
        capabilities.insert(
            "timeouts".into(),
            json!({ "script": SESSION_TIMEOUT_MS, "pageLoad": SESSION_TIMEOUT_MS, "implicit": 0 }),
        );
        capabilities.insert("goog:chromeOptions".into(), options);
        // Plain HTTP to 127.0.0.1: no TLS.
        let mut connector = hyper_util::client::legacy::connect::HttpConnector::new();
        connector.set_connect_timeout(Some(HTTP_TIMEOUT));
        let session =
            fantoccini::ClientBuilder::new(connector).capabilities(capabilities).connect(&base).await;
        // `driver` is dropped (killed) if the session cannot be created.
        let client = session.with_context(|| format!("starting Chromium ({})", chrome.display()))?;
        Ok(Browser { client, base, http, driver })
    }

    /// Polls (every 100 ms) until an element matching the CSS selector is present and
    /// displayed.
    pub async fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.client.find(Locator::Css(css)).await {
                Ok(element) => match element.is_displayed().await {
                    Ok(true) => return Ok(element),
                    Ok(false) => "present but not displayed".to_string(),
                    Err(e) => e.to_string(),
                },
                Err(e) => e.to_string(),
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
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => match element.text().await {
                    Ok(text) if text.contains(needle) => return Ok(text),
                    Ok(text) => last_text = Some(text),
                    Err(e) => last_error = e.to_string(),
                },
                Err(e) => last_error = e.to_string(),
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

    /// Takes a screenshot of the viewport and writes it to `path` as PNG.
    pub async fn save_screenshot(&self, path: &Path) -> Result<()> {
        let png = self.client.screenshot().await.context("taking a screenshot")?;
        std::fs::write(path, png).with_context(|| format!("writing {}", path.display()))
    }

    /// Closes the session (and Chromium) and stops `chromedriver`: politely first, so that it
    /// removes Chromium's temporary profile, then by killing whatever is left.
    pub async fn quit(mut self) -> Result<()> {
        let closed = timeout(HTTP_TIMEOUT, self.client.clone().close()).await;
        // chromedriver's own command: exit once the browsers are closed. The answer may never
        // come (it is exiting); only the exit counts.
        let _ = self.http.get(format!("{}/shutdown", self.base)).send().await;
        self.driver.wait_exit(SHUTDOWN_GRACE).await;
        self.driver.kill();
        match closed {
            Ok(result) => result.context("closing the WebDriver session"),
            Err(_) => Err(anyhow!("closing the WebDriver session took more than {HTTP_TIMEOUT:?}")),
        }
    }
}

impl Deref for Browser {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        self.driver.kill();
    }
}

/// `element` as an argument of [`Client::execute`] (`arguments[i]` is then the DOM element).
pub fn arg(element: &Element) -> Result<Value> {
    serde_json::to_value(element).context("an element as a script argument")
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
    let deadline = Instant::now() + DRIVER_READY;
    let mut last = String::from("no answer yet");
    loop {
        if let Some(status) = driver.exited() {
            bail!("chromedriver on port {port} exited ({status}); last: {last}");
        }
        match ready(http, &base).await {
            Ok(true) => return Ok((driver, base)),
            Ok(false) => last = "not ready".to_string(),
            Err(e) => last = format!("{e:#}"),
        }
        if Instant::now() >= deadline {
            // `driver` is dropped (killed) here.
            bail!("chromedriver on port {port} not ready after {DRIVER_READY:?}; last: {last}");
        }
        sleep(POLL).await;
    }
}

/// Whether chromedriver at `base` says it is ready (`GET /status`, `value.ready`).
async fn ready(http: &reqwest::Client, base: &str) -> Result<bool> {
    let answer: Value = http.get(format!("{base}/status")).send().await?.json().await?;
    Ok(answer["value"]["ready"].as_bool() == Some(true))
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
