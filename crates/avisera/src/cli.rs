//! Command-line entry points.

use crate::config::{Config, ConfigError, LogFormat};
use crate::server;
use anyhow::Context;
use avisera_domain::billing::Month;
use avisera_domain::holidays::Country;
use avisera_domain::mapping::Mapping;
use avisera_domain::plan::Plan;
use avisera_domain::sms;
use avisera_domain::tenant::Brand;
use avisera_domain::{Clock, SystemClock, TenantId};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "avisera",
    version,
    about = "Branded SMS and email notifications for parcel receivers"
)]
struct Cli {
    /// Configuration file (TOML); AVISERA_* environment variables override each of its keys.
    #[arg(long, global = true, env = "AVISERA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Everything on one machine: embedded SQLite, a demo tenant, a simulated carrier feed and
    /// a dev inbox that shows what would have been sent.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// Seconds between new simulated shipments.
        #[arg(long, default_value_t = 2.0)]
        every: f64,
        /// Keep the demo's data (its folder in the temporary directory) when it stops.
        #[arg(long)]
        keep: bool,
    },
    /// Runs the API and the delivery worker against the configured database.
    Serve,
    /// Brings the database schema to this release's version (creates it in a new database,
    /// adopts one made before versioned migrations) and exits; other commands refuse a schema
    /// older or newer than they know. Several nodes may run it at once.
    Migrate,
    /// Tenants (operator commands).
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// Portal users (operator commands).
    #[command(subcommand)]
    User(UserCommand),
    /// Prints the trigger catalogue: number, name, and the plans that have it.
    Triggers,
    /// Prints a country's public holidays of a year (SE, NO, DK, FI): date, weekday and name,
    /// with the days off in practice but not by law marked "de facto".
    Holidays {
        /// SE, NO, DK or FI.
        country: String,
        /// 1955 to 2200.
        year: i64,
        /// Print JSON, as `GET /v1/holidays` answers.
        #[arg(long)]
        json: bool,
    },
    /// Prints the effective event-code mapping (shipped defaults with the operator's
    /// `mapping_file` over them, and a tenant's own lines with --tenant), in the format such a
    /// file takes.
    Mapping {
        #[arg(long)]
        tenant: Option<i64>,
    },
    /// Prints a tenant's bill for a calendar month (Europe/Stockholm).
    Bill {
        #[arg(long)]
        tenant: i64,
        /// The month, like 2026-11.
        #[arg(long)]
        month: String,
        /// CSV: the bill's lines, then every billed notification.
        #[arg(long)]
        csv: bool,
    },
    /// Reads a text on standard input and prints its SMS encoding, characters and segments.
    /// The text is counted exactly as given, a final line break included, as the API and the
    /// worker count it: use `printf '%s' "$TEXT" | avisera sms-count`, not `echo`.
    SmsCount {
        /// Replace typographic quotes, dashes and the like first, as a tenant with
        /// transliteration on would (used only when that makes the text GSM-7).
        #[arg(long)]
        transliterate: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A receiver's personal data: erase it (`erase`) or print all of it as JSON (`export`).
    #[command(subcommand)]
    Privacy(PrivacyCommand),
    /// Imports EDIFACT files (IFTMIN, IFTSTA) for a tenant with a progress bar, then prints
    /// every rejected message and a summary. Exit status 2 when anything was rejected.
    Import(crate::import_cli::ImportArgs),
}

#[derive(Subcommand)]
enum PrivacyCommand {
    /// Erases the person's name, phone, email and address from every shipment, event,
    /// notification and log of the tenant (their opt-out still holds; bills do not change),
    /// and prints what was erased as JSON.
    Erase {
        #[arg(long)]
        tenant: i64,
        #[command(flatten)]
        person: PersonArgs,
    },
    /// Prints everything the tenant holds about the person as JSON (right of access).
    Export {
        #[arg(long)]
        tenant: i64,
        #[command(flatten)]
        person: PersonArgs,
    },
}

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct PersonArgs {
    /// The person's phone number (best international: +46701234567).
    #[arg(long)]
    phone: Option<String>,
    #[arg(long)]
    email: Option<String>,
    /// The receiver of this shipment.
    #[arg(long)]
    tracking_number: Option<String>,
}

impl PersonArgs {
    fn subject(&self) -> anyhow::Result<avisera_domain::privacy::Subject> {
        Ok(avisera_core::privacy::subject(
            self.phone.as_deref(),
            self.email.as_deref(),
            self.tracking_number.as_deref(),
        )?)
    }
}

