//! Self-test of the portal tests' browser (`ebl_tests::webdriver`: chromedriver started here,
//! driven with fantoccini) against headless Chromium: a `data:` page with a form, typing, a file upload, a click, waits, scripts, a phone-sized
//! window and a screenshot. Needs `chromium` and `chromedriver` (Debian: `apt-get install
//! chromium chromium-driver`).

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use ebl_tests::webdriver::{arg, Browser, Locator};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);
const PNG_MAGIC: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>webdriver self-test</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body>
<form id="f" onsubmit="return false">
  <input id="name" type="text">
  <input id="file" type="file">
  <select id="kind"><option value="bol">Bill of lading</option><option value="sw">Sea waybill</option></select>
  <button id="go" type="button">Go</button>
</form>
<p id="kind-out"></p>
<p id="out"></p>
<script>
  document.getElementById("kind").addEventListener("change", (e) => {
    document.getElementById("kind-out").textContent = "kind=" + e.target.value;
  });
  document.getElementById("go").addEventListener("click", () => {
    const name = document.getElementById("name").value;
    const file = document.getElementById("file").files[0];
    const out = document.getElementById("out");
    if (!file) { out.textContent = "name=" + name + "; no file"; return; }
    const reader = new FileReader();
    reader.onload = () => {
      out.textContent = "name=" + name + "; file=" + file.name + "; content=" + reader.result;
    };
    reader.readAsText(file);
  });
</script>
</body></html>"#;

/// `data:text/html,` URL of `html`, percent-encoded (`#` and `%` would otherwise break it).
fn data_url(html: &str) -> String {
    let mut url = String::from("data:text/html;charset=utf-8,");
    for byte in html.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            url.push(char::from(byte));
        } else {
            url.push_str(&format!("%{byte:02X}"));
        }
    }
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webdriver_drives_headless_chromium() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let upload = dir.path().join("manifest.txt");
    std::fs::write(&upload, "hello from a file")?;

    let browser = Browser::start().await?;
    let result = scenario(&browser, dir.path(), &upload).await;
    let quit = browser.quit().await;
    result?;
    quit.context("quitting the browser")
}

async fn scenario(browser: &Browser, dir: &std::path::Path, upload: &std::path::Path) -> Result<()> {
    browser.goto(&data_url(PAGE)).await?;
    ensure!(browser.current_url().await?.as_str().starts_with("data:text/html"), "url after goto");

    // The desktop size a session starts with.
    let width = browser.execute("return window.innerWidth;", vec![]).await?;
    ensure!(width == json!(1280), "desktop innerWidth is {width}");

    // find: at once, and failing at once for an absent element.
    ensure!(browser.find(Locator::Css("#no-such-element")).await.is_err(), "find of an absent element");
    let name = browser.wait_for("#name", WAIT).await?;
    name.send_keys("wrong").await?;
    name.clear().await?;
    name.send_keys("Maersk Line").await?;
    ensure!(name.prop("value").await? == Some("Maersk Line".to_string()), "value property after typing");
    ensure!(name.prop("noSuchProperty").await?.is_none(), "undefined property");
    ensure!(
        browser.find(Locator::Css("#go")).await?.prop("disabled").await? == Some("false".to_string()),
        "a boolean property comes back as JSON text"
    );

    // Upload: the absolute path of a file sent to <input type=file>.
    let upload_path = upload.to_str().context("temp path is not UTF-8")?;
    browser.find(Locator::Css("#file")).await?.send_keys(upload_path).await?;

    browser.find(Locator::Css("#kind")).await?.select_by_value("sw").await?;
    browser.wait_for_text("#kind-out", "kind=sw", WAIT).await?;
    ensure!(
        browser.find(Locator::Css("#kind")).await?.select_by_value("nope").await.is_err(),
        "selecting a value no option has"
    );

    browser.find(Locator::Css("#go")).await?.click().await?;
    let text = browser.wait_for_text("#out", "content=", WAIT).await?;
    ensure!(
        text == "name=Maersk Line; file=manifest.txt; content=hello from a file",
        "unexpected output {text:?}"
    );

    // A timeout names the selector, the needle and the last text seen.
    let err = browser
        .wait_for_text("#out", "never there", Duration::from_millis(300))
        .await
        .err()
        .context("wait_for_text should have timed out")?;
    let msg = format!("{err:#}");
    ensure!(
        msg.contains("#out") && msg.contains("never there") && msg.contains("content=hello from a file"),
        "timeout message: {msg}"
    );

    // Scripts return JS values; elements go in as arguments.
    let out = browser.find(Locator::Css("#out")).await?;
    let value = browser
        .execute(
            "return [arguments[0] + 1, document.title, { ok: true }, arguments[1].id];",
            vec![json!(41), arg(&out)?],
        )
        .await?;
    ensure!(value == json!([42, "webdriver self-test", { "ok": true }, "out"]), "execute returned {value}");
    let value = browser
        .execute_async("const [n, done] = arguments; setTimeout(() => done(n * 2), 50);", vec![json!(21)])
        .await?;
    ensure!(value == json!(42), "execute_async returned {value}");
    let err = browser
        .execute("throw new Error('boom');", vec![])
        .await
        .err()
        .context("a throwing script should fail")?;
    ensure!(format!("{err:#}").contains("boom"), "the error carries the script's: {err:#}");

    // Phone width, then a screenshot.
    browser.set_window_size(390, 844).await?;
    let width = browser.execute("return window.innerWidth;", vec![]).await?;
    ensure!(width == json!(390), "phone innerWidth is {width}");
    let shot = dir.join("phone.png");
    browser.save_screenshot(&shot).await?;
    let png = std::fs::read(&shot)?;
    ensure!(png.len() > 24 && png[..8] == PNG_MAGIC, "not a PNG ({} bytes)", png.len());
    let png_width = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
    ensure!(png_width == 390, "screenshot is {png_width} px wide");
    Ok(())
}
