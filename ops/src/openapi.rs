//! One OpenAPI 3.1 document for the whole API, merged from the `ApiDoc` of every function crate.
//! `ops openapi --write openapi.json` regenerates the committed file that `welcome` serves.

use utoipa::{
    OpenApi,
    openapi::{
        Components, InfoBuilder, OpenApiBuilder, RefOr,
        header::HeaderBuilder,
        path::ParameterIn,
        schema::{AnyOf, Schema, Type},
    },
};

/// The document, built from the code.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Belta Shop API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Drop-in replacement for the Belta Shop API on AWS Lambda. Errors are \
                     `{error, code, fields?}` in Arabic (default) or English per `Accept-Language`.",
                ))
                .build(),
        )
        .build();
    for (_, part) in function_docs() {
        doc.merge(part);
    }
    platform_answers(&mut doc);
    overlapping_shapes(&mut doc);
    stateful_links(&mut doc);
    doc
}

/// What holds for every operation because of the platform, whichever function serves it: path ids are
/// `Id`s, each 4xx is `{error, code, fields?}`, any request may get a 503 with `Retry-After`
/// while DynamoDB throttles (`shared::db`), and any body a 413 or a 415 (`shared::extract`).
fn platform_answers(doc: &mut utoipa::openapi::OpenApi) {
    let (name, schema) = shared::api::error_schema();
    doc.components
        .get_or_insert_with(Components::new)
        .schemas
        .insert(name, schema);
    let busy = {
        let mut busy = shared::api::error_response(
            "Busy for a moment (the database is throttling): retry after `Retry-After` seconds",
        );
        busy.headers.insert(
            "Retry-After".into(),
            RefOr::T(
                HeaderBuilder::new()
                    .schema(Some(
                        utoipa::openapi::ObjectBuilder::new().schema_type(Type::Integer),
                    ))
                    .description(Some("Seconds to wait before retrying"))
                    .build(),
            ),
        );
        busy
    };
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            for parameter in operation.parameters.iter_mut().flatten() {
                if let RefOr::T(parameter) = parameter
                    && parameter.parameter_in == ParameterIn::Path
                {
                    parameter.schema = shared::api::path_parameter(&parameter.name).schema;
                }
            }
            for (status, response) in operation.responses.responses.iter_mut() {
                let RefOr::T(answer) = response else { continue };
                if status.starts_with('4') && answer.content.is_empty() {
                    *answer = shared::api::error_response(&answer.description);
                }
                // OpenAPI requires a description on every response.
                if answer.description.is_empty() {
                    answer.description = match status.chars().next() {
                        Some('2') => "Success",
                        Some('3') => "The browser is sent on to another page",
                        _ => "`{error, code, fields?}` in the request's language",
                    }
                    .into();
                }
            }
            operation
                .responses
                .responses
                .insert("503".into(), RefOr::T(busy.clone()));
            // Every body goes through the platform's extractors, which refuse one over
            // `MAX_BODY_BYTES` and one of a type the route does not read, whatever the route.
            if operation.request_body.is_some() {
                for (status, description) in [
                    (
                        "413",
                        "The body is larger than the API accepts (`MAX_BODY_BYTES`)",
                    ),
                    ("415", "The body is not of the type this operation reads"),
                ] {
                    operation
                        .responses
                        .responses
                        .entry(status.into())
                        .or_insert_with(|| RefOr::T(shared::api::error_response(description)));
                }
            }
        }
    }
}

/// Untagged shapes whose readings are the same JSON for some values: `[]` is both no ids and no
/// records, and 0.15 or 200 is both a fraction and an amount in currency units. utoipa derives
/// `oneOf` for an untagged enum, which refuses a value more than one branch accepts; here the
/// ambiguity is harmless (the JSON is the same), so they are `anyOf`.
const OVERLAPPING: &[&str] = &["OfferValue", "RelatedProducts", "RelatedEntities"];

fn overlapping_shapes(doc: &mut utoipa::openapi::OpenApi) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for name in OVERLAPPING {
        let Some(RefOr::T(Schema::OneOf(one_of))) = components.schemas.get_mut(*name) else {
            panic!("{name} is no longer a oneOf: review OVERLAPPING");
        };
        let mut any_of = AnyOf::new();
        any_of.items = std::mem::take(&mut one_of.items);
        any_of.description = one_of.description.take();
        components
            .schemas
            .insert((*name).into(), RefOr::T(Schema::AnyOf(any_of)));
    }
}

