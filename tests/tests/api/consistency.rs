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

/// Managed CloudFront policies the API's distribution uses (the same ids in every account).
const CACHING_DISABLED: &str = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad";
const ALL_VIEWER_EXCEPT_HOST_HEADER: &str = "b689b0a8-53d0-40ab-baf2-68738e2966ac";

/// Whether CloudFront's path pattern (`*` any run of characters, `/` included; `?` one) matches `path`.
fn matches_pattern(pattern: &[u8], path: &[u8]) -> bool {
    match (pattern.split_first(), path.split_first()) {
        (None, _) => path.is_empty(),
        (Some((b'*', rest)), _) => {
            matches_pattern(rest, path)
                || (!path.is_empty() && matches_pattern(pattern, &path[1..]))
        }
        (Some((b'?', rest)), Some((_, path))) => matches_pattern(rest, path),
        (Some((p, rest)), Some((c, path))) => p == c && matches_pattern(rest, path),
        (Some(_), None) => false,
    }
}

#[test]
fn path_patterns_match_as_cloudfront_matches_them() {
    for (pattern, path, expected) in [
        ("/products/staff*", "/products/staff", true),
        ("/products/staff*", "/products/staff/link-brand", true),
        ("/products/staff*", "/products", false),
        ("/products*", "/products", true),
        ("/products*", "/products/0123456789abcdef01234567", true),
        ("/products*", "/brands", false),
        ("/p?oducts", "/products", true),
        ("*", "/anything/at/all", true),
    ] {
        assert_eq!(
            matches_pattern(pattern.as_bytes(), path.as_bytes()),
            expected,
            "{pattern} on {path}"
        );
    }
}

