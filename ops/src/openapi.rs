//! One OpenAPI 3.1 document for the whole API, merged from the `ApiDoc` of every function crate.
//! `ops openapi --write openapi.json` regenerates the committed file that `welcome` serves.

use utoipa::{
    OpenApi,
    openapi::{InfoBuilder, OpenApiBuilder},
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
    doc
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
