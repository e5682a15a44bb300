//! template.yaml's DynamoDB permissions, enforced on the tests' traffic.
//!
//! In a test every function reaches DynamoDB through an [`IamProxy`], which evaluates each request
//! against that function's policy in template.yaml the way IAM does (the action, the table or index,
//! and `dynamodb:LeadingKeys` under `ForAllValues:StringLike`) and answers `AccessDeniedException`
//! where IAM would. So the whole suite, not a list kept by hand, proves that no function needs more
//! than its policy grants; the policy tests check that no policy grants more than its function needs.
//!
//! Only what our template uses is understood (Allow statements, that one condition); anything else
//! panics, so a template change cannot silently escape the check.

use std::{
    collections::BTreeMap,
    sync::{Arc, OnceLock},
};

use aws_config::SdkConfig;
use aws_types::{
    origin::Origin,
    service_config::{LoadServiceConfig, ServiceConfigKey},
};
use axum::{Router, body::Body, extract::Request, response::Response};
use serde_json::Value as Json;
use serde_yaml::Value;

use crate::TEMPLATE_YAML;

/// What a statement's `Resource` names, as far as DynamoDB is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resource {
    Table,
    Index(String),
    /// Not the table (a bucket, a secret, an identity): never matches a DynamoDB request.
    Other,
}

/// One Allow statement that grants DynamoDB actions.
#[derive(Clone, Debug)]
pub struct Statement {
    pub actions: Vec<String>,
    pub resources: Vec<Resource>,
    /// `ForAllValues:StringLike` `dynamodb:LeadingKeys` patterns; `None` when unconditioned.
    pub leading_keys: Option<Vec<String>>,
}

/// Each function binary's DynamoDB statements, from template.yaml.
pub fn policies() -> &'static BTreeMap<String, Vec<Statement>> {
    static POLICIES: OnceLock<BTreeMap<String, Vec<Statement>>> = OnceLock::new();
    POLICIES.get_or_init(|| policies_of(TEMPLATE_YAML))
}

pub fn policies_of(template: &str) -> BTreeMap<String, Vec<Statement>> {
    let template: Value = serde_yaml::from_str(template).expect("template.yaml parses");
    let resources = template["Resources"].as_mapping().expect("Resources");
    let mut policies = BTreeMap::new();
    for (name, resource) in resources {
        if resource["Type"] != "AWS::Serverless::Function" {
            continue;
        }
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{name:?} has no Metadata.BuildProperties.Binary"));
        let mut statements = Vec::new();
        for policy in resource["Properties"]["Policies"]
            .as_sequence()
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let document = match policy {
                Value::Tagged(tagged) if tagged.tag == "!Ref" => {
                    let managed = tagged.value.as_str().expect("!Ref names a resource");
                    let managed = &template["Resources"][managed];
                    assert_eq!(
                        managed["Type"], "AWS::IAM::ManagedPolicy",
                        "{name:?}: a policy reference must name a managed policy"
                    );
                    &managed["Properties"]["PolicyDocument"]
                }
                Value::Mapping(_) => policy,
                other => panic!(
                    "{name:?}: unsupported policy {other:?} (SAM policy templates are not used)"
                ),
            };
            for statement in document["Statement"].as_sequence().expect("Statement list") {
                if let Some(statement) = dynamodb_statement(name, statement) {
                    statements.push(statement);
                }
            }
        }
        policies.insert(binary.to_owned(), statements);
    }
    policies
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::String(s) => vec![s.clone()],
        Value::Sequence(items) => items.iter().flat_map(strings).collect(),
        other => panic!("expected a string or a list of strings, got {other:?}"),
    }
}

