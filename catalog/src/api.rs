//! One table per function that builds both its axum router and its OpenAPI paths, so a route and its
//! documentation are declared together and cannot drift: [`Api::route`] takes an [`Op`] (method, path
//! and what it takes and answers) with the handler that serves it.

use std::collections::BTreeMap;

use axum::{
    Router,
    handler::Handler,
    routing::{MethodFilter, MethodRouter, on},
};
use utoipa::{
    IntoParams, PartialSchema, ToSchema,
    openapi::{
        Components, Content, HttpMethod, OpenApi, OpenApiBuilder, Paths, RefOr, Required,
        ResponseBuilder, Schema,
        path::{OperationBuilder, Parameter, ParameterBuilder, ParameterIn},
        request_body::RequestBodyBuilder,
        security::SecurityRequirement,
    },
};

use shared::pagination::{Page, PageMeta};

use crate::CatalogState;

/// `{error, code, fields?}` in the request's language: every error the API answers.
#[derive(ToSchema)]
#[allow(dead_code)] // describes the platform's `ApiError` body; never built
struct ErrorBody {
    /// The message, in Arabic or English per `Accept-Language`.
    error: String,
    /// A stable code (`brand_not_found`).
    code: String,
    /// Validation errors: each field's messages.
    fields: Option<BTreeMap<String, Vec<String>>>,
}

/// One documented operation: method, path, and what it takes and answers.
pub struct Op {
    method: HttpMethod,
    path: String,
    summary: String,
    staff: bool,
    query: Vec<Parameter>,
    body: Option<RefOr<Schema>>,
    status: &'static str,
    response: RefOr<Schema>,
    schemas: Vec<(String, RefOr<Schema>)>,
}

impl Op {
    fn new(method: HttpMethod, path: impl Into<String>, summary: impl Into<String>) -> Self {
        Op {
            method,
            path: path.into(),
            summary: summary.into(),
            staff: false,
            query: Vec::new(),
            body: None,
            status: "200",
            response: RefOr::T(Schema::default()),
            schemas: Vec::new(),
        }
    }

    pub fn get(path: impl Into<String>, summary: impl Into<String>) -> Self {
        Op::new(HttpMethod::Get, path, summary)
    }

    pub fn post(path: impl Into<String>, summary: impl Into<String>) -> Self {
        Op::new(HttpMethod::Post, path, summary)
    }

    pub fn patch(path: impl Into<String>, summary: impl Into<String>) -> Self {
        Op::new(HttpMethod::Patch, path, summary)
    }

    pub fn delete(path: impl Into<String>, summary: impl Into<String>) -> Self {
        Op::new(HttpMethod::Delete, path, summary)
    }

    /// Needs a staff token (401 without, 403 for a client).
    pub fn staff(mut self) -> Self {
        self.staff = true;
        self
    }

    /// Takes the query parameters of `Q`, except those named in `staff_only` on a public route.
    pub fn query<Q: IntoParams>(mut self, staff_only: &[&str]) -> Self {
        let public = !self.staff;
        self.query = Q::into_params(|| Some(ParameterIn::Query))
            .into_iter()
            .filter(|p| !(public && staff_only.contains(&p.name.as_str())))
            .collect();
        self
    }

    /// Takes a JSON body of type `B`.
    pub fn body<B: ToSchema>(mut self) -> Self {
        component::<B>(&mut self.schemas);
        self.body = Some(B::schema());
        self
    }

    /// Answers 201 instead of 200.
    pub fn created(mut self) -> Self {
        self.status = "201";
        self
    }

    /// Answers a JSON body of type `V`.
    pub fn answers<V: ToSchema>(mut self) -> Self {
        component::<V>(&mut self.schemas);
        self.response = V::schema();
        self
    }

    /// Answers a page of `V`s.
    pub fn answers_page<V: ToSchema>(mut self) -> Self {
        component::<V>(&mut self.schemas);
        component::<PageMeta>(&mut self.schemas);
        self.response = Page::<V>::schema();
        self
    }
}

