//! Admins manage accounts (`/users/staff...`), users delete their own (`DELETE /auth/me`), and
//! operators do the same through `ops users`: against the emulator, through the real routers.

mod client;

use api_tests::{TestApp, spawn_app, unique_email};
use aws_sdk_dynamodb::types::AttributeValue;
use identity::admin::{AccessChange, Accounts, ManageError};
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::{Id, auth::Role};

use self::client::Users;
use crate::{
    auth::client::{Auth, field},
    catalog::Shop,
};

/// A signed-in account made for a test.
struct Account {
    id: String,
    email: String,
    access: String,
    refresh: String,
}

const PASSWORD: &str = "password-123";

async fn account(app: &TestApp, role: Role) -> Account {
    let (email, login) = app.signed_in(role).await;
    Account {
        id: field(&login, "_id"),
        email,
        access: field(&login, "accessToken"),
        refresh: field(&login, "refreshToken"),
    }
}

/// Every item whose partition key is `pk`, straight from the table.
async fn items_of(app: &TestApp, pk: &str) -> Vec<String> {
    let output = app
        .dynamodb
        .query()
        .table_name(&app.table_name)
        .key_condition_expression("PK = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(pk.into()))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    output
        .items
        .unwrap_or_default()
        .iter()
        .map(|item| item["SK"].as_s().unwrap().clone())
        .collect()
}

/// The enabled admins the table counts.
async fn admin_count(app: &TestApp) -> u64 {
    identity::UserStore::new(app.dynamodb.clone(), &app.table_name)
        .admin_count()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_admin_lists_users_by_page_search_and_role_without_secrets() {
    let app = spawn_app().await;
    let admin = account(&app, Role::Admin).await;
    let employee = account(&app, Role::Employee).await;
    for _ in 0..3 {
        app.register(&unique_email(), PASSWORD).await;
    }
    let users = Users::as_(&app, &admin.access);

    let all = users.list("?page=1&limit=2").await.ok();
    assert_eq!(all["metadata"], json!({"total": 5, "page": 1, "limit": 2}));
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    let mut keys: Vec<_> = all["data"][0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "_id",
            "confirmed",
            "createdAt",
            "disabled",
            "email",
            "fullName",
            "provider",
            "role",
            "updatedAt"
        ],
        "no hash, no grant, no provider id"
    );
    let last = users.list("?page=3&limit=2").await.ok();
    assert_eq!(last["data"].as_array().unwrap().len(), 1);

    let clients = users.list("?role=client").await.ok();
    assert_eq!(clients["metadata"]["total"], 3);
    let staff = users.list("?role=employee").await.ok();
    assert_eq!(staff["data"][0]["_id"], employee.id.as_str());

    let found = users
        .list(&format!("?search={}", employee.email.to_uppercase()))
        .await
        .ok();
    assert_eq!(found["metadata"]["total"], 1);
    assert_eq!(found["data"][0]["email"], employee.email.as_str());
    let by_name = users.list("?search=test%20USER").await.ok();
    assert_eq!(by_name["metadata"]["total"], 3, "registered as Test User");

    let one = users.get(&admin.id).await.ok();
    assert_eq!(one["role"], "admin");
    assert_eq!(one["disabled"], false);
}

#[tokio::test]
async fn only_admins_reach_the_users_routes() {
    let app = spawn_app().await;
    let (admin, employee, client) = tokio::join!(
        account(&app, Role::Admin),
        account(&app, Role::Employee),
        account(&app, Role::Client)
    );
    let target = admin.id.as_str();
    let callers = [
        (
            Users::anonymous(&app),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            Users::as_(&app, "not-a-token"),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            Users::as_(&app, &admin.refresh),
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
        (
            Users::as_(&app, &employee.access),
            StatusCode::FORBIDDEN,
            "admin_only",
        ),
        (
            Users::as_(&app, &client.access),
            StatusCode::FORBIDDEN,
            "admin_only",
        ),
    ];
    for (caller, status, code) in callers {
        caller.list("").await.fails(status, code);
        caller.get(target).await.fails(status, code);
        caller.set_role(target, "client").await.fails(status, code);
        caller.delete(target).await.fails(status, code);
    }
    assert_eq!(
        Users::as_(&app, &admin.access).get(target).await.ok()["role"],
        "admin",
        "nothing changed"
    );
}

#[tokio::test]
async fn bad_ids_roles_paging_and_bodies_answer_400_and_unknown_users_404() {
    let app = spawn_app().await;
    let admin = account(&app, Role::Admin).await;
    let users = Users::as_(&app, &admin.access);
    let invalid = |answer: api_tests::Answer, field_name: &str, why: &str| {
        let body = answer.fails(StatusCode::BAD_REQUEST, "validation_failed");
        assert!(body["fields"][field_name].is_array(), "{why}: {body}");
    };

    invalid(users.get("nope").await, "id", "a malformed id");
    invalid(
        users.set_role("nope", "client").await,
        "id",
        "a malformed id",
    );
    invalid(users.delete("12345").await, "id", "a malformed id");
    invalid(users.list("?role=owner").await, "role", "an unknown role");
    invalid(users.list("?page=0").await, "page", "page 0");
    invalid(users.list("?page=100001").await, "page", "a page too deep");
    invalid(users.list("?limit=0").await, "limit", "limit 0");
    invalid(
        users.list("?limit=ten").await,
        "limit",
        "a limit that is no number",
    );
    let long = "a".repeat(101);
    invalid(
        users.list(&format!("?search={long}")).await,
        "search",
        "a search over 100 characters",
    );
    invalid(
        users.set_role(&admin.id, "owner").await,
        "role",
        "an unknown role",
    );
    invalid(
        users.change(&admin.id, &json!({"disabled": "yes"})).await,
        "disabled",
        "disabled is not a boolean",
    );
    users
        .change(&admin.id, &json!({"unknown": 1}))
        .await
        .fails(StatusCode::BAD_REQUEST, "nothing_to_change");
    assert_eq!(
        users.list("?limit=500").await.ok()["metadata"]["limit"],
        100,
        "a large limit is reduced, as on every list"
    );

    let nobody = Id::new().to_string();
    users
        .get(&nobody)
        .await
        .fails(StatusCode::NOT_FOUND, "user_not_found");
    users
        .set_role(&nobody, "employee")
        .await
        .fails(StatusCode::NOT_FOUND, "user_not_found");
    users
        .delete(&nobody)
        .await
        .fails(StatusCode::NOT_FOUND, "user_not_found");
}

#[tokio::test]
async fn a_role_change_ends_every_session_and_the_next_login_carries_the_new_role() {
    let app = spawn_app().await;
    let admin = account(&app, Role::Admin).await;
    let client = account(&app, Role::Client).await;
    let second_device = Auth::anonymous(&app)
        .login(&client.email, PASSWORD)
        .await
        .ok();
    let users = Users::as_(&app, &admin.access);

    let changed = users.set_role(&client.id, "employee").await.ok();

    assert_eq!(changed["role"], "employee");
    for token in [
        client.access.as_str(),
        &field(&second_device, "accessToken"),
    ] {
        Users::as_(&app, token)
            .me()
            .await
            .fails(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    Auth::anonymous(&app)
        .refresh(&client.refresh)
        .await
        .fails(StatusCode::UNAUTHORIZED, "unauthorized");
    let again = Auth::anonymous(&app)
        .login(&client.email, PASSWORD)
        .await
        .ok();
    assert_eq!(again["role"], "employee");
    let staff_list = app
        .get_as("/orders/staff", &field(&again, "accessToken"))
        .await;
    assert_eq!(
        staff_list.status(),
        StatusCode::OK,
        "the new role works at once"
    );
    assert_eq!(users.get(&client.id).await.ok()["role"], "employee");
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_or_get_codes_until_enabled_again() {
    let app = spawn_app().await;
    let admin = account(&app, Role::Admin).await;
    let client = account(&app, Role::Client).await;
    let users = Users::as_(&app, &admin.access);
    let auth = Auth::anonymous(&app);

    let disabled = users.set_disabled(&client.id, true).await.ok();

    assert_eq!(disabled["disabled"], true);
    Users::as_(&app, &client.access)
        .me()
        .await
        .fails(StatusCode::UNAUTHORIZED, "unauthorized");
    auth.refresh(&client.refresh)
        .await
        .fails(StatusCode::UNAUTHORIZED, "unauthorized");
    auth.login(&client.email, PASSWORD)
        .await
        .fails(StatusCode::FORBIDDEN, "account_disabled");
    auth.login(&client.email, "wrong-password")
        .await
        .fails(StatusCode::UNAUTHORIZED, "invalid_email_or_password");
    auth.send_guest_otp(&client.email, Some("reset_password"))
        .await
        .ok();
    assert!(
        app.mails_to(&client.email).await.is_empty(),
        "no code goes to a disabled account (the answer is the same as for an unknown email)"
    );

    let enabled = users.set_disabled(&client.id, false).await.ok();

    assert_eq!(enabled["disabled"], false);
    assert_eq!(
        auth.login(&client.email, PASSWORD).await.ok()["_id"],
        client.id.as_str()
    );
}

#[tokio::test]
async fn the_last_admin_cannot_be_demoted_disabled_or_deleted_by_anyone() {
    let app = spawn_app().await;
    let admin = account(&app, Role::Admin).await;
    let users = Users::as_(&app, &admin.access);

    for role in ["employee", "client"] {
        users
            .set_role(&admin.id, role)
            .await
            .fails(StatusCode::CONFLICT, "last_admin");
    }
    users
        .set_disabled(&admin.id, true)
        .await
        .fails(StatusCode::CONFLICT, "last_admin");
    users
        .delete(&admin.id)
        .await
        .fails(StatusCode::CONFLICT, "last_admin");
    users
        .delete_me(&json!({"password": PASSWORD}))
        .await
        .fails(StatusCode::CONFLICT, "last_admin");
    assert_eq!(users.me().await.ok()["role"], "admin", "still signed in");

    let second = account(&app, Role::Admin).await;
    assert_eq!(admin_count(&app).await, 2);
    let demoted = Users::as_(&app, &second.access)
        .set_role(&admin.id, "employee")
        .await
        .ok();
    assert_eq!(demoted["role"], "employee");
    assert_eq!(admin_count(&app).await, 1);
    Users::as_(&app, &second.access)
        .set_role(&second.id, "client")
        .await
        .fails(StatusCode::CONFLICT, "last_admin");
}

/// Fails with a read-then-write check: every operator reads "5 admins" and all five disables pass.
#[tokio::test]
async fn five_concurrent_disables_of_the_last_five_admins_leave_exactly_one() {
    let app = spawn_app().await;
    let mut admins = Vec::new();
    for _ in 0..5 {
        admins.push(account(&app, Role::Admin).await.id.parse::<Id>().unwrap());
    }
    let accounts = Accounts::new(app.dynamodb.clone(), &app.table_name);
    let disable = AccessChange {
        role: None,
        disabled: Some(true),
    };

    let outcomes =
        futures_util::future::join_all(admins.iter().map(|id| accounts.change_access(id, disable)))
            .await;

    let done = outcomes.iter().filter(|o| o.is_ok()).count();
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, Err(ManageError::LastAdmin)))
        .count();
    let kinds: Vec<_> = outcomes.iter().map(|o| o.as_ref().map(|_| ())).collect();
    assert_eq!((done, refused), (4, 1), "{kinds:?}");
    let mut enabled = 0;
    for id in &admins {
        enabled += usize::from(!accounts.account(id).await.unwrap().disabled);
    }
    assert_eq!(enabled, 1);
    assert_eq!(admin_count(&app).await, 1);
}

/// A login that reads the account before a role change and writes its session after must not leave a
/// session with the old role: the session's guard and the change's condition on `accessRev` conflict.
#[tokio::test]
async fn a_login_racing_with_role_changes_never_keeps_a_session_of_the_old_role() {
    let app = spawn_app().await;
    let admin = account(&app, Role::Admin).await;
    let client = account(&app, Role::Client).await;
    let users = Users::as_(&app, &admin.access);
    let id: Id = client.id.parse().unwrap();
    let store = identity::UserStore::new(app.dynamodb.clone(), &app.table_name);
    let sessions = identity::SessionStore::new(app.dynamodb.clone(), &app.table_name);
    let auth = Auth::anonymous(&app);

    for role in ["employee", "client", "employee"] {
        let (login, changed) = tokio::join!(
            auth.login(&client.email, PASSWORD),
            users.set_role(&client.id, role)
        );
        changed.ok();
        assert!(
            [StatusCode::OK, StatusCode::CONFLICT].contains(&login.status),
            "{}",
            login.text
        );

        let now = store.get(&id).await.unwrap().unwrap().role;
        for session in sessions.list(&id).await.unwrap() {
            assert_eq!(session.role, now, "a session outlived the change to {role}");
        }
    }
}

/// Every sign-in now writes the profile (`accessRev`) with its session: sign-ins of one account at the
/// same moment must still all succeed. (From four addresses: concurrent attempts from one address
/// collide on that address's login window, which answers 429 by design.)
#[tokio::test]
async fn concurrent_logins_of_one_account_all_open_a_session() {
    let app = spawn_app().await;
    let client = account(&app, Role::Client).await;
    let body = json!({"email": client.email, "password": PASSWORD});

    let logins = futures_util::future::join_all((2..6).map(|n| {
        let from = app.client_from(&format!("127.0.0.{n}"));
        from.post(app.url("/auth/login")).json(&body).send()
    }))
    .await;

    for login in logins {
        let login = api_tests::Answer::read(login.unwrap()).await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.text);
    }
    let sessions = identity::SessionStore::new(app.dynamodb.clone(), &app.table_name)
        .list(&client.id.parse().unwrap())
        .await
        .unwrap();
    assert_eq!(sessions.len(), 5, "the first login's and four more");
}

#[tokio::test]
async fn deleting_one_s_own_account_needs_the_password_and_wrong_ones_count_as_failed_logins() {
    let app = spawn_app().await;
    let client = account(&app, Role::Client).await;
    let me = Users::as_(&app, &client.access);

    me.delete_me(&json!({}))
        .await
        .fails(StatusCode::BAD_REQUEST, "validation_failed");
    for _ in 0..5 {
        me.delete_me(&json!({"password": "wrong-password"}))
            .await
            .fails(StatusCode::FORBIDDEN, "wrong_password");
    }
    me.delete_me(&json!({"password": PASSWORD}))
        .await
        .fails(StatusCode::TOO_MANY_REQUESTS, "too_many_login_attempts");
    Auth::anonymous(&app)
        .login(&client.email, PASSWORD)
        .await
        .fails(StatusCode::TOO_MANY_REQUESTS, "too_many_login_attempts");
    Users::anonymous(&app)
        .delete_me(&json!({"password": PASSWORD}))
        .await
        .fails(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(me.me().await.ok()["_id"], client.id.as_str(), "not deleted");
}

#[tokio::test]
async fn a_user_deletes_their_own_account_and_can_register_the_email_again() {
    let app = spawn_app().await;
    let client = account(&app, Role::Client).await;
    let me = Users::as_(&app, &client.access);

    let deleted = me.delete_me(&json!({"password": PASSWORD})).await.ok();

    assert_eq!(deleted, json!({"success": true}));
    me.me()
        .await
        .fails(StatusCode::UNAUTHORIZED, "unauthorized");
    Auth::anonymous(&app)
        .login(&client.email, PASSWORD)
        .await
        .fails(StatusCode::UNAUTHORIZED, "invalid_email_or_password");
    assert!(
        items_of(&app, &format!("USER#{}", client.id))
            .await
            .is_empty()
    );
    app.register(&client.email, PASSWORD).await;
}

#[tokio::test]
async fn an_account_without_a_password_deletes_itself_only_right_after_signing_in() {
    let app = spawn_app().await;
    let users = identity::UserStore::new(app.dynamodb.clone(), &app.table_name);
    let linked = users
        .create_linked(
            identity::users::NewLinkedUser {
                email: None,
                full_name: "Octo Cat".into(),
                provider: identity::Provider::Github,
                subject: "4242".into(),
            },
            None,
        )
        .await
        .unwrap();
    // Signed in through GitHub an hour ago, and again just now.
    let sessions = identity::SessionStore::new(app.dynamodb.clone(), &app.table_name);
    let issuer = identity::TokenIssuer::new(
        &shared::auth::VerifierConfig::read(&mut app.deployment.env()),
        &app.deployment.signing_key,
        identity::IssuerConfig::read(&mut app.deployment.env()),
    );
    let now = shared::clock::now_secs();
    let mut tokens = Vec::new();
    for signed_in_at in [now - 3600, now] {
        let session = shared::auth::session::SessionRecord::new(
            linked.id,
            Role::Client,
            None,
            signed_in_at,
            86_400,
        );
        let current = users.get(&linked.id).await.unwrap().unwrap();
        sessions
            .create(&session, users.session_guard(&current), &[])
            .await
            .unwrap();
        tokens.push(
            issuer
                .access(linked.id, Role::Client, session.session_id)
                .unwrap()
                .token,
        );
    }

    Users::as_(&app, &tokens[0])
        .delete_me(&json!({}))
        .await
        .fails(StatusCode::FORBIDDEN, "sign_in_again");
    Users::as_(&app, &tokens[1])
        .delete_me(&json!({}))
        .await
        .ok();

    assert!(users.get(&linked.id).await.unwrap().is_none());
    assert!(
        items_of(&app, "OAUTH#github#4242").await.is_empty(),
        "the link is gone"
    );
    Users::as_(&app, &tokens[0])
        .me()
        .await
        .fails(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn a_deleted_user_s_personal_data_is_gone_and_their_order_stays_anonymised() {
    let shop = Shop::open().await;
    let app = &shop.app;
    let coffee = shop.stocked("Coffee", 4.0, 9).await;
    let order = crate::orders::ordered(&shop, &coffee, 1).await;
    shop.shopper().add(&coffee, 1).await.ok();
    let client = Users::as_(app, &shop.client).me().await.ok();
    let (id, email) = (field(&client, "_id"), field(&client, "email"));
    Auth::anonymous(app)
        .send_guest_otp(&email, Some("reset_password"))
        .await
        .ok();
    Auth::anonymous(app)
        .login(&email, "wrong-password")
        .await
        .fails(StatusCode::UNAUTHORIZED, "invalid_email_or_password");
    assert!(
        !items_of(app, &format!("OTP#reset_password#{email}"))
            .await
            .is_empty()
    );
    let before = items_of(app, &format!("USER#{id}")).await;
    assert!(
        before.iter().any(|sk| sk.starts_with("CART#")),
        "{before:?}"
    );

    let deleted = Users::as_(app, &shop.admin).delete(&id).await.ok();

    assert_eq!(deleted["message"], "User deleted successfully");
    let left = items_of(app, &format!("USER#{id}")).await;
    assert!(
        left.iter()
            .all(|sk| sk.starts_with("ORDER#") || sk.starts_with("OFFERUSE#")),
        "profile, sessions and carts are gone: {left:?}"
    );
    assert!(left.contains(&format!("ORDER#{order}")));
    assert!(
        items_of(app, &format!("EMAIL#{email}")).await.is_empty(),
        "marker and counter"
    );
    assert!(
        items_of(app, &format!("OTP#reset_password#{email}"))
            .await
            .is_empty()
    );
    Users::as_(app, &shop.client)
        .me()
        .await
        .fails(StatusCode::UNAUTHORIZED, "unauthorized");
    Users::as_(app, &shop.admin)
        .get(&id)
        .await
        .fails(StatusCode::NOT_FOUND, "user_not_found");

    let kept = shop.as_staff().staff_order(&order).await.ok();
    assert_eq!(
        kept["user"],
        json!({"_id": id, "fullName": "Deleted user", "email": "", "deleted": true})
    );
    let listed = shop.as_staff().staff_orders("").await.ok();
    assert_eq!(listed["data"][0]["user"]["fullName"], "Deleted user");
    assert_eq!(listed["data"][0]["user"]["email"], "");
}

#[tokio::test]
async fn ops_users_commands_manage_accounts_like_the_admin_routes() {
    use ops::users::{UsersAction, run};
    let app = spawn_app().await;
    let admin = account(&app, Role::Admin).await;
    let employee = account(&app, Role::Employee).await;
    let id: Id = employee.id.parse().unwrap();
    let ops = |action| run(app.dynamodb.clone(), &app.table_name, action);

    let listed = ops(UsersAction::List(identity::admin::UserFilter {
        search: None,
        role: Some(Role::Employee),
    }))
    .await
    .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].starts_with(&format!("{id}\temployee\tenabled\t{}", employee.email)));

    let changed = ops(UsersAction::Change(
        id,
        AccessChange {
            role: Some(Role::Client),
            disabled: Some(true),
        },
    ))
    .await
    .unwrap();
    assert!(changed[0].contains("\tclient\tdisabled\t"), "{changed:?}");
    Users::as_(&app, &employee.access)
        .me()
        .await
        .fails(StatusCode::UNAUTHORIZED, "unauthorized");

    let admin_id: Id = admin.id.parse().unwrap();
    let refused = ops(UsersAction::Delete(admin_id)).await.unwrap_err();
    assert!(
        refused.to_string().contains("no enabled admin"),
        "{refused}"
    );
    ops(UsersAction::Delete(id)).await.unwrap();
    let gone = ops(UsersAction::Show(id)).await.unwrap_err();
    assert_eq!(gone.to_string(), "no such user");
}

/// Users stored before the user list and the admin count existed: `ops users reindex` lists them and
/// counts the enabled admins, after which the last-admin rule holds for them too.
#[tokio::test]
async fn ops_users_reindex_lists_older_users_and_counts_their_admins() {
    use ops::users::{UsersAction, run};
    let app = spawn_app().await;
    let (first, second) = tokio::join!(account(&app, Role::Admin), account(&app, Role::Admin));
    for admin in [&first, &second] {
        app.dynamodb
            .update_item()
            .table_name(&app.table_name)
            .key("PK", AttributeValue::S(format!("USER#{}", admin.id)))
            .key("SK", AttributeValue::S("PROFILE".into()))
            .update_expression("REMOVE GSI1PK, GSI1SK")
            .send()
            .await
            .unwrap();
    }
    app.dynamodb
        .delete_item()
        .table_name(&app.table_name)
        .key("PK", AttributeValue::S("ADMINS".into()))
        .key("SK", AttributeValue::S("COUNT".into()))
        .send()
        .await
        .unwrap();
    let users = Users::as_(&app, &first.access);
    assert_eq!(users.list("").await.ok()["metadata"]["total"], 0);

    let report = run(app.dynamodb.clone(), &app.table_name, UsersAction::Reindex)
        .await
        .unwrap();

    assert_eq!(
        report,
        [
            "2 users added to the user list; 2 enabled admins counted; 0 password hashes moved onto their email markers"
        ]
    );
    assert_eq!(users.list("").await.ok()["metadata"]["total"], 2);
    assert_eq!(admin_count(&app).await, 2);
    users.set_role(&second.id, "employee").await.ok();
    users
        .set_role(&first.id, "employee")
        .await
        .fails(StatusCode::CONFLICT, "last_admin");
}

/// The sample event goes through `lambda_http::Adapter`, as on Lambda.
#[tokio::test]
async fn the_users_function_answers_its_sample_event() {
    let app = spawn_app().await;
    let admin = account(&app, Role::Admin).await;
    let client = account(&app, Role::Client).await;
    let path = format!(
        "{}/../events/users-patch-staff.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let event = std::fs::read_to_string(path)
        .unwrap()
        .replace(
            "REPLACED-BY-THE-TEST-WITH-AN-ADMIN-ACCESS-TOKEN",
            &admin.access,
        )
        .replace("REPLACED-BY-THE-TEST-WITH-A-USER-ID", &client.id);
    let event: lambda_http::request::LambdaRequest = serde_json::from_str(&event).unwrap();
    let mut adapter =
        lambda_http::Adapter::from(api_tests::function_router("users", &app.deployment));

    let response = lambda_http::Service::call(
        &mut adapter,
        lambda_http::LambdaEvent::new(event, lambda_http::Context::default()),
    )
    .await
    .unwrap();

    let response = serde_json::to_value(response).unwrap();
    assert_eq!(response["statusCode"], 200, "{response}");
    let body: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["role"], "employee");
    assert_eq!(body["_id"], client.id.as_str());
}
