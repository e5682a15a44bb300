//! The catalogue read model at size: a synthetic catalogue of `--products` products (with brands,
//! categories, subcategories, labels, tags and offers) in the emulator, then the `products` router with
//! a DynamoDB client that counts its requests.
//!
//! Reported: DynamoDB requests per public list (steady state, and right after a write), the CPU time
//! our process spends on a list with a search and two filters (in memory, without the round trip, and
//! for the whole request), the memory the snapshot holds, and how long a reload takes.

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
    views,
};
use http::Request;
use serde_json::Value;
use shared::{Id, Lang, Money, config::EnvReader, db::schema};
use tower::ServiceExt;

use crate::bench::counted_dynamodb;

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

/// CPU time this thread has used (`/proc/thread-self/schedstat`, nanoseconds). The kernel brings the
/// running thread's figure up to date only at a tick or a switch, so it can lag by a few milliseconds:
/// measure over enough iterations that the lag disappears in the average.
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_default()
}

/// CPU time the whole process has used (`/proc/self/stat` utime + stime, clock ticks of 10 ms).
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit(')').next().unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 14 and 15 of stat are utime and stime; `after_name` starts at field 3.
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let ticks = field(11) + field(12);
    Duration::from_millis(ticks * 10)
}

pub struct Report {
    pub lines: Vec<String>,
}

