package ssmreach.local;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import ssmreach.core.Settings;

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

    private final LambdaInvokeServer lambda;
    private final AslRunner runner;
    private final Path definition;

    public LocalWorkflow(LocalAws aws, Settings settings) {
        this(LocalFunctions.create(aws, settings));
    }

    public LocalWorkflow(Map<String, RequestStreamHandler> functions) {
        this.lambda = new LambdaInvokeServer(functions);
        // Waits as the definition sets them, with the short local intervals of substitutions().
        this.runner = AslRunner.create().withWaitSeconds(null);
        this.definition = repositoryRoot().resolve(DEFINITION);
    }

    /** The Lambda side, e.g. to inject a fault or watch invocations. */
    public LambdaInvokeServer lambda() {
        return lambda;
    }

    public Execution execute(String inputJson) {
        return execute(inputJson, event -> {});
    }

    public Execution execute(String inputJson, Consumer<Execution.Event> onEvent) {
        return runner.run(definition, substitutions(), inputJson, lambda.endpoint(), onEvent);
    }

    /** What the template's DefinitionSubstitutions give in AWS, with local ARNs. */
    public static Map<String, String> substitutions() {
        Map<String, String> values = new LinkedHashMap<>();
        for (String function : new String[] {"ParseTrigger", "GroupTargets", "ClassifySubnets", "PrepareVpc", "EnsureEndpoints", "CheckEndpoints",
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
