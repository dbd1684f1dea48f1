// Runs ONE execution of a state machine definition with aws-local-stepfunctions.
//
// stdin:  one JSON request
//   {"definition": <ASL, placeholders already substituted>, "input": <any JSON>,
//    "lambdaEndpoint": "http://127.0.0.1:PORT", "waitSeconds": <optional override for every Wait state>,
//    "executionArn": <optional: the execution's ARN, naming its state machine too ($$.Execution.Id, $$.StateMachine.Id)>,
//    "validate": <optional, default true: false skips the interpreter's own validation of the definition
//                 (about a second), for a definition already validated>}
// stdout: one JSON line per event of the execution, as the interpreter logs it:
//   {"type": "ExecutionStarted"|"StateEntered"|"StateExited"|"StateFailed"|"StateRetried"|"StateCaught"
//            |"MapIterationStarted"|...|"ExecutionSucceeded"|"ExecutionFailed"|"ExecutionAborted"|"ExecutionTimeout",
//    "timestamp": <epoch ms>, "state": {"name", "type", "input", "output"?}, "Error"?, "Cause"?,
//    "retry"?: {"retrier", "attempt"}, "catch"?: {"catcher"}, "index"?, "parentState"?, "input"?, "output"?}
//   An execution that a Task starts of this same definition, waiting for it (arn:aws:states:::states:
//   startExecution.sync:2) or not (arn:aws:states:::states:startExecution), runs here too, named as the Task
//   names it; each of its events is one line {"type": "ChildExecution", "timestamp", "execution": <its name>,
//   "executionArn", "event": <the event>}.
//   The last line is one of the four Execution* end events, or a ChildExecution line of an execution started
//   without waiting: the process ends when every execution has.
// exit:   0 when the execution ran, whatever its outcome; non-zero (message on stderr) when it could not
//         run or the interpreter itself broke (a JavaScript error inside a state, which a Catch would hide).
//
// Lambda Tasks (a function ARN as Resource) are invoked here, as Step Functions invokes them, through the
// Lambda Invoke API at lambdaEndpoint (nothing else is contacted): a function's error reaches the definition
// named by its errorType with the error payload as JSON text for Cause, and a fault of the Lambda service
// itself as Lambda.<ErrorCode> (Lambda.TooManyRequestsException, Lambda.ServiceException, ...), once, for
// the definition's retriers to handle. (The interpreter's own invoker gives "errorType: errorMessage" as
// Cause and its SDK retries service faults silently.)

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
// Task naming a function the endpoint does not serve (a Java function's error is always a fully qualified
// class name).
const INTERNAL_ERRORS = new Set(['Error', 'TypeError', 'ReferenceError', 'RangeError', 'SyntaxError', 'EvalError', 'URIError',
  'Lambda.ResourceNotFoundException']);
const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:/;
const START_EXECUTION_SYNC = 'arn:aws:states:::states:startExecution.sync:2';
const START_EXECUTION = 'arn:aws:states:::states:startExecution';
const LOCAL_STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:ssm-reach-local';
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

/** Name -> state of every state that {@code test} accepts, including those inside Map and Parallel states. */
function statesWhere(definition, test, found = new Map()) {
  for (const [name, state] of Object.entries(definition.States ?? {})) {
    if (test(state)) {
      found.set(name, state);
    }
    for (const nested of [state.Iterator, state.ItemProcessor, ...(state.Branches ?? [])]) {
      if (nested) {
        statesWhere(nested, test, found);
      }
    }
  }
  return found;
}

