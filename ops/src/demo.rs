//! A small bilingual demo catalogue for `make dev`, so a new developer sees a real shop at once.
//!
//! Loaded in one transaction, and only into an empty catalogue: running it again, or against a table
//! that already holds a catalogue, changes nothing. Its pictures are generated here ([`crate::png`]) and
//! put into the upload bucket under `uploads/demo/`, read back through `PUBLIC_BASE_URL` as uploaded
//! images are, so a newcomer sees pictures offline.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use catalog::{
    kind::{Extra, Kind},
    model::{Entity, Offer, OfferType, Product},
    store::{CatalogStore, Change},
};
use shared::{Id, Money, clock::now_millis};

/// Background colours of the demo pictures, picked by name so each picture keeps its colour.
const COLOURS: [[u8; 3]; 6] = [
    [0x1E, 0x88, 0xE5],
    [0x43, 0xA0, 0x47],
    [0xF4, 0x51, 0x1E],
    [0x8E, 0x24, 0xAA],
    [0x6D, 0x4C, 0x41],
    [0x00, 0x89, 0x7B],
];

/// Where the demo catalogue's pictures go: the upload bucket and the base its objects are read from.
pub struct DemoImages<'a> {
    pub s3: &'a aws_sdk_s3::Client,
    pub bucket: &'a str,
    /// `PUBLIC_BASE_URL`, as the upload function uses it (the emulator's bucket URL locally).
    pub public_base_url: &'a str,
}

/// `Arabic coffee with cardamom` -> `uploads/demo/arabic-coffee-with-cardamom.png`
fn image_key(name_en: &str) -> String {
    let slug: String = name_en
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    format!("uploads/demo/{slug}.png")
}

struct Demo {
    now: i64,
    /// The object key of every picture the catalogue refers to, with the name that colours it.
    images: Vec<(String, String)>,
    public_base_url: String,
    entities: Vec<Entity>,
    products: Vec<Product>,
    offers: Vec<Offer>,
}

impl Demo {
    /// The URL of a generated picture for `name_en` (the picture itself is put into the bucket on load).
    fn image(&mut self, name_en: &str) -> String {
        let key = image_key(name_en);
        let url = format!("{}/{key}", self.public_base_url.trim_end_matches('/'));
        self.images.push((key, name_en.to_owned()));
        url
    }

    /// Adds an entity; later ones are newer.
    fn entity(&mut self, kind: Kind, name_ar: &str, name_en: &str, extra: Option<&str>) -> Id {
        let created_at = self.now - 1_000_000 + self.entities.len() as i64;
        let mut entity = Entity::new(kind, created_at);
        entity.name_ar = name_ar.into();
        entity.name_en = name_en.into();
        let spec = kind.spec();
        entity.cover = (spec.extra == Extra::Cover).then(|| self.image(name_en));
        entity.color = (spec.extra == Extra::Color).then(|| extra.unwrap_or("#000000").to_owned());
        let id = entity.id;
        self.entities.push(entity);
        id
    }

    #[allow(clippy::too_many_arguments)]
    fn product(
        &mut self,
        (name_ar, name_en): (&str, &str),
        (description_ar, description_en): (&str, &str),
        price: i64,
        min_price: i64,
        brand: Option<Id>,
        subcategory: Id,
        labels: Vec<Id>,
        tags: Vec<Id>,
    ) -> Id {
        let created_at = self.now - 500_000 + self.products.len() as i64;
        let mut product = Product::new(created_at);
        product.name_ar = name_ar.into();
        product.name_en = name_en.into();
        product.description_ar = description_ar.into();
        product.description_en = description_en.into();
        product.cover_list = vec![self.image(name_en)];
        product.quantity = 25;
        product.price = Money::from_minor(price * 100);
        product.min_price = Money::from_minor(min_price * 100);
        product.brand = brand;
        product.subcategory = Some(subcategory);
        product.labels = labels;
        product.tags = tags;
        let id = product.id;
        self.products.push(product);
        id
    }

    fn offer(&mut self, product: Id, offer_type: OfferType, amount: i64, names: (&str, &str)) {
        let mut offer = Offer::new(product, self.now);
        offer.name_ar = Some(names.0.into());
        offer.name_en = Some(names.1.into());
        offer.offer_type = offer_type;
        offer.amount = amount;
        offer.offer_quantity = 100;
        offer.max_per_client = 3;
        if let Some(p) = self.products.iter_mut().find(|p| p.id == product) {
            p.offer = Some(offer.id);
        }
        self.offers.push(offer);
    }
}

