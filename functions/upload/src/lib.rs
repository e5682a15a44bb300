//! The `upload` function: staff upload images to S3 and get back public URLs for `cover`/`coverList`.
//!
//! - `POST /upload/single` (multipart field `file`) and `POST /upload/multiple` (repeated `files`), as
//!   Belta has them, for files up to `UPLOAD_MAX_FILE_BYTES` (a Lambda request body is at most ~6 MB);
//! - `POST /upload/presign`, a presigned PUT with which a browser uploads a larger file straight to S3,
//!   into quarantine; `GET /upload/presign/{id}` says whether the check found it an image
//!   ([`presigned`]: the `upload-check` function moves only images to the public prefix).
//!
//! Only images are served, recognised from their bytes ([`image`]); object keys are generated and the
//! client's file name is kept only as metadata. A request that breaks a rule stores nothing.

pub mod image;
pub mod presigned;

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_s3::{Client, presigning::PresigningConfig, primitives::ByteStream};
use axum::{
    Json, Router,
    extract::{
        FromRef, Multipart, State,
        multipart::{Field, MultipartError, MultipartRejection},
    },
    routing::{get, post},
};
use bytes::{Bytes, BytesMut};
use futures_util::future::join_all;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use shared::{
    ApiError, ApiResult, FieldErrors, FieldIssue, Id, Msg,
    auth::{Authenticator, Staff, VerifierConfig},
    aws,
    clock::{iso_millis, now_secs},
    config::{ConfigError, EnvReader, HttpConfig, TableConfig},
    extract::{JsonBody, PathId, Validate},
};
use time::OffsetDateTime;
use utoipa::{OpenApi, ToSchema};

use crate::{
    image::ImageType,
    presigned::{PresignedUploads, UploadKey, UploadStatus},
};

const MIB: u64 = 1024 * 1024;
/// Uploaded objects never change (every upload gets a new key), so caches may keep them for a year.
const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

/// Limits, from the environment.
#[derive(Clone, Debug)]
pub struct Limits {
    /// `UPLOAD_MAX_FILE_BYTES`: per file through the Lambda (default 5 MiB).
    pub max_file_bytes: u64,
    /// `UPLOAD_MAX_FILES`: files per `/upload/multiple` request (default 10).
    pub max_files: usize,
    /// `UPLOAD_MAX_REQUEST_BYTES`: whole multipart body (default 6 MiB).
    pub max_request_bytes: u64,
    /// `PRESIGN_MAX_FILE_BYTES`: per file through a presigned upload (default 10 MiB, Belta's limit).
    pub presign_max_file_bytes: u64,
    /// `PRESIGN_EXPIRES_SECS`: validity of a presigned upload (default and at most 900).
    pub presign_expires_secs: u64,
}

impl Limits {
    fn read(env: &mut EnvReader) -> Self {
        Limits {
            max_file_bytes: env.checked(
                "UPLOAD_MAX_FILE_BYTES",
                5 * MIB,
                "bytes from 1024 to 6291456",
                |n| (1024..=6 * MIB).contains(n),
            ),
            max_files: env.checked("UPLOAD_MAX_FILES", 10, "a whole number from 1 to 50", |n| {
                (1..=50).contains(n)
            }),
            max_request_bytes: env.checked(
                "UPLOAD_MAX_REQUEST_BYTES",
                6 * MIB,
                "bytes from 1024 to 6291456",
                |n| (1024..=6 * MIB).contains(n),
            ),
            presign_max_file_bytes: env.checked(
                "PRESIGN_MAX_FILE_BYTES",
                10 * MIB,
                "bytes from 1024 to 5368709120",
                |n| (1024..=5 * 1024 * MIB).contains(n),
            ),
            presign_expires_secs: env.checked(
                "PRESIGN_EXPIRES_SECS",
                900,
                "seconds from 60 to 900",
                |n| (60..=900).contains(n),
            ),
        }
    }
}

