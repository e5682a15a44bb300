//! Creates what the API needs in an AWS account or in the local emulator: the table (exactly as
//! template.yaml declares it), the upload bucket and the mail sender identity, and locally the payment
//! and OAuth secrets that let the functions talk to devpay and devauth and the token signing key's
//! secret. Safe to run again.

use aws_config::SdkConfig;
use shared::{aws, config::EnvReader, db::schema};

/// What to create, from `TABLE_NAME`, `UPLOAD_BUCKET` and `MAIL_FROM`.
#[derive(Debug, Clone)]
pub struct Resources {
    pub table_name: String,
    pub bucket: String,
    pub mail_from: String,
}

impl Resources {
    pub fn read(mut env: EnvReader) -> anyhow::Result<Self> {
        let resources = Resources {
            table_name: env.required("TABLE_NAME"),
            bucket: env.required("UPLOAD_BUCKET"),
            mail_from: env.required("MAIL_FROM"),
        };
        env.finish()?;
        Ok(resources)
    }

    /// SES verifies the sender's domain, so every address of the domain can send.
    pub fn mail_domain(&self) -> &str {
        self.mail_from.rsplit('@').next().unwrap_or(&self.mail_from)
    }
}

/// `public_uploads`: let anyone read `uploads/*` from the bucket. Only for the local emulator, where the
/// bucket stands in for the CDN (`make dev` passes it); in AWS, CloudFront serves reads (template.yaml).
pub async fn run(
    sdk: &SdkConfig,
    resources: &Resources,
    public_uploads: bool,
) -> anyhow::Result<()> {
    let created = schema::ensure_table(&aws::dynamodb(sdk), &resources.table_name).await?;
    println!(
        "table {}: {}",
        resources.table_name,
        if created { "created" } else { "exists" }
    );

    let s3 = aws::s3(sdk);
    match s3.create_bucket().bucket(&resources.bucket).send().await {
        Ok(_) => println!("bucket {}: created", resources.bucket),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_bucket_already_owned_by_you()) =>
        {
            println!("bucket {}: exists", resources.bucket)
        }
        Err(e) => {
            let detail = aws_sdk_s3::error::DisplayErrorContext(e);
            anyhow::bail!("Failed to create bucket {}: {detail}", resources.bucket);
        }
    }

    if public_uploads {
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                "Resource": format!("arn:aws:s3:::{}/uploads/*", resources.bucket)}],
        });
        s3.put_bucket_policy()
            .bucket(&resources.bucket)
            .policy(policy.to_string())
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "Failed to open local reads of uploads: {}",
                    aws_sdk_s3::error::DisplayErrorContext(e)
                )
            })?;
        println!(
            "bucket {}: uploads/* readable without credentials (local only)",
            resources.bucket
        );
    }

    let ses = aws::ses(sdk);
    let domain = resources.mail_domain();
    match ses
        .create_email_identity()
        .email_identity(domain)
        .send()
        .await
    {
        Ok(_) => println!("mail identity {domain}: created"),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_already_exists_exception()) =>
        {
            println!("mail identity {domain}: exists")
        }
        Err(e) => {
            let detail = aws_sdk_sesv2::error::DisplayErrorContext(e);
            anyhow::bail!("Failed to create mail identity {domain}: {detail}");
        }
    }
    Ok(())
}

/// The local payment secret: `PAYMENT_SECRET_ID` names it, and it holds devpay's keys
/// (`DEVPAY_SECRET_KEY`, `DEVPAY_WEBHOOK_SECRET`, generated once per checkout by `scripts/devpay.sh`).
/// In AWS the secret holds Stripe's keys and is written by an operator, never by this tool.
pub struct LocalPaymentKeys {
    pub secret_id: String,
    pub secret_key: String,
    pub webhook_secret: String,
}

impl LocalPaymentKeys {
    pub fn read(mut env: EnvReader) -> anyhow::Result<Self> {
        let keys = LocalPaymentKeys {
            secret_id: env.required("PAYMENT_SECRET_ID"),
            secret_key: env.required("DEVPAY_SECRET_KEY"),
            webhook_secret: env.required("DEVPAY_WEBHOOK_SECRET"),
        };
        env.finish()?;
        Ok(keys)
    }
}

