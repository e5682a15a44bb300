//! template.yaml, the watch router in Cargo.toml and the axum routers describe the same API, and the
//! table the bootstrap creates is the one template.yaml declares.

use std::collections::{BTreeMap, BTreeSet};

use api_tests::{TEMPLATE_YAML, spawn_app, watch_routes};
use serde_yaml::Value;

/// (path in watch syntax, method) -> function binary, from template.yaml.
fn template_routes() -> BTreeMap<(String, String), String> {
    let template: Value = serde_yaml::from_str(TEMPLATE_YAML).expect("template.yaml parses");
    let mut routes = BTreeMap::new();
    for (name, resource) in template["Resources"].as_mapping().unwrap() {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{name:?} has no Metadata.BuildProperties.Binary"));
        let events = resource["Properties"]["Events"]
            .as_mapping()
            .cloned()
            .unwrap_or_default();
        for (_, event) in events {
            if event["Type"] != "HttpApi" {
                continue;
            }
            let path = event["Properties"]["Path"].as_str().unwrap();
            let method = event["Properties"]["Method"]
                .as_str()
                .unwrap()
                .to_uppercase();
            let previous = routes.insert((to_watch_syntax(path), method), binary.to_owned());
            assert!(
                previous.is_none(),
                "route {path} declared twice in template.yaml"
            );
        }
    }
    routes
}

/// API Gateway's greedy `{proxy+}` is matchit's `{*proxy}`; `{id}` is the same in both.
fn to_watch_syntax(path: &str) -> String {
    path.replace("{proxy+}", "{*proxy}")
}

#[test]
fn template_routes_and_watch_routes_are_identical() {
    let watch: BTreeMap<(String, String), String> = watch_routes()
        .into_iter()
        .flat_map(|(path, methods)| {
            methods
                .into_iter()
                .map(move |(method, f)| ((path.clone(), method), f))
        })
        .collect();
    assert_eq!(template_routes(), watch);
}

#[test]
fn every_function_crate_is_deployed_and_routed() {
    let crates: BTreeSet<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../functions"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
    let deployed: BTreeSet<String> = template_routes().into_values().collect();
    assert_eq!(
        crates, deployed,
        "functions/ and template.yaml name the same functions"
    );
}

#[tokio::test]
async fn every_template_route_is_served_by_its_function_s_router() {
    for ((path, method), function) in template_routes() {
        let concrete = path
            .replace("{*proxy}", "some/unknown/path")
            .replace("{id}", "682b7173f5c8c863ab931a45");
        let method = if method == "ANY" {
            "GET".to_owned()
        } else {
            method
        };
        let code = crate::openapi::offline_error_code(&function, &method, &concrete).await;
        if path.contains("{*proxy}") {
            assert_eq!(
                code.as_deref(),
                Some("route_not_found"),
                "{function} answers unknown paths with the JSON 404"
            );
        } else {
            assert_ne!(
                code.as_deref(),
                Some("route_not_found"),
                "{function}'s router does not serve {method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn the_table_the_bootstrap_creates_is_the_one_template_yaml_declares() {
    let template: Value = serde_yaml::from_str(TEMPLATE_YAML).unwrap();
    let declared = &template["Resources"]["Table"]["Properties"];
    let app = spawn_app().await;

    let table = app
        .dynamodb
        .describe_table()
        .table_name(&app.table_name)
        .send()
        .await
        .unwrap()
        .table
        .unwrap();
    let ttl = app
        .dynamodb
        .describe_time_to_live()
        .table_name(&app.table_name)
        .send()
        .await
        .unwrap();

    let keys = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Vec<(String, String)> {
        schema
            .iter()
            .map(|k| {
                (
                    k.attribute_name().to_owned(),
                    k.key_type().as_str().to_owned(),
                )
            })
            .collect()
    };
    let declared_keys = |schema: &Value| -> Vec<(String, String)> {
        schema
            .as_sequence()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["AttributeName"].as_str().unwrap().to_owned(),
                    k["KeyType"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let attributes: BTreeSet<(String, String)> = table
        .attribute_definitions()
        .iter()
        .map(|a| {
            (
                a.attribute_name().to_owned(),
                a.attribute_type().as_str().to_owned(),
            )
        })
        .collect();
    let declared_attributes: BTreeSet<(String, String)> = declared["AttributeDefinitions"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["AttributeName"].as_str().unwrap().to_owned(),
                a["AttributeType"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(attributes, declared_attributes);
    assert_eq!(
        keys(table.key_schema()),
        declared_keys(&declared["KeySchema"])
    );

    let indexes: BTreeMap<String, (Vec<(String, String)>, String)> = table
        .global_secondary_indexes()
        .iter()
        .map(|i| {
            let projection = i
                .projection()
                .and_then(|p| p.projection_type())
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            (
                i.index_name().unwrap().to_owned(),
                (keys(i.key_schema()), projection),
            )
        })
        .collect();
    let declared_indexes: BTreeMap<String, (Vec<(String, String)>, String)> =
        declared["GlobalSecondaryIndexes"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|i| {
                let projection = i["Projection"]["ProjectionType"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                (
                    i["IndexName"].as_str().unwrap().to_owned(),
                    (declared_keys(&i["KeySchema"]), projection),
                )
            })
            .collect();
    assert_eq!(indexes, declared_indexes);

    let billing = table
        .billing_mode_summary()
        .and_then(|b| b.billing_mode())
        .map(|b| b.as_str().to_owned());
    assert_eq!(billing.as_deref(), declared["BillingMode"].as_str());

    let ttl = ttl.time_to_live_description().unwrap();
    assert_eq!(
        ttl.attribute_name(),
        declared["TimeToLiveSpecification"]["AttributeName"].as_str()
    );
    assert_eq!(
        ttl.time_to_live_status().map(|s| s.as_str()),
        Some("ENABLED")
    );
}
