// Runs cdk-nag's AwsSolutions rules on template.yaml as CloudFormation deploys it, with the
// acknowledgements the template itself carries. Never deployed.
//
//   local/sam/translate.py template.yaml > processed.json
//   node local/nag/scan.mjs processed.json [--set Name=Value,Name=Value]...
//   (or `... | node local/nag/scan.mjs - ...` to read the processed template from stdin)
//
// The input is the SAM-processed template (the transform applied by the translator cfn-lint ships).
// Each --set is one parameter combination (values that differ from the parameters' defaults; no
// --set: the defaults alone). For each combination the template is taken as CloudFormation would
// deploy it: the parameters substituted, the Conditions evaluated, the resources whose Condition
// is false left out, each Fn::If replaced by its branch and AWS::NoValue removed. It is then loaded
// with aws-cdk-lib's CfnInclude and checked twice by AwsSolutionsChecks: once as it is (every
// finding), once with the acknowledgements applied through Validations.of(resource).acknowledge(),
// the mechanism cdk-nag 3 reads.
//
// Acknowledgements are read where compliance tooling reads them:
//   - on a resource: Metadata: {cdk_nag: {rules_to_suppress: [{id, reason}]}}. SAM copies the
//     Metadata of a function or state machine to every resource it generates from it (function,
//     version, alias, role, rules): such a copy belongs to the resource it was written on (the one
//     whose logical id prefixes the others' and that carries the same Metadata), and counts as used
//     when it matches a finding on any of them;
//   - for resources SAM generates (e.g. <Function>Role), the template's top-level
//     Metadata: {cdk_nag: {acknowledgements: [{resource, id, reason}]}}.
// `id` is a rule (AwsSolutions-L1) or a single finding (AwsSolutions-IAM5[Resource::*]).
//
// Prints one JSON document on stdout:
//   {"combinations": [{"parameters": {...}, "total": <findings before acknowledgements>,
//                      "findings": [{rule, resource, level, info}], "acknowledged": [{rule, resource, reason}]}],
//    "findings": [...unacknowledged, every combination, deduplicated],
//    "stale": [{resource, id, where}]  // acknowledgements that matched nothing in any combination
//    "invalid": ["..."]}               // malformed acknowledgements, or ones cdk-nag did not honour
// Exit code 0 when findings, stale and invalid are all empty, 1 otherwise, 2 on bad usage.
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import { AwsSolutionsChecks } from 'cdk-nag';

const RULE_ID = /^AwsSolutions-[A-Za-z0-9]+(\[.+\])?$/;

function usage(message) {
  process.stderr.write(`scan.mjs: ${message}\nusage: node scan.mjs PROCESSED.json [--set Name=Value,...]...\n`);
  process.exit(2);
}

function parseArgs(argv) {
  if (argv.length === 0) usage('no processed template given');
  const [file, ...rest] = argv;
  const combinations = [];
  for (let i = 0; i < rest.length; i++) {
    if (rest[i] !== '--set' || i + 1 >= rest.length) usage(`unexpected argument ${rest[i]}`);
    const values = {};
    for (const pair of rest[++i].split(',').filter((p) => p.length > 0)) {
      const at = pair.indexOf('=');
      if (at <= 0) usage(`not Name=Value: ${pair}`);
      values[pair.slice(0, at)] = pair.slice(at + 1);
    }
    combinations.push(values);
  }
  return { file, combinations: combinations.length > 0 ? combinations : [{}] };
}

/** The parameters' values: the defaults, overridden. */
function parameterValues(template, overrides) {
  const parameters = template.Parameters ?? {};
  for (const name of Object.keys(overrides)) {
    if (!(name in parameters)) usage(`the template has no parameter ${name}`);
  }
  const values = {};
  for (const [name, parameter] of Object.entries(parameters)) {
    const value = name in overrides ? overrides[name] : parameter.Default;
    if (value === undefined) usage(`parameter ${name} has no default: give it with --set`);
    values[name] = String(value);
  }
  return values;
}

