# The actions below are the ones in s3_media_storage/permissions.py, and a
# test checks that the two lists are equal.
data "aws_iam_policy_document" "app" {
  # HeadBucket needs s3:ListBucket, and so does a 404 (instead of a 403) for a
  # missing key. It stays unconditioned because a s3:prefix condition would
  # deny HeadBucket, which sends no prefix.
  statement {
    sid       = "ListMediaBucket"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this.arn]
  }

  statement {
    sid       = "ReadWriteMediaObjects"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = [local.media_objects_arn]
  }

  dynamic "statement" {
    for_each = var.delete_files ? [1] : []

    content {
      sid       = "DeleteMediaObjects"
      effect    = "Allow"
      actions   = ["s3:DeleteObject"]
      resources = [local.media_objects_arn]
    }
  }

  dynamic "statement" {
    for_each = length(var.source_bucket_names) > 0 ? [1] : []

    content {
      sid     = "ReadSourceObjects"
      effect  = "Allow"
      actions = ["s3:GetObject"]
      resources = [
        for name in var.source_bucket_names : "arn:${data.aws_partition.current.partition}:s3:::${name}/*"
      ]
    }
  }

  # SSE-KMS encrypts each object with a data key from GenerateDataKey, and
  # reading an object or completing a multipart upload needs Decrypt.
  dynamic "statement" {
    for_each = var.kms_key_arn != null ? [1] : []

    content {
      sid       = "UseMediaKmsKey"
      effect    = "Allow"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [var.kms_key_arn]
    }
  }
}

resource "aws_iam_policy" "app" {
  name        = coalesce(var.iam_policy_name, "${var.bucket_name}-media-access")
  description = "Access of the Streamlit app to its media in the bucket ${var.bucket_name}."
  policy      = data.aws_iam_policy_document.app.json
  tags        = var.tags
}

# s3-media doctor needs more than the app: it reads the bucket's settings,
# and it deletes its probe object even when the app may not delete. Attach
# this policy together with the app's policy to whoever runs the doctor. The
# actions are DOCTOR_ACTIONS in s3_media_storage/doctor/__init__.py, and a
# test checks that the two lists are equal.
data "aws_iam_policy_document" "doctor" {
  statement {
    sid    = "ReadMediaBucketSettings"
    effect = "Allow"
    actions = [
      "s3:GetLifecycleConfiguration",
      "s3:GetBucketPublicAccessBlock",
      "s3:GetBucketCORS",
    ]
    resources = [aws_s3_bucket.this.arn]
  }

  statement {
    sid       = "DeleteDoctorProbe"
    effect    = "Allow"
    actions   = ["s3:DeleteObject"]
    resources = ["${aws_s3_bucket.this.arn}/${var.prefix}doctor-probe-*"]
  }
}

resource "aws_iam_policy" "doctor" {
  name        = "${var.bucket_name}-media-doctor"
  description = "Checks of s3-media doctor on the bucket ${var.bucket_name}, beyond the app's own access."
  policy      = data.aws_iam_policy_document.doctor.json
  tags        = var.tags
}

data "aws_iam_policy_document" "assume_role" {
  count = var.create_iam_role ? 1 : 0

  statement {
    sid     = "AssumeMediaAppRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = var.iam_role_service_principals
    }
  }
}

resource "aws_iam_role" "app" {
  count = var.create_iam_role ? 1 : 0

  # Role names are limited to 64 characters.
  name               = coalesce(var.iam_role_name, substr("${var.bucket_name}-media-app", 0, 64))
  description        = "Runs the Streamlit app whose media are in the bucket ${var.bucket_name}."
  assume_role_policy = data.aws_iam_policy_document.assume_role[0].json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "app" {
  count = var.create_iam_role ? 1 : 0

  role       = aws_iam_role.app[0].name
  policy_arn = aws_iam_policy.app.arn
}

# EC2 instances take a role through an instance profile.
resource "aws_iam_instance_profile" "app" {
  count = var.create_iam_role && contains(var.iam_role_service_principals, "ec2.amazonaws.com") ? 1 : 0

  name = aws_iam_role.app[0].name
  role = aws_iam_role.app[0].name
  tags = var.tags
}
