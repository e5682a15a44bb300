//! The floor `make bench` measures our functions against: `GET /products/{id}` the way the leanest
//! Rust Lambda answers it (aws-samples/serverless-rust-demo's get-product): the SDK's default config,
//! JSON logs with one line per request, `lambda_http::run` over a closure, one GetItem of the item our
//! catalogue stores, a small JSON body. Built from the workspace's pinned dependencies; never deployed
//! (not in template.yaml, excluded from `make build`).

use aws_sdk_dynamodb::{Client, types::AttributeValue};
use lambda_http::{Body, Error, Request, RequestExt, Response, http::StatusCode, service_fn};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing_subscriber::fmt().json().init();
    let table = std::env::var("TABLE_NAME")?;
    let db = Client::new(&aws_config::load_from_env().await);
    lambda_http::run(service_fn(|request: Request| {
        get_product(&db, &table, request)
    }))
    .await
}

async fn get_product(db: &Client, table: &str, request: Request) -> Result<Response<Body>, Error> {
    let Some(id) = request.path_parameters().first("id").map(str::to_owned) else {
        return respond(StatusCode::BAD_REQUEST, json!({ "error": "no id" }));
    };
    tracing::info!(id, "get product");
    let item = db
        .get_item()
        .table_name(table)
        // The key `catalog::store::record_key` gives a product.
        .key("PK", AttributeValue::S("CATALOG#PRODUCT".into()))
        .key("SK", AttributeValue::S(id.clone()))
        .send()
        .await?
        .item;
    let Some(item) = item else {
        return respond(StatusCode::NOT_FOUND, json!({ "error": "not found" }));
    };
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
    let number = |name: &str| item.get(name).and_then(|v| v.as_n().ok()).cloned();
    respond(
        StatusCode::OK,
        json!({ "_id": id, "nameEn": text("nameEn"), "price": number("price") }),
    )
}

fn respond(status: StatusCode, body: serde_json::Value) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))?)
}
