use std::path::PathBuf;

use clap::{Parser, Subcommand};
use identity::admin::{AccessChange, UserFilter};
use ops::{bench, bootstrap, openapi, users::UsersAction};
use shared::{Id, auth::Role, aws, config::EnvReader};

/// Operations for Belta Shop Serverless (never deployed as a Lambda).
#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the table, the upload bucket and the mail identity if missing
    /// (TABLE_NAME, UPLOAD_BUCKET, MAIL_FROM; AWS_ENDPOINT_URL for the emulator).
    Bootstrap {
        /// Local emulator only: let anyone read uploads/* (the bucket stands in for the CDN).
        #[arg(long)]
        local_public_uploads: bool,
        /// Local emulator only: create the payment secret (PAYMENT_SECRET_ID) holding devpay's keys
        /// (DEVPAY_SECRET_KEY, DEVPAY_WEBHOOK_SECRET).
        #[arg(long)]
        local_payment_keys: bool,
        /// Local emulator only: create the OAuth secret (OAUTH_SECRET_ID) holding devauth's client
        /// secret (DEVAUTH_CLIENT_SECRET).
        #[arg(long)]
        local_oauth_secret: bool,
        /// Local emulator only: create the token signing-key secret (TOKEN_SIGNING_SECRET_ID) holding
        /// TOKEN_SIGNING_KEY (from `ops keys new --env`).
        #[arg(long)]
        local_token_key: bool,
    },
    /// Token signing keys (README, "Token keys and their rotation").
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Create an admin account (TABLE_NAME; the password from ADMIN_PASSWORD, never from the command line).
    /// Does nothing when the email already has an account.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Admin")]
        name: String,
    },
    /// Create a confirmed account of any role (TABLE_NAME; the password from ACCOUNT_PASSWORD, never
    /// from the command line). Does nothing when the email already has an account.
    CreateAccount {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// client, employee or admin.
        #[arg(long, value_parser = ops::users::parse_role)]
        role: Role,
    },
    /// Serve the whole API in this process on 127.0.0.1:PORT, as the API tests do: every function's
    /// router, devpoll for the queues and devpay for payments, against the table and resources of
    /// `ops bootstrap` (local.env's variables). Stops on SIGINT or SIGTERM.
    Serve {
        /// 0 picks a free port.
        #[arg(long, default_value_t = 9000)]
        port: u16,
        /// Also write the base URL to this file once the API answers.
        #[arg(long)]
        url_file: Option<PathBuf>,
    },
    /// Manage accounts as the admin routes do (TABLE_NAME). Every change ends the account's sessions;
    /// none leaves the deployment without an enabled admin.
    Users {
        #[command(subcommand)]
        action: UsersCommand,
    },
    /// Import a running Belta shop's MongoDB data from a `mongoexport` dump: one `<collection>.json` per
    /// collection in `--from` (TABLE_NAME; UPLOAD_BUCKET and PUBLIC_BASE_URL for --copy-images). Safe to
    /// run again: what is in the table already is left as it is. README, "Switching over from Belta".
    ImportBelta {
        #[arg(long)]
        from: PathBuf,
        /// Read and map everything, print what would be written and every record that cannot be
        /// imported and why; write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Copy every image URL into UPLOAD_BUCKET (checked like uploads) and rewrite the URLs.
        #[arg(long)]
        copy_images: bool,
    },
    /// Import a generated Belta dump of `--products` products into the table: items per second and
    /// write units per 10,000 products (needs the emulator).
    BenchImport {
        #[arg(long, default_value_t = 10_000)]
        products: usize,
    },
    /// Load a small bilingual demo catalogue (TABLE_NAME) into an empty catalogue, with generated pictures
    /// put into UPLOAD_BUCKET and read through PUBLIC_BASE_URL; otherwise do nothing.
    LoadDemo,
    /// Print the OpenAPI document, or write it to a file.
    Openapi {
        #[arg(long)]
        write: Option<PathBuf>,
    },
    /// DynamoDB requests and wall time per login, refresh and authenticated request (needs the emulator).
    BenchAuth {
        #[arg(long, default_value_t = 20)]
        runs: usize,
    },
    /// The catalogue read model with a synthetic catalogue: DynamoDB requests per list, CPU per list,
    /// snapshot memory and reload time (needs the emulator).
    BenchCatalog {
        /// Catalogue sizes, measured one after the other and printed side by side.
        #[arg(long, value_delimiter = ',', default_value = "5000")]
        products: Vec<usize>,
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// Cart read, add and order placement: DynamoDB requests and CPU per call (needs the emulator).
    BenchOrders {
        #[arg(long, default_value_t = 2000)]
        products: usize,
        #[arg(long, default_value_t = 200)]
        runs: usize,
    },
    /// Wall time and peak memory of one upload of `--megabytes` through /upload/single in the `upload`
    /// binary (needs the emulator).
    BenchUpload {
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[arg(long, default_value_t = 5)]
        megabytes: usize,
        binary: PathBuf,
    },
    /// Measure each binary's init time, init CPU and memory at init against a local stand-in of the
    /// Lambda runtime API, the binaries taking turns; with `--floor`, each also as a ratio to the floor.
    BenchInit {
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// The floor binary (target/release/floor), measured in the same turns.
        #[arg(long)]
        floor: Option<PathBuf>,
        /// Function binaries, e.g. target/release/welcome.
        binaries: Vec<PathBuf>,
    },
    /// `GET /products/{id}` in the `products` binary against the floor binary: init, CPU per request,
    /// peak memory and DynamoDB requests per request, in alternating rounds (needs the emulator).
    BenchFloor {
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long, default_value_t = 50)]
        warmup: usize,
        #[arg(long, default_value_t = 2000)]
        requests: usize,
        /// Products in the catalogue.
        #[arg(long, default_value_t = 100)]
        products: usize,
        /// The floor binary (target/release/floor).
        #[arg(long)]
        floor: PathBuf,
        /// The products binary (target/release/products).
        #[arg(long)]
        products_binary: PathBuf,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Users, newest first (tab-separated: id, role, state, email, name).
    List {
        /// client, employee or admin.
        #[arg(long, value_parser = ops::users::parse_role)]
        role: Option<Role>,
        /// Text in the full name or the email, any case.
        #[arg(long)]
        search: Option<String>,
    },
    /// One user.
    Show {
        #[arg(value_parser = ops::users::parse_id)]
        id: Id,
    },
    /// Change a user's role (client, employee or admin).
    SetRole {
        #[arg(value_parser = ops::users::parse_id)]
        id: Id,
        #[arg(value_parser = ops::users::parse_role)]
        role: Role,
    },
    /// Disable an account: no sign-in of any kind until it is enabled again.
    Disable {
        #[arg(value_parser = ops::users::parse_id)]
        id: Id,
    },
    /// Enable a disabled account again.
    Enable {
        #[arg(value_parser = ops::users::parse_id)]
        id: Id,
    },
    /// Delete an account and its personal data; its orders are kept, anonymised.
    Delete {
        #[arg(value_parser = ops::users::parse_id)]
        id: Id,
    },
    /// Once after upgrading from a version without these commands: put older users into the user list
    /// and count the enabled admins (a Scan; run it while no admin changes roles).
    Reindex,
    /// How many accounts still log in with a bcrypt hash imported from Belta (a Scan).
    LegacyPasswords,
}

