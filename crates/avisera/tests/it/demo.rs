//! The README's first command, as a new user runs it: `avisera demo` starts, prints where
//! everything is, its simulated carrier fills the dev inbox (searchable, paged, asked for what is
//! new), and on Ctrl-C (SIGTERM here) it stops and removes its data unless `--keep`.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

struct Demo {
    child: Child,
    lines: mpsc::Receiver<String>,
    printed: Vec<String>,
}

impl Demo {
    fn start(extra: &[&str]) -> Demo {
        let mut child = Command::new(env!("CARGO_BIN_EXE_avisera"))
            .args(["demo", "--listen", "127.0.0.1:0", "--every", "0.1"])
            .args(extra)
            .env_remove("AVISERA_CONFIG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the demo");
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Demo {
            child,
            lines,
            printed: Vec::new(),
        }
    }

    /// The rest of the printed line that starts with `label` (waits for it).
    fn printed(&mut self, label: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(line) = self.printed.iter().find(|l| l.trim_start().starts_with(label)) {
                return line.trim_start()[label.len()..].trim().to_string();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.printed.push(line),
                Err(_) => panic!("the demo never printed {label:?}; it printed {:#?}", self.printed),
            }
        }
    }

    fn stop(mut self) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the demo did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
        // What it printed while stopping.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(500)) {
            self.printed.push(line);
        }
    }
}

async fn json(http: &reqwest::Client, url: &str) -> Value {
    let r = http.get(url).send().await.unwrap();
    assert!(r.status().is_success(), "{url}: {}", r.status());
    r.json().await.unwrap()
}

#[tokio::test]
async fn the_demo_fills_its_inbox_pages_and_searches_it_and_cleans_up_when_stopped() {
    crate::helpers::init();
    let mut demo = Demo::start(&[]);
    let inbox = demo.printed("Dev inbox:");
    let data = demo.printed("Data:");
    let dir = std::path::PathBuf::from(data.split(" (").next().unwrap());
    assert!(dir.exists(), "{dir:?}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let first = loop {
        let page = json(&http, &format!("{inbox}?format=json")).await;
        if page["total"].as_u64().unwrap() >= 3 {
            break page;
        }
        assert!(Instant::now() < deadline, "the simulated carrier sent nothing: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    // What is new after the newest seen: only later messages, newest first.
    let newest = first["newest"].as_u64().unwrap();
    let later = loop {
        let page = json(&http, &format!("{inbox}?format=json&after={newest}")).await;
        if page["total"].as_u64().unwrap() > 0 {
            break page;
        }
        assert!(Instant::now() < deadline, "nothing new arrived");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let seqs: Vec<u64> = later["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_u64().unwrap())
        .collect();
    assert!(
        seqs.iter().all(|s| *s > newest) && seqs.windows(2).all(|w| w[0] > w[1]),
        "{seqs:?}"
    );
    // A page of one, and a search for one message's recipient finds it.
    let one = json(&http, &format!("{inbox}?format=json&limit=1")).await;
    assert_eq!(one["messages"].as_array().unwrap().len(), 1);
    let to = first["messages"][0]["to"].as_str().unwrap().to_string();
    let found = json(&http, &format!("{inbox}?format=json&q={}", urlencode(&to))).await;
    assert!(found["total"].as_u64().unwrap() >= 1);
    assert!(
        found["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["to"] == to.as_str()),
        "{found}"
    );
    // An older page, named by the message it starts below, stays the same page while new
    // messages arrive above it (offset paging drifted by as many as arrived).
    let seqs_of = |page: &Value| -> Vec<u64> {
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_u64().unwrap())
            .collect()
    };
    let top = json(&http, &format!("{inbox}?format=json&limit=2")).await;
    let before = top["older"].as_u64().expect("an older page");
    assert_eq!(before, seqs_of(&top)[1], "{top}");
    let second = json(&http, &format!("{inbox}?format=json&limit=2&before={before}")).await;
    assert!(seqs_of(&second).iter().all(|s| *s < before), "{second}");
    loop {
        let now = json(&http, &format!("{inbox}?format=json&limit=1")).await;
        if now["newest"].as_u64().unwrap() > top["newest"].as_u64().unwrap() {
            break;
        }
        assert!(Instant::now() < deadline, "nothing new arrived");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let again = json(&http, &format!("{inbox}?format=json&limit=2&before={before}")).await;
    assert_eq!(seqs_of(&again), seqs_of(&second), "page 2 is still page 2");
    let page_two = http
        .get(format!("{inbox}?format=html&limit=2&before={before}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page_two.contains("id=\"newer\""), "{page_two}");
    assert!(
        !page_two.contains("<script>"),
        "an older page does not take new messages: {page_two}"
    );
    for seq in seqs_of(&second) {
        assert!(page_two.contains(&format!("data-seq=\"{seq}\"")), "{page_two}");
    }

    let bad = http.get(format!("{inbox}?format=json&limit=0")).send().await.unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    assert!(bad.text().await.unwrap().contains("between 1 and 1000"));
    // The page: no whole-page reload, a search box, at most 50.
    let html = http
        .get(format!("{inbox}?format=html"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("http-equiv=\"refresh\""));
    assert!(html.contains("id=\"q\"") && html.contains("after="), "{html}");
    assert!(html.matches("<article").count() <= 50);

    demo.stop();
    assert!(!dir.exists(), "the demo's data is removed when it stops: {dir:?}");
}

#[tokio::test]
async fn the_demo_keeps_its_data_when_asked() {
    let mut demo = Demo::start(&["--keep"]);
    let data = demo.printed("Data:");
    let dir = std::path::PathBuf::from(data.split(" (").next().unwrap());
    assert!(data.contains("kept"), "{data}");
    demo.stop();
    assert!(dir.join("demo.sqlite").exists(), "{dir:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
