//! The harness itself and the shared data-access pieces, against the emulator.

use api_tests::spawn_app;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use shared::{
    Id,
    db::{Key, StoreError, StoreResultExt},
};

#[tokio::test]
async fn each_test_gets_its_own_empty_table() {
    let first = spawn_app().await;
    let second = spawn_app().await;
    assert_ne!(first.table_name, second.table_name);

    let key = Key::new("HARNESS".to_owned(), "ITEM");
    first
        .dynamodb
        .put_item()
        .table_name(&first.table_name)
        .set_item(Some(key.to_attributes()))
        .send()
        .await
        .unwrap();

    let seen = second
        .dynamodb
        .get_item()
        .table_name(&second.table_name)
        .set_key(Some(key.to_attributes()))
        .send()
        .await
        .unwrap();
    assert!(
        seen.item.is_none(),
        "a write in one test's table is invisible to another"
    );
}

#[tokio::test]
async fn mails_sent_through_ses_can_be_read_back() {
    let app = spawn_app().await;
    let ses = shared::aws::ses(&app.sdk_config);
    ses.create_email_identity()
        .email_identity("harness.example")
        .send()
        .await
        .ok();
    let to = format!("{}@harness.example", Id::new());

    ses.send_email()
        .from_email_address("shop@harness.example")
        .destination(Destination::builder().to_addresses(&to).build())
        .content(
            EmailContent::builder()
                .simple(
                    Message::builder()
                        .subject(Content::builder().data("Your code").build().unwrap())
                        .body(
                            Body::builder()
                                .text(
                                    Content::builder()
                                        .data("1234 is your code")
                                        .build()
                                        .unwrap(),
                                )
                                .build(),
                        )
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();

    let mails = app.mails_to(&to).await;
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert_eq!(mails[0].subject, "Your code");
    assert_eq!(mails[0].from, "shop@harness.example");
    assert!(mails[0].body.contains("1234"), "{mails:?}");
}

#[tokio::test]
async fn a_failed_condition_is_reported_as_such() {
    let app = spawn_app().await;
    let put = || {
        app.dynamodb
            .put_item()
            .table_name(&app.table_name)
            .set_item(Some(Key::new("EMAIL#a@b.co", "EMAIL").to_attributes()))
            .condition_expression("attribute_not_exists(PK)")
    };
    put().send().await.store_context("first put").unwrap();

    let second = put().send().await.store_context("second put");

    assert!(
        matches!(second, Err(StoreError::ConditionFailed)),
        "{second:?}"
    );
}

#[tokio::test]
async fn a_cancelled_transaction_says_which_item_failed() {
    let app = spawn_app().await;
    let unique = |key: Key| {
        TransactWriteItem::builder()
            .put(
                Put::builder()
                    .table_name(&app.table_name)
                    .set_item(Some(key.to_attributes()))
                    .item("note", AttributeValue::S("x".into()))
                    .condition_expression("attribute_not_exists(PK)")
                    .build()
                    .unwrap(),
            )
            .build()
    };
    let taken = Key::new("EMAIL#taken@b.co", "EMAIL");
    app.dynamodb
        .put_item()
        .table_name(&app.table_name)
        .set_item(Some(taken.to_attributes()))
        .send()
        .await
        .unwrap();
    let fresh = Key::new(format!("USER#{}", Id::new()), "PROFILE");

    let result = app
        .dynamodb
        .transact_write_items()
        .transact_items(unique(fresh.clone()))
        .transact_items(unique(taken))
        .send()
        .await
        .map_err(|e| StoreError::from_transaction(e, "register"));

    let error = result.unwrap_err();
    assert!(
        !error.failed_condition_at(0) && error.failed_condition_at(1),
        "{error:?}"
    );
    let half_written = app
        .dynamodb
        .get_item()
        .table_name(&app.table_name)
        .set_key(Some(fresh.to_attributes()))
        .send()
        .await
        .unwrap();
    assert!(
        half_written.item.is_none(),
        "nothing of a cancelled transaction stays behind"
    );
}
