//! The catalogue read model at size: a synthetic catalogue of `--products` products (with brands,
//! categories, subcategories, labels, tags and offers) in the emulator, then the `products` router with
//! a DynamoDB client that counts its requests.
//!
//! Reported, per catalogue size (`--products 5000,50000` gives one column each): DynamoDB requests
//! per public read (steady state, right after another process's write, in a fresh process started
//! from the snapshot object), the CPU our process spends on them, the snapshot's memory, and the
//! snapshot object's size and decode time.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use aws_config::SdkConfig;
use aws_sdk_dynamodb::{
    Client,
    types::{PutRequest, WriteRequest},
};
use axum::body::Body;
use catalog::{
    CatalogConfig, CatalogState,
    index::Catalog,
    kind::{Extra, Kind},
    lists::{ProductListQuery, render},
    model::{Entity, Offer, OfferType, Product, Record},
    store::{CatalogStore, bump_version, to_item},
    stored::SnapshotObject,
    views,
};
use http::Request;
use shared::{Id, Lang, Money, config::EnvReader, db::schema};
use tower::ServiceExt;

use crate::bench::{counted_dynamodb, process_cpu};

const ADJECTIVES: [(&str, &str); 8] = [
    ("أحمر", "Red"),
    ("كبير", "Large"),
    ("خفيف", "Light"),
    ("قطني", "Cotton"),
    ("ذكي", "Smart"),
    ("كلاسيكي", "Classic"),
    ("رياضي", "Sport"),
    ("عربي", "Arabic"),
];
const NOUNS: [(&str, &str); 10] = [
    ("قميص", "Shirt"),
    ("حذاء", "Shoe"),
    ("ساعة", "Watch"),
    ("قهوة", "Coffee"),
    ("هاتف", "Phone"),
    ("حقيبة", "Bag"),
    ("مصباح", "Lamp"),
    ("كرسي", "Chair"),
    ("عطر", "Perfume"),
    ("كتاب", "Book"),
];

/// A catalogue shaped like a real shop's: every product in a subcategory, most with a brand, two tags,
/// one label, one in five with an offer.
pub struct Synthetic {
    pub entities: Vec<Entity>,
    pub products: Vec<Product>,
    pub offers: Vec<Offer>,
}

fn entity(kind: Kind, i: usize, created_at: i64) -> Entity {
    let (ar, en) = NOUNS[i % NOUNS.len()];
    let mut entity = Entity::new(kind, created_at);
    entity.name_ar = format!("{ar} {i}");
    entity.name_en = format!("{en} {} {i}", kind.path());
    let extra = kind.spec().extra;
    entity.cover =
        (extra == Extra::Cover).then(|| format!("https://cdn.example/{}/{i}.webp", kind.path()));
    entity.color = (extra == Extra::Color).then(|| format!("#{:06X}", i * 40_503 % 0xFF_FFFF));
    entity.disabled = i.is_multiple_of(17);
    entity
}