pub struct Config {
    pub table: TableConfig,
    pub verifier: VerifierConfig,
    /// `UPLOAD_BUCKET`.
    pub bucket: String,
    /// `PUBLIC_BASE_URL`: where uploaded objects are read (a CloudFront distribution), without a trailing `/`.
    pub public_base_url: String,
    pub limits: Limits,
}

impl Config {
    pub fn read(mut env: EnvReader) -> Result<Self, ConfigError> {
        let public_base_url = env
            .required("PUBLIC_BASE_URL")
            .trim_end_matches('/')
            .to_owned();
        let is_http = |url: &str| url.starts_with("https://") || url.starts_with("http://");
        if !public_base_url.is_empty() && !is_http(&public_base_url) {
            env.problem("PUBLIC_BASE_URL must start with https:// (or http:// locally)");
        }
        let config = Config {
            table: TableConfig::read(&mut env),
            verifier: VerifierConfig::read(&mut env),
            bucket: env.required("UPLOAD_BUCKET"),
            public_base_url,
            limits: Limits::read(&mut env),
        };
        env.finish()?;
        Ok(config)
    }
}

#[derive(Clone)]
pub struct AppState {
    auth: Authenticator,
    s3: Client,
    uploads: PresignedUploads,
    bucket: String,
    public_base_url: String,
    limits: Limits,
}

impl AppState {
    pub fn new(config: Config, sdk: &SdkConfig) -> Self {
        let db = aws::dynamodb(sdk);
        AppState {
            uploads: PresignedUploads::new(db.clone(), &config.table.table_name),
            auth: Authenticator::new(&config.verifier, db, config.table.table_name),
            s3: aws::s3(sdk),
            bucket: config.bucket,
            public_base_url: config.public_base_url,
            limits: config.limits,
        }
    }
}

impl FromRef<AppState> for Authenticator {
    fn from_ref(state: &AppState) -> Self {
        state.auth.clone()
    }
}

pub fn router(state: AppState) -> Router {
    let http = HttpConfig {
        max_body_bytes: state.limits.max_request_bytes as usize,
        ..HttpConfig::default()
    };
    let routes = Router::new()
        .route("/upload/single", post(single))
        .route("/upload/multiple", post(multiple))
        .route("/upload/presign", post(presign))
        .route("/upload/presign/{id}", get(presign_status))
        .with_state(state);
    shared::http::api(routes, &http)
}

/// A file read from the request and recognised as an image.
struct Upload {
    kind: ImageType,
    original_name: Option<String>,
    bytes: Bytes,
}

/// A new upload's keys (`uploads/<yyyy>/<mm>/<id>.<ext>`): the client's file name never becomes part
/// of a path.
fn new_upload(kind: ImageType) -> UploadKey {
    let now = OffsetDateTime::now_utc();
    UploadKey::new(Id::new(), kind, now.year(), u8::from(now.month()))
}

/// The client's file name as S3 metadata: percent-encoded (metadata is ASCII), at most 200 characters.
fn original_name_metadata(name: &str) -> String {
    let short: String = name.chars().take(200).collect();
    form_urlencoded::byte_serialize(short.as_bytes()).collect()
}

fn multipart_error(error: MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(Msg::PayloadTooLarge)
    } else {
        ApiError::BadRequest(Msg::MalformedMultipart)
    }
}

fn multipart_rejection(rejection: MultipartRejection) -> ApiError {
    match rejection {
        MultipartRejection::InvalidBoundary(_) => {
            ApiError::UnsupportedMediaType(Msg::ExpectedMultipart)
        }
        _ => ApiError::BadRequest(Msg::MalformedMultipart),
    }
}

