resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_18:Server access logs of short-lived, content-addressed media add cost without an audit need. Use CloudTrail data events where an audit is required.
  #checkov:skip=CKV_AWS_144:Media objects are short-lived copies of what the app generates and expire after lifecycle_days, so a replica in a second region is not worth its cost.
  #checkov:skip=CKV_AWS_145:SSE-S3 is the default because SSE-KMS behind CloudFront needs a key policy that this module does not own. Set kms_key_arn for SSE-KMS.
  #checkov:skip=CKV2_AWS_62:No consumer listens for events on media objects.
  #checkov:skip=CKV_AWS_21:Objects are immutable and content addressed, and versioning would keep expired objects as noncurrent versions.
  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags

  # These checks combine variables, which variable validations cannot do
  # before Terraform 1.9.
  lifecycle {
    precondition {
      condition     = var.url_mode == null || var.url_mode == "presigned" || var.create_cloudfront
      error_message = "The url_mode \"${coalesce(var.url_mode, "null")}\" serves media from CloudFront: set create_cloudfront = true, or use url_mode = \"presigned\"."
    }

    precondition {
      condition     = var.url_mode != "cdn-signed" || var.cloudfront_public_key_pem != null
      error_message = "The url_mode \"cdn-signed\" needs cloudfront_public_key_pem, the public half of the key that signs the URLs."
    }

    precondition {
      condition     = var.url_mode != "cdn-public" || var.cloudfront_public_key_pem == null
      error_message = "The url_mode \"cdn-public\" sends unsigned URLs, which a distribution with cloudfront_public_key_pem rejects: use url_mode = \"cdn-signed\" or remove the key."
    }

    precondition {
      condition     = var.cloudfront_public_key_pem == null || var.create_cloudfront
      error_message = "The cloudfront_public_key_pem is set but create_cloudfront is false: set create_cloudfront = true or remove the key."
    }

    precondition {
      condition     = (length(var.cloudfront_aliases) > 0) == (var.cloudfront_acm_certificate_arn != null)
      error_message = "The cloudfront_aliases and cloudfront_acm_certificate_arn must be set together, because CloudFront serves an alias only with a certificate that covers it."
    }

    precondition {
      condition     = length(var.cloudfront_aliases) == 0 || var.create_cloudfront
      error_message = "The cloudfront_aliases are set but create_cloudfront is false: set create_cloudfront = true or remove the aliases."
    }
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }

    # An S3 Bucket Key cuts the KMS requests, and so the KMS cost, of SSE-KMS.
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-media"
    status = "Enabled"

    filter {
      prefix = var.prefix
    }

    expiration {
      days = var.lifecycle_days
    }
  }

  # The storage aborts the multipart uploads that fail, so this rule only
  # cleans up after a process that died during an upload. It covers the whole
  # bucket, because parts left outside the prefix cost the same.
  rule {
    id     = "abort-incomplete-multipart-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

# Streamlit's frontend loads media with plain <img>, <audio> and <video>
# elements and downloads with a link, none of which needs CORS. See the module
# README for the fetch() checks that do.
resource "aws_s3_bucket_cors_configuration" "this" {
  count = length(var.cors_allowed_origins) > 0 ? 1 : 0

  bucket = aws_s3_bucket.this.id

  cors_rule {
    allowed_methods = ["GET", "HEAD"]
    allowed_origins = var.cors_allowed_origins
    max_age_seconds = 3600
  }
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.this.arn,
      "${aws_s3_bucket.this.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  dynamic "statement" {
    for_each = var.create_cloudfront ? [1] : []

    content {
      sid       = "AllowCloudFrontReadMedia"
      effect    = "Allow"
      actions   = ["s3:GetObject"]
      resources = [local.media_objects_arn]

      principals {
        type        = "Service"
        identifiers = ["cloudfront.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "AWS:SourceArn"
        values   = [aws_cloudfront_distribution.this[0].arn]
      }
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json

  # Concurrent configuration requests on one bucket can fail with
  # OperationAborted, so the policy waits for the public access block.
  depends_on = [aws_s3_bucket_public_access_block.this]
}
