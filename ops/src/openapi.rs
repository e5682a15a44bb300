//! One OpenAPI 3.1 document for the whole API, merged from the `ApiDoc` of every function crate.
//! `ops openapi --write openapi.json` regenerates the committed file that `welcome` serves.

use utoipa::{
    OpenApi,
    openapi::{
        Components, InfoBuilder, OpenApiBuilder, RefOr, header::HeaderBuilder, path::ParameterIn,
        schema::Type,
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
    doc
}

/// What holds for every operation because of the platform, whichever function serves it: path ids are
/// `Id`s, each 4xx is `{error, code, fields?}`, and any request may get a 503 with `Retry-After`
/// while DynamoDB throttles (`shared::db`).
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
        }
    }
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
}
