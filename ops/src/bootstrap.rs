//! Creates what the API needs in an AWS account or in the local emulator: the table (exactly as
//! template.yaml declares it), the upload bucket, the catalogue snapshot bucket, the mail queue and the upload-check queue (each with
//! its dead-letter queue; the bucket sends its quarantine's events to the second), the mail sender
//! identity, and locally the payment and OAuth secrets that let the functions talk to devpay and
//! devauth and the token signing key's secret. Safe to run again.

use aws_config::SdkConfig;
use shared::{aws, config::EnvReader, db::schema};

/// What to create, from `TABLE_NAME`, `UPLOAD_BUCKET`, `MAIL_FROM`, `MAIL_QUEUE_URL` and
/// `UPLOAD_CHECK_QUEUE_URL` (each queue is named by its URL's last segment).
#[derive(Debug, Clone)]
pub struct Resources {
    pub table_name: String,
    pub bucket: String,
    pub mail_from: String,
    pub mail_queue_url: String,
    pub upload_check_queue_url: String,
    /// `CATALOG_SNAPSHOT_BUCKET`, if the stack keeps a catalogue snapshot object.
    pub catalog_bucket: Option<String>,
}

impl Resources {
    pub fn read(mut env: EnvReader) -> anyhow::Result<Self> {
        let resources = Resources {
            table_name: env.required("TABLE_NAME"),
            bucket: env.required("UPLOAD_BUCKET"),
            mail_from: env.required("MAIL_FROM"),
            mail_queue_url: env.required("MAIL_QUEUE_URL"),
            upload_check_queue_url: env.required("UPLOAD_CHECK_QUEUE_URL"),
            catalog_bucket: catalog::stored::bucket_setting(&env),
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
    for bucket in std::iter::once(&resources.bucket).chain(&resources.catalog_bucket) {
        match s3.create_bucket().bucket(bucket).send().await {
            Ok(_) => println!("bucket {bucket}: created"),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_bucket_already_owned_by_you()) =>
            {
                println!("bucket {bucket}: exists")
            }
            Err(e) => {
                let detail = aws_sdk_s3::error::DisplayErrorContext(e);
                anyhow::bail!("Failed to create bucket {bucket}: {detail}");
            }
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

    for (variable, url, spec) in [
        (
            "MAIL_QUEUE_URL",
            &resources.mail_queue_url,
            QueueSpec::mail as fn(&str, u32) -> QueueSpec,
        ),
        (
            "UPLOAD_CHECK_QUEUE_URL",
            &resources.upload_check_queue_url,
            QueueSpec::upload_check,
        ),
    ] {
        let name = queue_name(url);
        let queue = ensure_queue(sdk, &spec(name, LOCAL_VISIBILITY_SECS)).await?;
        anyhow::ensure!(
            &queue.url == url,
            "{variable} is {url}, but the queue {name} is at {}",
            queue.url
        );
        println!("queue {name}: ready (dead letters in {name}-dlq)");
        if variable == "UPLOAD_CHECK_QUEUE_URL" {
            ensure_upload_events(sdk, &resources.bucket, &queue).await?;
            println!(
                "bucket {}: new objects under quarantine/ are announced on {name}",
                resources.bucket
            );
        }
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

/// How long a received message stays hidden from other receivers in the local stack: longer than any
/// handler runs, as Lambda requires of a queue it polls.
pub const LOCAL_VISIBILITY_SECS: u32 = 30;
/// Tries before a message moves to its dead-letter queue (template.yaml's `maxReceiveCount`).
pub const MAX_RECEIVES: u32 = 3;
/// How long the dead-letter queues keep what failed, counted from the first send, for an operator to
/// look at (template.yaml declares the same).
pub const DEAD_LETTER_RETENTION_SECS: u32 = 24 * 3600;

/// A queue as template.yaml declares it: encrypted at rest, with a dead-letter queue `<name>-dlq`
/// that takes a message after [`MAX_RECEIVES`] tries.
pub struct QueueSpec {
    pub name: String,
    /// How long an unreceived message is kept.
    pub retention_secs: u32,
    pub visibility_secs: u32,
}

impl QueueSpec {
    /// The mail queue: a mail is kept no longer than the one-time code it may carry lives.
    pub fn mail(name: &str, visibility_secs: u32) -> Self {
        QueueSpec {
            name: name.to_owned(),
            retention_secs: identity::codes::CODE_TTL_SECS as u32,
            visibility_secs,
        }
    }

    /// The upload-check queue: an event is worth a try as long as its quarantined object is kept.
    pub fn upload_check(name: &str, visibility_secs: u32) -> Self {
        QueueSpec {
            name: name.to_owned(),
            retention_secs: DEAD_LETTER_RETENTION_SECS,
            visibility_secs,
        }
    }
}

/// Tells `queue` about every object created under the bucket's quarantine (template.yaml's
/// `NotificationConfiguration`).
pub async fn ensure_upload_events(
    sdk: &SdkConfig,
    bucket: &str,
    queue: &Queue,
) -> anyhow::Result<()> {
    use aws_sdk_s3::types::{
        Event, FilterRule, FilterRuleName, NotificationConfiguration,
        NotificationConfigurationFilter, QueueConfiguration, S3KeyFilter,
    };
    let quarantine = FilterRule::builder()
        .name(FilterRuleName::Prefix)
        .value(upload::presigned::QUARANTINE_PREFIX)
        .build();
    let configuration = NotificationConfiguration::builder()
        .queue_configurations(
            QueueConfiguration::builder()
                .queue_arn(&queue.arn)
                .events(Event::S3ObjectCreated)
                .filter(
                    NotificationConfigurationFilter::builder()
                        .key(S3KeyFilter::builder().filter_rules(quarantine).build())
                        .build(),
                )
                .build()?,
        )
        .build();
    aws::s3(sdk)
        .put_bucket_notification_configuration()
        .bucket(bucket)
        .notification_configuration(configuration)
        .send()
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "Failed to announce {bucket}'s uploads: {}",
                aws_sdk_s3::error::DisplayErrorContext(e)
            )
        })?;
    Ok(())
}

/// A queue's URL (for senders and pollers) and ARN (for redrive policies and notifications).
pub struct Queue {
    pub url: String,
    pub arn: String,
}

/// The last segment of a queue URL, which is the queue's name.
pub fn queue_name(url: &str) -> &str {
    url.trim_end_matches('/').rsplit('/').next().unwrap_or(url)
}

/// Creates the queue and its dead-letter queue, or finds them (creating a queue that exists with
/// the same attributes is a no-op in SQS).
pub async fn ensure_queue(sdk: &SdkConfig, spec: &QueueSpec) -> anyhow::Result<Queue> {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let sqs = aws::sqs(sdk);
    let create = |name: String, attributes: Vec<(A, String)>| {
        let sqs = sqs.clone();
        async move {
            let url = sqs
                .create_queue()
                .queue_name(&name)
                .set_attributes(Some(attributes.into_iter().collect()))
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "Failed to create the queue {name}: {}",
                        aws_sdk_sqs::error::DisplayErrorContext(e)
                    )
                })?
                .queue_url
                .ok_or_else(|| anyhow::anyhow!("SQS returned no URL for {name}"))?;
            let arn = sqs
                .get_queue_attributes()
                .queue_url(&url)
                .attribute_names(A::QueueArn)
                .send()
                .await
                .map_err(|e| {
                    anyhow::anyhow!(
                        "Failed to read the queue {name}: {}",
                        aws_sdk_sqs::error::DisplayErrorContext(e)
                    )
                })?
                .attributes
                .and_then(|mut a| a.remove(&A::QueueArn))
                .ok_or_else(|| anyhow::anyhow!("SQS returned no ARN for {name}"))?;
            anyhow::Ok(Queue { url, arn })
        }
    };
    let dead_letters = create(
        format!("{}-dlq", spec.name),
        vec![
            (A::SqsManagedSseEnabled, "true".into()),
            (
                A::MessageRetentionPeriod,
                DEAD_LETTER_RETENTION_SECS.to_string(),
            ),
        ],
    )
    .await?;
    let redrive = serde_json::json!({
        "deadLetterTargetArn": dead_letters.arn,
        "maxReceiveCount": MAX_RECEIVES,
    });
    create(
        spec.name.clone(),
        vec![
            (A::SqsManagedSseEnabled, "true".into()),
            (A::MessageRetentionPeriod, spec.retention_secs.to_string()),
            (A::VisibilityTimeout, spec.visibility_secs.to_string()),
            (A::RedrivePolicy, redrive.to_string()),
        ],
    )
    .await
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