#[derive(Subcommand)]
enum TenantCommand {
    /// Creates a tenant and prints its first API key (shown once).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "plus")]
        plan: Plan,
        /// Also create the tenant's first portal admin with this email (password printed once).
        #[arg(long)]
        admin_email: Option<String>,
    },
    /// Lists tenants.
    List,
    /// Moves a tenant to another plan from now; the bill splits the month by day.
    SetPlan {
        #[arg(long)]
        tenant: i64,
        #[arg(long)]
        plan: Plan,
    },
    /// Sets a new secret for the tenant's signed carrier webhook and prints it (shown once);
    /// the previous one stops working at once.
    WebhookSecret {
        #[arg(long)]
        tenant: i64,
    },
    /// Shows or sets the tenant's own rate limit (messages per second over all nodes), which
    /// wins over delivery.tenant_rate_per_second; --default puts it back on that.
    Rate {
        #[arg(long)]
        tenant: i64,
        /// Messages per second, 1 or more.
        #[arg(long, conflicts_with = "default", value_parser = clap::value_parser!(u32).range(1..))]
        per_second: Option<u32>,
        /// Forget the tenant's own limit: the configured default applies again.
        #[arg(long)]
        default: bool,
    },
    /// Shows or switches the open-tracking image in the tenant's emails (off by default): when
    /// on, each email's HTML carries a 1×1 image served by Avisera that counts its opens.
    /// Emails already rendered keep what they were rendered with.
    OpenTracking {
        #[arg(long)]
        tenant: i64,
        /// Put the image in the tenant's emails from now on, and count their opens.
        #[arg(long, conflicts_with = "off")]
        on: bool,
        /// No image in new emails, and no counting of the ones sent with it.
        #[arg(long)]
        off: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Adds a portal user to a tenant and prints a first password (shown once).
    Add {
        #[arg(long)]
        tenant: i64,
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "")]
        name: String,
        /// admin, editor or viewer.
        #[arg(long)]
        role: avisera_domain::user::Role,
    },
    /// Lists a tenant's portal users.
    List {
        #[arg(long)]
        tenant: i64,
    },
}

