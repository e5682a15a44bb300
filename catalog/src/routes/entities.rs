//! The public and staff routes of the five kinds with one shape (brands, categories,
//! subcategories, labels, tags).

use axum::{
    extract::State,
    response::{IntoResponse, Response},
};
use http::StatusCode;
use shared::{
    ApiError, ApiResult, Id, Lang,
    auth::Staff,
    clock::{now_millis, now_secs},
    extract::{JsonBody, PathId, QueryParams},
};

use super::{deleted, entity_or_404, guard_modify, guard_read_only_flag, json};
use crate::{
    CatalogState,
    api::{Api, Op},
    caching::Revalidation,
    input::{Changes, EntityInput, NewEntity, documented},
    kind::{Deleted, Kind, OnDelete},
    lists::{EntityListQuery, STAFF_ONLY, render},
    model::Record,
    store::{Change, MAX_CHANGE_ITEMS},
    views::{
        self, DeletedMessage, DeletedSuccess, PublicEntityDetail, PublicListItem, StaffEntityView,
    },
};

/// The public and staff routes of `kind`: `GET /<kind>`, `GET /<kind>/{id}`, and `/<kind>/staff`
/// list, create, get, PATCH and DELETE.
pub fn api(kind: Kind) -> Api {
    let spec = kind.spec();
    let name = spec.path;
    let base = format!("/{name}");
    let one = format!("{base}/staff/{{id}}");
    let delete_op = Op::delete(
        &one,
        match spec.on_delete {
            OnDelete::Refuse(_) => "Delete (409 while children link here)",
            OnDelete::UnlinkProducts => "Delete, unlinking it from every product",
        },
    )
    .staff();
    let delete_op = match spec.deleted {
        Deleted::Message(_) => delete_op.answers::<DeletedMessage>(),
        Deleted::Success => delete_op.answers::<DeletedSuccess>(),
    };
    Api::new(name)
        .route(
            Op::get(&base, format!("List enabled {name} (localized)"))
                .query::<EntityListQuery>(STAFF_ONLY)
                .ignores(EntityListQuery::ignored_by(kind))
                .answers_page::<PublicListItem>()
                .revalidated(),
            move |state, lang, cached, query| public_list(kind, state, lang, cached, query),
        )
        .route(
            Op::get(
                format!("{base}/{{id}}"),
                format!("Read one enabled item of {name}"),
            )
            .answers::<PublicEntityDetail>()
            .revalidated(),
            move |state, lang, cached, id| public_get(kind, state, lang, cached, id),
        )
        .route(
            Op::get(format!("{base}/staff"), format!("List {name} (staff)"))
                .staff()
                .query::<EntityListQuery>(STAFF_ONLY)
                .ignores(EntityListQuery::ignored_by(kind))
                .answers_page::<StaffEntityView>(),
            move |state, staff, lang, query| staff_list(kind, state, staff, lang, query),
        )
        .route(
            Op::post(format!("{base}/staff"), format!("Create one of {name}"))
                .staff()
                .body_schema(move || documented::entity_create(kind))
                .created()
                .answers::<StaffEntityView>(),
            move |state, staff, body| create(kind, state, staff, body),
        )
        .route(
            Op::get(&one, format!("Read one of {name} (staff)"))
                .staff()
                .answers::<StaffEntityView>(),
            move |state, staff, id| staff_get(kind, state, staff, id),
        )
        .route(
            Op::patch(&one, "Change the fields sent")
                .staff()
                .body_schema(move || documented::entity_patch(kind))
                .answers::<StaffEntityView>(),
            move |state, staff, id, body| update(kind, state, staff, id, body),
        )
        .route(delete_op, move |state, staff, lang, id| {
            delete(kind, state, staff, lang, id)
        })
}

#[tracing::instrument(skip_all, fields(kind = kind.tag()))]
async fn public_list(
    kind: Kind,
    State(state): State<CatalogState>,
    lang: Lang,
    cached: Revalidation,
    QueryParams(query): QueryParams<EntityListQuery>,
) -> ApiResult<Response> {
    let (version, catalog) = state.store.public_snapshot().await?;
    cached.respond(version, &catalog, lang, now_secs(), || {
        let page = query.run(&catalog, kind, true, lang);
        Ok(json(render(page, |e| views::entity_public(e, lang))))
    })
}

#[tracing::instrument(skip_all, fields(kind = kind.tag(), %id))]
async fn public_get(
    kind: Kind,
    State(state): State<CatalogState>,
    lang: Lang,
    cached: Revalidation,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let (version, catalog) = state.store.public_snapshot().await?;
    let now = now_secs();
    cached.respond(version, &catalog, lang, now, || {
        let entity = entity_or_404(&catalog, kind, &id)?;
        if entity.disabled {
            return Err(ApiError::NotFound(kind.spec().not_found));
        }
        Ok(json(views::entity_public_detail(
            &catalog, entity, lang, now,
        )))
    })
}