/// Creates the payment secret, or brings its value up to date when it exists (the keys in `.dev/` may
/// have been regenerated while the emulator kept running). Returns whether it was created.
pub async fn ensure_local_payment_secret(
    sdk: &SdkConfig,
    keys: &LocalPaymentKeys,
) -> anyhow::Result<bool> {
    let value =
        serde_json::json!({"secretKey": keys.secret_key, "webhookSecret": keys.webhook_secret})
            .to_string();
    ensure_secret(sdk, &keys.secret_id, value).await
}

/// The local OAuth secret: `OAUTH_SECRET_ID` names it, and it holds devauth's client secret
/// (`DEVAUTH_CLIENT_SECRET`, generated once per checkout by `scripts/devauth.sh`) for both providers.
/// In AWS it holds the GitHub and Google apps' secrets and is written by an operator.
pub struct LocalOAuthSecret {
    pub secret_id: String,
    pub client_secret: String,
}

impl LocalOAuthSecret {
    pub fn read(mut env: EnvReader) -> anyhow::Result<Self> {
        let secret = LocalOAuthSecret {
            secret_id: env.required("OAUTH_SECRET_ID"),
            client_secret: env.required("DEVAUTH_CLIENT_SECRET"),
        };
        env.finish()?;
        Ok(secret)
    }
}

/// Creates the OAuth secret or brings it up to date. Returns whether it was created.
pub async fn ensure_local_oauth_secret(
    sdk: &SdkConfig,
    secret: &LocalOAuthSecret,
) -> anyhow::Result<bool> {
    let value = serde_json::json!({
        "githubClientSecret": secret.client_secret,
        "googleClientSecret": secret.client_secret,
    })
    .to_string();
    ensure_secret(sdk, &secret.secret_id, value).await
}

/// The local token signing key: `TOKEN_SIGNING_SECRET_ID` names its secret, and `TOKEN_SIGNING_KEY`
/// is the value (made once per checkout by `ops keys new --env`, kept in `.dev/token-keys.env`). In AWS
/// an operator writes the secret (README, "Token keys and their rotation"), never this tool.
pub struct LocalTokenKey {
    pub secret_id: String,
    pub key: identity::SigningKey,
}

impl LocalTokenKey {
    pub fn read(mut env: EnvReader) -> anyhow::Result<Self> {
        let secret_id = env.required("TOKEN_SIGNING_SECRET_ID");
        let value = secrecy::SecretString::from(env.required("TOKEN_SIGNING_KEY"));
        env.finish()?;
        let key =
            identity::SigningKey::from_secret_json(secrecy::ExposeSecret::expose_secret(&value))
                .map_err(|e| anyhow::anyhow!("TOKEN_SIGNING_KEY: {e}"))?;
        Ok(LocalTokenKey { secret_id, key })
    }
}

/// Creates the signing-key secret, or sets its value when it exists. Returns whether it was created.
pub async fn ensure_local_token_key(sdk: &SdkConfig, key: &LocalTokenKey) -> anyhow::Result<bool> {
    let value = key.key.to_secret_json();
    ensure_secret(
        sdk,
        &key.secret_id,
        secrecy::ExposeSecret::expose_secret(&value).to_owned(),
    )
    .await
}

/// Creates the secret `secret_id` with `value`, or sets its value when it exists.
async fn ensure_secret(sdk: &SdkConfig, secret_id: &str, value: String) -> anyhow::Result<bool> {
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    match client
        .create_secret()
        .name(secret_id)
        .secret_string(&value)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_exists_exception()) =>
        {
            client
                .put_secret_value()
                .secret_id(secret_id)
                .secret_string(value)
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "Failed to update the secret {secret_id}: {}",
                        aws_sdk_secretsmanager::error::DisplayErrorContext(e)
                    )
                })?;
            Ok(false)
        }
        Err(e) => anyhow::bail!(
            "Failed to create the secret {secret_id}: {}",
            aws_sdk_secretsmanager::error::DisplayErrorContext(e)
        ),
    }
}
