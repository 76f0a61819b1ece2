output "environment" {
  description = "Environment variables that the task definition passes to the app, plus the two secrets it reads from Secrets Manager."
  value       = module.media_storage.environment
}

output "cdn_url" {
  description = "Base URL of the CloudFront distribution (S3_MEDIA_CDN_URL)."
  value       = module.media_storage.s3_media_cdn_url
}

output "cloudfront_domain_name" {
  description = "Domain name of the distribution under cloudfront.net, the target of a CNAME or alias record for cdn_domain_name."
  value       = module.media_storage.cloudfront_domain_name
}

output "task_definition_arn" {
  description = "ARN of the ECS task definition that runs the app."
  value       = aws_ecs_task_definition.app.arn
}

output "task_role_arn" {
  description = "ARN of the IAM role that the app runs as."
  value       = module.media_storage.iam_role_arn
}

output "cloudfront_private_key_secret_arn" {
  description = "ARN of the Secrets Manager secret to fill with the PEM private key that signs the CloudFront URLs."
  value       = aws_secretsmanager_secret.cloudfront_private_key.arn
}

output "id_secret_arn" {
  description = "ARN of the Secrets Manager secret to fill with the HMAC secret of the media IDs."
  value       = aws_secretsmanager_secret.id_secret.arn
}
