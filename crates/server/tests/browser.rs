//! The web UI in a real headless Chromium (WebDriver through chromedriver), against the real
//! server on loopback over a real SQLite store filled with findings that the real engine
//! produced from `examples/shop` for two clusters over three cycles, plus a pod whose name
//! and labels are markup.
//!
//! Needs Debian's `chromium` and `chromium-driver`. Without them each test prints
//! `NOT RUN: chromium not installed` and passes, unless `KSPM_REQUIRE_BROWSER=1` (set by
//! `scripts/test.sh`, which installs them), where a missing browser fails the test.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use kspm_collect::offline::{LoadOptions, load, load_bytes};
use kspm_engine::{Evaluator, RuleBundle, ScanContext};
use kspm_model::{ClusterInfo, Resource, cluster_id_from_name};
use kspm_server::{AppState, AuthConfig, Limits};
use kspm_store::{CycleStart, SearchRequest, Store};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// The hostile pod's display name (`namespace/name`).
const HOSTILE: &str = "shop/<script>alert(1)</script>";
const WRITE_TOKEN: &str = "browser-test-write-token";
/// First cycle: 2026-09-01 00:00 UTC; cycles six hours apart.
const T0: i64 = 1_788_220_800;

/// A pod whose name and labels would run script if they were ever pasted in as markup.
const HOSTILE_POD: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: "<script>alert(1)</script>"
  namespace: shop
  uid: 0b5e3c1e-7a1d-4c57-9d2b-000000000666
  labels:
    app: "<img src=x onerror=alert(2)>"
spec:
  containers:
  - name: "\"><svg onload=alert(3)>"
    image: busybox
    securityContext:
      privileged: true
"#;

/// A privileged workload; copies of it come and go between cycles so the trend moves.
const LEGACY_DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: legacy-batch
  namespace: shop
  uid: 6f0f3d52-08e4-4d58-a1c4-00000000000a
spec:
  selector: {matchLabels: {app: legacy}}
  template:
    metadata: {labels: {app: legacy}}
    spec:
      hostNetwork: true
      hostPID: true
      containers:
      - name: batch
        image: registry.example.com/batch:0.1
        securityContext: {privileged: true, runAsUser: 0}
"#;

// ---------------------------------------------------------------------------------------
// Fixture: one store for the whole test binary.

struct Fixture {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(build_fixture)
}

fn build_fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("kspm.db");
    let store = Store::open(&db).expect("open store");
    let evaluator =
        Evaluator::new(RuleBundle::embedded().expect("embedded bundle")).expect("compile bundle");
    let shop = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/shop");
    let base = load(&[shop], LoadOptions::default());
    assert!(!base.objects.is_empty(), "examples/shop has objects");
    let extra = |file: &str, text: &str| {
        let mut loaded = kspm_collect::offline::Loaded::default();
        load_bytes(file, text.as_bytes(), LoadOptions::default(), &mut loaded);
        assert_eq!(loaded.errors(), 0, "{file} parses");
        loaded.objects
    };
    let hostile = extra("hostile.yaml", HOSTILE_POD);
    let legacy = extra("legacy.yaml", LEGACY_DEPLOYMENT);

    for (name, version) in [("prod", "v1.34.2"), ("staging", "v1.33.5")] {
        let cluster = ClusterInfo {
            id: cluster_id_from_name(name),
            name: name.into(),
            version: Some(version.into()),
            platform: Some("kubeadm".into()),
        };
        for cycle in 0..3i64 {
            // Whole objects (the loader keeps them as compact text beside their identity).
            let mut objects: Vec<_> = base.objects.iter().map(|o| o.raw.to_value()).collect();
            objects.extend(hostile.iter().map(|o| o.raw.to_value()));
            // prod retires its legacy workloads over the cycles (its score rises); staging
            // gains them in the last cycle (its score drops).
            let copies = match (name, cycle) {
                ("prod", 0) => 6,
                ("prod", 1) => 3,
                ("staging", 2) => 6,
                _ => 0,
            };
            for copy in 0..copies {
                for o in &legacy {
                    let mut object = o.raw.to_value();
                    object["metadata"]["name"] = format!("legacy-batch-{copy}").into();
                    object["metadata"]["uid"] =
                        format!("6f0f3d52-08e4-4d58-a1c4-00000000000{copy}").into();
                    objects.push(object);
                }
            }
            let started = T0 + cycle * 6 * 3600 + if name == "prod" { 0 } else { 600 };
            let resources: Vec<Resource> = objects
                .into_iter()
                .map(|o| Resource::k8s_object(o, cluster.clone()))
                .collect();
            let ctx = ScanContext::new(cluster.clone(), started);
            let findings = evaluator.evaluate(resources, &ctx).findings;
            let cycle_id = format!("{name}-cycle-{cycle}");
            store
                .begin_cycle(&CycleStart {
                    cycle_id: cycle_id.clone(),
                    cluster: cluster.clone(),
                    scope: kspm_model::Scope::Cluster,
                    started_at: started,
                })
                .expect("begin cycle");
            for (batch, chunk) in findings.chunks(200).enumerate() {
                store
                    .ingest_batch(&cycle_id, batch as u64, chunk)
                    .expect("ingest");
            }
            store
                .complete_cycle(&cycle_id, started + 120)
                .expect("complete cycle");
        }
    }
    Fixture { _dir: dir, db }
}

