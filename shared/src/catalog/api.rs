//! What every catalogue function shares: its state, the staff rules, link and unlink, and the routes
//! of the five kinds with one shape (brands, categories, subcategories, labels, tags).
//!
//! Every write follows one pattern: read the current snapshot (one GetItem while the version holds),
//! check the request against it, then apply one transaction whose every item is guarded by the `rev`
//! that was read. A concurrent change makes the guard fail (409, retry) instead of being overwritten,
//! and a failure leaves nothing half done. The response is rendered from the snapshot after the write.

use aws_config::SdkConfig;
use axum::response::{IntoResponse, Response};
use axum::{
    Json, Router,
    extract::{FromRef, State},
    routing::{get, post},
};
use http::StatusCode;
use serde_json::{Value, json};

use super::{
    index::Catalog,
    input::{EntityInput, LinkInput, MAX_LINKS_PER_PRODUCT, required_ids},
    lists::{EntityListQuery, render},
    model::{Entity, Kind, Product, Record},
    store::{CatalogStore, Change, MAX_TRANSACTION_ITEMS},
    views,
};
use crate::{
    ApiError, ApiResult, Id, Lang, Msg,
    auth::{AuthUser, Authenticator, Role, Staff, VerifierConfig},
    aws,
    clock::{now_millis, now_secs},
    config::{ConfigError, EnvReader, HttpConfig, TableConfig},
    extract::{JsonBody, PathId, QueryParams},
    http as shared_http,
    pagination::Page,
};

/// A catalogue function's settings: the table, the token verifier and the body limit.
pub struct CatalogConfig {
    pub table: TableConfig,
    pub verifier: VerifierConfig,
    pub http: HttpConfig,
}

impl CatalogConfig {
    pub fn read(mut env: EnvReader) -> Result<Self, ConfigError> {
        let config = CatalogConfig {
            table: TableConfig::read(&mut env),
            verifier: VerifierConfig::read(&mut env),
            http: HttpConfig::read(&mut env),
        };
        env.finish()?;
        Ok(config)
    }
}

#[derive(Clone)]
pub struct CatalogState {
    pub auth: Authenticator,
    pub store: CatalogStore,
    pub http: HttpConfig,
}

impl CatalogState {
    pub fn new(config: CatalogConfig, sdk: &SdkConfig) -> Self {
        CatalogState::with_client(config, aws::dynamodb(sdk))
    }

    /// With a given DynamoDB client (the benchmark's counts its requests).
    pub fn with_client(config: CatalogConfig, db: aws_sdk_dynamodb::Client) -> Self {
        CatalogState {
            auth: Authenticator::new(&config.verifier, db.clone(), &config.table.table_name),
            store: CatalogStore::new(db, config.table.table_name),
            http: config.http,
        }
    }

    /// A catalogue function's router: its routes with this state, wrapped like every router of the API.
    pub fn serve(self, routes: Router<CatalogState>) -> Router {
        let http = self.http.clone();
        shared_http::api(routes.with_state(self), &http)
    }
}

impl FromRef<CatalogState> for Authenticator {
    fn from_ref(state: &CatalogState) -> Self {
        state.auth.clone()
    }
}

/// Belta's rule: only an admin may change or delete a record marked `employeeReadOnly`.
pub fn guard_modify(user: &AuthUser, record: &impl Record) -> ApiResult<()> {
    if record.employee_read_only() && user.role != Role::Admin {
        return Err(ApiError::Forbidden(Msg::OnlyAdminCanModify));
    }
    Ok(())
}

/// Belta's rule: only an admin may set `employeeReadOnly: true`.
pub fn guard_read_only_flag(user: &AuthUser, requested: Option<bool>) -> ApiResult<()> {
    if requested == Some(true) && user.role != Role::Admin {
        return Err(ApiError::Forbidden(Msg::OnlyAdminCanSetReadOnly));
    }
    Ok(())
}

/// `{message}` in the request's language, Belta's answer to a delete.
pub fn deleted(msg: Msg, lang: Lang) -> Json<Value> {
    Json(json!({ "message": msg.text(lang) }))
}

pub fn product_or_404<'c>(catalog: &'c Catalog, id: &Id) -> ApiResult<&'c Product> {
    catalog
        .product(id)
        .ok_or(ApiError::NotFound(Msg::ProductNotFound))
}

