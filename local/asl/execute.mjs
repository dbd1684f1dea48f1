// Runs ONE execution of a state machine definition with aws-local-stepfunctions.
//
// stdin:  one JSON request
//   {"definition": <ASL, placeholders already substituted>, "input": <any JSON>,
//    "lambdaEndpoint": "http://127.0.0.1:PORT", "waitSeconds": <optional override for every Wait state>,
//    "validate": <optional, default true: false skips the interpreter's own validation of the definition
//                 (about a second), for a definition already validated>}
// stdout: one JSON line per event of the execution, as the interpreter logs it:
//   {"type": "ExecutionStarted"|"StateEntered"|"StateExited"|"StateFailed"|"StateRetried"|"StateCaught"
//            |"MapIterationStarted"|...|"ExecutionSucceeded"|"ExecutionFailed"|"ExecutionAborted"|"ExecutionTimeout",
//    "timestamp": <epoch ms>, "state": {"name", "type", "input", "output"?}, "Error"?, "Cause"?,
//    "retry"?: {"retrier", "attempt"}, "catch"?: {"catcher"}, "index"?, "parentState"?, "input"?, "output"?}
//   The last line is always one of the four Execution* end events.
// exit:   0 when the execution ran, whatever its outcome; non-zero (message on stderr) when it could not
//         run or the interpreter itself broke (a JavaScript error inside a state, which a Catch would hide).
//
// Lambda Tasks (a function ARN as Resource) are invoked by the interpreter's own Lambda client, pointed at
// lambdaEndpoint with AWS_ENDPOINT_URL_LAMBDA, region us-east-1 and dummy credentials: nothing else is contacted.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

// aws-local-stepfunctions 3 declares Node >= 22 for this one function (ES2024). Without it every Task
// fails with a TypeError before its Lambda is invoked. It must exist before the module is loaded.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers() {
    let resolve;
    let reject;
    const promise = new this((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

// The AWS SDK warns on every run that its releases after January 2027 need Node 22; known, and the
// versions here are pinned. Other warnings still reach stderr.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = (warning, ...rest) => {
  if (!String(warning?.message ?? warning).startsWith('NodeVersionSupportWarning')) {
    emitWarning(warning, ...rest);
  }
};

// Errors that, in a StateFailed event, mean the local set-up broke rather than the workflow: JavaScript's
// own (a bug of the interpreter, the Lambda endpoint unreachable: "Error: connect ECONNREFUSED") and a
// Task naming a function the endpoint does not serve (AWS would call it Lambda.ResourceNotFoundException;
// a Java function's error is always a fully qualified class name).
const INTERNAL_ERRORS = new Set(['Error', 'TypeError', 'ReferenceError', 'RangeError', 'SyntaxError', 'EvalError', 'URIError',
  'ResourceNotFoundException']);
const END_EVENTS = new Set(['ExecutionSucceeded', 'ExecutionFailed', 'ExecutionAborted', 'ExecutionTimeout']);

// stdout is a pipe, written asynchronously: exit only once every line written so far has left, or the
// last (often the largest) events are lost. (The callback of an empty write may never come: write a
// blank line, which readers skip.)
function exitAfterOutput(code) {
  process.stdout.write('\n', () => process.exit(code));
}

function fail(message) {
  process.stderr.write(`execute.mjs: ${message}\n`);
  process.exit(2);
}

function readRequest() {
  let text;
  try {
    text = readFileSync(0, 'utf8');
  } catch (e) {
    fail(`cannot read the request on stdin: ${e.message}`);
  }
  let request;
  try {
    request = JSON.parse(text);
  } catch (e) {
    fail(`the request on stdin is not JSON: ${e.message}`);
  }
  if (request === null || typeof request !== 'object' || typeof request.definition !== 'object' || request.definition === null) {
    fail('the request must be an object with a "definition" object');
  }
  if (typeof request.lambdaEndpoint !== 'string' || !/^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\/?$/.test(request.lambdaEndpoint)) {
    fail(`"lambdaEndpoint" must be a loopback http URL, got ${JSON.stringify(request.lambdaEndpoint)}`);
  }
  if (request.waitSeconds !== undefined && request.waitSeconds !== null
      && !(typeof request.waitSeconds === 'number' && request.waitSeconds >= 0)) {
    fail(`"waitSeconds" must be a number >= 0, got ${JSON.stringify(request.waitSeconds)}`);
  }
  return request;
}

/** The names of every Wait state, including those inside Map and Parallel states. */
function waitStateNames(definition, names = new Set()) {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    if (state.Type === 'Wait') {
      names.add(name);
    }
    for (const nested of [state.Iterator, state.ItemProcessor, ...(state.Branches ?? [])]) {
      if (nested) {
        waitStateNames(nested, names);
      }
    }
  }
  return names;
}