fn demo(public_base_url: &str) -> Demo {
    let mut d = Demo {
        now: now_millis(),
        images: Vec::new(),
        public_base_url: public_base_url.to_owned(),
        entities: Vec::new(),
        products: Vec::new(),
        offers: Vec::new(),
    };
    let electronics = d.entity(Kind::Category, "إلكترونيات", "Electronics", None);
    let drinks = d.entity(Kind::Category, "قهوة وشاي", "Coffee & Tea", None);
    let phones = d.entity(Kind::Subcategory, "هواتف", "Phones", None);
    let headphones = d.entity(Kind::Subcategory, "سماعات", "Headphones", None);
    let coffee = d.entity(Kind::Subcategory, "قهوة", "Coffee", None);
    let tea = d.entity(Kind::Subcategory, "شاي", "Tea", None);
    for (subcategory, category) in [
        (phones, electronics),
        (headphones, electronics),
        (coffee, drinks),
        (tea, drinks),
    ] {
        if let Some(s) = d.entities.iter_mut().find(|e| e.id == subcategory) {
            s.category = Some(category);
        }
    }
    let nova = d.entity(Kind::Brand, "نوفا", "Nova", None);
    let sada = d.entity(Kind::Brand, "صدى", "Sada", None);
    let bunn = d.entity(Kind::Brand, "بُن الوادي", "Valley Roasters", None);
    let new = d.entity(Kind::Label, "جديد", "New", Some("#2E7D32"));
    let best = d.entity(Kind::Label, "الأكثر مبيعًا", "Best seller", Some("#C62828"));
    let gifts = d.entity(Kind::Tag, "هدايا", "Gifts", None);
    let summer = d.entity(Kind::Tag, "صيفي", "Summer", None);

    let phone = d.product(
        ("هاتف نوفا إكس", "Nova X phone"),
        (
            "شاشة 6.5 بوصة وبطارية تدوم يومين.",
            "A 6.5-inch screen and a two-day battery.",
        ),
        8_999,
        7_500,
        Some(nova),
        phones,
        vec![new],
        vec![gifts],
    );
    d.product(
        ("هاتف نوفا لايت", "Nova Lite phone"),
        ("هاتف خفيف بسعر مناسب.", "A light phone at a fair price."),
        4_499,
        4_000,
        Some(nova),
        phones,
        vec![],
        vec![],
    );
    let earbuds = d.product(
        ("سماعات صدى اللاسلكية", "Sada wireless earbuds"),
        (
            "عزل للضوضاء وعلبة شحن.",
            "Noise cancelling, with a charging case.",
        ),
        1_299,
        900,
        Some(sada),
        headphones,
        vec![best],
        vec![gifts, summer],
    );
    d.product(
        ("سماعة رأس صدى", "Sada over-ear headphones"),
        ("صوت نقي لساعات طويلة.", "Clear sound for long hours."),
        2_199,
        1_800,
        Some(sada),
        headphones,
        vec![],
        vec![],
    );
    let arabic_coffee = d.product(
        ("قهوة عربية بالهيل", "Arabic coffee with cardamom"),
        (
            "بن محمص تحميصًا خفيفًا مع هيل مطحون.",
            "Lightly roasted beans with ground cardamom.",
        ),
        240,
        200,
        Some(bunn),
        coffee,
        vec![best],
        vec![gifts],
    );
    d.product(
        ("قهوة تركية", "Turkish coffee"),
        (
            "طحن ناعم جدًا للتحضير في الكنكة.",
            "Extra-fine grind for the cezve.",
        ),
        180,
        150,
        Some(bunn),
        coffee,
        vec![new],
        vec![],
    );
    d.product(
        ("شاي أخضر بالنعناع", "Green tea with mint"),
        ("أوراق كاملة ونعناع مجفف.", "Whole leaves with dried mint."),
        95,
        80,
        None,
        tea,
        vec![],
        vec![summer],
    );
    d.product(
        ("شاي كرك", "Karak tea"),
        (
            "شاي أسود بالتوابل والحليب.",
            "Black tea with spices, for milk.",
        ),
        120,
        100,
        None,
        tea,
        vec![],
        vec![],
    );
    d.offer(
        phone,
        OfferType::Percent,
        1_000,
        ("خصم الإطلاق", "Launch discount"),
    );
    d.offer(
        earbuds,
        OfferType::Fixed,
        20_000,
        ("عرض الصيف", "Summer deal"),
    );
    d.offer(
        arabic_coffee,
        OfferType::Percent,
        1_500,
        ("عرض القهوة", "Coffee deal"),
    );

    let mut links: HashMap<Id, u64> = HashMap::new();
    for entity in &d.entities {
        if let Some(category) = entity.category {
            *links.entry(category).or_default() += 1;
        }
    }
    for (_, parent) in d.products.iter().flat_map(Product::parents) {
        *links.entry(parent).or_default() += 1;
    }
    for entity in &mut d.entities {
        entity.link_count = links.get(&entity.id).copied().unwrap_or_default();
    }
    d
}

/// A 600x400 picture for `name`: a colour picked by the name, with a lighter band.
pub fn picture(name: &str) -> Vec<u8> {
    let pick = name
        .bytes()
        .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b.into()));
    let background = COLOURS[pick % COLOURS.len()];
    let band = background.map(|c| c / 2 + 128);
    crate::png::banner(600, 400, background, band)
}

/// Loads the demo catalogue into an empty catalogue, its pictures first. Returns whether it did.
pub async fn load(db: &Client, table: &str, images: &DemoImages<'_>) -> anyhow::Result<bool> {
    let store = CatalogStore::new(db.clone(), table.to_owned());
    let current = store.load().await?;
    if !current.is_empty() {
        return Ok(false);
    }
    let demo = demo(images.public_base_url);
    // Pictures before the catalogue: a product never points at a picture that is not there yet.
    for (key, name) in &demo.images {
        images
            .s3
            .put_object()
            .bucket(images.bucket)
            .key(key)
            .content_type("image/png")
            .cache_control("public, max-age=86400")
            .body(picture(name).into())
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "Failed to put the demo picture {key}: {}",
                    aws_sdk_s3::error::DisplayErrorContext(e)
                )
            })?;
    }
    let changes: Vec<Change> = demo
        .entities
        .iter()
        .map(Change::create)
        .chain(demo.products.iter().map(Change::create))
        .chain(demo.offers.iter().map(Change::create))
        .collect();
    store
        .apply(changes)
        .await
        .map_err(|e| anyhow::anyhow!("Failed to load the demo catalogue: {e}"))?;
    Ok(true)
}