pub async fn measure(sdk: &SdkConfig, products: usize, runs: usize) -> anyhow::Result<Report> {
    let table = format!("bench-catalog-{}", Id::new());
    let plain_db = shared::aws::dynamodb(sdk);
    schema::ensure_table(&plain_db, &table).await?;
    let catalog = synthetic(products);
    let stored_bytes: usize = catalog
        .products
        .iter()
        .map(|p| serde_json::to_vec(p).map_or(0, |v| v.len()))
        .sum();
    store(&plain_db, &table, &catalog).await?;
    let mut lines = vec![format!(
        "catalogue: {} products ({} KB as JSON), {} entities, {} offers",
        catalog.products.len(),
        stored_bytes / 1024,
        catalog.entities.len(),
        catalog.offers.len()
    )];

    // Reload: the full consistent load and index build, a few times. Our share of it (turning items
    // into records, building the index) is timed apart from the emulator's, which dominates here.
    let (counted_db, counter) = counted_dynamodb(sdk);
    let mut reloads = Vec::new();
    let before_load = counter.get();
    let reloader = CatalogStore::new(counted_db.clone(), table.clone());
    for _ in 0..3 {
        let started = Instant::now();
        drop(reloader.load().await?);
        reloads.push(started.elapsed());
    }
    let (median, _, _) = crate::bench::summarize(&mut reloads);
    let items: Vec<_> = catalog.products.iter().map(to_item).collect();
    let started = Instant::now();
    let decoded: Vec<Product> = items
        .into_iter()
        .map(serde_dynamo::from_item)
        .collect::<Result<_, _>>()?;
    let decode = started.elapsed();
    let (entities, offers) = (catalog.entities.clone(), catalog.offers.clone());
    let started = Instant::now();
    let snapshot = Catalog::build(entities, decoded, offers);
    let build = started.elapsed();
    let held = snapshot.heap_bytes();
    lines.push(format!(
        "reload against the emulator: median {:.1} ms, {:.1} DynamoDB requests (1 MB Query pages); moto scans and sorts the whole partition in Python for every page, so this is the emulator's time, not DynamoDB's",
        median,
        (counter.get() - before_load) as f64 / 3.0
    ));
    lines.push(format!(
        "reload, our share: decoding {} product items {:.1} ms + building the index {:.1} ms",
        catalog.products.len(),
        decode.as_secs_f64() * 1000.0,
        build.as_secs_f64() * 1000.0
    ));
    lines.push(format!(
        "snapshot memory (its records, strings, vectors and maps, counted by capacity): {:.1} MiB, {:.0} bytes per product",
        held as f64 / 1_048_576.0,
        held as f64 / catalog.products.len() as f64
    ));

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
    // 5,000 iterations of about 0.1 ms: the counter's lag (one tick at most) adds under 2 µs.
    let iterations = 5_000u32;
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
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    lines.push(format!(
        "list with search + category + maxPrice (20 per page, {total} matches), in memory: {:.3} ms CPU in all, of which filtering, search, sorting and paging {:.3} ms and rendering the page as JSON {:.3} ms",
        ms(whole),
        ms(filtering),
        ms(whole.saturating_sub(filtering))
    ));

    // Through the router, with the session-less public route.
    let config = CatalogConfig::read(EnvReader::from_pairs([
        ("TABLE_NAME", table.as_str()),
        ("TOKEN_PUBLIC_KEYS", &crate::bench::public_keys()),
    ]))?;
    let router = products::router(CatalogState::with_clients(config, counted_db.clone(), sdk));
    let call = |path: String| {
        let router = router.clone();
        async move {
            let request = Request::get(path).body(Body::empty())?;
            let response = router.oneshot(request).await?;
            anyhow::ensure!(response.status().is_success(), "{}", response.status());
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await?;
            anyhow::Ok(serde_json::from_slice::<Value>(&bytes)?)
        }
    };
    let list = format!("/products?{query_string}");
    let first_requests = counter.get();
    let started = Instant::now();
    call(list.clone()).await?;
    lines.push(format!(
        "first list in a fresh process (loads the snapshot): {} DynamoDB requests, {:.0} ms",
        counter.get() - first_requests,
        started.elapsed().as_secs_f64() * 1000.0
    ));

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
    lines.push(format!(
        "steady state, {runs} lists (the version is checked at most once a second): {:.2} DynamoDB requests each; wall median {median:.2} ms, p90 {p90:.2} ms (incl. the emulator round trip); whole-process CPU {:.2} ms per request (incl. the emulator client and any version GetItem)",
        (counter.get() - before) as f64 / runs as f64,
        process.as_secs_f64() * 1000.0
    ));
    // The same request's DynamoDB call alone, to split the whole-process CPU between the SDK's
    // round trip (signing, HTTP, parsing) and the list itself.
    let cpu_before = process_cpu();
    for _ in 0..runs {
        catalog::store::current_version(&counted_db, &table).await?;
    }
    let round_trip = (process_cpu() - cpu_before) / runs as u32;
    lines.push(format!(
        "the version GetItem alone through the SDK (now paid at most once a second per process): {:.2} ms CPU",
        round_trip.as_secs_f64() * 1000.0,
    ));

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
    lines.push(format!(
        "the same list with a matching If-None-Match, {runs} times: 304, {:.2} DynamoDB requests and {:.3} ms whole-process CPU each",
        (counter.get() - before) as f64 / runs as f64,
        ((process_cpu() - cpu_before) / runs as u32).as_secs_f64() * 1000.0
    ));

    // A write by another process, then the next list once this one's freshness interval has passed.
    let product = &catalog.products[products / 2];
    let revised = product.revised(shared::clock::now_millis(), |p| {
        p.price = Money::from_minor(4_242)
    });
    CatalogStore::new(plain_db.clone(), table.clone())
        .apply(vec![catalog::store::Change::replace(&revised)])
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tokio::time::sleep(catalog::store::DEFAULT_PUBLIC_FRESHNESS).await;
    let before = counter.get();
    let started = Instant::now();
    call(list.clone()).await?;
    lines.push(format!(
        "first list after another process's write, past the freshness interval (version moved, caught up through the change log): {} DynamoDB requests, {:.1} ms",
        counter.get() - before,
        started.elapsed().as_secs_f64() * 1000.0
    ));
    // The catch-up's CPU: cycles of (another process's write, then a staff read, which always checks
    // the version) against the same writes alone; the difference is the read with its catch-up.
    let cycles = 100;
    let writer = CatalogStore::new(plain_db.clone(), table.clone());
    let reader = CatalogStore::new(counted_db.clone(), table.clone());
    drop(reader.snapshot().await?);
    let mut product = product.clone();
    let mut write = async || {
        product = product.revised(shared::clock::now_millis(), |p| p.quantity += 1);
        writer
            .apply(vec![catalog::store::Change::replace(&product)])
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    };
    let cpu_before = process_cpu();
    for _ in 0..cycles {
        write().await?;
    }
    let writes_alone = process_cpu() - cpu_before;
    let before = counter.get();
    let cpu_before = process_cpu();
    for _ in 0..cycles {
        write().await?;
        drop(reader.snapshot().await?);
    }
    let with_reads = process_cpu() - cpu_before;
    lines.push(format!(
        "a read that catches up on one write by another process ({cycles} times): {:.2} DynamoDB requests (version, change log Query, BatchGetItem of the records it names), {:.2} ms whole-process CPU",
        (counter.get() - before) as f64 / cycles as f64,
        with_reads.saturating_sub(writes_alone).as_secs_f64() * 1000.0 / cycles as f64
    ));
    let before = counter.get();
    let started = Instant::now();
    call(format!("/products/{}", product.id)).await?;
    lines.push(format!(
        "single product read, steady state: {} DynamoDB request, {:.2} ms",
        counter.get() - before,
        started.elapsed().as_secs_f64() * 1000.0
    ));
    let _ = plain_db.delete_table().table_name(&table).send().await;
    Ok(Report { lines })
}