function stepFunctionsError(name, cause) {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/**
 * Invokes a Lambda function as a Task whose Resource is its ARN: the result is the function's output;
 * a function error is named by its errorType, with the payload ({"errorMessage", "errorType",
 * "stackTrace"}) as JSON text for Cause; a Lambda service fault is Lambda.<ErrorCode>; an answer lost on
 * the way is Lambda.SdkClientException. An endpoint that refuses connections is the set-up's fault.
 */
async function invokeFunction(endpoint, functionArn, input) {
  let response;
  let text;
  try {
    response = await fetch(`${endpoint}/2015-03-31/functions/${encodeURIComponent(functionArn)}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(input),
    });
    text = await response.text();
  } catch (e) {
    const code = e.cause?.code;
    if (code === 'ECONNREFUSED') {
      throw new Error(`connect ECONNREFUSED ${endpoint}`);
    }
    throw stepFunctionsError('Lambda.SdkClientException', `Unable to execute HTTP request: ${e.cause?.message ?? e.message}`);
  }
  if (response.ok) {
    if (response.headers.has('x-amz-function-error')) {
      let errorType = 'Lambda.Unknown';
      try {
        errorType = JSON.parse(text).errorType ?? errorType;
      } catch {
        // not a runtime's error payload: Step Functions names it Lambda.Unknown
      }
      throw stepFunctionsError(errorType, text);
    }
    return text === '' ? null : JSON.parse(text);
  }
  const errorCode = (response.headers.get('x-amzn-errortype') ?? '').split(':')[0];
  let message = text;
  try {
    const body = JSON.parse(text);
    message = body.Message ?? body.message ?? text;
  } catch {
    // not JSON: the text as it is
  }
  throw stepFunctionsError(errorCode === '' ? 'Lambda.AWSLambdaException' : `Lambda.${errorCode}`,
    `${message} (Service: AWSLambda; Status Code: ${response.status}; Error Code: ${errorCode || 'unknown'}; `
    + `Request ID: ${response.headers.get('x-amzn-requestid') ?? ''}; Proxy: null)`);
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

// The context object Step Functions gives every execution ($$.Execution.Id and the like); the
// interpreter leaves it empty unless told.
function executionContext(stateMachineArn, input, name = randomUUID()) {
  const machineName = stateMachineArn.slice(stateMachineArn.lastIndexOf(':') + 1);
  return {
    Execution: {
      Id: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`,
      Name: name,
      Input: input ?? {},
      StartTime: new Date().toISOString(),
      RoleArn: 'arn:aws:iam::123456789012:role/ssm-reach-local',
    },
    StateMachine: { Id: stateMachineArn, Name: machineName },
  };
}

/**
 * An execution of this same state machine (the only one there is locally) started by a Task: runs here,
 * each of its events written as a ChildExecution line; resolves with its description as Step Functions
 * gives it ({"ExecutionArn", "Name", "StartDate", "StopDate", "Status", "Output"?, "Error"?, "Cause"?}).
 */
async function runChild(stateMachine, overrides, parameters, stateMachineArn) {
  const context = executionContext(stateMachineArn, parameters.Input, parameters.Name ?? randomUUID());
  const child = stateMachine.run(parameters.Input ?? {}, { overrides, noThrowOnAbort: true, context });
  let end;
  for await (const event of child.eventLogs) {
    writeLine({ type: 'ChildExecution', timestamp: event.timestamp ?? Date.now(), execution: context.Execution.Name,
      executionArn: context.Execution.Id, event });
    end = event;
  }
  const description = { ExecutionArn: context.Execution.Id, StateMachineArn: context.StateMachine.Id, Name: context.Execution.Name,
    StartDate: context.Execution.StartTime, StopDate: new Date().toISOString(), Input: parameters.Input ?? {} };
  if (end?.type === 'ExecutionSucceeded') {
    return { ...description, Status: 'SUCCEEDED', Output: end.output ?? null };
  }
  const status = end?.type === 'ExecutionTimeout' ? 'TIMED_OUT' : end?.type === 'ExecutionAborted' ? 'ABORTED' : 'FAILED';
  return { ...description, Status: status, Error: end?.Error, Cause: end?.Cause };
}

/**
 * states:startExecution.sync:2: waits for the execution and answers as Step Functions does, {"Output": <its
 * output as JSON>, "Status", "ExecutionArn", ...} when it succeeds, or fails the Task with States.TaskFailed
 * and the execution's description as Cause.
 */
async function startAndWait(stateMachine, overrides, parameters, stateMachineArn) {
  const ended = await runChild(stateMachine, overrides, parameters, stateMachineArn);
  if (ended.Status !== 'SUCCEEDED') {
    throw stepFunctionsError('States.TaskFailed', JSON.stringify(ended));
  }
  return ended;
}

/** states:startExecution: answers at once ({"ExecutionArn", "StartDate"}); the execution runs on. */
function startDetached(stateMachine, overrides, parameters, stateMachineArn, detached) {
  const name = parameters.Name ?? randomUUID();
  const startDate = new Date().toISOString();
  detached.push(runChild(stateMachine, overrides, { ...parameters, Name: name }, stateMachineArn));
  return { ExecutionArn: `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`, StartDate: startDate };
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

  const endpoint = request.lambdaEndpoint.replace(/\/$/, '');
  const overrides = {
    taskResourceLocalHandlers: Object.fromEntries(
      [...statesWhere(request.definition, (state) => state.Type === 'Task' && LAMBDA_FUNCTION_ARN.test(state.Resource ?? ''))]
        .map(([name, state]) => [name, (input) => invokeFunction(endpoint, state.Resource, input)])),
  };
  const executionArn = request.executionArn ?? `${LOCAL_STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${randomUUID()}`;
  const stateMachineArn = executionArn.slice(0, executionArn.lastIndexOf(':')).replace(':execution:', ':stateMachine:');
  const detached = [];
  for (const name of statesWhere(request.definition, (state) => state.Type === 'Task' && state.Resource === START_EXECUTION_SYNC).keys()) {
    overrides.taskResourceLocalHandlers[name] = (input) => startAndWait(stateMachine, overrides, input, stateMachineArn);
  }
  for (const name of statesWhere(request.definition, (state) => state.Type === 'Task' && state.Resource === START_EXECUTION).keys()) {
    overrides.taskResourceLocalHandlers[name] = (input) => startDetached(stateMachine, overrides, input, stateMachineArn, detached);
  }
  if (typeof request.waitSeconds === 'number') {
    overrides.waitTimeOverrides = Object.fromEntries(
      [...statesWhere(request.definition, (state) => state.Type === 'Wait').keys()].map((name) => [name, request.waitSeconds * 1000]));
  }
  const context = executionContext(stateMachineArn, request.input, executionArn.slice(executionArn.lastIndexOf(':') + 1));
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
  // Executions started without waiting (and those they start) end before the process does.
  for (let i = 0; i < detached.length; i++) {
    await detached[i];
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