// ---------------------------------------------------------------------------------------
// Browser and server.

/// Whether the browser can run here; prints why not and decides pass or fail.
fn browser_available() -> bool {
    if Path::new(CHROMIUM).exists() && Path::new(CHROMEDRIVER).exists() {
        return true;
    }
    if std::env::var("KSPM_REQUIRE_BROWSER").as_deref() == Ok("1") {
        panic!("KSPM_REQUIRE_BROWSER=1 but {CHROMIUM} or {CHROMEDRIVER} is missing");
    }
    println!("NOT RUN: chromium not installed");
    false
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// chromedriver, ended when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_driver() -> Driver {
    let port = free_port();
    let child = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    driver
}

/// One browser session against one server; both end when dropped or closed.
struct Session {
    client: Client,
    base: String,
    store: Store,
    _profile: tempfile::TempDir,
    _driver: Driver,
    _server: tokio::sync::oneshot::Sender<()>,
}

/// Browser sessions run one at a time: the machine is small and Chromium is not.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn session() -> Session {
    session_on(&fixture().db).await
}

async fn session_on(db: &Path) -> Session {
    let store = Store::open(db).expect("open store");
    let state = AppState::new(
        store.clone(),
        AuthConfig {
            write_token: WRITE_TOKEN.into(),
            read_token: None,
        },
        Limits::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = kspm_server::serve(listener, state, async {
            let _ = stopped.await;
        })
        .await;
    });

    let driver = start_driver();
    let profile = tempfile::tempdir().expect("profile dir");
    let args = vec![
        "--headless".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--disable-dev-shm-usage".into(),
        "--window-size=1400,1000".into(),
        format!("--user-data-dir={}", profile.path().display()),
    ];
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({ "binary": CHROMIUM, "args": args }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("WebDriver session");
    Session {
        client,
        base,
        store,
        _profile: profile,
        _driver: driver,
        _server: stop,
    }
}

