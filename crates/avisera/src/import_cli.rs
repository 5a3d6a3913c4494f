//! `avisera import`: EDIFACT files read in chunks into the engine (or, with `--dry-run`, only
//! parsed and checked), with a progress bar of bytes and messages and a summary at the end.

use crate::config::Config;
use crate::ingest::edifact::{Import, ImportSummary};
use crate::server;
use anyhow::Context;
use avisera_domain::TenantId;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use tokio::io::AsyncReadExt;

#[derive(clap::Args)]
pub struct ImportArgs {
    /// The tenant the shipments and events belong to.
    #[arg(long, required_unless_present = "dry_run")]
    tenant: Option<i64>,
    /// Parse and check only: needs no tenant and no database, stores nothing.
    #[arg(long)]
    dry_run: bool,
    /// Print the summary as JSON (one object per file) instead of text.
    #[arg(long)]
    json: bool,
    #[arg(required = true)]
    files: Vec<PathBuf>,
}

/// Something was rejected; the summary said what. Makes the exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("some messages were rejected")]
pub struct Rejected;

const CHUNK: usize = 256 * 1024;

/// Standard output that may be closed early (`| head`) without a panic.
fn out(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

pub async fn run(args: ImportArgs, load: impl Fn() -> anyhow::Result<Config>) -> anyhow::Result<()> {
    let app = match (args.dry_run, args.tenant) {
        (false, Some(tenant)) => {
            let config = load()?;
            config.check()?;
            let store = server::open_store(&config).await?;
            let id = TenantId(tenant);
            store.tenant(id).await?.with_context(|| format!("no tenant {tenant}"))?;
            Some((server::build_app(config, store), id))
        }
        _ => None,
    };
    let mut total = 0;
    for f in &args.files {
        total += std::fs::metadata(f)
            .with_context(|| format!("reading {}", f.display()))?
            .len();
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut any_rejected = false;
    let mut totals = ImportSummary::default();
    let mut done = 0u64;
    for path in &args.files {
        let mut file = tokio::fs::File::open(path)
            .await
            .with_context(|| format!("opening {}", path.display()))?;
        let mut import = Import::new(app.as_ref().map(|(a, t)| (a, *t)));
        let mut buf = vec![0u8; CHUNK];
        loop {
            let n = file
                .read(&mut buf)
                .await
                .with_context(|| format!("reading {}", path.display()))?;
            if n == 0 {
                break;
            }
            import.push(&buf[..n]).await?;
            let (bytes, messages) = import.progress();
            bar.set_position(done + bytes);
            bar.set_message(format!("{} messages", totals.messages + messages));
        }
        let summary = import.finish().await?;
        done += std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        bar.set_position(done);
        any_rejected |= summary.has_rejects();
        bar.suspend(|| {
            if args.json {
                let mut v = serde_json::to_value(&summary).unwrap_or_default();
                v["file"] = path.display().to_string().into();
                out(&format!("{v}\n"));
            } else {
                for e in &summary.errors {
                    out(&format!("{}: rejected: {}\n", path.display(), e.error));
                }
            }
        });
        totals.add(summary);
    }
    bar.finish_and_clear();
    if !args.json {
        // The errors were printed per file, with its name.
        let mut text = totals.totals_text();
        if args.dry_run {
            text.push_str("dry run: nothing was stored\n");
        }
        out(&text);
    }
    if any_rejected { Err(Rejected.into()) } else { Ok(()) }
}
