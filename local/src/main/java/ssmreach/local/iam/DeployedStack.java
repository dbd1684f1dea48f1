package ssmreach.local.iam;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * template.yaml as CloudFormation deploys it with one set of parameter values: the SAM transform
 * applied by the translator cfn-lint ships ({@code local/sam/translate.py}), then the intrinsic
 * functions of the roles resolved ({@link CfnIntrinsics}). What it gives is each function's role
 * as deployed: the statements of the template (conditions applied) and the managed policies SAM
 * attaches on its own (AWSLambdaBasicExecutionRole, AWSXrayWriteOnlyAccess with active tracing).
 */
public final class DeployedStack {
    /** A role: its logical id, its inline policy documents and the ARNs of its managed policies. */
    public record Role(String logicalId, List<PolicyEvaluator.Policy> inline, List<String> managedPolicyArns) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<Path, JsonNode> PROCESSED = new ConcurrentHashMap<>();

    /** The stack's name locally; CloudFormation prefixes the physical names with it. */
    public static final String STACK_NAME = "ssm-reach";

    private final Map<String, Role> roles;
    private final Map<String, Role> functionRoles;
    private final String stateMachineArn;

    private DeployedStack(Map<String, Role> roles, Map<String, Role> functionRoles, String stateMachineArn) {
        this.stateMachineArn = stateMachineArn;
        this.roles = roles;
        this.functionRoles = functionRoles;
    }

    /**
     * @param template the SAM template (normally the repository's template.yaml)
     * @param parameters parameter values that differ from the template's defaults
     * @param physical values for {@code Ref} (keyed by logical id) and {@code Fn::GetAtt} (keyed
     *     {@code LogicalId.Attribute}) that replace the names CloudFormation would give, e.g. the ARN
     *     of a topic that exists in the local AWS
     */
    public static DeployedStack of(Path template, String region, String account, Map<String, String> parameters,
                                   Map<String, String> physical) {
        JsonNode processed = processed(template);
        Map<String, String> refs = new HashMap<>(Map.of("AWS::Region", region, "AWS::AccountId", account, "AWS::Partition", "aws",
                "AWS::StackName", STACK_NAME, "AWS::URLSuffix", "amazonaws.com"));
        processed.path("Parameters").fields().forEachRemaining(p -> {
            if (p.getValue().has("Default")) {
                refs.put(p.getKey(), p.getValue().get("Default").asText());
            }
        });
        parameters.forEach((name, value) -> {
            if (!processed.path("Parameters").has(name)) {
                throw new IllegalArgumentException("the template has no parameter " + name);
            }
            refs.put(name, value);
        });
        Map<String, String> attributes = new HashMap<>();
        JsonNode resources = processed.path("Resources");
        resources.fields().forEachRemaining(r -> physicalNames(r.getKey(), r.getValue(), region, account, refs, attributes));
        physical.forEach((key, value) -> (key.contains(".") ? attributes : refs).put(key, value));
        CfnIntrinsics intrinsics = new CfnIntrinsics(refs, attributes, processed.path("Conditions"));
        Map<String, Role> roles = new LinkedHashMap<>();
        resources.fields().forEachRemaining(resource -> {
            if (!"AWS::IAM::Role".equals(resource.getValue().path("Type").asText())) {
                return;
            }
            JsonNode properties = resource.getValue().path("Properties");
            List<PolicyEvaluator.Policy> inline = new ArrayList<>();
            for (JsonNode policy : intrinsics.resolve(properties.path("Policies"))) {
                inline.add(new PolicyEvaluator.Policy(policy.path("PolicyName").asText(), policy.path("PolicyDocument")));
            }
            List<String> managed = new ArrayList<>();
            intrinsics.resolve(properties.path("ManagedPolicyArns")).forEach(arn -> managed.add(arn.asText()));
            roles.put(resource.getKey(), new Role(resource.getKey(), List.copyOf(inline), List.copyOf(managed)));
        });
        Map<String, Role> functionRoles = new LinkedHashMap<>();
        resources.fields().forEachRemaining(resource -> {
            if ("AWS::Lambda::Function".equals(resource.getValue().path("Type").asText())) {
                JsonNode role = resource.getValue().path("Properties").path("Role").path("Fn::GetAtt");
                functionRoles.put(resource.getKey(), roles.get(role.isArray() ? role.get(0).asText() : role.asText().split("\\.")[0]));
            }
        });
        String stateMachine = null;
        for (Map.Entry<String, JsonNode> resource : (Iterable<Map.Entry<String, JsonNode>>) resources::fields) {
            if ("AWS::StepFunctions::StateMachine".equals(resource.getValue().path("Type").asText())) {
                stateMachine = refs.get(resource.getKey());
            }
        }
        return new DeployedStack(Map.copyOf(roles), Map.copyOf(functionRoles), stateMachine);
    }