impl AppState {
    /// Reads one file field, refusing it as soon as it passes the per-file limit, and checks it is an image.
    async fn read_file(&self, mut field: Field<'_>) -> ApiResult<Option<Upload>> {
        let original_name = field.file_name().map(str::to_owned);
        let mut buffer = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if (buffer.len() + chunk.len()) as u64 > self.limits.max_file_bytes {
                return Err(ApiError::PayloadTooLarge(Msg::FileTooLarge));
            }
            buffer.extend_from_slice(&chunk);
        }
        if buffer.is_empty() {
            return Ok(None);
        }
        let kind =
            ImageType::detect(&buffer).ok_or(ApiError::UnsupportedMediaType(Msg::NotAnImage))?;
        Ok(Some(Upload {
            kind,
            original_name,
            bytes: buffer.freeze(),
        }))
    }

    /// Reads every field named `name`; other fields are ignored. Nothing is stored yet.
    async fn read_files(
        &self,
        mut form: Multipart,
        name: &str,
        max_files: usize,
    ) -> ApiResult<Vec<Upload>> {
        let mut files = Vec::new();
        while let Some(field) = form.next_field().await.map_err(multipart_error)? {
            if field.name() != Some(name) {
                continue;
            }
            if files.len() == max_files {
                return Err(ApiError::BadRequest(Msg::TooManyFiles));
            }
            if let Some(file) = self.read_file(field).await? {
                files.push(file);
            }
        }
        Ok(files)
    }

    #[tracing::instrument(skip_all, fields(kind = upload.kind.extension(), bytes = upload.bytes.len()))]
    async fn store(&self, upload: &Upload) -> ApiResult<String> {
        let key = new_upload(upload.kind).public;
        let mut put = self
            .s3
            .put_object()
            .bucket(&self.bucket)
            .key(&key)
            .body(ByteStream::from(upload.bytes.clone()))
            .content_type(upload.kind.mime())
            .cache_control(CACHE_CONTROL);
        if let Some(name) = &upload.original_name {
            put = put.metadata("original-name", original_name_metadata(name));
        }
        put.send().await.map_err(|e| {
            ApiError::Unexpected(anyhow::anyhow!(
                "Failed to store {key}: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            ))
        })?;
        Ok(key)
    }

    /// Stores every file or none: when one fails, the ones already stored are deleted again.
    #[tracing::instrument(skip_all, fields(files = uploads.len()))]
    async fn store_all(&self, uploads: &[Upload]) -> ApiResult<Vec<String>> {
        let results = join_all(uploads.iter().map(|u| self.store(u))).await;
        if results.iter().all(Result::is_ok) {
            return Ok(results
                .into_iter()
                .map(|r| self.public_url(&r.expect("checked")))
                .collect());
        }
        let mut first_error = None;
        for result in results {
            match result {
                Ok(key) => {
                    if let Err(e) = self
                        .s3
                        .delete_object()
                        .bucket(&self.bucket)
                        .key(&key)
                        .send()
                        .await
                    {
                        tracing::error!(key, error = %aws_sdk_s3::error::DisplayErrorContext(e), "Failed to remove a partial upload");
                    }
                }
                Err(e) => first_error = first_error.or(Some(e)),
            }
        }
        Err(first_error.expect("one failed"))
    }

    fn public_url(&self, key: &str) -> String {
        format!("{}/{key}", self.public_base_url)
    }
}

#[derive(Serialize, ToSchema)]
pub struct UrlBody {
    url: String,
}

#[derive(Serialize, ToSchema)]
pub struct UrlsBody {
    urls: Vec<String>,
}

/// Uploads one image (multipart field `file`), staff only.
#[utoipa::path(post, path = "/upload/single", tag = "upload", security(("bearer" = [])),
    request_body(content = documented::SingleUpload, content_type = "multipart/form-data", description = "field `file`: one JPEG, PNG, WebP, GIF or AVIF image"),
    responses((status = 200, body = UrlBody), (status = 400), (status = 401), (status = 403), (status = 413), (status = 415)))]
