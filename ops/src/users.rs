//! Accounts as operators manage them (`ops users ...`): the same `identity::admin` operations the
//! admin routes call, against the table in `TABLE_NAME` (the local emulator through
//! `AWS_ENDPOINT_URL`, or AWS). Every change ends the account's sessions in the same transaction, and
//! none leaves the deployment without an enabled admin.

use identity::{
    UserRecord,
    admin::{AccessChange, Accounts, ManageError, UserFilter},
};
use orders::store::OrdersStore;
use shared::{Id, auth::Role};

/// What an operator asks for.
#[derive(Clone, Debug)]
pub enum UsersAction {
    List(UserFilter),
    Show(Id),
    Change(Id, AccessChange),
    Delete(Id),
    /// After an upgrade: list older users and count the enabled admins (a Scan).
    Reindex,
    /// How many accounts still have a password hash imported from Belta (bcrypt; a Scan).
    LegacyPasswords,
}

/// Runs `action` and returns what to print, one line per user (or the outcome).
pub async fn run(
    db: aws_sdk_dynamodb::Client,
    table: &str,
    action: UsersAction,
) -> anyhow::Result<Vec<String>> {
    let accounts = Accounts::new(db.clone(), table);
    let explain = |error: ManageError| match error {
        ManageError::NotFound => anyhow::anyhow!("no such user"),
        ManageError::LastAdmin => {
            anyhow::anyhow!("refused: it would leave no enabled admin")
        }
        ManageError::Changed => anyhow::anyhow!("the account kept changing; try again"),
        ManageError::Unexpected(cause) => anyhow::Error::new(cause).context("Failed"),
    };
    Ok(match action {
        UsersAction::List(filter) => accounts
            .users_matching(&filter)
            .await?
            .iter()
            .map(line)
            .collect(),
        UsersAction::Show(id) => vec![line(&accounts.account(&id).await.map_err(explain)?)],
        UsersAction::Change(id, change) => {
            let user = accounts.change_access(&id, change).await.map_err(explain)?;
            vec![line(&user), "its sessions were ended".into()]
        }
        UsersAction::Delete(id) => {
            let carts = OrdersStore::new(db, table).erase_carts_in_transaction(&id);
            accounts.delete_account(&id, carts).await.map_err(explain)?;
            vec![format!("{id} deleted; its orders are kept, anonymised")]
        }
        UsersAction::Reindex => {
            let done = accounts.users.reindex().await?;
            vec![format!(
                "{} users added to the user list; {} enabled admins counted; {} password hashes moved onto their email markers",
                done.listed, done.admins, done.credentials_moved
            )]
        }
        UsersAction::LegacyPasswords => {
            let count = accounts.users.count_legacy_password_hashes().await?;
            vec![format!(
                "{count} accounts still have a bcrypt password hash from Belta (each is replaced by argon2id at its next login)"
            )]
        }
    })
}

/// `id  role  enabled|disabled  email  full name`, tab-separated.
fn line(user: &UserRecord) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}",
        user.id,
        user.role.as_str(),
        if user.disabled { "disabled" } else { "enabled" },
        if user.email.is_empty() {
            "-"
        } else {
            &user.email
        },
        user.full_name
    )
}

/// A role as the command line spells it.
pub fn parse_role(raw: &str) -> Result<Role, String> {
    match raw {
        "client" => Ok(Role::Client),
        "employee" => Ok(Role::Employee),
        "admin" => Ok(Role::Admin),
        _ => Err("one of client, employee, admin".into()),
    }
}

/// A user id as the command line spells it.
pub fn parse_id(raw: &str) -> Result<Id, String> {
    raw.parse()
        .map_err(|_| "24 hexadecimal characters".to_owned())
}
