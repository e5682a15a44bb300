//! `--copy-images`: Belta's image URLs (its Azure blobs) copied into our upload bucket.
//!
//! Each URL is fetched once and checked with the same byte sniffing as `/upload/single`; only a real
//! image is stored, under `uploads/belta/<first 24 hex of the URL's SHA-256>.<ext>`, so a second run
//! writes the same objects again and rewrites to the same URLs. A URL that cannot be fetched, is too
//! large or is not an image keeps pointing where it did, and is reported.

use std::collections::{BTreeSet, HashMap};

use aws_sdk_s3::primitives::ByteStream;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use upload::image::ImageType;

use super::ejson::Doc;

/// Largest image copied: Belta's own upload limit.
pub const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
const FETCHES_AT_ONCE: usize = 8;

/// Where Belta's documents keep image URLs: `cover` (entities, cart and order lines), `coverList`.
pub fn urls(docs: impl Iterator<Item = Doc>) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for doc in docs {
        found.extend(doc.text("cover").ok().flatten());
        found.extend(doc.texts("coverList").unwrap_or_default());
        for line in doc.docs("products").unwrap_or_default() {
            found.extend(line.text("cover").ok().flatten());
        }
    }
    found.retain(|url| url.starts_with("https://") || url.starts_with("http://"));
    found
}

/// The copies made (old URL -> new URL) and, for each URL not copied, why.
pub struct Copied {
    pub rewrites: HashMap<String, String>,
    pub failed: Vec<(String, String)>,
}

pub struct Target<'a> {
    pub s3: &'a aws_sdk_s3::Client,
    pub bucket: &'a str,
    /// `PUBLIC_BASE_URL`, where `uploads/...` is read.
    pub public_base_url: &'a str,
}

pub async fn copy(urls: BTreeSet<String>, target: &Target<'_>) -> Copied {
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .expect("a default HTTP client builds");
    let results: Vec<(String, Result<String, String>)> = futures_util::stream::iter(urls)
        .filter(|url| std::future::ready(!url.starts_with(target.public_base_url)))
        .map(|url| {
            let http = http.clone();
            async move {
                let copied = copy_one(&http, &url, target).await;
                (url, copied)
            }
        })
        .buffer_unordered(FETCHES_AT_ONCE)
        .collect()
        .await;
    let mut copied = Copied {
        rewrites: HashMap::new(),
        failed: Vec::new(),
    };
    for (url, result) in results {
        match result {
            Ok(new) => {
                copied.rewrites.insert(url, new);
            }
            Err(reason) => copied.failed.push((url, reason)),
        }
    }
    copied.failed.sort();
    copied
}

async fn copy_one(
    http: &reqwest::Client,
    url: &str,
    target: &Target<'_>,
) -> Result<String, String> {
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| format!("not fetched: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("not fetched: HTTP {}", response.status().as_u16()));
    }
    if response
        .content_length()
        .is_some_and(|n| n > MAX_IMAGE_BYTES as u64)
    {
        return Err(format!("larger than {MAX_IMAGE_BYTES} bytes"));
    }
    let bytes = response
        .bytes()
        .await
        .map_err(|e| format!("not fetched: {e}"))?;
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(format!("larger than {MAX_IMAGE_BYTES} bytes"));
    }
    let kind = ImageType::detect(&bytes).ok_or("not a JPEG, PNG, WebP or GIF image")?;
    let digest = hex::encode(Sha256::digest(url.as_bytes()));
    let key = format!("uploads/belta/{}.{}", &digest[..24], kind.extension());
    target
        .s3
        .put_object()
        .bucket(target.bucket)
        .key(&key)
        .content_type(kind.mime())
        .body(ByteStream::from(bytes.to_vec()))
        .send()
        .await
        .map_err(|e| {
            tracing::error!(error = %aws_sdk_s3::error::DisplayErrorContext(&e), "Failed to store a copied image");
            "not stored in the bucket (see the log)".to_owned()
        })?;
    Ok(format!("{}/{key}", target.public_base_url))
}
