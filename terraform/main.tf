data "aws_partition" "current" {}

locals {
  # The distribution accepts only signed URLs when it trusts a key group, and
  # the key group needs the public key.
  cloudfront_signed = var.create_cloudfront && var.cloudfront_public_key_pem != null

  url_mode = coalesce(
    var.url_mode,
    local.cloudfront_signed ? "cdn-signed" : (var.create_cloudfront ? "cdn-public" : "presigned"),
  )

  # Objects under the prefix. With an empty prefix, this is every object.
  media_objects_arn = "${aws_s3_bucket.this.arn}/${var.prefix}*"

  # The storage rejects a CDN URL or key pair ID next to url_mode "presigned",
  # so both stay unset in that mode even when the distribution exists.
  cdn_domain_name = length(var.cloudfront_aliases) > 0 ? var.cloudfront_aliases[0] : one(aws_cloudfront_distribution.this[*].domain_name)
  cdn_url         = var.create_cloudfront && local.url_mode != "presigned" ? "https://${local.cdn_domain_name}" : null
  key_pair_id     = local.url_mode == "cdn-signed" ? one(aws_cloudfront_public_key.this[*].id) : null

  # from_env() treats an empty S3_MEDIA_PREFIX as unset ("media/"), so the
  # top of the bucket is "/".
  prefix_variable = var.prefix == "" ? "/" : var.prefix

  # The variables that the storage's from_env() reads. Unused ones are empty
  # strings, which the storage treats as unset, so the map always has the
  # same keys and every value is a string.
  environment = {
    S3_MEDIA_BUCKET                 = aws_s3_bucket.this.id
    S3_MEDIA_PREFIX                 = local.prefix_variable
    AWS_REGION                      = aws_s3_bucket.this.region
    S3_MEDIA_LIFECYCLE_DAYS         = tostring(var.lifecycle_days)
    S3_MEDIA_URL_MODE               = local.url_mode
    S3_MEDIA_CDN_URL                = local.cdn_url != null ? local.cdn_url : ""
    S3_MEDIA_CLOUDFRONT_KEY_PAIR_ID = local.key_pair_id != null ? local.key_pair_id : ""
    S3_MEDIA_DELETE_FILES           = tostring(var.delete_files)
    S3_MEDIA_SOURCE_BUCKETS         = join(",", var.source_bucket_names)
  }
}