fn dynamodb_statement(function: &Value, statement: &Value) -> Option<Statement> {
    let actions = strings(&statement["Action"]);
    if !actions.iter().any(|a| a.starts_with("dynamodb:")) {
        return None;
    }
    assert_eq!(
        statement["Effect"], "Allow",
        "{function:?}: only Allow statements are understood"
    );
    let resources = match &statement["Resource"] {
        Value::Sequence(items) => items.iter().map(resource).collect(),
        single => vec![resource(single)],
    };
    let leading_keys = match statement.get("Condition") {
        None => None,
        Some(condition) => {
            let condition = condition.as_mapping().expect("Condition is a mapping");
            assert_eq!(
                condition.len(),
                1,
                "{function:?}: only ForAllValues:StringLike on dynamodb:LeadingKeys is understood"
            );
            let like = condition
                .get("ForAllValues:StringLike")
                .and_then(Value::as_mapping)
                .unwrap_or_else(|| panic!("{function:?}: unsupported condition {condition:?}"));
            assert_eq!(like.len(), 1, "{function:?}: one condition key only");
            Some(strings(like.get("dynamodb:LeadingKeys").unwrap_or_else(
                || panic!("{function:?}: unsupported condition key"),
            )))
        }
    };
    Some(Statement {
        actions,
        resources,
        leading_keys,
    })
}

fn resource(value: &Value) -> Resource {
    match value {
        Value::Tagged(tagged) if tagged.tag == "!GetAtt" && tagged.value == "Table.Arn" => {
            Resource::Table
        }
        Value::Tagged(tagged) if tagged.tag == "!Sub" => {
            let text = tagged.value.as_str().expect("!Sub of a string");
            match text.strip_prefix("${Table.Arn}/index/") {
                Some(index) => Resource::Index(index.to_owned()),
                None if text.contains("${Table.Arn}") => {
                    panic!("unsupported table resource {text}")
                }
                None => Resource::Other,
            }
        }
        _ => Resource::Other,
    }
}

/// One authorization IAM makes for a request: a transaction is one per item, a batch one per table.
#[derive(Debug, PartialEq, Eq)]
pub struct Check {
    pub action: String,
    pub resource: Resource,
    /// The partition key values the request touches (its `dynamodb:LeadingKeys`).
    pub keys: Vec<String>,
}

/// The authorizations a DynamoDB request (its `X-Amz-Target` operation and JSON body) needs.
pub fn checks(operation: &str, body: &Json) -> Vec<Check> {
    let check = |action: &str, resource: Resource, keys: Vec<String>| Check {
        action: format!("dynamodb:{action}"),
        resource,
        keys,
    };
    let pk = |item: &Json| -> String {
        item["PK"]["S"]
            .as_str()
            .unwrap_or_else(|| panic!("an item or key without a string PK: {item}"))
            .to_owned()
    };
    match operation {
        "GetItem" | "DeleteItem" | "UpdateItem" => {
            vec![check(operation, Resource::Table, vec![pk(&body["Key"])])]
        }
        "PutItem" => vec![check(operation, Resource::Table, vec![pk(&body["Item"])])],
        "Query" => {
            let resource = match body["IndexName"].as_str() {
                Some(index) => Resource::Index(index.to_owned()),
                None => Resource::Table,
            };
            vec![check(operation, resource, vec![query_partition(body)])]
        }
        "TransactWriteItems" | "TransactGetItems" => body["TransactItems"]
            .as_array()
            .expect("TransactItems")
            .iter()
            .map(|item| {
                let (kind, inner) = item
                    .as_object()
                    .and_then(|o| o.iter().next())
                    .expect("one operation per transaction item");
                let (action, key) = match kind.as_str() {
                    "Put" => ("PutItem", &inner["Item"]),
                    "Update" => ("UpdateItem", &inner["Key"]),
                    "Delete" => ("DeleteItem", &inner["Key"]),
                    "ConditionCheck" => ("ConditionCheckItem", &inner["Key"]),
                    "Get" => ("GetItem", &inner["Key"]),
                    other => panic!("unknown transaction item {other}"),
                };
                check(action, Resource::Table, vec![pk(key)])
            })
            .collect(),
        "BatchGetItem" => body["RequestItems"]
            .as_object()
            .expect("RequestItems")
            .values()
            .map(|table| {
                let keys = table["Keys"].as_array().expect("Keys").iter().map(pk);
                check(operation, Resource::Table, keys.collect())
            })
            .collect(),
        "BatchWriteItem" => body["RequestItems"]
            .as_object()
            .expect("RequestItems")
            .values()
            .map(|requests| {
                let keys = requests
                    .as_array()
                    .expect("write requests")
                    .iter()
                    .map(|r| match (r.get("PutRequest"), r.get("DeleteRequest")) {
                        (Some(put), _) => pk(&put["Item"]),
                        (_, Some(delete)) => pk(&delete["Key"]),
                        _ => panic!("unknown write request {r}"),
                    });
                check(operation, Resource::Table, keys.collect())
            })
            .collect(),
        // A Scan (and anything else) names no partition: `ForAllValues` over no keys is vacuously
        // true in IAM, which is why no policy of ours may grant such an action.
        other => vec![check(other, Resource::Table, Vec::new())],
    }
}