pub fn synthetic(products: usize) -> Synthetic {
    let now = shared::clock::now_millis();
    let counts = [
        (Kind::Category, 12),
        (Kind::Subcategory, 60),
        (Kind::Brand, 80),
        (Kind::Label, 15),
        (Kind::Tag, 40),
    ];
    let mut by_kind: HashMap<Kind, Vec<Entity>> = HashMap::new();
    for (kind, count) in counts {
        by_kind.insert(
            kind,
            (0..count)
                .map(|i| entity(kind, i, now - 10_000_000 + i as i64))
                .collect(),
        );
    }
    let categories: Vec<Id> = by_kind[&Kind::Category].iter().map(|c| c.id).collect();
    for (i, sub) in by_kind
        .get_mut(&Kind::Subcategory)
        .unwrap()
        .iter_mut()
        .enumerate()
    {
        sub.category = Some(categories[i % categories.len()]);
    }
    let pick = |kind: Kind, i: usize| by_kind[&kind][i % by_kind[&kind].len()].id;
    let mut links: HashMap<Id, u64> = HashMap::new();
    let mut all_products = Vec::with_capacity(products);
    let mut offers = Vec::new();
    for i in 0..products {
        let (adj_ar, adj_en) = ADJECTIVES[i % ADJECTIVES.len()];
        let (noun_ar, noun_en) = NOUNS[(i / ADJECTIVES.len()) % NOUNS.len()];
        let created_at = now - 5_000_000 + i as i64;
        let mut product = Product::new(created_at);
        product.name_ar = format!("{noun_ar} {adj_ar} {i}");
        product.name_en = format!("{adj_en} {noun_en} {i}");
        product.description_ar = format!("وصف المنتج {noun_ar} {adj_ar}، جودة عالية وسعر مناسب.");
        product.description_en = format!("A {adj_en} {noun_en}: good quality at a fair price.");
        product.cover_list = vec![
            format!("https://cdn.example/products/{i}-1.webp"),
            format!("https://cdn.example/products/{i}-2.webp"),
        ];
        product.quantity = (i % 50) as u64;
        product.price = Money::from_minor(1_000 + (i as i64 * 7_919) % 500_000);
        product.min_price = Money::from_minor(500);
        product.disabled = i.is_multiple_of(23);
        product.brand = (!i.is_multiple_of(10)).then(|| pick(Kind::Brand, i));
        product.subcategory = Some(pick(Kind::Subcategory, i));
        product.labels = vec![pick(Kind::Label, i)];
        product.tags = vec![pick(Kind::Tag, i), pick(Kind::Tag, i + 7)];
        for (_, parent) in product.parents() {
            *links.entry(parent).or_default() += 1;
        }
        if i.is_multiple_of(5) {
            let mut offer = Offer::new(product.id, created_at);
            offer.name_ar = Some(format!("عرض {i}"));
            offer.name_en = Some(format!("Deal {i}"));
            (offer.offer_type, offer.amount) = if i.is_multiple_of(2) {
                (OfferType::Percent, 1_500)
            } else {
                (OfferType::Fixed, 2_000)
            };
            offer.offer_quantity = 100;
            offer.max_per_client = 2;
            product.offer = Some(offer.id);
            offers.push(offer);
        }
        all_products.push(product);
    }
    let mut entities: Vec<Entity> = by_kind.into_values().flatten().collect();
    for entity in &mut entities {
        entity.link_count = links.get(&entity.id).copied().unwrap_or_default();
        if entity.kind == Kind::Category {
            entity.link_count = 5;
        }
    }
    Synthetic {
        entities,
        products: all_products,
        offers,
    }
}

/// Writes every record (25 per BatchWriteItem, several batches at once), then moves the version on.
pub async fn store(db: &Client, table: &str, catalog: &Synthetic) -> anyhow::Result<()> {
    let items: Vec<_> = catalog
        .entities
        .iter()
        .map(to_item)
        .chain(catalog.products.iter().map(to_item))
        .chain(catalog.offers.iter().map(to_item))
        .collect();
    let batches: Vec<Vec<WriteRequest>> = items
        .chunks(25)
        .map(|chunk| {
            chunk
                .iter()
                .map(|item| {
                    let put = PutRequest::builder().set_item(Some(item.clone())).build();
                    WriteRequest::builder()
                        .put_request(put.expect("item set"))
                        .build()
                })
                .collect()
        })
        .collect();
    for group in batches.chunks(8) {
        let writes = group.iter().map(|batch| {
            db.batch_write_item()
                .request_items(table, batch.clone())
                .send()
        });
        for result in futures_util::future::join_all(writes).await {
            let output = result?;
            anyhow::ensure!(
                output.unprocessed_items().is_none_or(HashMap::is_empty),
                "the emulator left items unprocessed"
            );
        }
    }
    db.transact_write_items()
        .transact_items(bump_version(table))
        .send()
        .await?;
    Ok(())
}

/// CPU time this thread has used (`/proc/thread-self/schedstat`, nanoseconds). The kernel brings a
/// running thread's figure up to date only at a tick or a switch: read as it stands, it would leave out
/// what the thread did since it last woke (decoding the last answer, applying it), every time. A sleep
/// of a microsecond is a switch, so the figure read after it is exact.
fn thread_cpu() -> Duration {
    std::thread::sleep(Duration::from_micros(1));
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_default()
}

/// A catalogue reader as a function runs one since issue 16: a current-thread runtime on a thread of
/// its own, with clients (and connections) of its own, so that the thread's CPU is exactly what a
/// read costs. Whole-process CPU would also count the bench's own runtime, idle while the emulator
/// answers (which at 50,000 products takes hundreds of milliseconds).
struct CurrentThreadReader {
    ask: std::sync::mpsc::Sender<()>,
    answers: std::sync::mpsc::Receiver<anyhow::Result<(Duration, usize)>>,
}