    /** The names and ARNs CloudFormation gives the resources of a stack named {@link #STACK_NAME}. */
    private static void physicalNames(String id, JsonNode resource, String region, String account, Map<String, String> refs,
                                      Map<String, String> attributes) {
        String name = STACK_NAME + "-" + id;
        String prefix = ":" + region + ":" + account + ":";
        switch (resource.path("Type").asText()) {
            case "AWS::IAM::Role" -> {
                refs.put(id, name);
                attributes.put(id + ".Arn", "arn:aws:iam::" + account + ":role/" + name);
            }
            case "AWS::IAM::InstanceProfile" -> {
                refs.put(id, name);
                attributes.put(id + ".Arn", "arn:aws:iam::" + account + ":instance-profile/" + name);
            }
            case "AWS::Lambda::Function" -> {
                refs.put(id, name);
                attributes.put(id + ".Arn", "arn:aws:lambda" + prefix + "function:" + name);
            }
            case "AWS::Lambda::Alias", "AWS::Lambda::Version" -> {
                String function = STACK_NAME + "-" + resource.path("Properties").path("FunctionName").path("Ref").asText();
                String qualifier = resource.path("Properties").path("Name").asText("1");
                refs.put(id, "arn:aws:lambda" + prefix + "function:" + function + ":" + qualifier);
            }
            case "AWS::SNS::Topic" -> {
                refs.put(id, "arn:aws:sns" + prefix + name);
                attributes.put(id + ".TopicName", name);
            }
            case "AWS::Logs::LogGroup" -> {
                refs.put(id, name);
                attributes.put(id + ".Arn", "arn:aws:logs" + prefix + "log-group:" + name + ":*");
            }
            case "AWS::StepFunctions::StateMachine" -> {
                // Named in the template (a Sub of the pseudo parameters), or named by CloudFormation.
                JsonNode named = resource.path("Properties").path("StateMachineName");
                String machine = named.isMissingNode() ? name
                        : new CfnIntrinsics(refs, Map.of(), JSON.createObjectNode()).resolve(named).asText();
                refs.put(id, "arn:aws:states" + prefix + "stateMachine:" + machine);
                attributes.put(id + ".Name", machine);
            }
            case "AWS::SQS::Queue" -> {
                refs.put(id, "https://sqs." + region + ".amazonaws.com/" + account + "/" + name);
                attributes.put(id + ".Arn", "arn:aws:sqs" + prefix + name);
                attributes.put(id + ".QueueName", name);
            }
            case "AWS::Events::Rule" -> {
                refs.put(id, name);
                attributes.put(id + ".Arn", "arn:aws:events" + prefix + "rule/" + name);
            }
            case "AWS::Pipes::Pipe" -> {
                refs.put(id, name);
                attributes.put(id + ".Arn", "arn:aws:pipes" + prefix + "pipe/" + name);
            }
            default -> refs.put(id, name);
        }
    }

    /** The ARN of the stack's state machine (null if it has none). */
    public String stateMachineArn() {
        return stateMachineArn;
    }

    /** Every IAM role of the stack, by logical id. */
    public Map<String, Role> roles() {
        return roles;
    }

    /** Function logical id (e.g. EnsureEndpointsFunction) → its role. */
    public Map<String, Role> functionRoles() {
        return functionRoles;
    }

    /** The SAM-processed template (the transform applied, intrinsics left), translated once per JVM and file. */
    public static JsonNode processed(Path template) {
        return PROCESSED.computeIfAbsent(template.toAbsolutePath().normalize(), DeployedStack::translate);
    }

    private static JsonNode translate(Path template) {
        Path root = ssmreach.local.LocalWorkflow.repositoryRoot();
        try {
            Path out = Files.createTempFile("ssm-reach-processed", ".json");
            Path err = Files.createTempFile("ssm-reach-processed", ".err");
            try {
                Process process = new ProcessBuilder(python(), root.resolve("local/sam/translate.py").toString(),
                        template.toString()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!process.waitFor(2, TimeUnit.MINUTES)) {
                    process.destroyForcibly();
                    throw new IllegalStateException("the SAM translator did not finish within 2 minutes");
                }
                if (process.exitValue() != 0) {
                    throw new IllegalStateException("the SAM translator failed (exit " + process.exitValue() + "): "
                            + Files.readString(err, StandardCharsets.UTF_8));
                }
                return JSON.readTree(out.toFile());
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run the SAM translator (python3 with cfn-lint, see README, Prerequisites)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The Python that has cfn-lint (and its SAM translator): pyenv's, where cfn-lint is installed, else python3. */
    private static String python() {
        Path shim = Path.of(System.getProperty("user.home"), ".pyenv", "shims", "python3");
        return Files.isExecutable(shim) ? shim.toString() : "python3";
    }
}
