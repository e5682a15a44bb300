//! The table's schema as the bootstrap and the tests create it. template.yaml declares the same table;
//! `tests/tests/api/consistency.rs` compares the two.

use aws_sdk_dynamodb::{
    Client,
    types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        Projection, ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
    },
};

use super::{
    StoreResultExt,
    keys::{EXPIRES_AT, GSI1, GSI1PK, GSI1SK, PK, SK},
};

fn key(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .expect("static key schema")
}

fn string_attribute(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .expect("static attribute definition")
}

/// Creates the table (on-demand, `PK`/`SK`, `GSI1` with every attribute projected, TTL on `expiresAt`) if it does not exist yet.
/// Returns whether it was created.
pub async fn ensure_table(client: &Client, table_name: &str) -> anyhow::Result<bool> {
    let created = client
        .create_table()
        .table_name(table_name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(
            [PK, SK, GSI1PK, GSI1SK].map(string_attribute).to_vec(),
        ))
        .key_schema(key(PK, KeyType::Hash))
        .key_schema(key(SK, KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(GSI1)
                .key_schema(key(GSI1PK, KeyType::Hash))
                .key_schema(key(GSI1SK, KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()?,
        )
        .send()
        .await;
    match created {
        Ok(_) => {}
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            return Ok(false);
        }
        Err(error) => {
            return Err(error)
                .store_context("Failed to create the table")
                .map_err(Into::into);
        }
    }
    client
        .update_time_to_live()
        .table_name(table_name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(EXPIRES_AT)
                .enabled(true)
                .build()?,
        )
        .send()
        .await
        .store_context("Failed to enable TTL")?;
    Ok(true)
}
