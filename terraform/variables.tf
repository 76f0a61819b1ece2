variable "bucket_name" {
  type        = string
  description = "Name of the S3 bucket that stores the media. The module creates it."

  validation {
    # Dots are rejected because a dotted name breaks TLS for virtual-hosted
    # presigned URLs (https://my.bucket.s3.amazonaws.com does not match
    # *.s3.amazonaws.com).
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "The bucket_name must be 3 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit, such as \"my-app-media\"."
  }

  validation {
    condition     = !startswith(var.bucket_name, "xn--") && !startswith(var.bucket_name, "sthree-") && !endswith(var.bucket_name, "-s3alias") && !endswith(var.bucket_name, "--ol-s3")
    error_message = "The bucket_name must not start with \"xn--\" or \"sthree-\" nor end with \"-s3alias\" or \"--ol-s3\", which S3 reserves."
  }
}

variable "prefix" {
  type        = string
  description = "Key prefix of every media object, ending with a slash, such as \"media/\". An empty string stores the media at the top of the bucket."
  default     = "media/"

  validation {
    condition     = var.prefix == "" || (endswith(var.prefix, "/") && !startswith(var.prefix, "/"))
    error_message = "The prefix must be empty or end with \"/\" and not start with \"/\", such as \"media/\"."
  }

  validation {
    condition     = !contains(split("/", var.prefix), "..") && !can(regex("[[:cntrl:]]", var.prefix)) && length(var.prefix) <= 512
    error_message = "The prefix must not contain \"..\" segments or control characters, and must be at most 512 characters."
  }
}

variable "lifecycle_days" {
  type        = number
  description = "Days after which S3 deletes a media object. Pass the same number to the storage as S3_MEDIA_LIFECYCLE_DAYS so that it rewrites objects that it still hands out before they expire."
  default     = 30

  validation {
    # The same range as the storage accepts for S3_MEDIA_LIFECYCLE_DAYS.
    condition     = var.lifecycle_days >= 1 && var.lifecycle_days <= 36500 && floor(var.lifecycle_days) == var.lifecycle_days
    error_message = "The lifecycle_days must be a whole number of days from 1 to 36500."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Whether terraform destroy deletes the bucket even when it still contains objects."
  default     = false
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of a KMS key for SSE-KMS encryption of the bucket. Null encrypts with SSE-S3 (AES256). With CloudFront, the key policy must also allow CloudFront to decrypt: see the cloudfront_kms_key_policy_json output."
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$", var.kms_key_arn))
    error_message = "The kms_key_arn must be null or a KMS key ARN such as \"arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab\" (not an alias)."
  }
}

variable "cors_allowed_origins" {
  type        = list(string)
  description = "Origins of the Streamlit app, such as \"https://app.example.com\", that may read the media with fetch(). An empty list creates no CORS configuration. See the module README for when the frontend needs it."
  default     = []

  validation {
    condition     = alltrue([for origin in var.cors_allowed_origins : can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?$", origin))])
    error_message = "Each entry of cors_allowed_origins must be an origin without path or trailing slash, such as \"https://app.example.com\" or \"http://localhost:8501\"."
  }
}

variable "create_cloudfront" {
  type        = bool
  description = "Whether to create a CloudFront distribution that serves the media from the private bucket through Origin Access Control."
  default     = false
}

variable "cloudfront_price_class" {
  type        = string
  description = "Price class of the CloudFront distribution: PriceClass_100, PriceClass_200 or PriceClass_All."
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cloudfront_price_class)
    error_message = "The cloudfront_price_class must be \"PriceClass_100\", \"PriceClass_200\" or \"PriceClass_All\"."
  }
}

variable "cloudfront_public_key_pem" {
  type        = string
  description = "PEM-encoded RSA public key whose private half signs CloudFront URLs. When set, the distribution accepts only signed URLs. Generate the pair outside Terraform so that the private key never enters the state."
  default     = null

  validation {
    condition     = var.cloudfront_public_key_pem == null || startswith(trimspace(var.cloudfront_public_key_pem), "-----BEGIN PUBLIC KEY-----")
    error_message = "The cloudfront_public_key_pem must be null or a PEM public key starting with \"-----BEGIN PUBLIC KEY-----\", such as the output of \"openssl rsa -pubout\"."
  }

  validation {
    condition     = var.cloudfront_public_key_pem == null || !strcontains(var.cloudfront_public_key_pem, "PRIVATE KEY")
    error_message = "The cloudfront_public_key_pem contains a private key. Pass only the public key, and give the private key to the app as S3_MEDIA_CLOUDFRONT_PRIVATE_KEY."
  }
}

