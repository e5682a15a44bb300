//! The catalogue's OpenAPI description, built from a route table rather than per-handler attributes:
//! the five kinds share handlers (closures over their [`Kind`]), so their paths are generated here
//! from the same names the router uses.

use utoipa::{
    IntoParams, PartialSchema,
    openapi::{
        Content, HttpMethod, ObjectBuilder, OpenApi, OpenApiBuilder, PathItem, PathsBuilder, RefOr,
        Required, ResponseBuilder, Schema, Type,
        path::{OperationBuilder, ParameterBuilder, ParameterIn},
        request_body::RequestBodyBuilder,
        security::SecurityRequirement,
    },
};

use crate::{
    input::{EntityInput, LinkInput, OfferInput, ProductInput},
    lists::{EntityListQuery, OfferListQuery, ProductListQuery},
    model::Kind,
};

/// What a catalogue route takes and answers, for the document.
pub struct Route {
    pub method: HttpMethod,
    pub path: String,
    pub summary: String,
    /// Needs a staff token (401 without, 403 for a client).
    pub staff: bool,
    pub query: Option<Vec<utoipa::openapi::path::Parameter>>,
    pub body: Option<RefOr<Schema>>,
    /// 201 instead of 200.
    pub creates: bool,
}

impl Route {
    fn new(method: HttpMethod, path: impl Into<String>, summary: impl Into<String>) -> Self {
        Route {
            method,
            path: path.into(),
            summary: summary.into(),
            staff: false,
            query: None,
            body: None,
            creates: false,
        }
    }

    fn staff(mut self) -> Self {
        self.staff = true;
        self
    }

    fn query<Q: IntoParams>(mut self) -> Self {
        self.query = Some(Q::into_params(|| Some(ParameterIn::Query)));
        self
    }

    fn body<B: PartialSchema>(mut self) -> Self {
        self.body = Some(B::schema());
        self
    }

    fn creates(mut self) -> Self {
        self.creates = true;
        self
    }
}

/// A document with `routes` under `tag`.
pub fn document(tag: &str, routes: Vec<Route>) -> OpenApi {
    let json = || {
        Content::new(Some(Schema::Object(
            ObjectBuilder::new().schema_type(Type::Object).build(),
        )))
    };
    let error = || {
        ResponseBuilder::new()
            .description("`{error, code, fields?}` in the request's language")
            .build()
    };
    let mut paths = PathsBuilder::new();
    for route in routes {
        let mut operation = OperationBuilder::new()
            .tag(tag)
            .summary(Some(route.summary))
            .response(
                if route.creates { "201" } else { "200" },
                ResponseBuilder::new()
                    .description("JSON in Belta's shape")
                    .content("application/json", json())
                    .build(),
            )
            .response("400", error())
            .response("404", error());
        let mut parameters = route.query.unwrap_or_default();
        if route.path.contains("{id}") {
            parameters.push(
                ParameterBuilder::new()
                    .name("id")
                    .parameter_in(ParameterIn::Path)
                    .required(Required::True)
                    .description(Some("24 hexadecimal characters"))
                    .build(),
            );
        }
        operation = operation.parameters(Some(parameters));
        if let Some(schema) = route.body {
            operation = operation.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", Content::new(Some(schema)))
                    .required(Some(Required::True))
                    .build(),
            ));
        }
        if route.staff {
            operation = operation
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                .response("401", error())
                .response("403", error())
                .response("409", error());
        }
        paths = paths.path(route.path, PathItem::new(route.method, operation));
    }
    OpenApiBuilder::new().paths(paths).build()
}

