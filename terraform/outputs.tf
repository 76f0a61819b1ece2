output "environment" {
  description = "Environment variables for the storage's from_env(), keyed by name. Unused ones are empty strings. S3_MEDIA_CLOUDFRONT_PRIVATE_KEY and S3_MEDIA_ID_SECRET are secrets that the user supplies outside Terraform."
  value       = local.environment
}

output "s3_media_bucket" {
  description = "Name of the media bucket (S3_MEDIA_BUCKET)."
  value       = aws_s3_bucket.this.id
}

output "s3_media_prefix" {
  description = "Key prefix of the media objects (S3_MEDIA_PREFIX), or \"/\" for the top of the bucket."
  value       = local.prefix_variable
}

output "aws_region" {
  description = "Region of the media bucket (AWS_REGION)."
  value       = aws_s3_bucket.this.region
}

output "s3_media_lifecycle_days" {
  description = "Days after which S3 deletes a media object (S3_MEDIA_LIFECYCLE_DAYS)."
  value       = var.lifecycle_days
}

output "s3_media_url_mode" {
  description = "How the storage builds media URLs: presigned, cdn-public or cdn-signed (S3_MEDIA_URL_MODE)."
  value       = local.url_mode
}

output "s3_media_cdn_url" {
  description = "Base URL of the CloudFront distribution, https://DOMAIN without a trailing slash, or null when the URL mode is presigned (S3_MEDIA_CDN_URL)."
  value       = local.cdn_url
}

output "s3_media_cloudfront_key_pair_id" {
  description = "ID of the CloudFront public key that verifies signed URLs, or null unless the URL mode is cdn-signed (S3_MEDIA_CLOUDFRONT_KEY_PAIR_ID)."
  value       = local.key_pair_id
}

output "s3_media_delete_files" {
  description = "Whether the storage may delete objects that no session uses any more (S3_MEDIA_DELETE_FILES)."
  value       = var.delete_files
}

output "s3_media_source_buckets" {
  description = "Buckets that s3:// media sources may name, which the app may read (S3_MEDIA_SOURCE_BUCKETS, comma-separated there)."
  value       = var.source_bucket_names
}

output "bucket_arn" {
  description = "ARN of the media bucket."
  value       = aws_s3_bucket.this.arn
}

output "iam_policy_arn" {
  description = "ARN of the IAM policy that grants the app its S3 access, and KMS access with kms_key_arn."
  value       = aws_iam_policy.app.arn
}

output "iam_policy_json" {
  description = "JSON document of the IAM policy that grants the app its S3 access."
  value       = data.aws_iam_policy_document.app.json
}

output "doctor_iam_policy_arn" {
  description = "ARN of the IAM policy that s3-media doctor needs besides the app's policy: reading the bucket's settings and deleting its probe object."
  value       = aws_iam_policy.doctor.arn
}

output "iam_role_arn" {
  description = "ARN of the app's IAM role, or null without create_iam_role."
  value       = one(aws_iam_role.app[*].arn)
}

output "iam_role_name" {
  description = "Name of the app's IAM role, or null without create_iam_role."
  value       = one(aws_iam_role.app[*].name)
}

output "iam_instance_profile_name" {
  description = "Name of the instance profile for EC2, or null unless create_iam_role is true and iam_role_service_principals contains ec2.amazonaws.com."
  value       = one(aws_iam_instance_profile.app[*].name)
}

output "cloudfront_distribution_id" {
  description = "ID of the CloudFront distribution, or null without create_cloudfront."
  value       = one(aws_cloudfront_distribution.this[*].id)
}

output "cloudfront_distribution_arn" {
  description = "ARN of the CloudFront distribution, or null without create_cloudfront."
  value       = one(aws_cloudfront_distribution.this[*].arn)
}

output "cloudfront_domain_name" {
  description = "Domain name of the distribution under cloudfront.net, the target of a DNS record for cloudfront_aliases, or null without create_cloudfront."
  value       = one(aws_cloudfront_distribution.this[*].domain_name)
}

output "cloudfront_hosted_zone_id" {
  description = "Route 53 hosted zone ID of the distribution, for alias records of cloudfront_aliases, or null without create_cloudfront."
  value       = one(aws_cloudfront_distribution.this[*].hosted_zone_id)
}

output "cloudfront_kms_key_policy_json" {
  description = "Key policy statement that lets the distribution decrypt SSE-KMS objects. Add it to the policy of kms_key_arn, for example through source_policy_documents. Null unless both create_cloudfront and kms_key_arn are set."
  value       = one(data.aws_iam_policy_document.cloudfront_kms[*].json)
}