impl Session {
    async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .expect("navigate");
    }

    async fn text(&self, css: &str) -> String {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .text()
            .await
            .expect("text")
    }

    /// Waits until the element's text is `expected` (after a form post reloads the page).
    async fn wait_for_text(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let now = match self.client.find(Locator::Css(css)).await {
                Ok(e) => e.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if now == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css} shows {now:?}, not {expected:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in self.client.find_all(Locator::Css(css)).await.expect("find") {
            out.push(e.text().await.expect("text"));
        }
        out
    }

    /// Opens a sign-in link (`/login?token=…&next=…`, which only fills the form) and clicks
    /// "Sign in", then waits until the browser has left the sign-in page.
    async fn sign_in_via_link(&self, link: &str) {
        self.goto(link).await;
        self.client
            .find(Locator::Css(".login button[type=submit]"))
            .await
            .expect("sign-in button")
            .click()
            .await
            .expect("sign in");
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.path_and_query().await.starts_with("/login") {
            assert!(Instant::now() < deadline, "still on the sign-in page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn path_and_query(&self) -> String {
        let url = self.client.current_url().await.expect("url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Saves a screenshot under `target/test-output/` for a person to look at.
    async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-output");
        std::fs::create_dir_all(&dir).expect("output dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }

    /// Fails if a JavaScript alert is open (a hostile value ran as script).
    async fn assert_no_alert(&self) {
        if let Ok(text) = self.client.get_alert_text().await {
            panic!("an alert fired: {text:?}");
        }
    }

    async fn close(self) {
        self.client.close().await.expect("close browser");
    }
}

/// The query string value of `q` in a URL path and query.
fn q_of(path_and_query: &str) -> String {
    let query = path_and_query.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------
// Tests.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_shows_scores_clusters_and_failed_sections() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let s = session().await;
    let expected = s.store.dashboard(None).expect("dashboard");
    s.goto("/").await;

    let score = expected.overall.score.expect("something was scored");
    let shown = s.text("[data-testid=overall-score] text").await;
    assert_eq!(shown, format!("{}", score.floor() as i64));
    assert_eq!(s.text("#clusters-evaluated").await, "2");
    assert_eq!(
        s.text("#resources-evaluated").await,
        expected.resources_evaluated.to_string()
    );
    let clusters = s.texts("#clusters tbody tr td:first-child a.name").await;
    assert_eq!(clusters, vec!["prod", "staging"]);

    let sections = s.texts("#sections a.section-link").await;
    let mut failing: Vec<&str> = expected
        .sections
        .iter()
        .filter(|x| x.score.counts.failed > 0)
        .map(|x| x.section.as_str())
        .collect();
    failing.sort_unstable();
    let mut shown_sections: Vec<&str> = sections.iter().map(String::as_str).collect();
    shown_sections.sort_unstable();
    assert_eq!(shown_sections, failing);
    assert!(!failing.is_empty(), "the fixture has failed findings");

    // The trend chart drew (uPlot replaced the fallback text with a canvas).
    s.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#trend canvas"))
        .await
        .expect("trend chart drawn");
    s.screenshot("dashboard").await;
    s.assert_no_alert().await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicking_a_section_opens_its_failed_findings() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let s = session().await;
    s.goto("/").await;
    let link = s
        .client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#sections a.section-link"))
        .await
        .expect("a section link");
    let section = link.text().await.expect("section name");
    let href = link.attr("href").await.expect("href").expect("a link");
    link.click().await.expect("click section");
    s.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#findings-table"))
        .await
        .expect("findings table");

    let query = q_of(&href);
    assert!(
        query.starts_with(&format!(
            r#"rule.section : "{section}" and rule.benchmark.id : "#
        )) && query.ends_with(" and status : failed"),
        "{query}"
    );
    assert_eq!(q_of(&s.path_and_query().await), query);
    assert_eq!(
        s.client
            .find(Locator::Css("#q"))
            .await
            .expect("search box")
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some(query.as_str())
    );
    let pills = s.texts("#pills .pill").await;
    assert_eq!(pills.len(), 3, "one pill per clause: {pills:?}");

    let outcomes = s.texts("#findings-table tbody td:first-child .tag").await;
    assert!(!outcomes.is_empty());
    assert!(outcomes.iter().all(|o| o == "failed"), "{outcomes:?}");
    let sections = s.texts("#findings-table tbody td:nth-child(7)").await;
    assert!(sections.iter().all(|x| *x == section), "{sections:?}");
    let total = s
        .store
        .search(&SearchRequest::new(query.clone()))
        .expect("search")
        .total;
    assert!(
        s.text("#result-count")
            .await
            .ends_with(&format!("of {total} findings")),
        "count shows the store's total {total}"
    );
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_by_resource_lists_resources_by_failed_count() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let s = session().await;
    s.goto("/findings").await;
    s.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::LinkText("By resource"))
        .await
        .expect("group tab")
        .click()
        .await
        .expect("click group tab");
    s.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#groups-table"))
        .await
        .expect("groups table");
    let failed: Vec<u64> = s
        .texts("#groups-table tbody td:nth-child(6)")
        .await
        .iter()
        .map(|t| t.trim().replace(',', "").parse().expect("a count"))
        .collect();
    assert!(failed.len() > 3, "several resources: {failed:?}");
    assert!(
        failed.windows(2).all(|w| w[0] >= w[1]),
        "most failed first: {failed:?}"
    );
    assert!(failed[0] > 0);

    // Clicking the top resource shows that resource's findings.
    let name = s
        .text("#groups-table tbody tr:first-child a.resource-link")
        .await;
    let top = s
        .client
        .find(Locator::Css(
            "#groups-table tbody tr:first-child a.group-link",
        ))
        .await
        .expect("top group");
    top.click().await.expect("click resource");
    s.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#findings-table"))
        .await
        .expect("findings of the resource");
    let resources = s.texts("#findings-table tbody td:nth-child(4)").await;
    assert!(!resources.is_empty());
    assert!(
        resources.iter().all(|r| r.starts_with(&name)),
        "only {name}: {resources:?}"
    );
    let failed_rows = s
        .texts("#findings-table tbody td:first-child .tag.failed")
        .await
        .len() as u64;
    assert_eq!(failed_rows, failed[0]);
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flyout_shows_the_filled_in_remediation() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let s = session().await;
    let query = r#"rule.id : psa_blocks_privileged and result.evaluation : failed and orchestrator.cluster.name : prod"#;
    let row = s
        .store
        .search(&SearchRequest::new(query))
        .expect("search")
        .rows
        .into_iter()
        .next()
        .expect("a failed psa_blocks_privileged finding");
    let stored = s
        .store
        .finding(&row.id)
        .expect("finding")
        .expect("stored finding");
    let remediation = stored.document.rule.remediation.to_string();
    assert!(!remediation.contains("{{"), "stored text is filled in");
    assert!(remediation.contains(&format!("namespace {}", row.resource_name)));

    s.goto(&format!(
        "/findings?q={}",
        form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
    ))
    .await;
    s.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#findings-table a[data-open]"))
        .await
        .expect("finding row")
        .click()
        .await
        .expect("open flyout");
    // Overview first; the remediation is its own tab, rendered from Markdown.
    assert!(!s.text("#flyout #expected").await.is_empty());
    s.client
        .find(Locator::Css("#flyout #tab-remediation"))
        .await
        .expect("remediation tab")
        .click()
        .await
        .expect("open tab");
    let shown = s.text("#flyout #remediation").await;
    assert!(shown.contains(&row.resource_name), "{shown}");
    assert!(!shown.contains("```"), "code fences are rendered: {shown}");
    assert!(
        s.text("#flyout #flyout-title")
            .await
            .contains(&row.rule_name)
    );
    s.screenshot("flyout").await;

    // Escape closes it.
    s.client
        .find(Locator::Css("body"))
        .await
        .expect("body")
        .send_keys("\u{e00c}")
        .await
        .expect("escape");
    let deadline = Instant::now() + Duration::from_secs(5);
    while !s
        .client
        .find_all(Locator::Css("#flyout .flyout"))
        .await
        .expect("find")
        .is_empty()
    {
        assert!(Instant::now() < deadline, "flyout closes on Escape");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kql_syntax_error_is_shown_with_its_position() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let s = session().await;
    s.goto("/findings").await;
    let bad = r#"rule.section : "API Server" and (result.evaluation : "#;
    let expected = match s.store.search(&SearchRequest::new(bad)) {
        Err(kspm_store::Error::Query(e)) => e,
        other => panic!("the store rejects the query: {other:?}"),
    };
    let input = s.client.find(Locator::Css("#q")).await.expect("search box");
    input.send_keys(bad).await.expect("type");
    s.client
        .find(Locator::Css(".searchbar button[type=submit]"))
        .await
        .expect("search button")
        .click()
        .await
        .expect("search");
    let error = s.text("#query-error").await;
    assert!(
        error.contains(&format!("at character {}", expected.position)),
        "{error}"
    );
    assert!(error.contains(&expected.message), "{error}");
    let caret = s.text("#query-error .caret").await;
    assert_eq!(caret.trim_start(), "^");
    // The search box keeps the query so it can be fixed.
    let kept = s
        .client
        .find(Locator::Css("#q"))
        .await
        .expect("search box")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(kept.as_deref(), Some(bad));
    assert!(
        s.client
            .find_all(Locator::Css("#findings-table"))
            .await
            .expect("find")
            .is_empty()
    );
    s.screenshot("query-error").await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_resource_name_renders_as_text_and_runs_nothing() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let s = session().await;
    s.goto("/findings?q=resource.name+%3A+%22alert%22").await;
    // Wait for the first row before reading them all.
    s.text("#findings-table tbody td:nth-child(4)").await;
    let names = s.texts("#findings-table tbody td:nth-child(4)").await;
    assert!(!names.is_empty(), "the hostile pod has findings");
    assert!(
        names.iter().all(|n| n.starts_with(HOSTILE)),
        "shown literally: {names:?}"
    );
    // No element was created from the name or the labels.
    let injected = s
        .client
        .find_all(Locator::Css("main script, main img, main svg[onload]"))
        .await
        .expect("find");
    assert!(injected.is_empty(), "markup from data became elements");
    s.screenshot("findings").await;
    s.assert_no_alert().await;

    // Its flyout (raw JSON holds the labels and container name) runs nothing either.
    s.client
        .find(Locator::Css("#findings-table a[data-open]"))
        .await
        .expect("row")
        .click()
        .await
        .expect("open flyout");
    let raw = s.text("#flyout dd a.name").await;
    assert_eq!(raw, HOSTILE);
    s.assert_no_alert().await;

    // Grouped by resource, the name is text too.
    s.goto("/findings?group=resource").await;
    let groups = s.texts("#groups-table a.resource-link").await;
    assert!(groups.iter().any(|g| g == HOSTILE), "{groups:?}");
    s.assert_no_alert().await;

    // The rules page and the dashboard, for completeness.
    s.goto("/rules").await;
    s.text("#rules-table").await;
    s.screenshot("rules").await;
    s.assert_no_alert().await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_user_toggles_a_rule_and_manages_an_exception() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    // Its own store: this test changes data the others read.
    let own = build_fixture();
    let s = session_on(&own.db).await;
    let prod = cluster_id_from_name("prod");
    let rules_url = format!("/rules?cluster={prod}");

    // Without signing in there are no controls, only the way to sign in.
    s.goto(&rules_url).await;
    assert!(
        s.text(".notice")
            .await
            .contains("sign in with the write token")
    );
    assert!(
        s.client
            .find_all(Locator::Css("#rules-table form"))
            .await
            .expect("find")
            .is_empty()
    );

    s.sign_in_via_link(&format!(
        "/login?token={WRITE_TOKEN}&next={}",
        form_urlencoded::byte_serialize(rules_url.as_bytes()).collect::<String>()
    ))
    .await;
    assert_eq!(s.path_and_query().await, rules_url);

    // Disable 5.1.1 for prod.
    let row = "#rule-rbac_cluster_admin_bindings";
    assert_eq!(s.text(&format!("{row} .tag")).await, "on");
    s.client
        .find(Locator::Css(&format!(
            "{row} form[action='/rules/enabled'] button"
        )))
        .await
        .expect("toggle button")
        .click()
        .await
        .expect("disable");
    s.wait_for_text(&format!("{row} .tag"), "off").await;
    assert!(s.text("#flash").await.starts_with("Disabled 5.1.1"));
    assert!(
        !s.store
            .rule_enabled(Some(&prod), "rbac_cluster_admin_bindings")
            .expect("setting")
    );

    // Add an exception for the shop namespace, then remove it.
    s.goto(&rules_url).await;
    let exception_row = "#rule-service_account_token_automount";
    s.client
        .find(Locator::Css(&format!(
            "{exception_row} details.add summary"
        )))
        .await
        .expect("add exception")
        .click()
        .await
        .expect("open form");
    let form = format!("{exception_row} details.add form");
    s.client
        .find(Locator::Css(&format!("{form} input[name=scope_value]")))
        .await
        .expect("value")
        .send_keys("shop")
        .await
        .expect("type");
    s.client
        .find(Locator::Css(&format!("{form} input[name=reason]")))
        .await
        .expect("reason")
        .send_keys("tokens needed by <b>the</b> mesh")
        .await
        .expect("type");
    s.client
        .find(Locator::Css(&format!("{form} button[type=submit]")))
        .await
        .expect("submit")
        .click()
        .await
        .expect("add");
    s.client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(&format!("{exception_row} ul.exceptions li")))
        .await
        .expect("the exception is listed");
    let listed = s.text(&format!("{exception_row} ul.exceptions li")).await;
    assert!(listed.contains("namespace shop"), "{listed}");
    assert!(
        listed.contains("tokens needed by <b>the</b> mesh"),
        "{listed}"
    );
    let stored = s.store.list_exceptions().expect("exceptions");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].cluster_id.as_deref(), Some(prod.as_str()));
    assert_eq!(stored[0].author, "web-session");

    s.client
        .find(Locator::Css(&format!(
            "{exception_row} ul.exceptions button"
        )))
        .await
        .expect("remove button")
        .click()
        .await
        .expect("remove");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !s
        .client
        .find_all(Locator::Css(&format!("{exception_row} ul.exceptions li")))
        .await
        .expect("find")
        .is_empty()
    {
        assert!(Instant::now() < deadline, "the exception leaves the page");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(s.store.list_exceptions().expect("exceptions").is_empty());
    s.close().await;
}

// ---------------------------------------------------------------------------------------
// Issue 15: counts that agree, the trend, the explorer, the flyout, phones, what changed.

impl Session {
    async fn js(&self, script: &str) -> serde_json::Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}: {script}"))
    }

    async fn wait_for(&self, css: &str) {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"));
    }

    /// The total a findings page reports.
    async fn listed_total(&self) -> u64 {
        self.wait_for("#result-count").await;
        let v = self
            .js("return document.getElementById('result-count').dataset.total")
            .await;
        v.as_str().and_then(|t| t.parse().ok()).expect("a total")
    }

    /// Fails when the page is wider than the window.
    async fn assert_no_horizontal_overflow(&self, what: &str) {
        let v = self
            .js("return [document.documentElement.scrollWidth, window.innerWidth]")
            .await;
        let (scroll, inner) = (v[0].as_u64().unwrap(), v[1].as_u64().unwrap());
        assert!(
            scroll <= inner,
            "{what}: page is {scroll} px wide in a {inner} px window"
        );
    }
}

/// The fixture plus an exception and a disabled rule (counts must keep agreeing).
fn fixture_with_policy() -> Fixture {
    let own = build_fixture();
    let store = Store::open(&own.db).expect("store");
    let prod = cluster_id_from_name("prod");
    store
        .add_exception(&kspm_store::NewException {
            rule_id: "service_account_token_automount".into(),
            scope: kspm_store::ExceptionScope::Namespace("shop".into()),
            cluster_id: Some(prod.clone()),
            reason: "mesh needs tokens".into(),
            expires_at: None,
            author: "test".into(),
        })
        .expect("exception");
    store
        .set_rule_enabled(Some(&prod), "rbac_cluster_admin_bindings", false, "test")
        .expect("disable");
    own
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_dashboard_count_opens_a_list_of_that_many_findings() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let own = fixture_with_policy();
    let s = session_on(&own.db).await;
    for page in ["/", &format!("/?cluster={}", cluster_id_from_name("prod"))] {
        s.goto(page).await;
        s.wait_for("[data-count]").await;
        let links = s
            .js("return Array.from(document.querySelectorAll('main a[data-count]')).map(a => [a.getAttribute('href'), a.textContent.trim()])")
            .await;
        let links = links.as_array().expect("links").clone();
        assert!(links.len() > 10, "{page}: {links:?}");
        for l in links {
            let (href, text) = (l[0].as_str().unwrap(), l[1].as_str().unwrap());
            let shown: u64 = text
                .split_whitespace()
                .next()
                .and_then(|n| n.replace(',', "").parse().ok())
                .unwrap_or_else(|| panic!("a number: {text}"));
            s.goto(href).await;
            assert_eq!(s.listed_total().await, shown, "{page}: {text} → {href}");
        }
    }
    // The excepted and disabled counts are not zero here, so they were checked for real.
    s.goto("/").await;
    assert_ne!(s.text("#count-excepted").await, "0");
    assert_ne!(s.text("#count-disabled").await, "0");
    s.goto("/findings").await;
    assert!(s.text("#hidden-note").await.contains("1 disabled rule"));
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trend_has_one_point_per_round_and_hovering_shows_values() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let s = session().await;
    // Two clusters × three cycles, the clusters ten minutes apart: three rounds.
    let series = s.store.trends().expect("trends");
    assert_eq!(series.len(), 3);
    for line in &series {
        assert_eq!(line.points.len(), 3, "{}", line.label);
    }
    for i in 0..3 {
        let scores: Vec<f64> = series.iter().map(|l| l.points[i].score.unwrap()).collect();
        let (lo, hi) = (scores[1].min(scores[2]), scores[1].max(scores[2]));
        assert!(
            scores[0] >= lo && scores[0] <= hi,
            "pooled line between its clusters: {scores:?}"
        );
    }
    s.goto("/").await;
    s.wait_for("#trend canvas").await;
    assert!(s.text("#trend-note").await.contains("in force then"));
    s.js("const o = document.querySelector('#trend .u-over'); const r = o.getBoundingClientRect();
          o.dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + r.width - 2, clientY: r.top + r.height / 2, bubbles: true}));
          return null")
        .await;
    let tip = s.text("#trend .chart-tip").await;
    assert!(tip.contains("All clusters:") && tip.contains('%'), "{tip}");
    assert!(tip.contains("failed"), "{tip}");
    s.screenshot("dashboard-trend-hover").await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_by_resource_shows_where_each_resource_is_and_opens_its_page() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let s = session().await;
    s.goto("/findings?group=resource").await;
    s.wait_for("#groups-table").await;
    let head = s.texts("#groups-table thead th").await;
    assert_eq!(
        &head[..5],
        ["RESOURCE", "CLUSTER", "KIND", "NAMESPACE", "SCORE"].map(String::from)
    );
    let clusters = s.texts("#groups-table tbody td:nth-child(2)").await;
    assert!(clusters.iter().any(|c| c == "prod") && clusters.iter().any(|c| c == "staging"));
    let first = s
        .text("#groups-table tbody tr:first-child a.resource-link")
        .await;
    let cluster = s
        .text("#groups-table tbody tr:first-child td:nth-child(2)")
        .await;
    s.client
        .find(Locator::Css(
            "#groups-table tbody tr:first-child a.resource-link",
        ))
        .await
        .expect("resource link")
        .click()
        .await
        .expect("open resource");
    s.wait_for("#resource-findings").await;
    assert_eq!(s.text("#resource-name").await, first);
    assert_eq!(s.text("#resource-cluster").await, cluster);
    assert!(s.text("#resource-raw").await.contains("\"metadata\""));
    assert!(!s.texts("#resource-history tbody tr").await.is_empty());
    s.screenshot("resource").await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_are_failed_first_with_numbered_pages_and_suggestions() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let s = session().await;
    s.goto("/findings?per_page=25").await;
    let outcomes = s
        .texts("#findings-table tbody td:first-child .tag:first-child")
        .await;
    assert_eq!(outcomes[0], "failed");
    let pages = s.texts(".pager > a, .pager > span.current").await;
    assert!(pages.len() >= 3 && pages[0] == "1", "{pages:?}");
    s.client
        .find(Locator::Css(".pager > a.btn"))
        .await
        .expect("page 2")
        .click()
        .await
        .expect("go");
    s.wait_for(".pager .current").await;
    assert_eq!(s.text(".pager .current").await, "2");
    assert!(s.path_and_query().await.contains("per_page=25"));
    // Suggestions: field names, then values from the store.
    s.goto("/findings").await;
    let input = s.client.find(Locator::Css("#q")).await.expect("search box");
    input.send_keys("rule.sec").await.expect("type");
    s.wait_for("#suggestions li").await;
    assert!(s.texts("#suggestions li").await[0].starts_with("rule.section"));
    input.send_keys("\u{e015}\u{e007}").await.expect("pick");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        // Read in one go: the list is redrawn as answers arrive.
        let values = s
            .js("return Array.from(document.querySelectorAll('#suggestions li')).map(l => l.textContent)")
            .await;
        if values
            .as_array()
            .is_some_and(|v| v.iter().any(|v| v == "General Policies"))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "section values suggested: {values:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    s.screenshot("findings-suggestions").await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flyout_has_tabs_takes_focus_and_its_address_opens_it_again() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let s = session().await;
    s.goto("/findings?q=status+%3A+failed").await;
    s.wait_for("#findings-table a[data-open]").await;
    let link = s
        .client
        .find(Locator::Css("#findings-table a[data-open]"))
        .await
        .expect("row");
    let id = link.attr("data-finding").await.expect("attr").expect("id");
    link.click().await.expect("open");
    s.wait_for("#flyout .tabs-ready").await;
    let focused = s
        .js("return document.activeElement && document.activeElement.closest('#finding-flyout') !== null")
        .await;
    assert_eq!(
        focused,
        serde_json::json!(true),
        "focus moved into the flyout"
    );
    let url = s.path_and_query().await;
    assert!(url.contains(&format!("finding={id}")), "{url}");
    let tabs = s.texts("#flyout [role=tab]").await;
    assert_eq!(tabs, ["Overview", "Remediation", "Rule", "Resource JSON"]);
    s.client
        .find(Locator::Css("#tab-json"))
        .await
        .expect("tab")
        .click()
        .await
        .expect("click");
    assert!(s.text("#resource-json").await.contains("\"kind\""));
    assert!(
        s.text("#flyout #panel-overview").await.is_empty(),
        "other panels hidden"
    );
    s.client
        .find(Locator::Css("#tab-remediation"))
        .await
        .expect("tab")
        .click()
        .await
        .expect("click");
    assert!(!s.text("#remediation").await.contains('`'));
    s.screenshot("flyout-remediation").await;
    // Closing gives focus back to the row's link and drops the finding from the address.
    s.client
        .find(Locator::Css("#flyout [data-close-flyout]"))
        .await
        .expect("close")
        .click()
        .await
        .expect("close");
    let back = s
        .js("return document.activeElement && document.activeElement.dataset.finding")
        .await;
    assert_eq!(back, serde_json::json!(id));
    assert!(!s.path_and_query().await.contains("finding="));
    // The address alone opens it.
    s.goto(&url).await;
    s.wait_for("#flyout #finding-flyout").await;
    assert_eq!(
        s.js("return document.getElementById('finding-flyout').dataset.finding")
            .await,
        serde_json::json!(id)
    );
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_changed_compares_the_last_two_rounds_by_default() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let s = session().await;
    let staging = cluster_id_from_name("staging");
    s.goto(&format!("/changes?cluster={staging}")).await;
    s.wait_for("#changes-summary").await;
    let expected = {
        let rounds = s.store.rounds(&staging).expect("rounds");
        s.store
            .changes(&staging, rounds[1].at, rounds[0].at, 200)
            .expect("changes")
    };
    // staging gains six privileged legacy workloads in its last cycle.
    assert!(expected.new_failures_total > 0);
    assert_eq!(
        s.text("#new-failures-total").await,
        expected.new_failures_total.to_string()
    );
    assert_eq!(
        s.text("#resolved-total").await,
        expected.resolved_total.to_string()
    );
    assert!(
        s.text("#score-delta").await.starts_with('−'),
        "staging got worse"
    );
    assert!(!s.texts("#section-changes tbody tr").await.is_empty());
    s.screenshot("changes").await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_page_searches_filters_pages_and_greys_disabled_rules() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let own = fixture_with_policy();
    let s = session_on(&own.db).await;
    let prod = cluster_id_from_name("prod");
    s.goto(&format!("/rules?cluster={prod}")).await;
    s.wait_for("#rules-table").await;
    assert_eq!(s.texts("#rules-table tbody tr").await.len(), 25, "one page");
    assert!(s.text("#rules-count").await.contains("1–25 of"));
    s.goto(&format!("/rules?cluster={prod}&q=cluster-admin"))
        .await;
    let rows = s.texts("#rules-table tbody tr").await;
    assert!(!rows.is_empty() && rows.len() < 25, "{rows:?}");
    s.goto(&format!("/rules?cluster={prod}&status=disabled"))
        .await;
    s.wait_for("#rules-count").await;
    assert_eq!(
        s.texts("#rules-table tbody tr.disabled-rule").await.len(),
        1,
        "{} / {}",
        s.text("#rules-count").await,
        s.path_and_query().await
    );
    assert!(
        s.text("#rule-rbac_cluster_admin_bindings .disabled-note")
            .await
            .contains("hidden")
    );
    s.goto(&format!("/rules?cluster={prod}&benchmark=pss"))
        .await;
    let benchmarks = s.texts("#rules-table tbody td:first-child .muted").await;
    assert!(
        benchmarks
            .iter()
            .all(|b| b.starts_with("Kubernetes Pod Security Standards")),
        "{benchmarks:?}"
    );
    // The exception form lists every cluster without picking one first.
    s.sign_in_via_link(&format!("/login?token={WRITE_TOKEN}&next=/rules"))
        .await;
    let options = s
        .texts("#rules-table tbody tr:first-child details.add select[name=cluster_id] option")
        .await;
    assert!(options.len() >= 3, "{options:?}");
    assert!(
        s.client.find(Locator::Css("#sign-out")).await.is_ok(),
        "sign-out offered"
    );
    s.close().await;
}