impl From<UsersCommand> for UsersAction {
    fn from(command: UsersCommand) -> Self {
        let change = |role, disabled| AccessChange { role, disabled };
        match command {
            UsersCommand::List { role, search } => UsersAction::List(UserFilter { search, role }),
            UsersCommand::Show { id } => UsersAction::Show(id),
            UsersCommand::SetRole { id, role } => UsersAction::Change(id, change(Some(role), None)),
            UsersCommand::Disable { id } => UsersAction::Change(id, change(None, Some(true))),
            UsersCommand::Enable { id } => UsersAction::Change(id, change(None, Some(false))),
            UsersCommand::Delete { id } => UsersAction::Delete(id),
            UsersCommand::Reindex => UsersAction::Reindex,
            UsersCommand::LegacyPasswords => UsersAction::LegacyPasswords,
        }
    }
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Make a new Ed25519 signing key: print the signing-key secret's value and the entry to add to
    /// TokenPublicKeys (TOKEN_PUBLIC_KEYS).
    New {
        /// The key id (default: today's date and a random suffix).
        #[arg(long)]
        kid: Option<String>,
        /// Print shell variables (TOKEN_SIGNING_KEY, TOKEN_PUBLIC_KEYS) for the local stack instead.
        #[arg(long)]
        env: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Bootstrap {
            local_public_uploads,
            local_payment_keys,
            local_oauth_secret,
            local_token_key,
        } => {
            let resources = bootstrap::Resources::read(EnvReader::from_env())?;
            let payment_keys = local_payment_keys
                .then(|| bootstrap::LocalPaymentKeys::read(EnvReader::from_env()))
                .transpose()?;
            let oauth_secret = local_oauth_secret
                .then(|| bootstrap::LocalOAuthSecret::read(EnvReader::from_env()))
                .transpose()?;
            let token_key = local_token_key
                .then(|| bootstrap::LocalTokenKey::read(EnvReader::from_env()))
                .transpose()?;
            let sdk = aws::sdk_config_from_default_chain().await;
            bootstrap::run(&sdk, &resources, local_public_uploads).await?;
            if let Some(key) = token_key {
                let created = bootstrap::ensure_local_token_key(&sdk, &key).await?;
                println!(
                    "token signing key {} (kid {}): {}",
                    key.secret_id,
                    key.key.kid(),
                    if created { "created" } else { "updated" }
                );
            }
            if let Some(keys) = payment_keys {
                let created = bootstrap::ensure_local_payment_secret(&sdk, &keys).await?;
                println!(
                    "payment secret {}: {}",
                    keys.secret_id,
                    if created { "created" } else { "updated" }
                );
            }
            if let Some(secret) = oauth_secret {
                let created = bootstrap::ensure_local_oauth_secret(&sdk, &secret).await?;
                println!(
                    "OAuth secret {}: {}",
                    secret.secret_id,
                    if created { "created" } else { "updated" }
                );
            }
        }
        Command::Keys {
            command: KeysCommand::New { kid, env },
        } => {
            let key = ops::keys::new_key(kid.as_deref())?;
            if env {
                print!("{}", ops::keys::env_lines(&key));
            } else {
                print!("{}", ops::keys::instructions(&key));
            }
        }
        Command::CreateAdmin { email, name } => {
            let mut env = EnvReader::from_env();
            let table = shared::config::TableConfig::read(&mut env);
            let password = env.required("ADMIN_PASSWORD");
            env.finish()?;
            let users = identity::UserStore::new(
                aws::dynamodb(&aws::sdk_config_from_default_chain().await),
                table.table_name,
            );
            let created = ops::accounts::create_admin(&users, &email, &name, password).await?;
            println!(
                "admin {email}: {}",
                if created { "created" } else { "exists" }
            );
        }
        Command::CreateAccount { email, name, role } => {
            let mut env = EnvReader::from_env();
            let table = shared::config::TableConfig::read(&mut env);
            let password = env.required("ACCOUNT_PASSWORD");
            env.finish()?;
            let users = identity::UserStore::new(
                aws::dynamodb(&aws::sdk_config_from_default_chain().await),
                table.table_name,
            );
            let created = ops::accounts::create_account(
                &users,
                &email,
                &name,
                role,
                password,
                "ACCOUNT_PASSWORD",
            )
            .await?;
            println!(
                "{} {email}: {}",
                role.as_str(),
                if created { "created" } else { "exists" }
            );
        }
        Command::Serve { port, url_file } => {
            shared::telemetry::init();
            ops::serve::run(ops::serve::ServeOptions { port, url_file }).await?;
        }
        Command::Users { action } => {
            let mut env = EnvReader::from_env();
            let table = shared::config::TableConfig::read(&mut env);
            env.finish()?;
            let db = aws::dynamodb(&aws::sdk_config_from_default_chain().await);
            for line in ops::users::run(db, &table.table_name, action.into()).await? {
                println!("{line}");
            }
        }
        Command::LoadDemo => {
            let mut env = EnvReader::from_env();
            let table = env.required("TABLE_NAME");
            let bucket = env.required("UPLOAD_BUCKET");
            let public_base_url = env.required("PUBLIC_BASE_URL");
            env.finish()?;
            let sdk = aws::sdk_config_from_default_chain().await;
            let images = ops::demo::DemoImages {
                s3: &aws::s3(&sdk),
                bucket: &bucket,
                public_base_url: &public_base_url,
            };
            let loaded = ops::demo::load(&aws::dynamodb(&sdk), &table, &images).await?;
            println!(
                "demo catalogue: {}",
                if loaded {
                    "loaded"
                } else {
                    "skipped, the catalogue is not empty"
                }
            );
        }
        Command::ImportBelta {
            from,
            dry_run,
            copy_images,
        } => {
            let mut env = EnvReader::from_env();
            let table = env.required("TABLE_NAME");
            let (bucket, public_base_url) = match copy_images {
                true => (
                    env.required("UPLOAD_BUCKET"),
                    env.required("PUBLIC_BASE_URL"),
                ),
                false => Default::default(),
            };
            env.finish()?;
            let sdk = aws::sdk_config_from_default_chain().await;
            let target = ops::import::Target {
                db: aws::dynamodb(&sdk),
                s3: aws::s3(&sdk),
                table,
                bucket,
                public_base_url,
            };
            let options = ops::import::Options {
                dry_run,
                copy_images,
            };
            let report = ops::import::show_progress(|progress| {
                ops::import::run(&target, &from, options, progress)
            })
            .await?;
            print!("{report}");
        }
        Command::BenchImport { products } => {
            for line in
                ops::bench_import::measure(&aws::sdk_config_from_default_chain().await, products)
                    .await?
            {
                println!("{line}");
            }
        }
        Command::Openapi { write: None } => print!("{}", openapi::render()),
        Command::Openapi { write: Some(path) } => std::fs::write(&path, openapi::render())?,
        Command::BenchAuth { runs } => {
            let costs =
                ops::bench_auth::measure(&aws::sdk_config_from_default_chain().await, runs).await?;
            println!("| operation | AWS requests per call | wall median | wall p90 |");
            println!("|---|---|---|---|");
            for mut cost in costs {
                let (median, p90, _) = bench::summarize(&mut cost.wall);
                println!(
                    "| {} | {:.2} | {median:.2} ms | {p90:.2} ms |",
                    cost.name, cost.requests_per_call
                );
            }
        }
        Command::BenchCatalog { products, runs } => {
            let sdk = aws::sdk_config_from_default_chain().await;
            let mut reports = Vec::new();
            for &size in &products {
                let report = ops::bench_catalog::measure(&sdk, size, runs).await?;
                // Each size as it is done (a large one takes minutes against the emulator).
                eprint!(
                    "{}",
                    ops::bench_catalog::table(&[size], std::slice::from_ref(&report))
                );
                reports.push(report);
            }
            print!("{}", ops::bench_catalog::table(&products, &reports));
        }
        Command::BenchOrders { products, runs } => {
            let costs = ops::bench_orders::measure(
                &aws::sdk_config_from_default_chain().await,
                products,
                runs,
            )
            .await?;
            println!("| operation | DynamoDB requests per call | our CPU per call |");
            println!("|---|---|---|");
            for cost in costs {
                println!(
                    "| {} | {:.2} | {:.2} ms |",
                    cost.name, cost.requests_per_call, cost.cpu_ms_per_call
                );
            }
        }
        Command::BenchUpload {
            runs,
            megabytes,
            binary,
        } => {
            let sdk = aws::sdk_config_from_default_chain().await;
            let (mut env, token) = ops::bench_upload::prepare(&sdk).await?;
            for name in [
                "AWS_ENDPOINT_URL",
                "AWS_REGION",
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
            ] {
                env.push((name.to_owned(), std::env::var(name).unwrap_or_default()));
            }
            let event = ops::bench_upload::upload_event(&token, megabytes * 1_000_000);
            println!(
                "event: {:.2} MB of JSON for a {megabytes} MB file (Lambda's synchronous payload limit is 6 MB)",
                event.len() as f64 / 1e6
            );
            println!("| run | status | wall | peak RSS |");
            println!("|---|---|---|---|");
            for run in 1..=runs {
                let result = ops::bench_upload::invoke_once(&binary, &env, event.clone()).await?;
                println!(
                    "| {run} | {} | {:.1} ms | {:.1} MiB |",
                    result.status,
                    result.wall.as_secs_f64() * 1000.0,
                    result.peak_rss_kib as f64 / 1024.0
                );
            }
        }
        Command::BenchInit {
            runs,
            floor,
            binaries,
        } => {
            // Every setting a function may require, with harmless values: init needs no network, but
            // for auth's one read of its signing key, which goes to the emulator (AWS_ENDPOINT_URL).
            let public_keys = bench::public_keys();
            let mut env: Vec<(String, String)> = [
                ("TABLE_NAME", "bench"),
                ("UPLOAD_BUCKET", "bench"),
                ("MAIL_FROM", "bench@example.com"),
                (
                    "MAIL_QUEUE_URL",
                    "https://sqs.us-east-1.amazonaws.com/123456789012/bench-mail",
                ),
                ("TOKEN_PUBLIC_KEYS", public_keys.as_str()),
                ("PUBLIC_BASE_URL", "https://cdn.bench.example"),
                ("PAYMENT_SECRET_ID", "bench-payment"),
                ("ALLOWED_ORIGINS", "https://shop.bench.example"),
                ("CATALOG_SNAPSHOT_BUCKET", "bench"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec();
            if let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") {
                let secret = bootstrap::LocalTokenKey {
                    secret_id: format!("bench-token-key-{}", shared::Id::new()),
                    key: bench::signing_key().clone(),
                };
                bootstrap::ensure_local_token_key(
                    &aws::sdk_config_from_default_chain().await,
                    &secret,
                )
                .await?;
                env.extend([
                    ("AWS_ENDPOINT_URL".to_owned(), endpoint),
                    ("TOKEN_SIGNING_SECRET_ID".to_owned(), secret.secret_id),
                ]);
            }
            let binaries: Vec<PathBuf> = floor.iter().cloned().chain(binaries).collect();
            // Turns: every binary once per run, so that the machine's load falls on all alike.
            let mut inits: Vec<Vec<bench::Init>> = binaries.iter().map(|_| Vec::new()).collect();
            for _ in 0..runs {
                for (binary, inits) in binaries.iter().zip(&mut inits) {
                    inits.push(bench::measure_init(binary, &env).await?);
                }
            }
            for line in bench::init_table(&binaries, &inits, floor.is_some()) {
                println!("{line}");
            }
        }
        Command::BenchFloor {
            rounds,
            warmup,
            requests,
            products,
            floor,
            products_binary,
        } => {
            let endpoint = std::env::var("AWS_ENDPOINT_URL").map_err(|_| {
                anyhow::anyhow!("bench-floor needs the emulator (AWS_ENDPOINT_URL)")
            })?;
            let options = ops::bench_floor::Options {
                rounds,
                warmup,
                requests,
                products,
            };
            let report = ops::bench_floor::report(
                &aws::sdk_config_from_default_chain().await,
                &endpoint,
                floor,
                products_binary,
                options,
            )
            .await?;
            for line in report {
                println!("{line}");
            }
        }
    }
    Ok(())
}
