//! One table per function that builds both its axum router and its OpenAPI paths, so a route and its
//! documentation are declared together and cannot drift: [`Api::route`] takes an [`Op`] (method, path
//! and what it takes and answers) with the handler that serves it.
//!
//! Lambda init pays for whatever `router()` does, so an [`Op`] holds only *how* to describe its
//! schemas (plain `fn` pointers); the schemas are generated when [`Api::openapi`] is called (by
//! `ops openapi` and the welcome function), never when a function starts.

pub mod schema;

use std::collections::BTreeMap;

use axum::{
    Router,
    handler::Handler,
    routing::{MethodFilter, MethodRouter, on},
};
use utoipa::{
    IntoParams, PartialSchema, ToSchema,
    openapi::{
        Components, Content, HttpMethod, ObjectBuilder, OpenApi, OpenApiBuilder, Paths, RefOr,
        Required, ResponseBuilder, Schema, Type,
        header::HeaderBuilder,
        path::{Operation, OperationBuilder, Parameter, ParameterBuilder, ParameterIn},
        request_body::RequestBodyBuilder,
        security::SecurityRequirement,
    },
};

use crate::pagination::{Page, PageMeta};

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

/// The answer every error is: `{error, code, fields?}`, referring to the `ErrorBody` component.
pub fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            Content::new(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                ErrorBody::name(),
            )))),
        )
        .build()
}

/// The `ErrorBody` component that [`error_response`] refers to.
pub fn error_schema() -> (String, RefOr<Schema>) {
    (ErrorBody::name().into_owned(), ErrorBody::schema())
}

/// A path parameter: ids are exactly what `Id` parses (24 lowercase hex digits), anything else a string.
pub fn path_parameter(name: &str) -> Parameter {
    let is_id = name == "id" || name.ends_with("Id");
    let schema = if is_id {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9a-f]{24}$"))
            .build()
    } else {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .min_length(Some(1))
            .build()
    };
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(is_id.then_some("24 lowercase hexadecimal characters"))
        .schema(Some(schema))
        .build()
}

/// Named schemas collected while describing operations.
pub type Schemas = Vec<(String, RefOr<Schema>)>;

/// Describes a body or an answer: adds its named schemas and returns the schema to use. Boxed, so a
/// route can describe what depends on its parameters (a catalogue kind's fields); nothing runs until
/// the document is generated.
type Describe = Box<dyn Fn(&mut Schemas) -> RefOr<Schema> + Send + Sync>;

/// `T`'s schema, with `T` and every schema it refers to added as named components.
fn describe<T: ToSchema>(schemas: &mut Schemas) -> RefOr<Schema> {
    schemas.push((T::name().into_owned(), T::schema()));
    T::schemas(schemas);
    T::schema()
}

/// A Belta page of `V`s.
fn describe_page<V: ToSchema>(schemas: &mut Schemas) -> RefOr<Schema> {
    describe::<V>(schemas);
    describe::<PageMeta>(schemas);
    Page::<V>::schema()
}

fn describe_nothing(_: &mut Schemas) -> RefOr<Schema> {
    RefOr::T(Schema::default())
}

/// One documented operation: method, path, and what it takes and answers.
pub struct Op {
    method: HttpMethod,
    path: String,
    summary: String,
    staff: bool,
    /// Needs a bearer token (every staff route, and the clients' own routes).
    signed_in: bool,
    query: Option<fn() -> Vec<Parameter>>,
    /// Query parameters left out of the documentation on a public route.
    staff_only: &'static [&'static str],
    /// Query parameters this route ignores (a filter its kind does not have).
    ignored: &'static [&'static str],
    body: Option<Describe>,
    status: &'static str,
    response: Describe,
    /// A public read with a validator: `ETag` and `Cache-Control` on its answer, `If-None-Match`
    /// answered 304.
    revalidated: bool,
}