pub fn entity_or_404<'c>(catalog: &'c Catalog, kind: Kind, id: &Id) -> ApiResult<&'c Entity> {
    catalog
        .entity(kind, id)
        .ok_or(ApiError::NotFound(kind.not_found()))
}

/// Sets (`Some`) or clears (`None`) a single-valued relation; returns the parent it concerns.
/// Belta's rule: linking an already linked child, or unlinking an unlinked one, is a 400.
pub fn toggle_single(slot: &mut Option<Id>, target: Option<Id>) -> ApiResult<Id> {
    match (target, *slot) {
        (Some(_), Some(_)) => Err(ApiError::BadRequest(Msg::AlreadyLinked)),
        (None, None) => Err(ApiError::BadRequest(Msg::NotLinked)),
        (Some(parent), None) => {
            *slot = Some(parent);
            Ok(parent)
        }
        (None, Some(parent)) => {
            *slot = None;
            Ok(parent)
        }
    }
}

/// Adds (`link`) or removes `parent` in a many-valued relation, with the same 400s.
fn toggle_many(list: &mut Vec<Id>, parent: Id, link: bool) -> ApiResult<()> {
    let present = list.contains(&parent);
    match (link, present) {
        (true, true) => Err(ApiError::BadRequest(Msg::AlreadyLinked)),
        (false, false) => Err(ApiError::BadRequest(Msg::NotLinked)),
        (true, false) if list.len() >= MAX_LINKS_PER_PRODUCT => {
            Err(ApiError::BadRequest(Msg::TooManyLinks))
        }
        (true, false) => {
            list.push(parent);
            Ok(())
        }
        (false, true) => {
            list.retain(|id| *id != parent);
            Ok(())
        }
    }
}

/// Links a product to (or unlinks it from) an entity of `kind`: its brand or subcategory (single; an
/// unlink may leave `parent` out), or one of its labels or tags (`parent` names which). The product's
/// new revision and the parent's `linkCount` change in one transaction. Answers the product as staff
/// see it.
pub async fn link_product(
    state: &CatalogState,
    user: &AuthUser,
    product_id: Id,
    kind: Kind,
    parent: Option<Id>,
    link: bool,
) -> ApiResult<Json<Value>> {
    let catalog = state.store.snapshot().await?;
    let product = product_or_404(&catalog, &product_id)?;
    if let Some(parent) = parent {
        entity_or_404(&catalog, kind, &parent)?;
    }
    guard_modify(user, product)?;
    let mut revised = product.clone();
    let parent = match kind {
        Kind::Brand | Kind::Subcategory => {
            let slot = if kind == Kind::Brand {
                &mut revised.brand
            } else {
                &mut revised.subcategory
            };
            // An unlink that names the parent (the admin panel's unlink-brand sends `brandId`) undoes
            // only that link: a stale screen must not unlink whatever is linked now.
            if !link && parent.is_some_and(|p| *slot != Some(p)) {
                return Err(ApiError::BadRequest(Msg::NotLinked));
            }
            toggle_single(slot, parent.filter(|_| link))?
        }
        Kind::Label | Kind::Tag => {
            let list = if kind == Kind::Label {
                &mut revised.labels
            } else {
                &mut revised.tags
            };
            let parent = parent.expect("label and tag links name their parent");
            toggle_many(list, parent, link)?;
            parent
        }
        Kind::Category => unreachable!("products do not link to categories"),
    };
    revised.touch(now_millis());
    let parent_key = entity_or_404(&catalog, kind, &parent)?.key();
    state
        .store
        .apply(vec![
            Change::replace(&revised),
            Change::CountLinks {
                key: parent_key,
                delta: if link { 1 } else { -1 },
            },
        ])
        .await?;
    let catalog = state.store.snapshot().await?;
    let product = product_or_404(&catalog, &product_id)?;
    Ok(Json(views::product_staff(
        &catalog,
        product,
        true,
        now_secs(),
    )))
}