/// What a POST creates, and where the created record is then read, changed and deleted (`{id}`
/// paths, staff and public).
const RESOURCES: &[(&str, &[&str])] = &[
    ("/brands/staff", &["/brands/staff/{id}", "/brands/{id}"]),
    (
        "/categories/staff",
        &["/categories/staff/{id}", "/categories/{id}"],
    ),
    (
        "/subcategories/staff",
        &["/subcategories/staff/{id}", "/subcategories/{id}"],
    ),
    ("/labels/staff", &["/labels/staff/{id}", "/labels/{id}"]),
    ("/tags/staff", &["/tags/staff/{id}", "/tags/{id}"]),
    (
        "/products/staff",
        &["/products/staff/{id}", "/products/{id}"],
    ),
    ("/offers", &["/offers/{id}"]),
];

/// Lists (`{data: [...], metadata}`) and the path where one of their items is read.
const LISTS: &[(&str, &str)] = &[
    ("/brands", "/brands/{id}"),
    ("/brands/staff", "/brands/staff/{id}"),
    ("/categories", "/categories/{id}"),
    ("/categories/staff", "/categories/staff/{id}"),
    ("/subcategories", "/subcategories/{id}"),
    ("/subcategories/staff", "/subcategories/staff/{id}"),
    ("/labels", "/labels/{id}"),
    ("/labels/staff", "/labels/staff/{id}"),
    ("/tags", "/tags/{id}"),
    ("/tags/staff", "/tags/staff/{id}"),
    ("/products", "/products/{id}"),
    ("/products/staff", "/products/staff/{id}"),
    ("/offers", "/offers/{id}"),
    ("/orders", "/orders/{id}"),
    ("/orders/staff", "/orders/staff/{id}"),
    ("/users/staff", "/users/staff/{id}"),
];

/// OpenAPI links, so a stateful fuzzer runs sequences and not only single calls: the 201 of each
/// create in [`RESOURCES`] links to every operation on the new record's `{id}` paths (its `_id`),
/// the 200 of each PATCH there links on to reading and deleting the same record, and each list in
/// [`LISTS`] links to reading its first item.
fn stateful_links(doc: &mut utoipa::openapi::OpenApi) {
    for (list, item) in LISTS {
        let Some(RefOr::T(listed)) = doc
            .paths
            .paths
            .get_mut(*list)
            .and_then(|path_item| path_item.get.as_mut())
            .and_then(|get| get.responses.responses.get_mut("200"))
        else {
            panic!("GET {list} documents its 200 inline")
        };
        listed.links.insert(
            link_name(item, "get"),
            RefOr::T(link(item, "get", "$response.body#/data/0/_id")),
        );
    }
    let exists = |doc: &utoipa::openapi::OpenApi, path: &str, method: &str| {
        doc.paths.paths.get(path).is_some_and(|item| match method {
            "get" => item.get.is_some(),
            "patch" => item.patch.is_some(),
            "delete" => item.delete.is_some(),
            _ => false,
        })
    };
    for (create, items) in RESOURCES {
        let targets: Vec<(&str, &str)> = items
            .iter()
            .flat_map(|path| ["get", "patch", "delete"].map(|method| (*path, method)))
            .filter(|(path, method)| exists(doc, path, method))
            .collect();
        let Some(RefOr::T(created)) = doc
            .paths
            .paths
            .get_mut(*create)
            .and_then(|item| item.post.as_mut())
            .and_then(|post| post.responses.responses.get_mut("201"))
        else {
            panic!("POST {create} documents its 201 inline")
        };
        for (path, method) in targets {
            created.links.insert(
                link_name(path, method),
                RefOr::T(link(path, method, "$response.body#/_id")),
            );
        }
        for item in *items {
            let follow_ups: Vec<&str> = ["get", "delete"]
                .into_iter()
                .filter(|method| exists(doc, item, method))
                .collect();
            let Some(RefOr::T(changed)) = doc
                .paths
                .paths
                .get_mut(*item)
                .and_then(|path_item| path_item.patch.as_mut())
                .and_then(|patch| patch.responses.responses.get_mut("200"))
            else {
                continue;
            };
            for method in follow_ups {
                changed.links.insert(
                    link_name(item, method),
                    RefOr::T(link(item, method, "$request.path.id")),
                );
            }
        }
    }
}