variable "cloudfront_aliases" {
  type        = list(string)
  description = "Custom domain names of the distribution, such as [\"media.example.com\"]. The first one becomes S3_MEDIA_CDN_URL. Requires cloudfront_acm_certificate_arn."
  default     = []

  validation {
    condition     = alltrue([for alias in var.cloudfront_aliases : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", alias))])
    error_message = "Each entry of cloudfront_aliases must be a lowercase domain name such as \"media.example.com\"."
  }
}

variable "cloudfront_acm_certificate_arn" {
  type        = string
  description = "ARN of an ACM certificate in us-east-1 that covers cloudfront_aliases. Null uses the *.cloudfront.net certificate."
  default     = null

  validation {
    condition     = var.cloudfront_acm_certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:us-east-1:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.cloudfront_acm_certificate_arn))
    error_message = "The cloudfront_acm_certificate_arn must be null or an ACM certificate ARN in us-east-1, the only region that CloudFront reads certificates from."
  }
}

variable "url_mode" {
  type        = string
  description = "Value of S3_MEDIA_URL_MODE: presigned, cdn-public or cdn-signed. Null picks cdn-signed with a CloudFront public key, cdn-public with CloudFront alone and presigned without CloudFront."
  default     = null

  validation {
    condition     = var.url_mode == null || contains(["presigned", "cdn-public", "cdn-signed"], var.url_mode)
    error_message = "The url_mode must be null, \"presigned\", \"cdn-public\" or \"cdn-signed\"."
  }
}

variable "delete_files" {
  type        = bool
  description = "Whether the storage deletes objects that no session uses any more. Grants s3:DeleteObject on the prefix and becomes S3_MEDIA_DELETE_FILES."
  default     = false
}

variable "source_bucket_names" {
  type        = list(string)
  description = "Existing buckets whose objects the app may pass to st.image and the other media elements as s3:// URLs. The app gets read-only access to their objects, and the list becomes S3_MEDIA_SOURCE_BUCKETS."
  default     = []

  validation {
    condition     = alltrue([for name in var.source_bucket_names : can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", name))])
    error_message = "Each entry of source_bucket_names must be an S3 bucket name of 3 to 63 lowercase letters, digits, dots and hyphens."
  }
}

variable "iam_policy_name" {
  type        = string
  description = "Name of the IAM policy that grants the app its S3 access. Null uses the bucket name followed by \"-media-access\"."
  default     = null

  validation {
    condition     = var.iam_policy_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,128}$", var.iam_policy_name))
    error_message = "The iam_policy_name must be null or 1 to 128 letters, digits and the characters +=,.@_-."
  }
}

variable "create_iam_role" {
  type        = bool
  description = "Whether to create an IAM role with the policy attached, for the ECS task or EC2 instance that runs the app."
  default     = false
}

variable "iam_role_name" {
  type        = string
  description = "Name of the IAM role. Null uses the bucket name followed by \"-media-app\", cut to 64 characters."
  default     = null

  validation {
    condition     = var.iam_role_name == null || can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.iam_role_name))
    error_message = "The iam_role_name must be null or 1 to 64 letters, digits and the characters +=,.@_-."
  }
}

variable "iam_role_service_principals" {
  type        = list(string)
  description = "AWS service principals that may assume the role, such as \"ecs-tasks.amazonaws.com\" or \"ec2.amazonaws.com\". With ec2.amazonaws.com the module also creates an instance profile."
  default     = ["ecs-tasks.amazonaws.com"]

  validation {
    condition     = length(var.iam_role_service_principals) > 0
    error_message = "The iam_role_service_principals must name at least one service principal."
  }

  validation {
    condition     = alltrue([for principal in var.iam_role_service_principals : can(regex("^[a-z0-9.-]+\\.amazonaws\\.com(\\.cn)?$", principal))])
    error_message = "Each entry of iam_role_service_principals must be a service principal such as \"ecs-tasks.amazonaws.com\"."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource that supports them."
  default     = {}
}