impl Op {
    fn new(method: HttpMethod, path: impl Into<String>, summary: impl Into<String>) -> Self {
        Op {
            method,
            path: path.into(),
            summary: summary.into(),
            staff: false,
            signed_in: false,
            query: None,
            staff_only: &[],
            ignored: &[],
            body: None,
            status: "200",
            response: Box::new(describe_nothing),
            revalidated: false,
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
        self.signed_in = true;
        self
    }

    /// Needs a token of a signed-in user (401 without, 403 for a role the route does not serve).
    pub fn signed_in(mut self) -> Self {
        self.signed_in = true;
        self
    }

    /// Answers 303 See Other (a browser sent on to another page), with no body.
    pub fn redirects(mut self) -> Self {
        self.status = "303";
        self
    }

    /// Takes the query parameters of `Q`, except those named in `staff_only` on a public route.
    pub fn query<Q: IntoParams>(mut self, staff_only: &'static [&'static str]) -> Self {
        self.query = Some(|| Q::into_params(|| Some(ParameterIn::Query)));
        self.staff_only = staff_only;
        self
    }

    /// Leaves out of the documentation query parameters that this route ignores.
    pub fn ignores(mut self, parameters: &'static [&'static str]) -> Self {
        self.ignored = parameters;
        self
    }

    /// Takes a JSON body of type `B`.
    pub fn body<B: ToSchema + 'static>(mut self) -> Self {
        self.body = Some(Box::new(describe::<B>));
        self
    }

    /// Takes a JSON body that `schema` describes (JSON Schema, see [`schema`]): for a body whose
    /// required fields and limits depend on the route.
    pub fn body_schema(
        mut self,
        schema: impl Fn() -> serde_json::Value + Send + Sync + 'static,
    ) -> Self {
        self.body = Some(Box::new(move |_| schema::to_schema(schema())));
        self
    }

    /// Carries an `ETag` (and a `Cache-Control` a CDN may follow) and answers a matching
    /// `If-None-Match` with 304 and no body (the catalogue's public reads, `catalog::caching`).
    pub fn revalidated(mut self) -> Self {
        self.revalidated = true;
        self
    }

    /// Answers 201 instead of 200.
    pub fn created(mut self) -> Self {
        self.status = "201";
        self
    }

    /// Answers a JSON body of type `V`.
    pub fn answers<V: ToSchema + 'static>(mut self) -> Self {
        self.response = Box::new(describe::<V>);
        self
    }

    /// Answers a page of `V`s.
    pub fn answers_page<V: ToSchema + 'static>(mut self) -> Self {
        self.response = Box::new(describe_page::<V>);
        self
    }

    /// The OpenAPI operation, adding the schemas it names to `schemas`.
    fn describe(&self, tag: &str, schemas: &mut Schemas) -> Operation {
        let json = |schema: RefOr<Schema>| Content::new(Some(schema));
        let error = || error_response("`{error, code, fields?}` in the request's language");
        let public = !self.staff;
        let mut parameters: Vec<Parameter> = self
            .query
            .map(|params| params())
            .unwrap_or_default()
            .into_iter()
            .filter(|p| !(public && self.staff_only.contains(&p.name.as_str())))
            .filter(|p| !self.ignored.contains(&p.name.as_str()))
            .collect();
        parameters
            .iter_mut()
            .for_each(crate::pagination::describe_paging);
        for segment in self.path.split('/') {
            if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                parameters.push(path_parameter(name));
            }
        }
        let mut answer = match self.status {
            // A redirect has no body.
            "303" => ResponseBuilder::new().description("The browser is sent on to another page"),
            _ => ResponseBuilder::new()
                .description("JSON in Belta's shape")
                .content("application/json", json((self.response)(schemas))),
        };
        let text_header = |description: &str| {
            HeaderBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .description(Some(description))
                .build()
        };
        if self.revalidated {
            parameters.push(
                ParameterBuilder::new()
                    .name("If-None-Match")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::False)
                    .description(Some(
                        "The `ETag` of the response the client holds: 304 if it is still current",
                    ))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                    .build(),
            );
            answer = answer
                .header("ETag", text_header("Changes with the catalogue, the offers started or ended, the query, the language and the build"))
                .header("Cache-Control", text_header("`public, max-age=1`: a CDN may keep it a second"));
        }
        let mut operation = OperationBuilder::new()
            .tag(tag)
            .summary(Some(self.summary.clone()))
            .response(self.status, answer.build())
            .response("400", error())
            .response("404", error())
            .parameters(Some(parameters));
        if self.revalidated {
            operation = operation.response(
                "304",
                ResponseBuilder::new()
                    .description(
                        "Not Modified: the client's copy (its `If-None-Match`) is current; no body",
                    )
                    .header("ETag", text_header("The same validator"))
                    .build(),
            );
        }
        if let Some(body) = &self.body {
            let body = body(schemas);
            // `JsonBody` reads an empty body as `{}`: a body that requires no field may be left out.
            let required = if requires_a_field(&serde_json::to_value(&body).unwrap_or_default()) {
                Required::True
            } else {
                Required::False
            };
            operation = operation.request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", json(body))
                    .required(Some(required))
                    .build(),
            ));
        }
        if self.signed_in {
            operation = operation
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
                .response("401", error())
                .response("403", error())
                .response("409", error());
        }
        operation.build()
    }
}

