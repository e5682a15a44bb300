//! The OpenAPI document tells the truth: it is the committed file, it documents exactly the routes each
//! function serves, and the bodies the API answers match the schemas it documents.

use std::collections::BTreeSet;

use api_tests::{Deployment, function_router, watch_routes};
use axum::body::Body;
use catalog::kind::Kind::{Brand, Label, Subcategory, Tag};
use http::Request;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::catalog::Shop;

/// The committed openapi.json is what the code generates; regenerate with `make openapi`.
#[test]
fn the_committed_openapi_file_is_up_to_date() {
    let committed = include_str!("../../../openapi.json");
    let generated = ops::openapi::render();
    assert!(
        committed == generated,
        "openapi.json is stale: run `make openapi` and commit the result"
    );
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// The error `code` `function`'s router answers `method path` with, offline (no AWS behind it).
pub async fn offline_error_code(function: &str, method: &str, path: &str) -> Option<String> {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .body(Body::empty())
        .unwrap();
    let response = function_router(function, &Deployment::offline())
        .oneshot(request)
        .await
        .unwrap();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|b| b["code"].as_str().map(str::to_owned))
}

/// (path, method) of every route `function`'s router serves, among the paths the watch router sends
/// it: whatever it answers other than the JSON 404 and 405 of a route it does not have.
async fn served_routes(function: &str) -> BTreeSet<(String, String)> {
    let mut served = BTreeSet::new();
    let paths = watch_routes()
        .into_iter()
        .filter(|(path, targets)| !path.contains("{*") && targets.values().any(|f| f == function));
    for (path, _) in paths {
        let concrete = path.replace("{id}", "682b7173f5c8c863ab931a45");
        for method in METHODS {
            let code = offline_error_code(function, method, &concrete).await;
            if !matches!(
                code.as_deref(),
                Some("route_not_found" | "method_not_allowed")
            ) {
                served.insert((path.clone(), method.to_owned()));
            }
        }
    }
    served
}

/// (path, method) of every operation in `doc`.
fn documented_routes(doc: impl serde::Serialize) -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(doc).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if item.get(method.to_lowercase()).is_some() {
                documented.insert((path.clone(), method.to_owned()));
            }
        }
    }
    documented
}

#[tokio::test]
async fn every_route_a_function_serves_is_documented_and_every_documented_route_is_served() {
    for (function, doc) in ops::openapi::function_docs() {
        assert_eq!(
            served_routes(function).await,
            documented_routes(&doc),
            "{function}: served (left) and documented (right) routes differ"
        );
    }
}

