package ssmreach.local;

import com.amazonaws.services.lambda.runtime.RequestStreamHandler;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.ec2.Ec2Client;
import ssmreach.core.Settings;
import ssmreach.endpoint.CheckEndpointsHandler;
import ssmreach.endpoint.EnsureEndpointsHandler;
import ssmreach.result.ReportHandler;
import ssmreach.subnet.ClassifySubnetsHandler;
import ssmreach.trigger.ParseTriggerHandler;
import ssmreach.vpc.PrepareVpcHandler;

/**
 * The deployed functions, built as Lambda would build them but with the local AWS's clients and the
 * given stack parameters. Names are the template's logical ids without "Function".
 */
public final class LocalFunctions {
    private LocalFunctions() {}

    /** The environment Lambda would see, for the given parameter overrides (SCOPE, DNS_ATTRIBUTES, ...). */
    public static Settings settings(Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>();
        env.put("AWS_REGION", LocalAws.REGION.id());
        env.put("ACCOUNT_ID", LocalAws.ACCOUNT_ID);
        env.putAll(overrides);
        return Settings.from(env);
    }

    public static Map<String, RequestStreamHandler> create(LocalAws aws, Settings settings) {
        Ec2Client ec2 = aws.ec2();
        Map<String, RequestStreamHandler> functions = new LinkedHashMap<>();
        functions.put("ParseTrigger", new ParseTriggerHandler(settings));
        functions.put("ClassifySubnets", new ClassifySubnetsHandler(settings, ec2));
        functions.put("PrepareVpc", new PrepareVpcHandler(settings, ec2));
        functions.put("EnsureEndpoints", new EnsureEndpointsHandler(settings, ec2));
        functions.put("CheckEndpoints", new CheckEndpointsHandler(ec2));
        functions.put("Report", new ReportHandler(settings, ec2, aws.eventBridge(), aws.sns(), Clock.systemUTC()));
        return functions;
    }
}
