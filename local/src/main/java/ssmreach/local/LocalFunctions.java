package ssmreach.local;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sfn.SfnClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.ssm.SsmClient;
import ssmreach.core.Settings;
import ssmreach.diagnosis.DiagnoseHandler;
import ssmreach.endpoint.CheckEndpointsHandler;
import ssmreach.endpoint.EnsureEndpointsHandler;
import ssmreach.instance.CheckRegistrationHandler;
import ssmreach.instance.EnsureInstanceProfileHandler;
import ssmreach.instance.SelectInstancesHandler;
import ssmreach.result.ReportHandler;
import ssmreach.subnet.ClassifySubnetsHandler;
import ssmreach.trigger.GroupTargetsHandler;
import ssmreach.trigger.ParseTriggerHandler;
import ssmreach.trigger.TakeTurnHandler;
import ssmreach.vpc.PrepareVpcHandler;

/**
 * The deployed functions, built as Lambda would build them but with the local AWS's clients and the
 * given stack parameters. Names are the template's logical ids without "Function".
 */
public final class LocalFunctions {
    /** The stack's instance profile and role, as template.yaml creates them; see {@link #createInstanceProfile}. */
    public static final String INSTANCE_PROFILE = "ssm-reach-instance";

    /** The SDK clients one function's code gets: in AWS, signed with its own role's credentials. */
    public record Clients(Ec2Client ec2, IamClient iam, SsmClient ssm, EventBridgeClient events, SnsClient sns, SfnClient sfn) {}

    private LocalFunctions() {}

    /** What the stack deploys for instances: a role with AmazonSSMManagedInstanceCore in a profile. */
    public static void createInstanceProfile(IamClient iam) {
        iam.createRole(r -> r.roleName(INSTANCE_PROFILE).assumeRolePolicyDocument("""
                {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"""));
        iam.attachRolePolicy(r -> r.roleName(INSTANCE_PROFILE).policyArn("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"));
        iam.createInstanceProfile(r -> r.instanceProfileName(INSTANCE_PROFILE));
        iam.addRoleToInstanceProfile(r -> r.instanceProfileName(INSTANCE_PROFILE).roleName(INSTANCE_PROFILE));
    }

    /** The ARN of the stack's instance role, as {@link #createInstanceProfile} creates it. */
    public static String instanceRoleArn() {
        return "arn:aws:iam::" + LocalAws.ACCOUNT_ID + ":role/" + INSTANCE_PROFILE;
    }

    /** The environment Lambda would see, for the given parameter overrides (SCOPE, DNS_ATTRIBUTES, ...). */
    public static Settings settings(Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>();
        env.put("AWS_REGION", LocalAws.REGION.id());
        env.put("ACCOUNT_ID", LocalAws.ACCOUNT_ID);
        env.put("INSTANCE_PROFILE_ARN", "arn:aws:iam::" + LocalAws.ACCOUNT_ID + ":instance-profile/" + INSTANCE_PROFILE);
        env.put("TURN_WAIT_SECONDS", "1"); // a batch waiting for the one ahead asks again each second (20 in the stack)
        env.putAll(overrides);
        return Settings.from(env);
    }

    /** The functions, each with clients signed as its own role of the stack deployed with these settings. */
    public static Map<String, RequestStreamHandler> create(LocalAws aws, Settings settings) {
        return create(settings, aws.deploy(settings));
    }

    /**
     * The functions as their Lambda constructors would build them, each with the clients
     * {@code clientsOf} gives for its logical id (e.g. EnsureEndpointsFunction).
     */
    public static Map<String, RequestStreamHandler> create(Settings settings, Function<String, Clients> clientsOf) {
        Map<String, RequestStreamHandler> functions = new LinkedHashMap<>();
        functions.put("ParseTrigger", new ParseTriggerHandler(settings));
        functions.put("GroupTargets", new GroupTargetsHandler(settings, clientsOf.apply("GroupTargetsFunction").ec2()));
        functions.put("TakeTurn", new TakeTurnHandler(clientsOf.apply("TakeTurnFunction").sfn(), settings.turnWaitSeconds()));
        Clients classify = clientsOf.apply("ClassifySubnetsFunction");
        functions.put("ClassifySubnets", new ClassifySubnetsHandler(settings, classify.ec2()));
        functions.put("PrepareVpc", new PrepareVpcHandler(settings, clientsOf.apply("PrepareVpcFunction").ec2()));
        functions.put("EnsureEndpoints", new EnsureEndpointsHandler(settings, clientsOf.apply("EnsureEndpointsFunction").ec2()));
        functions.put("CheckEndpoints", new CheckEndpointsHandler(clientsOf.apply("CheckEndpointsFunction").ec2()));
        functions.put("SelectInstances", new SelectInstancesHandler(settings, clientsOf.apply("SelectInstancesFunction").ec2(),
                Clock.systemUTC()));
        Clients profile = clientsOf.apply("EnsureInstanceProfileFunction");
        functions.put("EnsureInstanceProfile", new EnsureInstanceProfileHandler(settings, profile.ec2(), profile.iam()));
        functions.put("CheckRegistration", new CheckRegistrationHandler(clientsOf.apply("CheckRegistrationFunction").ssm(),
                Clock.systemUTC()));
        Clients diagnose = clientsOf.apply("DiagnoseFunction");
        functions.put("Diagnose", new DiagnoseHandler(settings, diagnose.ec2(), diagnose.iam(), diagnose.ssm()));
        Clients report = clientsOf.apply("ReportFunction");
        functions.put("Report", new ReportHandler(settings, report.ec2(), report.events(), report.sns(), Clock.systemUTC()));
        return functions;
    }
}
