//! Each function's table permissions in template.yaml name only the partitions it uses.
//!
//! The other half, that no function needs more than its policy grants, is proved by every test: the
//! functions' DynamoDB traffic goes through `api_tests::iam::IamProxy`, which refuses what IAM would.

use std::collections::{BTreeMap, BTreeSet};

use api_tests::{
    iam::{Check, Resource, allows, policies},
    spawn_app,
};

/// Partition key prefixes (`dynamodb:LeadingKeys`) each function may touch, and why.
fn needed() -> BTreeMap<&'static str, BTreeSet<&'static str>> {
    let catalog = ["CATALOG", "CATALOG#*", "SESSION#*"].as_slice();
    [
        // Identity's partitions: profiles, e-mail markers, login counters, codes, OAuth, sessions.
        (
            "auth",
            [
                "USER#*",
                "EMAIL#*",
                "LOGIN#*",
                "OTP#*",
                "OAUTH#*",
                "OAUTHSTATE#*",
                "OAUTHPROOF#*",
                "SESSION#*",
                "ADMINS",
            ]
            .as_slice(),
        ),
        // The session check, and presigned uploads' records.
        ("upload", ["SESSION#*", "UPLOAD#*"].as_slice()),
        // Decides presigned uploads' records.
        ("upload-check", ["UPLOAD#*"].as_slice()),
        ("mailer", [].as_slice()),
        ("products", catalog),
        ("brands", catalog),
        ("categories", catalog),
        ("subcategories", catalog),
        ("labels", catalog),
        ("tags", catalog),
        ("offers", catalog),
        // Carts (and the user summaries staff see) live under USER#; CARTS is the index's staff list.
        (
            "carts",
            ["CATALOG", "CATALOG#*", "USER#*", "SESSION#*", "CARTS"].as_slice(),
        ),
        // Placing an order writes the checkout item, the order, the cart, stock and offers, and puts
        // the catalogue change log entry of that stock (CATALOG#LOG: its only put in the catalogue).
        (
            "checkout",
            [
                "CATALOG",
                "CATALOG#*",
                "CATALOG#LOG",
                "USER#*",
                "CHECKOUT#*",
                "SESSION#*",
            ]
            .as_slice(),
        ),
        // A cancellation gives stock back, with its change log entry.
        (
            "orders",
            [
                "CATALOG",
                "CATALOG#*",
                "CATALOG#LOG",
                "USER#*",
                "SESSION#*",
                "ORDERS",
            ]
            .as_slice(),
        ),
        ("welcome", [].as_slice()),
        // Reads the catalogue to write its snapshot object; writes nothing in the table.
        ("catalog-snapshot", ["CATALOG", "CATALOG#*"].as_slice()),
        // Accounts: profiles, sessions, the admin count, what a deletion erases, the user list.
        (
            "users",
            [
                "USER#*",
                "SESSION#*",
                "ADMINS",
                "EMAIL#*",
                "OAUTH#*",
                "OTP#*",
                "USERS",
            ]
            .as_slice(),
        ),
    ]
    .into_iter()
    .map(|(function, prefixes)| (function, prefixes.iter().copied().collect()))
    .collect()
}

#[test]
fn each_function_s_policy_names_only_the_partitions_it_uses() {
    let granted: BTreeMap<&str, BTreeSet<&str>> = policies()
        .iter()
        .map(|(function, statements)| {
            let prefixes = statements
                .iter()
                .flat_map(|s| s.leading_keys.iter().flatten())
                .map(String::as_str)
                .collect();
            (function.as_str(), prefixes)
        })
        .collect();
    assert_eq!(granted, needed());
}

#[test]
fn every_table_permission_is_limited_to_partitions_and_none_can_scan() {
    for (function, statements) in policies() {
        for statement in statements {
            assert!(
                statement.leading_keys.is_some(),
                "{function}: {:?} on {:?} has no dynamodb:LeadingKeys condition",
                statement.actions,
                statement.resources
            );
            // LeadingKeys cannot limit these: a Scan names no partition, so `ForAllValues` passes.
            for unbounded in ["dynamodb:*", "dynamodb:Scan", "dynamodb:PartiQLSelect"] {
                assert!(
                    !statement.actions.iter().any(|a| a == unbounded),
                    "{function} is granted {unbounded}"
                );
            }
        }
    }
}

#[test]
fn only_auth_can_read_password_hashes_and_only_account_functions_read_profiles() {
    let read = |action: &str, partition: &str| Check {
        action: action.into(),
        resource: Resource::Table,
        keys: vec![partition.into()],
    };
    // Password hashes and reset grants live on the email marker (identity::users).
    let email_marker = "EMAIL#someone@example.com";
    let profile = "USER#682b7173f5c8c863ab931a45";
    for (function, statements) in policies() {
        if function != "auth" {
            for action in [
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:BatchGetItem",
            ] {
                assert!(
                    !allows(statements, &read(action, email_marker)),
                    "{function} can read password hashes ({action})"
                );
            }
        }
        if !["auth", "users", "carts", "checkout", "orders"].contains(&function.as_str()) {
            assert!(
                !allows(statements, &read("dynamodb:GetItem", profile)),
                "{function} can read a user's profile"
            );
        }
    }
}

#[tokio::test]
async fn a_function_s_request_outside_its_policy_is_refused_like_iam_would() {
    let app = spawn_app().await;
    let products = aws_sdk_dynamodb::Client::new(&app.deployment.sdk_config_for("products"));
    let key = shared::db::Key::new("USER#682b7173f5c8c863ab931a45", "PROFILE");

    let error = products
        .get_item()
        .table_name(&app.table_name)
        .set_key(Some(key.to_attributes()))
        .send()
        .await
        .expect_err("products may not read profiles");

    let service = error.into_service_error();
    assert_eq!(service.meta().code(), Some("AccessDeniedException"));
}
