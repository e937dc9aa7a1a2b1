//! A real headless Chromium, driven through ChromeDriver (Debian's `chromium` and
//! `chromium-driver`), for the desk's and GraphiQL's tests. Each browser gets its own
//! driver on a free port and a fresh profile; background networking is off, so the only
//! requests the pages make are the ones the tests look at.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(15);

pub struct Browser {
    pub client: Client,
    driver: Child,
    driver_url: String,
    http: reqwest::Client,
}

fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .unwrap()
}

impl Browser {
    /// A headless Chromium with a window of `width` × `height`.
    pub async fn start(width: u32, height: u32) -> Browser {
        let port = free_port();
        let driver = Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ChromeDriver starts");
        let driver_url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + WAIT;
        while http
            .get(format!("{driver_url}/status"))
            .send()
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "ChromeDriver did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned()),
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    format!("--window-size={width},{height}"), "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--disable-default-apps", "--disable-extensions",
                ],
            }),
        );
        capabilities.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver_url)
            .await
            .expect("a Chromium session");
        Browser {
            client,
            driver,
            driver_url,
            http,
        }
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
    }

    /// Types `text` into the element matching `css`, finding it again if the page
    /// re-rendered it meanwhile (a live update).
    pub async fn type_into(&self, css: &str, text: &str) {
        self.retrying(css, |element| async move { element.send_keys(text).await })
            .await;
    }

    /// Clicks the element matching `css`, finding it again if the page re-rendered it.
    pub async fn click_on(&self, css: &str) {
        self.retrying(css, |element| async move { element.click().await })
            .await;
    }

    async fn retrying<F, O>(&self, css: &str, act: impl Fn(Element) -> F)
    where
        F: std::future::Future<Output = Result<O, fantoccini::error::CmdError>>,
    {
        let deadline = Instant::now() + WAIT;
        loop {
            match act(self.find(css).await).await {
                Ok(_) => return,
                // Replaced, or not laid out yet, by a re-render: find it again.
                Err(error)
                    if (error.to_string().contains("stale element")
                        || error.to_string().contains("not interactable"))
                        && Instant::now() < deadline =>
                {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(error) => panic!("{css}: {error}"),
            }
        }
    }

    /// Whether the page has an element matching `css` now.
    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap()
            .is_empty()
    }

    /// Waits until the text of the first element matching `css` contains `needle`;
    /// returns that text.
    pub async fn text_containing(&self, css: &str, needle: &str) -> String {
        self.text_where(css, &format!("contains {needle:?}"), |text| {
            text.contains(needle)
        })
        .await
    }

    /// Waits until the text of the first element matching `css` no longer contains
    /// `needle`; returns that text.
    pub async fn text_without(&self, css: &str, needle: &str) -> String {
        self.text_where(css, &format!("lacks {needle:?}"), |text| {
            !text.contains(needle)
        })
        .await
    }

    async fn text_where(&self, css: &str, wanted: &str, holds: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let text = self.text(css).await;
            if holds(&text) {
                return text;
            }
            if Instant::now() >= deadline {
                let status = self.text("#status").await;
                panic!("{css} never {wanted}; it shows {text:?} (status line: {status:?})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The text of the first element matching `css` (empty when there is none).
    pub async fn text(&self, css: &str) -> String {
        let value = self
            .script(
                "const e = document.querySelector(arguments[0]); return e ? e.innerText : '';",
                vec![json!(css)],
            )
            .await;
        value.as_str().unwrap_or_default().to_owned()
    }

    pub async fn script(&self, script: &str, arguments: Vec<Value>) -> Value {
        self.client.execute(script, arguments).await.unwrap()
    }

    pub async fn script_async(&self, script: &str, arguments: Vec<Value>) -> Value {
        self.client.execute_async(script, arguments).await.unwrap()
    }

    /// Messages the pages logged as errors (uncaught exceptions, failed loads, CSP
    /// refusals, `console.error`) since the last call.
    pub async fn console_errors(&self) -> Vec<String> {
        let session = self.client.session_id().await.unwrap().unwrap();
        let logs: Value = self
            .http
            .post(format!("{}/session/{session}/se/log", self.driver_url))
            .json(&json!({ "type": "browser" }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        logs["value"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// Writes a PNG of the window to `$CLAIMTRACK_SCREENSHOTS/<name>.png` when that
    /// folder is given.
    pub async fn screenshot(&self, name: &str) {
        let Some(folder) = std::env::var_os("CLAIMTRACK_SCREENSHOTS") else {
            return;
        };
        self.script("window.scrollTo(0, 0);", vec![]).await;
        let png = self.client.screenshot().await.unwrap();
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            std::path::Path::new(&folder).join(format!("{name}.png")),
            png,
        )
        .unwrap();
    }

    /// Every resource the page loaded, by URL.
    pub async fn resources(&self) -> Vec<String> {
        let value = self
            .script(
                "return performance.getEntriesByType('resource').map(e => e.name);",
                vec![],
            )
            .await;
        value
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