/// The partition key value of a Query: the `<key> = :value` clause of its key condition.
fn query_partition(body: &Json) -> String {
    let condition = body["KeyConditionExpression"]
        .as_str()
        .expect("a Query has a key condition");
    let first = condition.split(" AND ").next().unwrap();
    let (_, placeholder) = first
        .split_once('=')
        .unwrap_or_else(|| panic!("unsupported key condition {condition}"));
    body["ExpressionAttributeValues"][placeholder.trim()]["S"]
        .as_str()
        .unwrap_or_else(|| panic!("no string value for the key condition {condition}"))
        .to_owned()
}

/// Whether `statements` allow `check`, as IAM decides it.
pub fn allows(statements: &[Statement], check: &Check) -> bool {
    statements.iter().any(|statement| {
        let action = statement
            .actions
            .iter()
            .any(|a| a == &check.action || a == "dynamodb:*");
        let resource = statement.resources.contains(&check.resource);
        let keys = match &statement.leading_keys {
            None => true,
            Some(patterns) => check
                .keys
                .iter()
                .all(|key| patterns.iter().any(|p| string_like(p, key))),
        };
        action && resource && keys
    })
}

/// IAM's `StringLike`: `*` is any run of characters, `?` any one character.
pub fn string_like(pattern: &str, value: &str) -> bool {
    fn matches(p: &[char], v: &[char]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('*', rest)) => (0..=v.len()).any(|skip| matches(rest, &v[skip..])),
            Some(('?', rest)) => !v.is_empty() && matches(rest, &v[1..]),
            Some((c, rest)) => v.first() == Some(c) && matches(rest, &v[1..]),
        }
    }
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    matches(&p, &v)
}

/// A local stand-in for IAM in front of DynamoDB: `<url>/<function>` is that function's endpoint.
pub struct IamProxy {
    pub url: String,
}

impl IamProxy {
    /// Forwards allowed requests to `upstream` (the emulator, or a test's own proxy).
    pub async fn start(upstream: String) -> IamProxy {
        let client = reqwest::Client::new();
        let upstream = Arc::new(upstream);
        let proxy = move |request: Request| {
            let (client, upstream) = (client.clone(), upstream.clone());
            async move { forward_if_allowed(request, &client, &upstream).await }
        };
        let url = crate::serve_proxy(Router::new().fallback(proxy)).await;
        IamProxy { url }
    }

    /// `config` with its DynamoDB requests going through this proxy as `function`'s.
    pub fn config_for(&self, config: &SdkConfig, function: &str) -> SdkConfig {
        let mut builder = config
            .to_builder()
            .service_config(DynamoDbEndpoint(format!("{}/{function}", self.url)));
        // As if `AWS_ENDPOINT_URL` had set the shared endpoint: an endpoint set in code would win over
        // the per-service one.
        builder.insert_origin("endpoint_url", Origin::shared_environment_variable());
        builder.build()
    }
}