#[tracing::instrument(skip_all, fields(kind = kind.tag()))]
async fn staff_list(
    kind: Kind,
    State(state): State<CatalogState>,
    _: Staff,
    lang: Lang,
    QueryParams(query): QueryParams<EntityListQuery>,
) -> ApiResult<Response> {
    let catalog = state.store.snapshot().await?;
    let now = now_secs();
    let page = query.run(&catalog, kind, false, lang);
    Ok(json(render(page, |e| {
        views::entity_staff(&catalog, e, false, now)
    })))
}

#[tracing::instrument(skip_all, fields(kind = kind.tag(), %id))]
async fn staff_get(
    kind: Kind,
    State(state): State<CatalogState>,
    _: Staff,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let catalog = state.store.snapshot().await?;
    let entity = entity_or_404(&catalog, kind, &id)?;
    Ok(json(views::entity_staff(
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
) -> ApiResult<Response> {
    let catalog = state.store.snapshot().await?;
    let entity = entity_or_404(&catalog, kind, id)?;
    Ok(json(views::entity_staff(
        &catalog,
        entity,
        true,
        now_secs(),
    )))
}

#[tracing::instrument(skip_all, fields(kind = kind.tag()))]
async fn create(
    kind: Kind,
    State(state): State<CatalogState>,
    Staff(user): Staff,
    JsonBody(input): JsonBody<EntityInput>,
) -> ApiResult<Response> {
    let new = NewEntity::try_from((kind, input))?;
    guard_read_only_flag(&user, new.input().employee_read_only)?;
    let entity = new.into_entity(now_millis());
    state.store.apply(vec![Change::create(&entity)]).await?;
    let view = entity_after_write(&state, kind, &entity.id).await?;
    Ok((StatusCode::CREATED, view).into_response())
}

#[tracing::instrument(skip_all, fields(kind = kind.tag(), %id))]
async fn update(
    kind: Kind,
    State(state): State<CatalogState>,
    Staff(user): Staff,
    PathId(id): PathId,
    JsonBody(input): JsonBody<EntityInput>,
) -> ApiResult<Response> {
    let changes = Changes::try_from(input)?;
    let catalog = state.store.snapshot().await?;
    let current = entity_or_404(&catalog, kind, &id)?;
    guard_modify(&user, current)?;
    guard_read_only_flag(&user, changes.input().employee_read_only)?;
    if let Some(revised) = current.revised_if_changed(now_millis(), |e| changes.apply(e)) {
        state.store.apply(vec![Change::replace(&revised)]).await?;
    }
    entity_after_write(&state, kind, &id).await
}

#[tracing::instrument(skip_all, fields(kind = kind.tag(), %id))]
async fn delete(
    kind: Kind,
    State(state): State<CatalogState>,
    Staff(user): Staff,
    lang: Lang,
    PathId(id): PathId,
) -> ApiResult<Response> {
    let spec = kind.spec();
    let mut catalog = state.store.snapshot().await?;
    let entity = entity_or_404(&catalog, kind, &id)?;
    guard_modify(&user, entity)?;
    if let OnDelete::Refuse(blocked) = spec.on_delete
        && entity.link_count > 0
    {
        return Err(ApiError::Conflict(blocked));
    }
    // Every product the deletion rewrites is checked before the first write.
    for product in catalog.children(&id).filter_map(|p| catalog.product(&p)) {
        guard_modify(&user, product)?;
    }
    // Only a kind whose products are unlinked can still have children here: they leave every product
    // they are on, in the same transaction as the deletion. A larger following is first unlinked in
    // full transactions, each one consistent on its own. The last one also holds the entity, its
    // parent's count (a subcategory's category).
    let room = MAX_CHANGE_ITEMS - 2;
    loop {
        let entity = entity_or_404(&catalog, kind, &id)?;
        let now = now_millis();
        let mut changes: Vec<Change> = catalog
            .children(&id)
            .take(room)
            .filter_map(|p| catalog.product(&p))
            .map(|p| Change::replace(&p.revised(now, |p| spec.product_link.remove(p, id))))
            .collect();
        let last = catalog.children(&id).len() <= room;
        if last {
            // A subcategory frees its category, which can then be deleted in turn.
            let parent = spec
                .parent
                .zip(entity.category)
                .and_then(|(parent, id)| catalog.entity(parent, &id));
            changes.extend(parent.map(|parent| Change::count_links(parent.kind, parent.id, -1)));
            changes.push(Change::delete(entity));
        } else {
            let unlinked = changes.len() as i64;
            changes.push(Change::count_links(kind, id, -unlinked));
        }
        state.store.apply(changes).await?;
        if last {
            break;
        }
        catalog = state.store.snapshot().await?;
    }
    Ok(match spec.deleted {
        Deleted::Message(msg) => deleted(msg, lang),
        Deleted::Success => json(DeletedSuccess { success: true }),
    })
}