impl Kind {
    /// The path segment of the kind's routes (`/brands`).
    pub fn path(self) -> &'static str {
        match self {
            Kind::Brand => "brands",
            Kind::Category => "categories",
            Kind::Subcategory => "subcategories",
            Kind::Label => "labels",
            Kind::Tag => "tags",
        }
    }

    /// What blocks a delete while children link here (labels and tags are unlinked instead).
    fn has_children(self) -> Option<Msg> {
        match self {
            Kind::Brand => Some(Msg::BrandHasProducts),
            Kind::Category => Some(Msg::CategoryHasSubcategories),
            Kind::Subcategory => Some(Msg::SubcategoryHasProducts),
            Kind::Label | Kind::Tag => None,
        }
    }

    fn deleted(self) -> Msg {
        match self {
            Kind::Brand => Msg::BrandDeleted,
            Kind::Category => Msg::CategoryDeleted,
            Kind::Subcategory => Msg::SubcategoryDeleted,
            Kind::Label => Msg::LabelDeleted,
            Kind::Tag => Msg::TagDeleted,
        }
    }
}

/// The public and staff routes of `kind`: `GET /<kind>`, `GET /<kind>/{id}`, and `/<kind>/staff`
/// list, create, get, PATCH and DELETE.
pub fn entity_routes(kind: Kind) -> Router<CatalogState> {
    let base = format!("/{}", kind.path());
    Router::new()
        .route(
            &base,
            get(move |state, lang, query| public_list(kind, state, lang, query)),
        )
        .route(
            &format!("{base}/{{id}}"),
            get(move |state, lang, id| public_get(kind, state, lang, id)),
        )
        .route(
            &format!("{base}/staff"),
            get(move |state, staff, lang, query| staff_list(kind, state, staff, lang, query))
                .post(move |state, staff, body| create(kind, state, staff, body)),
        )
        .route(
            &format!("{base}/staff/{{id}}"),
            get(move |state, staff, id| staff_get(kind, state, staff, id))
                .patch(move |state, staff, id, body| update(kind, state, staff, id, body))
                .delete(move |state, staff, lang, id| delete(kind, state, staff, lang, id)),
        )
}

/// `POST /<labels|tags>/staff/link` and `/unlink` with `{<kind>Id, productId}`.
pub fn product_link_routes(kind: Kind) -> Router<CatalogState> {
    let base = format!("/{}/staff", kind.path());
    Router::new()
        .route(
            &format!("{base}/link"),
            post(move |state, staff, body| link_many(kind, state, staff, body, true)),
        )
        .route(
            &format!("{base}/unlink"),
            post(move |state, staff, body| link_many(kind, state, staff, body, false)),
        )
}

async fn link_many(
    kind: Kind,
    State(state): State<CatalogState>,
    Staff(user): Staff,
    JsonBody(input): JsonBody<LinkInput>,
    link: bool,
) -> ApiResult<Json<Value>> {
    let (parent, field) = match kind {
        Kind::Label => (input.label_id, "labelId"),
        _ => (input.tag_id, "tagId"),
    };
    let [parent, product] = required_ids([(field, parent), ("productId", input.product_id)])?;
    link_product(&state, &user, product, kind, Some(parent), link).await
}

async fn public_list(
    kind: Kind,
    State(state): State<CatalogState>,
    lang: Lang,
    QueryParams(query): QueryParams<EntityListQuery>,
) -> ApiResult<Response> {
    let catalog = state.store.snapshot().await?;
    let page = query.run(&catalog, kind, true, lang);
    Ok(Json(render(page, |e| views::entity_public(e, lang))).into_response())
}

async fn public_get(
    kind: Kind,
    State(state): State<CatalogState>,
    lang: Lang,
    PathId(id): PathId,
) -> ApiResult<Json<Value>> {
    let catalog = state.store.snapshot().await?;
    let entity = entity_or_404(&catalog, kind, &id)?;
    if entity.disabled {
        return Err(ApiError::NotFound(kind.not_found()));
    }
    Ok(Json(views::entity_public_detail(
        &catalog,
        entity,
        lang,
        now_secs(),
    )))
}

async fn staff_list(
    kind: Kind,
    State(state): State<CatalogState>,
    _: Staff,
    lang: Lang,
    QueryParams(query): QueryParams<EntityListQuery>,
) -> ApiResult<Json<Page<Value>>> {
    let catalog = state.store.snapshot().await?;
    let now = now_secs();
    let page = query.run(&catalog, kind, false, lang);
    Ok(Json(render(page, |e| {
        views::entity_staff(&catalog, e, false, now)
    })))
}

