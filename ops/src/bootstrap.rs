//! Creates what the API needs in an AWS account or in the local emulator: the table (exactly as
//! template.yaml declares it), the upload bucket and the mail sender identity. Safe to run again.

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
