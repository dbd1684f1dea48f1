package ssmreach.local.iam;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.services.iam.IamClient;
import ssmreach.core.Settings;

/**
 * The stack deployed to the local AWS with the parameters a {@link Settings} stands for: each
 * function's role, as {@link DeployedStack} derives it from template.yaml, registered with the
 * {@link Authorizer} under an access key of its own. A function's clients sign with that key, so
 * every call it makes is authorized with its own role, as in AWS.
 */
public final class StackDeployment {
    private static final AtomicInteger DEPLOYMENTS = new AtomicInteger();
    private static final Map<String, PolicyEvaluator.Policy> MANAGED = new java.util.concurrent.ConcurrentHashMap<>();

    private final Map<String, AwsCredentialsProvider> credentials;

    private StackDeployment(Map<String, AwsCredentialsProvider> credentials) {
        this.credentials = credentials;
    }

    /**
     * @param template the SAM template deployed (normally the repository's template.yaml)
     * @param motoIam a client straight to the emulator, for the managed policies' documents
     * @param instanceRoleArn the ARN of the stack's instance role (SsmInstanceRole) as it exists locally
     */
    public static StackDeployment deploy(Path template, Authorizer authorizer, IamClient motoIam, Settings settings,
                                         String instanceRoleArn) {
        String account = settings.accountId();
        Map<String, String> physical = new LinkedHashMap<>();
        physical.put("SsmInstanceRole.Arn", instanceRoleArn);
        physical.put("SsmInstanceProfile.Arn", settings.instanceProfileArn());
        if (!settings.resultTopicArn().isEmpty()) {
            physical.put("ResultTopic", settings.resultTopicArn());
        }
        DeployedStack stack = DeployedStack.of(template, settings.region(), account, parameters(settings), physical);
        int deployment = DEPLOYMENTS.incrementAndGet();
        Map<String, AwsCredentialsProvider> credentials = new LinkedHashMap<>();
        stack.functionRoles().forEach((function, role) -> {
            List<PolicyEvaluator.Policy> policies = new ArrayList<>(role.inline());
            role.managedPolicyArns().forEach(arn -> policies.add(managedPolicy(motoIam, arn)));
            String roleName = DeployedStack.STACK_NAME + "-" + role.logicalId();
            String session = DeployedStack.STACK_NAME + "-" + function;
            String accessKey = function + "-" + deployment;
            authorizer.register(new Authorizer.Principal(accessKey, "arn:aws:sts::" + account + ":assumed-role/" + roleName + "/" + session,
                    "AROA" + HexFormat.of().formatHex(roleName.getBytes()).substring(0, 16).toUpperCase() + ":" + session,
                    List.copyOf(policies)));
            credentials.put(function, StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, "local-secret")));
        });
        return new StackDeployment(Map.copyOf(credentials));
    }

    /** What a function (logical id, e.g. EnsureEndpointsFunction) signs its calls with. */
    public AwsCredentialsProvider credentials(String function) {
        AwsCredentialsProvider provider = credentials.get(function);
        if (provider == null) {
            throw new IllegalArgumentException("template.yaml deploys no function " + function + "; it has " + credentials.keySet());
        }
        return provider;
    }

    /** The template's parameters as the settings give them (the functions read them from their environment). */
    static Map<String, String> parameters(Settings settings) {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("Services", String.join(",", settings.services()));
        parameters.put("Scope", settings.scope() == Settings.Scope.ISOLATED ? "isolated" : "isolated-and-egress");
        parameters.put("S3Gateway", String.valueOf(settings.s3Gateway()));
        parameters.put("DnsAttributes", settings.fixDnsAttributes() ? "fix" : "report");
        parameters.put("DryRun", String.valueOf(settings.dryRun()));
        parameters.put("HourlyEndpointPriceUsd", settings.hourlyEndpointPriceUsd().toPlainString());
        parameters.put("OptOutTagKey", settings.optOutTagKey());
        parameters.put("ResultEventBusName", settings.resultEventBus());
        parameters.put("InstanceScope", settings.instancesInAnySubnet() ? "all" : "in-scope");
        parameters.put("ExistingProfile", settings.attachPolicyToExistingRole() ? "attach-policy" : "report");
        return parameters;
    }

    /** AWS managed policies as the emulator ships them (they do not change while it runs). */
    private static PolicyEvaluator.Policy managedPolicy(IamClient iam, String arn) {
        return MANAGED.computeIfAbsent(arn, key -> readManagedPolicy(iam, key));
    }

    private static PolicyEvaluator.Policy readManagedPolicy(IamClient iam, String arn) {
        String version = iam.getPolicy(r -> r.policyArn(arn)).policy().defaultVersionId();
        String document = iam.getPolicyVersion(r -> r.policyArn(arn).versionId(version)).policyVersion().document();
        return new PolicyEvaluator.Policy(arn.substring(arn.lastIndexOf('/') + 1), ssmreach.local.IamPolicySimulator.parse(document));
    }
}