impl CurrentThreadReader {
    fn start(table: String, bucket: String) -> anyhow::Result<CurrentThreadReader> {
        let (ask, asked) = std::sync::mpsc::channel::<()>();
        let (answer, answers) = std::sync::mpsc::channel();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        // Named, so that a profile of the bench can be narrowed to it.
        std::thread::Builder::new()
            .name("catalog-reader".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let sdk = shared::aws::sdk_config_from_default_chain().await;
                    let (db, counter) = counted_dynamodb(&sdk);
                    let object = SnapshotObject {
                        s3: shared::aws::s3(&sdk),
                        bucket,
                    };
                    let reader = CatalogStore::new(db, table).with_snapshot_object(Some(object));
                    for () in asked {
                        let (before, cpu_before) = (counter.get(), thread_cpu());
                        let read = reader.snapshot().await.map(drop);
                        let cost = (thread_cpu() - cpu_before, counter.get() - before);
                        let sent =
                            answer.send(read.map(|()| cost).map_err(|e| anyhow::anyhow!("{e}")));
                        if sent.is_err() {
                            break;
                        }
                    }
                });
            })?;
        Ok(CurrentThreadReader { ask, answers })
    }

    /// One read (which catches up on what changed since the last): its CPU and DynamoDB requests.
    fn catch_up(&self) -> anyhow::Result<(Duration, usize)> {
        self.ask.send(())?;
        self.answers.recv()?
    }
}

/// CPU time every thread of the process has used so far, in nanoseconds (`/proc/self/task/*/schedstat`):
/// precise where `/proc/self/stat` counts 10 ms ticks (threads that ended are not counted; the runtime's
/// workers live as long as the process).
fn threads_cpu() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .sum()
}

/// One run's figures, each with what it measures, in the order printed.
pub struct Report {
    pub figures: Vec<(String, String)>,
}

impl Report {
    fn add(&mut self, measure: &str, value: String) {
        self.figures.push((measure.to_owned(), value));
    }
}

/// Several runs side by side: one row per measure, one column per catalogue size.
pub fn table(sizes: &[usize], reports: &[Report]) -> String {
    let mut out = String::from("| measure |");
    for size in sizes {
        out.push_str(&format!(" {size} products |"));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(sizes.len()));
    out.push('\n');
    let Some(first) = reports.first() else {
        return out;
    };
    for (measure, _) in &first.figures {
        out.push_str(&format!("| {measure} |"));
        for report in reports {
            let value = report
                .figures
                .iter()
                .find(|(m, _)| m == measure)
                .map_or("n/a", |(_, v)| v.as_str());
            out.push_str(&format!(" {value} |"));
        }
        out.push('\n');
    }
    out
}

/// The largest catalogue whose full load from the emulator is measured: moto re-reads and sorts the
/// whole partition for every 1 MB Query page, so a load costs the square of the size there (about 15 s
/// at 5,000 products, half an hour at 50,000), which says nothing of DynamoDB.
const LARGEST_TABLE_LOAD: usize = 10_000;