/// `T`'s schema and every schema it refers to, as named components.
fn component<T: ToSchema>(schemas: &mut Vec<(String, RefOr<Schema>)>) {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
}

fn method_filter(method: &HttpMethod) -> MethodFilter {
    match method {
        HttpMethod::Get => MethodFilter::GET,
        HttpMethod::Post => MethodFilter::POST,
        HttpMethod::Put => MethodFilter::PUT,
        HttpMethod::Patch => MethodFilter::PATCH,
        HttpMethod::Delete => MethodFilter::DELETE,
        HttpMethod::Head => MethodFilter::HEAD,
        HttpMethod::Options => MethodFilter::OPTIONS,
        HttpMethod::Trace => MethodFilter::TRACE,
    }
}

/// A function's routes and their documentation, built together.
pub struct Api {
    /// The OpenAPI tag of its operations: the function's name.
    tag: &'static str,
    routes: BTreeMap<String, MethodRouter<CatalogState>>,
    paths: Paths,
    schemas: BTreeMap<String, RefOr<Schema>>,
}

impl Api {
    pub fn new(tag: &'static str) -> Self {
        Api {
            tag,
            routes: BTreeMap::new(),
            paths: Paths::new(),
            schemas: BTreeMap::new(),
        }
    }

    /// Serves `op` with `handler` and documents it.
    pub fn route<H, T>(mut self, op: Op, handler: H) -> Self
    where
        H: Handler<T, CatalogState>,
        T: 'static,
    {
        let method = method_filter(&op.method);
        let routes = self.routes.remove(&op.path).unwrap_or_default();
        self.routes
            .insert(op.path.clone(), routes.merge(on(method, handler)));
        self.schemas.extend(op.schemas.clone());
        let (path, method) = (op.path.clone(), op.method.clone());
        self.paths
            .add_path_operation(path, vec![method], operation(self.tag, op));
        self
    }

    pub fn merge(mut self, other: Api) -> Self {
        for (path, routes) in other.routes {
            let mine = self.routes.remove(&path).unwrap_or_default();
            self.routes.insert(path, mine.merge(routes));
        }
        self.paths.merge(other.paths);
        self.schemas.extend(other.schemas);
        self
    }

    pub fn router(&self) -> Router<CatalogState> {
        self.routes
            .iter()
            .fold(Router::new(), |router, (path, routes)| {
                router.route(path, routes.clone())
            })
    }

    pub fn openapi(&self) -> OpenApi {
        let mut components = Components::new();
        components.schemas.extend(self.schemas.clone());
        components
            .schemas
            .insert(ErrorBody::name().into_owned(), ErrorBody::schema());
        OpenApiBuilder::new()
            .paths(self.paths.clone())
            .components(Some(components))
            .build()
    }
}

fn operation(tag: &str, op: Op) -> utoipa::openapi::path::Operation {
    let json = |schema: RefOr<Schema>| Content::new(Some(schema));
    let error = || {
        ResponseBuilder::new()
            .description("`{error, code, fields?}` in the request's language")
            .content(
                "application/json",
                json(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                    ErrorBody::name(),
                ))),
            )
            .build()
    };
    let mut parameters = op.query;
    if op.path.contains("{id}") {
        parameters.push(
            ParameterBuilder::new()
                .name("id")
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .description(Some("24 hexadecimal characters"))
                .build(),
        );
    }
    let mut operation = OperationBuilder::new()
        .tag(tag)
        .summary(Some(op.summary))
        .response(
            op.status,
            ResponseBuilder::new()
                .description("JSON in Belta's shape")
                .content("application/json", json(op.response))
                .build(),
        )
        .response("400", error())
        .response("404", error())
        .parameters(Some(parameters));
    if let Some(schema) = op.body {
        operation = operation.request_body(Some(
            RequestBodyBuilder::new()
                .content("application/json", json(schema))
                .required(Some(Required::True))
                .build(),
        ));
    }
    if op.staff {
        operation = operation
            .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
            .response("401", error())
            .response("403", error())
            .response("409", error());
    }
    operation.build()
}
