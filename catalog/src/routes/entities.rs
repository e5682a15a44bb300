//! The public and staff routes of the five kinds with one shape (brands, categories,
//! subcategories, labels, tags).

use axum::{
    Json, Router,
    extract::State,
    response::{IntoResponse, Response},
    routing::get,
};
use http::StatusCode;
use serde_json::{Value, json};
use shared::{
    ApiError, ApiResult, Id, Lang, Msg,
    auth::Staff,
    clock::{now_millis, now_secs},
    extract::{JsonBody, PathId, QueryParams},
    pagination::Page,
};

use super::{deleted, entity_or_404, guard_modify, guard_read_only_flag};
use crate::{
    CatalogState,
    input::EntityInput,
    lists::{EntityListQuery, render},
    model::{Entity, Kind, Record},
    store::{Change, MAX_TRANSACTION_ITEMS},
    views,
};

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
pub fn routes(kind: Kind) -> Router<CatalogState> {
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
pub(super) async fn entity_after_write(
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