/** A condition expression evaluated with the parameters' values; anything else is an error. */
function evaluate(expression, values, conditions, seen = new Set()) {
  if (typeof expression === 'string' || typeof expression === 'number' || typeof expression === 'boolean') {
    return String(expression);
  }
  const [fn, args] = Object.entries(expression)[0] ?? [];
  switch (fn) {
    case 'Ref':
      if (!(args in values)) throw new Error(`a condition refers to ${args}, which is not a parameter`);
      return values[args];
    case 'Fn::Equals':
      return evaluate(args[0], values, conditions, seen) === evaluate(args[1], values, conditions, seen);
    case 'Fn::Not':
      return !evaluate(args[0], values, conditions, seen);
    case 'Fn::And':
      return args.every((a) => evaluate(a, values, conditions, seen));
    case 'Fn::Or':
      return args.some((a) => evaluate(a, values, conditions, seen));
    case 'Condition':
      return condition(args, values, conditions, seen);
    default:
      throw new Error(`cannot evaluate ${JSON.stringify(expression)} in a condition`);
  }
}

function condition(name, values, conditions, seen = new Set()) {
  if (!(name in conditions)) throw new Error(`no condition ${name}`);
  if (seen.has(name)) throw new Error(`condition ${name} refers to itself`);
  return evaluate(conditions[name], values, conditions, new Set([...seen, name])) === true;
}

const NO_VALUE = Symbol('AWS::NoValue');

/** Fn::If replaced by its branch, AWS::NoValue removed from objects and lists. */
function resolveBranches(node, truth) {
  if (Array.isArray(node)) {
    return node.map((n) => resolveBranches(n, truth)).filter((n) => n !== NO_VALUE);
  }
  if (node === null || typeof node !== 'object') return node;
  const keys = Object.keys(node);
  if (keys.length === 1 && keys[0] === 'Fn::If') {
    const [name, yes, no] = node['Fn::If'];
    if (!(name in truth)) throw new Error(`Fn::If on an unknown condition ${name}`);
    return resolveBranches(truth[name] ? yes : no, truth);
  }
  if (keys.length === 1 && keys[0] === 'Ref' && node.Ref === 'AWS::NoValue') return NO_VALUE;
  const resolved = {};
  for (const key of keys) {
    const value = resolveBranches(node[key], truth);
    if (value !== NO_VALUE) resolved[key] = value;
  }
  return resolved;
}

/** The template as deployed with these values: conditions applied, parameters left for CfnInclude to substitute. */
function asDeployed(template, values) {
  const conditions = template.Conditions ?? {};
  const truth = Object.fromEntries(Object.keys(conditions).map((name) => [name, condition(name, values, conditions)]));
  const resources = {};
  for (const [id, resource] of Object.entries(template.Resources ?? {})) {
    if (resource.Condition !== undefined && !truth[resource.Condition]) continue;
    const { Condition: _ignored, ...kept } = resource;
    resources[id] = resolveBranches(kept, truth);
  }
  const { Conditions: _c, Outputs: _o, Rules: _r, ...rest } = template;
  return { ...rest, Resources: resources };
}

/** Every acknowledgement of the deployed template: {resource, id, reason, where}. */
function acknowledgements(deployed, invalid) {
  const found = [];
  const check = (ack, where) => {
    if (typeof ack?.id !== 'string' || !RULE_ID.test(ack.id)) {
      invalid.push(`${where}: id ${JSON.stringify(ack?.id)} is not an AwsSolutions rule or finding`);
      return false;
    }
    if (typeof ack.reason !== 'string' || ack.reason.trim().length < 20) {
      invalid.push(`${where}: ${ack.id} needs a reason (at least 20 characters)`);
      return false;
    }
    return true;
  };
  for (const [id, resource] of Object.entries(deployed.Resources)) {
    const origin = writtenOn(deployed, id);
    (resource.Metadata?.cdk_nag?.rules_to_suppress ?? []).forEach((ack, i) => {
      const where = `Resources.${origin}.Metadata.cdk_nag.rules_to_suppress[${i}]`;
      if (check(ack, where)) found.push({ resource: id, origin, id: ack.id, reason: ack.reason, where });
    });
  }
  (deployed.Metadata?.cdk_nag?.acknowledgements ?? []).forEach((ack, i) => {
    const where = `Metadata.cdk_nag.acknowledgements[${i}]`;
    if (typeof ack?.resource !== 'string') {
      invalid.push(`${where}: needs a resource (a logical id)`);
    } else if (check(ack, where)) {
      found.push({ resource: ack.resource, origin: ack.resource, id: ack.id, reason: ack.reason, where });
    }
  });
  return found;
}

