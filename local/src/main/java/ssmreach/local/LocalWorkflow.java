package ssmreach.local;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import ssmreach.core.Settings;
import ssmreach.local.iam.DeployedStack;

/**
 * The deployed workflow, run here: the real statemachine/ definition in the ASL interpreter, its
 * Lambda Tasks served by the real handlers over the Lambda Invoke API, the handlers talking to the
 * local AWS. Only Wait states are shortened (through the wait parameters of the substitutions).
 */
public final class LocalWorkflow implements AutoCloseable {
    public static final String DEFINITION = "statemachine/workflow.asl.json";
    /** Wait loop bound used locally, as the EndpointWaitMaxAttempts parameter. */
    public static final int WAIT_MAX_ATTEMPTS = 10;
    /** The registration deadline locally (seconds waited; the stack's default is 2700). */
    public static final int REGISTRATION_DEADLINE_SECONDS = 20;

    private static final Set<String> END_EVENTS = Set.of("ExecutionSucceeded", "ExecutionFailed", "ExecutionTimeout", "ExecutionAborted");

    private final LambdaInvokeServer lambda;
    private AslRunner runner;
    private final Path definition;
    private final LocalExecutions executions;

    /** The functions as deployed, their executions listed by the local AWS (as Step Functions lists them). */
    public LocalWorkflow(LocalAws aws, Settings settings) {
        this(LocalFunctions.create(aws, settings), aws.executions());
    }

    public LocalWorkflow(Map<String, RequestStreamHandler> functions) {
        this(functions, new LocalExecutions());
    }

    /** These functions, the executions listed in {@code executions} (a local AWS's). */
    public LocalWorkflow(Map<String, RequestStreamHandler> functions, LocalExecutions executions) {
        this.executions = executions;
        this.lambda = new LambdaInvokeServer(functions);
        // Waits as the definition sets them, with the short local intervals of substitutions().
        this.runner = AslRunner.create().withWaitSeconds(null);
        this.definition = repositoryRoot().resolve(DEFINITION);
    }

    /**
     * How long one execution may run before its interpreter is killed ({@link AslRunner#DEFAULT_TIMEOUT}
     * unless set): a batch of a long burst waits for the batches before it, and for its own waits.
     */
    public LocalWorkflow executionsMayTake(Duration timeout) {
        this.runner = runner.withTimeout(timeout);
        return this;
    }

    /** The Lambda side, e.g. to inject a fault or watch invocations. */
    public LambdaInvokeServer lambda() {
        return lambda;
    }

    public Execution execute(String inputJson) {
        return execute(inputJson, event -> {});
    }

    /**
     * Runs one execution of the deployed state machine ({@link #stateMachineArn()}) to its end, and
     * every execution it starts to theirs; each is listed in the local AWS while it runs.
     */
    public Execution execute(String inputJson, Consumer<Execution.Event> onEvent) {
        String name = UUID.randomUUID().toString();
        String arn = stateMachineArn().replace(":stateMachine:", ":execution:") + ":" + name;
        executions.started(arn, name, Instant.now(), inputJson);
        Set<String> started = ConcurrentHashMap.newKeySet();
        started.add(arn);
        try {
            return runner.run(definition, substitutions(), inputJson, lambda.endpoint(), arn, event -> {
                track(arn, event, started);
                onEvent.accept(event);
            });
        } finally {
            // Only those the interpreter could not run to their end are still running.
            started.forEach(execution -> executions.stopped(execution, "FAILED", Instant.now()));
        }
    }

    /** Starts and ends, as the interpreter reports them, of the execution and of those it started. */
    private void track(String arn, Execution.Event event, Set<String> started) {
        if (END_EVENTS.contains(event.type())) {
            executions.stopped(arn, status(event.type()), event.timestamp());
        } else if ("ChildExecution".equals(event.type())) {
            JsonNode child = event.json().path("event");
            String childArn = event.json().path("executionArn").asText();
            String type = child.path("type").asText();
            if ("ExecutionStarted".equals(type)) {
                started.add(childArn);
                executions.started(childArn, event.json().path("execution").asText(), event.timestamp(), child.path("input").toString());
            } else if (END_EVENTS.contains(type)) {
                executions.stopped(childArn, status(type), event.timestamp());
            }
        }
    }

    private static String status(String endEvent) {
        return switch (endEvent) {
            case "ExecutionSucceeded" -> "SUCCEEDED";
            case "ExecutionTimeout" -> "TIMED_OUT";
            case "ExecutionAborted" -> "ABORTED";
            default -> "FAILED";
        };
    }

    /** The deployed state machine's ARN (its name as the template gives it), read from template.yaml once. */
    public static String stateMachineArn() {
        return DeployedStateMachine.ARN;
    }

    private static final class DeployedStateMachine {
        static final String ARN = DeployedStack.of(template(), LocalAws.REGION.id(), LocalAws.ACCOUNT_ID, Map.of(), Map.of())
                .stateMachineArn();
    }

    /** What the template's DefinitionSubstitutions give in AWS, with local ARNs. */
    public static Map<String, String> substitutions() {
        Map<String, String> values = new LinkedHashMap<>();
        for (String function : new String[] {"ParseTrigger", "GroupTargets", "TakeTurn", "ClassifySubnets", "PrepareVpc", "EnsureEndpoints", "CheckEndpoints",
                "SelectInstances", "EnsureInstanceProfile", "CheckRegistration", "Diagnose", "Report"}) {
            values.put(function + "FunctionArn", "arn:aws:lambda:" + LocalAws.REGION.id() + ":" + LocalAws.ACCOUNT_ID
                    + ":function:" + function + ":live");
        }
        values.put("EndpointWaitSeconds", "1");
        values.put("EndpointWaitMaxAttempts", String.valueOf(WAIT_MAX_ATTEMPTS));
        values.put("RegistrationFirstIntervalSeconds", "1");
        values.put("RegistrationDeadlineSeconds", String.valueOf(REGISTRATION_DEADLINE_SECONDS));
        return values;
    }

    /** The repository's template.yaml: what is deployed. */
    public static Path template() {
        return repositoryRoot().resolve("template.yaml");
    }

    /** The folder holding template.yaml, found from the working directory up. */
    public static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("template.yaml")) && Files.isRegularFile(dir.resolve(DEFINITION))) {
                return dir;
            }
        }
        throw new IllegalStateException("Run from the ssm-reach repository: no template.yaml and " + DEFINITION + " above "
                + Path.of("").toAbsolutePath());
    }

    @Override
    public void close() {
        lambda.close();
    }
}
