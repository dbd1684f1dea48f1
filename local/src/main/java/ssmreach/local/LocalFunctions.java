package ssmreach.local;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.iam.IamClient;
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
import ssmreach.trigger.ParseTriggerHandler;
import ssmreach.vpc.PrepareVpcHandler;

/**
 * The deployed functions, built as Lambda would build them but with the local AWS's clients and the
 * given stack parameters. Names are the template's logical ids without "Function".
 */
public final class LocalFunctions {
    /** The stack's instance profile and role, as template.yaml creates them; see {@link #createInstanceProfile}. */
    public static final String INSTANCE_PROFILE = "ssm-reach-instance";

    private LocalFunctions() {}

    /** What the stack deploys for instances: a role with AmazonSSMManagedInstanceCore in a profile. */
    public static void createInstanceProfile(IamClient iam) {
        iam.createRole(r -> r.roleName(INSTANCE_PROFILE).assumeRolePolicyDocument("""
                {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"""));
        iam.attachRolePolicy(r -> r.roleName(INSTANCE_PROFILE).policyArn("arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"));
        iam.createInstanceProfile(r -> r.instanceProfileName(INSTANCE_PROFILE));
        iam.addRoleToInstanceProfile(r -> r.instanceProfileName(INSTANCE_PROFILE).roleName(INSTANCE_PROFILE));
    }

    /** The environment Lambda would see, for the given parameter overrides (SCOPE, DNS_ATTRIBUTES, ...). */
    public static Settings settings(Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>();
        env.put("AWS_REGION", LocalAws.REGION.id());
        env.put("ACCOUNT_ID", LocalAws.ACCOUNT_ID);
        env.put("INSTANCE_PROFILE_ARN", "arn:aws:iam::" + LocalAws.ACCOUNT_ID + ":instance-profile/" + INSTANCE_PROFILE);
        env.putAll(overrides);
        return Settings.from(env);
    }

    public static Map<String, RequestStreamHandler> create(LocalAws aws, Settings settings) {
        return create(settings, aws.ec2(), aws.iam(), aws.ssm(), aws.eventBridge(), aws.sns());
    }

    /** The functions with the given clients, as their Lambda constructors would build them. */
    public static Map<String, RequestStreamHandler> create(Settings settings, Ec2Client ec2, IamClient iam, SsmClient ssm,
                                                           EventBridgeClient events, SnsClient sns) {
        Map<String, RequestStreamHandler> functions = new LinkedHashMap<>();
        functions.put("ParseTrigger", new ParseTriggerHandler(settings));
        functions.put("ClassifySubnets", new ClassifySubnetsHandler(settings, ec2));
        functions.put("PrepareVpc", new PrepareVpcHandler(settings, ec2));
        functions.put("EnsureEndpoints", new EnsureEndpointsHandler(settings, ec2));
        functions.put("CheckEndpoints", new CheckEndpointsHandler(ec2));
        functions.put("SelectInstances", new SelectInstancesHandler(settings, ec2, Clock.systemUTC()));
        functions.put("EnsureInstanceProfile", new EnsureInstanceProfileHandler(settings, ec2, iam));
        functions.put("CheckRegistration", new CheckRegistrationHandler(ssm, Clock.systemUTC()));
        functions.put("Diagnose", new DiagnoseHandler(settings, ec2, iam, ssm));
        functions.put("Report", new ReportHandler(settings, ec2, events, sns, Clock.systemUTC()));
        return functions;
    }
}
