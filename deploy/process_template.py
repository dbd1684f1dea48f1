#!/usr/bin/env python3
"""Turns the template `sam package` wrote for one Region into the processed template a stack set deploys.

Usage: python3 deploy/process_template.py --region REGION --bucket BUCKET [--output FILE] PACKAGED

CloudFormation StackSets with service-managed permissions run no macros, and the AWS::Serverless
transform is one: a stack set needs the template with SAM already translated. This applies that
transform here, with the SAM translator that cfn-lint ships (through cfn-lint's own wrapper, the one
`cfn-lint template.yaml` uses): AWS::Serverless::* resources become Lambda functions, versions,
aliases, IAM roles, the state machine and its rules; parameters and intrinsic functions stay as they
are, so stack set parameters still take effect.

What it refuses (exit code 2, with the reason), because the stack set would deploy something wrong
(exit code 2 too when cfn-lint is missing):
- an artifact that is not in S3 (a local CodeUri or DefinitionUri: run `sam package` first; cfn-lint's
  wrapper would otherwise put a placeholder S3 location in its place);
- an artifact in another bucket than BUCKET: Lambda takes its code only from a bucket in the
  function's own Region, so each Region has its own bucket, its own `sam package` and its own
  processed template;
- a transform other than AWS::Serverless-2016-10-31 (no other macro could run either).

The output is JSON and meant for REGION only: it names REGION's bucket, and SAM picks the managed
policies it adds to the roles by the Region's partition. Without --output it goes to stdout.
"""
import argparse
import json
import sys

try:
    from cfnlint.decode import decode
    from cfnlint.template.transforms._sam import Transform
except ImportError:
    print(f"process_template: cfn-lint is not installed for {sys.executable}: pip install cfn-lint "
          f"(it brings the SAM translator), or run this with the python3 that has it", file=sys.stderr)
    sys.exit(2)

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"

# The artifact properties `sam package` replaces with an S3 location: a "s3://bucket/key" string,
# or, for the state machine, a {Bucket, Key} mapping.
ARTIFACTS = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
    "AWS::Serverless::StateMachine": "DefinitionUri",
    "AWS::Serverless::Api": "DefinitionUri",
    "AWS::Serverless::HttpApi": "DefinitionUri",
}


class TemplateError(Exception):
    """The template cannot be processed; the message says why."""


def load(path):
    template, problems = decode(path)
    if problems:
        raise TemplateError("\n".join(str(p) for p in problems))
    return template


def translate(path, template, region):
    """Applies the SAM transform as CloudFormation would in REGION; intrinsic functions are left as they are."""
    transform = Transform(path, template, region)
    problems = transform.transform_template()
    if problems:
        raise TemplateError("\n".join(str(p) for p in problems))
    return transform.template()


def s3_bucket(location):
    """The bucket of an S3 location as `sam package` writes it, or None if it is not one."""
    if isinstance(location, str) and location.startswith("s3://") and "/" in location[len("s3://"):]:
        return location[len("s3://"):].split("/", 1)[0]
    if isinstance(location, dict) and isinstance(location.get("Bucket"), str) and isinstance(location.get("Key"), str):
        return location["Bucket"]
    return None


def check_packaged(template, bucket):
    """Every artifact is in S3, in BUCKET, and no other macro is asked for."""
    transforms = template.get("Transform", [])
    transforms = transforms if isinstance(transforms, list) else [transforms]
    if SAM_TRANSFORM not in transforms:
        raise TemplateError(f"no Transform {SAM_TRANSFORM}: this is not a SAM template (already processed?)")
    others = [t for t in transforms if t != SAM_TRANSFORM]
    if others:
        raise TemplateError(f"Transform {others}: a service-managed stack set runs no macro, and only "
                            f"{SAM_TRANSFORM} is applied here")
    global_code = template.get("Globals", {}).get("Function", {}).get("CodeUri")
    for logical_id, resource in template.get("Resources", {}).items():
        prop = ARTIFACTS.get(resource.get("Type"))
        properties = resource.get("Properties") or {}
        if prop is None or properties.get("PackageType") == "Image" or "InlineCode" in properties:
            continue
        location = properties.get(prop)
        if location is None and resource["Type"] == "AWS::Serverless::Function":
            location = global_code
        if location is None:
            continue
        found = s3_bucket(location)
        if found is None:
            raise TemplateError(f"{logical_id}: {prop} {json.dumps(location, default=str)} is not in S3; "
                                f"run `sam build` and `sam package` first and process the template it writes")
        if found != bucket:
            raise TemplateError(f"{logical_id}: {prop} is in bucket {found}, not in {bucket}: Lambda takes code only "
                                f"from a bucket in the function's own Region, so package for each Region into that "
                                f"Region's bucket and process each packaged template with its own bucket")


def check_processed(template, bucket):
    """What a stack set needs: no transform, no SAM resource, every artifact in BUCKET."""
    if "Transform" in template:
        raise TemplateError(f"the processed template still has Transform {template['Transform']}")
    for logical_id, resource in template.get("Resources", {}).items():
        kind = resource.get("Type", "")
        properties = resource.get("Properties") or {}
        if kind.startswith("AWS::Serverless::"):
            raise TemplateError(f"{logical_id} is still {kind} after the transform")
        if kind == "AWS::Lambda::Function" and not {"ZipFile", "ImageUri"} & set(properties.get("Code", {})):
            found = properties.get("Code", {}).get("S3Bucket")
        elif kind == "AWS::StepFunctions::StateMachine" and "DefinitionS3Location" in properties:
            found = properties["DefinitionS3Location"].get("Bucket")
        else:
            continue
        if found != bucket:
            raise TemplateError(f"{logical_id}'s artifact is in {found!r} after the transform, not in {bucket}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--region", required=True, help="the Region the stack set deploys this template to")
    parser.add_argument("--bucket", required=True, help="the bucket in that Region that `sam package --s3-bucket` used")
    parser.add_argument("--output", help="file to write (default: stdout)")
    parser.add_argument("packaged", help="the template `sam package --output-template-file` wrote")
    args = parser.parse_args()
    try:
        template = load(args.packaged)
        check_packaged(template, args.bucket)
        processed = translate(args.packaged, template, args.region)
        check_processed(processed, args.bucket)
    except TemplateError as e:
        print(f"process_template: {args.packaged}: {e}", file=sys.stderr)
        sys.exit(2)
    text = json.dumps(processed, indent=1, default=str) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
