variable "region" {
  type        = string
  description = "Region of the bucket, the KMS key, the secrets and the ECS task."
  default     = "eu-west-1"
}

variable "bucket_name" {
  type        = string
  description = "Name of the media bucket, unique across S3, such as \"my-app-media\"."
}

variable "app_origin" {
  type        = string
  description = "Origin at which users open the Streamlit app, such as \"https://app.example.com\". It becomes the only CORS origin."
}

variable "cloudfront_public_key_pem" {
  type        = string
  description = "PEM public key whose private half, stored in the Secrets Manager secret cloudfront-private-key, signs the CloudFront URLs."
}

variable "cdn_domain_name" {
  type        = string
  description = "Custom domain of the CDN, such as \"media.example.com\". Null serves the media from the *.cloudfront.net domain."
  default     = null
}

variable "cdn_acm_certificate_arn" {
  type        = string
  description = "ARN of an ACM certificate in us-east-1 for cdn_domain_name. Required with cdn_domain_name."
  default     = null
}

variable "source_bucket_names" {
  type        = list(string)
  description = "Existing buckets from which the app reads s3:// media sources."
  default     = []
}

variable "container_image" {
  type        = string
  description = "Container image with s3-media-storage installed and the Streamlit script at /app/app.py."
}