/// The public and staff routes of a kind, as `routes::entities` serves them.
pub fn entity_routes(kind: Kind) -> Vec<Route> {
    let base = format!("/{}", kind.path());
    let name = kind.path();
    vec![
        Route::new(
            HttpMethod::Get,
            &base,
            format!("List enabled {name} (localized)"),
        )
        .query::<EntityListQuery>(),
        Route::new(
            HttpMethod::Get,
            format!("{base}/{{id}}"),
            format!("Read one enabled item of {name}"),
        ),
        Route::new(
            HttpMethod::Get,
            format!("{base}/staff"),
            format!("List {name} (staff)"),
        )
        .staff()
        .query::<EntityListQuery>(),
        Route::new(
            HttpMethod::Post,
            format!("{base}/staff"),
            format!("Create one of {name}"),
        )
        .staff()
        .body::<EntityInput>()
        .creates(),
        Route::new(
            HttpMethod::Get,
            format!("{base}/staff/{{id}}"),
            format!("Read one of {name} (staff)"),
        )
        .staff(),
        Route::new(
            HttpMethod::Patch,
            format!("{base}/staff/{{id}}"),
            "Change the fields sent",
        )
        .staff()
        .body::<EntityInput>(),
        Route::new(
            HttpMethod::Delete,
            format!("{base}/staff/{{id}}"),
            "Delete (409 while children link here)",
        )
        .staff(),
    ]
}

/// A link or unlink route taking [`LinkInput`].
pub fn link_route(path: impl Into<String>, summary: &str) -> Route {
    Route::new(HttpMethod::Post, path, summary)
        .staff()
        .body::<LinkInput>()
}

/// `/<labels|tags>/staff/link` and `/unlink`, as `routes::links` serves them.
pub fn product_link_routes(kind: Kind) -> Vec<Route> {
    let base = format!("/{}/staff", kind.path());
    let body = format!("`{{{}Id, productId}}`", kind.tag().to_ascii_lowercase());
    vec![
        link_route(format!("{base}/link"), &format!("Link to a product {body}")),
        link_route(
            format!("{base}/unlink"),
            &format!("Unlink from a product {body}"),
        ),
    ]
}

pub fn product_routes() -> Vec<Route> {
    vec![
        Route::new(
            HttpMethod::Get,
            "/products",
            "The store's product list: filters, search, sort, paging",
        )
        .query::<ProductListQuery>(),
        Route::new(
            HttpMethod::Get,
            "/products/{id}",
            "One enabled product, localized",
        ),
        Route::new(HttpMethod::Get, "/products/staff", "List products (staff)")
            .staff()
            .query::<ProductListQuery>(),
        Route::new(HttpMethod::Post, "/products/staff", "Create a product")
            .staff()
            .body::<ProductInput>()
            .creates(),
        Route::new(
            HttpMethod::Get,
            "/products/staff/{id}",
            "Read a product (staff)",
        )
        .staff(),
        Route::new(
            HttpMethod::Patch,
            "/products/staff/{id}",
            "Change the fields sent",
        )
        .staff()
        .body::<ProductInput>(),
        Route::new(
            HttpMethod::Delete,
            "/products/staff/{id}",
            "Delete a product and its offer",
        )
        .staff(),
        link_route(
            "/products/staff/link-brand",
            "Link a product to a brand `{productId, brandId}`",
        ),
        link_route(
            "/products/staff/unlink-brand",
            "Unlink a product from its brand `{productId, brandId?}`; a `brandId` it is not on is a 400",
        ),
        link_route(
            "/products/staff/link-subcategory",
            "Link a product to a subcategory `{productId, subcategoryId}`",
        ),
        link_route(
            "/products/staff/unlink-subcategory",
            "Unlink a product from its subcategory `{productId, subcategoryId?}`; a `subcategoryId` it is not in is a 400",
        ),
    ]
}

pub fn offer_routes() -> Vec<Route> {
    vec![
        Route::new(HttpMethod::Get, "/offers", "List offers")
            .staff()
            .query::<OfferListQuery>(),
        Route::new(HttpMethod::Post, "/offers", "Create a product's offer")
            .staff()
            .body::<OfferInput>()
            .creates(),
        Route::new(HttpMethod::Get, "/offers/{id}", "Read an offer").staff(),
        Route::new(
            HttpMethod::Patch,
            "/offers/{id}",
            "Change the fields sent; `product` moves it",
        )
        .staff()
        .body::<OfferInput>(),
        Route::new(HttpMethod::Delete, "/offers/{id}", "Delete an offer").staff(),
    ]
}
