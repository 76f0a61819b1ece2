# A complete deployment: the media bucket encrypted with a customer managed
# KMS key, a CloudFront distribution that accepts only signed URLs, and an
# ECS task definition that runs "s3-media run" with the module's environment.
# The two secrets of the storage live in Secrets Manager and get their values
# outside Terraform, so they never enter the state.

provider "aws" {
  region = var.region
}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id     = data.aws_caller_identity.current.account_id
  partition      = data.aws_partition.current.partition
  log_group_name = "/ecs/${var.bucket_name}"
}

module "media_storage" {
  source = "../.."

  bucket_name          = var.bucket_name
  prefix               = "media/"
  lifecycle_days       = 30
  kms_key_arn          = aws_kms_key.media.arn
  cors_allowed_origins = [var.app_origin]

  create_cloudfront              = true
  cloudfront_price_class         = "PriceClass_100"
  cloudfront_public_key_pem      = var.cloudfront_public_key_pem
  cloudfront_aliases             = var.cdn_domain_name == null ? [] : [var.cdn_domain_name]
  cloudfront_acm_certificate_arn = var.cdn_acm_certificate_arn
  url_mode                       = "cdn-signed"

  # The storage supports deletion with a single replica only. Set this to
  # false before running more than one task.
  delete_files        = true
  source_bucket_names = var.source_bucket_names

  iam_policy_name             = "${var.bucket_name}-media-access"
  create_iam_role             = true
  iam_role_name               = "${var.bucket_name}-task"
  iam_role_service_principals = ["ecs-tasks.amazonaws.com"]

  tags = {
    Application = "streamlit-media"
  }
}

# One key encrypts the bucket, the secrets and the task's logs.
resource "aws_kms_key" "media" {
  description         = "Media, secrets and logs of the Streamlit app ${var.bucket_name}."
  enable_key_rotation = true
}

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_109:In a KMS key policy, Resource "*" means the key that the policy is attached to, and the account root must keep full control of the key.
  #checkov:skip=CKV_AWS_111:In a KMS key policy, Resource "*" means the key that the policy is attached to.
  #checkov:skip=CKV_AWS_356:In a KMS key policy, Resource "*" means the key that the policy is attached to.
  # The module's statement lets the distribution decrypt the media.
  source_policy_documents = [module.media_storage.cloudfront_kms_key_policy_json]

  # Without this statement, IAM policies (the app's, the task execution
  # role's) could not grant any use of the key.
  statement {
    sid       = "EnableIamPolicies"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid    = "AllowCloudWatchLogs"
    effect = "Allow"
    actions = [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:${local.log_group_name}"]
    }
  }
}

# A separate resource, because the policy refers to the distribution, which
# refers to the bucket, which refers to the key.
resource "aws_kms_key_policy" "media" {
  key_id = aws_kms_key.media.id
  policy = data.aws_iam_policy_document.kms.json
}

# Set the values outside Terraform, for example:
#   aws secretsmanager put-secret-value --secret-id NAME --secret-string file://private_key.pem
resource "aws_secretsmanager_secret" "cloudfront_private_key" {
  #checkov:skip=CKV2_AWS_57:The private key pairs with cloudfront_public_key_pem, so it is rotated together with that variable, not by a Lambda function.
  name        = "${var.bucket_name}/cloudfront-private-key"
  description = "PEM private key that signs the CloudFront URLs (S3_MEDIA_CLOUDFRONT_PRIVATE_KEY)."
  kms_key_id  = aws_kms_key.media.arn
}

resource "aws_secretsmanager_secret" "id_secret" {
  #checkov:skip=CKV2_AWS_57:A new secret changes every media ID, so it is rotated by hand, not by a Lambda function.
  name        = "${var.bucket_name}/id-secret"
  description = "HMAC secret of the media IDs (S3_MEDIA_ID_SECRET)."
  kms_key_id  = aws_kms_key.media.arn
}

resource "aws_cloudwatch_log_group" "app" {
  name              = local.log_group_name
  retention_in_days = 365
  kms_key_id        = aws_kms_key.media.arn

  # CloudWatch Logs checks the key policy when the group is created.
  depends_on = [aws_kms_key_policy.media]
}

# The execution role pulls the image, writes the logs and reads the secrets.
# The task role (the module's) is what the app itself runs as.
data "aws_iam_policy_document" "task_assume_role" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.bucket_name}-execution"
  assume_role_policy = data.aws_iam_policy_document.task_assume_role.json
}

resource "aws_iam_role_policy_attachment" "execution" {
  role       = aws_iam_role.execution.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
}

data "aws_iam_policy_document" "execution_secrets" {
  statement {
    sid     = "ReadStorageSecrets"
    effect  = "Allow"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      aws_secretsmanager_secret.cloudfront_private_key.arn,
      aws_secretsmanager_secret.id_secret.arn,
    ]
  }

  statement {
    sid       = "DecryptStorageSecrets"
    effect    = "Allow"
    actions   = ["kms:Decrypt"]
    resources = [aws_kms_key.media.arn]
  }
}

resource "aws_iam_role_policy" "execution_secrets" {
  name   = "read-storage-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution_secrets.json
}

resource "aws_ecs_task_definition" "app" {
  family                   = var.bucket_name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 512
  memory                   = 1024
  task_role_arn            = module.media_storage.iam_role_arn
  execution_role_arn       = aws_iam_role.execution.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # The root file system is read-only, and /tmp is the only writable path.
  # NOTE: an app that writes elsewhere needs another volume there.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([
    {
      name                   = "app"
      image                  = var.container_image
      essential              = true
      readonlyRootFilesystem = true
      command = [
        "s3-media", "run", "/app/app.py",
        "--server.port", "8501",
        "--server.headless", "true",
      ]
      portMappings = [
        { containerPort = 8501, protocol = "tcp" },
      ]
      environment = [
        for name, value in module.media_storage.environment : { name = name, value = value } if value != ""
      ]
      secrets = [
        { name = "S3_MEDIA_CLOUDFRONT_PRIVATE_KEY", valueFrom = aws_secretsmanager_secret.cloudfront_private_key.arn },
        { name = "S3_MEDIA_ID_SECRET", valueFrom = aws_secretsmanager_secret.id_secret.arn },
      ]
      mountPoints = [
        { sourceVolume = "tmp", containerPath = "/tmp", readOnly = false },
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.app.name
          awslogs-region        = var.region
          awslogs-stream-prefix = "app"
        }
      }
    },
  ])
}