/// A link to `method path` whose `id` is `id` (a runtime expression).
fn link(path: &str, method: &str, id: &str) -> utoipa::openapi::link::Link {
    // A JSON Pointer (`/` escaped as `~1`) in a URI fragment (braces percent-encoded).
    let pointer = path
        .replace('~', "~0")
        .replace('/', "~1")
        .replace('{', "%7B")
        .replace('}', "%7D");
    utoipa::openapi::link::LinkBuilder::new()
        .operation_ref(format!("#/paths/{pointer}/{method}"))
        .parameter("id", id)
        .build()
}

/// `getBrandsStaffId` for `GET /brands/staff/{id}`.
fn link_name(path: &str, method: &str) -> String {
    let mut name = method.to_owned();
    for word in path.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.extend(chars);
        }
    }
    name
}

/// Each function's own description, by binary name. Add a function here when its crate is added.
pub fn function_docs() -> Vec<(&'static str, utoipa::openapi::OpenApi)> {
    vec![
        ("welcome", welcome::ApiDoc::openapi()),
        ("auth", auth::ApiDoc::openapi()),
        ("upload", upload::ApiDoc::openapi()),
        ("products", products::api_doc()),
        ("brands", brands::api_doc()),
        ("categories", categories::api_doc()),
        ("subcategories", subcategories::api_doc()),
        ("labels", labels::api_doc()),
        ("tags", tags::api_doc()),
        ("offers", offers::api_doc()),
        ("carts", carts::api_doc()),
        ("checkout", checkout::api_doc()),
        ("orders", orders_function::api_doc()),
        ("users", users::api_doc()),
    ]
}

