//! The desk's first meaningful paint, measured in a real headless Chromium (Debian's
//! `chromium` and `chromium-driver`): from navigation to the queue's first page of claims
//! on screen (the desk marks that moment as `desk:queue-shown`), signed in, with a cold
//! cache (a fresh browser profile per load).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::ClientBuilder;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// One load's figures, in milliseconds from navigation start.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    /// The first text or image on screen (the page's frame).
    pub first_contentful: f64,
    /// The queue's first page of claims on screen.
    pub queue_shown: f64,
}

/// ChromeDriver's path (`CHROMEDRIVER`, else Debian's).
fn chromedriver() -> String {
    std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned())
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `loads` cold loads of the desk at `address`, signed in with `key`; `None` when
/// ChromeDriver is not installed.
pub async fn first_paint(
    address: &str,
    key: &str,
    loads: usize,
) -> anyhow::Result<Option<Vec<Paint>>> {
    if !std::path::Path::new(&chromedriver()).exists() {
        return Ok(None);
    }
    claimtrack::startup::install_tls_provider();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let _driver = Driver(
        Command::new(chromedriver())
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let driver_url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(15);
    while reqwest::get(format!("{driver_url}/status")).await.is_err() {
        if Instant::now() > deadline {
            anyhow::bail!("ChromeDriver did not start");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut paints = Vec::new();
    for _ in 0..loads {
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned()),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,800", "--no-first-run", "--disable-background-networking",
                         "--disable-extensions"],
            }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver_url)
            .await?;
        let measured = async {
            // Signed in as a returning user: the key is in the tab's session.
            client.goto(&format!("{address}/")).await?;
            client
                .execute(
                    "sessionStorage.setItem('claimtrack.key', arguments[0]);",
                    vec![json!(key)],
                )
                .await?;
            client.goto(&format!("{address}/#/queue")).await?;
            client.refresh().await?;
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                let marks: Value = client
                    .execute(
                        "const shown = performance.getEntriesByName('desk:queue-shown')[0];
                         const paint = performance.getEntriesByName('first-contentful-paint')[0];
                         return shown && paint ? [paint.startTime, shown.startTime] : null;",
                        vec![],
                    )
                    .await?;
                if let Some([fcp, shown]) = marks.as_array().map(Vec::as_slice) {
                    return anyhow::Ok(Paint {
                        first_contentful: fcp.as_f64().unwrap_or_default(),
                        queue_shown: shown.as_f64().unwrap_or_default(),
                    });
                }
                if Instant::now() > deadline {
                    anyhow::bail!("the desk did not show its queue within a minute");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
        .await;
        let _ = client.close().await;
        paints.push(measured?);
    }
    Ok(Some(paints))
}

/// The median of `values` (sorted copy).
pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// Prints the figures of `paints` (or why there are none).
pub fn report(what: &str, paints: Option<Vec<Paint>>) {
    match paints {
        None => {
            println!("desk first paint on {what}: not measured (ChromeDriver is not installed)")
        }
        Some(paints) => {
            let loads = paints.len();
            let shown = median(paints.iter().map(|p| p.queue_shown).collect());
            let fcp = median(paints.iter().map(|p| p.first_contentful).collect());
            println!(
                "desk first meaningful paint on {what} (signed in, cold cache, median of {loads} loads): \
                 queue of claims shown at {shown:.0} ms, first contentful paint at {fcp:.0} ms"
            );
        }
    }
}