pub async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Loaded and checked once; a command that needs no configuration runs even when it is bad.
    let vars = std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
    let config = Config::load(cli.config.as_deref(), vars);
    let log_format = match &config {
        Ok(c) => c.log_format,
        Err(_) if std::env::var("AVISERA_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) => LogFormat::Json,
        Err(_) => LogFormat::Text,
    };
    crate::telemetry::init_logs(log_format);
    let _ = rustls::crypto::ring::default_provider().install_default();
    match run(cli, config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is::<crate::import_cli::Rejected>() => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli, config: Result<Config, ConfigError>) -> anyhow::Result<()> {
    let load = || match &config {
        Ok(c) => Ok(c.clone()),
        Err(e) => Err(anyhow::anyhow!("{e}")),
    };
    match cli.command {
        Command::Demo { listen, every, keep } => crate::demo::run(&listen, every, keep).await,
        Command::Serve => {
            let config = load()?;
            config.check()?;
            let store = server::open_store(&config).await?;
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("listening on {}", config.listen))?;
            let roles: Vec<&str> = config.roles.iter().map(|r| r.as_str()).collect();
            tracing::info!(listen = %listener.local_addr()?, roles = %roles.join(","), "avisera serving");
            server::run(server::build_app(config, store), listener).await
        }
        Command::Migrate => {
            let (_, report) = server::open_migrated_store(&load()?).await?;
            print!("{}", server::migration_summary(&report));
            Ok(())
        }
        Command::User(UserCommand::Add {
            tenant,
            email,
            name,
            role,
        }) => {
            let store = server::open_store(&load()?).await?;
            let tenant = store
                .tenant(TenantId(tenant))
                .await?
                .with_context(|| format!("there is no tenant {tenant}; see `avisera tenant list`"))?;
            let password = avisera_core::users::new_password();
            let id =
                avisera_core::users::add(&*store, SystemClock.now(), tenant.id, &email, &name, role, &password).await?;
            println!(
                "user {id} ({email}, {role}) added to {}\nfirst password (shown once): {password}",
                tenant.name
            );
            Ok(())
        }
        Command::User(UserCommand::List { tenant }) => {
            let store = server::open_store(&load()?).await?;
            for u in store.users(TenantId(tenant)).await? {
                println!("{}\t{}\t{}\t{}", u.id, u.email, u.role, u.name);
            }
            Ok(())
        }
        Command::Tenant(TenantCommand::Create {
            name,
            plan,
            admin_email,
        }) => {
            // The tenant's name becomes its first brand name, which goes into every message.
            let brand = Brand::named(&name);
            brand.check().map_err(|(_, why)| anyhow::anyhow!("--name: {why}"))?;
            let store = server::open_store(&load()?).await?;
            let now = SystemClock.now();
            let tenant = store.create_tenant(&name, plan, &brand, now).await?;
            let key = avisera_core::tenants::add_api_key(store.as_ref(), tenant.id, "first key", now).await?;
            println!(
                "tenant {} created ({}, plan {})\nAPI key (shown once): {key}",
                tenant.id, tenant.name, tenant.plan
            );
            if let Some(email) = admin_email {
                let password = avisera_core::users::new_password();
                avisera_core::users::add(
                    &*store,
                    now,
                    tenant.id,
                    &email,
                    "",
                    avisera_domain::user::Role::Admin,
                    &password,
                )
                .await?;
                println!("portal admin {email}, first password (shown once): {password}");
            }
            Ok(())
        }
        Command::Triggers => {
            print!("{}", crate::catalogue::triggers_text());
            Ok(())
        }
        Command::Holidays { country, year, json } => {
            let country: Country = country.parse()?;
            let year = avisera_domain::holidays::check_year(year)?;
            let list = avisera_domain::holidays::holidays(country, year);
            if json {
                #[derive(serde::Serialize)]
                struct HolidayList<'a> {
                    country: &'a str,
                    year: i16,
                    holidays: Vec<avisera_domain::holidays::Holiday>,
                }
                let list = HolidayList {
                    country: country.code(),
                    year,
                    holidays: list,
                };
                println!("{}", serde_json::to_string(&list)?);
            } else {
                for h in list {
                    let weekday = h.date.strftime("%a");
                    let de_facto = if h.de_facto { "\tde facto" } else { "" };
                    println!("{}\t{weekday}\t{}{de_facto}", h.date, h.name);
                }
            }
            Ok(())
        }
        Command::Mapping { tenant } => {
            let config = load()?;
            let mut mapping = Mapping::defaults().with(&config.operator_mapping);
            if let Some(tenant) = tenant {
                let store = server::open_store(&config).await?;
                if let Some(lines) = store.tenant_mapping(TenantId(tenant)).await? {
                    mapping = mapping.with(&Mapping::parse(&lines)?);
                }
            }
            print!("{}", crate::catalogue::mapping_text(&mapping));
            Ok(())
        }
        Command::SmsCount { transliterate, json } => {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut text).context("reading standard input")?;
            // Counted exactly as given: a line break is a character the receiver's phone gets.
            let text = text.as_str();
            let sent = sms::as_sent(text, transliterate);
            let c = sms::count(&sent);
            if json {
                let mut v = serde_json::to_value(c)?;
                v["text"] = serde_json::Value::from(sent.as_ref());
                println!("{v}");
            } else {
                let unit = match c.encoding {
                    sms::SmsEncoding::Gsm7 => "septets",
                    sms::SmsEncoding::Ucs2 => "UTF-16 units",
                };
                if sent != text {
                    println!("text:       {sent}");
                }
                println!("encoding:   {}", c.encoding);
                println!("characters: {}", c.characters);
                println!("units:      {} {unit}", c.units);
                println!("segments:   {}", c.segments);
            }
            Ok(())
        }
        Command::Privacy(PrivacyCommand::Erase { tenant, person }) => {
            let config = load()?;
            if config.link_secret.is_none() {
                anyhow::bail!(
                    "set link_secret (AVISERA_LINK_SECRET) as the nodes have it: an erased address's opt-out is kept as its hash under that secret, and only the same secret finds it again"
                );
            }
            let subject = person.subject()?;
            let store = server::open_store(&config).await?;
            let tenant = TenantId(tenant);
            store
                .tenant(tenant)
                .await?
                .with_context(|| format!("no tenant {tenant}"))?;
            let app = server::build_app(config, store);
            let erased = crate::privacy::erase(&app, tenant, &subject).await?;
            println!("{}", serde_json::to_string_pretty(&erased)?);
            Ok(())
        }
        Command::Privacy(PrivacyCommand::Export { tenant, person }) => {
            let subject = person.subject()?;
            let store = server::open_store(&load()?).await?;
            let tenant = TenantId(tenant);
            store
                .tenant(tenant)
                .await?
                .with_context(|| format!("no tenant {tenant}"))?;
            let data = avisera_core::privacy::export(store.as_ref(), tenant, &subject).await?;
            println!("{}", serde_json::to_string_pretty(&data)?);
            Ok(())
        }
        Command::Bill { tenant, month, csv } => {
            let config = load()?;
            let month = Month::parse(&month)?;
            let store = server::open_store(&config).await?;
            let tenant = store
                .tenant(TenantId(tenant))
                .await?
                .with_context(|| format!("no tenant {tenant}"))?;
            let (bill, billed) = avisera_core::billing::monthly(store.as_ref(), &config.prices, &tenant, month).await?;
            if csv {
                print!("{}", avisera_core::billing::csv(&bill, &billed));
            } else {
                print!("{}", avisera_core::billing::text(&bill, &tenant));
            }
            Ok(())
        }
        Command::Tenant(TenantCommand::SetPlan { tenant, plan }) => {
            let store = server::open_store(&load()?).await?;
            let id = TenantId(tenant);
            let before = store.tenant(id).await?.with_context(|| format!("no tenant {tenant}"))?;
            let disabled =
                avisera_core::plans::change_plan(store.as_ref(), id, plan, SystemClock.now(), "operator").await?;
            println!("tenant {tenant}: plan {} -> {plan} from now", before.plan);
            for rule in disabled {
                println!(
                    "  disabled rule {} \"{}\": {plan} lacks trigger {} (#{})",
                    rule.id,
                    rule.name,
                    rule.trigger,
                    rule.trigger.number()
                );
            }
            Ok(())
        }
        Command::Tenant(TenantCommand::WebhookSecret { tenant }) => {
            let config = load()?;
            let store = server::open_store(&config).await?;
            let id = TenantId(tenant);
            store.tenant(id).await?.with_context(|| format!("no tenant {tenant}"))?;
            let secret = avisera_core::tenants::rotate_webhook_secret(store.as_ref(), id, SystemClock.now()).await?;
            println!(
                "webhook secret for tenant {tenant} (shown once): {secret}\nURL: {}/v1/webhooks/tracking/{tenant}",
                config.public_url.trim_end_matches('/')
            );
            Ok(())
        }
        Command::Tenant(TenantCommand::Rate {
            tenant,
            per_second,
            default,
        }) => {
            let config = load()?;
            let store = server::open_store(&config).await?;
            let id = TenantId(tenant);
            store.tenant(id).await?.with_context(|| format!("no tenant {tenant}"))?;
            if default {
                store.set_tenant_rate(id, None).await?;
            } else if let Some(n) = per_second.and_then(avisera_domain::rate::Rate::per_second) {
                store.set_tenant_rate(id, Some(n)).await?;
            }
            let shown = match (store.tenant_rate(id).await?, config.delivery.tenant_rate_per_second) {
                (Some(own), _) => format!("at most {} messages per second (its own limit)", own.get()),
                (None, Some(n)) => format!("at most {n} messages per second (delivery.tenant_rate_per_second)"),
                (None, None) => "no limit (delivery.tenant_rate_per_second is not set)".into(),
            };
            println!("tenant {tenant}: {shown}");
            Ok(())
        }
        Command::Tenant(TenantCommand::OpenTracking { tenant, on, off }) => {
            let store = server::open_store(&load()?).await?;
            let id = TenantId(tenant);
            let mut current = store.tenant(id).await?.with_context(|| format!("no tenant {tenant}"))?;
            if on || off {
                store.set_open_tracking(id, on).await?;
                current.open_tracking = on;
            }
            let shown = if current.open_tracking {
                "on: its emails carry an image that counts their opens"
            } else {
                "off: no image in its emails, no opens counted"
            };
            println!("tenant {tenant}: open tracking {shown}");
            Ok(())
        }
        Command::Import(args) => crate::import_cli::run(args, load).await,
        Command::Tenant(TenantCommand::List) => {
            let store = server::open_store(&load()?).await?;
            for t in store.tenants().await? {
                println!("{}\t{}\t{}", t.id, t.plan, t.name);
            }
            Ok(())
        }
    }
}