/// The document as committed: pretty JSON with a final newline.
pub fn render() -> String {
    let mut json = document()
        .to_pretty_json()
        .expect("the OpenAPI document serializes");
    json.push('\n');
    json
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// Every operation of the document, as `(method path, operation)`.
    fn operations(doc: &Value) -> Vec<(String, &Value)> {
        let mut found = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                found.push((format!("{} {path}", method.to_uppercase()), operation));
            }
        }
        found
    }

    /// `schema` with its `$ref`s followed to the components.
    fn resolve<'d>(doc: &'d Value, mut schema: &'d Value) -> &'d Value {
        while let Some(reference) = schema["$ref"].as_str() {
            let name = reference.trim_start_matches("#/components/schemas/");
            schema = &doc["components"]["schemas"][name];
        }
        schema
    }

    /// A schema that says nothing about the value it describes (`{}` or a bare `object`).
    fn is_bare(schema: &Value) -> bool {
        let structured = [
            "properties",
            "allOf",
            "oneOf",
            "anyOf",
            "items",
            "additionalProperties",
            "enum",
        ]
        .iter()
        .any(|keyword| schema.get(keyword).is_some());
        let scalar = matches!(
            schema["type"].as_str(),
            Some("string" | "integer" | "number" | "boolean" | "array")
        );
        !structured && !scalar
    }

    fn required_fields<'d>(doc: &'d Value, schema: &'d Value) -> Vec<&'d Value> {
        let schema = resolve(doc, schema);
        let own = schema["required"].as_array().into_iter().flatten();
        let parts = schema["allOf"].as_array().into_iter().flatten();
        own.chain(parts.flat_map(|part| {
            resolve(doc, part)["required"]
                .as_array()
                .into_iter()
                .flatten()
        }))
        .collect()
    }

    #[test]
    fn every_success_has_a_real_schema_and_every_body_its_fields() {
        let doc = serde_json::to_value(super::document()).unwrap();
        let mut problems = Vec::new();
        for (operation_name, operation) in operations(&doc) {
            for (status, answer) in operation["responses"].as_object().unwrap() {
                if !status.starts_with('2') {
                    continue;
                }
                match answer["content"].as_object() {
                    None => problems.push(format!("{operation_name} {status}: no content")),
                    Some(content) => {
                        for (media, body) in content {
                            if is_bare(resolve(&doc, &body["schema"])) {
                                problems.push(format!("{operation_name} {status} {media}: bare"));
                            }
                        }
                    }
                }
            }
            let Some(content) = operation["requestBody"]["content"].as_object() else {
                continue;
            };
            for (media, body) in content {
                if is_bare(resolve(&doc, &body["schema"])) {
                    problems.push(format!("{operation_name} body {media}: bare"));
                }
                if operation_name.starts_with("POST")
                    && required_fields(&doc, &body["schema"]).is_empty()
                {
                    problems.push(format!("{operation_name} body {media}: nothing required"));
                }
            }
        }
        assert!(problems.is_empty(), "{problems:#?}");
    }

    #[test]
    fn a_patch_requires_nothing_and_keeps_the_create_s_limits() {
        let doc = serde_json::to_value(super::document()).unwrap();
        let body = |method: &str, path: &str| {
            resolve(
                &doc,
                &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"],
            )
            .clone()
        };
        for (create, patch) in [
            ("/brands/staff", "/brands/staff/{id}"),
            ("/labels/staff", "/labels/staff/{id}"),
            ("/products/staff", "/products/staff/{id}"),
        ] {
            let (created, patched) = (body("post", create), body("patch", patch));
            assert!(patched.get("required").is_none(), "{patch}");
            assert_eq!(
                created["properties"]["nameEn"]["maxLength"],
                patched["properties"]["nameEn"]["maxLength"],
                "{patch}"
            );
        }
        let label = body("post", "/labels/staff");
        let brand = body("post", "/brands/staff");
        assert!(
            label["properties"].get("color").is_some()
                && label["properties"].get("cover").is_none()
        );
        assert!(
            brand["properties"].get("cover").is_some()
                && brand["properties"].get("color").is_none()
        );
    }

    /// Every link names an operation of the document and only path parameters it has, and every
    /// create links to reading, changing and deleting what it created.
    #[test]
    fn links_point_at_operations_that_exist() {
        let doc: Value = serde_json::from_str(&super::render()).unwrap();
        let mut links = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                for (status, response) in operation["responses"].as_object().unwrap() {
                    let Some(found) = response.get("links").and_then(Value::as_object) else {
                        continue;
                    };
                    for (name, link) in found {
                        let reference = link["operationRef"].as_str().unwrap();
                        let (target_path, target_method) = reference
                            .strip_prefix("#/paths/")
                            .and_then(|rest| rest.rsplit_once('/'))
                            .unwrap();
                        let target_path = target_path
                            .replace("%7B", "{")
                            .replace("%7D", "}")
                            .replace("~1", "/")
                            .replace("~0", "~");
                        let target = &doc["paths"][&target_path][target_method];
                        assert!(
                            target.is_object(),
                            "{method} {path} {status} links ({name}) to a missing {reference}"
                        );
                        for parameter in link["parameters"].as_object().unwrap().keys() {
                            assert!(
                                target["parameters"].as_array().unwrap().iter().any(|p| {
                                    p["in"] == "path" && p["name"] == parameter.as_str()
                                }),
                                "{reference} has no path parameter {parameter}"
                            );
                        }
                        links += 1;
                    }
                }
            }
        }
        for (create, items) in super::RESOURCES {
            let created = &doc["paths"][create]["post"]["responses"]["201"]["links"];
            let expected: usize = items
                .iter()
                .map(|item| {
                    ["get", "patch", "delete"]
                        .iter()
                        .filter(|method| doc["paths"][item][**method].is_object())
                        .count()
                })
                .sum();
            assert_eq!(
                created.as_object().map_or(0, |l| l.len()),
                expected,
                "{create}"
            );
        }
        assert!(links > 40, "only {links} links");
    }

    /// The platform's refusals of a body (too large, wrong type) are documented wherever there is
    /// a body.
    #[test]
    fn every_body_may_be_refused_as_too_large_or_of_the_wrong_type() {
        let doc: Value = serde_json::from_str(&super::render()).unwrap();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                if operation.get("requestBody").is_some() {
                    for status in ["413", "415"] {
                        assert!(
                            operation["responses"][status]["content"].is_object(),
                            "{method} {path} does not document {status}"
                        );
                    }
                }
            }
        }
    }
}