/// Whether `{}` fails the body schema `schema` for a missing field (a named schema, `$ref`, counts
/// as requiring one: the named bodies are creates).
fn requires_a_field(schema: &serde_json::Value) -> bool {
    let branches = |key: &str, every: bool| {
        schema[key].as_array().is_some_and(|branches| {
            let mut requiring = branches.iter().map(requires_a_field);
            if every {
                !branches.is_empty() && requiring.all(|r| r)
            } else {
                requiring.any(|r| r)
            }
        })
    };
    schema.get("$ref").is_some()
        || schema["required"].as_array().is_some_and(|r| !r.is_empty())
        || branches("allOf", false)
        || branches("anyOf", true)
        || branches("oneOf", true)
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

/// A function's routes and their documentation, declared together over the function's state `S`.
pub struct Api<S> {
    /// The OpenAPI tag of its operations: the function's name.
    tag: &'static str,
    routes: BTreeMap<String, MethodRouter<S>>,
    ops: Vec<Op>,
}

impl<S: Clone + Send + Sync + 'static> Api<S> {
    pub fn new(tag: &'static str) -> Self {
        Api {
            tag,
            routes: BTreeMap::new(),
            ops: Vec::new(),
        }
    }

    /// Serves `op` with `handler` and documents it.
    pub fn route<H, T>(mut self, op: Op, handler: H) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        let method = method_filter(&op.method);
        let routes = self.routes.remove(&op.path).unwrap_or_default();
        self.routes
            .insert(op.path.clone(), routes.merge(on(method, handler)));
        self.ops.push(op);
        self
    }

    pub fn merge(mut self, other: Api<S>) -> Self {
        for (path, routes) in other.routes {
            let mine = self.routes.remove(&path).unwrap_or_default();
            self.routes.insert(path, mine.merge(routes));
        }
        self.ops.extend(other.ops);
        self
    }

    pub fn router(&self) -> Router<S> {
        self.routes
            .iter()
            .fold(Router::new(), |router, (path, routes)| {
                router.route(path, routes.clone())
            })
    }

    /// The OpenAPI description of every route, generated now.
    pub fn openapi(&self) -> OpenApi {
        let mut schemas = Schemas::new();
        let mut paths = Paths::new();
        for op in &self.ops {
            let operation = op.describe(self.tag, &mut schemas);
            paths.add_path_operation(op.path.clone(), vec![op.method.clone()], operation);
        }
        let mut components = Components::new();
        components.schemas.extend(schemas);
        components.schemas.extend([error_schema()]);
        OpenApiBuilder::new()
            .paths(paths)
            .components(Some(components))
            .build()
    }
}
