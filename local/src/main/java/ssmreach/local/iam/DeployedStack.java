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

    private final Map<String, Role> functionRoles;

    private DeployedStack(Map<String, Role> functionRoles) {
        this.functionRoles = functionRoles;
    }

    /**
     * @param parameters parameter values that differ from the template's defaults
     * @param refs physical ids for {@code Ref} to resources, and the pseudo parameters
     * @param attributes values for {@code Fn::GetAtt}, keyed {@code LogicalId.Attribute}
     */
    public static DeployedStack of(Path repositoryRoot, Map<String, String> parameters, Map<String, String> refs,
                                   Map<String, String> attributes) {
        JsonNode template = processed(repositoryRoot);
        Map<String, String> values = new HashMap<>(refs);
        template.path("Parameters").fields().forEachRemaining(p -> {
            if (p.getValue().has("Default")) {
                values.put(p.getKey(), p.getValue().get("Default").asText());
            }
        });
        parameters.forEach((name, value) -> {
            if (!template.path("Parameters").has(name)) {
                throw new IllegalArgumentException("template.yaml has no parameter " + name);
            }
            values.put(name, value);
        });
        CfnIntrinsics intrinsics = new CfnIntrinsics(values, attributes, template.path("Conditions"));
        JsonNode resources = template.path("Resources");
        Map<String, Role> roles = new LinkedHashMap<>();
        resources.fields().forEachRemaining(resource -> {
            if (!"AWS::Lambda::Function".equals(resource.getValue().path("Type").asText())) {
                return;
            }
            JsonNode role = resource.getValue().path("Properties").path("Role").path("Fn::GetAtt");
            String roleId = role.isArray() ? role.get(0).asText() : role.asText().split("\\.")[0];
            JsonNode properties = resources.path(roleId).path("Properties");
            List<PolicyEvaluator.Policy> inline = new ArrayList<>();
            for (JsonNode policy : intrinsics.resolve(properties.path("Policies"))) {
                inline.add(new PolicyEvaluator.Policy(policy.path("PolicyName").asText(), policy.path("PolicyDocument")));
            }
            List<String> managed = new ArrayList<>();
            intrinsics.resolve(properties.path("ManagedPolicyArns")).forEach(arn -> managed.add(arn.asText()));
            roles.put(resource.getKey(), new Role(roleId, List.copyOf(inline), List.copyOf(managed)));
        });
        return new DeployedStack(Map.copyOf(roles));
    }

    /** Function logical id (e.g. EnsureEndpointsFunction) → its role. */
    public Map<String, Role> functionRoles() {
        return functionRoles;
    }

    /** The SAM-processed template (the transform applied, intrinsics left), translated once per JVM. */
    public static JsonNode processed(Path repositoryRoot) {
        return PROCESSED.computeIfAbsent(repositoryRoot.toAbsolutePath().normalize(), DeployedStack::translate);
    }

    private static JsonNode translate(Path root) {
        try {
            Path out = Files.createTempFile("ssm-reach-processed", ".json");
            Path err = Files.createTempFile("ssm-reach-processed", ".err");
            try {
                Process process = new ProcessBuilder(python(), root.resolve("local/sam/translate.py").toString(),
                        root.resolve("template.yaml").toString()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
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