pub async fn measure(sdk: &SdkConfig, products: usize, runs: usize) -> anyhow::Result<Report> {
    let table = format!("bench-catalog-{}", Id::new());
    let bucket = format!("bench-catalog-{}", Id::new());
    let plain_db = shared::aws::dynamodb(sdk);
    let s3 = shared::aws::s3(sdk);
    schema::ensure_table(&plain_db, &table).await?;
    s3.create_bucket().bucket(&bucket).send().await?;
    let catalog = synthetic(products);
    let stored_bytes: usize = catalog
        .products
        .iter()
        .map(|p| serde_json::to_vec(p).map_or(0, |v| v.len()))
        .sum();
    store(&plain_db, &table, &catalog).await?;
    let mut report = Report {
        figures: Vec::new(),
    };
    report.add(
        "catalogue",
        format!(
            "{} products ({} KB as JSON), {} entities, {} offers",
            catalog.products.len(),
            stored_bytes / 1024,
            catalog.entities.len(),
            catalog.offers.len()
        ),
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let (counted_db, counter) = counted_dynamodb(sdk);
    let progress = |stage: &str| eprintln!("bench-catalog {products}: {stage}");
    progress("stored");

    // The snapshot in memory: what a load builds, and what it holds.
    let mut builds = Vec::new();
    let mut snapshot = Catalog::default();
    for _ in 0..5 {
        let records = (
            catalog.entities.clone(),
            catalog.products.clone(),
            catalog.offers.clone(),
        );
        drop(snapshot);
        let started = thread_cpu();
        snapshot = Catalog::build(records.0, records.1, records.2);
        builds.push(thread_cpu() - started);
    }
    let (build, _, _) = crate::bench::summarize(&mut builds);
    let held = snapshot.heap_bytes();
    report.add(
        "snapshot memory (records, strings, maps and ordered sets, by capacity)",
        format!(
            "{:.1} MiB ({:.0} bytes per product)",
            held as f64 / 1_048_576.0,
            held as f64 / catalog.products.len() as f64
        ),
    );

    // The snapshot object: written as catalog-snapshot writes it, then read as a fresh Lambda reads it.
    let object = SnapshotObject {
        s3: s3.clone(),
        bucket: bucket.clone(),
    };
    let version = catalog::store::current_version(&plain_db, &table).await?;
    let started = Instant::now();
    let bytes = catalog::stored::encode(version, &snapshot)?;
    let encode = started.elapsed();
    object.write(version, &snapshot).await?;
    let mut decodes = Vec::new();
    for _ in 0..5 {
        let started = thread_cpu();
        let decoded = std::hint::black_box(catalog::stored::decode(&bytes)?);
        decodes.push(thread_cpu() - started);
        drop(decoded);
    }
    let (decode, _, _) = crate::bench::summarize(&mut decodes);
    report.add(
        "snapshot object (zstd): size, encode",
        format!("{:.1} MB, {:.0} ms", bytes.len() as f64 / 1e6, ms(encode)),
    );
    report.add(
        "snapshot object decode at a cold start (unpack, parse, build the index), our CPU",
        format!("{decode:.0} ms (of which building the index alone {build:.0} ms), median of 5"),
    );

    progress("object written and decoded");
    // A full load from the table, as a Lambda without the object does.
    if products <= LARGEST_TABLE_LOAD {
        let before = counter.get();
        let started = Instant::now();
        drop(
            CatalogStore::new(counted_db.clone(), table.clone())
                .load()
                .await?,
        );
        report.add(
            "full load from the table (no object): requests, time against the emulator",
            format!(
                "{} (1 MB Query pages), {:.0} ms (moto's, not DynamoDB's)",
                counter.get() - before,
                ms(started.elapsed())
            ),
        );
    } else {
        report.add(
            "full load from the table (no object): requests, time against the emulator",
            format!("not run above {LARGEST_TABLE_LOAD} products (moto's Query is quadratic)"),
        );
    }

    progress("table load");
    // A list with a search and two filters, in memory only.
    let category = catalog
        .entities
        .iter()
        .find(|e| e.kind == Kind::Category && !e.disabled)
        .map(|e| e.id)
        .expect("a category");
    let query_string =
        format!("search=%D9%82%D9%85%D9%8A%D8%B5&category={category}&maxPrice=2500&limit=20");
    let query: ProductListQuery = serde_urlencoded::from_str(&format!(
        "search=قميص&category={category}&maxPrice=2500&limit=20"
    ))?;
    let now = shared::clock::now_secs();
    let iterations = (50_000_000 / products.max(1)).clamp(100, 5_000) as u32;
    let cpu_before = thread_cpu();
    let mut total = 0;
    for _ in 0..iterations {
        total = std::hint::black_box(query.run(&snapshot, true, Lang::Ar, now))
            .metadata
            .total;
    }
    let filtering = (thread_cpu() - cpu_before) / iterations;
    let cpu_before = thread_cpu();
    for _ in 0..iterations {
        let page = query.run(&snapshot, true, Lang::Ar, now);
        let body = render(page, |e| {
            views::product_public(&snapshot, &e.product, Lang::Ar, now)
        });
        std::hint::black_box(serde_json::to_vec(&body)?);
    }
    let whole = (thread_cpu() - cpu_before) / iterations;
    report.add(
        "list with search + category + maxPrice (20 per page), in memory: CPU in all (filtering, search, sort, paging / rendering)",
        format!(
            "{:.3} ms ({:.3} / {:.3}; {total} matches)",
            ms(whole),
            ms(filtering),
            ms(whole.saturating_sub(filtering))
        ),
    );
    drop(snapshot);

    progress("in-memory list");
    // Through the router, a fresh process with the snapshot object, the session-less public route.
    let config = CatalogConfig::read(EnvReader::from_pairs([
        ("TABLE_NAME", table.as_str()),
        ("TOKEN_PUBLIC_KEYS", &crate::bench::public_keys()),
        ("CATALOG_SNAPSHOT_BUCKET", bucket.as_str()),
    ]))?;
    let router = products::router(CatalogState::with_clients(config, counted_db.clone(), sdk));
    let call = |path: String| {
        let router = router.clone();
        async move {
            let request = Request::get(path).body(Body::empty())?;
            let response = router.oneshot(request).await?;
            anyhow::ensure!(response.status().is_success(), "{}", response.status());
            // The body is taken, not parsed: a client's parsing is not the function's CPU.
            anyhow::Ok(axum::body::to_bytes(response.into_body(), usize::MAX).await?)
        }
    };
    let list = format!("/products?{query_string}");
    let first_requests = counter.get();
    let started = Instant::now();
    call(list.clone()).await?;
    report.add(
        "first list in a fresh process: DynamoDB requests, time (S3 GetObject of the object included)",
        format!(
            "{} + 1 GetObject, {:.0} ms",
            counter.get() - first_requests,
            ms(started.elapsed())
        ),
    );

    let before = counter.get();
    let cpu_before = process_cpu();
    let mut walls = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        call(list.clone()).await?;
        walls.push(started.elapsed());
    }
    let process = (process_cpu() - cpu_before) / runs as u32;
    let (median, p90, _) = crate::bench::summarize(&mut walls);
    report.add(
        &format!("warm public list, {runs} back to back: DynamoDB requests per read, wall median / p90, whole-process CPU per read"),
        format!(
            "{:.2}, {median:.2} / {p90:.2} ms, {:.2} ms",
            (counter.get() - before) as f64 / runs as f64,
            ms(process)
        ),
    );
    let product = &catalog.products[products / 2];
    let before = counter.get();
    let cpu_before = process_cpu();
    for _ in 0..runs {
        call(format!("/products/{}", product.id)).await?;
    }
    report.add(
        &format!("warm single product read, {runs} back to back: DynamoDB requests per read, whole-process CPU per read"),
        format!(
            "{:.2}, {:.2} ms",
            (counter.get() - before) as f64 / runs as f64,
            ms((process_cpu() - cpu_before) / runs as u32)
        ),
    );

    progress("warm reads");
    // A public read the client (or the CDN) already holds: 304 before anything is rendered.
    let held = router
        .clone()
        .oneshot(Request::get(list.clone()).body(Body::empty())?)
        .await?;
    let etag = held.headers()[http::header::ETAG].clone();
    let before = counter.get();
    let cpu_before = process_cpu();
    for _ in 0..runs {
        let request = Request::get(list.clone())
            .header(http::header::IF_NONE_MATCH, etag.clone())
            .body(Body::empty())?;
        let response = router.clone().oneshot(request).await?;
        anyhow::ensure!(response.status() == http::StatusCode::NOT_MODIFIED);
    }
    report.add(
        "the same list with a matching If-None-Match (304): DynamoDB requests, whole-process CPU",
        format!(
            "{:.2}, {:.3} ms",
            (counter.get() - before) as f64 / runs as f64,
            ms((process_cpu() - cpu_before) / runs as u32)
        ),
    );

    progress("304s");
    // Another process's write, then the next list once this one's freshness interval has passed.
    let revised = product.revised(shared::clock::now_millis(), |p| {
        p.price = Money::from_minor(4_242)
    });
    let writer = CatalogStore::new(plain_db.clone(), table.clone());
    writer
        .apply(vec![catalog::store::Change::replace(&revised)])
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tokio::time::sleep(catalog::store::DEFAULT_PUBLIC_FRESHNESS).await;
    let before = counter.get();
    let started = Instant::now();
    call(list.clone()).await?;
    report.add(
        "first list after another process's write (caught up through the change log): DynamoDB requests, wall",
        format!(
            "{}, {:.1} ms",
            counter.get() - before,
            ms(started.elapsed())
        ),
    );
    // The catch-up's CPU: cycles of another process's write, then a staff-style read (which always
    // checks the version), the CPU counted over the read only. Few: the emulator copies the whole table
    // for every transaction, which at 50,000 products takes seconds and gigabytes; per-thread CPU
    // counters make a few cycles enough.
    let cycles = 10;
    let reader = CurrentThreadReader::start(table.clone(), bucket.clone())?;
    reader.catch_up()?;
    let mut product = revised;
    let mut write = async || {
        product = product.revised(shared::clock::now_millis(), |p| p.quantity += 1);
        writer
            .apply(vec![catalog::store::Change::replace(&product)])
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    };
    // Measured on the reads alone: each cycle's write is outside the counted span.
    let (mut requests, mut reading) = (0, Duration::ZERO);
    let mut whole_process = Duration::ZERO;
    for _ in 0..cycles {
        write().await?;
        let process_before = threads_cpu();
        let (cpu, count) = reader.catch_up()?;
        whole_process += threads_cpu() - process_before;
        reading += cpu;
        requests += count;
    }
    report.add(
        &format!("a read catching up on one write by another process ({cycles} times): DynamoDB requests, CPU of the reader (a current-thread runtime, as a function runs); whole-process CPU meanwhile"),
        format!(
            "{:.2}, {:.2} ms; {:.2} ms",
            requests as f64 / cycles as f64,
            ms(reading) / cycles as f64,
            ms(whole_process) / cycles as f64
        ),
    );
    let _ = plain_db.delete_table().table_name(&table).send().await;
    Ok(report)
}