/// Sets only DynamoDB's endpoint (what `AWS_ENDPOINT_URL_DYNAMODB` does in a real environment).
#[derive(Debug)]
struct DynamoDbEndpoint(String);

impl LoadServiceConfig for DynamoDbEndpoint {
    fn load_config(&self, key: ServiceConfigKey<'_>) -> Option<String> {
        (key.service_id() == "DynamoDB" && key.env() == "AWS_ENDPOINT_URL").then(|| self.0.clone())
    }
}

async fn forward_if_allowed(
    request: Request,
    client: &reqwest::Client,
    upstream: &str,
) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
    let function = parts.uri.path().trim_matches('/').to_owned();
    let operation = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix("DynamoDB_20120810."))
        .unwrap_or_else(|| panic!("{function} sent a request that is not DynamoDB's"))
        .to_owned();
    let statements = policies()
        .get(&function)
        .unwrap_or_else(|| panic!("no function {function:?} in template.yaml"));
    let json: Json = serde_json::from_slice(&body).expect("DynamoDB bodies are JSON");
    if let Some(refused) = checks(&operation, &json)
        .into_iter()
        .find(|check| !allows(statements, check))
    {
        // Loud, so that the failing test says why its function answered 500.
        eprintln!(
            "IAM (template.yaml) refuses {function}: {} on {:?} with leading keys {:?}",
            refused.action, refused.resource, refused.keys
        );
        return http::Response::builder()
            .status(400)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amzn-errortype", "AccessDeniedException")
            .body(Body::from(
                serde_json::json!({
                    "__type": "com.amazon.coral.service#AccessDeniedException",
                    "Message": format!("{function} is not authorized to perform {}", refused.action),
                })
                .to_string(),
            ))
            .unwrap();
    }
    // The function's name was only the path of its endpoint: DynamoDB's requests go to `/`.
    let mut parts = parts;
    parts.uri = http::Uri::from_static("/");
    crate::forward(client, upstream, parts, body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_like_matches_as_iam_does() {
        assert!(string_like("USER#*", "USER#1"));
        assert!(string_like("CATALOG", "CATALOG"));
        assert!(!string_like("CATALOG", "CATALOG#PRODUCT"));
        assert!(string_like("CATALOG#*", "CATALOG#PRODUCT"));
        assert!(!string_like("OAUTH#*", "OAUTHSTATE#x"));
        assert!(string_like("A?C", "ABC"));
    }

    #[test]
    fn every_item_of_a_transaction_is_authorized_on_its_own() {
        let body = serde_json::json!({"TransactItems": [
            {"Put": {"Item": {"PK": {"S": "CATALOG#BRAND"}}}},
            {"Update": {"Key": {"PK": {"S": "USER#1"}, "SK": {"S": "PROFILE"}}}},
        ]});
        let checks = checks("TransactWriteItems", &body);
        assert_eq!(checks.len(), 2);
        let catalog_writes = Statement {
            actions: vec!["dynamodb:PutItem".into(), "dynamodb:UpdateItem".into()],
            resources: vec![Resource::Table],
            leading_keys: Some(vec!["CATALOG#*".into()]),
        };
        assert!(allows(std::slice::from_ref(&catalog_writes), &checks[0]));
        assert!(!allows(&[catalog_writes], &checks[1]));
    }

    #[test]
    fn a_query_is_authorized_on_its_partition_and_an_index_is_not_the_table() {
        let body = serde_json::json!({
            "IndexName": "GSI1",
            "KeyConditionExpression": "GSI1PK = :pk AND GSI1SK > :after",
            "ExpressionAttributeValues": {":pk": {"S": "ORDERS"}, ":after": {"S": "x"}},
        });
        let check = &checks("Query", &body)[0];
        assert_eq!(check.keys, vec!["ORDERS".to_owned()]);
        let table_only = Statement {
            actions: vec!["dynamodb:Query".into()],
            resources: vec![Resource::Table],
            leading_keys: None,
        };
        assert!(!allows(&[table_only], check));
    }
}