/// Every page at desktop and phone width: screenshots, no horizontal overflow on a phone,
/// the flyout fully on screen, CSP on the sign-in page too, an icon.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_phone_and_the_flyout_is_full_screen() {
    if !browser_available() {
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let own = fixture_with_policy();
    let s = session_on(&own.db).await;
    let prod = cluster_id_from_name("prod");
    let finding = s
        .store
        .search(&SearchRequest::new("status : failed"))
        .expect("search")
        .rows[0]
        .clone();
    let pages: Vec<(&str, String)> = vec![
        ("dashboard", "/".into()),
        ("dashboard-cluster", format!("/?cluster={prod}")),
        ("findings", "/findings".into()),
        ("findings-by-resource", "/findings?group=resource".into()),
        ("findings-by-section", "/findings?group=section".into()),
        ("finding", format!("/findings/{}", finding.id)),
        (
            "resource",
            format!("/resources/{}/{}", finding.cluster_id, finding.resource_id),
        ),
        ("changes", format!("/changes?cluster={prod}")),
        ("rules", format!("/rules?cluster={prod}")),
        ("login", "/login".into()),
    ];
    for (width, height, suffix) in [(1400, 1000, "desktop"), (390, 844, "phone")] {
        s.client
            .set_window_size(width, height)
            .await
            .expect("resize");
        for (name, path) in &pages {
            s.goto(path).await;
            s.wait_for("main").await;
            if suffix == "phone" {
                s.assert_no_horizontal_overflow(name).await;
            }
            s.screenshot(&format!("{name}-{suffix}")).await;
        }
        // The flyout, opened from the list.
        s.goto("/findings?q=status+%3A+failed").await;
        s.client
            .find(Locator::Css("#findings-table a[data-open]"))
            .await
            .expect("row")
            .click()
            .await
            .expect("open");
        s.wait_for("#flyout .tabs-ready").await;
        let rect = s
            .js(
                "const r = document.getElementById('finding-flyout').getBoundingClientRect();
                 return [r.left, r.top, r.right, r.bottom, window.innerWidth, window.innerHeight]",
            )
            .await;
        let v: Vec<f64> = rect
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert!(
            v[0] >= 0.0 && v[1] >= 0.0 && v[2] <= v[4] + 0.5 && v[3] <= v[5] + 0.5,
            "{suffix}: flyout {v:?}"
        );
        if suffix == "phone" {
            assert!(
                v[0] <= 0.5 && v[2] >= v[4] - 0.5,
                "full width on a phone: {v:?}"
            );
            s.assert_no_horizontal_overflow("findings with flyout")
                .await;
        }
        s.screenshot(&format!("flyout-{suffix}")).await;
    }
    s.close().await;
}