function isolateAwsConfiguration(endpoint) {
  for (const key of Object.keys(process.env)) {
    if (key.startsWith('AWS_')) {
      delete process.env[key];
    }
  }
  process.env.AWS_ENDPOINT_URL_LAMBDA = endpoint;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  process.env.AWS_CONFIG_FILE = '/dev/null';
  process.env.AWS_SHARED_CREDENTIALS_FILE = '/dev/null';
}

function writeLine(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

async function main() {
  const request = readRequest();
  isolateAwsConfiguration(request.lambdaEndpoint.replace(/\/$/, ''));

  const { StateMachine } = await import('aws-local-stepfunctions');
  let stateMachine;
  try {
    stateMachine = new StateMachine(request.definition, {
      validationOptions: { noValidate: request.validate === false },
      awsConfig: { region: 'us-east-1', credentials: { accessKeys: { accessKeyId: 'local', secretAccessKey: 'local' } } },
    });
  } catch (e) {
    fail(e.message);
  }

  const overrides = {};
  if (typeof request.waitSeconds === 'number') {
    overrides.waitTimeOverrides = Object.fromEntries(
      [...waitStateNames(request.definition)].map((name) => [name, request.waitSeconds * 1000]));
  }
  // The context object Step Functions gives every execution ($$.Execution.Id and the like); the
  // interpreter leaves it empty unless told.
  const name = randomUUID();
  const context = {
    Execution: {
      Id: `arn:aws:states:us-east-1:123456789012:execution:ssm-reach-local:${name}`,
      Name: name,
      Input: request.input ?? {},
      StartTime: new Date().toISOString(),
      RoleArn: 'arn:aws:iam::123456789012:role/ssm-reach-local',
    },
    StateMachine: { Id: 'arn:aws:states:us-east-1:123456789012:stateMachine:ssm-reach-local', Name: 'ssm-reach-local' },
  };
  const execution = stateMachine.run(request.input ?? {}, { overrides, noThrowOnAbort: true, context });
  process.once('SIGTERM', () => execution.abort());
  process.once('SIGINT', () => execution.abort());

  const internalErrors = [];
  let ended = false;
  for await (const event of execution.eventLogs) {
    writeLine(event);
    if (event.type === 'StateFailed' && INTERNAL_ERRORS.has(event.Error)) {
      internalErrors.push(`${event.state?.name}: ${event.Error}: ${typeof event.Cause === 'string' ? event.Cause : JSON.stringify(event.Cause)}`);
    }
    ended ||= END_EVENTS.has(event.type);
  }
  try {
    await execution.result;
  } catch {
    // A failed execution: already reported by its ExecutionFailed or ExecutionTimeout event.
  }
  if (!ended) {
    fail('the interpreter stopped without an end event');
  }
  if (internalErrors.length > 0) {
    fail(`the interpreter failed inside a state (not an error of the workflow):\n  ${internalErrors.join('\n  ')}`);
  }
}

// Node ends with 0 when nothing is left to wait for, even with main() unfinished (e.g. its modules
// removed mid-run): that is not an execution that ran.
let finished = false;
process.on('exit', (code) => {
  if (!finished && code === 0) {
    process.stderr.write('execute.mjs: the interpreter stopped before the execution ended\n');
    process.exitCode = 3;
  }
});

main().then(() => {
  finished = true;
  exitAfterOutput(0);
}, (e) => fail(e?.stack ?? String(e)));
