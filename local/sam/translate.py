"""Applies the AWS::Serverless transform to a SAM template, as CloudFormation would at deployment.

Usage: python3 translate.py TEMPLATE [REGION] > processed.json

It runs the same translation as deploy/process_template.py (the SAM translator that cfn-lint ships,
through cfn-lint's own wrapper, the one `cfn-lint template.yaml` uses), so that what it prints is
what cfn-lint checks and what CloudFormation deploys: AWS::Serverless::* resources become Lambda
functions, versions, aliases, IAM roles (with the managed policies SAM adds on its own), the state
machine and its rules. Intrinsic functions are left as they are. Unlike deploy/process_template.py
it takes the template with its local CodeUri and DefinitionUri (cfn-lint puts placeholder S3
locations in their place): what it prints serves the local roles, never a deployment.
Exit code 2 with a message when the template is invalid.
"""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy"))
from process_template import TemplateError, load, translate  # noqa: E402


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: translate.py TEMPLATE [REGION]")
    path, region = sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else "us-east-1"
    try:
        processed = translate(path, load(path), region)
    except TemplateError as e:
        print(e, file=sys.stderr)
        sys.exit(2)
    json.dump(processed, sys.stdout, indent=1, sort_keys=False, default=str)
    print()


if __name__ == "__main__":
    main()