/// Whether `value` matches `schema` (the subset of JSON Schema utoipa writes), resolving `$ref`s in
/// `doc`'s components. Returns the first mismatch.
fn check(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.trim_start_matches("#/components/schemas/");
        let target = &doc["components"]["schemas"][name];
        assert!(!target.is_null(), "{reference} is not in the components");
        return check(doc, target, value, at);
    }
    if let Some(all) = schema["allOf"].as_array() {
        for part in all {
            check(doc, part, value, at)?;
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(options) = schema[key].as_array()
            && !options.iter().any(|o| check(doc, o, value, at).is_ok())
        {
            return Err(format!("{at}: {value} matches none of its {key}"));
        }
    }
    if let Some(allowed) = schema["enum"].as_array()
        && !allowed.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {allowed:?}"));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let type_matches = |t: &str| match t {
        "null" => value.is_null(),
        "boolean" => value.is_boolean(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "string" => value.is_string(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        _ => false,
    };
    if !types.is_empty() && !types.iter().any(|t| type_matches(t)) {
        return Err(format!("{at}: {value} is not of type {types:?}"));
    }
    if let Some(object) = value.as_object() {
        for required in schema["required"].as_array().into_iter().flatten() {
            let field = required.as_str().unwrap();
            if !object.contains_key(field) {
                return Err(format!("{at}: `{field}` is missing"));
            }
        }
        let properties = schema["properties"].as_object();
        for (field, item) in object {
            match properties.and_then(|p| p.get(field)) {
                Some(property) => check(doc, property, item, &format!("{at}.{field}"))?,
                None if schema["additionalProperties"] == json!(false) => {
                    return Err(format!("{at}: `{field}` is not documented"));
                }
                None => {
                    if let Some(extra) = schema["additionalProperties"].as_object() {
                        check(
                            doc,
                            &Value::Object(extra.clone()),
                            item,
                            &format!("{at}.{field}"),
                        )?;
                    }
                }
            }
        }
    }
    if let (Some(items), Some(array)) = (schema.get("items"), value.as_array()) {
        for (i, item) in array.iter().enumerate() {
            check(doc, items, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Checks `body` against what the document says `method path` answers with `status`.
fn assert_documented(doc: &Value, method: &str, path: &str, status: StatusCode, body: &Value) {
    let schema = &doc["paths"][path][method.to_lowercase()]["responses"][status.as_str()]["content"]
        ["application/json"]["schema"];
    assert!(!schema.is_null(), "{method} {path} documents no {status}");
    if let Err(mismatch) = check(doc, schema, body, "body") {
        panic!("{method} {path} {status} does not match its schema: {mismatch}\n{body:#}");
    }
}

fn document() -> Value {
    serde_json::to_value(ops::openapi::document()).unwrap()
}

#[test]
fn the_schema_check_rejects_a_body_of_another_shape() {
    let doc = document();
    let schema = &doc["paths"]["/products"]["get"]["responses"]["200"]["content"]["application/json"]
        ["schema"];

    for wrong in [
        json!({"data": 3, "metadata": {"total": 0, "page": 1, "limit": 10}}),
        json!({"data": [{"_id": "682b7173f5c8c863ab931a45"}], "metadata": {"total": 1, "page": 1, "limit": 10}}),
        json!({"data": []}),
    ] {
        assert!(check(&doc, schema, &wrong, "body").is_err(), "{wrong}");
    }
}

#[tokio::test]
async fn what_the_catalogue_answers_matches_its_documented_schemas() {
    let shop = Shop::open().await;
    let doc = document();
    let brand = shop.brand("علامة", "Brand").await;
    let category = shop.category("فئة", "Category").await;
    let subcategory = shop.subcategory("فرعية", "Sub").await;
    let label = shop.label("ملصق", "Label", "#FF0000").await;
    let tag = shop.tag("وسم", "Tag").await;
    let product = shop.product("قهوة", "Coffee", 100.0).await;
    let admin = shop.as_admin();
    for (kind, parent) in [
        (Brand, &brand),
        (Subcategory, &subcategory),
        (Label, &label),
        (Tag, &tag),
    ] {
        admin.link(kind, &product, parent).await.ok();
    }
    admin.link_category(&subcategory, &category).await.ok();

    let (status, offer) = shop
        .admin(
            Method::POST,
            "/offers",
            Some(
                json!({"productId": product, "type": "percent", "value": 0.1,
                "offerQuantity": 5, "maxPerClient": 1}),
            ),
        )
        .await;
    assert_documented(&doc, "POST", "/offers", status, &offer);

    let token = Some(shop.admin.as_str());
    let unknown = "682b7173f5c8c863ab931a45";
    let (product, brand, category) = (product.as_str(), brand.as_str(), category.as_str());
    let (subcategory, label, tag) = (subcategory.as_str(), label.as_str(), tag.as_str());
    let calls = [
        (Method::GET, "/products", "", None),
        (Method::GET, "/products/{id}", product, None),
        (Method::GET, "/brands/{id}", brand, None),
        (Method::GET, "/brands/{id}", unknown, None),
        (Method::GET, "/subcategories/{id}", subcategory, None),
        (Method::GET, "/subcategories", "", None),
        (Method::GET, "/brands/staff/{id}", brand, token),
        (Method::GET, "/brands/staff", "", token),
        (Method::POST, "/brands/staff", "", token),
        (Method::GET, "/categories/staff/{id}", category, token),
        (Method::GET, "/products/staff/{id}", product, token),
        (Method::GET, "/products/staff", "", token),
        (Method::GET, "/offers", "", token),
        (Method::DELETE, "/tags/staff/{id}", tag, token),
        (Method::DELETE, "/labels/staff/{id}", label, token),
    ];
    for (method, template, id, token) in calls {
        let path = template.replace("{id}", id);
        let body = (method == Method::POST).then(|| json!({}));
        let (status, answer) = shop
            .call(method.clone(), &path, token, body, Some("en"))
            .await;
        assert_documented(&doc, method.as_str(), template, status, &answer);
    }
}

#[test]
fn every_path_parameter_and_list_page_is_described_exactly() {
    let doc = document();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                let schema = &parameter["schema"];
                assert!(
                    schema.is_object(),
                    "{method} {path}: `{name}` has no schema"
                );
                if parameter["in"] == "path" && (name == "id" || name.ends_with("Id")) {
                    assert_eq!(schema["pattern"], "^[0-9a-f]{24}$", "{method} {path}");
                }
                if parameter["in"] == "query" && ["page", "limit"].contains(&name) {
                    assert_eq!(schema["minimum"], 1, "{method} {path}: `{name}`");
                }
            }
            let answers = operation["responses"].as_object().unwrap();
            assert!(
                answers.contains_key("503"),
                "{method} {path}: throttling is undocumented"
            );
            // The seed refresh routes refuse a token in their seeds' own shapes (refresh.rs).
            let seed_refusal = match path.as_str() {
                "/api/refresh-token/" => {
                    Some((&["400", "401", "415"][..], "application/json", "DrfError"))
                }
                "/api/v1/token-refresh" => {
                    Some((&["400", "401"][..], "application/json", "HesabeError"))
                }
                "/v1/auth/refresh-token" => {
                    Some((&["401"][..], "application/problem+json", "BlazexProblem"))
                }
                _ => None,
            };
            for (status, answer) in answers {
                if status.starts_with('4') || status.starts_with('5') {
                    let (media, schema) = seed_refusal
                        .filter(|(statuses, ..)| statuses.contains(&status.as_str()))
                        .map_or(("application/json", "ErrorBody"), |(_, media, schema)| {
                            (media, schema)
                        });
                    assert_eq!(
                        answer["content"][media]["schema"]["$ref"],
                        format!("#/components/schemas/{schema}"),
                        "{method} {path} {status}"
                    );
                }
            }
        }
    }
}

/// The value at the top of what `schema` allows (longest text, largest number, most items), built
/// for the kinds of field the catalogue's bodies have; `over` goes one step past it.
fn at_the_limit(schema: &Value, over: bool) -> Value {
    let step = usize::from(over);
    if let Some(values) = schema["enum"].as_array() {
        return values[0].clone();
    }
    match schema["type"].as_str() {
        Some("string") => {
            let pattern = schema["pattern"].as_str().unwrap_or_default();
            let max = schema["maxLength"].as_u64().unwrap() as usize + step;
            if pattern.starts_with("^https?") {
                format!("https://{}", "a".repeat(max - "https://".len())).into()
            } else if pattern.contains('#') {
                // A colour: the longest notation within its bound.
                format!("rgb({})", "1".repeat(max - "rgb()".len())).into()
            } else {
                "ش".repeat(max).into()
            }
        }
        Some("integer") => json!(schema["maximum"].as_u64().unwrap() + step as u64),
        Some("number") => {
            let max = schema["maximum"].as_f64().unwrap();
            json!(if over { max + 0.01 } else { max })
        }
        Some("array") => {
            let max = schema["maxItems"].as_u64().unwrap() as usize + step;
            json!(vec![at_the_limit(&schema["items"], false); max])
        }
        Some("boolean") => json!(false),
        other => panic!("no limit value for a {other:?}: {schema}"),
    }
}

/// What the document says a create takes is what the API takes: every required field at the top of
/// its documented range is accepted, and one step past it is refused naming that field. The bodies
/// are built from the document, so a limit that drifts from the code fails here.
#[tokio::test]
async fn the_documented_limits_of_a_create_are_the_api_s() {
    let shop = Shop::open().await;
    let doc = document();
    for path in [
        "/brands/staff",
        "/categories/staff",
        "/subcategories/staff",
        "/labels/staff",
        "/tags/staff",
        "/products/staff",
    ] {
        let schema =
            &doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"];
        let properties = schema["properties"].as_object().unwrap();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        let body: serde_json::Map<String, Value> = required
            .iter()
            .map(|field| (field.to_string(), at_the_limit(&properties[*field], false)))
            .collect();
        let (status, created) = shop
            .admin(Method::POST, path, Some(Value::Object(body.clone())))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {created}");

        for field in &required {
            let limit = &properties[*field];
            if limit.get("enum").is_some() || limit["type"] == "boolean" {
                continue;
            }
            let mut over = body.clone();
            over.insert(field.to_string(), at_the_limit(limit, true));
            let (status, refused) = shop
                .admin(Method::POST, path, Some(Value::Object(over)))
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {field}: {refused}");
            assert!(
                refused["fields"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .any(|k| k.starts_with(field)),
                "{path}: {refused} names `{field}`"
            );
        }
    }
}