async fn staff_get(
    kind: Kind,
    State(state): State<CatalogState>,
    _: Staff,
    PathId(id): PathId,
) -> ApiResult<Json<Value>> {
    let catalog = state.store.snapshot().await?;
    let entity = entity_or_404(&catalog, kind, &id)?;
    Ok(Json(views::entity_staff(
        &catalog,
        entity,
        true,
        now_secs(),
    )))
}

/// The entity as staff see it after a write.
pub async fn entity_after_write(
    state: &CatalogState,
    kind: Kind,
    id: &Id,
) -> ApiResult<Json<Value>> {
    let catalog = state.store.snapshot().await?;
    let entity = entity_or_404(&catalog, kind, id)?;
    Ok(Json(views::entity_staff(
        &catalog,
        entity,
        true,
        now_secs(),
    )))
}

async fn create(
    kind: Kind,
    State(state): State<CatalogState>,
    Staff(user): Staff,
    JsonBody(input): JsonBody<EntityInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    input.check_complete(kind)?;
    guard_read_only_flag(&user, input.employee_read_only)?;
    let mut entity = Entity::new(kind, now_millis());
    input.apply(&mut entity);
    state.store.apply(vec![Change::create(&entity)]).await?;
    let view = entity_after_write(&state, kind, &entity.id).await?;
    Ok((StatusCode::CREATED, view))
}

async fn update(
    kind: Kind,
    State(state): State<CatalogState>,
    Staff(user): Staff,
    PathId(id): PathId,
    JsonBody(input): JsonBody<EntityInput>,
) -> ApiResult<Json<Value>> {
    let catalog = state.store.snapshot().await?;
    let current = entity_or_404(&catalog, kind, &id)?;
    guard_modify(&user, current)?;
    guard_read_only_flag(&user, input.employee_read_only)?;
    let revised = current.revised(now_millis(), |e| input.apply(e));
    state.store.apply(vec![Change::replace(&revised)]).await?;
    entity_after_write(&state, kind, &id).await
}

async fn delete(
    kind: Kind,
    State(state): State<CatalogState>,
    Staff(user): Staff,
    lang: Lang,
    PathId(id): PathId,
) -> ApiResult<Json<Value>> {
    let mut catalog = state.store.snapshot().await?;
    let entity = entity_or_404(&catalog, kind, &id)?;
    guard_modify(&user, entity)?;
    if let Some(blocked) = kind.has_children()
        && entity.link_count > 0
    {
        return Err(ApiError::Conflict(blocked));
    }
    // Only labels and tags can still have children here: they leave every product they are on, in the
    // same transaction as their deletion. A larger following is first unlinked in full transactions,
    // each one consistent on its own. The last one also holds the entity, its category's count (a
    // subcategory's) and the version bump.
    let room = MAX_TRANSACTION_ITEMS - 3;
    loop {
        let entity = entity_or_404(&catalog, kind, &id)?;
        let children = catalog.children(&id);
        let now = now_millis();
        let mut changes: Vec<Change> = children
            .iter()
            .take(room)
            .filter_map(|p| catalog.product(p))
            .map(|p| {
                Change::replace(&p.revised(now, |p| {
                    p.labels.retain(|l| *l != id);
                    p.tags.retain(|t| *t != id);
                }))
            })
            .collect();
        let last = children.len() <= room;
        if last {
            // A subcategory frees its category, which can then be deleted in turn.
            let category = entity
                .category
                .and_then(|c| catalog.entity(Kind::Category, &c));
            changes.extend(category.map(|category| Change::CountLinks {
                key: category.key(),
                delta: -1,
            }));
            changes.push(Change::delete(entity));
        } else {
            let unlinked = changes.len() as i64;
            changes.push(Change::CountLinks {
                key: entity.key(),
                delta: -unlinked,
            });
        }
        state.store.apply(changes).await?;
        if last {
            break;
        }
        catalog = state.store.snapshot().await?;
    }
    if kind == Kind::Tag {
        return Ok(Json(json!({ "success": true })));
    }
    Ok(deleted(kind.deleted(), lang))
}