/**
 * The resource whose Metadata this one's is a copy of: the one with the shortest logical id that
 * prefixes this one's and carries the same Metadata (SAM names what it generates after its source:
 * ReportFunction, ReportFunctionRole, ReportFunctionAliaslive, ...); the resource itself otherwise.
 */
function writtenOn(deployed, id) {
  const metadata = JSON.stringify(deployed.Resources[id].Metadata ?? null);
  let origin = id;
  for (const [other, resource] of Object.entries(deployed.Resources)) {
    if (other.length < origin.length && id.startsWith(other) && JSON.stringify(resource.Metadata ?? null) === metadata) {
      origin = other;
    }
  }
  return origin;
}

/** Runs the rule pack on the deployed template: the findings as {rule, resource, level, info}. */
function check(deployed, values, acks) {
  const dir = mkdtempSync(join(tmpdir(), 'ssm-reach-nag-'));
  try {
    const file = join(dir, 'template.json');
    writeFileSync(file, JSON.stringify(deployed));
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const include = new CfnInclude(stack, 'Template', { templateFile: file, parameters: values });
    const applied = [];
    for (const ack of acks) {
      if (ack.resource in deployed.Resources) {
        Validations.of(include.getResource(ack.resource)).acknowledge({ id: ack.id, reason: ack.reason });
        applied.push(ack);
      }
    }
    const prefix = `${stack.node.id}/${include.node.id}/`;
    const report = new AwsSolutionsChecks(stack).validateScope(stack);
    const findings = [];
    for (const violation of report.violations) {
      for (const resource of violation.violatingResources) {
        findings.push({
          rule: violation.ruleName,
          resource: resource.constructPath.startsWith(prefix) ? resource.constructPath.slice(prefix.length) : resource.constructPath,
          level: violation.severity,
          info: violation.description,
        });
      }
    }
    return { findings, applied };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const key = (resource, rule) => `${resource} ${rule}`;

function main() {
  const { file, combinations } = parseArgs(process.argv.slice(2));
  const template = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
  const invalid = [];
  const used = new Set();
  const declared = new Map();
  const results = [];
  const unacknowledged = new Map();
  for (const overrides of combinations) {
    const values = parameterValues(template, overrides);
    const deployed = asDeployed(template, values);
    const acks = acknowledgements(deployed, invalid);
    acks.forEach((ack) => declared.set(key(ack.origin, ack.id), ack));
    const everything = check(deployed, values, []).findings;
    const { findings: remaining } = check(deployed, values, acks);
    const byKey = new Map(everything.map((f) => [key(f.resource, f.rule), f]));
    const acknowledged = [];
    for (const ack of acks) {
      if (byKey.has(key(ack.resource, ack.id))) {
        used.add(key(ack.origin, ack.id));
        acknowledged.push({ rule: ack.id, resource: ack.resource, reason: ack.reason });
      }
    }
    // cdk-nag itself must have honoured what was acknowledged, and found nothing new with it.
    const acknowledgedKeys = new Set(acknowledged.map((a) => key(a.resource, a.rule)));
    for (const f of remaining) {
      if (acknowledgedKeys.has(key(f.resource, f.rule)) || !byKey.has(key(f.resource, f.rule))) {
        invalid.push(`cdk-nag still reports ${f.rule} on ${f.resource} with the acknowledgements applied`);
      }
    }
    remaining.forEach((f) => unacknowledged.set(key(f.resource, f.rule), f));
    results.push({ parameters: overrides, findings: remaining, acknowledged, total: everything.length });
  }
  const stale = [...declared.entries()].filter(([k]) => !used.has(k))
      .map(([, ack]) => ({ resource: ack.origin, id: ack.id, where: ack.where }));
  const output = { combinations: results, findings: [...unacknowledged.values()], stale, invalid: [...new Set(invalid)] };
  process.stdout.write(JSON.stringify(output, null, 1) + '\n');
  process.exit(output.findings.length + output.stale.length + output.invalid.length === 0 ? 0 : 1);
}

main();
