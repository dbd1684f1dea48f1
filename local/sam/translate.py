"""Applies the AWS::Serverless transform to a SAM template, as CloudFormation would at deployment.

Usage: python3 translate.py TEMPLATE [REGION] > processed.json

It runs the SAM translator that cfn-lint ships, through cfn-lint's own wrapper (the same one
`cfn-lint template.yaml` uses), so that what it prints is what cfn-lint checks and what
CloudFormation deploys: AWS::Serverless::* resources become Lambda functions, versions, aliases,
IAM roles (with the managed policies SAM adds on its own), the state machine and its rules.
Intrinsic functions are left as they are. Exit code 2 with a message when the template is invalid.
"""
import json
import sys

from cfnlint.decode import decode
from cfnlint.template.transforms._sam import Transform


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: translate.py TEMPLATE [REGION]")
    path, region = sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else "us-east-1"
    template, problems = decode(path)
    if problems:
        print("\n".join(str(p) for p in problems), file=sys.stderr)
        sys.exit(2)
    transform = Transform(path, template, region)
    problems = transform.transform_template()
    if problems:
        print("\n".join(str(p) for p in problems), file=sys.stderr)
        sys.exit(2)
    json.dump(transform.template(), sys.stdout, indent=1, sort_keys=False, default=str)
    print()


if __name__ == "__main__":
    main()