/// A path of the route `route` (`/products/{id}`), its parameters filled in.
fn sample_path(route: &str) -> String {
    route
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "0123456789abcdef01234567"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every public read of the catalogue is answered by CloudFront's cache, and no route whose answer
/// depends on a token (a staff route, a client's own) or that is not a read can be: CloudFront picks the
/// first behaviour whose pattern matches, so each kind's staff pattern must come before its public one.
#[test]
fn the_cdn_caches_public_catalogue_reads_and_nothing_that_depends_on_a_token() {
    let template: Value = serde_yaml::from_str(TEMPLATE_YAML).expect("template.yaml parses");
    let config = &template["Resources"]["ApiDistribution"]["Properties"]["DistributionConfig"];
    let behaviours: Vec<(&str, &Value)> = config["CacheBehaviors"]
        .as_sequence()
        .expect("cache behaviours")
        .iter()
        .map(|b| (b["PathPattern"].as_str().unwrap(), b))
        .chain([("*", &config["DefaultCacheBehavior"])])
        .collect();
    let cached = |behaviour: &Value| behaviour["CachePolicyId"] != CACHING_DISABLED;
    for (pattern, behaviour) in &behaviours {
        assert_eq!(
            behaviour["AllowedMethods"].as_sequence().unwrap().len(),
            7,
            "{pattern}: every method reaches the API (a wrong one gets its JSON 405)"
        );
        if cached(behaviour) {
            assert_eq!(
                referenced(&behaviour["CachePolicyId"]),
                "PublicCatalogCachePolicy",
                "{pattern}"
            );
        } else {
            assert_eq!(
                behaviour["OriginRequestPolicyId"], ALL_VIEWER_EXCEPT_HOST_HEADER,
                "{pattern}: what is not cached gets every header, Authorization included"
            );
        }
    }
    let key = &template["Resources"]["PublicCatalogCachePolicy"]["Properties"]["CachePolicyConfig"];
    assert_eq!(
        key["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]["Headers"],
        serde_yaml::from_str::<Value>("[Accept-Language, Origin]").unwrap(),
        "no token in the cache key, so none reaches a cached route"
    );
    let behaviour_of = |route: &str| {
        let path = sample_path(route);
        behaviours
            .iter()
            .find(|(pattern, _)| matches_pattern(pattern.as_bytes(), path.as_bytes()))
            .map(|(pattern, behaviour)| (*pattern, cached(behaviour)))
            .expect("the default matches everything")
    };

    let openapi: serde_json::Value =
        serde_json::from_str(include_str!("../../../openapi.json")).expect("openapi.json parses");
    let documented = openapi["paths"].as_object().unwrap();
    for (route, operations) in documented {
        let (pattern, is_cached) = behaviour_of(route);
        if !is_cached {
            continue;
        }
        for (method, operation) in operations.as_object().unwrap() {
            assert!(
                method == "get" && operation.get("security").is_none(),
                "{} {route} falls in the cached behaviour {pattern}",
                method.to_uppercase()
            );
        }
    }
    for (route, _) in template_routes().keys() {
        let (pattern, is_cached) = behaviour_of(route);
        assert!(
            !is_cached || documented.contains_key(route),
            "{route}, not documented, falls in the cached behaviour {pattern}"
        );
    }

    let kinds = ["products"]
        .into_iter()
        .chain(catalog::kind::Kind::ALL.map(|kind| kind.spec().path));
    for kind in kinds {
        for route in [format!("/{kind}"), format!("/{kind}/{{id}}")] {
            assert!(
                documented[&route]["get"].get("security").is_none(),
                "{route} is a public read"
            );
            let (pattern, is_cached) = behaviour_of(&route);
            assert!(
                is_cached,
                "GET {route} falls in {pattern}, which caches nothing"
            );
        }
    }
}

/// Logical id -> binary of every function in template.yaml.
fn template_functions() -> BTreeMap<String, String> {
    let template: Value = serde_yaml::from_str(TEMPLATE_YAML).expect("template.yaml parses");
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::Serverless::Function")
        .map(|(name, resource)| {
            let binary = resource["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap_or_else(|| panic!("{name:?} has no Metadata.BuildProperties.Binary"));
            (name.as_str().unwrap().to_owned(), binary.to_owned())
        })
        .collect()
}

/// The target of `!Ref X` or `!GetAtt X.Arn`: `X`.
fn referenced(value: &Value) -> String {
    match value {
        Value::Tagged(tagged) => tagged
            .value
            .as_str()
            .unwrap()
            .trim_end_matches(".Arn")
            .to_owned(),
        other => panic!("expected !Ref or !GetAtt, found {other:?}"),
    }
}

/// Binary -> queue (logical id) of every event source mapping in template.yaml, after checking what
/// each must have: partial batch failures reported, and a queue encrypted at rest with a
/// dead-letter queue.
fn template_queue_functions() -> BTreeMap<String, String> {
    let template: Value = serde_yaml::from_str(TEMPLATE_YAML).expect("template.yaml parses");
    let resources = &template["Resources"];
    let functions = template_functions();
    let mut fed = BTreeMap::new();
    for (name, resource) in resources.as_mapping().unwrap() {
        if resource["Type"] != "AWS::Lambda::EventSourceMapping" {
            continue;
        }
        let properties = &resource["Properties"];
        let function = &functions[&referenced(&properties["FunctionName"])];
        let queue_id = referenced(&properties["EventSourceArn"]);
        let queue = &resources[queue_id.as_str()];
        assert_eq!(queue["Type"], "AWS::SQS::Queue", "{name:?} reads a queue");
        assert_eq!(
            properties["FunctionResponseTypes"][0], "ReportBatchItemFailures",
            "{name:?}: only the failed records come back"
        );
        assert_eq!(
            queue["Properties"]["SqsManagedSseEnabled"], true,
            "{queue_id}"
        );
        let dead_letters = referenced(&queue["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]);
        assert_eq!(resources[dead_letters.as_str()]["Type"], "AWS::SQS::Queue");
        let previous = fed.insert(function.clone(), queue_id);
        assert!(previous.is_none(), "{function} is fed by one queue");
    }
    fed
}

/// The functions an EventBridge schedule runs (an event of type `ScheduleV2`).
fn template_scheduled_functions() -> BTreeSet<String> {
    let template: Value = serde_yaml::from_str(TEMPLATE_YAML).expect("template.yaml parses");
    let functions = template_functions();
    template["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, resource)| {
            resource["Properties"]["Events"]
                .as_mapping()
                .is_some_and(|events| events.values().any(|e| e["Type"] == "ScheduleV2"))
        })
        .map(|(name, _)| functions[name.as_str().unwrap()].clone())
        .collect()
}

/// Every crate in functions/ is deployed, and each deployed function is either served by API Gateway
/// (its routes are in the watch router, see above), fed by a queue or run on a schedule (then devpoll
/// does that locally, see below); never two of these.
#[test]
fn every_function_crate_is_deployed_and_routed_or_fed_by_a_queue() {
    let crates: BTreeSet<String> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../functions"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
    let deployed: BTreeSet<String> = template_functions().into_values().collect();
    assert_eq!(
        crates, deployed,
        "functions/ and template.yaml name the same functions"
    );
    let routed: BTreeSet<String> = template_routes().into_values().collect();
    let fed: BTreeSet<String> = template_queue_functions().into_keys().collect();
    let scheduled = template_scheduled_functions();
    assert!(routed.is_disjoint(&fed), "{routed:?} / {fed:?}");
    assert!(
        routed.is_disjoint(&scheduled) && fed.is_disjoint(&scheduled),
        "{scheduled:?}"
    );
    let reachable: BTreeSet<String> = routed.union(&fed).chain(&scheduled).cloned().collect();
    assert_eq!(reachable, deployed, "each function has a way in");
}

/// What Lambda's event source mappings do in AWS, devpoll does in the local stack and the tests, for
/// the same functions.
#[tokio::test]
async fn the_local_stack_polls_a_queue_for_every_function_the_template_feeds_from_one() {
    let app = spawn_app().await;
    let polled: BTreeSet<String> = app
        .poller
        .queues
        .iter()
        .map(|(_, function)| (*function).to_owned())
        .collect();
    let fed: BTreeSet<String> = template_queue_functions().into_keys().collect();
    assert_eq!(polled, fed);
    let scheduled: BTreeSet<String> = app
        .poller
        .scheduled
        .iter()
        .map(|f| (*f).to_owned())
        .collect();
    assert_eq!(
        scheduled,
        template_scheduled_functions(),
        "and runs every scheduled one"
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