#[tracing::instrument(skip_all)]
pub async fn single(
    State(state): State<AppState>,
    _staff: Staff,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<UrlBody>> {
    let files = state
        .read_files(form.map_err(multipart_rejection)?, "file", 1)
        .await?;
    if files.is_empty() {
        return Err(ApiError::BadRequest(Msg::NoFileUploaded));
    }
    let mut urls = state.store_all(&files).await?;
    Ok(Json(UrlBody {
        url: urls.remove(0),
    }))
}

/// Uploads several images (repeated multipart field `files`), staff only; URLs in the order sent.
#[utoipa::path(post, path = "/upload/multiple", tag = "upload", security(("bearer" = [])),
    request_body(content = documented::MultipleUpload, content_type = "multipart/form-data", description = "repeated field `files`"),
    responses((status = 200, body = UrlsBody), (status = 400), (status = 401), (status = 403), (status = 413), (status = 415)))]
#[tracing::instrument(skip_all)]
pub async fn multiple(
    State(state): State<AppState>,
    _staff: Staff,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<UrlsBody>> {
    let max_files = state.limits.max_files;
    let files = state
        .read_files(form.map_err(multipart_rejection)?, "files", max_files)
        .await?;
    if files.is_empty() {
        return Err(ApiError::BadRequest(Msg::NoFilesUploaded));
    }
    Ok(Json(UrlsBody {
        urls: state.store_all(&files).await?,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresignRequest {
    /// The file's name, kept as metadata only.
    #[schema(min_length = 1, max_length = 255)]
    file_name: String,
    /// `image/jpeg` (or `image/jpg`), `image/png`, `image/webp`, `image/gif` or `image/avif`, in any
    /// case, parameters allowed.
    #[schema(schema_with = image_mime)]
    content_type: String,
    /// Exact size in bytes: the upload must be exactly this long. Larger than the function's
    /// `PRESIGN_MAX_FILE_BYTES` (10 MiB unless configured) is a 413. A signed 64-bit integer, the
    /// type of the `Content-Length` it is signed into: a larger number is a 400.
    #[schema(minimum = 1)]
    size: i64,
}

fn image_mime() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
    let names: Vec<&str> = ImageType::ALL
        .iter()
        .map(|t| t.mime())
        .chain(["image/jpg"])
        .collect();
    shared::api::schema::to_schema(shared::api::schema::one_of(&names))
}

/// The multipart bodies, for the OpenAPI document only.
#[allow(dead_code)]
mod documented {
    use utoipa::ToSchema;

    /// `/upload/single`: one image in the field `file` (other fields are ignored).
    #[derive(ToSchema)]
    pub struct SingleUpload {
        /// A JPEG, PNG, WebP, GIF or AVIF image, recognised by its bytes (its header must be complete).
        #[schema(value_type = String, format = Binary)]
        pub file: Vec<u8>,
    }

    /// `/upload/multiple`: images in the repeated field `files`, at most `UPLOAD_MAX_FILES` (10 unless
    /// configured).
    #[derive(ToSchema)]
    pub struct MultipleUpload {
        #[schema(schema_with = files)]
        pub files: Vec<Vec<u8>>,
    }

    fn files() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        shared::api::schema::to_schema(serde_json::json!({
            "type": "array",
            "items": {"type": "string", "format": "binary"},
            "minItems": 1,
        }))
    }
}

impl Validate for PresignRequest {
    fn validate(&self) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        if !(1..=255).contains(&self.file_name.chars().count()) {
            errors.add("fileName", FieldIssue::Length { min: 1, max: 255 });
        }
        if self.size < 1 {
            errors.add("size", FieldIssue::Invalid);
        }
        errors.finish()
    }
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PresignedUpload {
    /// Always `PUT`.
    method: &'static str,
    /// Where the browser sends the file (once: a second PUT to it is refused with 412).
    upload_url: String,
    /// Headers the browser must send exactly as given (its own `Content-Length` must equal `size`).
    headers: std::collections::BTreeMap<String, String>,
    expires_in: u64,
    expires_at: String,
    /// The upload's id: `GET /upload/presign/{id}` tells whether the file was accepted.
    id: Id,
    /// The object's key in the bucket once the file is found to be an image.
    key: String,
    /// The public URL the file will have once accepted: put it in `cover`/`coverList`.
    url: String,
}

/// A presigned upload of one image straight to S3, into quarantine. The signature binds the key, the
/// content type, the exact size (at most `PRESIGN_MAX_FILE_BYTES`), the metadata and `If-None-Match: *`
/// (the file cannot be replaced), and expires within 15 minutes. The file is served at `url` only once
/// its bytes are found to be an image of the declared type (see `GET /upload/presign/{id}`).
#[utoipa::path(post, path = "/upload/presign", tag = "upload", security(("bearer" = [])), request_body = PresignRequest,
    responses((status = 200, body = PresignedUpload), (status = 400), (status = 401), (status = 403), (status = 413), (status = 415)))]
#[tracing::instrument(skip_all)]
pub async fn presign(
    State(state): State<AppState>,
    _staff: Staff,
    JsonBody(body): JsonBody<PresignRequest>,
) -> ApiResult<Json<PresignedUpload>> {
    let kind = ImageType::from_mime(&body.content_type)
        .ok_or(ApiError::UnsupportedMediaType(Msg::NotAnImage))?;
    // `size` is at least 1 (validated).
    if body.size.unsigned_abs() > state.limits.presign_max_file_bytes {
        return Err(ApiError::PayloadTooLarge(Msg::FileTooLarge));
    }
    let upload = new_upload(kind);
    let expires_in = state.limits.presign_expires_secs;
    let presigning = PresigningConfig::expires_in(Duration::from_secs(expires_in))
        .map_err(anyhow::Error::from)?;
    let request = state
        .s3
        .put_object()
        .bucket(&state.bucket)
        .key(upload.quarantined())
        .content_type(kind.mime())
        .content_length(body.size)
        .cache_control(CACHE_CONTROL)
        .metadata("original-name", original_name_metadata(&body.file_name))
        .if_none_match("*")
        .presigned(presigning)
        .await
        .map_err(|e| {
            ApiError::Unexpected(anyhow::anyhow!(
                "Failed to presign: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            ))
        })?;
    state.uploads.open(&upload, expires_in as i64).await?;
    let headers = request
        .headers()
        .filter(|(name, _)| {
            !name.eq_ignore_ascii_case("host") && !name.eq_ignore_ascii_case("content-length")
        })
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    Ok(Json(PresignedUpload {
        method: "PUT",
        upload_url: request.uri().to_owned(),
        headers,
        expires_in,
        expires_at: iso_millis((now_secs() + expires_in as i64) * 1000),
        id: upload.id,
        url: state.public_url(&upload.public),
        key: upload.public,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PresignStatus {
    id: Id,
    status: UploadStatus,
    /// The image's public URL once `ready`; `null` before, and after a rejection.
    url: Option<String>,
}

/// Where a presigned upload stands: `pending` (not uploaded or not checked yet), `ready` (an image of
/// the declared type, served at `url`) or `rejected` (anything else; deleted). Staff only; 404 for an
/// unknown id or one whose upload URL expired more than a day ago.
#[utoipa::path(get, path = "/upload/presign/{id}", tag = "upload", security(("bearer" = [])),
    params(("id" = String, Path, description = "the `id` the presign answered")),
    responses((status = 200, body = PresignStatus), (status = 400), (status = 401), (status = 403), (status = 404)))]
#[tracing::instrument(skip_all, fields(%id))]
pub async fn presign_status(
    State(state): State<AppState>,
    _staff: Staff,
    PathId(id): PathId,
) -> ApiResult<Json<PresignStatus>> {
    let record = state
        .uploads
        .get(&id)
        .await?
        .ok_or(ApiError::NotFound(Msg::UploadNotFound))?;
    Ok(Json(PresignStatus {
        id,
        status: record.status,
        url: (record.status == UploadStatus::Ready).then(|| state.public_url(&record.key)),
    }))
}

#[derive(OpenApi)]
#[openapi(
    paths(single, multiple, presign, presign_status),
    components(schemas(
        UrlBody,
        UrlsBody,
        PresignRequest,
        PresignedUpload,
        PresignStatus,
        UploadStatus
    ))
)]
pub struct ApiDoc;
