resource "aws_cloudfront_origin_access_control" "this" {
  count = var.create_cloudfront ? 1 : 0

  # The name is limited to 64 characters, and bucket names to 63.
  name                              = var.bucket_name
  description                       = "Signs CloudFront requests to the media bucket ${var.bucket_name}."
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

# Keys are content addressed, so an object never changes and the URL path
# alone identifies it. Query strings (the signature of a signed URL), headers
# and cookies stay out of the cache key and are not forwarded to S3.
resource "aws_cloudfront_cache_policy" "this" {
  count = var.create_cloudfront ? 1 : 0

  name    = "${var.bucket_name}-media"
  comment = "Media of ${var.bucket_name}, cached by path only."

  # The storage stores "Cache-Control: public, max-age=31536000, immutable"
  # with each object, which max_ttl allows in full. default_ttl applies to
  # objects without it.
  min_ttl     = 0
  default_ttl = 86400
  max_ttl     = 31536000

  parameters_in_cache_key_and_forwarded_to_origin {
    # Images, audio and video are compressed already, so CloudFront does not
    # compress responses and Accept-Encoding stays out of the cache key too.
    enable_accept_encoding_brotli = false
    enable_accept_encoding_gzip   = false

    cookies_config {
      cookie_behavior = "none"
    }

    headers_config {
      header_behavior = "none"
    }

    query_strings_config {
      query_string_behavior = "none"
    }
  }
}

resource "aws_cloudfront_response_headers_policy" "this" {
  #checkov:skip=CKV_AWS_259:The HSTS preload directive counts only on the registrable domain, and the media domain is a subdomain of cloudfront.net or of the app's domain. The policy sets max-age of a year, includeSubDomains and override.
  count = var.create_cloudfront ? 1 : 0

  name    = "${var.bucket_name}-media"
  comment = "Security and CORS headers for the media of ${var.bucket_name}."

  security_headers_config {
    content_type_options {
      override = true
    }

    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      override                   = true
    }

    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }
  }

  # S3's own CORS rules would need the Origin header in the cache key, so
  # CloudFront adds the CORS headers itself.
  dynamic "cors_config" {
    for_each = length(var.cors_allowed_origins) > 0 ? [1] : []

    content {
      access_control_allow_credentials = false
      access_control_max_age_sec       = 3600
      origin_override                  = true

      access_control_allow_headers {
        items = ["*"]
      }

      access_control_allow_methods {
        items = ["GET", "HEAD"]
      }

      access_control_allow_origins {
        items = var.cors_allowed_origins
      }
    }
  }
}

# Only the public half of the signing key is passed in, so the private key
# never enters the Terraform state.
resource "aws_cloudfront_public_key" "this" {
  count = local.cloudfront_signed ? 1 : 0

  name_prefix = "${var.bucket_name}-"
  comment     = "Verifies signed URLs of the media of ${var.bucket_name}."
  encoded_key = var.cloudfront_public_key_pem

  # A new PEM replaces the key. The new key joins the key group before the old
  # one is deleted, because CloudFront does not delete a key that a key group
  # still contains.
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudfront_key_group" "this" {
  count = local.cloudfront_signed ? 1 : 0

  name    = "${var.bucket_name}-media"
  comment = "Keys that sign URLs of the media of ${var.bucket_name}."
  items   = aws_cloudfront_public_key.this[*].id
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_68:A WAF web ACL is billed per request and has no rule to apply to static, content-addressed media. Attach one outside the module if needed.
  #checkov:skip=CKV2_AWS_47:No WAF web ACL is attached (see CKV_AWS_68), and the origin is S3, which runs no Log4j.
  #checkov:skip=CKV_AWS_86:CloudFront access logs of short-lived media add cost without an audit need.
  #checkov:skip=CKV_AWS_310:The only origin is the media bucket, so there is no second origin to fail over to.
  #checkov:skip=CKV_AWS_305:The distribution serves media objects by key and has no index document.
  #checkov:skip=CKV_AWS_374:The app decides who sees its media, so the distribution applies no geo restriction.
  #checkov:skip=CKV_AWS_174:With the *.cloudfront.net certificate, CloudFront fixes the minimum protocol version at TLSv1. With cloudfront_acm_certificate_arn the module sets TLSv1.2_2021.
  #checkov:skip=CKV2_AWS_42:A custom certificate is optional (cloudfront_acm_certificate_arn). The default *.cloudfront.net certificate serves HTTPS too.
  count = var.create_cloudfront ? 1 : 0

  enabled         = true
  comment         = "Media of the Streamlit app, from s3://${var.bucket_name}"
  aliases         = var.cloudfront_aliases
  price_class     = var.cloudfront_price_class
  http_version    = "http2and3"
  is_ipv6_enabled = true
  tags            = var.tags

  origin {
    origin_id                = "media-bucket"
    domain_name              = aws_s3_bucket.this.bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.this[0].id
  }

  default_cache_behavior {
    target_origin_id           = "media-bucket"
    viewer_protocol_policy     = "https-only"
    allowed_methods            = ["GET", "HEAD"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = false
    cache_policy_id            = aws_cloudfront_cache_policy.this[0].id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.this[0].id
    trusted_key_groups         = aws_cloudfront_key_group.this[*].id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.cloudfront_acm_certificate_arn == null
    acm_certificate_arn            = var.cloudfront_acm_certificate_arn
    ssl_support_method             = var.cloudfront_acm_certificate_arn == null ? null : "sni-only"
    minimum_protocol_version       = var.cloudfront_acm_certificate_arn == null ? "TLSv1" : "TLSv1.2_2021"
  }
}

# CloudFront reads SSE-KMS objects only if the key policy lets it decrypt.
# The module does not own the key, so it returns the statement for the key's
# owner to add (output cloudfront_kms_key_policy_json).
data "aws_iam_policy_document" "cloudfront_kms" {
  #checkov:skip=CKV_AWS_356:In a KMS key policy, Resource "*" means the key that the policy is attached to.
  #checkov:skip=CKV_AWS_111:In a KMS key policy, Resource "*" means the key that the policy is attached to, and the condition limits access to one distribution.
  count = var.create_cloudfront && var.kms_key_arn != null ? 1 : 0

  statement {
    sid       = "AllowCloudFrontDecryptMedia"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = ["*"]

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
